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
* the vLLM version (``vLLM API server version 0.10.1``, ``Initializing a V1 LLM engine
  (v0.10.1)``): the pool is predicted with that release's rules (:mod:`vramlab.engines`);
* settings: ``non-default args: {...}``, the engine's ``with config: model='...',
  max_seq_len=..., tensor_parallel_size=..., kv_cache_dtype=...`` line, and
  ``vllm serve MODEL --flag value`` command lines.

Parsing is linear in the size of the log: the text is cut into lines, a line is searched
only for the patterns whose fixed marker it contains, and no pattern has nested or
overlapping repeats. A log names its model by id only: vramlab never opens a path it
reads in a log (``vllm serve /path/to/model`` names a local directory: the figures come back
with no prediction and a question naming the directory; pass ``model=`` to answer it).

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
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .calibration import logged_model
from .dtypes import get_dtype
from .errors import VramlabError, check_fraction
from .gpus import GPUS, get_gpu
from .presets import load_model
from .engines import parse_version
from .serving import ENGINES, Pool, cuda_graph_bytes, kv_pool, profile_activation
from .spec import ModelSpec
from .units import GiB, format_bytes, to_unit

__all__ = ["VllmLog", "parse_vllm_log", "explain_vllm_log", "MAX_LITERAL_CHARS", "FIGURE_LIMITS"]

#: A number as vLLM prints it: digits with optional thousands commas and decimals. Used only
#: after a fixed text, so a failed match costs one pass over the digits.
_NUM = r"([0-9][0-9,]*(?:\.[0-9]+)?)"
#: Longest ``non-default args: {...}`` literal read (a real one is under 2 KiB).
MAX_LITERAL_CHARS = 65536
#: Longest setting value kept (model ids, dtypes, numbers); longer ones are ignored.
_MAX_VALUE_CHARS = 256
#: Largest figure a real start-up log can print, by unit (a plausibility bound, not a vLLM
#: limit): 1 PiB of memory per GPU, 10**12 tokens or blocks, 10**9 x concurrency. A figure
#: past these (or negative, NaN, infinite) is a corrupt log and is refused.
FIGURE_LIMITS = {"GiB": 2.0**20, "GB": 2.0**20, "tokens": 1e12, "blocks": 1e12, "x": 1e9}


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
    release : str
        What :func:`vramlab.kv_pool` gets as ``engine``: the version when printed, else the
        release line its line formats belong to (``"0.6"``: ``Memory profiling results``;
        ``"0.7"``: ``the current vLLM instance can use``; ``"v0"``/``"v1"`` otherwise).
    settings : dict
        model, tensor_parallel_size, gpu_memory_utilization, kv_cache_dtype, max_model_len,
        dtype, block_size, max_num_seqs, max_num_batched_tokens (those found).
    figures : dict
        name -> (value, unit as printed, the line); sizes in GiB as printed.

    Examples
    --------
    >>> parse_vllm_log("GPU KV cache size: 1,000 tokens").figures["tokens"][:2]
    (1000.0, 'tokens')
    """

    engine: str
    version: str | None
    settings: Mapping[str, Any] = field(default_factory=dict)
    release: str = "v1"
    figures: Mapping[str, tuple[float, str, str]] = field(default_factory=dict)


_SETTING_KEYS = {
    "model": "model", "tensor_parallel_size": "tensor_parallel_size", "tp": "tensor_parallel_size",
    "gpu_memory_utilization": "gpu_memory_utilization", "kv_cache_dtype": "kv_cache_dtype",
    "max_model_len": "max_model_len", "max_seq_len": "max_model_len", "dtype": "dtype",
    "block_size": "block_size", "max_num_seqs": "max_num_seqs",
    "max_num_batched_tokens": "max_num_batched_tokens", "quantization": "quantization",
}
_INT_SETTINGS = ("tensor_parallel_size", "max_model_len", "block_size", "max_num_seqs", "max_num_batched_tokens")

_V0_MARKERS = ("Loading model weights took", "Memory profiling results", "# GPU blocks", "# CUDA blocks",
               "# cuda blocks", "model weights take", "the rest of the memory reserved for KV Cache",
               "the current vLLM instance can use")

#: (marker the line must contain, pattern searched in it, figure name). Each pattern starts
#: with fixed text and has no overlapping repeats.
_FIGURES = [
    ("Loading model weights took", r"Loading model weights took " + _NUM + r" ?(GiB|GB)", "weights"),
    ("Model loading took", r"Model loading took " + _NUM + r" ?(GiB|GB)", "weights"),
    ("total_gpu_memory", r"total_gpu_memory[\s(]*" + _NUM + r"\s*GiB", "total_memory"),
    ("the current vLLM instance can use",
     r"the current vLLM instance can use(?: total_gpu_memory[^=]{0,200}=)?\s+" + _NUM + r"\s*GiB", "requested"),
    ("model weights take", r"model weights take\s+" + _NUM + r"\s*GiB", "weights_profiled"),
    ("non_torch_memory", r"non_torch_memory(?: takes)?\s+" + _NUM + r"\s*GiB", "non_torch"),
    ("PyTorch activation peak memory", r"PyTorch activation peak memory(?: takes)?\s+" + _NUM + r"\s*GiB",
     "activation"),
    ("available_kv_cache_memory", r"available_kv_cache_memory\s+" + _NUM + r"\s*GiB", "kv_memory"),
    ("the rest of the memory reserved for KV Cache is",
     r"the rest of the memory reserved for KV Cache is\s+" + _NUM + r"\s*GiB", "kv_memory"),
    ("Total non KV cache memory:", r"Total non KV cache memory:\s*" + _NUM + r"\s*GiB", "non_kv_total"),
    ("torch peak memory increase:", r"torch peak memory increase:\s*" + _NUM + r"\s*GiB", "activation"),
    ("non-torch forward increase memory:", r"non-torch forward increase memory:\s*" + _NUM + r"\s*GiB",
     "non_torch"),
    ("weights memory:", r"weights memory:\s*" + _NUM + r"\s*GiB", "weights_profiled"),
    ("Available KV cache memory:", r"Available KV cache memory:\s*" + _NUM + r"\s*GiB", "kv_memory"),
    ("equested memory:", r"[Rr]equested memory:\s*[0-9.]+ \(util\),\s*" + _NUM + r"\s*GiB", "requested"),
    ("Graph capturing finished", r"Graph capturing finished in [^,]{0,80}, took " + _NUM + r"\s*GiB", "cuda_graphs"),
]
_FIGURES = [(k, re.compile(p), name) for k, p, name in _FIGURES]

#: ``key=value`` pairs of the 0.6.4 one-line profiling summary (``\b``: a key starts a word).
_PROFILE_PAIR = re.compile(r"\b(\w+)=" + _NUM)
_PROFILE_KEYS = {"total_gpu_memory": "total_memory", "peak_torch_memory": "peak_torch_incl_weights",
                 "non_torch_memory": "non_torch", "kv_cache_size": "kv_memory"}
_CONFIG_PAIR = re.compile(r"\b(\w+)=('[^']*'|[^,\s]+)")
_VERSION = re.compile(r"(?:engine \(|vLLM API server version |vllm version )v?([0-9][0-9a-z.+\-]{0,40})", re.I)
_UTIL = re.compile(r"gpu_memory_utilization[\s(]*([0-9]{1,3}(?:\.[0-9]{1,12})?)")
_TOKENS = re.compile(r"GPU KV cache size:\s*" + _NUM + r" tokens")
_BLOCKS = re.compile(r"(?:GPU|CUDA|cuda|gpu) blocks:\s*" + _NUM)
_CONCURRENCY = re.compile(r"Maximum concurrency for " + _NUM + r" tokens per request:\s*" + _NUM + r"\s*x")
_TOO_LONG = re.compile(r"max seq len \(" + _NUM + r"\) is larger than the maximum number of tokens that can be "
                       r"stored in KV cache \(" + _NUM + r"\)")


def _setting(settings: dict, key: str, value: Any) -> None:
    k = _SETTING_KEYS.get(key)
    if k is None or value is None or len(str(value)) > _MAX_VALUE_CHARS:
        return
    if k in _INT_SETTINGS:
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


def _non_default_args(line: str, settings: dict) -> None:
    lit = line.split("non-default args:", 1)[1].strip()
    lit = lit[: lit.rfind("}") + 1]
    if not lit or len(lit) > MAX_LITERAL_CHARS:
        return
    try:
        args = ast.literal_eval(lit)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return
    if isinstance(args, dict):
        for k, v in args.items():
            _setting(settings, str(k), v)


def _command_line(line: str, settings: dict) -> None:
    """``vllm serve MODEL --flag value --flag=value -tp N``: split on blanks, no regex."""
    words = line.split("vllm serve", 1)[1].split()
    if words and not words[0].startswith("-"):
        _setting(settings, "model", words[0])
    for i, w in enumerate(words):
        if not w.startswith("-"):
            continue
        key, eq, value = w.lstrip("-").partition("=")
        if not eq:
            value = words[i + 1] if i + 1 < len(words) else ""
        key = "tp" if w.startswith("-tp") and not w.startswith("--") else key.replace("-", "_")
        if key and value:
            _setting(settings, key, value)


def _settings_of(line: str, settings: dict) -> None:
    if "non-default args:" in line:
        _non_default_args(line, settings)
    if "with config:" in line:
        for k, v in _CONFIG_PAIR.findall(line.split("with config:", 1)[1]):
            if k in ("model", "max_seq_len", "tensor_parallel_size", "kv_cache_dtype", "dtype"):
                _setting(settings, k, v)
    if "vllm serve" in line:
        _command_line(line, settings)
    if ("gpu_memory_utilization" in line and "Memory profiling results:" not in line
            and "non-default args" not in line):
        m = _UTIL.search(line)
        if m:
            _setting(settings, "gpu_memory_utilization", m.group(1))


def _figures_of(line: str, settings: dict, put) -> None:
    summary = "Memory profiling results:" in line and "=" in line
    if summary:  # 0.6.4: every figure as key=value on one line
        for k, v in _PROFILE_PAIR.findall(line):
            if k in _PROFILE_KEYS:
                put(_PROFILE_KEYS[k], _f(v), "GiB", line)
            elif k == "gpu_memory_utilization":
                _setting(settings, k, v)
    for marker, pat, name in _FIGURES:
        if marker in line and not (summary and name != "weights"):
            m = pat.search(line)
            if m:
                put(name, _f(m.group(1)), m.group(2) if pat.groups > 1 else "GiB", line)
    if "GPU KV cache size:" in line and (m := _TOKENS.search(line)):
        put("tokens", _f(m.group(1)), "tokens", line)
    if "blocks:" in line and (m := _BLOCKS.search(line)):
        put("gpu_blocks", _f(m.group(1)), "blocks", line)
    if "Maximum concurrency for " in line and (m := _CONCURRENCY.search(line)):
        put("concurrency", _f(m.group(2)), "x", line)
        _setting(settings, "max_model_len", m.group(1))
    if "max seq len (" in line and (m := _TOO_LONG.search(line)):
        _setting(settings, "max_model_len", m.group(1))
        put("tokens", _f(m.group(2)), "tokens", line)


def parse_vllm_log(text: str) -> VllmLog:
    """Parse the settings and memory figures of a vLLM start-up log.

    Linear in ``len(text)``. Raises :class:`~vramlab.errors.VramlabError` when nothing in
    ``text`` is recognisable.

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
        limit = FIGURE_LIMITS[unit]
        if not 0 <= value <= limit:  # also refuses NaN
            raise VramlabError(f"{name} {value:g} {unit} in the line {line.strip()[:120]!r} is not a figure a vLLM "
                               f"log prints; valid: 0 to {limit:g} {unit}", field="text")
        figures.setdefault(name, (value, unit, line.strip()[:1000]))

    for line in text.splitlines():
        if version is None and ("engine (" in line or "ersion" in line):
            mv = _VERSION.search(line)
            version = mv.group(1) if mv else None
        _settings_of(line, settings)
        _figures_of(line, settings, put)
    if not figures:
        raise VramlabError(
            "text has no vLLM start-up line vramlab recognises (e.g. 'Model loading took X GiB', "
            f"'GPU KV cache size: N tokens', '# GPU blocks: N'); got {len(text):,} characters", field="text")
    if "weights" not in figures and "weights_profiled" in figures:
        figures["weights"] = figures["weights_profiled"]
    engine = _engine_of(version, text)
    return VllmLog(engine=engine, version=version, settings=settings, figures=figures,
                   release=_release_of(version, engine, text))


def _engine_of(version: str | None, text: str) -> str:
    if "V1 LLM engine" in text:
        return "v1"
    v = parse_version(version) if version else None
    if v is not None:  # V1 is the default from 0.8 (VLLM_USE_V1, vllm/envs.py v0.8.5)
        return "v1" if v >= (0, 8, 0) and not any(k in text for k in _V0_MARKERS) else "v0"
    if any(k in text for k in _V0_MARKERS):
        return "v0"
    return "v1"


def _release_of(version: str | None, engine: str, text: str) -> str:
    """The ``engine`` argument of kv_pool for this log (see :class:`VllmLog`)."""
    v = parse_version(version) if version else None
    if v is not None and (engine == "v1") == (v >= (0, 8, 0)):
        return version
    if engine == "v1":
        return "v1"
    if "the current vLLM instance can use" in text:
        return "0.7"
    return "0.6" if "Memory profiling results" in text else "v0"


def _gpu_from_total(total_gib: float) -> str | None:
    best = None
    for g in GPUS.values():
        if g.usable_is_measured and abs(to_unit(g.usable_bytes, "GiB") - total_gib) < 0.05:
            best = g.name
    return best


def _weight_format(dtype: Any) -> str | None:
    """The weight format a log's ``dtype`` setting names (None: auto); unknown formats are refused."""
    if dtype is None or str(dtype) == "auto":
        return None
    return get_dtype(str(dtype)).name


def _logged_model(model: Any, settings: Mapping[str, Any]) -> tuple[ModelSpec | None, str]:
    """The model and, when there is none, the question to ask: ``model`` as given (a path is
    fine), else the id the log names (never a path)."""
    if model is not None:
        return load_model(model), ""
    name = settings.get("model")
    if name is None:
        return None, "the log names no model: pass model='org/name' (a preset id or a config.json path)"
    try:
        return logged_model(name), ""
    except VramlabError:
        pass
    local = name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") != 1
    what = "a local model directory" if local else "a model id vramlab does not ship"
    guess = _closest_preset(name)
    hint = f" (its name suggests model={guess!r})" if guess else ""
    return None, (f"the log names {what}, {name[:100]!r}, which vramlab cannot identify: which model is it? "
                  f"Pass model='org/name' (a preset id) or a config.json path{hint}")


def _closest_preset(name: str) -> str | None:
    """The shipped preset whose id, letters and digits only, is closest to the last part of ``name``."""
    import difflib

    from .presets import list_models

    key = lambda s: re.sub(r"[^a-z0-9]", "", s.lower())  # noqa: E731
    base = key(name.rstrip("/\\").replace("\\", "/").split("/")[-1].replace("_hf", ""))
    ids = {key(i.split("/")[-1]): i for i in list_models()}
    close = difflib.get_close_matches(base, list(ids), n=1, cutoff=0.75) if base else []
    return ids[close[0]] if close else None


def _log_pool(log: VllmLog, m: ModelSpec, gpu: Any, dtype: str | None = None,
              engine: str | None = None) -> tuple[Pool, float, float]:
    """kv_pool for the log's settings: (pool, total GiB, gpu_memory_utilization)."""
    fig, st = log.figures, log.settings
    util = check_fraction("gpu_memory_utilization", st.get("gpu_memory_utilization", 0.9))
    total_gib = fig["total_memory"][0] if "total_memory" in fig else None
    if total_gib is None and "requested" in fig:
        total_gib = fig["requested"][0] / util
    if total_gib is None and "kv_memory" in fig and "non_kv_total" in fig:
        total_gib = (fig["kv_memory"][0] + fig["non_kv_total"][0]) / util
    g = get_gpu(gpu if gpu is not None else (_gpu_from_total(total_gib) if total_gib else None) or "H100 80GB")
    if total_gib is None:
        total_gib = to_unit(g.usable_bytes, "GiB")
    if not 0 < total_gib <= FIGURE_LIMITS["GiB"]:
        raise VramlabError(f"total GPU memory {total_gib:g} GiB implied by the log is not plausible; valid: above 0 "
                           f"and up to {FIGURE_LIMITS['GiB']:g} GiB", field="text")
    quant = str(st.get("quantization", "")).lower()
    pool = kv_pool(m, gpu=g, gpu_memory_utilization=util, tensor_parallel=int(st.get("tensor_parallel_size", 1)),
                   weight_dtype="fp8" if quant == "fp8" else None, kv_dtype=st.get("kv_cache_dtype", "auto"),
                   max_model_len=st.get("max_model_len"), block_size=int(st.get("block_size", 16)),
                   total_memory_gib=total_gib, engine=engine or log.release,
                   dtype=dtype or _weight_format(st.get("dtype")) or "auto",
                   max_num_batched_tokens=st.get("max_num_batched_tokens"), max_num_seqs=st.get("max_num_seqs"))
    return pool, total_gib, util


def _G(b: int) -> float:
    return to_unit(b, "GiB")


def _budget_rows(row, fig, m: ModelSpec, pool: Pool, total_gib: float, util: float, engine: str) -> None:
    """Rows of the memory budget: weights, total, requested, activation, non-torch, non-KV, KV."""
    tp = pool.tensor_parallel
    if "weights" in fig:
        label = " Old vLLM prints GiB under the label \"GB\": the value is GiB." if fig["weights"][1] == "GB" else ""
        row("weights", fig["weights"][0], "GiB", _G(pool.weights),
            f"{m.param_count():,} parameters in {pool.weight_dtype}{f' / TP {tp}' if tp > 1 else ''} (norms and "
            f"routers replicated) plus the RoPE cos/sin cache = {format_bytes(pool.weights, 'GiB')}.{label}")
    if "total_memory" in fig:
        row("total GPU memory", fig["total_memory"][0], "GiB", _G(pool.total_memory),
            f"what the driver reports for the {pool.gpu} (less than the memory on the box).")
    if "requested" in fig:
        row("requested memory", fig["requested"][0], "GiB", _G(pool.requested),
            f"{total_gib:.2f} GiB total × gpu_memory_utilization {util:.2f}.")
    if "activation" in fig or "peak_torch_incl_weights" in fig:
        logged = fig["activation"][0] if "activation" in fig else (
            fig["peak_torch_incl_weights"][0] - fig.get("weights", (0.0,))[0])
        p = profile_activation(m, pool.max_num_batched_tokens, pool.max_num_seqs, tp, engine, parts=True)
        row("activation peak", round(logged, 2), "GiB", _G(pool.activation),
            f"profile run: max(forward pass over {pool.max_num_batched_tokens:,} tokens = {_G(p['forward']):.2f} GiB, "
            f"hidden states + sampler over {min(pool.max_num_seqs, pool.max_num_batched_tokens):,} sequences × "
            f"{m.vocab_size:,} logits × {ENGINES[engine].sampler_bytes_per_logit} bytes = {_G(p['hidden'] + p['moe_workspace'] + p['sampler']):.2f} GiB)"
            f" + runtime buffers {_G(p['runtime_buffers']):.2f} GiB.")
    if "non_torch" in fig:
        extra = " plus NCCL/custom all-reduce buffers of tensor parallelism" if tp > 1 else ""
        row("non-torch memory", fig["non_torch"][0], "GiB", _G(pool.non_torch),
            f"memory outside PyTorch's allocator: CUDA/cuBLAS workspaces{extra} (constant fitted for vLLM "
            f"{ENGINES[pool.engine].name}: {ENGINES[pool.engine].source}).")
    if "non_kv_total" in fig:
        row("non-KV memory", fig["non_kv_total"][0], "GiB", _G(pool.non_kv),
            "weights + activation peak + non-torch memory: everything the KV cache cannot use.")
    if "kv_memory" in fig:
        row("KV cache memory", fig["kv_memory"][0], "GiB", _G(pool.kv_bytes),
            f"KV = {total_gib:.2f} GiB × {util:.2f} − {_G(pool.non_kv):.2f} GiB (weights {_G(pool.weights):.2f} + "
            f"activation {_G(pool.activation):.2f} + non-torch {_G(pool.non_torch):.2f}"
            + (f" + CUDA graphs {_G(pool.cuda_graphs):.2f}" if pool.cuda_graphs else "")
            + f"), by the rules of vLLM {ENGINES[pool.engine].name}" + (f" ({pool.engine_note})." if pool.engine_note
                                                                      else "."))


def _pool_rows(row, fig, m: ModelSpec, pool: Pool, engine: str) -> None:
    """Rows of the paged pool: blocks, tokens, max concurrency, CUDA graphs."""
    per_tok = _per_token_text(m, pool)
    kv_logged = fig.get("kv_memory", (None,))[0]
    logged_blocks = None if kv_logged is None else int(kv_logged * GiB // pool.block_bytes)
    if "gpu_blocks" in fig:
        from_logged = "" if kv_logged is None else f"; from the logged {kv_logged:.2f} GiB: {logged_blocks:,} blocks"
        row("GPU blocks", fig["gpu_blocks"][0], "blocks", float(pool.num_blocks),
            f"blocks = KV memory / {format_bytes(pool.block_bytes, 'MiB')} per block ({pool.block_size} tokens × "
            f"{per_tok}){from_logged}.")
    if "tokens" in fig:
        from_logged = "" if kv_logged is None else (
            f"; from the logged {kv_logged:.2f} GiB: {logged_blocks // pool.num_groups * pool.block_size:,} tokens")
        groups = f", {pool.num_groups} block groups (sliding-window and full layers apart)" if pool.num_groups > 1 else ""
        row("KV cache tokens", fig["tokens"][0], "tokens", float(pool.tokens),
            f"tokens = KV memory / {per_tok}, in blocks of {pool.block_size}{groups}{from_logged}.")
    if "concurrency" in fig:
        if ENGINES[engine].concurrency_in_blocks:
            why = (f"{pool.num_blocks:,} blocks / {pool.blocks_per_request:,} blocks per "
                   f"{pool.max_model_len:,}-token request.")
        else:
            why = f"{pool.tokens:,} tokens / {pool.max_model_len:,} tokens per request."
        row("max concurrency", fig["concurrency"][0], "x", pool.max_concurrency, why)
    if "cuda_graphs" in fig:
        row("CUDA graphs", fig["cuda_graphs"][0], "GiB", _G(cuda_graph_bytes(m)),
            "captured after the KV cache is sized, from the memory left outside the budget.")


def explain_vllm_log(text: str, model: Any = None, gpu: Any = None, dtype: str | None = None,
                     engine: str | None = None):
    """Each memory figure a vLLM start-up log prints, beside vramlab's, with one sentence why.

    Parameters
    ----------
    text : str
        The log (any subset of the lines listed in this module's docstring).
    model : str, ModelSpec or path, optional
        Overrides the model the log names (needed when the log names none, or names a path).
    gpu : str, optional
        The GPU, when the log does not print its total memory (default: the GPU whose
        measured memory matches the log, else H100 80GB).
    dtype : str, optional
        vLLM's ``--dtype`` when the log does not show it (default: the log's, else ``auto``).
    engine : str, optional
        The vLLM version to predict with (default: the one the log prints, else the release
        its line formats belong to, :attr:`VllmLog.release`).

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity``, ``logged``, ``unit``, ``vramlab``, ``difference``,
        ``difference_%`` and ``explanation``; sizes in GiB.

    Raises
    ------
    VramlabError
        Nothing recognisable; ``gpu_memory_utilization`` ≤ 0 or > 1; a tensor-parallel size
        that does not divide the heads; an unknown model, dtype or KV-cache format.

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

    log = parse_vllm_log(text)
    check_fraction("gpu_memory_utilization", log.settings.get("gpu_memory_utilization", 0.9))
    m, question = _logged_model(model, log.settings)
    rows: list[dict[str, Any]] = []

    def row(q: str, logged: float, unit: str, pred: float | None, why: str) -> None:
        diff = None if pred is None else pred - logged
        pct = None if (pred is None or not logged) else 100 * diff / logged
        rows.append({"quantity": q, "logged": logged, "unit": unit,
                     "vramlab": None if pred is None else round(pred, 4 if unit == "x" else 2),
                     "difference": None if diff is None else round(diff, 2),
                     "difference_%": None if pct is None else round(pct, 2), "explanation": why})

    if m is None:
        for k, (v, unit, _) in log.figures.items():
            row(k, v, unit, None, question)
        return pd.DataFrame(rows)
    pool, total_gib, util = _log_pool(log, m, gpu, dtype, engine)
    _budget_rows(row, log.figures, m, pool, total_gib, util, pool.engine)
    _pool_rows(row, log.figures, m, pool, pool.engine)
    return pd.DataFrame(rows)


def _per_token_text(m: ModelSpec, pool: Pool) -> str:
    size = format_bytes(pool.kv_bytes_per_token, "KiB")
    b = get_dtype(pool.kv_dtype).bytes_per_value
    b = int(b) if b == int(b) else float(b)
    if m.attention_kind == "MLA":
        return f"{size} per token ({m.num_layers} layers × {int(m.kv_lora_rank) + int(m.qk_rope_head_dim)}-value latent × {b} bytes)"
    heads = max(1, m.num_kv_heads // pool.tensor_parallel)
    return f"{size} per token ({m.num_layers} layers × 2 × {heads} KV heads × {m.head_dim} × {b} bytes)"
