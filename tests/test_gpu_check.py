"""The GPU check (scripts/gpu_check.sh): its dry run passes here on the CPU and writes the summary, a failing or hung
step is recorded and the next one runs, the summary reads pytest's and the benchmark's outputs, and the carried
Fashion-MNIST copy is read through FASHION_MNIST_DIR."""
from __future__ import annotations

import gzip
import importlib.util
import json
import math
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO
from upsamplelab.data import fashion_mnist
from upsamplelab.gpu_check import check_result
from upsamplelab.gpu_check.runner import run_step
from upsamplelab.gpu_check.steps import DRY_RUN_BUDGET_FACTOR, TOTAL_BUDGET_S, Step, plan

HANG_GUARD_S = 600                  # a dry run that has not ended by then is hung (it takes 1-3 minutes here)


def write_idx_gz(path: Path, magic: int, array: np.ndarray) -> None:
    """An IDX file (LeCun's MNIST format): big-endian magic, dimensions, then the uint8 payload; gzipped."""
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_fashion_mnist_dir_comes_from_the_environment(tmp_path, monkeypatch):
    """A fresh copy of the module, imported with FASHION_MNIST_DIR set, reads the IDX files there."""
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    write_idx_gz(tmp_path / "train-images-idx3-ubyte.gz", 0x803, images)
    write_idx_gz(tmp_path / "train-labels-idx1-ubyte.gz", 0x801, np.array([7, 3]))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location("upsamplelab.data._fashion_mnist_env", fashion_mnist.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x, y = module.load_fashion_mnist("train", str(tmp_path / "unused"), download=False)
    assert module.FASHION_MNIST_DIR == tmp_path and module.fashion_mnist_source() == "debian"
    assert torch.equal(x, torch.from_numpy(images.astype(np.uint8))) and y.tolist() == [7, 3]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def test_a_failed_or_hung_step_is_recorded_and_the_next_one_runs(tmp_path):
    """Exit 3: "failed" with its output; past its budget: "timed out", with the children it started ended too;
    then a passing step runs and its output file is recorded."""
    hang = ("import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', 'import time; "
            "time.sleep(60)']); print(child.pid, flush=True); time.sleep(60)")
    steps = [Step("fails", "exits 3", 30, ("-c", "import sys; print('boom'); sys.exit(3)")),
             Step("hangs", "sleeps past its budget", 2, ("-c", hang)),
             Step("passes", "writes its output", 30, ("-c", "open('out.json', 'w').write('{}')"), "out.json")]
    failed, hung, passed = (run_step(step, tmp_path) for step in steps)
    assert (failed["status"], failed["returncode"]) == ("failed", 3) and "boom" in failed["log_tail"]
    assert hung["status"] == "timed out" and 2 <= hung["seconds"] < 60            # stopped, not slept to the end
    child = int((tmp_path / hung["log"]).read_text().split()[0])
    deadline = time.monotonic() + 30                                              # ends at once unless broken
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)
    assert passed["status"] == "passed" and passed["output"] == "out.json" and "log_tail" not in passed


def test_the_plan_fits_the_window_and_the_dry_run_runs_the_same_steps():
    gpu, dry = plan(dry_run=False), plan(dry_run=True)
    assert sum(s.budget_s for s in gpu) == TOTAL_BUDGET_S <= 8 * 60
    assert [s.name for s in dry] == [s.name for s in gpu]
    assert [s.budget_s for s in dry] == [s.budget_s * DRY_RUN_BUDGET_FACTOR for s in gpu]      # a CPU under load
    assert [s.name for s in dry if s.skip] == ["bench_compile"] and not any(s.skip for s in gpu)
    assert all("cuda" not in s.args for s in dry) and all("cuda" in s.args for s in gpu if s.name.startswith("bench"))


def test_summary_reads_the_test_report_and_the_benchmarks(tmp_path):
    """Counts and messages from pytest's JUnit XML; the bench table joins float32, bf16 and compiled rows and
    divides compiled by eager throughput in the memory format the compiled run used."""
    (tmp_path / "gpu_tests.xml").write_text(
        '<testsuites><testsuite><testcase name="a" time="1.5"/><testcase name="b" time="2">'
        '<failure message="assert 1 == 2">trace</failure></testcase><testcase name="c" time="0">'
        '<skipped message="needs a CUDA GPU"/></testcase></testsuite></testsuites>')
    row = {"family": "dcgan32", "upsampler": "convT_k4", "raw_nchw_images_per_s": 1000.0,
           "raw_channels_last_images_per_s": 1500.0, "channels_last": True, "overhead": 0.02}
    for name, extra in (("bench_fp32", {}), ("bench_bf16", {"raw_nchw_images_per_s": 2000.0}),
                        ("bench_compile", {"compiled_images_per_s": 3000.0})):
        (tmp_path / f"{name}.json").write_text(json.dumps(
            {"device": "cuda", "precision": "32", "models": [row | extra],
             "families": [{"family": "dcgan32", "sampling_images_per_s": 9e4}]}))
    records = [{"name": n, "what": n, "budget_s": 10, "status": "passed", "seconds": 1.0, "output": f"{n}.{ext}"}
               for n, ext in (("gpu_tests", "xml"), ("bench_fp32", "json"), ("bench_bf16", "json"),
                              ("bench_compile", "json"))]
    result = check_result.collect(tmp_path, records, dry_run=False, wall_s=4.0, wheels=[])
    tests = result["gpu_tests"]
    assert (tests["tests"], tests["passed"], tests["failed"], tests["skipped"]) == (3, 1, 1, 1)
    assert tests["cases"][1]["message"] == "assert 1 == 2" and result["passed"]
    assert result["bench"]["bench_fp32"]["rows"][0]["sampling_images_per_s"] == 9e4
    table = check_result.markdown(result)
    assert "| dcgan32 | `convT_k4` | 1,000 | 1,500 | 2,000 | 1,500 | +2.0% | +2.0% | 3,000 | 2.00 |" in table
    assert "1 passed, 1 failed, 1 skipped" in table


def probe_wheel(folder: Path) -> str:
    """A minimal pure-Python wheel (PEP 427) standing in for a carried one."""
    name = "gpu_check_probe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(folder / name, "w") as whl:
        whl.writestr("gpu_check_probe/__init__.py", "VALUE = 1\n")
        whl.writestr("gpu_check_probe-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: gpu-check-probe\n"
                                                                "Version: 1.0\n")
        whl.writestr("gpu_check_probe-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
                                                             "Tag: py3-none-any\n")
        whl.writestr("gpu_check_probe-1.0.dist-info/RECORD", "")
    return name


@pytest.mark.slow
def test_dry_run_passes_and_writes_the_summary(tmp_path):
    """``bash scripts/gpu_check.sh --dry-run --out DIR`` with a carried wheel and a carried Fashion-MNIST folder:
    every step but the compile timings passes on the CPU, and summary.json holds each step's result (how long
    it takes is the GPU check's business on a GPU, not a CPU test's)."""
    wheels, data, out = tmp_path / "whl", tmp_path / "data", tmp_path / "out"
    wheels.mkdir()
    wheel = probe_wheel(wheels)
    data.mkdir()
    (data / "fashion-mnist").symlink_to(fashion_mnist.FASHION_MNIST_DIR)
    env = dict(os.environ, PYTHON=sys.executable, GPU_CHECK_WHEEL_DIR=str(wheels), GPU_CHECK_DATA_DIR=str(data),
               OMP_NUM_THREADS="1")
    proc = subprocess.run(["bash", str(REPO / "scripts" / "gpu_check.sh"), "--dry-run", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    result = json.loads((out / "summary.json").read_text())
    assert result["dry_run"] and result["passed"] and result["carried_wheels"] == [wheel]
    assert {s["name"]: s["status"] for s in result["steps"]} == {
        "environment": "passed", "gpu_tests": "passed", "bench_fp32": "passed", "bench_bf16": "passed",
        "train_fid": "passed", "bench_compile": "skipped"}
    env_report = result["environment"]
    assert env_report["fashion_mnist_dir"] == str(data / "fashion-mnist") and not env_report["import_errors"]
    assert "gpu_check_site" in env_report["pythonpath"] and env_report["packages"]["torch"]["version"]
    tests = result["gpu_tests"]
    assert tests["tests"] == tests["skipped"] > 0
    assert all(c["message"].startswith("needs a CUDA GPU") for c in tests["cases"])
    bench = result["bench"]
    assert {(b["device"], b["precision"]) for b in bench.values()} == {("cpu", "32"), ("cpu", "bf16-mixed")}
    assert all(r["raw_nchw_images_per_s"] > 0 and r["framework_images_per_s"] > 0
               for b in bench.values() for r in b["rows"])
    train = result["train_fid"]
    assert (train["status"], train["extractor"], train["fid_comparable"]) == (
        "completed", "RandomWeightInceptionV3", False)
    assert len(train["epochs"]) == 1 and math.isfinite(train["epochs"][0]["val/fid"])
    assert train["fid_timing"]["num_fake"] == 16 and train["fid_timing"]["inception_images_per_s"] > 0
    page = (out / "summary.md").read_text()
    assert page.startswith("# GPU check: dry run on the CPU") and "| train_fid |" in page
