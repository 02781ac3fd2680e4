"""Plain ``nn.Module`` networks; each takes an upsampler factory, so one config swaps every upsampling layer."""
from .autoencoder import ConvAutoencoder
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .fcn import FCN
from .init import dcgan_init_
from .unet import UNet

__all__ = ["ConvAutoencoder", "DCGANDiscriminator", "DCGANGenerator", "FCN", "UNet", "dcgan_init_"]
