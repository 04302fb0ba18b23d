"""The ``vramlab`` command line (also ``python -m vramlab``).

Subcommands
-----------
models      every shipped preset: family, attention kind, layers, parameters, KV per token
params      parameter breakdown of one model (preset id or config.json)
estimate    memory to serve a model: weights, KV cache, activations, framework, margin
pool        vLLM's KV-cache pool per GPU: blocks, tokens, max concurrency
explain-log every memory figure of a vLLM start-up log beside vramlab's
speed       roofline bound of decoding: bytes and FLOPs per step, tokens/s, the crossover

Every subcommand is one :class:`Subcommand` in :data:`SUBCOMMANDS`: a name, a help line,
a function that adds its arguments to its parser, and a function that runs it and returns
the exit status. To add a subcommand, write those two functions and append one
``Subcommand(...)`` to :data:`SUBCOMMANDS`.

Bad input (an unknown preset, a malformed config.json, a value out of range) prints one
line ``vramlab: error: ...`` on stderr and exits with status 2, as argparse does for a
malformed command line.

>>> from vramlab.cli import main
>>> main(["estimate", "Qwen/Qwen3-8B", "--tokens", "4096", "--json"])  # doctest: +ELLIPSIS
{
  "model": "Qwen/Qwen3-8B",
  ...
0
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import stat
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .errors import MAX_CONCURRENCY, MAX_TOKENS, VramlabError
from .memory import (
    DEFAULT_FRAMEWORK_BYTES,
    estimate,
    kv_bytes_per_token,
    resolve_kv_dtype,
    resolve_weight_dtype,
)
from .params import COMPONENTS, active_param_count, param_breakdown
from .presets import list_models, load_model
from .report import render_table
from .spec import ModelSpec
from .units import GiB, format_bytes, parse_count, parse_fraction, parse_size, to_unit

__all__ = ["Subcommand", "SUBCOMMANDS", "build_parser", "main", "read_log", "MAX_LOG_BYTES"]

PROG = "vramlab"

#: Exit status for bad input (the same as argparse's for a bad command line).
EXIT_BAD_INPUT = 2
#: Exit status for an unexpected failure inside vramlab (a bug: please report it).
EXIT_INTERNAL = 1


# ---------------------------------------------------------------------------
# Registration
@dataclass(frozen=True)
class Subcommand:
    """One ``vramlab`` subcommand.

    Attributes
    ----------
    name : str
        What the user types, e.g. ``"estimate"``.
    help : str
        One line shown by ``vramlab --help``.
    add_arguments : callable
        ``add_arguments(parser)`` adds the subcommand's arguments to its own parser.
    run : callable
        ``run(args) -> int`` prints the result and returns the exit status. It may raise
        :class:`~vramlab.errors.VramlabError` for bad input; :func:`main` turns that into
        one line on stderr and status 2.
    epilog : str
        Examples shown at the end of ``vramlab NAME --help``.

    Examples
    --------
    >>> [s.name for s in SUBCOMMANDS][:3]
    ['models', 'params', 'estimate']
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    epilog: str = ""


# ---------------------------------------------------------------------------
# Command-line parsing: every mistake is one line naming the argument
class _BadCommandLine(Exception):
    """A malformed command line (raised instead of argparse's usage-and-exit)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D401 - argparse's hook
        raise _BadCommandLine(_plain_usage_error(self.prog, message))


def _typed(parse: Callable[..., Any], **options: Any) -> Callable[[str], Any]:
    """An argparse type reading values as people type them (:mod:`vramlab.units` parsers:
    ``32k`` tokens, ``10%``, ``2GiB``); a refusal names the value and the valid range."""
    def read(text: str) -> Any:
        try:
            return parse(text, **options)
        except VramlabError as exc:
            hint = ""
            if parse is parse_fraction and text.strip().replace(".", "", 1).isdigit() and 1 < float(text) <= 100:
                hint = f"; did you mean {text.strip()}%?"
            raise argparse.ArgumentTypeError(f"{exc}{hint}") from None

    read.__name__ = options.get("field", parse.__name__)
    return read


def _count(field: str, minimum: int = 1, maximum: int = MAX_TOKENS) -> Callable[[str], int]:
    return _typed(parse_count, field=field, minimum=minimum, maximum=maximum)


def _gib(field: str) -> Callable[[str], int]:
    """Bytes from a size in GiB (``1.5``) or with its unit (``2GiB``, ``80 GB``), up to 1 PiB."""
    return _typed(parse_size, field=field, default_unit="GiB")


def _plain_usage_error(prog: str, message: str) -> str:
    """argparse's complaint as one sentence in the project's words, with where to read more."""
    see = f"(see `{prog} --help`)"
    for prefix, sentence in (("the following arguments are required: ", "missing {}"),
                             ("unrecognized arguments: ", "unknown arguments {}")):
        if message.startswith(prefix):
            return f"{sentence.format(message[len(prefix):])} {see}"
    arg, _, rest = message.partition(": ")
    if rest == "expected one argument":
        return f"{arg} needs a value {see}"
    if rest.startswith("invalid choice: "):
        choice, _, valid = rest[len("invalid choice: "):].partition(" (choose from ")
        return f"{arg.replace('argument ', '')} {choice} is unknown; valid: {valid.rstrip(')')}"
    return f"{message} {see}"


# ---------------------------------------------------------------------------
# Output helpers
def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _billions(n: int) -> str:
    return f"{n / 10**9:,.2f}"


def _share(part: int, total: int) -> str:
    return f"{100 * part / total:.2f} %" if total else "-"


def _approximate_note(m: ModelSpec) -> list[str]:
    notes = [] if m.exact else ["note: parameter count is approximate (generic decoder layout)"]
    return notes + [f"note: {w}" for w in m.warnings]


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON (sizes in bytes, as integers)")


# ---------------------------------------------------------------------------
# vramlab models
def _models_arguments(p: argparse.ArgumentParser) -> None:
    _add_json(p)


def _run_models(args: argparse.Namespace) -> int:
    records = []
    for model_id in list_models():
        m = load_model(model_id)
        records.append({
            "id": model_id,
            "family": m.model_type,
            "attention_kind": m.attention_kind,
            "layers": m.num_layers,
            "params": m.param_count(),
            "kv_bytes_per_token_16bit": kv_bytes_per_token(m, kv_dtype="bf16"),
        })
    if args.json:
        _print_json(records)
        return 0
    rows = [[r["id"], r["family"], r["attention_kind"], r["layers"], _billions(r["params"]),
             f"{to_unit(r['kv_bytes_per_token_16bit'], 'KiB'):,.2f}"] for r in records]
    print(render_table(["id", "family", "attention", "layers", "params (B)", "KV/token 16-bit (KiB)"],
                       rows, "lllrrr"))
    print(f"\n{len(records)} presets. params (B) = billions of parameters; "
          "KV/token = KV-cache bytes per token at 16 bits (1 KiB = 1,024 bytes).")
    return 0


# ---------------------------------------------------------------------------
# vramlab params MODEL
def _params_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="preset id (see `vramlab models`) or path to a config.json")
    _add_json(p)


def _run_params(args: argparse.Namespace) -> int:
    m = load_model(args.model)
    parts = param_breakdown(m)
    total = sum(parts.values())
    active = active_param_count(m) if m.is_moe else None
    card = dict((m.meta or {}).get("card") or {})
    card_figures = {k: v for k, v in card.items() if k.startswith("params_") and v is not None}
    if args.json:
        _print_json({"model": m.name, "model_type": m.model_type, "exact": m.exact, "components": parts,
                     "total": total, "active": active, "card": card_figures, "warnings": list(m.warnings)})
        return 0
    order = [k for k in COMPONENTS if k in parts] + [k for k in parts if k not in COMPONENTS]
    rows = [[k, f"{parts[k]:,}", _share(parts[k], total)] for k in order]
    rows.append(["total", f"{total:,}", _share(total, total)])
    if active is not None:
        rows.append(["active per token", f"{active:,}", _share(active, total)])
    print(f"{m.name} ({m.model_type}, {m.attention_kind}, {m.num_layers} layers)")
    print(render_table(["component", "parameters", "share"], rows, "lrr"))
    labels = {"params_total": "total", "params_active": "active", "params_non_embedding": "non-embedding"}
    if card_figures:
        shown = ", ".join(f"{labels.get(k, k)} {v}" for k, v in card_figures.items())
        print(f"model card: {shown}")
    for line in _approximate_note(m):
        print(line)
    return 0


# ---------------------------------------------------------------------------
# vramlab estimate MODEL_OR_CONFIG_JSON
_ESTIMATE_DEFAULTS = {k: p.default for k, p in inspect.signature(estimate).parameters.items()}


def _estimate_arguments(p: argparse.ArgumentParser) -> None:
    d = _ESTIMATE_DEFAULTS
    p.add_argument("model", metavar="MODEL_OR_CONFIG_JSON",
                   help="preset id (see `vramlab models`) or path to a config.json")
    p.add_argument("--tokens", type=_count("tokens"), default=d["tokens"], metavar="N",
                   help="prompt + generated tokens per sequence (default: %(default)s)")
    p.add_argument("--concurrency", type=_count("concurrency", maximum=MAX_CONCURRENCY), default=d["concurrency"], metavar="N",
                   help="sequences held in the KV cache at once (default: %(default)s)")
    p.add_argument("--weight-dtype", default=d["weight_dtype"], metavar="D",
                   help="weight format, e.g. bf16, fp8, int4, nf4, mxfp4, Q4_K_M "
                        "(default: %(default)s = what the checkpoint stores)")
    p.add_argument("--kv-dtype", default=d["kv_dtype"], metavar="D",
                   help="KV-cache format: bf16, fp16, fp8, int8, int4 "
                        "(default: %(default)s = the model's compute dtype)")
    p.add_argument("--margin", type=_typed(parse_fraction, field="margin", maximum=10.0), default=d["margin"], metavar="F",
                   help="safety margin as a fraction of everything else (default: %(default)s = 10%%)")
    p.add_argument("--activation-tokens", type=_count("activation_tokens", minimum=0), default=None, metavar="N",
                   help="tokens in the largest forward pass (default: min(tokens x concurrency, 2048), "
                        "one chunk of chunked prefill; 0 leaves activations out)")
    p.add_argument("--framework-gib", type=_gib("framework_gib"), default=DEFAULT_FRAMEWORK_BYTES, metavar="F",
                   help="CUDA context, workspaces and CUDA graphs in GiB, or a size such as 512MiB "
                        f"(default: {DEFAULT_FRAMEWORK_BYTES / GiB:g}; 0 leaves it out)")
    _add_json(p)


#: Option that sets each field of :func:`vramlab.estimate`, to name it in error messages.
_ESTIMATE_OPTIONS = {"tokens": "--tokens", "concurrency": "--concurrency", "margin": "--margin",
                     "activation_tokens": "--activation-tokens", "framework_gib": "--framework-gib"}


def _for_option(option: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a VramlabError it raises is re-raised naming the command-line option."""
    try:
        return fn(*args, **kwargs)
    except VramlabError as exc:
        raise VramlabError(f"argument {option}: {exc}", field=exc.field) from None


def _run_estimate(args: argparse.Namespace) -> int:
    m = load_model(args.model)
    wd = _for_option("--weight-dtype", resolve_weight_dtype, m, args.weight_dtype)
    kd = _for_option("--kv-dtype", resolve_kv_dtype, m, args.kv_dtype)
    try:
        e = estimate(m, tokens=args.tokens, concurrency=args.concurrency, weight_dtype=wd, kv_dtype=kd,
                     margin=args.margin, activation_tokens=args.activation_tokens, framework_bytes=args.framework_gib)
    except VramlabError as exc:
        option = _ESTIMATE_OPTIONS.get(exc.field or "")
        if option is None:
            raise
        raise VramlabError(f"argument {option}: {exc}", field=exc.field) from None
    per_token = kv_bytes_per_token(m, kv_dtype=kd, context=e.tokens)
    if args.json:
        data = e.to_dict()
        data.update({"kv_bytes_per_token": per_token, "params": m.param_count(), "exact": m.exact,
                     "warnings": list(m.warnings)})
        _print_json(data)
        return 0
    seqs = "sequence" if e.concurrency == 1 else "sequences"
    capped = f", averaged over {e.tokens:,} tokens with sliding-window layers capped" if m.num_sliding_layers else ""
    print(f"{e.model} ({m.model_type}, {m.attention_kind}, {m.param_count():,} parameters)")
    print(f"{e.concurrency:,} {seqs} x {e.tokens:,} tokens; weights {e.weight_dtype}; KV cache {e.kv_dtype} "
          f"({per_token:,} bytes = {format_bytes(per_token, 'KiB')} per token{capped}); "
          f"margin {e.margin_fraction:.0%}")
    print()
    rows = [[k, f"{v:,}", format_bytes(v, "GB"), format_bytes(v, "GiB")]
            for k, v in list(e.parts().items()) + [("total", e.total)]]
    print(render_table(["part", "bytes", "GB", "GiB"], rows, "lrrr"))
    print()
    print("GB = 10^9 bytes, GiB = 2^30 bytes. activations: one forward pass; "
          "framework: CUDA context, workspaces, CUDA graphs; margin: a fraction of the rest.")
    for line in _approximate_note(m):
        print(line)
    return 0


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
    p.add_argument("--engine", default="v1", help="vLLM generation: v1 (default) or v0")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _run_pool(args: argparse.Namespace) -> int:
    from .serving import kv_pool

    p = kv_pool(args.model, gpu=args.gpu, gpu_memory_utilization=args.gpu_memory_utilization,
                tensor_parallel=args.tensor_parallel, weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype,
                max_model_len=args.max_model_len, block_size=args.block_size,
                total_memory_gib=None if args.total_memory_gib is None else args.total_memory_gib / GiB,
                engine=args.engine)
    if args.json:
        _print_json(p.to_dict())
    else:
        print(p)
    return 0


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
        data = sys.stdin.buffer.read(MAX_LOG_BYTES + 1)
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
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _blank_if_missing(v: Any) -> Any:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _run_explain_log(args: argparse.Namespace) -> int:
    from .vllm_log import explain_vllm_log

    df = explain_vllm_log(read_log(args.file), model=args.model, gpu=args.gpu)
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
    from .gpus import get_gpu
    from .speed import decode_speed

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


# ---------------------------------------------------------------------------
#: Every subcommand, in the order ``vramlab --help`` lists them. Append new ones here.
SUBCOMMANDS: list[Subcommand] = [
    Subcommand(
        "models", "list the shipped model presets", _models_arguments, _run_models,
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

GB means 10^9 bytes and GiB 2^30 bytes. Bad input prints one line and exits with status 2."""


def _version() -> str:
    from . import __version__

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
    except (OSError, ValueError) as exc:  # an unreadable file, malformed data
        msg, status = f"{type(exc).__name__}: {exc}", EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - never a traceback on the command line
        msg = f"internal error ({type(exc).__name__}: {exc}); please report it"
        status = EXIT_INTERNAL
    print(f"{PROG}: error: {_one_line(msg)}", file=sys.stderr)
    return status
