"""What every subcommand shares: the :class:`Subcommand` record, exit statuses, argparse types
reading values as people type them, and the options several subcommands take (workload, GPU).

>>> _count("tokens")("32k")
32768
"""

from __future__ import annotations

import argparse
import inspect
import json
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import MAX_CONCURRENCY, MAX_TOKENS, VramlabError
from ..memory import DEFAULT_FRAMEWORK_BYTES, estimate, resolve_kv_dtype, resolve_weight_dtype
from ..spec import ModelSpec
from ..units import GiB, parse_count, parse_fraction, parse_size

PROG = "vramlab"

#: Exit status when the workload does not fit (``fit``, ``pool``, ``train --gpu``).
EXIT_DOES_NOT_FIT = 1
#: Exit status for bad input (the same as argparse's for a bad command line).
EXIT_BAD_INPUT = 2
#: Exit status for an unexpected failure inside vramlab (a bug: please report it).
EXIT_INTERNAL = 3


# ---------------------------------------------------------------------------
# Registration
@dataclass(frozen=True)
class Subcommand:
    """One ``vramlab`` subcommand: ``name`` (what the user types), ``help`` (one line of
    ``vramlab --help``), ``add_arguments(parser)``, ``run(args) -> exit status`` (it may raise
    :class:`~vramlab.errors.VramlabError`; :func:`main` prints it in one line, status 2) and
    ``epilog`` (examples at the end of ``vramlab NAME --help``).

    >>> from vramlab.cli import SUBCOMMANDS
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


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON (sizes in bytes, as integers)")


# ---------------------------------------------------------------------------
# Options several subcommands share
_ESTIMATE_DEFAULTS = {k: p.default for k, p in inspect.signature(estimate).parameters.items()}


def _gpu_arguments(p: argparse.ArgumentParser, what: str = "compare with", tp: bool = True) -> None:
    p.add_argument("--gpu", metavar="NAME", help=f"catalog GPU to {what} (see `vramlab gpus`)")
    p.add_argument("--gpu-memory", type=_gib("gpu_memory"), default=None, metavar="SIZE",
                   help="memory of a GPU outside the catalog, e.g. 24GiB or 80GB (a bare number is GiB); "
                        "usable memory is estimated as for catalog GPUs without a measurement. "
                        "With --gpu it replaces that GPU's memory")
    if tp:
        p.add_argument("--tensor-parallel", "--tp", type=_count("tensor_parallel", maximum=1024), default=1,
                       metavar="N", help="GPUs the model is split over (default: 1)")


def _gpu_of(args: argparse.Namespace):
    """The GPU that ``--gpu``/``--gpu-memory`` name (None when neither is given)."""
    from ..gpus import GPU, get_gpu

    base = None if args.gpu is None else _for_option("--gpu", get_gpu, args.gpu)
    if args.gpu_memory is None:
        return base
    return _for_option("--gpu-memory", GPU.custom, None, memory=args.gpu_memory, like=base)


def _workload_arguments(p: argparse.ArgumentParser) -> None:
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
                   help="safety margin as a fraction of everything else, 0.1 or 10%% "
                        "(default: %(default)s = 10%%; a bare number above 1 is refused)")
    p.add_argument("--framework-gib", type=_gib("framework_gib"), default=DEFAULT_FRAMEWORK_BYTES, metavar="F",
                   help="CUDA context, workspaces and CUDA graphs in GiB, or a size such as 512MiB "
                        f"(default: {DEFAULT_FRAMEWORK_BYTES / GiB:g}; 0 leaves it out)")
    _add_json(p)


#: Option that sets each field of :func:`vramlab.estimate` (and of fit, train), to name it in errors.
_ESTIMATE_OPTIONS = {"tokens": "--tokens", "concurrency": "--concurrency", "margin": "--margin",
                     "activation_tokens": "--activation-tokens", "framework_gib": "--framework-gib",
                     "framework_bytes": "--framework-gib", "tensor_parallel": "--tensor-parallel",
                     "seq_len": "--seq-len", "micro_batch": "--micro-batch", "zero_stage": "--zero-stage",
                     "num_gpus": "--gpus", "lora_rank": "--lora-rank", "gpu": "--gpu"}


def _for_option(option: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a VramlabError it raises is re-raised naming the command-line option
    (``option=None``: the option that sets the field it names, :data:`_ESTIMATE_OPTIONS`)."""
    try:
        return fn(*args, **kwargs)
    except VramlabError as exc:
        named = option or _ESTIMATE_OPTIONS.get(exc.field or "")
        if named is None or exc.field == "model":  # about the model itself, not the option's value
            raise
        raise VramlabError(f"argument {named}: {exc}", field=exc.field) from None


def _named(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return _for_option(None, fn, *args, **kwargs)


def _dtypes(m: ModelSpec, args: argparse.Namespace) -> tuple[Any, Any]:
    return (_for_option("--weight-dtype", resolve_weight_dtype, m, args.weight_dtype),
            _for_option("--kv-dtype", resolve_kv_dtype, m, args.kv_dtype))
