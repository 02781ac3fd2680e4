"""Every Lightning Trainer argument can be overridden from the command line (configs/trainer/default.yaml lists
them all), and the listed defaults are Lightning's own unless the project chose otherwise."""
from __future__ import annotations

import inspect

import pytorch_lightning as pl
from hydra.utils import instantiate

FROM_GROUPS = {"logger", "callbacks"}                 # the logger/ and callbacks/ config groups
CHOSEN = {"_target_", "default_root_dir", "devices", "precision", "max_epochs", "min_epochs", "log_every_n_steps",
          "deterministic", "plugins"}                  # set by the project; everything else is Lightning's default


def test_the_trainer_config_lists_exactly_the_trainer_arguments(make_cfg):
    trainer = make_cfg().trainer
    signature = inspect.signature(pl.Trainer).parameters
    assert set(trainer) - {"_target_"} == set(signature) - FROM_GROUPS
    for name in set(trainer) - CHOSEN - {"accelerator"}:            # accelerator: set to cpu by the test config
        assert trainer[name] == signature[name].default, name


def test_any_trainer_argument_is_a_plain_override(make_cfg, tmp_path):
    cfg = make_cfg("trainer.fast_dev_run=true", "trainer.gradient_clip_val=0.5", "trainer.max_time=00:00:10:00",
                   "trainer.num_sanity_val_steps=0")
    trainer = instantiate(cfg.trainer)
    assert trainer.fast_dev_run is True and trainer.gradient_clip_val == 0.5
    assert trainer.num_sanity_val_steps == 0


def test_extras_ignore_warnings_hides_python_warnings():
    import warnings

    from upsamplelab.app.config import silence_library_noise
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_library_noise(ignore_warnings=False)
        warnings.warn("shown")
        silence_library_noise(ignore_warnings=True)
        warnings.warn("hidden")
    assert [str(w.message) for w in caught] == ["shown"]
