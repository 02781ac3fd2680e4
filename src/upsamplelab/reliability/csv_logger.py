"""``ResumableCSVLogger``: Lightning's CSVLogger, except that an existing ``metrics.csv`` is kept, not deleted.

Lightning's writer deletes ``<log dir>/metrics.csv`` as soon as it starts in a directory that has one, so resuming a
run in its own directory lost every row before the interruption.  This writer keeps the file and continues its
header; ``keep_rows(n)`` cuts it back to its first ``n`` rows.  ``ResumeState`` records ``data_rows()`` in every
checkpoint and calls ``keep_rows`` when training starts: a resumed run continues from exactly the rows its checkpoint
had seen (the rows a killed run wrote after that checkpoint are dropped and written again), a fresh run starts an
empty file.  Every epoch therefore appears exactly once.  (Without ``ResumeState``, e.g. ``callbacks=none``, nothing
cuts the file: a new run in a used directory appends to the old rows.)

Rewrites (``keep_rows``, a header that grows) go through a temporary file and ``os.replace``; a row half-appended
when the run was killed lies past the checkpoint's rows and is cut.
"""
from __future__ import annotations

import csv
from pathlib import Path

from lightning_fabric.loggers.logger import rank_zero_experiment
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter

from .atomic import atomic_write


class AppendingExperimentWriter(ExperimentWriter):
    """Appends to an existing ``metrics.csv`` (local paths) instead of replacing it."""

    def __init__(self, log_dir: str) -> None:
        super().__init__(log_dir=log_dir)
        self.metrics_keys = self._read()[0]

    def _check_log_dir_exists(self) -> None:
        """Keep what the directory holds (Lightning's writer deletes metrics.csv here)."""

    def _read(self) -> tuple[list[str], list[list[str]]]:
        """(header, data rows) of metrics.csv; ([], []) when there is none."""
        path = Path(self.metrics_file_path)
        if not path.is_file():
            return [], []
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
        return (rows[0], rows[1:]) if rows else ([], [])

    def data_rows(self) -> int:
        """Rows in metrics.csv once the buffered metrics are written."""
        self.save()
        return len(self._read()[1])

    def keep_rows(self, n: int) -> None:
        """Cut metrics.csv back to its header and first ``n`` rows; no file when ``n`` is 0."""
        self.metrics = []
        header, rows = self._read()
        if n == 0:
            Path(self.metrics_file_path).unlink(missing_ok=True)
            self.metrics_keys = []
        elif len(rows) > n:
            self._replace([header] + rows[:n])

    def _rewrite_with_new_header(self, fieldnames: list[str]) -> None:
        """Lightning's rewrite when new metric names appear, made atomic: a kill meanwhile loses no rows."""
        header, rows = self._read()
        column = {name: i for i, name in enumerate(header)}
        self._replace([fieldnames] + [[row[column[k]] if k in column else "" for k in fieldnames] for row in rows])

    def _replace(self, rows: list[list[str]]) -> None:
        atomic_write(self.metrics_file_path, lambda f: csv.writer(f).writerows(rows))


class ResumableCSVLogger(CSVLogger):
    """``CSVLogger`` whose writer is an ``AppendingExperimentWriter`` (same arguments)."""

    @property
    @rank_zero_experiment
    def experiment(self) -> AppendingExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = AppendingExperimentWriter(log_dir=self.log_dir)
        return self._experiment
