#!/usr/bin/env bash
# The GPU check (README "Running the GPU check"), from a copy of this repository on a machine whose Python has torch
# with CUDA, pytorch-lightning and torchmetrics but maybe not hydra-core, omegaconf, antlr4-python3-runtime or
# torch-fidelity, and no network:
#   bash scripts/gpu_check.sh --out DIR [--dry-run] [--only step,...]
# Unpacks the carried pure-Python wheels of .whl/ (scripts/gpu_check_prepare.sh makes them) into a temporary folder,
# puts it and src/ on PYTHONPATH, reads Fashion-MNIST from the carried .gpu_check_data/fashion-mnist/ when there,
# and runs `python -m upsamplelab.gpu_check` (steps and budgets: src/upsamplelab/gpu_check/steps.py).
# PYTHON (default python3) picks the interpreter; GPU_CHECK_WHEEL_DIR and GPU_CHECK_DATA_DIR the carried folders.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
WHEELS=${GPU_CHECK_WHEEL_DIR:-$ROOT/.whl}
DATA=${GPU_CHECK_DATA_DIR:-$ROOT/.gpu_check_data}

site=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check_site.XXXXXX")
trap 'rm -rf "$site"' EXIT
unpacked=()
for wheel in "$WHEELS"/*.whl; do
  [[ -e $wheel ]] || continue
  case $(basename "$wheel") in
    *-py3-none-any.whl) "$PYTHON" -m zipfile -e "$wheel" "$site" && unpacked+=("$(basename "$wheel")") ;;
    *) echo "[gpu_check] not unpacked (not a pure-Python py3-none-any wheel): $wheel" >&2 ;;
  esac
done
echo "[gpu_check] carried wheels: ${unpacked[*]:-none (using the installed packages)}"
export GPU_CHECK_WHEELS="${unpacked[*]:-}"
export PYTHONPATH="$ROOT/src:$site${PYTHONPATH:+:$PYTHONPATH}"
export PROJECT_ROOT=$ROOT
if [[ -f $DATA/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
  export FASHION_MNIST_DIR=$DATA/fashion-mnist
fi
echo "[gpu_check] Fashion-MNIST from ${FASHION_MNIST_DIR:-the default location}"
cd "$ROOT"
"$PYTHON" -m upsamplelab.gpu_check "$@"
