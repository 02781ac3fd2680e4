"""One ONNX export of each Inception network per test session (``metrics.onnx_runtime``): a session fixture points
``UPSAMPLELAB_ONNX_DIR`` at one folder, shared by pytest-xdist's workers, so that every test and every CLI run a
test starts (they inherit the environment) reuses the first export instead of exporting into its own cache folder.
Imported by ``conftest.py``."""
from __future__ import annotations

import os

import pytest

from upsamplelab.metrics.onnx_runtime import DIR_ENV


@pytest.fixture(scope="session", autouse=True)
def shared_onnx_dir(tmp_path_factory):
    """The folder every ONNX export of this test session goes to (``$UPSAMPLELAB_ONNX_DIR``)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "onnx-models"
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DIR_ENV, str(folder))
        yield folder
