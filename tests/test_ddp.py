"""Training under DDP on the CPU (``trainer=ddp``, ``ddp_spawn``, 2 processes), every model: the run completes, the
two processes hold identical weights after every step (and the checkpoint holds them), and the run equals a single
process trained on the same global batches (batch b per process on 2 processes vs 2 b on one).

BatchNorm normalises each process's own batch without SyncBatchNorm (GPUs only), which a single process cannot
reproduce: the equality tests replace every BatchNorm by GroupNorm(1, C) (per-sample statistics) in both runs, so
the only differences left are float summation orders.  The shipped BatchNorm GAN is trained as configured too.
"""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from lightning_fabric.utilities.seed import reset_seed
from omegaconf import open_dict
from torch import nn
from torch.multiprocessing import ProcessExitedException, ProcessRaisedException

from conftest import TinyFeatures, column, read_metrics
from test_train import TASKS
from upsamplelab.app.bad_input import explain
from upsamplelab.lightning.base import SYNC_BATCHNORM_OFF
from upsamplelab.lightning.data_parallel import check_data_parallel
from upsamplelab.train import train

DDP = ["trainer=ddp", "trainer.strategy=ddp_spawn", "trainer.accelerator=cpu", "trainer.devices=2"]
SHORT = ["trainer.max_epochs=1", "trainer.limit_train_batches=3", "trainer.limit_val_batches=1",
         "trainer.log_every_n_steps=1", "test=false"]
SMALL_DATA = {"unet": ["data.image_size=32", "data.num_samples=240", "data.val_size=40"],
              "fcn": ["data.image_size=32", "data.num_samples=240", "data.val_size=40"]}
UPSAMPLER = {"gan": "convT_k4", "unet": "convT_k2", "fcn": "bilinear_convT", "autoencoder": "resize_conv_nearest"}
# the GAN with every per-sample random draw of a step: latents, DiffAugment, the gradient penalty; and the EMA.
# NCHW: without BatchNorm, the fixed noise is the module's only buffer, and DDP fails to broadcast a lone
# channels_last buffer ("some elements of the input tensor and the written-to tensor refer to a single memory
# location", pytorch/pytorch#68407); the BatchNorm GAN below trains in channels_last.
GAN_DRAWS = ["model.loss=wgan_gp", "model.diffaugment=[color,translation,cutout]", "model.ema=0.9", "model.ema_start=1",
             "model.monitor=val/d_loss", "model.monitor_mode=max", "model.channels_last=false"]
PER_PROCESS_BATCH = 8
# The equality runs train in float64: a per-process gradient summed by all-reduce and a whole-batch gradient differ
# by their summation order only, ~1e-16 relative in float64; in float32 (~1e-7) Adam amplifies that rounding where a
# true gradient is ~0 into steps of +-lr, on some CPUs and not others.  Weights: 1e-9 leaves 1e6 x float64's
# rounding for the three steps.  Logged metrics: some are float32 sums over the processes' shards (torchmetrics'
# states, FID features), equal up to their summation order: 1e-6 is ~8 float32 ulps.
FLOAT64 = ["trainer.precision=64-true"]
FLOAT64_REL, FLOAT32_REL = 1e-9, 1e-6


def train_spawned(cfg, run_dir: Path) -> None:
    """``train(cfg)`` under ddp_spawn, tried once more from an empty ``run_dir`` when a spawned process was killed by
    a signal rather than failing in Python: gloo on the CPU sometimes aborts a process (SIGABRT) in its collectives
    or at teardown, on some machines and not others, and Lightning re-runs its own spawn tests for it
    (Lightning-AI/pytorch-lightning#20620, #20933).  An exception, a failed check or a second abort fails the test."""
    try:
        train(cfg)
    except ProcessExitedException as crash:
        warnings.warn(f"spawned training crashed ({crash}); trying once more")
        shutil.rmtree(run_dir, ignore_errors=True)
        train(cfg)


class RankStates(pl.Callback):
    """Each process's state dict after every training step and at the end of training, and how many FID evaluations
    it ran, saved at the end as ``<dir>/rank<r>.pt``.  Re-seeds torch at setup as Lightning does in each DDP
    process (``reset_seed``), so a single process draws the same random numbers in training as the DDP processes."""

    def __init__(self, dir: str) -> None:
        self.dir, self.states = Path(dir), []

    def setup(self, trainer, pl_module, stage) -> None:
        reset_seed()

    @staticmethod
    def state(pl_module) -> dict:
        return {k: v.detach().clone() if torch.is_tensor(v) else v for k, v in pl_module.state_dict().items()}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.states.append(self.state(pl_module))

    def on_train_end(self, trainer, pl_module) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        quality = getattr(pl_module, "sample_quality", None)
        torch.save({"states": self.states, "final": self.state(pl_module),
                    "fid_evaluations": quality._evaluations if quality else 0},
                   self.dir / f"rank{trainer.global_rank}.pt")


def without_batchnorm(module: nn.Module) -> None:
    """Every BatchNorm2d in ``module`` replaced by GroupNorm(1, C), in place."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, nn.GroupNorm(1, child.num_features))
        else:
            without_batchnorm(child)


@pytest.fixture
def run(make_cfg, tmp_path, monkeypatch):
    """``run(name, *overrides, batchnorm=True)`` trains in ``tmp_path/name`` and returns that directory; each
    process's states are under ``<dir>/states``.  A GAN measures FID with ``TinyFeatures`` in every process (set on
    the module, which ddp_spawn pickles to the processes)."""
    import upsamplelab.train as train_module
    instantiate_task, swap = train_module.instantiate_task, {"batchnorm": True}

    def instantiate(cfg):
        datamodule, model = instantiate_task(cfg)
        if getattr(model, "sample_quality", None) is not None:
            model.sample_quality._model = TinyFeatures()
        if not swap["batchnorm"]:
            without_batchnorm(model)
        return datamodule, model

    monkeypatch.setattr(train_module, "instantiate_task", instantiate)

    def go(name: str, *overrides: str, batchnorm: bool = True) -> Path:
        swap["batchnorm"], run_dir = batchnorm, tmp_path / name
        cfg = make_cfg(*overrides, run_dir=run_dir)
        with open_dict(cfg):
            cfg.callbacks.rank_states = {"_target_": f"{__name__}.RankStates", "dir": str(run_dir / "states")}
        train_spawned(cfg, run_dir)
        return run_dir

    return go


def rank_record(run_dir: Path, rank: int) -> dict:
    return torch.load(run_dir / "states" / f"rank{rank}.pt", weights_only=True)


def last_state(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]


def same(a, b) -> bool:
    """Tensors equal bit for bit (other state entries, like the EMA's update count, equal)."""
    return torch.equal(a, b) if torch.is_tensor(a) else a == b


def assert_ranks_identical(run_dir: Path, steps: int) -> None:
    """Both processes hold the same parameters and buffers, bit for bit, after every step and at the end (after
    the last validation), and the last checkpoint holds them."""
    zero, one = rank_record(run_dir, 0), rank_record(run_dir, 1)
    assert len(zero["states"]) == len(one["states"]) == steps
    saved = last_state(run_dir)
    for when, a, b in [*zip(range(steps), zero["states"], one["states"]), ("end", zero["final"], one["final"]),
                       ("checkpoint", zero["final"], saved)]:
        assert list(a) == list(b), when
        different = [k for k in a if not same(a[k], b[k])]
        assert not different, f"{when}: {different}"


@pytest.mark.cross_path
@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASKS))
def test_two_processes_train_like_one_with_the_global_batch(run, task):
    overrides = [*TASKS[task], f"upsampler={UPSAMPLER[task]}", *SMALL_DATA.get(task, []), *SHORT,
                 *(GAN_DRAWS if task == "gan" else [])]
    ddp = run("ddp", *overrides, *DDP, *FLOAT64, f"data.batch_size={PER_PROCESS_BATCH}", batchnorm=False)
    single = run("single", *overrides, *FLOAT64, f"data.batch_size={2 * PER_PROCESS_BATCH}", batchnorm=False)
    assert_ranks_identical(ddp, steps=3)

    ddp_rows, single_rows = read_metrics(ddp), read_metrics(single)
    keys = [k for k in single_rows[0] if k.startswith(("train/", "val/"))]
    assert keys == [k for k in ddp_rows[0] if k.startswith(("train/", "val/"))]
    assert sum(len(column(single_rows, k)) for k in keys if k.startswith("train/")) >= 3
    for key in keys:
        assert column(ddp_rows, key) == pytest.approx(column(single_rows, key), rel=FLOAT32_REL), key
    single_state, ddp_state = last_state(single), last_state(ddp)
    for key, value in single_state.items():
        if torch.is_tensor(value):
            torch.testing.assert_close(ddp_state[key], value, rtol=FLOAT64_REL, atol=1e-12, msg=key)


@pytest.mark.slow
def test_batchnorm_gan_trains_as_configured(run, capfd):
    """The shipped DCGAN (BatchNorm, trainer=ddp's sync_batchnorm=true) on 2 CPU processes, then tested with the
    final evaluation: SyncBatchNorm is turned off with a notice, the BatchNorm statistics (averaged after each step)
    and the EMA copy stay identical on both processes, FID is computed once, on rank 0."""
    ddp = run("ddp", *TASKS["gan"], "upsampler=convT_k4", *SHORT, *DDP, "model.ema=0.9", "test=true",
              "metrics.final_samples=16", f"data.batch_size={PER_PROCESS_BATCH}")
    assert SYNC_BATCHNORM_OFF in "".join(capfd.readouterr())
    assert_ranks_identical(ddp, steps=3)
    assert any(k.startswith("ema.") for k in last_state(ddp))
    rows = read_metrics(ddp)
    assert len(column(rows, "val/fid")) == 1
    assert [rank_record(ddp, r)["fid_evaluations"] for r in (0, 1)] == [1, 0]
    final = json.loads((ddp / "final.json").read_text())
    assert final["num_fake"] == 16 and final["generator"] == "ema"
    assert column(rows, "final/fid") == pytest.approx([final["fid"]])


class Batches(pl.Callback):
    """The per-image sums of every training batch, appended to ``<path>.<rank>`` (one JSON list per batch)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        with open(f"{self.path}.{trainer.global_rank}", "a") as f:
            f.write(json.dumps(batch[0].flatten(1).sum(1).tolist()) + "\n")


@pytest.mark.slow
def test_streamed_data_is_split_between_the_processes(make_cfg, tmp_path):
    """A streamed data module (a DataLoader over image files) gets Lightning's DistributedSampler under trainer=ddp:
    the two processes train on different images (with use_distributed_sampler=false both took the same batches)."""
    from PIL import Image
    images = tmp_path / "images"
    images.mkdir()
    pixels = torch.Generator().manual_seed(0)
    for i in range(48):
        array = torch.randint(0, 256, (16, 16, 3), dtype=torch.uint8, generator=pixels).numpy()
        Image.fromarray(array).save(images / f"{i:03d}.png")
    cfg = make_cfg("model=autoencoder", "model.net.widths=[8,16]", "data=image_folder", f"data.root={images}",
                   "data.image_size=16", "data.val_size=8", "data.batch_size=4", "data.num_workers=0", *DDP, *SHORT,
                   run_dir=tmp_path / "run")
    with open_dict(cfg):
        cfg.callbacks.batches = {"_target_": f"{__name__}.Batches", "path": str(tmp_path / "run" / "batches")}
    train_spawned(cfg, tmp_path / "run")
    seen = [[json.loads(line) for line in (tmp_path / "run" / f"batches.{rank}").read_text().splitlines()]
            for rank in (0, 1)]
    assert len(seen[0]) == len(seen[1]) == 3
    images_of = [{round(v, 3) for batch in batches for v in batch} for batches in seen]
    assert len(images_of[0]) == len(images_of[1]) == 12 and not images_of[0] & images_of[1]


@pytest.mark.slow
def test_processes_without_a_full_batch_fail_in_one_line(make_cfg, tmp_path):
    """100 training samples on 2 processes: 50 each, less than a batch of 64, so no process would train; Lightning
    would end the run "completed" without a step.  Refused in setup; the spawned process's error reads as one line."""
    cfg = make_cfg(*TASKS["autoencoder"], *DDP, "data.limit_train=100", "data.batch_size=64")
    with pytest.raises(ProcessRaisedException) as raised:
        train(cfg)
    assert explain(raised.value) == ("ValueError: data.batch_size=64 is larger than each process's share of the 100 "
                                     "training samples (50 for each of 2 processes, trainer.devices x "
                                     "trainer.num_nodes): lower data.batch_size or trainer.devices")
    assert not (tmp_path / "metrics.csv").exists() and not (tmp_path / "checkpoints").exists()


@pytest.mark.parametrize("world_size,batch_size,samples,fails", [
    (1, 64, 64, False), (2, 32, 64, False), (2, 33, 64, True), (3, 32, 95, True), (3, 32, 96, False),
])
def test_check_data_parallel(world_size, batch_size, samples, fails):
    """A full batch for every process: batch_size <= samples // world_size."""
    if fails:
        with pytest.raises(ValueError, match=rf"data.batch_size={batch_size} is larger than each process's share"):
            check_data_parallel(world_size, batch_size, samples)
    else:
        check_data_parallel(world_size, batch_size, samples)


@pytest.mark.parametrize("last_line,expected", [
    ("ValueError: data.batch_size=64 is too large", "ValueError: data.batch_size=64 is too large"),
    ("upsamplelab.reliability.file_integrity.CorruptFileError: last.ckpt is damaged",
     "CorruptFileError: last.ckpt is damaged"),
    ("RuntimeError: CUDA out of memory", None),
])
def test_explain_reads_the_error_a_spawned_process_raised(last_line, expected):
    """torch.multiprocessing hands the parent a spawned process's traceback as text; a bad-input error in it is
    explained in one line, anything else keeps its traceback (None)."""
    trace = ("Traceback (most recent call last):\n  File \"x.py\", line 1, in setup\n    raise Error()\n"
             f"{last_line}\n")
    err = ProcessRaisedException(f"\n\n-- Process 1 terminated with the following error:\n{trace}", 1, 1234)
    assert explain(err) == expected
