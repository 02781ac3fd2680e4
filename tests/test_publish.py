"""Publishing a sweep's records: finished jobs copied without checkpoints, the first start's config kept,
unfinished jobs left out, nothing copied twice."""
from __future__ import annotations

import json
from pathlib import Path

from upsamplelab.report.publish import publish


def make_job(sweep: Path, name: str, status: str) -> Path:
    job = sweep / name
    (job / ".hydra" / "recorded").mkdir(parents=True)
    (job / ".hydra" / "config.yaml").write_text("seed: 9\n")              # as a relaunch rewrote it
    (job / ".hydra" / "recorded" / "config.yaml").write_text("seed: 0\n")  # the first start's
    (job / ".hydra" / "overrides.yaml").write_text("- seed=0\n")
    (job / "run.json").write_text(json.dumps({"status": status}))
    (job / "metrics.csv").write_text("epoch,val/fid\n0,100\n")
    (job / "checkpoints").mkdir()
    (job / "checkpoints" / "last.ckpt").write_bytes(b"weights")
    (job / "samples").mkdir()
    for epoch in (0, 1):
        (job / "samples" / f"epoch_{epoch:03d}.png").write_bytes(b"png")
    return job


def test_publish_copies_finished_jobs_records_once(tmp_path):
    sweep, dest = tmp_path / "sweep", tmp_path / "dest"
    make_job(sweep, "seed=0", "completed")
    make_job(sweep, "seed=1", "running")
    make_job(sweep, "seed=2", "failed")
    assert publish(sweep, dest) == ["seed=0", "seed=2"]
    files = sorted(p.relative_to(dest / "seed=0").as_posix() for p in (dest / "seed=0").rglob("*") if p.is_file())
    assert files == [".hydra/config.yaml", ".hydra/overrides.yaml", "metrics.csv", "run.json",
                     "samples/epoch_001.png"]
    assert (dest / "seed=0" / ".hydra" / "config.yaml").read_text() == "seed: 0\n"
    assert not (dest / "seed=1").exists()
    assert publish(sweep, dest) == []                                       # nothing new
    (sweep / "seed=1" / "run.json").write_text(json.dumps({"status": "completed"}))
    assert publish(sweep, dest) == ["seed=1"]
