"""The final evaluation of a GAN run: FID at subsets and FID∞ (Chong & Forsyth 2020) checked against exact values,
and through ``upsamplelab.train``: the chosen checkpoint, final.json and final/* in metrics.csv agreeing."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch_fidelity import KEY_METRIC_FID
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

from conftest import column, read_metrics
from upsamplelab.metrics.fid_infinity import fid_counts, fid_infinity
from upsamplelab.metrics.fidelity import fid_at_counts
from upsamplelab.train import train

GAN = ["model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8"]


def test_fid_infinity_recovers_the_intercept_of_a_line_in_one_over_n():
    counts = fid_counts(2000)
    assert counts == [500, 875, 1250, 1625, 2000]
    fids = [12.5 + 3000.0 / n for n in counts]
    assert fid_infinity(counts, fids) == pytest.approx((12.5, 3000.0))


@pytest.mark.parametrize("n, points", [(4, 5), (100, 1)])
def test_fid_counts_refuses_too_few(n, points):
    with pytest.raises(ValueError, match="FID∞ needs n >= 8"):
        fid_counts(n, points)


def test_fid_at_counts_uses_subsets_and_the_whole_set_gives_the_plain_fid():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(400, 6, generator=g), torch.randn(200, 6, generator=g) * 1.3 + 0.2
    stats = {k: v for k, v in fid_features_to_statistics(real).items()}
    whole = fid_statistics_to_metric(fid_features_to_statistics(fake), stats, verbose=False)[KEY_METRIC_FID]
    out = fid_at_counts(fake, stats, [50, 100, 200])
    assert out["fid_at"][200] == pytest.approx(whole, rel=1e-6)               # float32 features, permuted
    assert out["fid_at"][50] > out["fid_at"][200]                 # the small-sample bias FID∞ removes
    slope_fit = np.polyfit([1 / 50, 1 / 100, 1 / 200], [out["fid_at"][n] for n in (50, 100, 200)], 1)
    assert out["fid_inf"] == pytest.approx(slope_fit[1]) and out["fid_inf"] < whole
    with pytest.raises(ValueError, match="exceed the 200 generated images"):
        fid_at_counts(fake, stats, [300])


def test_final_evaluation_scores_the_last_checkpoint_and_records_it(make_cfg, tmp_path):
    cfg = make_cfg(*GAN, "upsampler=convT_k3", "trainer.max_epochs=2", "metrics.final_samples=48",
                   "test_ckpt=last")
    train(cfg)
    final = json.loads((tmp_path / "final.json").read_text())
    assert final["epoch"] == 2 and final["num_fake"] == 48                        # after the last epoch
    assert sorted(map(int, final["fid_at"])) == fid_counts(48) and final["fid_at"][str(48)] == pytest.approx(
        final["fid"], rel=1e-6)
    rows = read_metrics(tmp_path)
    assert column(rows, "final/fid") == pytest.approx([final["fid"]], rel=1e-5)
    assert column(rows, "final/fid_inf") == pytest.approx([final["fid_inf"]], rel=1e-5)
    assert len(column(rows, "final/stride_band_excess")) == 1 and len(column(rows, "final/stride_peak_excess")) == 1


def test_test_ckpt_is_checked_before_training(make_cfg, tmp_path):
    with pytest.raises(ValueError, match=r"test_ckpt must be one of \['best', 'last'\], got 'newest'"):
        train(make_cfg(*GAN, "test_ckpt=newest"))
    assert not (tmp_path / "metrics.csv").exists()


def test_a_smoke_run_scores_a_handful_of_images(make_cfg, tmp_path):
    from upsamplelab.lightning.sample_quality import SMOKE_SAMPLES
    train(make_cfg(*GAN, "trainer.fast_dev_run=true", "metrics.final_samples=500", "metrics.real_samples=1000"))
    record = json.loads((tmp_path / "fidelity.jsonl").read_text().splitlines()[0])
    final = json.loads((tmp_path / "final.json").read_text())
    assert record["num_fake"] == record["num_real"] == final["num_fake"] == SMOKE_SAMPLES
