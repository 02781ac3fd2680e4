"""Run a command's Hydra ``main()`` once per argument list in this one process, as ``python -m <module> <args>``
would run it, and print one JSON line per run: its exit status and what it wrote to stderr.  For catalogues of
command lines that fail before any compute (tests/test_bad_input.py): one interpreter start instead of one per case.

    python tests/cli_batch.py <module> '<JSON list of argument lists>'
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys


def run(module: str, args: list[str]) -> dict:
    """``module.main()`` with ``sys.argv = [module, *args]``: {"status": exit status, "stderr": text}."""
    main = importlib.import_module(module).main
    sys.argv, stderr, status = [module, *args], io.StringIO(), 0
    with contextlib.redirect_stderr(stderr):
        try:
            main()
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 1
        except Exception as err:  # noqa: BLE001 - an uncaught error is what the CLI would end with: status 1
            print(f"Traceback (most recent call last):\n{type(err).__name__}: {err}", file=sys.stderr)
            status = 1
    return {"status": status, "stderr": stderr.getvalue()}


if __name__ == "__main__":
    command, argument_lists = sys.argv[1], json.loads(sys.argv[2])
    for arguments in argument_lists:
        print(json.dumps(run(command, arguments)), flush=True)
