"""``upsamplelab.rescore``: a study's runs scored again from their last checkpoints reproduce what they logged, carry
the metrics logged today, read as a study by the report, and a second call skips what is done."""
from __future__ import annotations

import json

import pytest

from conftest import read_metrics
from hydra_files import save_hydra_files
from upsamplelab.report.aggregate import summarise
from upsamplelab.report.build import load_jobs
from upsamplelab.rescore import main as rescore_main
from upsamplelab.rescore import rescore
from upsamplelab.train import train

UNET = ["model=unet", "data=shapes", "model.net.base_width=4", "data.image_size=32", "data.num_samples=96",
        "trainer.max_epochs=2"]


@pytest.fixture
def sweep(make_cfg, tmp_path):
    """Two U-Net runs on the shapes (the baseline and one more upsampler), as a multirun directory holds them."""
    root = tmp_path / "sweep"
    root.mkdir()
    for upsampler in ("convT_k2", "resize_conv_nearest"):
        run_dir = tmp_path / upsampler
        cfg = make_cfg(*UNET, f"upsampler={upsampler}", run_dir=run_dir)
        train(cfg)
        save_hydra_files(cfg, run_dir)
        run_dir.rename(root / f"data=shapes,upsampler={upsampler}")         # named as Hydra names sweep jobs
    return root


def test_rescored_runs_reproduce_their_metrics_and_read_as_a_study(sweep, tmp_path, capsys):
    out = tmp_path / "rescored"
    done = rescore(sweep, out, echo=lambda _: None)
    assert [d.name for d in done] == [f"data=shapes,upsampler={u}" for u in ("convT_k2", "resize_conv_nearest")]
    for run in done:
        logged = [r for r in read_metrics(sweep / run.name) if r.get("val/miou")][-1]
        val, test = read_metrics(run)
        assert val["epoch"] == test["epoch"] == "1" and not val["test/miou"] and not test["val/miou"]
        for name in ("miou", "dice", "boundary_f1", "boundary_iou", "fg_iou", "fg_boundary_f1"):
            assert float(val[f"val/{name}"]) == pytest.approx(float(logged[f"val/{name}"]), abs=1e-6)
            assert 0 <= float(test[f"test/{name}"]) <= 1
        assert json.loads((run / "run.json").read_text()) == json.loads((sweep / run.name / "run.json").read_text())
        assert sorted(p.name for p in run.iterdir()) == [".hydra", "metrics.csv", "predictions", "run.json"]
        assert [p.name for p in (run / "predictions").iterdir()] == ["epoch_001.png"]
    (summary,) = summarise(load_jobs(out, echo=lambda _: None), "convT_k2")
    assert [f.metric for f in summary.families][-2:] == ["fg_iou", "fg_boundary_f1"]

    (out / "data=shapes,upsampler=convT_k2" / "metrics.csv").write_text("kept\n")    # done: not scored again
    rescore_main([str(sweep), str(out)])
    assert "data=shapes,upsampler=convT_k2: already scored" in capsys.readouterr().out
    assert (out / "data=shapes,upsampler=convT_k2" / "metrics.csv").read_text() == "kept\n"


def test_a_folder_without_checkpoints_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        rescore_main([str(tmp_path), str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert f"no run under {tmp_path} holds checkpoints/last.ckpt" in capsys.readouterr().err
