"""On a CUDA GPU: bf16 mixed precision, channels_last, torch.compile, one-process DDP, the divergence guard and a
deterministic resume, each the GPU counterpart of a CPU test (test_performance_options.py, test_reliability.py,
test_train.py), sharing its helpers.  Marked ``gpu``: skipped where torch sees no CUDA device (conftest);
``scripts/gpu_check.sh`` runs them (``pytest -m gpu tests/test_gpu.py``)."""
from __future__ import annotations

import json
import math

import pytest
import torch

from conftest import column, read_metrics
from test_performance_options import (FACTOR_2_UPSAMPLERS, GAN, assert_channels_last_computes_the_same_function,
                                      bf16_and_fp32_psnr, compiled_and_eager)
from label_maps import blobs
from test_reliability import AE as SHORT_AE, SHORT, assert_gan_resumes_exactly, last_checkpoint
from test_train import TASKS
from upsamplelab.train import train

pytestmark = pytest.mark.gpu


@pytest.fixture(autouse=True)
def restore_process_state():
    """Undo what a run leaves set process-wide: deterministic algorithms and cuDNN flags (trainer.deterministic),
    TF32 (turned off by a test), the process group (DDP)."""
    flags = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32)
    matmul_tf32 = torch.backends.cuda.matmul.allow_tf32
    yield
    torch.use_deterministic_algorithms(flags[0], warn_only=flags[1])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32 = cudnn
    torch.backends.cuda.matmul.allow_tf32 = matmul_tf32
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def finite_floats(state_dict: dict) -> bool:
    return all(torch.isfinite(v).all() for v in state_dict.values() if v.is_floating_point())


def test_bf16_gan_steps_are_finite(make_cfg, tmp_path):
    """The shipped GPU config (trainer=gpu: bf16-mixed) with channels_last: every logged loss, the FID and every
    saved weight are finite."""
    train(make_cfg(*GAN, "trainer=gpu", "model.channels_last=true", "trainer.log_every_n_steps=1",
                   accelerator="gpu"))
    rows = read_metrics(tmp_path)
    losses = column(rows, "train/d_loss") + column(rows, "train/g_loss")
    assert len(losses) == 2 * 3 and all(math.isfinite(v) for v in losses)
    assert all(math.isfinite(v) for v in column(rows, "val/fid"))
    assert finite_floats(last_checkpoint(tmp_path)["state_dict"])


def test_bf16_tracks_float32(make_cfg, tmp_path):
    """bf16 autocast changes the numbers (it ran) by less than bf16's precision allows (as on the CPU)."""
    psnr = bf16_and_fp32_psnr(make_cfg, tmp_path, accelerator="gpu")
    assert psnr["bf16-mixed"] != psnr["32"]
    assert psnr["bf16-mixed"] == pytest.approx(psnr["32"], abs=0.5)            # dB


@pytest.mark.parametrize("name", FACTOR_2_UPSAMPLERS)
def test_channels_last_computes_the_same_function(name):
    """cuDNN's NHWC kernels against its NCHW ones, in full float32 (TF32 off: it rounds to 10 mantissa bits,
    which would hide the comparison), to the CPU test's tolerances."""
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    assert_channels_last_computes_the_same_function(name, device="cuda")


def test_boundary_metrics_count_on_the_gpu_what_they_count_on_the_cpu():
    """The max-pool morphology of the boundary metrics on CUDA: the same per-class counts as on the CPU (and the
    same foreground IoU)."""
    from upsamplelab.metrics.boundary import boundary_f1_counts, boundary_iou_counts
    pred, target = blobs(4, 5, (64, 64), 0), blobs(4, 5, (64, 64), 1)
    for counts, width in ((boundary_f1_counts, 2), (boundary_iou_counts, 3)):
        on_gpu = counts(pred.cuda(), target.cuda(), 5, width)
        assert on_gpu.is_cuda and torch.equal(on_gpu.cpu(), counts(pred, target, 5, width))
    from upsamplelab.metrics import foreground_iou
    assert foreground_iou(pred.cuda(), target.cuda()) == foreground_iou(pred, target)


def test_compiled_networks_train_like_eager_ones(make_cfg, tmp_path):
    """model.compile=true (Inductor/Triton kernels) trains to eager's losses and keeps the checkpoint keys."""
    losses, keys = compiled_and_eager(make_cfg, tmp_path, accelerator="gpu")
    assert keys["true"] == keys["false"]
    assert len(losses["true"]) == 6 and losses["true"] == pytest.approx(losses["false"], rel=1e-3)


@pytest.mark.parametrize("task", ["autoencoder", "gan"])
def test_ddp_with_one_process_trains_like_a_single_device_run(make_cfg, tmp_path, task):
    """trainer=ddp (SyncBatchNorm on, NCCL) on one GPU: world size 1, so its losses equal a plain single-GPU run's
    (deterministic kernels; SyncBatchNorm's kernels round differently from BatchNorm's)."""
    overrides = [*TASKS[task], "upsampler=convT_k4", "trainer.max_epochs=1", "trainer.limit_train_batches=4",
                 "trainer.limit_val_batches=2", "trainer.log_every_n_steps=1", "test=false",
                 "trainer.deterministic=true"]
    train(make_cfg(*overrides, run_dir=tmp_path / "single", accelerator="gpu"))
    train(make_cfg(*overrides, "trainer=ddp", "trainer.devices=1", run_dir=tmp_path / "ddp", accelerator="gpu"))
    single, ddp = read_metrics(tmp_path / "single"), read_metrics(tmp_path / "ddp")
    keys = ["train/loss", "val/loss"] if task == "autoencoder" else ["train/d_loss", "train/g_loss", "val/d_loss"]
    for key in keys:
        assert len(column(ddp, key)) == len(column(single, key)) > 0, key
        assert column(ddp, key) == pytest.approx(column(single, key), rel=1e-3), key
    assert (tmp_path / "ddp" / "checkpoints" / "last.ckpt").exists()


def test_divergence_guard_reads_the_gpu_streak_every_log_interval(make_cfg, tmp_path):
    """On a GPU the guard reads its streak every trainer.log_every_n_steps batches (no host sync per step): a run
    read every batch shows where the losses turn NaN; the default run stops at the first read (batch 4, 9, ...:
    every 5th) after the streak reached the patience of 3, with the streak as long as it had grown by then."""
    diverging = [*SHORT_AE, *SHORT, "model.optimizer.lr=1e30", "trainer.max_epochs=2"]
    every_batch = tmp_path / "every_batch"
    assert train(make_cfg(*diverging, "callbacks.divergence.check_every_n_steps=1", run_dir=every_batch,
                          accelerator="gpu"))["diverged"] == 1.0
    losses = [(int(r["step"]), float(r["train/loss"])) for r in read_metrics(every_batch) if r.get("train/loss")]
    first_bad = next(step for step, loss in losses if loss != loss)
    assert json.loads((every_batch / "DIVERGED").read_text())["batch"] == first_bad + 2

    default = tmp_path / "default"
    assert train(make_cfg(*diverging, "trainer.log_every_n_steps=5", run_dir=default,
                          accelerator="gpu"))["diverged"] == 1.0
    marker = json.loads((default / "DIVERGED").read_text())
    first_read = next(b for b in range(4, 6, 5) if b - first_bad + 1 >= 3)
    assert (marker["batch"], marker["consecutive_bad_steps"]) == (first_read, first_read - first_bad + 1)
    assert not (default / "checkpoints").exists()


def test_gan_resumes_exactly_when_deterministic(make_cfg, tmp_path):
    """trainer.deterministic=true: a GAN resumed from its epoch-1 checkpoint (CUDA RNG state restored) logs every
    number of the uninterrupted run and ends with the same optimiser states, bit for bit."""
    assert_gan_resumes_exactly(make_cfg, tmp_path, "trainer.deterministic=true", accelerator="gpu")
