"""GAN losses by name (``model.loss``): what D and G minimise given D's raw outputs (logits) on reals and fakes.

Notation: D(x) is the discriminator's raw output (a logit, or a critic value), x a real image, G(z) a fake, σ the
logistic sigmoid, E a mean over the batch.  Each loss is registered under its config name with
``register_gan_loss``; a loss with a regulariser on D's input gradients overrides ``penalty``.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .data_parallel import process_share


class GANLoss:
    """What D and G minimise; ``score`` is what ``train/d_real`` and ``train/d_fake`` log of D's outputs."""

    def discriminator(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        raise NotImplementedError

    def generator(self, d_fake: Tensor) -> Tensor:
        raise NotImplementedError

    def penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor, weight: float) -> Optional[Tensor]:
        """A term added to D's loss, computed on the images D saw (``fake`` detached from G); None: none."""
        return None

    def score(self, logits: Tensor) -> Tensor:
        """D's outputs as logged: the raw values (critic scores, least-squares targets 0/1)."""
        return logits


GAN_LOSSES: dict[str, GANLoss] = {}


def register_gan_loss(name: str) -> Callable[[type[GANLoss]], type[GANLoss]]:
    """Class decorator: make the loss selectable as ``model.loss=<name>``."""
    def register(cls: type[GANLoss]) -> type[GANLoss]:
        GAN_LOSSES[name] = cls()
        return cls

    return register


def gan_loss(name: str) -> GANLoss:
    """The loss registered as ``name``; ValueError naming ``model.loss`` and the allowed values otherwise."""
    if name not in GAN_LOSSES:
        raise ValueError(f"model.loss must be one of {sorted(GAN_LOSSES)}, got {name!r}")
    return GAN_LOSSES[name]


@register_gan_loss("nonsaturating")
class NonSaturating(GANLoss):
    """Goodfellow et al. (2014), with the non-saturating generator loss of their section 3:

        L_D = −E[log σ(D(x))] − E[log(1 − σ(D(G(z))))]
        L_G = −E[log σ(D(G(z)))]

    (binary cross-entropy with logits against labels 1 for reals and 0 for fakes; G's fakes labelled 1).
    ``score``: σ(D(·)), D's probability that an image is real.
    """

    def discriminator(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        return (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))

    def generator(self, d_fake: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))

    def score(self, logits: Tensor) -> Tensor:
        return torch.sigmoid(logits)


@register_gan_loss("hinge")
class Hinge(GANLoss):
    """The hinge loss of Lim & Ye (2017), as used with spectral normalisation by Miyato et al. (2018):

        L_D = E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]
        L_G = −E[D(G(z))]
    """

    def discriminator(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()

    def generator(self, d_fake: Tensor) -> Tensor:
        return -d_fake.mean()


@register_gan_loss("lsgan")
class LeastSquares(GANLoss):
    """Least-squares GAN (Mao et al. 2017) with the 0-1 coding a = 0 (fake), b = 1 (real), c = 1:

        L_D = ½ E[(D(x) − 1)²] + ½ E[D(G(z))²]
        L_G = ½ E[(D(G(z)) − 1)²]
    """

    def discriminator(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        return 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake ** 2).mean()

    def generator(self, d_fake: Tensor) -> Tensor:
        return 0.5 * ((d_fake - 1) ** 2).mean()


@register_gan_loss("wgan_gp")
class WassersteinGP(GANLoss):
    """Wasserstein GAN with gradient penalty (Gulrajani et al. 2017, algorithm 1), D a critic:

        L_D = E[D(G(z))] − E[D(x)] + λ E[(‖∇_x̂ D(x̂)‖₂ − 1)²],   x̂ = ε x + (1 − ε) G(z),  ε ~ U[0, 1] per image
        L_G = −E[D(G(z))]

    λ is ``model.gp_weight`` (10 in the paper).  ε is drawn from torch's global generator (seeded, checkpointed;
    under DDP each process's share of the global batch's: ``data_parallel.process_share``).
    The paper's critic has no batch normalisation (it would make each image's gradient depend on the batch); the
    DCGAN discriminator here has it unless ``model.discriminator.spectral_norm=true`` removes it.
    """

    def discriminator(self, d_real: Tensor, d_fake: Tensor) -> Tensor:
        return d_fake.mean() - d_real.mean()

    def generator(self, d_fake: Tensor) -> Tensor:
        return -d_fake.mean()

    def penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor, weight: float) -> Tensor:
        eps = process_share(lambda n: torch.rand(n, 1, 1, 1, device=real.device, dtype=real.dtype), real.shape[0])
        mixed = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
        (grad,) = torch.autograd.grad(discriminator(mixed).sum(), mixed, create_graph=True)
        return weight * ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
