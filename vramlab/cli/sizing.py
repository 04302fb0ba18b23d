"""The subcommands about a model's memory: ``models``, ``params``, ``estimate``, ``fit``, ``gpus``,
``train``. Each is an ``_X_arguments(parser)`` and a ``_run_X(args) -> exit status`` pair,
registered in :data:`vramlab.cli.SUBCOMMANDS`.

>>> from vramlab.cli import main
>>> main(["fit", "Qwen/Qwen3-8B", "--gpu", "H100", "--tokens", "8k"])  # doctest: +ELLIPSIS
✓ Fits on one H100 80GB ...
0
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from ..errors import VramlabError
from ..memory import context_warnings, estimate, kv_bytes_per_token
from ..params import COMPONENTS, active_param_count, param_breakdown
from ..presets import list_models, load_model
from ..report import estimate_text, fit_text, gpus_text, models_text, params_text, training_text
from ..units import parse_fraction
from .common import (EXIT_DOES_NOT_FIT, _add_json, _count, _dtypes, _gpu_arguments, _gpu_of, _named, _print_json,
                     _typed, _workload_arguments)


# ---------------------------------------------------------------------------
# vramlab models
def _run_models(args: argparse.Namespace) -> int:
    records = [{"id": model_id, "family": m.model_type, "attention_kind": m.attention_kind, "layers": m.num_layers,
                "params": m.param_count(), "kv_bytes_per_token_16bit": kv_bytes_per_token(m, kv_dtype="bf16")}
               for model_id, m in ((i, load_model(i)) for i in list_models())]
    _print_json(records) if args.json else print(models_text(records))
    return 0


# ---------------------------------------------------------------------------
# vramlab params MODEL
def _params_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="preset id (see `vramlab models`) or path to a config.json")
    _add_json(p)


def _run_params(args: argparse.Namespace) -> int:
    m = load_model(args.model)
    parts = param_breakdown(m)
    active, note = None, None
    if m.is_moe or "experts" in parts:
        try:
            active = active_param_count(m)
        except VramlabError as exc:  # the total is still exact; say why no active figure is shown
            note = str(exc)
    card = {k: v for k, v in dict((m.meta or {}).get("card") or {}).items() if k.startswith("params_") and v is not None}
    if args.json:
        _print_json({"model": m.name, "model_type": m.model_type, "exact": m.exact, "components": parts,
                     "total": sum(parts.values()), "active": active, "card": card,
                     "warnings": list(m.warnings) + ([note] if note else [])})
    else:
        order = [k for k in COMPONENTS if k in parts] + [k for k in parts if k not in COMPONENTS]
        print(params_text(m, parts, order, active, card))
        if note:
            print(f"note: {note}")
    return 0


# ---------------------------------------------------------------------------
# vramlab estimate MODEL_OR_CONFIG_JSON
def _estimate_arguments(p: argparse.ArgumentParser) -> None:
    _workload_arguments(p)
    _gpu_arguments(p, "split over")
    p.add_argument("--activation-tokens", type=_count("activation_tokens", minimum=0), default=None, metavar="N",
                   help="tokens in the largest forward pass (default: min(tokens x concurrency, 2048), "
                        "one chunk of chunked prefill; 0 leaves activations out)")


def _run_estimate(args: argparse.Namespace) -> int:
    m = load_model(args.model)
    wd, kd = _dtypes(m, args)
    e = _named(estimate, m, tokens=args.tokens, concurrency=args.concurrency, weight_dtype=wd, kv_dtype=kd,
               margin=args.margin, activation_tokens=args.activation_tokens, framework_bytes=args.framework_gib)
    g = _gpu_of(args)
    if g is None and args.tensor_parallel > 1:
        raise VramlabError("argument --tensor-parallel: splitting over GPUs needs --gpu NAME or --gpu-memory SIZE",
                           field="tensor_parallel")
    from ..planning import plan_on

    plan = None if g is None else _named(plan_on, m, g, args.tensor_parallel, e.tokens, e.concurrency, wd, kd,
                                         e.margin_fraction, framework_bytes=e.framework)
    per_token = kv_bytes_per_token(m, kv_dtype=kd, context=e.tokens)
    if args.json:
        _print_json({**e.to_dict(), "kv_bytes_per_token": per_token, "params": m.param_count(), "exact": m.exact,
                     **({} if plan is None else {"per_gpu": plan.to_dict()})})
    else:
        print(estimate_text(e, m, per_token, plan))
    return 0


# ---------------------------------------------------------------------------
# vramlab fit MODEL --gpu NAME
def _fit_arguments(p: argparse.ArgumentParser) -> None:
    _workload_arguments(p)
    _gpu_arguments(p)
    p.add_argument("--engine", choices=("plain", "vllm"), default="plain", help="plain: the estimate against usable "
                   "memory (default); vllm: vLLM's start-up accounting (gpu_memory_utilization 0.9, KV blocks)")


def _run_fit(args: argparse.Namespace) -> int:
    from ..planning import fit

    m = load_model(args.model)
    g = _gpu_of(args)
    if g is None:
        raise VramlabError("fit needs --gpu NAME (see `vramlab gpus`) or --gpu-memory SIZE", field="gpu")
    wd, kd = _dtypes(m, args)
    f = _named(fit, m, g, args.tokens, args.concurrency, wd, kd, args.margin, tensor_parallel=args.tensor_parallel,
               framework_bytes=args.framework_gib, engine=args.engine)
    _print_json(f.to_dict()) if args.json else print(fit_text(f))
    return 0 if f.fits else EXIT_DOES_NOT_FIT


# ---------------------------------------------------------------------------
# vramlab gpus
def _run_gpus(args: argparse.Namespace) -> int:
    from ..gpus import GPUS

    gpus = list(GPUS.values())
    if args.json:
        _print_json([{**asdict(g), "usable_bytes": g.usable_bytes, "usable_is_measured": g.usable_is_measured,
                      "price_class": g.price_class} for g in gpus])
    else:
        print(gpus_text(gpus))
    return 0


# ---------------------------------------------------------------------------
# vramlab train MODEL
def _train_arguments(p: argparse.ArgumentParser) -> None:
    from ..training import KERNELS, OPTIMIZERS, RECOMPUTE

    p.add_argument("model", metavar="MODEL_OR_CONFIG_JSON", help="preset id or path to a config.json")
    for flag, kind, default, help_ in (
            ("--method", ("full", "lora", "qlora"), "full", "full fine-tuning, LoRA (bf16 base), QLoRA (NF4 base)"),
            ("--seq-len", _count("seq_len"), 4096, "tokens per sequence, e.g. 4096 or 4k"),
            ("--micro-batch", _count("micro_batch", maximum=10**6), 1, "sequences per GPU per step"),
            ("--optimizer", tuple(OPTIMIZERS), "adamw", "optimizer (its states per parameter)"),
            ("--zero-stage", ("0", "1", "2", "3"), "0", "ZeRO: 1 shards optimizer states, 2 gradients, 3 weights"),
            ("--gpus", _count("num_gpus", maximum=10**6), 1, "data-parallel GPUs ZeRO shards over"),
            ("--recompute", RECOMPUTE, "none", "activation recomputation (checkpointing)"),
            ("--kernels", KERNELS, "fused", "kernels the activations assume"),
            ("--lora-rank", _count("lora_rank", maximum=65536), 16, "LoRA rank"),
            ("--margin", _typed(parse_fraction, field="margin", maximum=10.0), 0.0, "for fragmentation, 0.1 or 10%%")):
        choice = isinstance(kind, tuple)
        p.add_argument(flag, choices=kind if choice else None, type=None if choice else kind, default=default,
                       help=f"{help_} (default: %(default)s)")
    _gpu_arguments(p, "compare each GPU's total with", tp=False)
    _add_json(p)


def _run_train(args: argparse.Namespace) -> int:
    from ..training import estimate as training_estimate

    m = load_model(args.model)
    e = _named(training_estimate, m, args.method, args.seq_len, args.micro_batch, optimizer=args.optimizer,
               zero_stage=int(args.zero_stage), num_gpus=args.gpus, recompute=args.recompute, kernels=args.kernels,
               lora_rank=args.lora_rank, margin=args.margin)
    warnings = list(m.warnings) + list(context_warnings(m, e.seq_len))
    g = _gpu_of(args)
    fits = None if g is None else e.total <= g.usable_bytes
    if args.json:
        _print_json({**e.to_dict(), "gpu": None if g is None else g.name,
                     "usable": None if g is None else g.usable_bytes, "fits": fits, "warnings": warnings})
    else:
        print(training_text(e, g, warnings))
    return EXIT_DOES_NOT_FIT if fits is False else 0
