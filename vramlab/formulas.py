"""The memory formulas of vramlab as sympy equations, with exact evaluation for a real model.

Every function here returns a :class:`sympy.Eq` whose right-hand side is written in the
order a person would write it (``2 L H_kv d_head b_kv / 8``), so that it renders well in a
notebook and can be substituted step by step. sympy is imported inside the functions:
``import vramlab`` stays light.

Formulas
--------
=============================  ================================================================
``embedding_params``           P_emb = (2 - t_tie) V h   (embeddings + untied lm_head)
``layer_params``               one Llama-like decoder layer (attention, MLP, norms, biases)
``model_params``               the whole Llama-like model, dense or mixture-of-experts
``expert_params``              routed MoE experts: L_moe E 3 h d_moe
``active_expert_params``       the experts one token uses: L_moe k 3 h d_moe
``weights_memory``             M_w = P b_w / 8
``quantized_weights_memory``   M_w = (P_q b_w + (P - P_q) 16) / 8  (embeddings etc. stay 16-bit)
``kv_bytes_per_token``         KV_token = 2 L H_kv d_head b_kv / 8; MLA: (d_c + d_R) L b_kv / 8
``sliding_window_cap``         T_cached = min(T, W)
``kv_cache_bytes``             M_KV = N (L_full T + L_swa min(T, W)) e_kv b_kv / 8
``total_memory``               M_total = (M_w + M_KV + M_act + M_fw)(1 + m)
=============================  ================================================================

:func:`symbols_for` reads the value of every symbol from a :class:`~vramlab.ModelSpec`,
:func:`evaluate` computes a formula exactly (``sympy.lambdify(..., modules="math")`` fed
with :class:`fractions.Fraction` values, so no floating-point rounding) and returns an int,
and :func:`steps` / :func:`show` render the substitution in LaTeX.

>>> import vramlab as vl
>>> from vramlab import formulas as F
>>> m = vl.load_model("Qwen/Qwen3-8B")
>>> F.evaluate(F.kv_bytes_per_token(), m, kv_dtype="bf16")
147456
>>> F.evaluate(F.model_params(), m) == m.param_count()
True
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from numbers import Rational as _RationalABC
from typing import Any, Mapping

from .errors import VramlabError

__all__ = [
    "SYMBOLS", "symbol", "llama_like",
    "embedding_params", "layer_params", "model_params", "expert_params", "active_expert_params",
    "weights_memory", "quantized_weights_memory",
    "kv_elements_per_layer", "kv_bytes_per_token", "sliding_window_cap", "kv_cache_bytes",
    "total_memory", "kv_bytes_per_token_for", "kv_cache_bytes_for",
    "symbols_for", "evaluate", "evaluate_named", "steps", "show",
]

#: Every symbol used by the formulas: name -> meaning (and where its value comes from).
SYMBOLS: dict[str, str] = {
    "V": "vocabulary size (vocab_size)",
    "h": "hidden size (hidden_size)",
    "L": "decoder layers (num_hidden_layers)",
    "H_q": "query heads (num_attention_heads)",
    "H_kv": "key/value heads (num_key_value_heads)",
    "d_head": "dimension of one head (head_dim, else hidden_size / num_attention_heads)",
    "d_ff": "width of the dense MLP (intermediate_size)",
    "n_norm": "norm weight vectors of width h per layer (2 for Llama/Qwen, 4 for Gemma)",
    "beta_qkv": "1 when the Q, K, V projections have biases (Qwen2), else 0",
    "nu_qk": "1 when queries and keys get a per-head RMSNorm (Qwen3, Gemma-3), else 0",
    "t_tie": "1 when lm_head is tied to the embeddings (tie_word_embeddings), else 0",
    "E": "routed experts per MoE layer",
    "k": "routed experts chosen per token (num_experts_per_tok)",
    "L_moe": "layers whose MLP is a mixture of experts",
    "d_moe": "width of one expert (moe_intermediate_size)",
    "P": "parameters of the model",
    "P_q": "parameters stored in the quantized format (the linear layers)",
    "P_emb": "parameters of the embeddings and lm_head",
    "P_layer": "parameters of one decoder layer",
    "P_experts": "parameters of the routed experts",
    "P_active_experts": "parameters of the experts one token uses",
    "b_w": "bits per weight value of the weight format (scales included)",
    "b_kv": "bits per value of the KV cache",
    "M_w": "bytes of the weights",
    "e_kv": "values cached per token and layer (2 H_kv d_head, or d_c + d_R for MLA)",
    "d_c": "MLA latent dimension (kv_lora_rank)",
    "d_R": "MLA decoupled RoPE key dimension (qk_rope_head_dim)",
    "KV_token": "bytes of KV cache per token (every layer)",
    "T": "tokens per sequence (prompt + output)",
    "W": "sliding window (positions a sliding layer keeps)",
    "T_cached": "positions a layer keeps for a sequence of T tokens",
    "L_full": "full-attention layers",
    "L_swa": "sliding-window layers",
    "N": "sequences in the cache at once (concurrency)",
    "M_KV": "bytes of the KV cache",
    "M_act": "bytes of activations",
    "M_fw": "bytes of framework and CUDA context",
    "m": "safety margin as a fraction (0.1 = 10 %)",
    "M_total": "bytes in total",
}

_DENSE_TYPES = ("llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "qwen3_moe", "mixtral")


@lru_cache(maxsize=None)
def symbol(name: str):
    """The sympy symbol called ``name`` (one of :data:`SYMBOLS`).

    >>> symbol("H_kv")
    H_kv
    >>> symbol("heads")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: symbol 'heads' is unknown; valid: V, h, L, H_q, H_kv, d_head, d_ff, n_norm, beta_qkv, nu_qk, t_tie, E, k, L_moe, d_moe, P, P_q, P_emb, P_layer, P_experts, P_active_experts, b_w, b_kv, M_w, e_kv, d_c, d_R, KV_token, T, W, T_cached, L_full, L_swa, N, M_KV, M_act, M_fw, m, M_total
    """
    import sympy as sp

    if name not in SYMBOLS:
        raise VramlabError(f"symbol {name!r} is unknown; valid: {', '.join(SYMBOLS)}", field="symbol")
    return sp.Symbol(name, nonnegative=True)


def _s(*names: str):
    return [symbol(n) for n in names]


def _prod(*factors):
    """A product kept in the written order (unevaluated)."""
    import sympy as sp

    return sp.Mul(*factors, evaluate=False)


def _sum(*terms):
    import sympy as sp

    return sp.Add(*terms, evaluate=False)


def _over(num, den: int):
    """num / den kept as a fraction; lambdify prints it as ``(num)/den`` (exact on Fractions)."""
    import sympy as sp

    return sp.Mul(num, sp.Pow(sp.Integer(den), -1, evaluate=False), evaluate=False)


def _eq(lhs: str, rhs):
    import sympy as sp

    return sp.Eq(symbol(lhs), rhs, evaluate=False)


# -- parameters --------------------------------------------------------------------------
def embedding_params():
    """Parameters of the token embeddings and the output head: ``P_emb = (2 - t_tie) V h``.

    A tied lm_head (``t_tie = 1``) reuses the embedding matrix, so it is counted once.

    >>> embedding_params()
    Eq(P_emb, V*h*(2 - t_tie))
    """
    V, h, t = _s("V", "h", "t_tie")
    return _eq("P_emb", _prod(_sum(2, -t), V, h))


def _layer_rhs():
    h, Hq, Hkv, d, dff, nn, beta, nu = _s("h", "H_q", "H_kv", "d_head", "d_ff", "n_norm", "beta_qkv", "nu_qk")
    return _sum(
        _prod(2, h, Hq, d),          # Q and O projections
        _prod(2, h, Hkv, d),         # K and V projections
        _prod(3, h, dff),            # gate, up, down
        _prod(nn, h),                # RMSNorm weights
        _prod(beta, _sum(Hq, _prod(2, Hkv)), d),  # Q, K, V biases
        _prod(nu, 2, d),             # per-head q/k norms
    )


def layer_params():
    """Parameters of one dense Llama-like decoder layer.

    ``P_layer = 2 h H_q d_head + 2 h H_kv d_head + 3 h d_ff + n_norm h
    + beta_qkv (H_q + 2 H_kv) d_head + nu_qk 2 d_head``: the Q and O projections
    (h x H_q d_head each), K and V (h x H_kv d_head each), the gated MLP (three h x d_ff
    matrices), the norm weights, and the optional QKV biases and q/k norms.

    >>> import vramlab as vl
    >>> m = vl.load_model("meta-llama/Llama-3.1-8B-Instruct")
    >>> evaluate(layer_params(), m)            # 4096 x (2x4096 + 2x1024 + 3x14336 + 2)
    218112000
    """
    return _eq("P_layer", _layer_rhs())


def model_params(moe: bool = False):
    """Parameters of a whole Llama-like model (Llama, Mistral, Qwen2/3, Phi-3, Gemma-2/3).

    Dense: ``P = (2 - t_tie) V h + L P_layer + h`` (the last ``h`` is the final norm).
    With ``moe=True`` the MLP of ``L_moe`` layers is replaced by ``E`` experts of width
    ``d_moe`` and a router (``h E`` weights): Qwen3-MoE, Mixtral.

    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-30B-A3B")
    >>> evaluate(model_params(moe=True), m) == m.param_count()
    True
    """
    import sympy as sp

    V, h, t, L = _s("V", "h", "t_tie", "L")
    layer = _layer_rhs()
    if not moe:
        return _eq("P", _sum(_prod(_sum(2, -t), V, h), _prod(L, layer), h))
    dff, E, Lm, dm = _s("d_ff", "E", "L_moe", "d_moe")
    # the layer without its dense MLP; the MLP term is then counted for the dense layers only
    attn_norms = sp.Add(*[a for a in layer.args if symbol("d_ff") not in a.free_symbols], evaluate=False)
    return _eq("P", _sum(
        _prod(_sum(2, -t), V, h),
        _prod(L, attn_norms),
        _prod(_sum(L, -Lm), 3, h, dff),
        _prod(Lm, _sum(_prod(E, 3, h, dm), _prod(h, E))),
        h,
    ))


def expert_params():
    """Weights of the routed experts: ``P_experts = L_moe E 3 h d_moe``.

    >>> import vramlab as vl
    >>> m = vl.load_model("deepseek-ai/DeepSeek-V3")
    >>> evaluate(expert_params(), m) == vl.param_breakdown(m)["experts"]
    True
    """
    Lm, E, h, dm = _s("L_moe", "E", "h", "d_moe")
    return _eq("P_experts", _prod(Lm, E, 3, h, dm))


def active_expert_params():
    """Expert weights one token passes through: ``P_active_experts = L_moe k 3 h d_moe``.

    >>> import vramlab as vl
    >>> f"{evaluate(active_expert_params(), vl.load_model('Qwen/Qwen3-30B-A3B')):,}"
    '1,811,939,328'
    """
    Lm, k, h, dm = _s("L_moe", "k", "h", "d_moe")
    return _eq("P_active_experts", _prod(Lm, k, 3, h, dm))


# -- weights -------------------------------------------------------------------------------
def weights_memory():
    """Bytes of the weights when every parameter uses the same format: ``M_w = P b_w / 8``.

    >>> import vramlab as vl
    >>> evaluate(weights_memory(), vl.load_model("Qwen/Qwen3-8B"), dtype="bf16")
    16381470720
    """
    P, b = _s("P", "b_w")
    return _eq("M_w", _over(_prod(P, b), 8))


def quantized_weights_memory():
    """Bytes of the weights when only the linear layers are quantized.

    ``M_w = (P_q b_w + (P - P_q) 16) / 8``: weight-only formats (GPTQ/AWQ int4, nf4, fp8,
    MXFP4) keep embeddings, lm_head, norms, biases and routers in 16-bit. For a format
    applied to everything (bf16, GGUF) ``P_q = P`` and this is :func:`weights_memory`.

    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> evaluate(quantized_weights_memory(), m, dtype="int4") == vl.weights_bytes(m, "int4")
    True
    """
    P, Pq, b = _s("P", "P_q", "b_w")
    return _eq("M_w", _over(_sum(_prod(Pq, b), _prod(_sum(P, -Pq), 16)), 8))


# -- KV cache ------------------------------------------------------------------------------
def kv_elements_per_layer(mla: bool = False):
    """Values one token adds to one layer's cache: ``e_kv = 2 H_kv d_head`` (a K and a V
    vector per KV head), or for MLA ``e_kv = d_c + d_R`` (one latent shared by K and V plus
    the decoupled RoPE key: no factor 2).

    >>> kv_elements_per_layer(mla=True)
    Eq(e_kv, d_R + d_c)
    """
    if mla:
        dc, dr = _s("d_c", "d_R")
        return _eq("e_kv", _sum(dc, dr))
    Hkv, d = _s("H_kv", "d_head")
    return _eq("e_kv", _prod(2, Hkv, d))


def kv_bytes_per_token(mla: bool = False):
    """Bytes of KV cache per token over all layers.

    MHA, GQA and MQA are one formula, ``KV_token = 2 L H_kv d_head b_kv / 8``, with
    ``H_kv = H_q`` (MHA), ``1 < H_kv < H_q`` (GQA) or ``H_kv = 1`` (MQA).
    MLA: ``KV_token = (d_c + d_R) L b_kv / 8``.

    >>> import vramlab as vl
    >>> evaluate(kv_bytes_per_token(mla=True), vl.load_model("deepseek-ai/DeepSeek-V2"), kv_dtype="bf16")
    69120
    """
    L, b = _s("L", "b_kv")
    if mla:
        dc, dr = _s("d_c", "d_R")
        return _eq("KV_token", _over(_prod(_sum(dc, dr), L, b), 8))
    Hkv, d = _s("H_kv", "d_head")
    return _eq("KV_token", _over(_prod(2, L, Hkv, d, b), 8))


def sliding_window_cap():
    """Positions a sliding-window layer keeps: ``T_cached = min(T, W)``.

    >>> evaluate(sliding_window_cap(), T=32768, W=4096)
    4096
    """
    import sympy as sp

    T, W = _s("T", "W")
    return _eq("T_cached", sp.Min(T, W))


def kv_cache_bytes(mla: bool = False, sliding: bool = True):
    """Bytes of KV cache for ``N`` sequences of ``T`` tokens.

    ``M_KV = N (L_full T + L_swa min(T, W)) e_kv b_kv / 8`` with ``e_kv`` from
    :func:`kv_elements_per_layer`. ``sliding=False`` gives the simpler form for models
    whose layers all attend to the full context: ``M_KV = N T KV_token``, written out.

    >>> import vramlab as vl
    >>> g = vl.load_model("google/gemma-2-9b")
    >>> evaluate(kv_cache_bytes(), g, kv_dtype="bf16", T=32768, N=1) == vl.kv_cache_bytes(g, 32768, 1, "bf16")
    True
    """
    import sympy as sp

    N, T, W, Lf, Ls, L, b = _s("N", "T", "W", "L_full", "L_swa", "L", "b_kv")
    e = kv_elements_per_layer(mla).rhs
    if not sliding:
        per_token = kv_bytes_per_token(mla).rhs.args[0]  # the numerator: 2 L H_kv d_head b_kv
        return _eq("M_KV", _over(_prod(N, T, *_factors(per_token)), 8))
    positions = _sum(_prod(Lf, T), _prod(Ls, sp.Min(T, W)))
    return _eq("M_KV", _over(_prod(N, positions, *_factors(e), b), 8))


def _factors(e):
    import sympy as sp

    return e.args if isinstance(e, sp.Mul) else (e,)


def total_memory():
    """Total with overhead and margin: ``M_total = (M_w + M_KV + M_act + M_fw)(1 + m)``.

    Evaluate with ``rounding="nearest"``: :func:`vramlab.estimate` rounds the margin to
    the nearest byte.

    >>> evaluate(total_memory(), M_w=16, M_KV=4, M_act=0, M_fw=0, m=0.1, rounding="nearest")
    22
    """
    Mw, Mkv, Ma, Mf, m = _s("M_w", "M_KV", "M_act", "M_fw", "m")
    return _eq("M_total", _prod(_sum(Mw, Mkv, Ma, Mf), _sum(1, m)))


def kv_bytes_per_token_for(model: Any):
    """:func:`kv_bytes_per_token` in the variant that fits ``model`` (MLA or not).

    >>> import vramlab as vl
    >>> kv_bytes_per_token_for(vl.load_model("deepseek-ai/DeepSeek-V3")).rhs.has(symbol("d_c"))
    True
    """
    from .presets import load_model

    return kv_bytes_per_token(mla=load_model(model).attention_kind == "MLA")


def kv_cache_bytes_for(model: Any):
    """:func:`kv_cache_bytes` in the variant that fits ``model`` (MLA, sliding layers).

    >>> import vramlab as vl
    >>> kv_cache_bytes_for(vl.load_model("Qwen/Qwen3-8B")).rhs.has(symbol("W"))
    False
    """
    from .presets import load_model

    m = load_model(model)
    return kv_cache_bytes(mla=m.attention_kind == "MLA", sliding=m.num_sliding_layers > 0)


# -- values --------------------------------------------------------------------------------
def llama_like(model: Any) -> bool:
    """True when :func:`layer_params` / :func:`model_params` describe ``model`` exactly.

    That is the Llama-like families (Llama, Mistral, Qwen2/3, Qwen3-MoE, Mixtral, Phi-3,
    Gemma-2/3) without an output-projection or MLP bias. MLA (DeepSeek), Falcon's fused
    parallel block and gpt-oss (attention sinks, expert biases) are laid out differently.

    >>> import vramlab as vl
    >>> llama_like(vl.load_model("Qwen/QwQ-32B")), llama_like(vl.load_model("tiiuae/falcon-7b"))
    (True, False)
    """
    from .presets import load_model

    m = load_model(model)
    c = m.config
    if m.model_type not in _DENSE_TYPES or m.attention_kind == "MLA" or not m.exact:
        return False
    if m.model_type != "qwen2" and c.get("attention_bias"):
        return False
    return not c.get("mlp_bias")


def symbols_for(model: Any, dtype: Any = "auto", kv_dtype: Any = "auto") -> dict:
    """The value of every model symbol, read from a :class:`~vramlab.ModelSpec`.

    Parameters
    ----------
    model : ModelSpec or preset id
    dtype : str
        Weight format, gives ``b_w`` and ``P_q`` (``"auto"`` reads the checkpoint).
    kv_dtype : str
        KV-cache format, gives ``b_kv``.

    Returns
    -------
    dict
        sympy Symbol -> sympy Integer or Rational (exact). Symbols that do not apply are 0
        (``E`` for a dense model, ``d_c`` without MLA, ``W`` without sliding layers).

    Examples
    --------
    >>> import vramlab as vl
    >>> v = symbols_for(vl.load_model("Qwen/Qwen3-8B"))
    >>> v[symbol("L")], v[symbol("H_kv")], v[symbol("d_head")], v[symbol("b_kv")]
    (36, 8, 128, 16)
    >>> symbols_for(vl.load_model("Qwen/Qwen3-8B"), dtype="int4")[symbol("b_w")]
    133/32
    """
    import sympy as sp

    from .memory import QUANTIZED_COMPONENTS, resolve_kv_dtype, resolve_weight_dtype
    from .presets import load_model
    from .params import moe_layer_indices, param_breakdown

    m = load_model(model)
    c = m.config
    wd = resolve_weight_dtype(m, dtype)
    kd = resolve_kv_dtype(m, kv_dtype)
    breakdown = param_breakdown(m)
    total = sum(breakdown.values())
    if wd.weight_only:
        comps = ("experts",) if (wd.name == "mxfp4" and m.is_moe) else QUANTIZED_COMPONENTS
        quantized = sum(breakdown.get(k, 0) for k in comps)
    else:
        quantized = total
    windows = {la.window for la in m.layers if la.kind == "sliding"}
    if len(windows) > 1:
        raise VramlabError(
            f"model {m.name!r} has sliding layers with different windows {sorted(windows)}; "
            "the formulas take one window W", field="sliding_window")
    moe_layers = moe_layer_indices(m)
    mt = m.model_type
    values = {
        "V": m.vocab_size, "h": m.hidden_size, "L": m.num_layers, "H_q": m.num_q_heads,
        "H_kv": m.num_kv_heads, "d_head": m.head_dim, "d_ff": m.intermediate_size,
        "n_norm": 4 if mt in ("gemma2", "gemma3_text") else 2,
        "beta_qkv": 1 if (mt == "qwen2" or c.get("attention_bias")) else 0,
        "nu_qk": 1 if mt in ("qwen3", "qwen3_moe", "gemma3_text") else 0,
        "t_tie": 1 if m.tie_word_embeddings else 0,
        "E": m.num_experts, "k": m.num_experts_per_tok, "L_moe": len(moe_layers),
        "d_moe": int(c.get("moe_intermediate_size") or m.intermediate_size) if m.is_moe else 0,
        "P": total, "P_q": quantized,
        "b_w": wd.bits, "b_kv": kd.bits,
        "d_c": m.kv_lora_rank or 0, "d_R": m.qk_rope_head_dim or 0,
        "L_full": m.num_full_layers, "L_swa": m.num_sliding_layers, "W": windows.pop() if windows else 0,
    }
    return {symbol(k): sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sp.Integer(v)
            for k, v in values.items()}


def _to_fraction(name: str, v: Any) -> Fraction:
    import sympy as sp

    if isinstance(v, bool):
        raise VramlabError(f"value of {name} must be a number, got {v!r}", field=name)
    if isinstance(v, sp.Basic):
        if v.is_Rational:
            return Fraction(int(v.p), int(v.q))
        if v.is_Float:
            return Fraction(float(v))
        raise VramlabError(f"value of {name} must be a number, got {v!r}", field=name)
    if isinstance(v, (int, Fraction, _RationalABC)):
        return Fraction(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise VramlabError(f"value of {name} must be a finite number, got {v!r}", field=name)
        return Fraction(v)
    raise VramlabError(f"value of {name} must be a number, got {v!r}", field=name)


def _values(eq, model: Any, dtype: Any, kv_dtype: Any, values: Mapping[str, Any]) -> dict:
    vals: dict = {}
    if model is not None:
        vals.update(symbols_for(model, dtype, kv_dtype))
    for k, v in values.items():
        vals[symbol(k)] = v
    return vals


@lru_cache(maxsize=256)
def _compiled(eq):
    import sympy as sp

    free = tuple(sorted(eq.rhs.free_symbols, key=lambda s: s.name))
    return free, sp.lambdify(free, eq.rhs, modules="math")


def _compute(eq, vals: dict) -> Fraction:
    free, f = _compiled(eq)
    missing = [s.name for s in free if s not in vals]
    if missing:
        raise VramlabError(
            "missing values for " + ", ".join(f"{n} ({SYMBOLS[n]})" if n in SYMBOLS else n for n in missing)
            + ": pass a model or name them as keywords", field=missing[0])
    out = f(*[_to_fraction(s.name, vals[s]) for s in free])
    if not isinstance(out, (int, Fraction)):  # a float would mean an inexact literal in the formula
        raise VramlabError(f"formula for {eq.lhs} did not evaluate exactly (got {out!r})", field="eq")
    return Fraction(out)


def evaluate(eq, model: Any = None, *, dtype: Any = "auto", kv_dtype: Any = "auto",
             rounding: str = "exact", **values: Any) -> int:
    """Evaluate a formula exactly and return an int.

    The right-hand side is compiled with ``sympy.lambdify(..., modules="math")`` and fed
    :class:`fractions.Fraction` values, so every step is exact rational arithmetic.

    Parameters
    ----------
    eq : sympy.Eq
        One of this module's formulas.
    model : ModelSpec or preset id, optional
        Supplies the model symbols (see :func:`symbols_for`).
    dtype, kv_dtype : str
        Weight and KV-cache formats for ``b_w``, ``P_q`` and ``b_kv``.
    rounding : {"exact", "ceil", "nearest"}
        ``"exact"`` raises when the value is not a whole number; ``"ceil"`` rounds up
        (whole bytes); ``"nearest"`` rounds to the nearest integer.
    **values
        Values for symbols by name (``T=32768, N=8``); they override the model's.

    Returns
    -------
    int

    Examples
    --------
    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> evaluate(kv_cache_bytes_for(m), m, kv_dtype="fp8", T=4096, N=8)
    2415919104
    >>> evaluate(weights_memory(), P=3, b_w=4)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: M_w = 3/2 is not a whole number; pass rounding="ceil" or "nearest"
    """
    return _rounded(eq, _compute(eq, _values(eq, model, dtype, kv_dtype, values)), rounding)


def evaluate_named(eq, values: Mapping[str, Any], rounding: str = "ceil") -> int:
    """Evaluate any sympy ``Eq`` exactly from values given by symbol name.

    For formulas built outside this module (``vramlab.overheads``, ``vramlab.training``),
    whose symbols are not in :data:`SYMBOLS`. Same exact evaluation as :func:`evaluate`;
    by default the result is rounded up to whole bytes.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", nonnegative=True)
    >>> evaluate_named(sp.Eq(sp.Symbol("z"), 2 * x * y + 1), {"x": 3, "y": 5})
    31
    """
    by_name = {sym.name: sym for sym in eq.rhs.free_symbols}
    return _rounded(eq, _compute(eq, {by_name[k]: v for k, v in values.items() if k in by_name}), rounding)


def _rounded(eq, x: Fraction, rounding: str) -> int:
    if rounding not in ("exact", "ceil", "nearest"):
        raise VramlabError(f"rounding must be one of exact, ceil, nearest, got {rounding!r}", field="rounding")
    if x.denominator == 1:
        return int(x)
    if rounding == "ceil":
        return -(-x.numerator // x.denominator)
    if rounding == "nearest":
        return round(x)
    raise VramlabError(f'{eq.lhs} = {x} is not a whole number; pass rounding="ceil" or "nearest"', field="rounding")


def _latex_value(v: Any) -> str:
    import sympy as sp

    if isinstance(v, float):
        return f"{v:g}"
    x = _to_fraction("value", v)
    if x.denominator == 1:
        return f"{int(x):,}".replace(",", "{,}")
    return sp.latex(sp.Rational(x.numerator, x.denominator))


def steps(eq, model: Any = None, *, dtype: Any = "auto", kv_dtype: Any = "auto",
          rounding: str = "exact", **values: Any) -> list[str]:
    """The substitution, step by step, as LaTeX strings.

    Returns three strings: the formula, the formula with every symbol replaced by its
    value (structure kept), and the result. Without a model and without values, only the
    formula (written in the order of the text, unlike sympy's own display).

    Examples
    --------
    >>> import vramlab as vl
    >>> for s in steps(kv_bytes_per_token(), vl.load_model("Qwen/Qwen3-8B"), kv_dtype="bf16"):
    ...     print(s)
    KV_{token} = \\frac{2 L H_{kv} d_{head} b_{kv}}{8}
    KV_{token} = \\frac{2 \\times 36 \\times 8 \\times 128 \\times 16}{8}
    KV_{token} = 147{,}456
    >>> print(steps(sliding_window_cap())[0])
    T_{cached} = \\min\\left(T, W\\right)
    """
    import sympy as sp

    if model is None and not values:
        return [sp.latex(eq, order="none")]
    vals = _values(eq, model, dtype, kv_dtype, values)
    result = evaluate(eq, model, dtype=dtype, kv_dtype=kv_dtype, rounding=rounding, **values)
    names = {s: _latex_value(values.get(s.name, vals.get(s))) for s in eq.rhs.free_symbols}
    lhs = sp.latex(eq.lhs)
    return [
        sp.latex(eq, order="none"),
        f"{lhs} = " + sp.latex(eq.rhs, order="none", mul_symbol="times", symbol_names=names),
        f"{lhs} = {_latex_value(result)}",
    ]


def show(eq, model: Any = None, **kwargs: Any) -> None:
    """Display :func:`steps` as one aligned equation in a notebook (IPython ``Math``).

    Takes the same arguments as :func:`steps`; ``show(eq)`` alone displays the formula.
    """
    from IPython.display import Math, display

    lines = steps(eq, model, **kwargs)
    body = r" \\ ".join(line.replace(" = ", " &= ", 1) for line in lines)
    display(Math(r"\begin{aligned}" + body + r"\end{aligned}"))
