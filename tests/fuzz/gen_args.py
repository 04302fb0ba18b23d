"""Garbage (and valid) arguments to every public function, with the invariants of each result.

Each :class:`Target` names a function, a good value for each argument, a generator of
valid values, and an invariant checker. :func:`argument_cases` makes cases where one or
two arguments are garbage, or all are drawn from the valid generators.

>>> import random
>>> cases = list(argument_cases(random.Random(0), 5))
>>> len(cases), all(c.category == "arguments" for c in cases)
(5, True)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import vramlab as vl
import importlib

from vramlab import errors, training, units
from vramlab.errors import MAX_BYTES, MAX_TOKENS

from .core import GARBAGE, MAX_RESULT, Case, byte_count, check, finite, pick, show
from .gen_logs import verify_explained as _verify_log

planning = importlib.import_module(vl.fit.__module__)
serving, paging, decoding, tables = vl.serving, vl.paging, vl.decoding, vl.tables
widgets = importlib.import_module("vramlab.widgets.compute")


def _log_ok(df: Any, kwargs: dict) -> None:
    _verify_log(df)

MODELS = ["Qwen/Qwen3-8B", "meta-llama/Llama-3.1-8B-Instruct", "google/gemma-2-9b", "Qwen/Qwen3-30B-A3B",
          "deepseek-ai/DeepSeek-V2", "openai/gpt-oss-20b", "mistralai/Mistral-7B-v0.1", "tiiuae/falcon-7b"]
KV_DTYPES = ["auto", None, "bf16", "fp16", "fp8", "fp8_e4m3", "int8", "fp32"]


#: Numbers at and just past the bounds the validators use (tokens, concurrency, bytes, fractions).
BOUNDARY: list[Any] = [0, 1, 2, 1024, 10**6, 10**6 + 1, 10**7, 10**7 + 1, 10**8, 10**8 + 1, 10**9, 10**9 + 1,
                       2**50, 2**50 + 1, 10**15, 10**18, 10**18 + 1, 0.0, 1.0, 1.0000001, 10.0, 10.1, 1e-9,
                       2.0**20, 2.0**20 + 1, 5e-324]


def _models() -> list[Any]:
    return [vl.load_model(m) for m in MODELS]


_SPECS: list[Any] = []


def spec(rng: random.Random) -> Any:
    if not _SPECS:
        _SPECS.extend(_models())
    return rng.choice(_SPECS + MODELS[:2])


def _tokens(rng: random.Random) -> int:
    return rng.choice([1, 2, 17, 4096, 32768, rng.randint(1, 10**6), rng.randint(1, MAX_TOKENS)])


def _conc(rng: random.Random) -> int:
    return rng.choice([1, 2, 8, rng.randint(1, 512)])


# -- invariants ------------------------------------------------------------------------------

def _estimate_ok(e: Any, kwargs: dict) -> None:
    parts = e.parts()
    for k, v in parts.items():
        byte_count(f"estimate.{k}", v)
    check(e.total == sum(parts.values()), f"total {e.total} != sum of parts {sum(parts.values())}")
    check(e.tokens >= 1 and e.concurrency >= 1, "tokens/concurrency below 1")
    if e.tokens * 2 <= MAX_TOKENS:  # monotone in tokens
        bigger = vl.estimate(**dict(kwargs, tokens=e.tokens * 2))
        check(bigger.kv_cache >= e.kv_cache and bigger.total >= e.total,
              f"not monotone in tokens: {e.tokens} -> {e.total}, {2 * e.tokens} -> {bigger.total}")


def _kv_ok(v: Any, kwargs: dict) -> None:
    byte_count("kv_cache_bytes", v)
    c = kwargs.get("concurrency", 1)
    if isinstance(c, int) and c > 1:
        one = vl.kv_cache_bytes(**dict(kwargs, concurrency=1))
        check(v == c * one, f"kv for {c} sequences {v} != {c} x {one}")
    t = kwargs.get("tokens")
    if isinstance(t, int) and 2 * t <= MAX_TOKENS:
        check(vl.kv_cache_bytes(**dict(kwargs, tokens=2 * t)) >= v, "kv_cache_bytes not monotone in tokens")


def _pool_ok(p: Any, kwargs: dict) -> None:
    for k in ("total_memory", "requested", "weights", "activation", "non_torch", "cuda_graphs", "kv_bytes",
              "page_bytes", "block_bytes", "num_blocks", "tokens", "kv_bytes_per_token", "blocks_per_request"):
        byte_count(f"pool.{k}", getattr(p, k))
    check(p.kv_bytes <= p.requested <= p.total_memory, "kv_bytes <= requested <= total_memory broken")
    check(p.kv_bytes == max(0, p.requested - (p.weights + p.activation + p.non_torch + p.cuda_graphs)),
          "kv_bytes != requested - non-KV parts")
    check(p.num_blocks * p.block_bytes <= p.kv_bytes, "blocks overflow the pool")
    finite("pool.max_concurrency", p.max_concurrency, hi=1e12)
    if p.gpu_memory_utilization <= 0.95:  # more memory never shrinks the pool
        more = vl.kv_pool(**dict(kwargs, gpu_memory_utilization=p.gpu_memory_utilization + 0.05))
        check(more.kv_bytes >= p.kv_bytes and more.num_blocks >= p.num_blocks,
              f"pool shrinks when gpu_memory_utilization grows: {p.kv_bytes} -> {more.kv_bytes}")


def _fit_ok(f: Any, kwargs: dict) -> None:
    byte_count("fit.usable", f.usable)
    check(f.headroom == f.usable - f.estimate.total, "headroom != usable - total")
    check(f.fits == (f.headroom >= 0), "fits disagrees with headroom")
    check(isinstance(f.max_context, int) and 0 <= f.max_context <= max(f.context_limit, 0),
          f"max_context {f.max_context} outside [0, {f.context_limit}]")
    check(isinstance(f.max_concurrency, int) and f.max_concurrency >= 0, "max_concurrency < 0")


def _speed_ok(s: Any, kwargs: dict) -> None:
    for k in ("memory_seconds", "compute_seconds"):
        finite(f"speed.{k}", getattr(s, k), hi=1e30)  # 10**8 tokens x 1024 sequences take years: fine
    check(s.bound in ("memory", "compute"), f"bound {s.bound!r}")


def _widget_ok(out: Any, kwargs: dict) -> None:
    """A widget never raises: an error text, or a result with no error."""
    check((out.error is None) != all(getattr(out, f, None) is None for f in ("estimate", "pool", "table")
                                      if hasattr(out, f)), "widget output has both or neither a result and an error")
    check(out.error is None or (isinstance(out.error, str) and "\n" not in out.error), "error is not one line")


def _training_ok(e: Any, kwargs: dict) -> None:
    parts = e.parts()
    for k, v in parts.items():
        byte_count(f"training.{k}", v)
    check(e.total == sum(parts.values()), "training total != sum of parts")
    if e.seq_len * 2 <= 10**8:  # monotone in the sequence length
        longer = training.estimate(**dict(kwargs, seq_len=e.seq_len * 2))
        check(longer.activations >= e.activations and longer.total >= e.total,
              f"training memory shrinks with a longer sequence: {e.total} -> {longer.total}")


def _int_ok(lo: int = 0, hi: int = MAX_RESULT) -> Callable[[Any, dict], None]:
    def ok(v: Any, kwargs: dict) -> None:
        check(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi, f"{show(v)} outside [{lo}, {hi}]")
    return ok


def _float_ok(lo: float, hi: float) -> Callable[[Any, dict], None]:
    def ok(v: Any, kwargs: dict) -> None:
        finite("result", v, lo=lo, hi=hi)
    return ok


def _str_ok(v: Any, kwargs: dict) -> None:
    check(isinstance(v, str) and v and "nan" not in v and "inf" not in v, f"bad text {show(v)}")


def _any_ok(v: Any, kwargs: dict) -> None:
    check(v is not None, "None returned")


@dataclass(frozen=True)
class Target:
    """A public function: good arguments, valid-value generators, and the result's invariants."""

    name: str
    fn: Callable[..., Any]
    good: dict[str, Any]
    valid: dict[str, Callable[[random.Random], Any]]
    verify: Callable[[Any, dict], None]
    fixed: tuple[str, ...] = ()  # a caller's settings (a field name, a range), not user input


def targets() -> list[Target]:
    dtypes = vl.list_dtypes() + ["auto", None]
    gpu_names = vl.list_gpus()
    m0 = "Qwen/Qwen3-8B"
    return [
        Target("estimate", vl.estimate,
               {"m": m0, "tokens": 4096, "concurrency": 1, "weight_dtype": "auto", "kv_dtype": "auto", "margin": 0.1,
                "activation_tokens": None, "framework_bytes": 2**30},
               {"m": spec, "tokens": _tokens, "concurrency": _conc, "weight_dtype": lambda r: r.choice(dtypes),
                "kv_dtype": lambda r: r.choice(KV_DTYPES), "margin": lambda r: r.choice([0, 0.1, r.random()]),
                "activation_tokens": lambda r: r.choice([None, 0, r.randint(0, 10**5)]),
                "framework_bytes": lambda r: r.choice([0, 2**30, r.randint(0, MAX_BYTES)])},
               _estimate_ok),
        Target("kv_cache_bytes", vl.kv_cache_bytes, {"m": m0, "tokens": 4096, "concurrency": 1, "kv_dtype": "auto"},
               {"m": spec, "tokens": _tokens, "concurrency": _conc, "kv_dtype": lambda r: r.choice(KV_DTYPES)},
               _kv_ok),
        Target("kv_bytes_per_token", vl.kv_bytes_per_token, {"m": m0, "kv_dtype": "auto", "context": None},
               {"m": spec, "kv_dtype": lambda r: r.choice(KV_DTYPES),
                "context": lambda r: r.choice([None, _tokens(r)])},
               _int_ok(1, 10**9)),
        Target("weights_bytes", vl.weights_bytes, {"m": m0, "dtype": "auto"},
               {"m": spec, "dtype": lambda r: r.choice(dtypes)}, _int_ok(1)),
        Target("activation_bytes", vl.activation_bytes,
               {"m": m0, "batched_tokens": 2048, "sequences": 1, "dtype": "auto"},
               {"m": spec, "batched_tokens": lambda r: r.randint(0, 10**5), "sequences": lambda r: r.randint(0, 64)},
               _int_ok()),
        Target("param_count", vl.param_count, {"m": m0}, {"m": spec}, _int_ok(1, 10**13)),
        Target("kv_pool", vl.kv_pool,
               {"model": m0, "gpu": "H100 80GB", "gpu_memory_utilization": 0.9, "tensor_parallel": 1,
                "weight_dtype": None, "kv_dtype": "auto", "max_model_len": 8192, "block_size": 16,
                "total_memory_gib": None, "engine": "v1", "usage": "serve", "count_cuda_graphs": False,
                "max_num_seqs": None, "weights_bytes": None},
               {"model": spec, "gpu": lambda r: r.choice(gpu_names),
                "gpu_memory_utilization": lambda r: r.uniform(0.05, 1),
                "tensor_parallel": lambda r: r.choice([1, 2, 4, 8]), "kv_dtype": lambda r: r.choice(KV_DTYPES),
                "max_model_len": lambda r: r.choice([None, r.randint(1, 10**6)]),
                "block_size": lambda r: r.choice([1, 8, 16, 32]),
                "total_memory_gib": lambda r: r.choice([None, r.uniform(1, 300)])},
               _pool_ok),
        Target("fit", vl.fit,
               {"model": m0, "gpu": "H100 80GB", "tokens": 4096, "concurrency": 1, "weight_dtype": "auto",
                "kv_dtype": "auto", "margin": 0.1, "max_gpus": 8},
               {"model": spec, "gpu": lambda r: r.choice(gpu_names),
                "tokens": lambda r: r.choice([1, 4096, r.randint(1, 10**6)]),
                "concurrency": _conc, "kv_dtype": lambda r: r.choice(KV_DTYPES), "margin": lambda r: r.random(),
                "max_gpus": lambda r: r.choice([1, 2, 8])},
               _fit_ok),
        Target("fit_map", planning.fit_map,
               {"model": m0, "gpu": "RTX 4090", "contexts": (4096,), "concurrencies": (1, 2)},
               {"contexts": lambda r: [r.randint(1, 10**6) for _ in range(r.randint(1, 3))],
                "concurrencies": lambda r: [r.randint(1, 64) for _ in range(r.randint(1, 3))]},
               lambda v, kw: check(len(v.headroom) == len(v.concurrencies), "fit_map rows")),
        Target("decode_speed", vl.decode_speed,
               {"model": m0, "gpu": "H100 80GB", "tokens": 4096, "concurrency": 1, "weight_dtype": None,
                "kv_dtype": "auto", "tensor_parallel": 1},
               {"model": spec, "gpu": lambda r: r.choice(gpu_names), "tokens": lambda r: r.randint(1, 10**6),
                "concurrency": _conc, "tensor_parallel": lambda r: r.choice([1, 2, 4])}, _speed_ok),
        Target("prefill_time", vl.prefill_time,
               {"model": m0, "gpu": "H100 80GB", "tokens": 4096, "concurrency": 1, "tensor_parallel": 1},
               {"model": spec, "gpu": lambda r: r.choice(gpu_names), "tokens": lambda r: r.randint(1, 10**6),
                "concurrency": _conc}, _speed_ok),
        Target("max_context", planning.max_context,
               {"model": m0, "gpu": "RTX 4090", "concurrency": 1, "margin": 0.1, "tensor_parallel": 1, "limit": None},
               {"model": spec, "gpu": lambda r: r.choice(gpu_names), "concurrency": _conc},
               _int_ok(0, MAX_TOKENS)),
        Target("max_concurrency", planning.max_concurrency,
               {"model": m0, "gpu": "RTX 4090", "tokens": 4096, "margin": 0.1, "limit": 10**6},
               {"model": spec, "gpu": lambda r: r.choice(gpu_names), "tokens": _tokens}, _int_ok(0, 10**7)),
        Target("explain_vllm_log", vl.explain_vllm_log,
               {"text": "INFO Model loading took 14.99 GiB memory\nINFO GPU KV cache size: 476,016 tokens",
                "model": "meta-llama/Llama-3.1-8B-Instruct", "gpu": "H100 80GB"},
               {"gpu": lambda r: r.choice(gpu_names + [None])}, _log_ok),
        Target("widgets.calculate", widgets.calculate,
               {"model": m0, "config": "", "tokens": 4096.0, "concurrency": 1, "weight_dtype": "auto",
                "kv_dtype": "auto", "margin": 0.1, "gpu": "RTX 4090"},
               {"tokens": lambda r: r.uniform(1, 10**6), "gpu": lambda r: r.choice(gpu_names)}, _widget_ok),
        Target("widgets.pool_summary", widgets.pool_summary,
               {"model": m0, "gpu": "H100 80GB", "gpu_memory_utilization": 0.9, "max_model_len": 32768,
                "kv_dtype": "auto"}, {"gpu_memory_utilization": lambda r: r.uniform(0.1, 1)}, _widget_ok),
        Target("widgets.explain_log", widgets.explain_log, {"text": "INFO GPU KV cache size: 476,016 tokens"},
               {}, _widget_ok),
        Target("utilization_sweep", serving.utilization_sweep,
               {"model": m0, "gpu": "H100 80GB", "utilizations": [0.5, 0.9]},
               {"utilizations": lambda r: [round(r.uniform(0.05, 1), 2) for _ in range(r.randint(1, 3))]},
               lambda df, kw: check(len(df) >= 1 and (df["kv_bytes"] >= 0).all(), "utilization_sweep rows")),
        Target("chunked_prefill_table", serving.chunked_prefill_table, {"model": m0, "chunks": (512, 2048)},
               {"chunks": lambda r: [r.randint(1, 10**5) for _ in range(r.randint(1, 3))]},
               lambda df, kw: check(len(df) >= 1, "chunked_prefill_table rows")),
        Target("simulate_paging", paging.simulate_paging,
               {"n": 100, "max_model_len": 2048, "block_size": 16, "seed": 0, "budget_tokens": None, "requests": None},
               {"n": lambda r: r.randint(1, 2000), "block_size": lambda r: r.choice([1, 16, 32]),
                "requests": lambda r: r.choice([None, [(r.randint(1, 900), r.randint(0, 900)) for _ in range(5)]])},
               lambda p, kw: check(0 <= p.tokens_used if hasattr(p, "tokens_used") else True, "paging")),
        Target("decode_work_curve", decoding.decode_work_curve, {"model": m0, "contexts": (1, 4096)},
               {"model": spec, "contexts": lambda r: [r.randint(1, 10**6) for _ in range(r.randint(1, 3))]},
               lambda v, kw: check(len(v) >= 1, "decode_work_curve")),
        Target("kv_table", tables.kv_table, {"models": [m0], "kv_dtype": "bf16", "context": 32768},
               {"context": _tokens}, lambda df, kw: check(len(df) >= 1, "kv_table rows")),
        Target("weights_table", tables.weights_table, {"models": [m0], "dtypes": ("bf16", "int4"), "unit": "GB"},
               {"dtypes": lambda r: r.sample(["bf16", "fp8", "int4", "nf4", "Q4_K_M"], 2)},
               lambda df, kw: check(len(df) >= 1, "weights_table rows")),
        Target("model_states_bytes", training.model_states_bytes,
               {"params": 8 * 10**9, "zero_stage": 0, "num_gpus": 1, "weight_dtype": "bf16", "optimizer": "adamw"},
               {"params": lambda r: r.randint(0, 10**12), "zero_stage": lambda r: r.randint(0, 3),
                "num_gpus": lambda r: r.choice([1, 8, 64])},
               lambda st, kw: check(st.total == sum(st.parts().values()) and min(st.parts().values()) >= 0,
                                    "model states total != sum of parts")),
        Target("training.estimate", training.estimate,
               {"model": m0, "method": "full", "seq_len": 4096, "micro_batch": 1, "zero_stage": 0, "num_gpus": 1,
                "recompute": "none", "lora_rank": 16, "lora_targets": "all-linear", "margin": 0.0},
               {"model": spec, "method": lambda r: r.choice(["full", "lora", "qlora"]),
                "seq_len": lambda r: r.randint(1, 10**5), "micro_batch": lambda r: r.randint(1, 16),
                "zero_stage": lambda r: r.randint(0, 3), "num_gpus": lambda r: r.choice([1, 2, 8]),
                "recompute": lambda r: r.choice(["none", "selective", "full"]),
                "lora_rank": lambda r: r.randint(1, 256),
                "margin": lambda r: r.random()},
               _training_ok),
        Target("lora_params", training.lora_params, {"model": m0, "rank": 16, "targets": "all-linear"},
               {"model": spec, "rank": lambda r: r.randint(1, 1024),
                "targets": lambda r: r.choice(["all-linear", "attention", ["q_proj", "v_proj"]])}, _int_ok()),
        Target("parse_bytes", vl.parse_bytes, {"text": "24 GiB"},
               {"text": lambda r: f"{r.uniform(0, 1000):.3f} {r.choice(list(units.UNITS))}"}, _int_ok(0, MAX_BYTES)),
        Target("parse_count", units.parse_count, {"text": "32k"},
               {"text": lambda r: r.choice([str(r.randint(1, 10**6)), f"{r.randint(1, 512)}k"])},
               _int_ok(1, MAX_TOKENS)),
        Target("parse_size", units.parse_size, {"text": "16 GiB", "default_unit": None},
               {"text": lambda r: f"{r.randint(0, 999)}{r.choice(['GB', 'GiB', ' MiB', 'tb'])}"}, _int_ok(0, MAX_BYTES),
               ("default_unit",)),
        Target("parse_fraction", units.parse_fraction, {"text": "10%", "maximum": 1.0},
               {"text": lambda r: r.choice([f"{r.random():.3f}", f"{r.randint(0, 100)}%"])},
               _float_ok(0, 10), ("maximum",)),
        Target("format_bytes", vl.format_bytes, {"n_bytes": 10**9, "unit": "GB", "digits": 2},
               {"n_bytes": lambda r: r.randint(-10**15, 10**15),
                "unit": lambda r: r.choice(list(units.UNITS) + ["auto"]),
                "digits": lambda r: r.randint(0, 6)}, _str_ok),
        Target("from_unit", vl.from_unit, {"value": 1.5, "unit": "GiB"},
               {"value": lambda r: r.uniform(-1e6, 1e6)}, lambda v, kw: check(isinstance(v, int), "not int")),
        Target("get_gpu", vl.get_gpu, {"name": "H100"}, {"name": lambda r: r.choice(gpu_names)},
               lambda g, kw: byte_count("usable_bytes", g.usable_bytes)),
        Target("get_dtype", vl.get_dtype, {"name": "bf16"}, {"name": lambda r: r.choice(vl.list_dtypes())},
               lambda d, kw: finite("bytes_per_value", float(d.bytes_per_value), lo=0.01, hi=8)),
        Target("load_model", vl.load_model, {"model": m0}, {"model": lambda r: r.choice(vl.list_models())},
               lambda m, kw: check(m.num_layers >= 1, "no layers")),
        Target("check_int", errors.check_int, {"name": "n", "value": 5, "minimum": 0, "maximum": 10},
               {"value": lambda r: r.randint(0, 10)}, _int_ok(0, 10), ("name", "minimum", "maximum")),
        Target("check_number", errors.check_number, {"name": "x", "value": 0.5, "minimum": 0.0, "maximum": 1.0},
               {"value": lambda r: r.random()}, _float_ok(0, 1), ("name", "minimum", "maximum")),
        Target("check_items", errors.check_items, {"name": "xs", "value": [1, 2]},
               {"value": lambda r: list(range(r.randint(1, 5)))}, lambda v, kw: check(isinstance(v, tuple), "tuple"),
               ("name",)),
    ]


def argument_cases(rng: random.Random, n: int, only: list[str] | None = None) -> Iterator[Case]:
    """``n`` cases spread over the targets (or those named in ``only``)."""
    ts = [t for t in targets() if only is None or t.name in only]
    for i in range(n):
        t = ts[i % len(ts)]
        kwargs = dict(t.good)
        mode = rng.random()
        if mode < 0.3:  # every argument valid: the invariants are the test
            for k, gen in t.valid.items():
                if rng.random() < 0.7:
                    kwargs[k] = gen(rng)
        elif mode < 0.45:  # numbers at and just past the edges of every range
            free = [k for k in kwargs if k not in t.fixed]
            for k in rng.sample(free, k=min(len(free), rng.choice([1, 2, 3]))):
                kwargs[k] = pick(rng, BOUNDARY)
        else:
            free = [k for k in kwargs if k not in t.fixed]
            for k in rng.sample(free, k=min(len(free), rng.choice([1, 1, 1, 2]))):
                kwargs[k] = pick(rng, GARBAGE)
        yield _case(t, kwargs)


def _case(t: Target, kwargs: dict) -> Case:
    label = f"{t.name}(" + ", ".join(f"{k}={show(v)}" for k, v in kwargs.items()) + ")"

    def call() -> Any:
        return t.fn(**kwargs)

    return Case("arguments", label, call, lambda v: t.verify(v, kwargs))


def exhaustive_cases() -> Iterator[Case]:
    """Every garbage value in every argument of every target (one at a time)."""
    for t in targets():
        for k in t.good:
            for g in GARBAGE if k not in t.fixed else ():
                yield _case(t, dict(t.good, **{k: g}))
