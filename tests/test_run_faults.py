"""Faults that used to end in a traceback or a silent merge: each ends in one line with a non-zero exit status, and
nothing is lost (a checkpoint of another model, a full disk while saving, two processes in one run directory,
an unreadable image, a reference larger than the data)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from PIL import Image

from conftest import REPO, TinyFeatures, cli_env
from upsamplelab.app.bad_input import explain
from upsamplelab.data import DigitsDataModule, ImageFolderDataModule
from upsamplelab.lightning import SampleQuality
from upsamplelab.reliability import AtomicCheckpointIO, CorruptFileError
from upsamplelab.reliability.run_claim import claim_run_dir
from upsamplelab.train import train

AE = ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "test=false", "trainer.limit_train_batches=2",
      "trainer.limit_val_batches=1"]
CLI = [*AE, "trainer.accelerator=cpu", "extras.print_summary=false"]
ONE_LINE = {"HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1"}


def error_line(stderr: str) -> str:
    """The one line of a bad-input exit (the last line is the HYDRA_FULL_ERROR hint); no traceback before it."""
    assert "Traceback" not in stderr, stderr[-3000:]
    return stderr.strip().splitlines()[-2]


def test_a_checkpoint_of_another_upsampler_is_refused_naming_both(make_cfg, tmp_path):
    """Resuming into a new run directory, or evaluating a checkpoint without its run directory, with another
    upsampler: one line naming the checkpoint's model and upsampler (recorded in it) and this run's, where
    load_state_dict raised a size-mismatch traceback."""
    from upsamplelab.eval import evaluate

    written = tmp_path / "k3"
    train(make_cfg(*AE, "upsampler=convT_k3", "trainer.max_epochs=1", run_dir=written))
    ckpt = written / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)["upsamplelab_written_by"] == \
        "ReconstructionModule with upsampler convT_k3"
    with pytest.raises(ValueError) as refused:
        train(make_cfg(*AE, "upsampler=pixel_shuffle", f"ckpt_path={ckpt}", run_dir=tmp_path / "new"))
    assert explain(refused.value) == (
        f"CheckpointMismatchError: ckpt_path={ckpt} was written by ReconstructionModule with upsampler convT_k3; "
        f"this run is ReconstructionModule with upsampler pixel_shuffle (net.decoder.2.conv.weight is [16, 8, 3, 3] "
        f"there, [32, 16, 3, 3] here): give a checkpoint of this model and upsampler, or leave ckpt_path out to "
        f"start from scratch")
    alone = tmp_path / "alone.ckpt"                       # no run directory beside it: the command line decides
    shutil.copy(ckpt, alone)
    with pytest.raises(ValueError, match=r"written by ReconstructionModule with upsampler convT_k3; this run is "
                                         r"ReconstructionModule with upsampler resize_conv_nearest \("):
        evaluate(make_cfg(f"ckpt_path={alone}", *AE[:3], "upsampler=resize_conv_nearest", config_name="eval",
                          run_dir=tmp_path / "eval"))


# Runs upsamplelab.train on a device that fills up: every write to a checkpoint's temporary file after the first
# two checkpoints (epoch 0's best and last) fails with ENOSPC once 64 KiB of it are written, as a full disk would.
FULL_DISK = """
import builtins, errno, sys
import upsamplelab.reliability.atomic as atomic

class FullDevice:
    def __init__(self, file):
        self.file, self.room = file, 64 * 1024
    def write(self, data):
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.file.write(data)
    def __getattr__(self, name):
        return getattr(self.file, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.file.close()

checkpoints = []
def open_on_a_filling_device(path, *args, **kwargs):
    file = builtins.open(path, *args, **kwargs)
    if ".ckpt." in str(path):
        checkpoints.append(path)
        if len(checkpoints) > 2:
            return FullDevice(file)
    return file

atomic.open = open_on_a_filling_device
sys.argv = ["upsamplelab.train", *sys.argv[1:]]
from upsamplelab.train import main
main()
"""


def test_a_full_disk_while_saving_a_checkpoint_ends_in_one_line_and_keeps_the_last_one(tmp_path):
    """Epoch 1's checkpoint hits a full device: "no space left on device writing <file>" in one line (exit 2),
    run.json "failed" with that line, epoch 0's last.ckpt intact and no temporary file left."""
    run = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, *CLI, "upsampler=convT_k3", "trainer.max_epochs=2",
                           f"hydra.run.dir={run}"], cwd=REPO, env=cli_env(**ONE_LINE), capture_output=True,
                          text=True, timeout=300)
    line = error_line(proc.stderr)
    assert proc.returncode == 2 and line.startswith(f"error: NoSpaceLeftError: no space left on device writing "
                                                   f"{run / 'checkpoints'}/"), proc.stderr[-3000:]
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "failed" and record["error"] == line.removeprefix("error: ")
    assert AtomicCheckpointIO().load_checkpoint(run / "checkpoints" / "last.ckpt")["epoch"] == 0
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best-epoch000.ckpt", "last.ckpt"]


def test_a_run_directory_belongs_to_one_live_process(run_cli, tmp_path):
    """A second process is refused in one line naming the first (pid, host) and changes nothing; once the first
    is gone its claim is stale and the next start takes it over."""
    run = tmp_path / "run"
    args = ("upsamplelab.train", *CLI, "upsampler=convT_k3", "trainer.max_epochs=1", f"hydra.run.dir={run}")
    with claim_run_dir(run):                                  # this process: the first, still running
        proc = run_cli(*args, env=ONE_LINE, check=False)
        assert proc.returncode == 2
        assert error_line(proc.stderr).startswith(
            f"error: RunDirBusy: {run} is in use by process {os.getpid()} on {socket.gethostname()} (started ")
        assert not (run / "run.json").exists() and not (run / "checkpoints").exists()
    gone = subprocess.run([sys.executable, "-c", "from upsamplelab.reliability.run_claim import claim_run_dir\n"
                           f"with claim_run_dir({str(run)!r}): pass"], env=cli_env(), check=True)
    assert gone.returncode == 0 and (run / "run.lock").exists()  # a claim left by a process that is gone
    run_cli(*args, env=ONE_LINE)
    assert json.loads((run / "run.json").read_text())["status"] == "completed"


def write_images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    for i in range(n):
        pixels = (torch.rand(20, 24, 3, generator=g) * 255).byte().numpy()
        Image.fromarray(pixels).save(folder / f"img{i:02d}.png")


IMAGES = ["data=image_folder", "data.image_size=16", "data.val_size=2", "data.batch_size=4", "data.num_workers=0",
          "model=autoencoder", "model.net.widths=[8,16]", "upsampler=convT_k3", "test=false",
          "trainer.accelerator=cpu", "extras.print_summary=false", "trainer.max_epochs=1"]


def test_an_unreadable_image_stops_the_run_before_training_naming_it(run_cli, tmp_path):
    folder = tmp_path / "images"
    write_images(folder, 10)
    (folder / "broken.png").write_bytes(b"not an image at all")
    run = tmp_path / "run"
    proc = run_cli("upsamplelab.train", *IMAGES, f"data.root={folder}", f"hydra.run.dir={run}", env=ONE_LINE,
                   check=False)
    assert proc.returncode == 2 and not (run / "checkpoints").exists()
    assert error_line(proc.stderr).startswith(
        f"error: CorruptFileError: image {folder / 'broken.png'} cannot be read (UnidentifiedImageError: ")
    assert error_line(proc.stderr).endswith("replace or remove it, or set data.skip_unreadable=true to leave "
                                            "unreadable images out")


def test_unreadable_images_are_left_out_with_a_warning_when_asked(tmp_path):
    folder = tmp_path / "images"
    write_images(folder, 10)
    (folder / "broken.png").write_bytes(b"not an image at all")
    dm = ImageFolderDataModule(root=str(folder), image_size=16, val_size=2, batch_size=4, num_workers=0,
                               skip_unreadable=True)
    with pytest.warns(UserWarning, match=r"left out 1 unreadable image\(s\) under .*broken.png"):
        dm.setup("fit")
    assert dm.split_size("train") + dm.split_size("val") == 10


def test_an_image_cut_short_is_named_in_one_line_from_a_dataloader_worker(tmp_path):
    """A JPEG whose header is whole but whose data ends early passes the setup check; decoding it in a DataLoader
    worker process names it, and the error re-raised in the main process explains in one line."""
    folder = tmp_path / "images"
    write_images(folder, 4)
    whole = folder / "cut.jpg"
    Image.fromarray((torch.rand(128, 128, 3) * 255).byte().numpy()).save(whole, quality=95)
    whole.write_bytes(whole.read_bytes()[:len(whole.read_bytes()) // 2])
    dm = ImageFolderDataModule(root=str(folder), image_size=16, val_size=1, batch_size=4, num_workers=1)
    dm.setup("fit")                                           # the header reads: not found here
    with pytest.raises(CorruptFileError) as raised:
        next(iter(torch.utils.data.DataLoader(dm._dataset("train"), batch_size=4, num_workers=1)))
    assert "Original Traceback" in str(raised.value)
    assert explain(raised.value).startswith(f"CorruptFileError: image {whole} cannot be read (OSError: image file "
                                            f"is truncated (") and explain(raised.value).endswith(": replace or remove it")


def test_a_reference_larger_than_the_data_warns(tmp_path, monkeypatch):
    """metrics.real_samples above the split's size: a warning saying how many images the reference really has
    (it was clamped silently)."""
    monkeypatch.setattr("upsamplelab.metrics.fidelity.load_extractor", lambda *args, **kwargs: TinyFeatures())
    dm = DigitsDataModule(data_root=str(tmp_path), limit_train=40)
    dm.setup("fit")
    quality = SampleQuality(fid_samples=8, real_samples=60_000, cache_dir=str(tmp_path / "cache"))
    sample = lambda n: torch.rand(n, 1, 32, 32) * 2 - 1                       # noqa: E731
    with pytest.warns(UserWarning, match=r"metrics.real_samples=60000 is more than the 40 images of the train split "
                                         r"of data \(digits-32px-\w+\): the FID reference uses all 40 of them"):
        quality.compute(sample, dm, torch.device("cpu"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message="FID from")
        quality.compute(sample, dm, torch.device("cpu"))       # once per run
