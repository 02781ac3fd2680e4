"""The GAN losses (``model.loss``) against their textbook formulas, evaluated by hand on D outputs
d_real = (2, -1), d_fake = (0.5, -3); the WGAN-GP penalty on critics whose input gradients are known in closed form."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from upsamplelab.lightning.gan_losses import GAN_LOSSES, GANLoss, gan_loss, register_gan_loss

D_REAL, D_FAKE = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])


def softplus(v: float) -> float:
    return math.log(1 + math.exp(v))


EXPECTED = {  # name: (L_D, L_G)
    # -E[log σ(D(x))] - E[log(1 - σ(D(G(z))))] = E[softplus(-D(x))] + E[softplus(D(G(z)))];  -E[log σ(D(G(z)))]
    "nonsaturating": ((softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2,
                      (softplus(-0.5) + softplus(3)) / 2),
    # E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))] = (0 + 2)/2 + (1.5 + 0)/2;  -E[D(G(z))] = -(0.5 - 3)/2
    "hinge": (1.75, 1.25),
    # ½E[(D(x) - 1)²] + ½E[D(G(z))²] = ½(1 + 4)/2 + ½(0.25 + 9)/2;  ½E[(D(G(z)) - 1)²] = ½(0.25 + 16)/2
    "lsgan": (3.5625, 4.0625),
    # E[D(G(z))] - E[D(x)] = -1.25 - 0.5 (before the penalty);  -E[D(G(z))]
    "wgan_gp": (-1.75, 1.25),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loss_values_by_hand(name):
    loss = gan_loss(name)
    expected_d, expected_g = EXPECTED[name]
    assert loss.discriminator(D_REAL, D_FAKE).item() == pytest.approx(expected_d, rel=1e-6)
    assert loss.generator(D_FAKE).item() == pytest.approx(expected_g, rel=1e-6)


def test_only_wgan_gp_has_a_penalty():
    critic = nn.Linear(4, 1)
    x = torch.randn(3, 4)
    assert [n for n in sorted(GAN_LOSSES) if GAN_LOSSES[n].penalty(critic, x, x, 10.0) is not None] == ["wgan_gp"]


def test_logged_score_is_the_probability_for_the_bce_loss_only():
    assert torch.equal(gan_loss("nonsaturating").score(D_REAL), torch.sigmoid(D_REAL))
    for name in ("hinge", "lsgan", "wgan_gp"):
        assert torch.equal(gan_loss(name).score(D_REAL), D_REAL)


class LinearCritic(nn.Module):
    """D(x) = <w, x>: ∇_x D = w for every x, so the penalty is λ (‖w‖ - 1)² whatever ε is."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.w).flatten(1).sum(1)


class SquareCritic(nn.Module):
    """D(x) = ½‖x‖²: ∇_x D = x."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (x ** 2).flatten(1).sum(1)


def test_gradient_penalty_of_a_linear_critic_and_its_gradient():
    w = torch.zeros(1, 2, 2)
    w[0, 0, 0], w[0, 1, 1] = 2.0, math.sqrt(5.0)                         # ‖w‖ = 3
    critic = LinearCritic(w)
    real, fake = torch.randn(5, 1, 2, 2), torch.randn(5, 1, 2, 2)
    penalty = gan_loss("wgan_gp").penalty(critic, real, fake, 10.0)
    assert penalty.item() == pytest.approx(10.0 * (3 - 1) ** 2, rel=1e-6)
    penalty.backward()                                                   # create_graph: the penalty trains D
    # d/dw λ(‖w‖ - 1)² = 2λ(‖w‖ - 1) w / ‖w‖
    torch.testing.assert_close(critic.w.grad, 2 * 10.0 * (3 - 1) * w / 3)


def test_gradient_penalty_is_per_image():
    """x̂ = real when real = fake, so ‖∇D(x̂)‖ = ‖real_i‖ = (3, 0.5): λ E[(‖·‖ - 1)²] = 10 (4 + 0.25) / 2."""
    real = torch.zeros(2, 1, 2, 2)
    real[0, 0, 0, 0], real[1, 0, 1, 1] = 3.0, 0.5
    penalty = gan_loss("wgan_gp").penalty(SquareCritic(), real, real.clone(), 10.0)
    assert penalty.item() == pytest.approx(21.25, rel=1e-6)


def test_unknown_loss_names_the_key_and_the_allowed_values():
    with pytest.raises(ValueError) as err:
        gan_loss("wasserstein")
    assert str(err.value) == ("model.loss must be one of ['hinge', 'lsgan', 'nonsaturating', 'wgan_gp'], "
                              "got 'wasserstein'")


def test_a_registered_loss_is_selectable():
    @register_gan_loss("test_zero")
    class Zero(GANLoss):
        def discriminator(self, d_real, d_fake):
            return (d_real * 0).sum()

    try:
        assert isinstance(gan_loss("test_zero"), Zero)
    finally:
        del GAN_LOSSES["test_zero"]
