"""Every memory formula of vramlab as a sympy equation: one symbol registry, one exact evaluator.

Each formula is a function returning a :class:`sympy.Eq` whose right-hand side is written in
the order a person would write it (``2 L H_kv d_head b_kv / 8``), so that it renders well in
a notebook and can be substituted step by step. sympy is imported inside the functions:
``import vramlab`` stays light. The numeric modules (:mod:`vramlab.params`,
:mod:`vramlab.memory`, :mod:`vramlab.training`, ...) compute the same numbers without sympy;
the tests check that both agree exactly.

Every symbol has one name and one meaning, listed in :data:`SYMBOLS`; :func:`symbol`
returns it. Values come from a model (:func:`symbols_for`), from a result
(:func:`estimate_values`, :func:`pool_values`) or by keyword. :func:`evaluate` computes a
formula exactly (``sympy.lambdify(..., modules="math")`` fed with :class:`fractions.Fraction`
values, so no floating-point rounding); :func:`steps` / :func:`show` render the
substitution in LaTeX.

Formulas, by family (one file each)
-----------------------------------
=================================  ============================================================
``weights``: parameters and weights
``embedding_params``               P_emb = (2 - t_tie) V h   (embeddings + untied lm_head)
``layer_params``                   one Llama-like decoder layer (attention, MLP, norms, biases)
``model_params``                   the whole Llama-like model, dense or mixture-of-experts
``expert_params``                  routed MoE experts: L_moe E 3 h d_moe
``active_expert_params``           the experts one token uses: L_moe k 3 h d_moe
``weights_memory``                 M_w = P b_w / 8
``quantized_weights_memory``       M_w = (P_q b_w + (P - P_q) 16) / 8
``kv``: the KV cache
``kv_elements_per_layer``          e_kv = 2 H_kv d_head; MLA: d_c + d_R
``kv_bytes_per_token``             KV_token = 2 L H_kv d_head b_kv / 8; MLA: (d_c + d_R) L b_kv / 8
``sliding_window_cap``             T_cached = min(T, W)
``kv_cache_bytes``                 M_KV = N (L_full T + L_swa min(T, W)) e_kv b_kv / 8
``totals``: serving totals
``activation_memory``              M_act of one forward pass over T_pass tokens, S sequences sampled
``total_memory``                   M_total = (M_w + M_KV + M_act + M_fw)(1 + m)
``per_gpu_memory``                 M_gpu under tensor parallelism t
``rules``: rules of thumb
``rule_overhead``                  M_oh = rho (M_w + M_KV)
``rule_total``                     M_rule = (M_w + M_KV)(1 + rho)
``rule_crossover``                 M_cross = (M_act + M_fw) / rho
``pool``: vLLM's KV-cache pool
``pool_kv_memory``                 M_pool = max(0, floor(M_dev u) - (M_wgpu + M_act + M_nt + M_cg))
``pool_blocks``                    n_blocks = floor(M_pool / M_blk)
``pool_tokens``                    T_pool = floor(n_blocks / G) B
``pool_blocks_per_request``        n_req = ceil(L_max / B)
``pool_concurrency``               C = n_blocks / n_req
``training``: training memory
``model_states``                   M_states per ZeRO stage (ZeRO paper, K bytes of optimizer state)
``korthikanti_layer``              A_layer = T N h (34 + 5 H_q T / h)  (Korthikanti et al. 2022)
``training_layer_activations``     A_layer of one modern decoder layer (fused kernels, FlashAttention)
``training_head_activations``      A_head: final norm, lm_head input, fp32 log-softmax
``training_ids_activations``       A_ids: RoPE tables, token ids and labels
``training_activations``           A_train = L A_layer + A_head + A_ids, written out
``lora_params``                    P_LoRA = L r (...) for all-linear LoRA of a dense model
=================================  ============================================================

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
from typing import Any

from ..errors import VramlabError

#: Every symbol of every formula: name -> meaning (and where its value comes from).
#: One name per meaning: sizes of a whole model are ``M_*``, of one GPU ``M_gpu``/``M_wgpu``,
#: training activations ``A_*``; bits per value are ``b_w``/``b_kv``, bytes ``b_act``.
SYMBOLS: dict[str, str] = {
    # -- the model (read from its config by symbols_for)
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
    "d_c": "MLA latent dimension (kv_lora_rank)",
    "d_R": "MLA decoupled RoPE key dimension (qk_rope_head_dim)",
    "L_full": "full-attention layers",
    "L_swa": "sliding-window or chunked layers (each keeps at most W positions)",
    "L_idx": "layers with a sparse-attention indexer (DeepSeek-V3.2's DSA)",
    "d_idx": "key values the indexer caches per token and layer (index_head_dim)",
    "L_att": "layers that cache K and V per token (linear-attention and Mamba layers keep a fixed state instead)",
    "W": "sliding window or attention chunk (positions a sliding or chunked layer keeps)",
    # -- parameters
    "P": "parameters of the model",
    "P_q": "parameters stored in the quantized format (the linear layers)",
    "P_emb": "parameters of the embeddings and lm_head",
    "P_layer": "parameters of one decoder layer",
    "P_experts": "parameters of the routed experts",
    "P_active_experts": "parameters of the experts one token uses",
    "P_LoRA": "trainable LoRA parameters",
    # -- formats
    "b_w": "bits per weight value of the weight format (scales included)",
    "b_kv": "bits per value of the KV cache",
    "b_act": "bytes per activation value (the compute dtype: 2 for bf16/fp16, 4 for fp32)",
    # -- the KV cache and the workload
    "e_kv": "values cached per token and layer (2 H_kv d_head, or d_c + d_R for MLA)",
    "KV_token": "bytes of KV cache per token (every layer)",
    "T": "tokens per sequence (serving: prompt + output; training: the sequence length)",
    "T_cached": "positions a layer keeps for a sequence of T tokens",
    "N": "sequences processed together (serving: concurrency; training: the micro-batch)",
    "T_pass": "tokens in one forward pass (a prefill chunk, or one per decoding sequence)",
    "S": "sequences sampled in one forward pass (fp32 logits each)",
    # -- serving memory
    "M_w": "bytes of the weights (whole model)",
    "M_KV": "bytes of the KV cache (whole model), with the fixed state of linear-attention or Mamba layers",
    "M_act": "bytes of the transient activations of one forward pass, on one GPU",
    "M_fw": "bytes of framework and CUDA context (vramlab's flat allowance)",
    "m": "safety margin as a fraction (0.1 = 10 %)",
    "M_total": "bytes in total, margin included",
    # -- tensor parallelism
    "t": "tensor-parallel degree (GPUs one model is split over)",
    "M_comm": "bytes of tensor-parallel communication buffers per GPU (0 when t = 1)",
    "M_gpu": "bytes one GPU needs under tensor parallelism, margin included",
    # -- rules of thumb
    "rho": "fraction of weights + KV cache a rule of thumb adds (0.05 to 0.2)",
    "M_oh": "overhead by a rule of thumb, bytes",
    "M_rule": "total by a rule of thumb, bytes",
    "M_cross": "weights + KV cache at which a rule's overhead equals the explicit overhead, bytes",
    # -- vLLM's KV-cache pool (one GPU)
    "M_dev": "bytes of memory of one GPU (total_memory)",
    "u": "gpu_memory_utilization: the fraction of M_dev vLLM may use",
    "M_wgpu": "bytes of the weights one GPU holds under tensor parallelism (RoPE cache included)",
    "M_nt": "non-torch bytes vLLM measures at start-up (CUDA context, NCCL)",
    "M_cg": "bytes of vLLM's CUDA-graph pools",
    "M_pool": "bytes vLLM gives the KV-cache pool on one GPU",
    "B": "tokens per KV block (block_size)",
    "M_blk": "bytes of one KV block (a page of every layer of a group)",
    "n_blocks": "KV blocks in the pool",
    "G": "KV-cache groups (layers sharing a block table; 1 without hybrid attention)",
    "T_pool": "tokens the pool holds",
    "L_max": "tokens one request may reach (max_model_len)",
    "n_req": "blocks one request of L_max tokens needs",
    "C": "requests of L_max tokens the pool holds at once (vLLM's maximum concurrency)",
    # -- training
    "K": "bytes of optimizer state per parameter: master copy + states (12 for mixed-precision AdamW)",
    "N_d": "data-parallel GPUs the ZeRO shards are spread over",
    "r": "LoRA rank",
    "M_states": "bytes of the model states (weights, gradients, optimizer) per GPU",
    "A_layer": "training activations of one layer for one micro-batch, bytes",
    "A_head": "training activations of the output layer and loss, bytes",
    "A_ids": "training activations of RoPE tables, token ids and labels, bytes",
    "A_train": "training activations of one micro-batch, bytes",
}


@lru_cache(maxsize=None)
def symbol(name: str):
    """The sympy symbol called ``name`` (one of :data:`SYMBOLS`).

    >>> symbol("H_kv")
    H_kv
    >>> symbol("heads")      # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: symbol 'heads' is unknown; valid: V, h, L, H_q, H_kv, ...
    """
    import sympy as sp

    if name not in SYMBOLS:
        raise VramlabError(f"symbol {name!r} is unknown; valid: {', '.join(SYMBOLS)}", field="symbol")
    return sp.Symbol(name, nonnegative=True)


# -- builders used by the formula files ---------------------------------------------------
def _s(*names: str):
    return [symbol(n) for n in names]


def _prod(*factors):
    """A product kept in the written order (unevaluated)."""
    import sympy as sp

    return sp.Mul(*factors, evaluate=False)


def _sum(*terms):
    import sympy as sp

    return sp.Add(*terms, evaluate=False)


def _over(num, den):
    """num / den kept as a fraction; lambdify prints it as ``(num)/den`` (exact on Fractions)."""
    import sympy as sp

    if isinstance(den, int):
        den = sp.Integer(den)
    return sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False)


def _eq(lhs: str, rhs):
    import sympy as sp

    return sp.Eq(symbol(lhs), rhs, evaluate=False)


def _factors(e):
    import sympy as sp

    return e.args if isinstance(e, sp.Mul) else (e,)


# -- the formulas, one file per family (they use the builders above) -----------------------
from .weights import *  # noqa: E402,F401,F403
from .weights import __all__ as _weights_all  # noqa: E402
from .kv import *  # noqa: E402,F401,F403
from .kv import __all__ as _kv_all  # noqa: E402
from .totals import *  # noqa: E402,F401,F403
from .totals import __all__ as _totals_all  # noqa: E402
from .rules import *  # noqa: E402,F401,F403
from .rules import __all__ as _rules_all  # noqa: E402
from .pool import *  # noqa: E402,F401,F403
from .pool import __all__ as _pool_all  # noqa: E402
from .training import *  # noqa: E402,F401,F403
from .training import __all__ as _training_all  # noqa: E402

__all__ = ["SYMBOLS", "symbol", "symbols_for", "evaluate", "steps", "show",
           *_weights_all, *_kv_all, *_totals_all, *_rules_all, *_pool_all, *_training_all]


# -- values --------------------------------------------------------------------------------
def symbols_for(model: Any, dtype: Any = "auto", kv_dtype: Any = "auto") -> dict:
    """The value of every model symbol, read from a :class:`~vramlab.ModelSpec`.

    Parameters
    ----------
    model : ModelSpec or preset id
    dtype : str
        Weight format, gives ``b_w``, ``P_q`` and ``b_act`` (``"auto"`` reads the checkpoint).
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
    >>> v[symbol("L")], v[symbol("H_kv")], v[symbol("d_head")], v[symbol("b_kv")], v[symbol("b_act")]
    (36, 8, 128, 16, 2)
    >>> symbols_for(vl.load_model("Qwen/Qwen3-8B"), dtype="int4")[symbol("b_w")]
    133/32
    """
    import sympy as sp

    from .. import families
    from ..memory import activation_terms, resolve_kv_dtype, resolve_weight_dtype
    from ..params import moe_layer_indices, param_breakdown
    from ..presets import load_model

    m = load_model(model)
    wd = resolve_weight_dtype(m, dtype)
    kd = resolve_kv_dtype(m, kv_dtype)
    breakdown = param_breakdown(m)
    total = sum(breakdown.values())
    if wd.weight_only:
        quantized = sum(breakdown.get(k, 0) for k in families.quantized_components(m, wd.name))
    else:
        quantized = total
    windows = {la.window for la in m.layers if la.kind in ("sliding", "chunked")}
    if len(windows) > 1:
        raise VramlabError(
            f"model {m.name!r} has sliding layers with different windows {sorted(windows)}; "
            "the formulas take one window W", field="sliding_window")
    indexed = [la for la in m.layers if la.index_keys]
    if any(la.kind != "full" or la.index_keys != indexed[0].index_keys for la in indexed):
        raise VramlabError(f"model {m.name!r} has indexer keys on layers that are not all full attention of one "
                           "width; the formulas take one d_idx on full layers", field="layer_types")
    moe_layers = moe_layer_indices(m)
    values = {
        "V": m.vocab_size, "h": m.hidden_size, "L": m.num_layers, "H_q": m.num_q_heads,
        "H_kv": m.num_kv_heads, "d_head": m.head_dim, "d_ff": m.intermediate_size,
        "n_norm": families.norms_per_layer(m),
        "beta_qkv": int(families.has_qkv_bias(m)),
        "nu_qk": int(families.has_qk_norm(m)),
        "t_tie": 1 if m.tie_word_embeddings else 0,
        "E": m.num_experts, "k": m.num_experts_per_tok, "L_moe": len(moe_layers),
        "d_moe": families.expert_width(m),
        "P": total, "P_q": quantized,
        "b_w": wd.bits, "b_kv": kd.bits, "b_act": activation_terms(m, 0, 0, wd)["b_act"],
        "d_c": m.kv_lora_rank or 0, "d_R": m.qk_rope_head_dim or 0,
        "L_full": m.num_full_layers, "L_swa": sum(la.kind in ("sliding", "chunked") for la in m.layers),
        "W": windows.pop() if windows else 0, "L_att": m.num_attention_layers,
        "L_idx": len(indexed), "d_idx": indexed[0].index_keys if indexed else 0,
    }
    if m.num_attention_layers != m.num_layers:  # the fixed state of linear-attention or Mamba layers
        from .kv import state_values

        try:
            values.update(state_values(m))
        except VramlabError:
            pass  # a state the formulas do not describe: a formula that needs it names the missing symbol
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


def _values(model: Any, dtype: Any, kv_dtype: Any, values: dict) -> dict:
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


_ROUNDINGS = ("exact", "ceil", "floor", "nearest", None)


def _rounded(eq, x: Fraction, rounding: str | None) -> int | Fraction:
    if rounding not in _ROUNDINGS:
        raise VramlabError(f"rounding must be one of exact, ceil, floor, nearest, None, got {rounding!r}",
                           field="rounding")
    if rounding is None:
        return x
    if x.denominator == 1:
        return int(x)
    if rounding == "ceil":
        return -(-x.numerator // x.denominator)
    if rounding == "floor":
        return x.numerator // x.denominator
    if rounding == "nearest":
        return round(x)
    raise VramlabError(f'{eq.lhs} = {x} is not a whole number; pass rounding="ceil", "floor" or "nearest"',
                       field="rounding")


def evaluate(eq, model: Any = None, *, dtype: Any = "auto", kv_dtype: Any = "auto",
             rounding: str | None = "exact", **values: Any) -> int | Fraction:
    """Evaluate a formula exactly.

    The right-hand side is compiled with ``sympy.lambdify(..., modules="math")`` and fed
    :class:`fractions.Fraction` values, so every step is exact rational arithmetic (a float
    value is read exactly as the binary number it is, as the numeric modules read it).

    Parameters
    ----------
    eq : sympy.Eq
        One of this package's formulas.
    model : ModelSpec or preset id, optional
        Supplies the model symbols (see :func:`symbols_for`).
    dtype, kv_dtype : str
        Weight and KV-cache formats for ``b_w``, ``P_q``, ``b_act`` and ``b_kv``.
    rounding : {"exact", "ceil", "floor", "nearest", None}
        ``"exact"`` raises when the value is not a whole number; ``"ceil"`` rounds up
        (whole bytes); ``"floor"`` down; ``"nearest"`` to the nearest integer; ``None``
        returns the exact :class:`~fractions.Fraction`.
    **values
        Values for symbols of :data:`SYMBOLS` by name (``T=32768, N=8``, or
        ``**pool_values(p)``); they override the model's.

    Returns
    -------
    int, or Fraction with ``rounding=None``

    Examples
    --------
    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> evaluate(kv_cache_bytes_for(m), m, kv_dtype="fp8", T=4096, N=8)
    2415919104
    >>> evaluate(weights_memory(), P=3, b_w=4, rounding=None)
    Fraction(3, 2)
    >>> evaluate(weights_memory(), P=3, b_w=4)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: M_w = 3/2 is not a whole number; pass rounding="ceil", "floor" or "nearest"
    """
    return _rounded(eq, _compute(eq, _values(model, dtype, kv_dtype, values)), rounding)


def _latex_value(v: Any) -> str:
    import sympy as sp

    if isinstance(v, float):
        return f"{v:g}"
    x = _to_fraction("value", v)
    if x.denominator == 1:
        return f"{int(x):,}".replace(",", "{,}")
    return sp.latex(sp.Rational(x.numerator, x.denominator))


def steps(eq, model: Any = None, *, dtype: Any = "auto", kv_dtype: Any = "auto",
          rounding: str | None = "exact", **values: Any) -> list[str]:
    """The substitution, step by step, as LaTeX strings.

    Returns three strings: the formula, the formula with every symbol replaced by its
    value (structure kept), and the result. Without a model and without values, only the
    formula (written in the order of the text, unlike sympy's own display). Takes the
    arguments of :func:`evaluate`.

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
    vals = _values(model, dtype, kv_dtype, values)
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

    >>> show(sliding_window_cap(), T=32768, W=4096)
    <IPython.core.display.Math object>
    """
    from IPython.display import Math, display

    lines = steps(eq, model, **kwargs)
    body = r" \\ ".join(line.replace(" = ", " &= ", 1) for line in lines)
    display(Math(r"\begin{aligned}" + body + r"\end{aligned}"))
