"""upsamplelab: learned upsampling in deep networks."""
__version__ = "0.1.0"
