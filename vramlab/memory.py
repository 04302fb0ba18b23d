"""Memory of serving a model: weights, KV cache, activations, framework overhead, margin.

All results are integers of bytes. The formulas:

* weights = Σ_components params × bits / 8 (quantized formats apply to the linear layers;
  embeddings, lm_head, norms, biases and routers stay 16-bit, see :mod:`vramlab.dtypes`)
* KV bytes per token = Σ_layers 2 · H_kv · d_head · bytes  (MLA: (d_c + d_rope) · bytes,
  no factor 2: one latent serves K and V)
* a sliding-window layer caches at most ``window`` positions
* KV cache = concurrency × Σ_layers min(tokens, window_l) · per-layer bytes per token

Sliding windows, precisely: with window W a token attends to itself and the W - 1 tokens
before it, so computing a token reads W positions of K/V; vramlab counts those W.
transformers' ``DynamicSlidingWindowLayer`` stores only the last W - 1 positions between
forward passes and appends the new token's K/V during the step, so its cache *after* a pass
holds one position fewer per sliding layer once the context reaches W. The oracle tests
compare both figures exactly with transformers.

MLA (DeepSeek-V2/V3): transformers 5 (checked with 5.23) caches the compressed latent per layer, 512 values
(``kv_lora_rank``) as "keys" and the 64-value shared RoPE key (``qk_rope_head_dim``) as
"values", one head: exactly d_c + d_rope per token and layer.

>>> import vramlab as vl
>>> m = vl.load_model("Qwen/Qwen3-8B")
>>> vl.kv_bytes_per_token(m, kv_dtype="bf16")     # 2 x 36 x 8 x 128 x 2
147456
>>> vl.format_bytes(vl.kv_cache_bytes(m, tokens=32768), "GiB")
'4.50 GiB'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from . import families
from .dtypes import TORCH_DTYPE_NAMES, DType, get_dtype
from .errors import VramlabError, check_int, check_number
from .params import COMPONENTS, experts_per_token, param_breakdown
from .presets import load_model
from .report import RichDisplay
from .spec import ModelSpec
from .units import GiB, format_bytes, to_unit

__all__ = [
    "weights_bytes", "weights_breakdown", "kv_bytes_per_token", "kv_cache_bytes", "kv_bytes_per_layer",
    "kv_cache_breakdown", "state_bytes_per_sequence",
    "activation_bytes", "activation_terms", "compute_dtype", "context_limit", "context_warnings", "resolve_weight_dtype",
    "resolve_kv_dtype", "estimate", "Estimate",
    "DEFAULT_FRAMEWORK_BYTES", "DEFAULT_PREFILL_CHUNK", "QUANTIZED_COMPONENTS",
]

#: Components a weight-only format quantizes by default (the linear layers of the blocks);
#: the family table decides per model (:func:`vramlab.families.quantized_components`).
QUANTIZED_COMPONENTS = families.QUANTIZED_COMPONENTS

#: Framework and CUDA context outside weights, KV cache and activations: CUDA context and
#: cuBLAS/attention workspaces (~0.3-0.6 GiB), NCCL buffers under tensor parallelism,
#: CUDA-graph pools (0.5-1.5 GiB in vLLM) and allocator fragmentation. 1 GiB is a middle figure.
DEFAULT_FRAMEWORK_BYTES = 1 * GiB

#: Tokens processed in one forward pass during prefill: vLLM's chunked prefill splits long
#: prompts into chunks of ``max_num_batched_tokens`` (2048 is a common default).
DEFAULT_PREFILL_CHUNK = 2048


def resolve_weight_dtype(m: ModelSpec, dtype: str | DType | None = "auto") -> DType:
    """The weight format; ``"auto"``/None reads the checkpoint (quantization_config, dtype).

    The quantization_config was read and validated when the model was loaded
    (:func:`vramlab.families.weight_format`); ``ModelSpec.weight_format`` holds the result.

    >>> import vramlab as vl
    >>> resolve_weight_dtype(vl.load_model("deepseek-ai/DeepSeek-V3")).name
    'fp8'
    >>> resolve_weight_dtype(vl.load_model("meta-llama/Llama-2-7b-hf")).name
    'fp16'
    """
    if dtype is None or (isinstance(dtype, str) and dtype == "auto"):
        m = load_model(m)
        return get_dtype(m.weight_format) if m.weight_format else compute_dtype(m)
    return get_dtype(dtype)


def compute_dtype(m: Any) -> DType:
    """The checkpoint's compute dtype: its ``torch_dtype`` (or ``dtype``), bf16 when absent.

    A config that says float32 computes in float32: that is what transformers loads with
    ``dtype="auto"``. (vLLM's ``dtype="auto"`` then downcasts float32 checkpoints to a
    16-bit type; that engine rule lives in :mod:`vramlab.serving`.)

    >>> import vramlab as vl
    >>> compute_dtype(vl.load_model("Qwen/Qwen3-8B")).name
    'bf16'
    >>> compute_dtype({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
    ...                "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 100,
    ...                "torch_dtype": "float32"}).name
    'fp32'
    """
    m = load_model(m)
    if m.torch_dtype is None:
        return get_dtype("bf16")
    name = TORCH_DTYPE_NAMES.get(str(m.torch_dtype).replace("torch.", ""))
    if name is None:
        raise VramlabError(
            f"config field 'torch_dtype' must be one of {', '.join(TORCH_DTYPE_NAMES)}, got {m.torch_dtype!r}",
            field="torch_dtype",
        )
    return get_dtype(name)


def resolve_kv_dtype(m: ModelSpec, kv_dtype: str | DType | None = "auto") -> DType:
    """The KV-cache format; ``"auto"`` follows the model's compute dtype (as vLLM does).

    >>> import vramlab as vl
    >>> resolve_kv_dtype(vl.load_model("Qwen/Qwen3-8B"), "auto").name
    'bf16'
    >>> resolve_kv_dtype(vl.load_model("Qwen/Qwen3-8B"), "Q4_K_M")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: kv_dtype 'Q4_K_M' is not a KV-cache format; valid: auto, fp32, fp16, bf16, fp8, fp8_e4m3, fp8_e5m2, int8, int4, int4-raw
    """
    if kv_dtype is None or (isinstance(kv_dtype, str) and kv_dtype == "auto"):
        return compute_dtype(m)
    from .dtypes import list_dtypes

    try:
        d = get_dtype(kv_dtype)
    except VramlabError:
        d = None
    if d is None or not d.kv_ok:
        raise VramlabError(
            f"kv_dtype {kv_dtype!r} is not a KV-cache format; valid: auto, {', '.join(list_dtypes(kv_only=True))}",
            field="kv_dtype",
        )
    if d.name == "int4":  # KV int4 is stored as bare 4-bit values in engines
        return get_dtype("int4-raw")
    return d


def weights_breakdown(m: Any, dtype: str | DType | None = "auto", quantized: tuple[str, ...] | None = None) -> dict[str, int]:
    """Bytes of each parameter component in the given weight format.

    Parameters
    ----------
    m : ModelSpec or preset id
    dtype : str
        A name from :mod:`vramlab.dtypes` or ``"auto"``.
    quantized : tuple of str, optional
        Components stored in ``dtype`` when it is weight-only; the others stay bf16.
        Default: the linear layers (``QUANTIZED_COMPONENTS``); for MXFP4 on an MoE model,
        the experts only (as in the gpt-oss checkpoints).

    Examples
    --------
    >>> b = weights_breakdown("Qwen/Qwen3-8B", "int4")
    >>> b["embeddings"] == 2 * 151936 * 4096   # embeddings stay 16-bit
    True
    """
    m = load_model(m)
    d = resolve_weight_dtype(m, dtype)
    params = param_breakdown(m)
    if quantized is None:
        quantized = families.quantized_components(m, d.name)
    elif (not isinstance(quantized, (tuple, list, set, frozenset))
          or not all(isinstance(c, str) and c in COMPONENTS for c in quantized)):
        raise VramlabError(
            f"quantized must be a tuple of component names from {', '.join(COMPONENTS)}, got {quantized!r}",
            field="quantized",
        )
    keep = get_dtype("bf16")
    out = {}
    for comp, n in params.items():
        fmt = d if (not d.weight_only or comp in quantized) else keep
        out[comp] = fmt.bytes_for(n)
    return out


def weights_bytes(m: Any, dtype: str | DType | None = "auto", quantized: tuple[str, ...] | None = None) -> int:
    """Bytes of the model weights in ``dtype``.

    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> vl.weights_bytes(m, dtype="bf16")          # 2 bytes x 8,190,735,360
    16381470720
    >>> vl.format_bytes(vl.weights_bytes(m, "int4"), "GB")
    '6.10 GB'
    """
    return sum(weights_breakdown(m, dtype, quantized).values())


def kv_bytes_per_layer(m: Any, kv_dtype: str | DType | None = "auto") -> Fraction:
    """Exact bytes one token adds to one layer's cache (a Fraction for 4-bit KV).

    >>> kv_bytes_per_layer("Qwen/Qwen3-8B", "fp8")
    Fraction(2048, 1)
    """
    m = load_model(m)
    return m.kv_elements_per_token_per_layer * resolve_kv_dtype(m, kv_dtype).bytes_per_value


def _ceil(x: Fraction) -> int:
    return -(-x.numerator // x.denominator)


def state_bytes_per_sequence(m: Any, state_dtype: str | DType | None = "auto") -> dict[str, int]:
    """Fixed cache bytes of one sequence in the linear-attention layers: conv and recurrent state.

    These do not grow with the context. ``state_dtype="auto"`` stores them as transformers
    5.24 does (``cache_utils.LinearAttentionLayer`` with Qwen3-Next's Gated DeltaNet): the conv
    state (the last ``linear_conv_kernel_dim`` inputs of each conv channel) in the compute
    dtype, the recurrent state (d_k x d_v per value head) in fp32 (Mamba's SSM state likewise;
    MiniMax's Lightning-attention state, d_head x d_head per head, in the compute dtype). A dtype
    name stores both in that dtype (vLLM's ``mamba_ssm_cache_dtype``, whose ``auto`` is the model dtype).

    >>> import vramlab as vl
    >>> state_bytes_per_sequence("Qwen/Qwen3-8B")
    {'conv': 0, 'recurrent': 0}
    """
    m = load_model(m)
    if state_dtype is None or (isinstance(state_dtype, str) and state_dtype == "auto"):
        conv, rec = compute_dtype(m), get_dtype("fp32")
    else:
        conv = rec = resolve_kv_dtype(m, state_dtype)
    in_compute = sum(la.recurrent_state for la in m.layers if la.state_in_compute_dtype)  # MiniMax's Lightning state
    recurrent = in_compute * conv.bytes_per_value + (m.state_elements_per_sequence["recurrent"] - in_compute) * (
        rec.bytes_per_value)
    return {"conv": _ceil(m.state_elements_per_sequence["conv"] * conv.bytes_per_value), "recurrent": _ceil(recurrent)}


def kv_cache_breakdown(m: Any, tokens: int, concurrency: int = 1, kv_dtype: str | DType | None = "auto",
                       state_dtype: str | DType | None = "auto") -> dict[str, int]:
    """The cache of ``concurrency`` sequences of ``tokens`` tokens: K/V that grows, state that does not.

    ``kv``: K/V per token of the attention layers (full, sliding and chunked capped at their
    window, MLA latents); ``conv_state`` and ``recurrent_state``: the fixed per-sequence
    state of linear-attention layers (:func:`state_bytes_per_sequence`); ``total`` their sum.

    >>> import vramlab as vl
    >>> kv_cache_breakdown("Qwen/Qwen3-8B", tokens=1024)["kv"] == 1024 * 147456
    True
    """
    m = load_model(m)
    tokens = check_int("tokens", tokens, minimum=0, maximum=10**9)
    concurrency = check_int("concurrency", concurrency, minimum=0, maximum=10**7)
    per_layer = kv_bytes_per_layer(m, kv_dtype)
    positions = sum(la.tokens_cached(tokens) for la in m.layers)
    index = sum(la.tokens_cached(tokens) * la.index_keys for la in m.layers)  # DSA indexer keys, same dtype
    state = state_bytes_per_sequence(m, state_dtype)
    kv = positions * per_layer + index * resolve_kv_dtype(m, kv_dtype).bytes_per_value
    out = {"kv": concurrency * _ceil(kv), "conv_state": concurrency * state["conv"],
           "recurrent_state": concurrency * state["recurrent"]}
    out["total"] = sum(out.values())
    return out


def kv_cache_bytes(m: Any, tokens: int, concurrency: int = 1, kv_dtype: str | DType | None = "auto",
                   state_dtype: str | DType | None = "auto") -> int:
    """KV cache of ``concurrency`` sequences of ``tokens`` tokens each (prompt + output).

    Sliding-window and chunked layers hold at most ``window`` positions; linear-attention
    layers add their fixed state per sequence (:func:`kv_cache_breakdown` shows both parts).

    >>> import vramlab as vl
    >>> vl.kv_cache_bytes("Qwen/Qwen3-8B", tokens=4096, concurrency=8, kv_dtype="fp8") == 8 * 4096 * 73728
    True
    >>> mistral = vl.load_model("mistralai/Mistral-7B-v0.1")       # window 4096 on every layer
    >>> vl.kv_cache_bytes(mistral, 32768) == vl.kv_cache_bytes(mistral, 4096)
    True
    """
    return kv_cache_breakdown(m, tokens, concurrency, kv_dtype, state_dtype)["total"]


def kv_bytes_per_token(m: Any, kv_dtype: str | DType | None = "auto", context: int | None = None) -> int:
    """Bytes of KV cache per token.

    With ``context=None`` every attention layer counts (the cost of a token while the
    sequence is shorter than every window). With a ``context``, sliding-window layers are
    capped at their window and the result is the average per token over that context,
    rounded up. Only the per-token K/V: the fixed state of linear-attention layers is in
    :func:`kv_cache_breakdown`.

    >>> import vramlab as vl
    >>> g = vl.load_model("google/gemma-2-9b")
    >>> vl.kv_bytes_per_token(g, "bf16")
    344064
    >>> vl.kv_bytes_per_token(g, "bf16", context=8192)   # 21 sliding layers hold 4096 positions
    258048
    """
    m = load_model(m)
    if context is None:
        index = sum(la.index_keys for la in m.layers) * resolve_kv_dtype(m, kv_dtype).bytes_per_value
        return _ceil(m.num_attention_layers * kv_bytes_per_layer(m, kv_dtype) + index)
    context = check_int("context", context, minimum=1, maximum=10**9)
    return -(-kv_cache_breakdown(m, context, 1, kv_dtype)["kv"] // context)


def activation_terms(m: Any, batched_tokens: int = DEFAULT_PREFILL_CHUNK, sequences: int = 1,
                     dtype: str | DType | None = "auto") -> dict[str, int]:
    """The model and workload values :func:`activation_bytes` multiplies, by symbol name.

    ``T_pass`` tokens in the pass, ``h`` hidden size, ``d_ff`` MLP width (MoE: k · expert
    width), ``H_q``/``H_kv``/``d_head`` attention geometry, ``b_act`` bytes per activation
    value (the compute dtype; 2 for quantized checkpoints), ``S`` sequences sampled,
    ``V`` vocabulary.

    >>> v = activation_terms("Qwen/Qwen3-8B", 2048, 1)
    >>> v["h"], v["d_ff"], v["H_kv"], v["b_act"]
    (4096, 12288, 8, 2)
    """
    m = load_model(m)
    batched_tokens = check_int("batched_tokens", batched_tokens, minimum=0, maximum=10**8)
    sequences = check_int("sequences", sequences, minimum=0, maximum=10**7)
    width = experts_per_token(m) * families.expert_width(m) if m.is_moe else m.intermediate_size
    act = resolve_weight_dtype(m, dtype)
    b_act = int(act.bytes_per_value) if (act.kind == "float" and not act.weight_only) else 2
    return {"T_pass": batched_tokens, "h": m.hidden_size, "d_ff": width, "H_q": m.num_q_heads,
            "H_kv": m.num_kv_heads, "d_head": m.head_dim, "b_act": b_act, "S": sequences, "V": m.vocab_size}


def activation_bytes(m: Any, batched_tokens: int = DEFAULT_PREFILL_CHUNK, sequences: int = 1,
                     dtype: str | DType | None = "auto") -> int:
    """Peak transient activations of one forward pass over ``batched_tokens`` tokens.

    An approximation (flash attention assumed, so no tokens² score matrix): per token the
    residual stream and its normed copy (2·h) plus the larger of the MLP buffers
    (gate, up, activated: 3·I, MoE: 3·k·I_expert) and the attention buffers
    (Q, K, V, output: (2·H_q + 2·H_kv)·d_head), in the compute dtype; plus fp32 logits
    (V values) for each of ``sequences`` sequences being sampled. The values come from
    :func:`activation_terms`.

    >>> import vramlab as vl
    >>> vl.format_bytes(activation_bytes("Qwen/Qwen3-8B", 2048), "MiB")
    '176.58 MiB'
    """
    t = activation_terms(m, batched_tokens, sequences, dtype)
    per_token = 2 * t["h"] + max(3 * t["d_ff"], (2 * t["H_q"] + 2 * t["H_kv"]) * t["d_head"])
    return t["T_pass"] * per_token * t["b_act"] + 4 * t["S"] * t["V"]


def context_limit(m: Any) -> tuple[int | None, int | None, str]:
    """``(max_position_embeddings, length the config's rope_scaling extends it to, rope type)``.

    Only YaRN is read as an extension, as vLLM's ``_get_and_verify_max_len`` (vllm/config.py,
    v0.6-0.10) does: ``original_max_position_embeddings x factor`` (Qwen's model cards add it
    to reach 131,072). Other types (llama3, longrope, linear in Gemma 3) already count the
    factor in ``max_position_embeddings``.

    >>> context_limit("Qwen/Qwen3-8B")
    (40960, None, '')
    >>> context_limit({**load_model("Qwen/Qwen3-8B").hf_config, "rope_scaling": {"rope_type": "yarn",
    ...                "factor": 4.0, "original_max_position_embeddings": 32768}})
    (40960, 131072, 'yarn')
    """
    m = load_model(m)
    limit = m.max_position_embeddings
    rs = m.config.get("rope_scaling") or m.hf_config.get("rope_scaling")
    if not isinstance(rs, dict):
        return limit, None, ""
    kind = str(rs.get("rope_type", rs.get("type", "default")))
    factor, base = rs.get("factor"), rs.get("original_max_position_embeddings")
    if not limit or kind != "yarn" or factor is None or base is None:
        return limit, None, kind
    factor = check_number("config field 'rope_scaling.factor'", factor, minimum=1, maximum=10**4)
    base = check_int("config field 'rope_scaling.original_max_position_embeddings'", base, minimum=1, maximum=10**9)
    return limit, int(base * factor), kind


def context_warnings(m: Any, tokens: int) -> tuple[str, ...]:
    """A warning when ``tokens`` go past the positions the model was trained on.

    >>> context_warnings("Qwen/Qwen3-8B", 131072)[0][:71]
    'tokens 131,072 exceed the 40,960 positions the model was trained on (ma'
    >>> context_warnings("Qwen/Qwen3-8B", 32768)
    ()
    """
    limit, extended, kind = context_limit(m)
    if not limit or tokens <= limit:
        return ()
    head = f"tokens {tokens:,} exceed the {limit:,} positions the model was trained on (max_position_embeddings)"
    if extended is not None and tokens <= extended:
        return (f"{head}; the config's rope_scaling ({kind}) extends it to {extended:,}, which covers them",)
    if extended is not None:
        return (f"{head}, and its rope_scaling ({kind}) extends it only to {extended:,}: expect degraded output",)
    return (f"{head} and its config has no rope_scaling that extends it: enable RoPE scaling such as YaRN "
            "(rope_scaling in config.json, as the model card describes) or expect degraded output; vLLM refuses "
            "a longer max_model_len",)


@dataclass(frozen=True)
class Estimate(RichDisplay):
    """A memory estimate in integer bytes.

    ``overhead = activations + framework``; ``margin`` is ``margin_fraction`` of
    weights + KV cache + overhead; ``total`` is the sum of all parts. ``warnings`` says
    what makes the figure questionable: a context past the model's trained positions
    (:func:`context_warnings`), an approximate family.

    >>> import vramlab as vl
    >>> e = vl.estimate("Qwen/Qwen3-8B", tokens=4096)
    >>> e.total == e.weights + e.kv_cache + e.overhead + e.margin
    True
    """

    model: str
    tokens: int
    concurrency: int
    weight_dtype: str
    kv_dtype: str
    margin_fraction: float
    weights: int
    kv_cache: int
    activations: int
    framework: int
    margin: int
    warnings: tuple[str, ...] = ()

    @property
    def overhead(self) -> int:
        """Activations plus framework/CUDA context."""
        return self.activations + self.framework

    @property
    def total(self) -> int:
        """Everything, margin included."""
        return self.weights + self.kv_cache + self.overhead + self.margin

    def parts(self) -> dict[str, int]:
        """The parts that sum to ``total``, by name."""
        return {"weights": self.weights, "kv_cache": self.kv_cache, "activations": self.activations,
                "framework": self.framework, "margin": self.margin}

    def to_dict(self) -> dict[str, Any]:
        """Inputs, parts and total as plain JSON-ready values (bytes)."""
        d = asdict(self)
        d["overhead"] = self.overhead
        d["total"] = self.total
        d["warnings"] = list(self.warnings)
        return d

    def table(self):
        """A pandas DataFrame: one row per part and the total, in bytes, GB and GiB.

        >>> import vramlab as vl
        >>> vl.estimate("Qwen/Qwen3-8B", tokens=4096).table().columns.tolist()
        ['part', 'bytes', 'GB', 'GiB']
        """
        import pandas as pd

        rows = [(k, v) for k, v in self.parts().items()] + [("total", self.total)]
        return pd.DataFrame(
            [{"part": k, "bytes": v, "GB": round(to_unit(v, "GB"), 3), "GiB": round(to_unit(v, "GiB"), 3)} for k, v in rows]
        )

    def __str__(self) -> str:
        lines = [f"{self.model}: {self.concurrency} x {self.tokens:,} tokens, weights {self.weight_dtype}, "
                 f"KV {self.kv_dtype}, margin {self.margin_fraction:.0%}"]
        for k, v in list(self.parts().items()) + [("total", self.total)]:
            lines.append(f"  {k:<12}{format_bytes(v, 'GB'):>14}{format_bytes(v, 'GiB'):>15}")
        return "\n".join(lines)


def estimate(
    m: Any,
    tokens: int = 4096,
    concurrency: int = 1,
    weight_dtype: str | DType | None = "auto",
    kv_dtype: str | DType | None = "auto",
    margin: float = 0.1,
    *,
    activation_tokens: int | None = None,
    framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
) -> Estimate:
    """Estimate the memory to serve ``concurrency`` sequences of ``tokens`` tokens.

    Parameters
    ----------
    m : ModelSpec, preset id, path or dict
    tokens : int
        Prompt + generated tokens per sequence.
    concurrency : int
        Sequences held in the KV cache at once.
    weight_dtype, kv_dtype : str
        Formats (``"auto"`` reads the checkpoint / follows the compute dtype).
    margin : float
        Safety margin as a fraction of weights + KV + overhead (0.1 = 10 %).
    activation_tokens : int, optional
        Tokens in the largest forward pass (default: ``min(tokens × concurrency, 2048)``,
        one chunk of chunked prefill). 0 leaves activations out.
    framework_bytes : int
        CUDA context, workspaces, CUDA graphs (default 1 GiB). 0 leaves it out.

    Returns
    -------
    Estimate

    Examples
    --------
    The article's way: weights + KV, times 1.1, nothing else.

    >>> import vramlab as vl
    >>> e = vl.estimate("Qwen/Qwen3-8B", tokens=32768, weight_dtype="bf16", kv_dtype="fp8",
    ...                 margin=0.1, activation_tokens=0, framework_bytes=0)
    >>> vl.format_bytes(e.total, "GB")
    '20.68 GB'
    """
    m = load_model(m)
    tokens = check_int("tokens", tokens, minimum=1, maximum=10**9)
    concurrency = check_int("concurrency", concurrency, minimum=1, maximum=10**7)
    margin = check_number("margin", margin, minimum=0.0, maximum=10.0)
    framework_bytes = check_int("framework_bytes", framework_bytes, minimum=0, maximum=10**15)
    wd = resolve_weight_dtype(m, weight_dtype)
    kd = resolve_kv_dtype(m, kv_dtype)
    if activation_tokens is None:
        activation_tokens = min(tokens * concurrency, DEFAULT_PREFILL_CHUNK)
    activation_tokens = check_int("activation_tokens", activation_tokens, minimum=0, maximum=10**8)
    w = weights_bytes(m, wd)
    kv = kv_cache_bytes(m, tokens, concurrency, kd)
    act = activation_bytes(m, activation_tokens, min(concurrency, activation_tokens)) if activation_tokens else 0
    sub = w + kv + act + framework_bytes
    mg = round(sub * Fraction(margin))
    return Estimate(
        model=m.name, tokens=tokens, concurrency=concurrency, weight_dtype=wd.name, kv_dtype=kd.name,
        margin_fraction=margin, weights=w, kv_cache=kv, activations=act, framework=framework_bytes, margin=mg,
        warnings=tuple(m.warnings) + context_warnings(m, tokens),
    )
