"""Runs that survive being killed, diverging and untrusted files; one concept per file.

- ``checkpoint_io``: ``AtomicCheckpointIO`` (Trainer plugin, ``configs/trainer/default.yaml``): checkpoints written
  through a temporary file and ``os.replace``, checked against their checksums and loaded with ``weights_only=True``
- ``atomic``: files written so that a reader or a crash never sees half of one (temp file, fsync, rename)
- ``file_integrity``: ``check_archive``: a truncated or corrupted ``torch.save`` file found before it is used
- ``interrupt``: ``StopOnSignal`` (added by ``upsamplelab.train``): SIGTERM/SIGINT stop a run within seconds,
  resumably
- ``csv_logger``: ``ResumableCSVLogger`` (``configs/logger/csv.yaml``): keeps ``metrics.csv`` when a run resumes
- ``resume``: ``ResumeState`` (callback): the RNG states and the ``metrics.csv`` length in every checkpoint; a
  checkpoint saved mid-validation restarts that validation
- ``divergence``: ``DivergenceGuard`` (callback): stops on NaN/Inf losses, marks the run ``DIVERGED``
- ``rng``: the global random generators as a checkpoint-safe value

Resume: run the same command with the same ``hydra.run.dir`` and ``ckpt_path=last``.

Determinism.  On CPU the same config and seed give the same ``metrics.csv``, bit for bit, also across a resume
(``seed`` seeds the model and the GAN's noise, ``data.seed`` the splits and the per-epoch shuffling), as long as the
thread count, torch build and CPU type are the same.  On a GPU, by default they do not: cuDNN chooses convolution
algorithms per shape and several backward kernels accumulate with atomic adds (transposed-convolution weight
gradients among them), so results differ in the last bits from run to run and the differences grow over training.
``trainer.deterministic=true`` makes Lightning call ``torch.use_deterministic_algorithms(True)``, turn cuDNN
benchmarking off and set ``CUBLAS_WORKSPACE_CONFIG``; runs are then repeatable on the same GPU and software, often
slower.  Operations without a deterministic CUDA kernel then raise an error: here the backward of bilinear
interpolation (``upsampler=resize_conv_bilinear``) and ``NLLLoss``/cross-entropy (the segmentation models); use
``trainer.deterministic=warn`` to run them anyway with a warning.  Data-parallel runs shard the data by device
count, so they repeat only at the same number of devices.
"""
from .checkpoint_io import AtomicCheckpointIO, UnsafeCheckpointError, atomic_save
from .csv_logger import ResumableCSVLogger
from .divergence import DivergenceGuard, TrainingDiverged
from .file_integrity import CorruptFileError
from .resume import ResumeState

__all__ = ["AtomicCheckpointIO", "CorruptFileError", "DivergenceGuard", "ResumableCSVLogger", "ResumeState",
           "TrainingDiverged", "UnsafeCheckpointError", "atomic_save"]
