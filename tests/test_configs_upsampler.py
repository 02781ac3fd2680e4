"""Every ``configs/upsampler/*.yaml`` composes through Hydra and instantiates the registered module."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from upsamplelab.nn import build_upsampler, list_upsamplers, upsampler_info

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"


def test_one_yaml_per_registered_name():
    assert sorted(p.stem for p in (CONFIG_DIR / "upsampler").glob("*.yaml")) == sorted(list_upsamplers())


@pytest.mark.parametrize("name", list_upsamplers())
def test_yaml_composes_and_instantiates(name):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(overrides=[f"+upsampler={name}"])
    factory = instantiate(cfg.upsampler)
    in_channels = next(c for c in (3, 10, 5) if upsampler_info(name).supports_channels(c, 5))   # as its rule needs
    module = factory(in_channels=in_channels, out_channels=5, scale_factor=2)
    torch.manual_seed(0)
    expected = build_upsampler(name, in_channels, 5, 2)
    assert type(module) is type(expected)
    assert [p.shape for p in module.parameters()] == [p.shape for p in expected.parameters()]
    assert module(torch.zeros(1, in_channels, 4, 4)).shape == (1, 5, 8, 8)
