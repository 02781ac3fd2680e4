"""The application layer: what the ``upsamplelab-train`` and ``upsamplelab-eval`` commands are made of, between a
command line and a run directory.

- ``config``: Hydra plumbing (the packaged config directory, compose, instantiate, the library-noise filter)
- ``bad_input``: checks of a whole config before any compute, and the one-line errors of the entry points
- ``run_dir``: what a run directory holds, by name (checkpoints, records, the Hydra files), in one table
- ``run_record``: ``run.json``, what a run is and how it ended
- ``run_overview``: the table printed before a run and the list of outputs printed after it
- ``throughput``: the steady-state training images per second recorded in ``run.json``

Nothing is imported here, so the lower layers can read ``run_dir`` without loading Hydra.
"""
