#!/usr/bin/env bash
# Before a GPU window, on this machine (PyPI reachable): what scripts/gpu_check.sh needs to carry to a GPU machine
# without network, in two ignored folders that travel with the repository (README "Running the GPU check"):
#   .whl/                        pure-Python wheels of hydra-core, omegaconf, antlr4-python3-runtime, torch-fidelity
#                                at the versions installed in .venv (an sdist-only release is built into a wheel)
#   .gpu_check_data/fashion-mnist/  the four IDX files of Fashion-MNIST (from FASHION_MNIST_DIR or Debian's path)
# Prints the size of everything that travels (the limit is 64 MiB).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
SOURCE=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
cd "$ROOT"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pkg in hydra-core omegaconf antlr4-python3-runtime torch-fidelity; do
  version=$("$PY" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$pkg")
  "$PY" -m pip download --quiet --no-deps -d "$tmp" "$pkg==$version"
done
for sdist in "$tmp"/*.tar.gz; do
  [[ -e $sdist ]] || continue
  "$PY" -m pip wheel --quiet --no-deps --no-build-isolation -w "$tmp" "$sdist"
  rm "$sdist"
done
for wheel in "$tmp"/*.whl; do
  [[ $wheel == *-py3-none-any.whl ]] || { echo "not a pure-Python wheel: $wheel" >&2; exit 1; }
done
rm -rf .whl && mkdir .whl && mv "$tmp"/*.whl .whl/
mkdir -p .gpu_check_data/fashion-mnist
cp "$SOURCE"/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz .gpu_check_data/fashion-mnist/
ls -l .whl .gpu_check_data/fashion-mnist
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s}')
carried=$(du -sb .whl .gpu_check_data | awk '{s += $1} END {print s}')
echo "travels: $(( (tree + carried) / 1048576 )) MiB (working tree $(( tree / 1048576 )) MiB +" \
     "carried $(( carried / 1048576 )) MiB; limit 64 MiB)"
