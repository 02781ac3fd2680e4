"""Every committed study report is what its committed job records give: ``results.csv`` and ``summary.csv`` under
``docs/results/<study>/`` are rebuilt here from ``<study>/jobs/`` alone (the tables of ``python -m upsamplelab.report
docs/results/<study>/jobs --out docs/results/<study>``, without the figures) and must equal the committed files
byte for byte.  A change to the statistics or to the columns therefore comes with the rebuilt reports."""
from __future__ import annotations

import pytest

from conftest import REPO
from upsamplelab.report.build import DEFAULT_BASELINE, load_jobs, write_tables
from upsamplelab.report.summary import summarise

STUDIES = sorted({p.parents[2] for p in (REPO / "docs" / "results").glob("*/jobs/*/run.json")})
REPORTED = [study for study in STUDIES if (study / "summary.csv").exists()]


def test_a_committed_study_is_found():
    assert REPORTED, "no docs/results/<study>/ with jobs/ and summary.csv"


@pytest.mark.parametrize("study", REPORTED, ids=lambda p: p.name)
def test_the_committed_tables_rebuild_from_the_committed_jobs(study, tmp_path):
    write_tables(summarise(load_jobs(study / "jobs", echo=lambda _: None), DEFAULT_BASELINE), tmp_path)
    for name in ("results.csv", "summary.csv"):
        assert (tmp_path / name).read_text() == (study / name).read_text(), (
            f"{study.relative_to(REPO)}/{name} is not what its jobs/ give: rebuild it with "
            f"python -m upsamplelab.report {study.relative_to(REPO)}/jobs --out {study.relative_to(REPO)}")
