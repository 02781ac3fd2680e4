"""Every committed study report is what its committed records give: ``results.csv``, ``summary.csv`` and
``comparisons.csv`` under ``docs/results/<study>/`` are rebuilt here from ``<study>/jobs/`` alone (the tables of
``python -m upsamplelab.report docs/results/<study>/jobs --out docs/results/<study>``, without the figures), and the
``comparisons.csv`` of a study whose job records were not kept from its ``results.csv`` (``python -m
upsamplelab.report docs/results/<study>/results.csv``).  They must hold the same text and the same numbers, to a
relative 1e-12 (the last digits of a float may differ between NumPy/SciPy builds and CPUs).  A change to the
statistics or to the columns therefore comes with the rebuilt reports."""
from __future__ import annotations

import pytest

from committed_studies import FROM_RESULTS, REPORTED, assert_same_table, same_cell
from conftest import REPO
from upsamplelab.report.baseline import DEFAULT_BASELINE, study_baseline
from upsamplelab.report.build import COMPARISONS_CSV, load_jobs, write_tables
from upsamplelab.report.from_results import families_from_results
from upsamplelab.report.results_csv import comparison_rows, write_csv
from upsamplelab.report.aggregate import summarise

def test_a_committed_study_is_found():
    assert REPORTED, "no docs/results/<study>/ with jobs/ and summary.csv"


@pytest.mark.parametrize("study", REPORTED, ids=lambda p: p.name)
def test_the_committed_tables_rebuild_from_the_committed_jobs(study, tmp_path):
    jobs = load_jobs(study / "jobs", echo=lambda _: None)
    baseline = study_baseline(jobs)
    summaries = summarise(jobs, baseline)
    write_tables(summaries, tmp_path)
    command = (f"python -m upsamplelab.report {study.relative_to(REPO)}/jobs --out {study.relative_to(REPO)}")
    for name in ("results.csv", "summary.csv", COMPARISONS_CSV):
        assert_same_table(tmp_path / name, study / name, command)
    from_results = comparison_rows(families_from_results(study / "results.csv", baseline, {}))
    assert repr(from_results) == repr(comparison_rows([f for s in summaries for f in s.families]))


@pytest.mark.parametrize("study", FROM_RESULTS, ids=lambda p: p.name)
def test_committed_comparisons_rebuild_from_the_committed_results(study, tmp_path):
    write_csv(comparison_rows(families_from_results(study / "results.csv", DEFAULT_BASELINE, {})),
              tmp_path / COMPARISONS_CSV)
    assert_same_table(tmp_path / COMPARISONS_CSV, study / COMPARISONS_CSV,
                      f"python -m upsamplelab.report {study.relative_to(REPO)}/results.csv")


def test_cells_compare_as_numbers_to_a_relative_1e_12_and_as_text_exactly():
    assert same_cell("0.1", "0.10000000000000002") and not same_cell("0.1", "0.100000000001")
    assert same_cell("nan", "nan") and same_cell("inf", "inf") and same_cell("3", "3.0")
    assert same_cell("undecided", "undecided") and not same_cell("different", "undecided")
    assert not same_cell("", "0") and same_cell("", "")
