# The two commands of the README: `make run` (the main job) and `make test` (the test suite).
# Both create .venv on first use; the stamp file makes a second call install nothing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast test-portable install clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt requirements-offline.txt scripts/install_offline_data.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps -r requirements-offline.txt
	bash scripts/install_offline_data.sh
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m upsamplelab.train experiment=dcgan_fashion_mnist

# one pytest-xdist worker per core (each on one thread: tests/conftest.py); the slowest tests are stolen first, and
# the 15 slowest are listed at the end (where the 10-minute budget goes)
test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist worksteal --durations=15

# the edit loop: everything but the tests marked slow (subprocesses, CLI runs, sweeps, training-heavy)
test-fast: $(STAMP)
	$(PY) -m pytest -q -n auto --dist worksteal -m "not slow"

# another CPU, emulated: the fast tier and every cross-path test again, on ATen's scalar kernels, oneDNN up to SSE4.1,
# MKL up to SSE4.2 and NumPy's OpenBLAS as Haswell, in one process of two threads (make test: one per worker).
# A test that pins a float this machine's kernels produced, or a cross-path tolerance tuned to them, fails here.
OTHER_CPU := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 MKL_ENABLE_INSTRUCTIONS=SSE4_2 OPENBLAS_CORETYPE=Haswell
test-portable: $(STAMP)
	$(OTHER_CPU) OMP_NUM_THREADS=2 $(PY) -m pytest -q -p no:xdist -m "not slow or cross_path"

clean-venv:
	rm -rf $(VENV)
