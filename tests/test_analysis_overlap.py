"""The overlap heatmap command writes the K x S grid with the right verdicts."""
from __future__ import annotations

import matplotlib.image as mpimg

from upsamplelab.analysis.overlap import main, plot_overlap_grid


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
