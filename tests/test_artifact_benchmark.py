"""The artifact-metric benchmark (``upsamplelab.analysis.artifact_benchmark``): injected patterns are the overlap
counts they claim to be at the amplitude they claim, controls are what they say, and the quick command writes a
report whose numbers separate strong artifacts from clean images."""
from __future__ import annotations

import csv

import matplotlib.image as mpimg
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from upsamplelab.analysis.artifact_bench_metrics import BENCH_METRICS
from upsamplelab.analysis.artifact_benchmark import auc, blur121, main, split_sets
from upsamplelab.analysis.artifact_injection import CONTROLS, KINDS, overlap_pattern, smooth_field
from upsamplelab.ops import overlap_map


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_the_patterns_are_the_overlap_counts_of_stacked_k3s2_layers():
    one = overlap_pattern(12, 12).numpy()
    counts = overlap_map(3, 2, 16)[5:17, 5:17].astype(np.float64)              # interior, away from the border
    expected = (counts - counts.mean()) / np.sqrt(((counts - counts.mean()) ** 2).mean())
    assert sorted(np.unique(counts).tolist()) == [1, 2, 4]
    np.testing.assert_allclose(np.sort(one.ravel()), np.sort(expected.ravel()), atol=1e-12)
    two = overlap_pattern(16, 16, layers=2)
    assert torch.equal(two, two.roll(4, 0)) and torch.equal(two, two.roll(4, 1))
    assert not torch.equal(two, two.roll(2, 0))
    stripes = overlap_pattern(8, 6, axes=1)
    assert torch.equal(stripes, stripes[:, :1].expand(8, 6)) and stripes[:, 0].abs().tolist() == [1.0] * 8
    for p in (one, two.numpy(), stripes.numpy()):
        assert abs(p.mean()) < 1e-12 and np.sqrt((p ** 2).mean()) == pytest.approx(1.0)


@pytest.mark.parametrize("kind", list(KINDS))
def test_injected_artifacts_have_the_requested_rms(kind):
    images = torch.rand(6, 1, 32, 32, generator=gen(1)) * 2 - 1
    out = KINDS[kind].inject(images, 0.15, gen(2))
    rms = (out - images.double()).square().mean(dim=(1, 2, 3)).sqrt()
    std = images.double().std(dim=(1, 2, 3), unbiased=False)
    torch.testing.assert_close(rms, 0.15 * std)


def test_smooth_fields_have_unit_rms_and_mostly_change_sign():
    field = smooth_field(200, 32, 32, gen())
    torch.testing.assert_close(field.square().mean(dim=(1, 2, 3)), torch.ones(200, dtype=torch.float64))
    changes = ((field.amax(dim=(1, 2, 3)) > 0) & (field.amin(dim=(1, 2, 3)) < 0)).float().mean()
    assert changes > 0.5
    balanced = smooth_field(20, 32, 32, gen(), zero_mean=True)
    assert balanced.mean(dim=(1, 2, 3)).abs().max() < 1e-12 and field.mean(dim=(1, 2, 3)).abs().max() > 0.5


def test_controls():
    images = torch.rand(4, 1, 16, 16, generator=gen(3)) * 2 - 1
    nearest = CONTROLS["nearest_resized"](images, gen())
    torch.testing.assert_close(nearest, F.avg_pool2d(images.double(), 2).repeat_interleave(2, -1)
                               .repeat_interleave(2, -2))
    torch.testing.assert_close(CONTROLS["real"](images, gen()), images.double())
    jpeg = CONTROLS["jpeg_q75"](images, gen())
    assert jpeg.shape == images.shape and 0 < (jpeg - images).abs().mean() < 0.2
    assert torch.equal(blur121(torch.ones(1, 1, 8, 8)), torch.ones(1, 1, 8, 8, dtype=torch.float64))


def test_auc_and_sets():
    assert auc(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 1.0
    assert auc(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0])) == 0.5
    r, c, a = split_sets(torch.arange(9.0), 3, seed=0)
    assert sorted(torch.cat([r, c, a]).tolist()) == list(range(9))
    with pytest.raises(ValueError, match="--n 4 needs 12 images"):
        split_sets(torch.arange(9.0), 4, seed=0)


@pytest.mark.slow
def test_quick_benchmark_writes_report_csv_and_figure(tmp_path, capsys):
    report = main(["--quick", "--out", str(tmp_path)])
    text = report.read_text()
    assert report == tmp_path / "report.md" and "## Must hold (Fashion-MNIST)" in text
    assert mpimg.imread(tmp_path / "artifact_auc.png").shape[1] > 600
    with open(tmp_path / "artifact_metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    cases = {(r["group"], r["case"], r["amplitude"]) for r in rows}
    assert len(cases) == len(KINDS) * 4 + len(CONTROLS) + 4 and len(rows) == len(cases) * len(BENCH_METRICS)

    def row(group, case, metric, amplitude=""):
        return next(r for r in rows if (r["group"], r["case"], r["metric"], r["amplitude"])
                    == (group, case, metric, amplitude))
    for metric in ("stride_band", "phase_energy"):                 # a strong global pattern is seen by both
        assert float(row("artifact", "global", metric, "0.3")["auc"]) > 0.95
    band = row("control", "real", "stride_band")                   # real vs real: 0 inside the interval
    assert float(band["ci_low"]) < 0 < float(band["ci_high"]) and float(band["auc"]) < 0.65
    assert float(row("artifact", "sign_field", "stride_band", "0.3")["value"]) > 0.3
    assert str(report.resolve()) in capsys.readouterr().out
