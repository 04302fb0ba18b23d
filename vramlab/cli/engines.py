"""The subcommands about an engine's view of memory and speed: ``pool`` (vLLM's KV pool),
``explain-log`` (a vLLM start-up log) and ``speed`` (the decode roofline), registered in
:data:`vramlab.cli.SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import stat
import sys
from typing import Any

from ..errors import MAX_CONCURRENCY, VramlabError
from ..memory import context_warnings, resolve_kv_dtype, resolve_weight_dtype
from ..presets import load_model
from ..report import pool_warnings, render_table
from ..units import GiB, parse_fraction
from .common import EXIT_DOES_NOT_FIT, _add_json, _count, _for_option, _gib, _print_json, _typed


# ---------------------------------------------------------------------------
# vramlab pool MODEL
def _pool_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="preset id or config.json")
    p.add_argument("--gpu", default="H100 80GB", help="catalog GPU (default: H100 80GB)")
    p.add_argument("--gpu-memory-utilization", type=_typed(parse_fraction, field="gpu_memory_utilization",
                                                         allow_zero=False),
                   default=0.9, help="share of memory vLLM may use, (0, 1] or a percentage such as 90%%")
    p.add_argument("--tensor-parallel", "--tp", type=_count("tensor_parallel", maximum=1024), default=1, help="GPUs the model is split over")
    p.add_argument("--weight-dtype", default=None, help="weight format (default: the checkpoint's)")
    p.add_argument("--kv-dtype", default="auto", help="KV-cache format, e.g. fp8 (default: auto)")
    p.add_argument("--max-model-len", type=_count("max_model_len", maximum=10**8), default=None, help="longest request in tokens")
    p.add_argument("--block-size", type=_count("block_size", maximum=4096), default=16, help="tokens per block (default 16)")
    p.add_argument("--total-memory-gib", type=_gib("total_memory_gib"), default=None, help="total GPU memory as the driver reports it")
    p.add_argument("--engine", default="v1", help="vLLM release, e.g. 0.10.1, v0.19.0 or latest "
                   "(default: v1, the line of v0.19.0); v0: the V0 engine of 0.6")
    p.add_argument("--dtype", default="auto", help="vLLM's --dtype: auto, bfloat16, float16 or float32 (default: auto)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _run_pool(args: argparse.Namespace) -> int:
    from ..serving import kv_pool

    p = kv_pool(args.model, gpu=args.gpu, gpu_memory_utilization=args.gpu_memory_utilization,
                tensor_parallel=args.tensor_parallel, weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype,
                max_model_len=args.max_model_len, block_size=args.block_size,
                total_memory_gib=None if args.total_memory_gib is None else args.total_memory_gib / GiB,
                engine=args.engine, dtype=args.dtype)
    warnings = list(pool_warnings(p)) + list(context_warnings(load_model(args.model), p.max_model_len))
    if args.json:
        _print_json({**p.to_dict(), "warnings": warnings})
    else:
        print("\n".join([str(p)] + [f"warning: {w}" for w in warnings]))
    return EXIT_DOES_NOT_FIT if pool_warnings(p) else 0


# ---------------------------------------------------------------------------
# vramlab explain-log FILE
#: Largest log ``vramlab explain-log`` reads (a start-up log is a few KiB; a whole server log
#: of days fits).
MAX_LOG_BYTES = 64 * 2**20


def read_log(path: str) -> str:
    """The text of a log file (``"-"``: standard input): a regular file of at most
    :data:`MAX_LOG_BYTES`, decoded as UTF-8 (undecodable bytes replaced).

    Devices, FIFOs and directories are refused without being read, so a path such as
    ``/dev/zero`` cannot hang the command.

    >>> read_log("/dev/zero")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: file '/dev/zero' is not a regular file (a device, FIFO or directory); valid: a log file of at most 64 MiB
    """
    limit = f"valid: a log file of at most {MAX_LOG_BYTES // 2**20} MiB"
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)  # None when standard input is closed
        if stream is None:
            raise VramlabError(f"standard input cannot be read (it is closed); {limit}", field="file")
        data = stream.read(MAX_LOG_BYTES + 1)
    else:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
            why = getattr(e, "strerror", None) or str(e)
            raise VramlabError(f"file {path!r} cannot be read: {why}; {limit}", field="file") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise VramlabError(f"file {path!r} is not a regular file (a device, FIFO or directory); {limit}",
                                   field="file")
            if st.st_size > MAX_LOG_BYTES:
                raise VramlabError(f"file {path!r} holds {st.st_size:,} bytes; {limit}", field="file")
            os.set_blocking(fd, True)
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(MAX_LOG_BYTES + 1)
        finally:
            os.close(fd)
    if len(data) > MAX_LOG_BYTES:
        raise VramlabError(f"file {path!r} holds more than {MAX_LOG_BYTES:,} bytes; {limit}", field="file")
    return data.decode("utf-8", errors="replace")


def _explain_log_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a vLLM start-up log ('-' reads standard input)")
    p.add_argument("--model", help="model id or config.json when the log names none")
    p.add_argument("--gpu", help="GPU when the log does not print its total memory")
    p.add_argument("--dtype", help="vLLM's --dtype when the log does not show it (auto, bfloat16, float16, float32)")
    p.add_argument("--engine", help="vLLM version to predict with (default: the one the log prints)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _blank_if_missing(v: Any) -> Any:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _run_explain_log(args: argparse.Namespace) -> int:
    from ..vllm_log import explain_vllm_log

    df = explain_vllm_log(read_log(args.file), model=args.model, gpu=args.gpu, dtype=args.dtype, engine=args.engine)
    if args.json:
        _print_json(json.loads(df.to_json(orient="records")))
        return 0
    cols = ["quantity", "logged", "unit", "vramlab", "difference_%"]
    records = df.to_dict("records")
    print(render_table(cols, [[_blank_if_missing(r[c]) for c in cols] for r in records], "lrlrr"))
    print()
    for r in records:
        print(f"{r['quantity']}: {r['explanation']}")
    return 0


# ---------------------------------------------------------------------------
# vramlab speed MODEL
def _speed_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL_OR_CONFIG_JSON",
                   help="preset id (see `vramlab models`) or path to a config.json")
    p.add_argument("--gpu", default="H100 80GB", metavar="NAME",
                   help="catalog GPU with its bandwidth and peak FLOP/s (see `vramlab gpus`; default: %(default)s)")
    p.add_argument("--tokens", type=_count("tokens"), default=4096, metavar="N",
                   help="context of every sequence: prompt + tokens generated so far, e.g. 32k (default: %(default)s)")
    p.add_argument("--concurrency", type=_count("concurrency", maximum=MAX_CONCURRENCY), default=1, metavar="N",
                   help="sequences decoded together in one step (default: %(default)s)")
    p.add_argument("--weight-dtype", default=None, metavar="D",
                   help="weight format, e.g. bf16, fp8, int4 (default: what the checkpoint stores)")
    p.add_argument("--kv-dtype", default="auto", metavar="D",
                   help="KV-cache format, e.g. bf16, fp8 (default: %(default)s = the model's compute dtype)")
    p.add_argument("--tensor-parallel", "--tp", type=_count("tensor_parallel", maximum=1024), default=1,
                   metavar="N", help="GPUs sharing each step; bytes and FLOPs split evenly (default: 1)")
    _add_json(p)


def _run_speed(args: argparse.Namespace) -> int:
    from ..gpus import get_gpu
    from ..speed import decode_speed

    m = load_model(args.model)
    g = _for_option("--gpu", get_gpu, args.gpu)
    wd = _for_option("--weight-dtype", resolve_weight_dtype, m, args.weight_dtype)
    kd = _for_option("--kv-dtype", resolve_kv_dtype, m, args.kv_dtype)
    s = _for_option("--tensor-parallel", decode_speed, m, g, args.tokens, args.concurrency, wd, kd,
                    args.tensor_parallel)
    if args.json:
        _print_json(s.to_dict())
        return 0
    print(s.summary())
    print("A roofline bound, not a prediction: published runs beside their bounds are in notebook 12 and "
          "vramlab.speed.benchmark_report().")
    return 0
