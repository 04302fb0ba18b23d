"""The ``vramlab`` command line (also ``python -m vramlab``).

Subcommands
-----------
models      every shipped preset: family, attention kind, layers, parameters, KV per token
gpus        the GPU catalog: memory, usable memory and its source, bandwidth, class
params      parameter breakdown of one model (preset id or config.json)
estimate    memory to serve a model: weights, KV cache, activations, framework, margin
fit         does a workload fit on a GPU: verdict, headroom, fewest GPUs, longest context
train       memory of a training step: model states, ZeRO, LoRA/QLoRA, activations
pool        vLLM's KV-cache pool per GPU: blocks, tokens, max concurrency
explain-log every memory figure of a vLLM start-up log beside vramlab's
speed       roofline bound of decoding: bytes and FLOPs per step, tokens/s, the crossover

Every subcommand is one :class:`Subcommand` in :data:`SUBCOMMANDS`: a name, a help line,
a function that adds its arguments to its parser, and a function that runs it and returns
the exit status. To add a subcommand, write those two functions and append one
``Subcommand(...)`` to :data:`SUBCOMMANDS`.

Exit status: 0 when it ran (and the workload fits), 1 when it does not fit (``fit``,
``pool``, ``train --gpu``), 2 for bad input, 3 for a bug inside vramlab. Bad input (an
unknown preset, a malformed config.json, a value out of range) prints one line
``vramlab: error: ...`` on stderr, as argparse does for a malformed command line.

>>> from vramlab.cli import main
>>> main(["estimate", "Qwen/Qwen3-8B", "--tokens", "4096", "--json"])  # doctest: +ELLIPSIS
{
  "model": "Qwen/Qwen3-8B",
  ...
0
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from ..errors import VramlabError
from .common import (EXIT_BAD_INPUT, EXIT_DOES_NOT_FIT, EXIT_INTERNAL, PROG, Subcommand, _add_json, _BadCommandLine,
                     _Parser)
from .engines import (MAX_LOG_BYTES, _explain_log_arguments, _pool_arguments, _run_explain_log, _run_pool, _run_speed,
                      _speed_arguments, read_log)
from .sizing import (_estimate_arguments, _fit_arguments, _params_arguments, _run_estimate, _run_fit, _run_gpus,
                     _run_models, _run_params, _run_train, _train_arguments)

__all__ = ["Subcommand", "SUBCOMMANDS", "build_parser", "main", "read_log", "MAX_LOG_BYTES", "EXIT_DOES_NOT_FIT",
           "EXIT_BAD_INPUT", "EXIT_INTERNAL"]


# ---------------------------------------------------------------------------
#: Every subcommand, in the order ``vramlab --help`` lists them. Append new ones here.
SUBCOMMANDS: list[Subcommand] = [
    Subcommand(
        "models", "list the shipped model presets", _add_json, _run_models,
        epilog="examples:\n  vramlab models\n  vramlab models --json",
    ),
    Subcommand(
        "params", "exact parameter count of a model, by component", _params_arguments, _run_params,
        epilog="examples:\n  vramlab params Qwen/Qwen3-8B\n  vramlab params qwen3-30b-a3b --json\n"
               "  vramlab params path/to/config.json",
    ),
    Subcommand(
        "estimate", "memory to serve a model: weights, KV cache, overhead, margin", _estimate_arguments,
        _run_estimate,
        epilog="examples:\n  vramlab estimate Qwen/Qwen3-8B --tokens 32768 --concurrency 4 --kv-dtype fp8\n"
               "  vramlab estimate Qwen/QwQ-32B --tokens 16000 --weight-dtype int4 --margin 0.2\n"
               "  vramlab estimate path/to/config.json --tokens 8192 --json",
    ),
    Subcommand(
        "fit", "does a workload fit on a GPU: verdict, headroom, fewest GPUs, longest context", _fit_arguments, _run_fit,
        epilog="examples:\n  vramlab fit meta-llama/Llama-3.1-70B-Instruct --gpu \"RTX 4090\" --weight-dtype int4 "
               "--tokens 32k\n  vramlab fit Qwen/Qwen3-8B --gpu-memory 16GiB --tokens 8k --concurrency 4 --json\n\n"
               "exit status: 0 fits, 1 does not fit, 2 bad input",
    ),
    Subcommand(
        "gpus", "the GPU catalog: memory, usable memory and its source, bandwidth, class", _add_json, _run_gpus,
        epilog="examples:\n  vramlab gpus\n  vramlab gpus --json",
    ),
    Subcommand(
        "train", "memory of a training step: model states, ZeRO, LoRA/QLoRA, activations", _train_arguments, _run_train,
        epilog="examples:\n  vramlab train Qwen/Qwen3-8B\n  vramlab train Qwen/Qwen3-8B --method qlora --seq-len 2k "
               "--gpu \"RTX 4090\"\n  vramlab train meta-llama/Llama-3.1-70B-Instruct --zero-stage 3 --gpus 8 "
               "--recompute full --json",
    ),
    Subcommand(
        "pool", "vLLM's KV-cache pool per GPU: blocks, tokens, max concurrency", _pool_arguments, _run_pool,
        epilog="examples:\n  vramlab pool Qwen/Qwen3-8B --gpu H100 --max-model-len 32768\n"
               "  vramlab pool meta-llama/Llama-3.1-8B-Instruct --gpu H100 --tp 2 --kv-dtype fp8 --json",
    ),
    Subcommand(
        "explain-log", "explain every memory figure of a vLLM start-up log", _explain_log_arguments,
        _run_explain_log, epilog="examples:\n  vramlab explain-log server.log\n  vramlab explain-log - < server.log",
    ),
    Subcommand(
        "speed", "roofline bound of decoding: bytes and FLOPs per step, tokens/s, the crossover",
        _speed_arguments, _run_speed,
        epilog="examples:\n  vramlab speed Qwen/Qwen3-8B --gpu H100 --tokens 4096\n"
               "  vramlab speed Qwen/Qwen3-30B-A3B --gpu \"A100 80GB\" --tokens 32k --concurrency 64 --kv-dtype fp8\n"
               "  vramlab speed deepseek-ai/DeepSeek-V3 --gpu H200 --tp 8 --json",
    ),
]

_EPILOG = """examples:
  vramlab models
  vramlab params Qwen/Qwen3-8B
  vramlab estimate Qwen/Qwen3-8B --tokens 32768 --concurrency 4 --kv-dtype fp8
  vramlab estimate path/to/config.json --tokens 8192 --json
  vramlab fit meta-llama/Llama-3.1-70B-Instruct --gpu "RTX 4090" --weight-dtype int4 --tokens 32k
  vramlab gpus
  vramlab train Qwen/Qwen3-8B --method lora

GB means 10^9 bytes and GiB 2^30 bytes. Exit status: 0 ran (fits), 1 does not fit (fit, pool,
train --gpu), 2 bad input (one line on stderr), 3 a bug inside vramlab."""


def _version() -> str:
    from .. import __version__

    return __version__


def build_parser(subcommands: Sequence[Subcommand] | None = None) -> argparse.ArgumentParser:
    """The argument parser, one subparser per entry of :data:`SUBCOMMANDS`.

    >>> args = build_parser().parse_args(["params", "Qwen/Qwen3-8B"])
    >>> args.command, args.model
    ('params', 'Qwen/Qwen3-8B')
    """
    parser = _Parser(
        prog=PROG,
        description="How much GPU memory a large language model needs: exact parameter counts, "
                    "weights, KV cache and overhead, from a model's config.json.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for sc in SUBCOMMANDS if subcommands is None else subcommands:
        p = sub.add_parser(sc.name, help=sc.help, description=sc.help, epilog=sc.epilog or None,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        sc.add_arguments(p)
        p.set_defaults(_run=sc.run)
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (e.g. captured)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``vramlab`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit status.

    Bad input prints ``vramlab: error: ...`` (one line) on stderr and returns 2.

    >>> main(["params", "no-such-model"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _BadCommandLine as exc:
        print(f"{PROG}: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_BAD_INPUT
    try:
        return int(args._run(args))
    except VramlabError as exc:
        msg, status = str(exc), EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        _silence_stdout()
        return 0
    except OSError as exc:  # a file that cannot be read (bad input; never Python's own words)
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        msg, status = f"cannot read{where}: {exc.strerror or exc}", EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - never a traceback; bad input raises VramlabError, so this is a bug
        msg = f"internal error ({type(exc).__name__}: {exc}); please report it"
        status = EXIT_INTERNAL
    print(f"{PROG}: error: {_one_line(msg)}", file=sys.stderr)
    return status
