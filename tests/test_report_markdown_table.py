"""The report's options for the comparisons: ``--markdown-table`` prints a results page's tables (means sorted best
first, the comparisons with their verdicts) from the committed version-2 jobs and writes nothing; a ``results.csv``
as input gives the same comparisons as the jobs; ``--margin`` sets an equivalence margin; bad options stop with one
line naming the option and what is allowed (argparse: exit status 2), before any job is read."""
from __future__ import annotations

import pytest

from committed_studies import REPORTED, RESULTS, assert_same_table, read_rows
from upsamplelab.report.cli import run as report_cli

V2 = RESULTS / "odena_fashion_mnist_v2"


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines()
            if line.startswith(f"| {first_cell}")]


def test_markdown_table_prints_the_page_tables_and_writes_nothing(capsys):
    before = {p: p.stat().st_mtime_ns for p in V2.rglob("*")}
    assert report_cli([str(V2 / "jobs"), "--markdown-table", "--metric", "fid", "--margin", "fid=2"]) is None
    out = capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in V2.rglob("*")} == before
    assert "| upsampler | n | FID, final eval. | FID, final |" in out                  # final evaluation first
    means = table_rows(out, "`")
    committed = {r["upsampler"]: float(r["fid_final_eval_mean"]) for r in read_rows(V2 / "summary.csv")}
    assert [r[0].strip("`") for r in means] == sorted(committed, key=committed.get)   # lowest FID first
    compared = table_rows(out, "FID, final")
    assert len(compared) == 14 and {r[8] for r in compared} == {"±2"}                 # 7 upsamplers x 2 kinds
    nearest = next(r for r in compared if r[:2] == ["FID, final eval.", "`resize_conv_nearest`"])
    row = next(r for r in read_rows(V2 / "comparisons.csv")
               if (r["kind"], r["metric"], r["upsampler"]) == ("final_eval", "fid", "resize_conv_nearest"))
    assert nearest[2] == f"{float(row['difference']):.4g}" and nearest[7] == row["seeds_needed80"]
    verdict = row["verdict"] if row["verdict"] != "undecided" else (
        f"undecided at {row['n']} vs {row['n_baseline']} ({row['seeds_needed80']} seeds per arm")
    assert nearest[10].startswith(verdict)
    assert "stride" not in out


def test_a_results_csv_gives_the_comparisons_of_the_jobs(tmp_path, capsys):
    path = report_cli([str(V2 / "results.csv"), "--out", str(tmp_path)])
    assert path == tmp_path / "comparisons.csv" and capsys.readouterr().out.strip() == str(path)
    assert_same_table(path, V2 / "comparisons.csv", "python -m upsamplelab.report <study>/results.csv")
    report_cli([str(V2 / "results.csv"), "--markdown-table", "--metric", "stride_peak_excess"])
    out = capsys.readouterr().out
    assert len(table_rows(out, "stride-peak excess, final eval.")) == 7 and "±0.01" in out


@pytest.mark.parametrize("study", REPORTED, ids=lambda p: p.name)
def test_a_results_csv_is_compared_against_the_baseline_its_summary_names(study, tmp_path, capsys):
    """Without --baseline, a results.csv is compared against the baseline of the summary.csv beside it (the U-Net
    study's convT_k2, not the default convT_k3), as its jobs were."""
    path = report_cli([str(study / "results.csv"), "--out", str(tmp_path)])
    capsys.readouterr()
    assert_same_table(path, study / "comparisons.csv", f"python -m upsamplelab.report {study.name}/results.csv")
    baselines = {r["baseline"] for r in read_rows(study / "comparisons.csv")}
    assert baselines == {r["baseline"] for r in read_rows(study / "summary.csv")} - {""}


def test_a_summary_that_names_two_baselines_is_refused(tmp_path, capsys):
    (tmp_path / "results.csv").write_text((V2 / "results.csv").read_text())
    (tmp_path / "summary.csv").write_text("task,upsampler,baseline\ngan,a,convT_k3\ngan,b,convT_k2\n")
    with pytest.raises(SystemExit) as stopped:
        report_cli([str(tmp_path / "results.csv")])
    assert stopped.value.code == 2
    assert "names different baselines (convT_k2, convT_k3): choose one with --baseline" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (["--margin", "fid"], "--margin fid: the value must be a positive number"),
    (["--margin", "fid=0"], "--margin fid=0: the value must be a positive number"),
    (["--margin", "fid=two"], "--margin fid=two: the value must be a positive number"),
    (["--margin", "fdi=2"], "--margin fdi=2: unknown metric 'fdi' (allowed: fid, fid_inf,"),
    (["--markdown-table", "--metric", "fdi"], "--metric fdi: unknown metric (allowed: fid, fid_inf,"),
    (["--metric", "fid"], "--metric chooses the rows of --markdown-table: give both"),
])
def test_bad_options_stop_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        report_cli([str(V2 / "jobs"), *args])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("upsamplelab-report: error: --")


def test_a_csv_that_is_not_a_results_csv_is_refused(tmp_path, capsys):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(SystemExit) as stopped:
        report_cli([str(other)])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "is not a results.csv of upsamplelab.report (no task, upsampler, variant, counted)" in err
