#!/usr/bin/env bash
# The Odena study v2 (experiment=odena_checkerboard_v2), run or resumed, with each finished job's small records
# (config, run.json, metrics.csv, fidelity.jsonl, final.json, last sample grid; no checkpoints) copied to
# docs/results/odena_fashion_mnist_v2/jobs/ and committed as it completes, so a study spread over several sittings
# and machines loses nothing.  Relaunching resumes: completed jobs are skipped, interrupted ones continue from
# their last.ckpt (matched by identity).  Run it alone on the machine.
#   bash scripts/odena_v2_study.sh [extra overrides]      NO_COMMIT=1 to copy without committing
#   python -m upsamplelab.report docs/results/odena_fashion_mnist_v2/jobs --out docs/results/odena_fashion_mnist_v2
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SWEEP=${SWEEP:-outputs/odena_checkerboard_v2/study}
DEST=docs/results/odena_fashion_mnist_v2/jobs

publish() {
  local copied
  copied=$("$PY" -m upsamplelab.report.publish "$SWEEP" "$DEST" | tr '\n' ' ')
  if [ -n "$copied" ] && [ -z "${NO_COMMIT:-}" ]; then
    git add -- "$DEST" && git commit -q -m "Odena study v2: records of $copied" -- "$DEST" || echo "commit failed" >&2
  fi
  [ -z "$copied" ] || echo "published: $copied"
}

"$PY" -m upsamplelab.train experiment=odena_checkerboard_v2 hydra.sweep.dir="$SWEEP" "$@" &
sweep=$!
trap 'kill -TERM "$sweep" 2>/dev/null; wait "$sweep"; publish; exit 130' INT TERM
while kill -0 "$sweep" 2>/dev/null; do
  sleep 60
  [ -d "$SWEEP" ] && publish
done
wait "$sweep"
publish
