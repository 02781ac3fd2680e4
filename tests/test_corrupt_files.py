"""Damaged files are found before they are used: a truncated or corrupted FID reference cache is rebuilt (with a
warning), a checkpoint that is truncated or has corrupted tensor bytes is refused in one line naming it."""
from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
import torch

from conftest import TinyFeatures, read_metrics
from hydra_files import save_hydra_files
from test_reliability import AE, GAN
from upsamplelab.metrics.fidelity import fidelity_metrics, reference_cache_path
from upsamplelab.reliability import AtomicCheckpointIO, CorruptFileError
from upsamplelab.reliability.file_integrity import check_archive
from upsamplelab.train import train

pytestmark = pytest.mark.usefixtures("one_thread")

SHORT = ["test=false", "trainer.limit_train_batches=4", "trainer.limit_val_batches=2", "trainer.max_epochs=1"]


def member_data_offset(path: Path, member: str) -> tuple[int, int]:
    """(offset of the bytes of ``member`` in the zip file ``path``, their length): after its local file header
    (30 bytes, then the name and the extra field, whose lengths are at bytes 26-29)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", f.read(4))
    return info.header_offset + 30 + name_len + extra_len, info.file_size


def first_tensor_member(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return next(name for name in archive.namelist() if "/data/" in name and "/.data/" not in name)


def corrupt_tensor_bytes(path: Path) -> None:
    """Overwrite 4 bytes in the middle of the first tensor's bytes with 0xFF (a float32 NaN); size unchanged."""
    offset, size = member_data_offset(path, first_tensor_member(path))
    data = bytearray(path.read_bytes())
    middle = offset + size // 2 // 4 * 4
    data[middle:middle + 4] = b"\xff" * 4
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


DAMAGE = {"truncated": truncate, "corrupted tensor bytes": corrupt_tensor_bytes}


# ---- check_archive -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", DAMAGE)
def test_check_archive_finds_damage_that_torch_load_does_not(tmp_path, damage):
    path = tmp_path / "weights.pt"
    torch.save({"w": torch.arange(1000, dtype=torch.float32)}, path)
    check_archive(path)                                                  # intact: passes
    DAMAGE[damage](path)
    if damage == "corrupted tensor bytes":                               # what torch.load alone would give
        assert torch.isnan(torch.load(path, weights_only=True)["w"]).sum() == 1
    with pytest.raises(CorruptFileError, match=f"^checkpoint {path} is corrupt") as err:
        check_archive(path, "checkpoint")
    assert "\n" not in str(err.value)
    if damage == "corrupted tensor bytes":
        assert "checksum mismatch in member 'weights/data/0'" in str(err.value)


def test_check_archive_accepts_an_archive_saved_without_checksums(tmp_path):
    """``torch.serialization.set_crc32_options(False)`` stores 0 as every member's CRC-32: nothing to check."""
    path = tmp_path / "no-crc.pt"
    torch.serialization.set_crc32_options(False)
    try:
        torch.save({"w": torch.ones(10)}, path)
    finally:
        torch.serialization.set_crc32_options(True)
    check_archive(path)


# ---- FID reference cache -------------------------------------------------------------------------------------------
def blobs(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 1, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("damage", [*DAMAGE, "another reference"])
def test_a_damaged_reference_cache_is_rebuilt_with_a_warning(tmp_path, damage):
    """The reference features are extracted again (the ``real`` callable is called), the result equals the one
    from a good cache, and the cache file is replaced by a good one."""
    fake, calls = blobs(40, 1), []

    def real():
        calls.append(1)
        return blobs(60, 2)

    def metrics():
        return fidelity_metrics(fake, real, real_key="blobs-60", cache_dir=tmp_path, extractor=TinyFeatures())

    good = metrics()
    path = reference_cache_path(tmp_path, "blobs-60", "TinyFeatures")
    if damage == "another reference":                                    # a file under the wrong name
        torch.save(torch.load(path, weights_only=True) | {"key": "blobs-61"}, path)
    else:
        DAMAGE[damage](path)
    with pytest.warns(UserWarning, match=f"FID reference cache {path} is unusable") as warned:
        again = metrics()
    assert again == good and len(calls) == 2
    assert "extracting the reference features again" in str(warned[0].message)
    check_archive(path)
    assert torch.load(path, weights_only=True)["key"] == "blobs-60"
    assert metrics() == good and len(calls) == 2                         # the rebuilt cache is used


def test_training_with_a_truncated_shared_cache_rebuilds_it(make_cfg, tmp_path):
    """Two GAN runs share a reference cache; the second finds it truncated, warns, rebuilds it and trains on: the
    same FID as the first, and a good cache file."""
    cache = tmp_path / "shared-cache"
    train(make_cfg(*GAN, *SHORT, f"metrics.cache_dir={cache}", run_dir=tmp_path / "first"))
    [path] = cache.iterdir()
    truncate(path)
    with pytest.warns(UserWarning, match="is unusable"):
        train(make_cfg(*GAN, *SHORT, f"metrics.cache_dir={cache}", run_dir=tmp_path / "second"))
    fids = [[r["val/fid"] for r in read_metrics(tmp_path / run) if r.get("val/fid")] for run in ("first", "second")]
    assert fids[0] == fids[1] and len(fids[0]) == 1
    check_archive(path)


# ---- checkpoints ---------------------------------------------------------------------------------------------------
@pytest.fixture
def trained_run(make_cfg, tmp_path) -> Path:
    """A one-epoch autoencoder run, its Hydra files as the CLI writes them (for eval); its checkpoints/last.ckpt
    loads."""
    cfg = make_cfg(*AE, *SHORT)
    train(cfg)
    save_hydra_files(cfg, tmp_path)
    AtomicCheckpointIO().load_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    return tmp_path


def test_a_checkpoint_with_corrupted_tensor_bytes_is_refused_on_load(trained_run):
    last = trained_run / "checkpoints" / "last.ckpt"
    corrupt_tensor_bytes(last)
    with pytest.raises(CorruptFileError, match=f"^checkpoint {last} is corrupt .checksum mismatch in member"):
        AtomicCheckpointIO().load_checkpoint(last)


@pytest.mark.parametrize("damage", DAMAGE)
def test_resume_from_a_damaged_last_ckpt_fails_in_one_line(run_cli, trained_run, damage):
    """``ckpt_path=last`` on a truncated or corrupted last.ckpt: exit 2 and one line naming the file, no
    traceback (it was 50 lines); the record of the completed run it tried to resume is kept."""
    last = trained_run / "checkpoints" / "last.ckpt"
    DAMAGE[damage](last)
    proc = run_cli("upsamplelab.train", *AE, *SHORT, "trainer.max_epochs=2", "trainer.accelerator=cpu",
                   "extras.print_summary=false", "ckpt_path=last", f"hydra.run.dir={trained_run}", check=False,
                   env={"HYDRA_FULL_ERROR": "0"})
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-2:] == [              # the line, then the hint; before: Lightning's info
        f"error: CorruptFileError: checkpoint {last} is corrupt ("
        + ("not a complete torch.save archive" if damage == "truncated" else
           f"checksum mismatch in member '{first_tensor_member(last)}'")
        + "): it is truncated or its bytes changed after it was saved; delete it (or restore a good copy)",
        "(set HYDRA_FULL_ERROR=1 for the traceback)"]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert json.loads((trained_run / "run.json").read_text())["status"] == "completed"


def test_eval_refuses_a_checkpoint_with_corrupted_tensor_bytes(run_cli, trained_run):
    """Before: it evaluated the NaN weights and exited 0."""
    last = trained_run / "checkpoints" / "last.ckpt"
    corrupt_tensor_bytes(last)
    proc = run_cli("upsamplelab.eval", f"ckpt_path={last}", "trainer.accelerator=cpu",
                   f"hydra.run.dir={trained_run / 'eval'}", check=False, env={"HYDRA_FULL_ERROR": "0"})
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-2].startswith(f"error: CorruptFileError: checkpoint {last} is corrupt "
                                                           "(checksum mismatch")
    assert "Traceback" not in proc.stdout + proc.stderr
