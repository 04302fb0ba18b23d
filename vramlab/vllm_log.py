"""Read a vLLM start-up log and explain every memory figure it prints.

Recognised lines (several vLLM generations):

* weights: ``Loading model weights took 14.9888 GB`` (V0; the value is GiB although the
  label says "GB"), ``Model loading took 14.99 GiB memory and 4.2 seconds`` (V1);
* profiling: ``Memory profiling results: duration=..., total_gpu_memory=23.58GiB, ...,
  peak_torch_memory=17.06GiB, ..., non_torch_memory=0.35GiB, kv_cache_size=3.81GiB,
  gpu_memory_utilization=0.90`` (0.6.4), its tab-separated multi-line form (0.6.5),
  ``the current vLLM instance can use total_gpu_memory (79.22GiB) x gpu_memory_utilization
  (0.90) = 71.29GiB`` + ``model weights take ...; non_torch_memory takes ...; PyTorch
  activation peak memory takes ...; the rest of the memory reserved for KV Cache is ...``
  (0.7-0.9), ``Memory profiling takes ... seconds. Total non KV cache memory: ...; torch
  peak memory increase: ...; non-torch forward increase memory: ...; weights memory: ...``
  (V1, DEBUG);
* pool: ``# GPU blocks: N`` (also ``# CUDA blocks``), ``Available KV cache memory: X GiB``,
  ``GPU KV cache size: N tokens``, ``Maximum concurrency for N tokens per request: X x``,
  the start-up error ``max seq len (N) is larger than the maximum number of tokens that
  can be stored in KV cache (M)``;
* settings: ``non-default args: {...}``, the engine's ``with config: model='...',
  max_seq_len=..., tensor_parallel_size=..., kv_cache_dtype=...`` line, and
  ``vllm serve MODEL --flag value`` command lines.

>>> import vramlab as vl
>>> log = '''INFO [gpu_model_runner.py] Model loading took 14.99 GiB memory and 4.1 seconds
... INFO [gpu_worker.py] Available KV cache memory: 58.11 GiB
... INFO [kv_cache_utils.py] GPU KV cache size: 476,016 tokens
... INFO [kv_cache_utils.py] Maximum concurrency for 8,192 tokens per request: 58.11x'''
>>> df = vl.explain_vllm_log(log, model="meta-llama/Llama-3.1-8B-Instruct", gpu="H100 80GB")
>>> df["quantity"].tolist()
['weights', 'KV cache memory', 'KV cache tokens', 'max concurrency']
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import VramlabError, check_fraction
from .gpus import GPUS, get_gpu
from .units import GiB, format_bytes, to_unit

__all__ = ["VllmLog", "parse_vllm_log", "explain_vllm_log", "add_explain_log_arguments", "run_explain_log",
           "add_pool_arguments", "run_pool"]

_NUM = r"([0-9][0-9,]*(?:\.[0-9]+)?)"


def _f(s: str) -> float:
    return float(s.replace(",", ""))


@dataclass(frozen=True)
class VllmLog:
    """What a vLLM start-up log says.

    Attributes
    ----------
    engine : str
        ``"v0"`` or ``"v1"`` (from the version or from which lines appear).
    version : str or None
        vLLM version when the log prints it.
    settings : dict
        model, tensor_parallel_size, gpu_memory_utilization, kv_cache_dtype, max_model_len,
        dtype, block_size, max_num_seqs, max_num_batched_tokens (those found).
    figures : dict
        name -> (value, unit as printed, the line); sizes in GiB as printed.
    """

    engine: str
    version: str | None
    settings: Mapping[str, Any] = field(default_factory=dict)
    figures: Mapping[str, tuple[float, str, str]] = field(default_factory=dict)


_SETTING_KEYS = {
    "model": "model", "tensor_parallel_size": "tensor_parallel_size", "tp": "tensor_parallel_size",
    "gpu_memory_utilization": "gpu_memory_utilization", "kv_cache_dtype": "kv_cache_dtype",
    "max_model_len": "max_model_len", "max_seq_len": "max_model_len", "dtype": "dtype",
    "block_size": "block_size", "max_num_seqs": "max_num_seqs",
    "max_num_batched_tokens": "max_num_batched_tokens",
}

_V0_MARKERS = ("Loading model weights took", "Memory profiling results", "# GPU blocks", "# CUDA blocks",
               "# cuda blocks", "model weights take", "the rest of the memory reserved for KV Cache")
_V1_MARKERS = ("Model loading took", "GPU KV cache size", "Available KV cache memory", "Total non KV cache memory")


def _setting(settings: dict, key: str, value: Any) -> None:
    k = _SETTING_KEYS.get(key)
    if k is None or value is None:
        return
    if k in ("tensor_parallel_size", "max_model_len", "block_size", "max_num_seqs", "max_num_batched_tokens"):
        try:
            value = int(str(value).replace(",", ""))
        except ValueError:
            return
    elif k == "gpu_memory_utilization":
        try:
            value = float(value)
        except ValueError:
            return
    else:
        value = str(value).strip().strip("'\"")
        if k == "dtype":
            value = value.replace("torch.", "")
    settings.setdefault(k, value)


def parse_vllm_log(text: str) -> VllmLog:
    """Parse the settings and memory figures of a vLLM start-up log.

    Raises :class:`~vramlab.errors.VramlabError` when nothing in ``text`` is recognisable.

    >>> log = parse_vllm_log("INFO worker.py:240] Loading model weights took 14.9888 GB\\n"
    ...                      "INFO executor_base.py] # GPU blocks: 1952, # CPU blocks: 2048")
    >>> log.engine, log.figures["weights"][:2], log.figures["gpu_blocks"][0]
    ('v0', (14.9888, 'GB'), 1952.0)
    >>> parse_vllm_log("hello")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: text has no vLLM start-up line vramlab recognises (e.g. 'Model loading took X GiB', 'GPU KV cache size: N tokens', '# GPU blocks: N'); got 5 characters
    """
    if not isinstance(text, str):
        raise VramlabError(f"text must be a str holding a vLLM log, got {type(text).__name__}", field="text")
    figures: dict[str, tuple[float, str, str]] = {}
    settings: dict[str, Any] = {}
    version = None

    def put(name: str, value: float, unit: str, line: str) -> None:
        figures.setdefault(name, (value, unit, line.strip()))

    for line in text.splitlines():
        if version is None:
            mv = re.search(r"engine \(v?([0-9][0-9a-z.+\-]*)\)|vLLM API server version v?([0-9][0-9a-z.+\-]*)"
                           r"|vllm version v?([0-9][0-9a-z.+\-]*)", line, re.I)
            if mv:
                version = next(g for g in mv.groups() if g)
        if "non-default args:" in line:
            lit = line.split("non-default args:", 1)[1].strip()
            try:
                args = ast.literal_eval(lit[: lit.rfind("}") + 1])
            except (ValueError, SyntaxError):
                args = {}
            if isinstance(args, dict):
                for k, v in args.items():
                    _setting(settings, str(k), v)
        if "with config:" in line:
            for k, v in re.findall(r"(\w+)=('[^']*'|[^,\s]+)", line.split("with config:", 1)[1]):
                if k in ("model", "max_seq_len", "tensor_parallel_size", "kv_cache_dtype", "dtype"):
                    _setting(settings, k, v)
        ms = re.search(r"vllm serve\s+(\S+)(.*)", line)
        if ms:
            if not ms.group(1).startswith("-"):
                _setting(settings, "model", ms.group(1))
            for k, v in re.findall(r"--([a-z0-9-]+)[ =]([^\s]+)", ms.group(2)):
                _setting(settings, k.replace("-", "_"), v)
            mt = re.search(r"(?:^|\s)-tp[ =](\d+)", ms.group(2))
            if mt:
                _setting(settings, "tp", mt.group(1))

        m = re.search(r"Loading model weights took " + _NUM + r" ?(GiB|GB)", line)
        if m:
            put("weights", _f(m.group(1)), m.group(2), line)
        m = re.search(r"Model loading took " + _NUM + r" ?(GiB|GB)", line)
        if m:
            put("weights", _f(m.group(1)), m.group(2), line)
        if "Memory profiling results:" in line and "=" in line:
            kv = dict(re.findall(r"(\w+)=" + _NUM, line))
            if "total_gpu_memory" in kv:
                put("total_memory", _f(kv["total_gpu_memory"]), "GiB", line)
            if "peak_torch_memory" in kv:
                put("peak_torch_incl_weights", _f(kv["peak_torch_memory"]), "GiB", line)
            if "non_torch_memory" in kv:
                put("non_torch", _f(kv["non_torch_memory"]), "GiB", line)
            if "kv_cache_size" in kv:
                put("kv_memory", _f(kv["kv_cache_size"]), "GiB", line)
            if "gpu_memory_utilization" in kv:
                _setting(settings, "gpu_memory_utilization", kv["gpu_memory_utilization"])
        pairs = [
            (r"total_gpu_memory\s*\(?" + _NUM + r"\s*GiB", "total_memory"),
            (r"the current vLLM instance can use(?: total_gpu_memory.*=)?\s+" + _NUM + r"\s*GiB", "requested"),
            (r"model weights take\s+" + _NUM + r"\s*GiB", "weights_profiled"),
            (r"non_torch_memory(?: takes)?\s+" + _NUM + r"\s*GiB", "non_torch"),
            (r"PyTorch activation peak memory(?: takes)?\s+" + _NUM + r"\s*GiB", "activation"),
            (r"(?:available_kv_cache_memory|the rest of the memory reserved for KV Cache is)\s+" + _NUM + r"\s*GiB",
             "kv_memory"),
            (r"Total non KV cache memory:\s*" + _NUM + r"\s*GiB", "non_kv_total"),
            (r"torch peak memory increase:\s*" + _NUM + r"\s*GiB", "activation"),
            (r"non-torch forward increase memory:\s*" + _NUM + r"\s*GiB", "non_torch"),
            (r"weights memory:\s*" + _NUM + r"\s*GiB", "weights_profiled"),
            (r"Available KV cache memory:\s*" + _NUM + r"\s*GiB", "kv_memory"),
            (r"[Rr]equested memory:\s*[0-9.]+ \(util\),\s*" + _NUM + r"\s*GiB", "requested"),
            (r"worker requested memory:\s*" + _NUM + r"\s*GiB", "requested"),
            (r"Graph capturing finished in .*took " + _NUM + r"\s*GiB", "cuda_graphs"),
        ]
        if "Memory profiling results:" not in line or "=" not in line:
            for pat, name in pairs:
                m = re.search(pat, line)
                if m:
                    put(name, _f(m.group(1)), "GiB", line)
        m = re.search(r"gpu_memory_utilization\s*\(?\s*([0-9.]+)\)?", line)
        if m and "Memory profiling results:" not in line and "non-default args" not in line:
            _setting(settings, "gpu_memory_utilization", m.group(1))
        m = re.search(r"GPU KV cache size:\s*" + _NUM + r" tokens", line)
        if m:
            put("tokens", _f(m.group(1)), "tokens", line)
        m = re.search(r"(?:# )?(?:GPU|CUDA|cuda|gpu) blocks:\s*" + _NUM, line)
        if m:
            put("gpu_blocks", _f(m.group(1)), "blocks", line)
        m = re.search(r"Maximum concurrency for " + _NUM + r" tokens per request:\s*" + _NUM + r"\s*x", line)
        if m:
            put("concurrency", _f(m.group(2)), "x", line)
            _setting(settings, "max_model_len", m.group(1))
        m = re.search(r"max seq len \(" + _NUM + r"\) is larger than the maximum number of tokens that can be "
                      r"stored in KV cache \(" + _NUM + r"\)", line)
        if m:
            _setting(settings, "max_model_len", m.group(1))
            put("tokens", _f(m.group(2)), "tokens", line)

    if not figures:
        raise VramlabError(
            "text has no vLLM start-up line vramlab recognises (e.g. 'Model loading took X GiB', "
            f"'GPU KV cache size: N tokens', '# GPU blocks: N'); got {len(text):,} characters", field="text")
    engine = _engine_of(version, text)
    if engine == "v0" and "weights" not in figures and "weights_profiled" in figures:
        figures["weights"] = figures["weights_profiled"]
    if "weights" not in figures and "weights_profiled" in figures:
        figures["weights"] = figures["weights_profiled"]
    return VllmLog(engine=engine, version=version, settings=settings, figures=figures)


def _engine_of(version: str | None, text: str) -> str:
    if "V1 LLM engine" in text:
        return "v1"
    if version:
        m = re.match(r"(\d+)\.(\d+)", version)
        if m:
            major, minor = int(m.group(1)), int(m.group(2))
            return "v1" if (major, minor) >= (0, 10) else "v0"
    if any(k in text for k in _V0_MARKERS):
        return "v0"
    return "v1"


def _gpu_from_total(total_gib: float) -> str | None:
    best = None
    for g in GPUS.values():
        if g.usable_is_measured and abs(to_unit(g.usable_bytes, "GiB") - total_gib) < 0.05:
            best = g.name
    return best


_DTYPE_NAMES = {"bfloat16": "bf16", "float16": "fp16", "half": "fp16", "float32": "fp32", "float": "fp32"}


def explain_vllm_log(text: str, model: Any = None, gpu: Any = None):
    """Each memory figure a vLLM start-up log prints, beside vramlab's, with one sentence why.

    Parameters
    ----------
    text : str
        The log (any subset of the lines listed in this module's docstring).
    model : str, ModelSpec or path, optional
        Overrides the model the log names (needed when the log names none).
    gpu : str, optional
        The GPU, when the log does not print its total memory (default: the GPU whose
        measured memory matches the log, else H100 80GB).

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity``, ``logged``, ``unit``, ``vramlab``, ``difference``,
        ``difference_%`` and ``explanation``; sizes in GiB.

    Raises
    ------
    VramlabError
        Nothing recognisable; ``gpu_memory_utilization`` ≤ 0 or > 1; a tensor-parallel size
        that does not divide the heads; an unknown model.

    Examples
    --------
    >>> import vramlab as vl
    >>> log = '''Loading model weights took 14.9888 GB
    ... Memory profiling results: duration=4.1 seconds, total_gpu_memory=23.58GiB, initial_memory_usage=15.34GiB, peak_torch_memory=17.06GiB, memory_usage_post_profile=15.35GiB, non_torch_memory=0.35GiB, kv_cache_size=3.81GiB, gpu_memory_utilization=0.90
    ... # GPU blocks: 1952, # CPU blocks: 2048
    ... Maximum concurrency for 20000 tokens per request: 1.56x'''
    >>> df = vl.explain_vllm_log(log, model="meta-llama/Llama-3.1-8B-Instruct")
    >>> int(df.set_index("quantity").loc["GPU blocks", "vramlab"])   # the log: 1952
    1957
    """
    import pandas as pd

    from .serving import kv_pool, profile_activation, resolve_serving_model

    log = parse_vllm_log(text)
    fig, st = log.figures, dict(log.settings)
    util = st.get("gpu_memory_utilization", 0.9)
    util = check_fraction("gpu_memory_utilization", util)
    name = model if model is not None else st.get("model")
    m = resolve_serving_model(name) if name is not None else None

    total_gib = fig["total_memory"][0] if "total_memory" in fig else None
    if total_gib is None and "requested" in fig:
        total_gib = fig["requested"][0] / util
    if total_gib is None and "kv_memory" in fig and "non_kv_total" in fig:
        total_gib = (fig["kv_memory"][0] + fig["non_kv_total"][0]) / util
    gpu_name = gpu if gpu is not None else (_gpu_from_total(total_gib) if total_gib else None) or "H100 80GB"
    g = get_gpu(gpu_name)
    if total_gib is None:
        total_gib = to_unit(g.usable_bytes, "GiB")

    rows: list[dict[str, Any]] = []

    def row(q: str, logged: float, unit: str, pred: float | None, why: str) -> None:
        diff = None if pred is None else pred - logged
        pct = None if (pred is None or not logged) else 100 * diff / logged
        rows.append({"quantity": q, "logged": logged, "unit": unit,
                     "vramlab": None if pred is None else round(pred, 4 if unit == "x" else 2),
                     "difference": None if diff is None else round(diff, 2),
                     "difference_%": None if pct is None else round(pct, 2), "explanation": why})

    if m is None:
        for k, (v, unit, _) in fig.items():
            row(k, v, unit, None, "the log names no model: pass model='org/name' (a preset id or a config.json path)")
        return pd.DataFrame(rows)

    tp = int(st.get("tensor_parallel_size", 1))
    max_len = st.get("max_model_len")
    wd = _DTYPE_NAMES.get(str(st.get("dtype", "auto")), None)
    kvd = st.get("kv_cache_dtype", "auto")
    pool = kv_pool(m, gpu=g, gpu_memory_utilization=util, tensor_parallel=tp, weight_dtype=wd, kv_dtype=kvd,
                   max_model_len=max_len, block_size=int(st.get("block_size", 16)), total_memory_gib=total_gib,
                   engine=log.engine, max_num_batched_tokens=st.get("max_num_batched_tokens"),
                   max_num_seqs=st.get("max_num_seqs"))
    G = lambda b: to_unit(b, "GiB")  # noqa: E731
    tp_txt = f" / TP {tp}" if tp > 1 else ""
    params = m.param_count()

    if "weights" in fig:
        v, unit, _ = fig["weights"]
        label = (" Old vLLM prints GiB under the label \"GB\": the value is GiB." if unit == "GB" else "")
        row("weights", v, "GiB", G(pool.weights),
            f"{params:,} parameters in {pool.weight_dtype}{tp_txt} (norms and routers replicated) plus the RoPE "
            f"cos/sin cache = {format_bytes(pool.weights, 'GiB')}.{label}")
    if "total_memory" in fig:
        row("total GPU memory", fig["total_memory"][0], "GiB", G(pool.total_memory),
            f"what the driver reports for the {pool.gpu} (less than the memory on the box).")
    if "requested" in fig:
        row("requested memory", fig["requested"][0], "GiB", G(pool.requested),
            f"{total_gib:.2f} GiB total × gpu_memory_utilization {util:.2f}.")
    if "activation" in fig or "peak_torch_incl_weights" in fig:
        logged = fig["activation"][0] if "activation" in fig else (
            fig["peak_torch_incl_weights"][0] - fig.get("weights", (0.0,))[0])
        p = profile_activation(m, pool.max_num_batched_tokens, pool.max_num_seqs, tp, log.engine, parts=True)
        row("activation peak", round(logged, 2), "GiB", G(pool.activation),
            f"profile run: max(forward pass over {pool.max_num_batched_tokens:,} tokens = {G(p['forward']):.2f} GiB, "
            f"hidden states + sampler over {min(pool.max_num_seqs, pool.max_num_batched_tokens):,} sequences × "
            f"{m.vocab_size:,} logits × 14 bytes = {G(p['hidden'] + p['moe_workspace'] + p['sampler']):.2f} GiB)"
            f" + runtime buffers {G(p['runtime_buffers']):.2f} GiB.")
    if "non_torch" in fig:
        extra = " plus NCCL/custom all-reduce buffers of tensor parallelism" if tp > 1 else ""
        row("non-torch memory", fig["non_torch"][0], "GiB", G(pool.non_torch),
            f"memory outside PyTorch's allocator: CUDA/cuBLAS workspaces{extra} (calibrated constant).")
    if "non_kv_total" in fig:
        row("non-KV memory", fig["non_kv_total"][0], "GiB", G(pool.non_kv),
            "weights + activation peak + non-torch memory: everything the KV cache cannot use.")
    if "kv_memory" in fig:
        row("KV cache memory", fig["kv_memory"][0], "GiB", G(pool.kv_bytes),
            f"KV = {total_gib:.2f} GiB × {util:.2f} − {G(pool.non_kv):.2f} GiB (weights {G(pool.weights):.2f} + "
            f"activation {G(pool.activation):.2f} + non-torch {G(pool.non_torch):.2f}).")
    per_tok = _per_token_text(m, pool, tp)
    kv_logged = fig.get("kv_memory", (None,))[0]
    if "gpu_blocks" in fig:
        from_logged = "" if kv_logged is None else \
            f"; from the logged {kv_logged:.2f} GiB: {int(kv_logged * GiB // pool.block_bytes):,} blocks"
        row("GPU blocks", fig["gpu_blocks"][0], "blocks", float(pool.num_blocks),
            f"blocks = KV memory / {format_bytes(pool.block_bytes, 'MiB')} per block ({pool.block_size} tokens × "
            f"{per_tok}){from_logged}.")
    if "tokens" in fig:
        from_logged = ""
        if kv_logged is not None:
            blocks = int(kv_logged * GiB // pool.block_bytes)
            from_logged = f"; from the logged {kv_logged:.2f} GiB: {blocks // pool.num_groups * pool.block_size:,} tokens"
        groups = f", {pool.num_groups} block groups (sliding-window and full layers apart)" if pool.num_groups > 1 else ""
        row("KV cache tokens", fig["tokens"][0], "tokens", float(pool.tokens),
            f"tokens = KV memory / {per_tok}, in blocks of {pool.block_size}{groups}{from_logged}.")
    if "concurrency" in fig:
        if log.engine == "v1":
            why = (f"{pool.num_blocks:,} blocks / {pool.blocks_per_request:,} blocks per "
                   f"{pool.max_model_len:,}-token request.")
        else:
            why = f"{pool.tokens:,} tokens / {pool.max_model_len:,} tokens per request."
        row("max concurrency", fig["concurrency"][0], "x", pool.max_concurrency, why)
    if "cuda_graphs" in fig:
        from .serving import cuda_graph_bytes

        row("CUDA graphs", fig["cuda_graphs"][0], "GiB", G(cuda_graph_bytes(m)),
            "captured after the KV cache is sized, from the memory left outside the budget.")
    return pd.DataFrame(rows)


def _per_token_text(m: Any, pool: Any, tp: int) -> str:
    size = format_bytes(pool.kv_bytes_per_token, "KiB")
    b = {"fp8": 1, "fp8_e4m3": 1, "fp8_e5m2": 1, "int8": 1}.get(pool.kv_dtype, 2)
    if m.attention_kind == "MLA":
        return f"{size} per token ({m.num_layers} layers × {int(m.kv_lora_rank) + int(m.qk_rope_head_dim)}-value latent × {b} bytes)"
    heads = max(1, m.num_kv_heads // tp)
    return f"{size} per token ({m.num_layers} layers × 2 × {heads} KV heads × {m.head_dim} × {b} bytes)"


# --------------------------------------------------------------------------------------
# Command line (registered in vramlab.cli)

def add_explain_log_arguments(p) -> None:
    """Arguments of ``vramlab explain-log FILE``."""
    p.add_argument("file", help="a vLLM start-up log ('-' reads standard input)")
    p.add_argument("--model", help="model id or config.json when the log names none")
    p.add_argument("--gpu", help="GPU when the log does not print its total memory")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run_explain_log(args) -> int:
    """Run ``vramlab explain-log``: print the logged figures beside vramlab's."""
    import json
    import sys

    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(args.file, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            raise VramlabError(f"file {args.file!r} cannot be read: {e.strerror}", field="file") from None
    df = explain_vllm_log(text, model=args.model, gpu=args.gpu)
    if args.json:
        print(json.dumps(json.loads(df.to_json(orient="records")), indent=2))
        return 0
    from .report import render_table

    cols = ["quantity", "logged", "unit", "vramlab", "difference_%"]
    print(render_table(cols, [[("" if _nan(r[c]) else r[c]) for c in cols] for r in df.to_dict("records")], "lrlrr"))
    print()
    for r in df.to_dict("records"):
        print(f"{r['quantity']}: {r['explanation']}")
    return 0


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def add_pool_arguments(p) -> None:
    """Arguments of ``vramlab pool MODEL --gpu ...``."""
    p.add_argument("model", help="preset id or config.json")
    p.add_argument("--gpu", default="H100 80GB", help="catalog GPU (default: H100 80GB)")
    p.add_argument("--gpu-memory-utilization", type=float, default=0.9, help="share of memory vLLM may use (0-1]")
    p.add_argument("--tensor-parallel", "--tp", type=int, default=1, help="GPUs the model is split over")
    p.add_argument("--weight-dtype", default=None, help="weight format (default: the checkpoint's)")
    p.add_argument("--kv-dtype", default="auto", help="KV-cache format, e.g. fp8 (default: auto)")
    p.add_argument("--max-model-len", type=int, default=None, help="longest request in tokens")
    p.add_argument("--block-size", type=int, default=16, help="tokens per block (default 16)")
    p.add_argument("--total-memory-gib", type=float, default=None, help="total GPU memory as the driver reports it")
    p.add_argument("--engine", default="v1", help="vLLM generation: v1 (default) or v0")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def run_pool(args) -> int:
    """Run ``vramlab pool``: the KV pool, blocks, tokens and max concurrency per GPU."""
    import json

    from .serving import kv_pool

    p = kv_pool(args.model, gpu=args.gpu, gpu_memory_utilization=args.gpu_memory_utilization,
                tensor_parallel=args.tensor_parallel, weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype,
                max_model_len=args.max_model_len, block_size=args.block_size,
                total_memory_gib=args.total_memory_gib, engine=args.engine)
    if args.json:
        print(json.dumps(p.to_dict(), indent=2))
    else:
        print(p)
    return 0
