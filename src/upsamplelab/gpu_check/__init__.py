"""``upsamplelab.gpu_check``: one prepared command that measures "trained on a GPU" in a short GPU window
(``scripts/gpu_check.sh``, README "Running the GPU check").

- ``steps``: the steps, their commands and time budgets (8 minutes in all on one H100/H200), and the dry run's
- ``runner``: one step as a subprocess, stopped at its budget, so that no step can waste the window
- ``environment``: the first step: GPU, driver, torch, CUDA, cuDNN, every imported package's version
- ``train_fid``: the training step: DCGAN on Fashion-MNIST with FID every epoch
- ``stand_in_inception``: the random-weight Inception-v3 that times FID where its real weights cannot travel
- ``check_result``: the steps' records and outputs as one JSON and one Markdown page
- ``cli``: ``python -m upsamplelab.gpu_check --out DIR [--dry-run]``
"""
