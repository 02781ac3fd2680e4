"""Stopping a run on SIGTERM or SIGINT within seconds, resumably: ``StopOnSignal`` and ``RunInterrupted``.

SLURM, Kubernetes and ``timeout`` send SIGTERM and SIGKILL some 30 s later; Ctrl-C sends SIGINT.  Lightning only
notes a SIGTERM (``trainer.received_sigterm``) and checks the flag between batches, so a signal during a long
validation (an FID reference of thousands of images is one call) was ignored until SIGKILL came.
``StopOnSignal.handling_signals()`` (``upsamplelab.train`` holds it around the whole run) installs a handler for
both signals.  On the first of them:

- during training (from ``on_train_start`` to ``on_train_end``, outside validation) the training step in flight
  finishes: the handler sets Lightning's flag (``trainer.received_sigterm``; for SIGINT too), and Lightning stops
  after that batch, or at the end of the epoch (after its checkpoints) when it was the epoch's last; this callback
  stops the run before a validation that would come first, and at the end of training.  A training step must
  therefore take well under 30 s;
- anywhere else (building the run, validation with its FID extraction, test, the final evaluation, sampling) the
  handler raises ``RunInterrupted`` at once: Python runs signal handlers in the main thread between two bytecodes,
  so a loop over batches stops after the operation in flight.

When training was under way, ``on_exception`` then saves ``<run dir>/checkpoints/last.ckpt`` (``ckpt_path=last``
resumes it): the state after the last training step, mid-epoch if need be (the batch position is in the checkpoint
when the loader keeps one, as ``data.batches.InMemoryBatches`` does; Lightning warns when resuming mid-epoch with a
loader that does not), or, when validation was interrupted, the state at its start (``ResumeState`` makes the
resumed run validate again from the first batch).  Interrupted before training or after it (test, final
evaluation), the run keeps the checkpoint it has.  ``upsamplelab.train`` then writes ``run.json`` "interrupted" and
exits with status 128 + the signal number (143 for SIGTERM, 130 for SIGINT).  Further signals while stopping are
logged and ignored (SIGKILL remains).  ``on_signal`` (given by ``upsamplelab.train``: it writes ``run.json``
"interrupted") runs in the handler of the first signal, so the record is right even if the process is killed while
it stops.

The extraction of Inception features (``metrics.fidelity``) gives the handler its turn between units of a few
images: one TorchScript call cannot be interrupted, and a batch of 32 took up to a minute on a loaded CPU.

Several processes (DDP).  A process that stopped alone would leave the others waiting in their next collective
(a run on the CPU with ``trainer.devices=3`` hung after SIGTERM, its ``run.json`` left "running"): Lightning's own
handler broadcasts from inside the handler, and checks its stop flag in each process without exchanging it.  So
this callback puts its handlers back once Lightning has installed its own, and in a multi-process run the handler
only notes the signal; after every training, validation and test batch the processes exchange whether any of them
got one (``reduce_boolean_decision``: one small all-reduce per batch), and all of them stop at the end of that same
batch: in training through Lightning's flag (``SIGTERMException`` in every process), elsewhere by raising
``RunInterrupted``; ``last.ckpt`` is then saved by all of them together.

SLURM: see the README's Reliability section for ``--signal`` and requeueing.
"""
from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from types import FrameType
from typing import Callable, Iterator, Optional

import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ..run_dir import last_checkpoint

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(BaseException):
    """The run was stopped by a signal (a ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception``
    swallows it); ``exit_status`` is 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class StopOnSignal(pl.Callback):
    """Stops the run on SIGTERM/SIGINT (see the module docstring); ``signum``: the signal received, if any."""

    def __init__(self, on_signal: Optional[Callable[[int], None]] = None) -> None:
        self.signum: Optional[int] = None
        self.on_signal = on_signal
        self._trainer: Optional[pl.Trainer] = None
        self._training = self._validating = self._handling = False

    def __getstate__(self) -> dict:
        """Pickled into the processes ``ddp_spawn`` starts without ``on_signal`` (a closure of the main process,
        which handles the signals and keeps the record)."""
        return self.__dict__ | {"on_signal": None}

    @contextmanager
    def handling_signals(self) -> Iterator["StopOnSignal"]:
        """Handle SIGTERM and SIGINT in this block, then restore the previous handlers.  Only the main thread can
        set handlers (and only it receives signals): elsewhere, e.g. a run in a launcher's worker thread, this
        does nothing."""
        self._handling = threading.current_thread() is threading.main_thread()
        previous = {signum: signal.signal(signum, self._handle) for signum in SIGNALS} if self._handling else {}
        try:
            yield self
        finally:
            self._handling = False
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _take_back_handlers(self) -> None:
        """Put this callback's handlers back over the one Lightning installs when a stage starts (see the module
        docstring); Lightning restores what it replaced, these, at the stage's end."""
        if self._handling:
            for signum in SIGNALS:
                signal.signal(signum, self._handle)

    def interrupted(self, err: BaseException) -> Optional[RunInterrupted]:
        """``err`` as a ``RunInterrupted`` when it is the way this run stopped on a signal: Lightning's own
        ``SIGTERMException`` too, raised in every process when rank 0 got the signal, else None."""
        if isinstance(err, RunInterrupted):
            return err
        if isinstance(err, SIGTERMException):
            return RunInterrupted(self.signum or signal.SIGTERM)
        return None

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        name = signal.Signals(signum).name
        if self.signum is not None:
            log.warning("%s received while stopping: ignored (the run stops as soon as its checkpoint is saved)",
                        name)
            return
        self.signum = signum
        if self.on_signal is not None:
            self.on_signal(signum)
        if self._trainer is not None and self._trainer.world_size > 1:
            log.warning("%s received: every process stops after the batch in flight", name)
            return                                                    # see _stop_together
        if self._trainer is not None and self._training and not self._validating:
            log.warning("%s received: stopping after the training step in flight", name)
            self._trainer._signal_connector.received_sigterm = True   # Lightning's stop flag, checked per batch
            return
        log.warning("%s received: stopping now", name)
        raise RunInterrupted(signum)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._trainer = trainer

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._take_back_handlers()
        self._training = True

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._stop_pending(trainer)         # came after Lightning's last check: on_exception saves the final state
        self._training = False

    def _stop_pending(self, trainer: pl.Trainer) -> None:
        """``RunInterrupted`` when a signal is pending: in every process of a multi-process run when any got one."""
        if trainer.world_size > 1:
            self._stop_together(trainer, training=False)
        elif self.signum is not None:
            raise RunInterrupted(self.signum)

    def _stop_together(self, trainer: pl.Trainer, training: bool) -> None:
        """Multi-process runs: after a batch, stop every process when any of them got a signal."""
        if trainer.world_size == 1 or not trainer.strategy.reduce_boolean_decision(self.signum is not None,
                                                                                   all=False):
            return
        self.signum = self.signum or signal.SIGTERM                  # a peer's signal: stop as after SIGTERM
        if training:
            trainer._signal_connector.received_sigterm = True       # checked right after this hook, everywhere
            return
        raise RunInterrupted(self.signum)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch,
                           batch_idx: int) -> None:
        self._stop_together(trainer, training=True)

    def on_validation_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch,
                                batch_idx: int, dataloader_idx: int = 0) -> None:
        self._stop_together(trainer, training=False)

    def on_test_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch,
                          batch_idx: int, dataloader_idx: int = 0) -> None:
        self._stop_together(trainer, training=False)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._take_back_handlers()
        self._validating = True

    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._take_back_handlers()

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._stop_pending(trainer)         # after every on_validation_start: ResumeState has its snapshot

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._validating = False

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        interrupted = self.interrupted(exception)
        if interrupted is None or not self._training:
            return
        path = last_checkpoint(trainer.default_root_dir)
        trainer.save_checkpoint(path, weights_only=False)              # by every process of the run together
        if trainer.is_global_zero:
            log.warning("%s: saved %s (epoch %d, step %d); resume with ckpt_path=last", interrupted, path,
                        trainer.current_epoch, trainer.global_step)
