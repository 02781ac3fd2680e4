"""``upsamplelab.bench``: the cost of the framework over a hand-written loop, of each upsampler and memory format, of
the data path and of FID, measured on this machine (``python -m upsamplelab.bench``; numbers in BENCHMARKS.md).

- ``families``: the model families timed (Hydra overrides on the train config)
- ``device``: where and in what precision (CPU or CUDA with synchronised timing; float32 or bf16 autocast)
- ``raw_loop``: the hand-written baseline loop (``RawLoop``)
- ``train_path``: the full ``upsamplelab.train`` path on a composed config
- ``interleaved``: raw loop and framework timed step by step in turns within one run
- ``model_timings``: memory formats, compile, overhead, sampling for one family and upsampler
- ``data_path``: the in-memory data path vs direct tensor indexing
- ``goals``, ``table``, ``cli``: the checks, the console tables, the command
"""
