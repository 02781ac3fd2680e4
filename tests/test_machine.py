"""``app.machine``: the CPU model comes from the ``model name`` line of ``/proc/cpuinfo``, else from ``platform``."""
from __future__ import annotations

import platform

import torch

from upsamplelab.app import machine as machine_module
from upsamplelab.app.machine import cpu_model, machine

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13 64-Core Processor
flags\t\t: fpu avx2

processor\t: 1
model name\t: AMD EPYC 7B13 64-Core Processor
"""


def test_the_cpu_model_is_the_first_model_name_line(tmp_path, monkeypatch):
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    monkeypatch.setattr(machine_module, "CPUINFO", tmp_path / "cpuinfo")
    assert cpu_model() == "AMD EPYC 7B13 64-Core Processor"


def test_without_cpuinfo_the_cpu_model_is_platforms(tmp_path, monkeypatch):
    monkeypatch.setattr(machine_module, "CPUINFO", tmp_path / "absent")
    assert cpu_model() == platform.processor()


def test_the_machine_names_this_process_threads_and_torch():
    m = machine()
    assert m["torch_threads"] == torch.get_num_threads() and m["cores"] >= 1
    assert torch.__version__.startswith(m["torch"]) and m["gpu"] is None      # the suite runs on the CPU
