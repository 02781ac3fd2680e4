"""The overlap heatmap command writes the K x S grid, and per-upsampler panels, with the right verdicts."""
from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest

from upsamplelab.analysis.overlap import (
    main,
    plot_overlap_grid,
    plot_upsampler_overlaps,
    transposed_conv_upsamplers,
    upsampler_overlap,
)


def test_panel_titles_carry_the_verdict():
    fig = plot_overlap_grid([2, 3, 4], [1, 2, 3], input_size=4)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 9
    assert titles[4] == "K=3, S=2\ncheckerboard (K % S ≠ 0)"
    assert titles[7] == "K=4, S=2\ncheckerboard-free"
    assert sum("checkerboard-free" in t for t in titles) == 6      # K % S == 0 for 6 of the 9 pairs


def test_command_writes_png(tmp_path, capsys):
    out = main(["--out", str(tmp_path / "fig.png"), "--input-size", "3"])
    image = mpimg.imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert str(out.resolve()) in capsys.readouterr().out


def test_fixed_filters_even_out_the_k3_overlap():
    """convT_k3's 1-2-4 interior becomes 9 everywhere after StyleGAN2's [1, 3, 3, 1] filter or the zero-order hold:
    the filter's phases each sum to the same weight (3 taps per axis, as a 3 x 3 resize-conv has)."""
    k3 = upsampler_overlap("convT_k3", 4)[2:-2, 2:-2]
    assert sorted(np.unique(k3)) == [1, 2, 4]
    for name in ("convT_k3_fir", "convT_k3_zoh"):
        np.testing.assert_allclose(upsampler_overlap(name, 4)[2:-2, 2:-2], 9.0, rtol=0, atol=1e-12)
    assert upsampler_overlap("resize_conv_nearest", 4) is None
    assert transposed_conv_upsamplers() == ["convT_k3", "convT_k4", "convT_k2", "bilinear_convT", "convT_k3_fir",
                                            "convT_k3_zoh", "convT_k4_bau_residual"]
    # K4/S2's even 4 taps, plus 1 from the residual branch (bilinear additive upsampling of the ones, 1 -> 1 channel)
    np.testing.assert_allclose(upsampler_overlap("convT_k4_bau_residual", 4)[2:-2, 2:-2], 5.0, rtol=0, atol=1e-12)


def test_upsampler_panels_carry_the_verdict(tmp_path):
    out = main(["--upsamplers", "convT_k3", "convT_k3_fir", "--out", str(tmp_path / "up.png")])
    assert mpimg.imread(out).shape[1] > 300
    fig = plot_upsampler_overlaps(["convT_k3", "convT_k3_fir", "convT_k3_zoh"], input_size=4)
    assert [ax.get_title() for ax in fig.axes] == ["convT_k3\nuneven overlap (checkerboard)",
                                                   "convT_k3_fir\neven overlap", "convT_k3_zoh\neven overlap"]


def test_upsamplers_without_a_transposed_conv_are_refused(capsys):
    with pytest.raises(SystemExit):
        main(["--upsamplers", "carafe"])
    assert "--upsamplers: carafe hold no transposed conv; allowed: convT_k3" in capsys.readouterr().err


def test_report_overlap_figure_takes_the_sweeps_transposed_convs_with_their_filters(tmp_path):
    from upsamplelab.report.fig_overlap import plot_overlap, transposed_conv_upsamplers_of
    names = ["resize_conv_nearest", "convT_k3_fir", "pixel_shuffle", "convT_k4", "not_registered"]
    assert transposed_conv_upsamplers_of(names) == ["convT_k3_fir", "convT_k4"]
    path, notes = plot_overlap(names, tmp_path / "overlap.png")
    assert path.stat().st_size > 0 and notes[0].startswith("transposed convolutions in this sweep: convT_k3_fir, convT_k4")
