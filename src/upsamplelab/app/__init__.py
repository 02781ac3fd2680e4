"""The application layer: what the ``upsamplelab-train`` and ``upsamplelab-eval`` commands are made of, between a
command line and a run directory.

- ``config``: Hydra plumbing (the packaged config directory, compose, instantiate, the library-noise filter)
- ``bad_input``: checks of a whole config before any compute, and the one-line errors of the entry points
- ``recorded_run``: a run directory's data, model, upsampler and seed, rebuilt from the package's configs
- ``run_record``: ``run.json``, what a run is and how it ended
- ``run_overview``: the table printed before a run and the list of outputs printed after it
- ``throughput``: the steady-state training images per second recorded in ``run.json``

What a run directory holds, by name, is ``upsamplelab.run_dir``, beside this layer: ``reliability`` reads it too, and
this layer reads ``reliability``.
"""
