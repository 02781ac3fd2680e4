"""LightningModules, one per task: GAN (DCGAN), segmentation (U-Net/FCN), reconstruction (autoencoder)."""
from .base import UpsampleLabModule
from .gan import GANModule
from .reconstruction import ReconstructionModule
from .sample_quality import SampleQuality
from .segmentation import SegmentationModule

__all__ = ["GANModule", "ReconstructionModule", "SampleQuality", "SegmentationModule", "UpsampleLabModule"]
