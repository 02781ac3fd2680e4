#!/usr/bin/env bash
# System data that pip cannot bring: the real Fashion-MNIST from Debian's `dataset-fashion-mnist`.
# Never fatal: without root or apt, say what was skipped and how to get it.
set -u
FMNIST=/usr/share/datasets/fashion-mnist
if [[ -d $FMNIST ]]; then
  echo "[install] Fashion-MNIST present at $FMNIST"
elif [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[install] skipped Fashion-MNIST: needs root and apt-get (run: sudo apt-get install -y dataset-fashion-mnist)," \
       "or let torchvision download it into the data root"
else
  (apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
     || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }) \
    && echo "[install] installed Fashion-MNIST into $FMNIST" \
    || echo "[install] skipped Fashion-MNIST: apt-get install dataset-fashion-mnist failed"
fi
exit 0
