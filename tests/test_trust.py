"""A run directory is data, never code: eval and the report rebuild a run's data, model, upsampler and seed from the
package's configs with its checked overrides (``app.recorded_run``), so a payload written into a run directory's
``.hydra/`` files never runs; eval refuses what it would otherwise ignore, writes only where its own command line
says, and checks the precision for the device (through the CLI, as users run it)."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import pytest
import yaml
from hydra.utils import instantiate
from omegaconf import OmegaConf

from conftest import REPO, cli_env
from hydra_files import save_hydra_files
from test_install import USER_MODULE
from upsamplelab.app.bad_input import check_precision
from upsamplelab.app.recorded_run import RunDirError, checked_overrides, rebuild_run, trusted_configs

AE = ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "upsampler=convT_k3", "test=false",
      "trainer.accelerator=cpu", "extras.print_summary=false", "trainer.limit_train_batches=2",
      "trainer.limit_val_batches=1", "trainer.max_epochs=1"]
BAD = {"HYDRA_FULL_ERROR": "0"}
LOAD = "torch.nn.modules.module.torch.load"     # torch.load, reached through a module that imports torch


class Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")            # unpickling creates the marker file


def loads(payload: str) -> dict:
    """A config node calling ``torch.load(payload, weights_only=False)`` through ``LOAD``."""
    return {"_target_": LOAD, "_args_": [payload], "weights_only": False}


# .hydra/config.yaml edits: (dotted key, value); PAYLOAD and MARKER stand for each case's files
CONFIG_EDITS = {
    "torch.load under torch.nn.": ("model", loads("PAYLOAD")),
    "torch.load in data": ("data", loads("PAYLOAD")),
    "torch.load under torch.optim.": ("model.optimizer", {"_target_": "torch.optim.optimizer.torch.load",
                                                          "_args_": ["PAYLOAD"], "weights_only": False}),
    "torch.load under upsamplelab.": ("model.net", {"_target_": "upsamplelab.reliability.atomic.torch.load",
                                                    "_args_": ["PAYLOAD"], "weights_only": False}),
    "os.system under upsamplelab.": ("upsampler", {"_target_": "upsamplelab.reliability.atomic.os.system",
                                                   "_args_": ["touch MARKER"]}),
    "in a nested list": ("model.net.widths", [8, [loads("PAYLOAD")]]),
    "_args_ of the package's class": ("model.net._args_", [loads("PAYLOAD")]),
    "oc.create": ("model.net.evil", f"${{oc.create:{{_target_: {LOAD}, _args_: [PAYLOAD], weights_only: false}}}}"),
    "oc.decode": ("model.net.evil",
                  f"${{oc.decode:'{{_target_: {LOAD}, _args_: [PAYLOAD], weights_only: false}}'}}"),
    "unknown resolver": ("model.net.widths", "${evil:PAYLOAD}"),
}
NOT_LIVE = ("os.system under upsamplelab.", "unknown resolver")   # Hydra's blocklist, no such resolver
# .hydra/overrides.yaml lines added (the config left as it was, or edited to match: refused before that matters)
OVERRIDE_EDITS = {
    "a _target_ key": (f"model.net._target_={LOAD}", "names a Hydra special key"),
    "a dict value": (f"+model.evil={{_target_:{LOAD},_args_:[PAYLOAD],weights_only:false}}", "has a dict value"),
    "a resolver in a list": (f"model.net.widths=[8,'${{oc.create:{{_target_:{LOAD}}}}}']",
                             "has an interpolation or resolver"),
    "a config file outside the configs": ("model=../../../../PAYLOAD_DIR/evil", "has no option"),
    "a sweep": ("upsampler=convT_k3,convT_k4", "is a sweep"),
    "a hydra group": ("hydra/launcher=basic", "names Hydra's own config"),
}


def set_key(node: dict, key: str, value) -> None:
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    node[last] = value


def substituted(value, payload: Path, marker: Path):
    text = json.dumps(value).replace("PAYLOAD_DIR", str(payload.parent)).replace("PAYLOAD", str(payload))
    return json.loads(text.replace("MARKER", str(marker)))


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("trust") / "run"
    subprocess.run([sys.executable, "-m", "upsamplelab.train", *AE, f"hydra.run.dir={run}"], cwd=REPO,
                   env=cli_env(), check=True, capture_output=True, timeout=300)
    return run


def tampered(run: Path, dest: Path, config_edit=None, override_line=None) -> tuple[Path, Path]:
    """A copy of ``run`` at ``dest`` with its own payload (a pickle whose loading creates ``<dest>/marker``) and the
    edit applied to its Hydra files (as plain YAML: nothing parsed as a config); returns (checkpoint, marker)."""
    shutil.copytree(run, dest)
    payload, marker = dest / "payload.pt", dest / "marker"
    payload.write_bytes(pickle.dumps(Payload(str(marker))))
    (dest / "evil.yaml").write_text(yaml.safe_dump(substituted({"_target_": LOAD, "_args_": ["PAYLOAD"]}, payload,
                                                               marker)))
    if config_edit is not None:
        path = dest / ".hydra" / "config.yaml"
        config = yaml.safe_load(path.read_text())
        set_key(config, config_edit[0], substituted(config_edit[1], payload, marker))
        path.write_text(yaml.safe_dump(config))
    if override_line is not None:
        path = dest / ".hydra" / "overrides.yaml"
        lines = yaml.safe_load(path.read_text()) + [substituted(override_line, payload, marker)]
        path.write_text(yaml.safe_dump(lines))
    return dest / "checkpoints" / "last.ckpt", marker


@pytest.mark.parametrize("case", [c for c in CONFIG_EDITS if c not in NOT_LIVE])
def test_each_config_payload_is_live_when_instantiated(tmp_path, case):
    """The oracle for the CLI test below: instantiating the edited node (as eval did with the run's config) runs
    the payload; so a marker that stays absent there means eval did not.  (``os.system`` is on Hydra's own
    blocklist; the unknown resolver has nothing to run.)"""
    payload, marker = tmp_path / "payload.pt", tmp_path / "marker"
    payload.write_bytes(pickle.dumps(Payload(str(marker))))
    key, value = CONFIG_EDITS[case]
    node = OmegaConf.create({"node": substituted(value, payload, marker)})
    with suppress(Exception):
        instantiate(node.node)
    assert marker.exists()


@pytest.mark.slow
def test_no_payload_in_a_run_directory_runs_through_eval(trained_run, tmp_path):
    """Every edit of CONFIG_EDITS and OVERRIDE_EDITS, each in its own copy of a trained run, through eval's
    ``main()`` (one subprocess: tests/cli_batch.py): one line naming the file, exit status 2, no marker, and
    nothing written where the edited directory says."""
    cases = {f"config: {c}": tampered(trained_run, tmp_path / f"c{i}", config_edit=edit)
             for i, (c, edit) in enumerate(CONFIG_EDITS.items())}
    cases |= {f"overrides: {c}": tampered(trained_run, tmp_path / f"o{i}", override_line=line)
              for i, (c, (line, _)) in enumerate(OVERRIDE_EDITS.items())}
    argvs = [[f"ckpt_path={ckpt}", "trainer.accelerator=cpu", f"hydra.run.dir={tmp_path / 'eval' / str(i)}"]
             for i, (ckpt, _) in enumerate(cases.values())]
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), "upsamplelab.eval",
                           json.dumps(argvs)], cwd=REPO, env=cli_env(**BAD), capture_output=True, text=True,
                          timeout=600)
    outcomes = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(outcomes) == len(cases), proc.stderr[-3000:]
    for (case, (ckpt, marker)), outcome in zip(cases.items(), outcomes):
        lines = outcome["stderr"].strip().splitlines()
        assert not marker.exists(), case
        assert outcome["status"] == 2 and "Traceback" not in outcome["stderr"], (case, outcome)
        kind = "RunDirNotRebuilt" if case.endswith("outside the configs") else "RunDirRefused"
        assert lines[-2].startswith(f"error: {kind}: {ckpt.parents[1] / '.hydra'}/"), (case, lines[-2])
        if case.startswith("overrides: "):
            assert OVERRIDE_EDITS[case.removeprefix("overrides: ")][1] in lines[-2], (case, lines[-2])


def test_the_overrides_are_checked_before_anything_is_composed():
    """What ``checked_overrides`` keeps (what decides data/model/upsampler/seed) and refuses, named."""
    kept = ["model=autoencoder", "+experiment=odena_checkerboard", "upsampler.name=convT_k4", "seed=3",
            "model.net.widths=[8,16]", "+upsampler.bias=false", "~model.compile", "data.resize=pad"]
    with trusted_configs():
        assert checked_overrides(kept + ["trainer.max_epochs=3", "metrics.cache_dir=/elsewhere",
                                         "+callbacks.mine._target_=my.Callback"], "o.yaml") == kept
        for line, why in [("model.net._target_=os.system", "special key"),
                          ("model._args_=[1]", "special key"), ("model._partial_=true", "special key"),
                          ("+model.x={a:1}", "dict value"), ("model.x='${oc.env:HOME}'", "interpolation"),
                          ("seed=${oc.decode:'1'}", "interpolation"), ("model@data=dcgan", "@package"),
                          ("seed=1,2", "sweep"), ("model=nope", "no option 'nope'"), ("a b", "not an override")]:
            with pytest.raises(RunDirError, match=f"o.yaml: .*{why}"):
                checked_overrides([line], "o.yaml")


def test_every_committed_study_job_is_rebuilt_as_recorded():
    """Real run directories (the committed studies' jobs) rebuild to exactly what they recorded."""
    jobs = sorted({p.parents[1] for p in (REPO / "docs" / "results").glob("*/jobs/*/.hydra/overrides.yaml")})
    assert jobs
    for study in {job.parents[1] for job in jobs}:                 # one job per study: the others are alike
        job = next(j for j in jobs if j.parents[1] == study)
        rebuilt = rebuild_run(job)
        recorded = OmegaConf.load(job / ".hydra" / "config.yaml")
        assert OmegaConf.to_container(rebuilt.model) == OmegaConf.to_container(recorded.model)
        assert rebuilt.upsampler.name == recorded.upsampler.name and rebuilt.seed == recorded.seed


def test_a_tampered_job_of_a_sweep_is_refused_by_the_report(run_cli, make_cfg, tmp_path):
    """A GAN sweep's job whose ``data`` names torch.load: the report is written without that job's real images, the
    command exits 2 in one line naming it, and the payload never runs."""
    sweep = tmp_path / "sweep"
    job = sweep / "seed=0,upsampler=convT_k3"
    cfg = make_cfg("model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8",
                   "upsampler=convT_k3", "seed=0")
    save_hydra_files(cfg, job)
    (job / "run.json").write_text(json.dumps({"status": "completed"}))
    payload, marker = tmp_path / "payload.pt", tmp_path / "marker"
    payload.write_bytes(pickle.dumps(Payload(str(marker))))
    config = yaml.safe_load((job / ".hydra" / "config.yaml").read_text())
    config["data"] = loads(str(payload))
    (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    proc = run_cli("upsamplelab.report", str(sweep), check=False)
    assert proc.returncode == 2 and not marker.exists() and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {sweep / 'report.md'} written without what job seed=0,upsampler=convT_k3 would "
                           f"have run: {job.name}/.hydra/config.yaml: data._args_ is ['")
    assert "real data could not be loaded (RunDirRefused: " in (sweep / "report.md").read_text()


def test_eval_writes_where_its_command_line_says_not_where_the_run_did(make_cfg, tmp_path):
    """A run trained with its own metrics.cache_dir and data root: eval (in-process) puts the FID reference where
    its command line says, creates nothing where the run's files point, and its data module does not download."""
    from upsamplelab.eval import adopt_run_config, run_config_of
    from upsamplelab.train import train

    elsewhere = tmp_path / "theirs"
    run = tmp_path / "run"
    cfg = make_cfg("model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8",
                   "upsampler=convT_k3", "trainer.max_epochs=1", "trainer.limit_train_batches=2", "test=false",
                   f"metrics.cache_dir={elsewhere / 'cache'}", run_dir=run)
    train(cfg)
    save_hydra_files(cfg, run)
    mine = tmp_path / "mine"
    eval_cfg = make_cfg(f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", f"metrics.cache_dir={mine}",
                        config_name="eval", run_dir=tmp_path / "eval")
    from upsamplelab.eval import evaluate
    assert evaluate(eval_cfg)["val/fid"] > 0
    assert any(mine.iterdir())
    shutil.rmtree(elsewhere)                                  # what training wrote there
    evaluate(make_cfg(f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", f"metrics.cache_dir={mine}",
                      config_name="eval", run_dir=tmp_path / "eval2"))
    assert not elsewhere.exists()
    fashion = make_cfg("data=fashion_mnist", config_name="eval")   # a data config with a download switch
    save_hydra_files(make_cfg("data=cifar10", "data.download=true", run_dir=tmp_path / "c"), tmp_path / "c")
    adopted = adopt_run_config(fashion, run_config_of(tmp_path / "c" / "checkpoints" / "x.ckpt"), [])
    assert adopted.data.download is False
    assert adopt_run_config(fashion, run_config_of(tmp_path / "c" / "checkpoints" / "x.ckpt"),
                            ["data.download=true"]).data.download is True




def test_a_run_of_a_users_config_dir_is_evaluated_with_the_same_config_dir(run_cli, tmp_path):
    """Trusted: the user's own --config-dir.  A run of its experiment (an upsampler registered in the user's module)
    trains, and eval rebuilds it with the same --config-dir; without it, eval says so in one line."""
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "my_upsamplers.py").write_text(USER_MODULE)
    conf = tmp_path / "conf"
    (conf / "upsampler").mkdir(parents=True)
    (conf / "experiment").mkdir()
    (conf / "upsampler" / "my_nearest.yaml").write_text("_target_: my_upsamplers.my_nearest\n_partial_: true\n")
    (conf / "experiment" / "mine.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /model: autoencoder\n  - override /data: digits\n"
        "  - override /upsampler: my_nearest\nmodel:\n  net:\n    widths: [8, 16]\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "code"), os.environ.get("PYTHONPATH", "")]), **BAD}
    run = tmp_path / "run"
    run_cli("upsamplelab.train", "--config-dir", str(conf), "experiment=mine", *AE[4:], f"hydra.run.dir={run}",
            env=env)
    ckpt = run / "checkpoints" / "last.ckpt"
    proc = run_cli("upsamplelab.eval", "--config-dir", str(conf), f"ckpt_path={ckpt}", "trainer.accelerator=cpu",
                   f"hydra.run.dir={tmp_path / 'eval'}", env=env)
    assert "val/psnr" in proc.stdout
    refused = run_cli("upsamplelab.eval", f"ckpt_path={ckpt}", "trainer.accelerator=cpu",
                      f"hydra.run.dir={tmp_path / 'eval2'}", env=env, check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-2].startswith(
        f"error: RunDirNotRebuilt: {run / '.hydra' / 'overrides.yaml'}: 'experiment=mine': the config group "
        "experiment has no option 'mine'")
    assert "needs the same --config-dir here" in refused.stderr


@pytest.mark.parametrize("override, message", [
    ("data=mnist", "eval takes data, model, upsampler, seed from the run that wrote the checkpoint; data=mnist"),
    ("trainer.precision=16-mixed", "trainer.precision=16-mixed is for GPUs"),
])
def test_eval_refuses_what_it_would_ignore_or_misrun(run_cli, trained_run, override, message):
    proc = run_cli("upsamplelab.eval", f"ckpt_path={trained_run / 'checkpoints' / 'last.ckpt'}",
                   "trainer.accelerator=cpu", override, env=BAD, check=False)
    assert proc.returncode == 2 and message in proc.stderr


def test_bf16_alias_is_a_cpu_precision():
    check_precision("bf16", "cpu")
    with pytest.raises(ValueError, match="trainer.precision=16 is for GPUs"):
        check_precision("16", "cpu")
