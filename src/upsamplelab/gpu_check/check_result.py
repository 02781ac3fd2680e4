"""The GPU check's result: one JSON (``summary.json``) and one Markdown page (``summary.md``) from the steps' records
and the files they wrote (environment.json, the pytest JUnit XML, the bench JSONs, train_fid.json)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Optional

BENCH_STEPS = ("bench_fp32", "bench_bf16", "bench_compile")


def read_json(path: Path) -> Optional[dict[str, Any]]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def gpu_tests(path: Path) -> Optional[dict[str, Any]]:
    """Counts and one entry per test case (name, status, seconds, message) of a pytest JUnit XML file."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    cases = []
    for case in root.iter("testcase"):
        outcome = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        status = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(getattr(outcome, "tag", ""),
                                                                                 "passed")
        cases.append({"name": case.get("name"), "status": status, "seconds": float(case.get("time", 0)),
                      "message": (outcome.get("message") or "")[:300] if outcome is not None else ""})
    counts = {s: sum(c["status"] == s for c in cases) for s in ("passed", "failed", "error", "skipped")}
    return {"tests": len(cases), **counts, "cases": cases}


def bench_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The benchmark's per-model rows with the family's sampling throughput added."""
    sampling = {f["family"]: f.get("sampling_images_per_s") for f in result.get("families", [])}
    return [row | {"sampling_images_per_s": sampling.get(row["family"])} for row in result.get("models", [])]


def collect(out: Path, records: list[dict[str, Any]], dry_run: bool, wall_s: float,
            wheels: list[str]) -> dict[str, Any]:
    """Everything the steps produced, in one dictionary (``summary.json``)."""
    outputs = {r["name"]: out / r["output"] for r in records if r.get("output")}
    env = read_json(outputs["environment"]) if "environment" in outputs else None
    bench = {name: read_json(outputs[name]) for name in BENCH_STEPS if name in outputs}
    return {
        "dry_run": dry_run, "wall_s": round(wall_s, 1), "total_budget_s": sum(r["budget_s"] for r in records),
        "passed": all(r["status"] in ("passed", "skipped") for r in records), "carried_wheels": wheels,
        "steps": records, "environment": env,
        "gpu_tests": gpu_tests(outputs["gpu_tests"]) if "gpu_tests" in outputs else None,
        "bench": {name: {"device": b.get("device"), "precision": b.get("precision"), "rows": bench_rows(b),
                         "goals": b.get("goals", [])} for name, b in bench.items() if b},
        "train_fid": read_json(outputs["train_fid"]) if "train_fid" in outputs else None,
    }


def _n(value: Optional[float], fmt: str = ",.0f") -> str:
    return "—" if value is None else format(value, fmt)


def _bench_table(bench: dict[str, Any]) -> list[str]:
    """One row per family x upsampler: images/s of every configuration timed, and the ratios that matter."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for name, b in bench.items():
        for r in b["rows"]:
            rows.setdefault((r["family"], r["upsampler"]), {})[name] = r
    lines = ["| family | upsampler | fp32 NCHW | fp32 CL | bf16 NCHW | bf16 CL | fp32 overhead | bf16 overhead "
             "| compiled (fp32) | compiled / eager |", "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for (family, upsampler), by in rows.items():
        fp32, bf16, comp = (by.get(n, {}) for n in BENCH_STEPS)
        compiled = comp.get("compiled_images_per_s")
        eager = comp.get("raw_channels_last_images_per_s" if comp.get("channels_last") else "raw_nchw_images_per_s")
        lines.append(
            f"| {family} | `{upsampler}` | {_n(fp32.get('raw_nchw_images_per_s'))} | "
            f"{_n(fp32.get('raw_channels_last_images_per_s'))} | {_n(bf16.get('raw_nchw_images_per_s'))} | "
            f"{_n(bf16.get('raw_channels_last_images_per_s'))} | {_n(fp32.get('overhead'), '+.1%')} | "
            f"{_n(bf16.get('overhead'), '+.1%')} | {_n(compiled)} | "
            f"{_n(compiled / eager if compiled and eager else None, '.2f')} |")
    return lines


def markdown(summary: dict[str, Any]) -> str:
    env = summary["environment"] or {}
    gpus = ", ".join(g["name"] for g in env.get("gpus", [])) or "none"
    title = "GPU check: dry run on the CPU" if summary["dry_run"] else f"GPU check on {gpus}"
    lines = [f"# {title}", "",
             f"{'All steps passed' if summary['passed'] else '**Some steps did not pass**'} in "
             f"{summary['wall_s']:.0f} s (budget {summary['total_budget_s']} s).  "
             f"torch {env.get('torch')} (CUDA {env.get('torch_cuda')}, cuDNN {env.get('cudnn')}), driver "
             f"{env.get('driver')}, Python {env.get('python')}; carried wheels: "
             f"{', '.join(summary['carried_wheels']) or 'none'}.", "",
             "| step | what | budget s | took s | status |", "|---|---|--:|--:|---|"]
    for r in summary["steps"]:
        status = r["status"] if r["status"] == "passed" else f"**{r['status']}**"
        lines.append(f"| {r['name']} | {r['what']} | {r['budget_s']} | {r['seconds']:.0f} | {status}"
                     f"{' (' + r['reason'] + ')' if r.get('reason') else ''} |")
    tests = summary["gpu_tests"]
    if tests:
        lines += ["", f"## GPU tests: {tests['passed']} passed, {tests['failed'] + tests['error']} failed, "
                      f"{tests['skipped']} skipped", "", "| test | status | s | message |", "|---|---|--:|---|"]
        lines += [f"| {c['name']} | {c['status']} | {c['seconds']:.1f} | {(c['message'].splitlines() or [''])[0]} |"
                  for c in tests["cases"]]
    if summary["bench"]:
        lines += ["", "## Training throughput (images/s, raw hand-written loop; overhead = raw / framework - 1)", "",
                  *_bench_table(summary["bench"])]
    train = summary["train_fid"]
    if train:
        timing = train["fid_timing"]
        lines += ["", "## DCGAN on Fashion-MNIST with FID", "",
                  f"{train['status']} in {train['wall_s']:.0f} s, {_n(train['train_images_per_s'])} training "
                  f"images/s; FID extractor `{train['extractor']}`"
                  f"{'' if train['fid_comparable'] else ' (random weights: timings only, FIDs not comparable)'}; "
                  f"peak GPU memory {_n(train['peak_gpu_memory_gib'], '.2f')}"
                  f"{'' if train['peak_gpu_memory_gib'] is None else ' GiB'}.", "",
                  "| epoch | val/fid | val/kid_mean |", "|--:|--:|--:|"]
        lines += [f"| {e['epoch']} | {e['val/fid']:.3f} | {e['val/kid_mean']:.4f} |" for e in train["epochs"]]
        lines += ["", f"FID of {timing['num_fake']} vs {timing['num_real']} images: Inception "
                      f"{timing['inception_images_per_s']:,.0f} images/s; FID+KID {timing['cold_s']:.1f} s with a "
                      f"cold reference cache, {timing['warm_s']:.1f} s warm."]
    return "\n".join(lines) + "\n"


def write(out: Path, summary: dict[str, Any]) -> None:
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.md").write_text(markdown(summary))
