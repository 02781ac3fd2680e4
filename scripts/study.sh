#!/usr/bin/env bash
# A committed study: run (or resume) a sweep experiment and copy each finished job's small records (config,
# run.json, metrics.csv, fidelity.jsonl, final.json, last grid; no checkpoints) to <results dir>/jobs/, committing
# them as they complete, so a study spread over several sittings and machines loses nothing.  Relaunching resumes:
# completed jobs are skipped, interrupted ones continue from their last.ckpt (matched by identity).  Run it alone
# on the machine.
#   bash scripts/study.sh <experiment> <results dir> [extra overrides]
#   (NO_COMMIT=1: copy without committing; POLL=<s>: how often finished jobs are looked for, default 60)
#   bash scripts/study.sh odena_checkerboard_v2 docs/results/odena_fashion_mnist_v2
#   bash scripts/study.sh compare_upsamplers_autoencoder docs/results/autoencoder_mnist
# Each new record also rebuilds the report (python -m upsamplelab.report <results dir>/jobs --out <results dir>).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
EXPERIMENT=$1 RESULTS=$2
shift 2
PY=${PY:-.venv/bin/python}
SWEEP=${SWEEP:-outputs/$EXPERIMENT/study}
DEST=$RESULTS/jobs

STAMP=$SWEEP/.published    # when publish last looked: Python (seconds of imports) runs only after a run.json changed

publish() {
  local copied=""
  if [ ! -e "$STAMP" ] || [ -n "$(find "$SWEEP" -name run.json -newer "$STAMP" -print -quit 2>/dev/null)" ]; then
    mkdir -p "$SWEEP" && touch "$STAMP"
    copied=$("$PY" -m upsamplelab.report.publish "$SWEEP" "$DEST" | tr '\n' ' ')
  fi
  [ -z "$copied" ] || echo "published: $copied"
  # the report is rebuilt with every new record: tests/test_committed_results.py holds the committed report to
  # the committed records, so the two land in one commit
  if [ -n "$copied" ]; then
    "$PY" -m upsamplelab.report "$DEST" --out "$RESULTS" >/dev/null || echo "report failed; rebuild it by hand" >&2
  fi
  # whatever of RESULTS is not committed yet (also what an earlier poll failed to commit: another git command held
  # the index, e.g. a second study committing at the same time)
  if [ -z "${NO_COMMIT:-}" ] && [ -d "$DEST" ] && [ -n "$(git status --porcelain -- "$RESULTS")" ]; then
    git add -- "$RESULTS" && git commit -q -m "$EXPERIMENT: records of ${copied:-earlier jobs}, report rebuilt" -- "$RESULTS" \
      || echo "commit failed; retried at the next poll" >&2
  fi
}

"$PY" -m upsamplelab.train "experiment=$EXPERIMENT" hydra.sweep.dir="$SWEEP" "$@" &
sweep=$!
# a stopped sweep exits non-zero: under set -e that status would end the trap before it publishes
trap 'kill -TERM "$sweep" 2>/dev/null; wait "$sweep" || true; publish; exit 130' INT TERM
while kill -0 "$sweep" 2>/dev/null; do
  sleep "${POLL:-60}" & wait $!    # a wait the signal ends at once (a foreground sleep would delay the trap)
  [ -d "$SWEEP" ] && publish
done
status=0
wait "$sweep" || status=$?    # a sweep with a failed or refused job exits 1 after the others ran: publish them too
publish
exit "$status"
