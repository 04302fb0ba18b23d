"""Computed helpers for the teaching notebooks (01 weights, 02 KV cache, 03 attention variants).

Everything here is a small, pure function over the core modules, so that the notebooks
hold no logic of their own: tables of weights by precision, the work of one decoding step
with and without a KV cache, a toy attention layer that decodes both ways, and a table of
KV per token across the presets by attention kind.

>>> from vramlab import teaching
>>> w = teaching.decode_work("Qwen/Qwen3-8B", context=1000)
>>> w.kv_vectors_no_cache // w.kv_vectors_cache    # every past token is projected again
1000
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .errors import check_int
from .presets import load_model
from .spec import ModelSpec

__all__ = [
    "ATTENTION_EXAMPLES", "WEIGHT_DTYPES", "with_config", "embedding_split", "precisions_table",
    "weights_table", "DecodeWork", "decode_work", "decode_work_table", "ToyDecode", "toy_decode",
    "kv_table", "kv_line", "weights_line", "kv_overtakes_weights",
]

#: Presets that show each attention layout (notebook 03).
ATTENTION_EXAMPLES: dict[str, tuple[str, ...]] = {
    "MHA": ("meta-llama/Llama-2-7b-hf", "microsoft/Phi-3-mini-4k-instruct"),
    "GQA": ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B", "Qwen/QwQ-32B", "deepseek-ai/deepseek-llm-67b-base"),
    "MQA": ("tiiuae/falcon-7b",),
    "MLA": ("deepseek-ai/DeepSeek-V2", "deepseek-ai/DeepSeek-V3"),
    "sliding window": ("mistralai/Mistral-7B-v0.1", "google/gemma-2-9b", "google/gemma-3-27b-it", "openai/gpt-oss-20b"),
}

#: Weight formats compared in notebook 01: 32/16/8-bit floats, int8, and the 4-bit family.
WEIGHT_DTYPES = ("fp32", "bf16", "fp8", "int8", "Q8_0", "int4", "nf4", "mxfp4", "Q4_K_M")


def with_config(model: Any, **changes: Any) -> ModelSpec:
    """The same model with some config.json fields changed (a "what if" variant).

    The fields are changed in the raw config (in ``text_config`` for multimodal files) and
    the model is read again, so every derived figure follows.

    Examples
    --------
    What if QwQ-32B had no grouped-query attention (one KV head per query head)?

    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/QwQ-32B")
    >>> mha = with_config(m, num_key_value_heads=m.num_q_heads)
    >>> mha.attention_kind, vl.kv_bytes_per_token(mha, "bf16") // vl.kv_bytes_per_token(m, "bf16")
    ('MHA', 5)
    """
    from .spec import from_config

    m = load_model(model)
    raw = dict(m.hf_config)
    if isinstance(raw.get("text_config"), Mapping) and "num_hidden_layers" not in raw:
        raw["text_config"] = {**raw["text_config"], **changes}
    else:
        raw.update(changes)
    return from_config(raw, name=m.name, meta=m.meta)


def embedding_split(model: Any) -> dict[str, int]:
    """Parameters in the embeddings, the output head and everything else.

    ``non_embedding`` is what model cards call "non-embedding parameters": the decoder
    layers and the final norm.

    >>> s = embedding_split("Qwen/Qwen3-8B")
    >>> f"{s['non_embedding']:,}"
    '6,946,075,648'
    >>> s["lm_head"] == s["embeddings"]        # untied: a second V x h matrix
    True
    """
    from .params import param_breakdown

    b = param_breakdown(load_model(model))
    emb, head = b["embeddings"], b.get("lm_head", 0)
    total = sum(b.values())
    return {"embeddings": emb, "lm_head": head, "non_embedding": total - emb - head, "total": total}


def precisions_table(names: Iterable[str] = WEIGHT_DTYPES):
    """The formats as a table: bits per value (scales included), bytes per billion parameters.

    Returns a pandas DataFrame with columns ``format``, ``bits``, ``overhead_bits``
    (above the nominal width), ``GB_per_1B_params``, ``quantizes`` and ``layout``.

    >>> t = precisions_table(["bf16", "int4"])
    >>> t["bits"].tolist(), t["overhead_bits"].tolist()
    ([16.0, 4.15625], [0.0, 0.15625])
    """
    import pandas as pd

    from .dtypes import get_dtype
    from .units import GB

    rows = []
    for n in names:
        d = get_dtype(n)
        nominal = int(d.bits)  # the integer part: 4 for the 4-bit family, 8 for Q8_0
        rows.append({
            "format": d.name,
            "bits": float(d.bits),
            "overhead_bits": float(d.bits - nominal),
            "GB_per_1B_params": d.bytes_for(10**9) / GB,
            "quantizes": "linear layers" if d.weight_only else "every tensor",
            "layout": d.description,
        })
    return pd.DataFrame(rows)


def weights_table(models: Iterable[Any] | None = None, dtypes: Iterable[str] = ("bf16", "fp8", "int4"),
                  unit: str = "GB"):
    """Weights of each model in each format, in ``unit`` (a pandas DataFrame).

    One row per model: ``model``, ``params`` and one column per format. Weight-only
    formats keep embeddings, lm_head, norms and biases in 16-bit (see :mod:`vramlab.dtypes`).

    >>> t = weights_table(["Qwen/Qwen3-8B"], ["bf16", "int4"])
    >>> t.loc[0, ["bf16", "int4"]].tolist()
    [16.38, 6.1]
    """
    import pandas as pd

    from .memory import weights_bytes
    from .presets import list_models
    from .units import to_unit

    rows = []
    for mm in (models if models is not None else list_models()):
        m = load_model(mm)
        row: dict[str, Any] = {"model": m.name, "params": m.param_count()}
        for d in dtypes:
            row[d] = round(to_unit(weights_bytes(m, d), unit), 2)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class DecodeWork:
    """Work of one decoding step that produces one new token, with and without a KV cache.

    The step runs at position ``context`` (the new token attends to ``context`` tokens,
    itself included).

    Attributes
    ----------
    context : int
    kv_vectors_no_cache, kv_vectors_cache : int
        (token, layer) pairs whose K and V are projected in the step: without a cache
        every token of the sequence is projected again in every layer.
    flops_no_cache, flops_cache : int
        Floating-point operations of the step (2 per multiply-add): the linear layers for
        each token processed, the output head for the new token, and the attention scores
        and weighted sum (4 H_q d_head per query-key pair and layer).
    """

    context: int
    kv_vectors_no_cache: int
    kv_vectors_cache: int
    flops_no_cache: int
    flops_cache: int

    @property
    def flops_ratio(self) -> float:
        """How many times more work the step costs without the cache."""
        return self.flops_no_cache / self.flops_cache


def decode_work(model: Any, context: int) -> DecodeWork:
    """Work of the decoding step at position ``context``, with and without a KV cache.

    Without a cache the model has no memory of the past: to produce token ``context`` it
    runs the whole sequence again, so every layer projects K and V for all ``context``
    tokens and attends over a ``context`` x ``context`` triangle. With a cache only the new
    token goes through the layers; its query reads the cached K and V.

    Counts: linear layers 2 P_layers per token processed (P_layers = active parameters
    minus embeddings and output head), output head 2 V h, attention 4 H_q d_head per
    query-key pair per layer (QK^T and the weighted sum of V). Sliding windows and MLA's
    different attention arithmetic are left out: the point is the ratio.

    Parameters
    ----------
    model : ModelSpec or preset id
    context : int
        Tokens in the sequence once the new token is added (>= 1).

    Returns
    -------
    DecodeWork

    Examples
    --------
    >>> w = decode_work("Qwen/Qwen3-8B", context=1)
    >>> w.flops_no_cache == w.flops_cache        # the first token: nothing to reuse yet
    True
    """
    from .params import active_param_count

    m = load_model(model)
    n = check_int("context", context, minimum=1, maximum=10**7)
    vh = m.vocab_size * m.hidden_size
    head = vh
    # active parameters without the embedding lookup and the output head (tied: one V x h)
    layers = active_param_count(m) - vh - (0 if m.tie_word_embeddings else vh)
    per_pair = 4 * m.num_q_heads * m.head_dim * m.num_layers
    kv_per_token = m.num_layers  # one K vector and one V vector per layer (all KV heads)
    return DecodeWork(
        context=n,
        kv_vectors_no_cache=kv_per_token * n,
        kv_vectors_cache=kv_per_token,
        flops_no_cache=2 * layers * n + 2 * head + per_pair * n * (n + 1) // 2,
        flops_cache=2 * layers + 2 * head + per_pair * n,
    )


def decode_work_table(model: Any, contexts: Iterable[int] = (1, 128, 1024, 8192, 32768)):
    """:func:`decode_work` at several positions, as a pandas DataFrame.

    Columns: ``context``, ``KV projections (no cache)``, ``KV projections (cache)``,
    ``GFLOP (no cache)``, ``GFLOP (cache)``, ``ratio``.

    >>> t = decode_work_table("Qwen/Qwen3-8B", [1, 2])
    >>> t["KV projections (no cache)"].tolist()
    [36, 72]
    """
    import pandas as pd

    rows = []
    for c in contexts:
        w = decode_work(model, c)
        rows.append({
            "context": w.context,
            "KV projections (no cache)": w.kv_vectors_no_cache,
            "KV projections (cache)": w.kv_vectors_cache,
            "GFLOP (no cache)": round(w.flops_no_cache / 1e9, 1),
            "GFLOP (cache)": round(w.flops_cache / 1e9, 1),
            "ratio": round(w.flops_ratio, 1),
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ToyDecode:
    """Result of :func:`toy_decode`: the same tokens decoded with and without a KV cache.

    Attributes
    ----------
    steps : int
    outputs_no_cache, outputs_cache : tuple of tuple of float
        The attention output of every step (rounded to 6 decimals for display).
    max_abs_difference : float
        Largest difference between the two runs (floating-point noise only).
    kv_projections_no_cache, kv_projections_cache : int
        Token vectors multiplied by W_K and W_V in total.
    cache_values : int
        Numbers held in the cache at the end (2 x steps x dim).
    """

    steps: int
    outputs_no_cache: tuple
    outputs_cache: tuple
    max_abs_difference: float
    kv_projections_no_cache: int
    kv_projections_cache: int
    cache_values: int


def toy_decode(steps: int = 8, dim: int = 16, seed: int = 0) -> ToyDecode:
    """Decode ``steps`` tokens through one causal attention head, with and without a cache.

    A seeded random head (W_Q, W_K, W_V of ``dim`` x ``dim``) and random token vectors.
    Without a cache, step ``t`` projects all ``t`` tokens to K and V again; with a cache it
    projects only the new token and appends it. Causal attention never lets an old token
    see a new one, so its K and V never change: both runs give the same outputs, and the
    cache turns t(t+1)/2 projections into t.

    Examples
    --------
    >>> r = toy_decode(steps=8, dim=16, seed=0)
    >>> r.kv_projections_no_cache, r.kv_projections_cache, r.max_abs_difference < 1e-12
    (36, 8, True)
    """
    import numpy as np

    steps = check_int("steps", steps, minimum=1, maximum=4096)
    dim = check_int("dim", dim, minimum=1, maximum=4096)
    rng = np.random.default_rng(seed)
    wq, wk, wv = (rng.standard_normal((dim, dim)) / np.sqrt(dim) for _ in range(3))
    x = rng.standard_normal((steps, dim))

    def attend(q, k, v):
        s = k @ q / np.sqrt(dim)
        p = np.exp(s - s.max())
        return (p / p.sum()) @ v

    out_nc, out_c = [], []
    proj_nc = proj_c = 0
    k_cache = np.empty((0, dim))
    v_cache = np.empty((0, dim))
    for t in range(1, steps + 1):
        # without a cache: project every token seen so far again
        k_all, v_all = x[:t] @ wk, x[:t] @ wv
        proj_nc += t
        out_nc.append(attend(x[t - 1] @ wq, k_all, v_all))
        # with a cache: project the new token only and append it
        k_cache = np.vstack([k_cache, x[t - 1:t] @ wk])
        v_cache = np.vstack([v_cache, x[t - 1:t] @ wv])
        proj_c += 1
        out_c.append(attend(x[t - 1] @ wq, k_cache, v_cache))
    a, b = np.array(out_nc), np.array(out_c)
    return ToyDecode(
        steps=steps,
        outputs_no_cache=tuple(tuple(round(float(v), 6) for v in row) for row in a),
        outputs_cache=tuple(tuple(round(float(v), 6) for v in row) for row in b),
        max_abs_difference=float(np.abs(a - b).max()),
        kv_projections_no_cache=proj_nc,
        kv_projections_cache=proj_c,
        cache_values=int(k_cache.size + v_cache.size),
    )


def _pattern(m: ModelSpec) -> str:
    if not m.num_sliding_layers:
        return f"{m.num_layers} full"
    if not m.num_full_layers:
        return f"{m.num_layers} sliding ({m.sliding_window:,})"
    return f"{m.num_full_layers} full + {m.num_sliding_layers} sliding ({m.sliding_window:,})"


_KIND_ORDER = {"MHA": 0, "GQA": 1, "MQA": 2, "MLA": 3}


def kv_table(models: Iterable[Any] | None = None, kv_dtype: str = "bf16", context: int = 32768):
    """KV cache per token of each model, side by side, as a pandas DataFrame.

    Columns: ``model``, ``attention``, ``layers`` (full / sliding pattern), ``H_q``,
    ``H_kv``, ``d_head``, ``values/token/layer`` (2 H_kv d_head, or d_c + d_R for MLA),
    ``KiB/token`` (every layer), ``GiB @ context`` (one sequence of ``context`` tokens,
    sliding layers capped) and ``KiB/token @ context`` (that, per token).
    Rows sorted by attention kind (MHA, GQA, MQA, MLA), then by KiB per token.

    >>> t = kv_table(["Qwen/Qwen3-8B", "tiiuae/falcon-7b"])
    >>> t["KiB/token"].tolist()
    [144.0, 8.0]
    """
    import pandas as pd

    from .memory import kv_bytes_per_token, kv_cache_bytes
    from .presets import list_models
    from .units import to_unit

    context = check_int("context", context, minimum=1, maximum=10**9)
    rows = []
    for mm in (models if models is not None else list_models()):
        m = load_model(mm)
        cache = kv_cache_bytes(m, context, 1, kv_dtype)
        rows.append({
            "model": m.name,
            "attention": m.attention_kind,
            "layers": _pattern(m),
            "H_q": m.num_q_heads,
            "H_kv": m.num_kv_heads if m.attention_kind != "MLA" else "latent",
            "d_head": m.head_dim if m.attention_kind != "MLA" else f"{m.kv_lora_rank}+{m.qk_rope_head_dim}",
            "values/token/layer": m.kv_elements_per_token_per_layer,
            "KiB/token": round(to_unit(kv_bytes_per_token(m, kv_dtype), "KiB"), 2),
            f"GiB @ {context:,}": round(to_unit(cache, "GiB"), 3),
            f"KiB/token @ {context:,}": round(to_unit(cache, "KiB") / context, 2),
        })
    df = pd.DataFrame(rows)
    order = df["attention"].map(_KIND_ORDER)
    return df.assign(_o=order).sort_values(["_o", "KiB/token", "model"]).drop(columns="_o").reset_index(drop=True)


def kv_line(model: Any, kv_dtype: str = "bf16", tokens: int = 32768, concurrency: int = 1) -> str:
    """One line on a model's KV cache, for the notebooks' calculators.

    >>> print(kv_line("Qwen/Qwen3-8B", "fp8", 32768))
    Qwen/Qwen3-8B (GQA, 36 full): 72 KiB/token in fp8; 1 x 32,768 tokens = 2.42 GB (2.25 GiB)
    """
    from .memory import kv_bytes_per_token, kv_cache_bytes, resolve_kv_dtype
    from .units import format_both, format_bytes

    m = load_model(model)
    d = resolve_kv_dtype(m, kv_dtype)
    per = kv_bytes_per_token(m, d)
    total = kv_cache_bytes(m, tokens, concurrency, d)
    return (f"{m.name} ({m.attention_kind}, {_pattern(m)}): {format_bytes(per, 'KiB', 0)}/token in {d.name}; "
            f"{concurrency:,} x {tokens:,} tokens = {format_both(total)}")


def weights_line(model: Any, dtype: str = "auto") -> str:
    """One line on a model's weights in a format, for the notebooks' calculators.

    >>> print(weights_line("Qwen/Qwen3-8B", "int4"))
    Qwen/Qwen3-8B: 8,190,735,360 parameters in int4 (4.156 bits, linear layers only) = 6.10 GB (5.68 GiB)
    """
    from .memory import resolve_weight_dtype, weights_bytes
    from .units import format_both

    m = load_model(model)
    d = resolve_weight_dtype(m, dtype)
    scope = ", linear layers only" if d.weight_only else ""
    return (f"{m.name}: {m.param_count():,} parameters in {d.name} ({float(d.bits):.4g} bits{scope}) = "
            f"{format_both(weights_bytes(m, d))}")


def kv_overtakes_weights(model: Any, tokens: int, kv_dtype: str = "auto", weight_dtype: str = "auto") -> int:
    """The smallest number of concurrent sequences of ``tokens`` tokens whose KV cache
    takes at least as much memory as the weights.

    >>> kv_overtakes_weights("Qwen/Qwen3-8B", 4096, "bf16", "bf16")
    28
    """
    from .memory import kv_cache_bytes, weights_bytes

    m = load_model(model)
    per_seq = kv_cache_bytes(m, tokens, 1, kv_dtype)
    return -(-weights_bytes(m, weight_dtype) // per_seq)
