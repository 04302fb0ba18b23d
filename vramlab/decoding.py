"""Why a KV cache: the work of a decoding step with and without one, and a toy decoder.

Without a cache a model has no memory of the past: to produce each new token it runs the
whole sequence again. :func:`decode_work` counts the work of one step both ways for a real
model; :func:`toy_decode` decodes through one seeded attention head both ways and shows the
outputs are the same while the projections drop from t(t+1)/2 to t.

>>> w = decode_work("Qwen/Qwen3-8B", context=1000)
>>> w.kv_vectors_no_cache // w.kv_vectors_cache    # every past token is projected again
1000
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .errors import check_int, check_items
from .params import active_param_count
from .presets import load_model
from .layers import LayerAttention
from .spec import ModelSpec

__all__ = ["DecodeWork", "decode_work", "decode_work_curve", "DECODE_CONTEXTS", "STATE_FLOPS_PER_VALUE", "ToyDecode",
           "toy_decode"]

#: Contexts of :func:`decode_work_curve` by default: 1 to 32,768 tokens, powers of two.
DECODE_CONTEXTS = tuple(2**k for k in range(0, 16))


@dataclass(frozen=True)
class DecodeWork:
    """Work of one decoding step that produces one new token, with and without a KV cache.

    The step runs at position ``context`` (the new token attends to ``context`` tokens,
    itself included).

    Attributes
    ----------
    context : int
    kv_vectors_no_cache, kv_vectors_cache : int
        (token, attention layer) pairs whose K and V are projected in the step: without a
        cache every token of the sequence is projected again in every attention layer.
    flops_no_cache, flops_cache : int
        Floating-point operations of the step (2 per multiply-add): the linear layers for
        each token processed, the output head for the new token, the attention scores and
        weighted sum (4 H_q d_head per query-key pair and attention layer; MLA 2 H_q (d_qk + d_v))
        and the recurrence of linear-attention and Mamba layers for each token processed.
    model : str
        The model's name.
    """

    context: int
    kv_vectors_no_cache: int
    kv_vectors_cache: int
    flops_no_cache: int
    flops_cache: int
    model: str = ""

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
    query-key pair in each attention layer (QK^T and the weighted sum of V, see MLA below). Only attention
    layers (:attr:`~vramlab.spec.ModelSpec.num_attention_layers`) project K and V: a
    sliding-window layer's query at position i reads min(i, W) keys, a chunked layer's (Llama 4)
    the ((i - 1) mod C) + 1 tokens of its chunk. Linear-attention and Mamba layers keep a fixed
    state instead of a cache: each token processed costs 2 FLOPs per conv-state value and
    :data:`STATE_FLOPS_PER_VALUE` per recurrent-state value (approximate, see there); without
    the state every token is run again, as for attention. Nemotron-H's MLP blocks attend to
    nothing. MLA: 2 H_q (d_qk + d_v) per pair (``qk_nope_head_dim + qk_rope_head_dim`` and
    ``v_head_dim``, the attention of the decompressed heads); DeepSeek-V3.2's indexer is not counted.

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
    >>> decode_work("Qwen/Qwen3-Next-80B-A3B-Instruct", context=100).kv_vectors_cache  # 12 of 48 attend
    12
    """
    return _decode_work(load_model(model), check_int("context", context, minimum=1, maximum=10**7))


#: FLOPs per recurrent-state value per token in a linear-attention or Mamba layer (approximate):
#: decay the state, write the new key/input into it, read the output with the query (or C).
#: transformers' recurrences take 5 (Mamba-2, MiniMax's Lightning: decay 1 + write 2 + read 2)
#: to 7 (Gated DeltaNet's ``torch_recurrent_gated_delta_rule`` in models/qwen3_next, which also
#: reads the state with the key; Mamba-1's ``slow_forward`` with its dt·B·x); 6 is used for all.
#: The state term is 1.6 % of a Qwen3-Next step, so the spread moves a step by under 0.3 %.
STATE_FLOPS_PER_VALUE = 6


def _keys_read(la: LayerAttention, n: int) -> int:
    """Keys the query at position ``n`` reads in attention layer ``la``: full n, sliding (window W)
    min(n, W), chunked (chunk C, Llama 4's ``attention_chunk_size``) its chunk so far, ((n - 1) mod C) + 1."""
    if la.kind == "chunked":
        return (n - 1) % la.window + 1
    return la.tokens_cached(n)


def _decode_work(m: ModelSpec, n: int) -> DecodeWork:
    # positions 1..n each reading their keys (the sum of a prefill); FLOPs per query-key pair and layer
    from .speed import _attention_per_position, _causal_positions

    vh = m.vocab_size * m.hidden_size
    head = vh
    # active parameters without the embedding lookup and the output head (tied: one V x h)
    layers = active_param_count(m) - vh - (0 if m.tie_word_embeddings else vh)
    per_pair = _attention_per_position(m)  # 2 H_q (d_qk + d_v): 4 H_q d_head unless MLA
    attention = [la for la in m.layers if la.is_attention]
    reads, reruns = sum(_keys_read(la, n) for la in attention), sum(_causal_positions(la, n) for la in attention)
    # each token's pass through a state layer: the depthwise conv (2 FLOPs per conv value) and the recurrence
    state = sum(2 * la.conv_state + STATE_FLOPS_PER_VALUE * la.recurrent_state for la in m.layers)
    kv_per_token = len(attention)  # one K vector and one V vector per attention layer (all KV heads)
    return DecodeWork(
        context=n,
        kv_vectors_no_cache=kv_per_token * n,
        kv_vectors_cache=kv_per_token,
        flops_no_cache=(2 * layers + state) * n + 2 * head + per_pair * reruns,
        flops_cache=2 * layers + state + 2 * head + per_pair * reads,
        model=m.name,
    )


def decode_work_curve(model: Any, contexts: Iterable[int] = DECODE_CONTEXTS) -> tuple[DecodeWork, ...]:
    """:func:`decode_work` at each of ``contexts`` (what :func:`vramlab.plots.plot_decode_work` draws).

    >>> [w.kv_vectors_no_cache for w in decode_work_curve("Qwen/Qwen3-8B", [1, 2, 4])]
    [36, 72, 144]
    """
    m = load_model(model)
    ns = check_items("contexts", contexts, lambda c: check_int("context", c, minimum=1, maximum=10**7))
    return tuple(_decode_work(m, n) for n in ns)


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

    steps = check_int("steps", steps, minimum=1, maximum=128)  # a toy: larger ones take minutes
    dim = check_int("dim", dim, minimum=1, maximum=128)
    seed = check_int("seed", seed, minimum=0, maximum=2**63)
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


