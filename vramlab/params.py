"""Exact parameter counts by component, as transformers builds each family.

The count equals ``sum(p.numel() for p in model.parameters())`` of the transformers model
built from the same config (the test suite checks this on the meta device). Buffers are
not parameters: DeepSeek-V3's per-layer router bias ``e_score_correction_bias``
(256 values x 58 MoE layers = 14,848) is a buffer in transformers and is not counted.
Multimodal configs (Gemma-3) are counted for the language model only.

Components
----------
embeddings      token embedding matrix (V x h)
attention       Q, K, V, O projection weights (MLA: its down/up projections; gpt-oss sinks)
mlp             dense MLP weights (gate, up, down; Falcon: h->4h->h)
experts         routed MoE expert weights
shared_experts  always-on MoE experts (DeepSeek; Qwen2-MoE's shared expert)
router          MoE gate weights (Qwen2-MoE: also the shared expert's h -> 1 gate)
norms           RMSNorm/LayerNorm weights and LayerNorm biases (incl. q/k norms)
biases          linear-layer biases (Qwen2 QKV bias, gpt-oss)
lm_head         output projection, absent when tied to the embeddings
vision          a multimodal checkpoint's vision encoder and projector (vramlab.families.towers)

>>> from vramlab import load_model
>>> m = load_model("Qwen/Qwen3-8B")
>>> f"{m.param_count():,}"
'8,190,735,360'
>>> m.param_breakdown()["lm_head"] == m.param_breakdown()["embeddings"]
True
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

from . import families
from .families import family_of
from .spec import PARAM_COUNTERS, ModelSpec

__all__ = [
    "param_breakdown", "param_count", "active_param_count", "moe_layer_indices", "params_per_expert",
    "embedding_split", "experts_per_token",
]

COMPONENTS = ("embeddings", "attention", "mlp", "experts", "shared_experts", "router", "norms", "biases", "lm_head",
              "vision")


def _c(m: ModelSpec, key: str, default: Any = None) -> Any:
    v = m.config.get(key)
    return default if v is None else v


def moe_layer_indices(m: ModelSpec) -> list[int]:
    """Indices of the layers whose MLP is a mixture of experts.

    >>> from vramlab import load_model
    >>> idx = moe_layer_indices(load_model("deepseek-ai/DeepSeek-V3"))
    >>> idx[0], len(idx)
    (3, 58)
    """
    if not m.is_moe:
        return []
    rule, n = family_of(m).moe_layers, m.num_layers
    if rule == "sparse_step":
        only = set(_c(m, "mlp_only_layers", []))
        step = int(_c(m, "decoder_sparse_step", 1))
        return [i for i in range(n) if i not in only and (i + 1) % step == 0]
    if rule == "blocks":  # Nemotron-H: the MoE blocks
        from .layers import block_types

        return [i for i, t in enumerate(block_types(m.config, m.model_type)) if t == "moe"]
    if rule == "range":  # ERNIE-4.5
        start, end = int(_c(m, "moe_layer_start_index", 0)), int(_c(m, "moe_layer_end_index", n - 1))
        every = int(_c(m, "moe_layer_interval", 1))
        end = n - 1 if end < 0 else end
        return [i for i in range(n) if (i + 1) % every == 0 and start <= i <= end]
    if rule == "interleave":  # Llama-4
        listed = _c(m, "moe_layers")
        if listed is not None:
            return sorted(i for i in set(listed) if i < n)
        step = int(_c(m, "interleave_moe_layer_step", 1))
        return list(range(step - 1, n, step))
    if rule == "period":  # Jamba
        per, off = int(_c(m, "expert_layer_period", 2)), int(_c(m, "expert_layer_offset", 1))
        return [i for i in range(n) if i % per == off]
    if rule == "first_k_dense":
        k = int(_c(m, "first_k_dense_replace", 0))
        freq = int(_c(m, "moe_layer_freq", 1))
        return [i for i in range(n) if i >= k and i % freq == 0]
    return list(range(n))


def params_per_expert(m: ModelSpec) -> tuple[int, int]:
    """(weights, biases) of one routed expert.

    >>> from vramlab import load_model
    >>> params_per_expert(load_model("Qwen/Qwen3-30B-A3B"))
    (4718592, 0)
    """
    h, width, fam = m.hidden_size, families.expert_width(m), family_of(m)
    if fam.expert_biases:
        return 3 * h * width, 2 * width + h
    if fam.blocks:  # Nemotron-H: up and down only, reading the latent when moe_latent_size is set
        return 2 * int(_c(m, "moe_latent_size", h)) * width, 0
    return 3 * h * width, 0


def _linear_attention(m: ModelSpec, c: Counter) -> None:
    """Gated DeltaNet layers (Qwen3-Next): in_proj_qkvz, in_proj_ba, a depthwise conv over q, k, v,
    per-head dt_bias and A_log, a gated RMSNorm of d_v and out_proj."""
    n = sum(la.kind == "linear" for la in m.layers)
    if not n:
        return
    h = m.hidden_size
    if "lightning" in family_of(m).layer_kinds.values():  # MiniMax: qkv_proj, output_gate, out_proj, a norm
        inner = m.num_q_heads * m.head_dim
        c["attention"] += n * 5 * h * inner
        c["norms"] += n * inner
        return
    nk, nv = int(_c(m, "linear_num_key_heads")), int(_c(m, "linear_num_value_heads"))
    dk, dv, kernel = int(_c(m, "linear_key_head_dim")), int(_c(m, "linear_value_head_dim")), int(
        _c(m, "linear_conv_kernel_dim"))
    key, value = nk * dk, nv * dv
    c["attention"] += n * (h * (2 * key + 2 * value) + h * 2 * nv + (2 * key + value) * kernel + value * h + 2 * nv)
    c["norms"] += n * dv


def _mamba(m: ModelSpec, c: Counter) -> None:
    """Mamba-1 mixers (Jamba): in_proj h->2I, depthwise conv, x_proj I->R+2N, dt_proj R->I (+bias),
    A_log I x N, D, out_proj I->h, and Jamba's RMSNorms over dt (R), B and C (N)."""
    n = sum(la.kind == "mamba" for la in m.layers)
    if not n:
        return
    from .layers import mamba_dims

    h, d = m.hidden_size, mamba_dims(m.config, m.hidden_size)
    inner, state, kernel, rank = d["inner"], d["state"], d["kernel"], d["rank"]
    c["attention"] += n * (h * 2 * inner + inner * kernel + inner * (rank + 2 * state) + rank * inner
                           + inner * state + inner + inner * h)
    c["biases"] += n * (inner * (1 + bool(_c(m, "mamba_conv_bias", True)))
                        + (2 * inner + h) * bool(_c(m, "mamba_proj_bias", False)))
    c["norms"] += n * (rank + 2 * state)


def _mamba2(m: ModelSpec, c: Counter) -> None:
    """Mamba-2 mixers beside the attention (Falcon-H1): in_proj h -> I + conv + heads, depthwise conv,
    dt_bias, A_log and D per head, an optional gated RMSNorm of I, out_proj I -> h."""
    if not family_of(m).parallel_ssm:
        return
    from .layers import mamba2_dims

    h, n, d = m.hidden_size, m.num_layers, mamba2_dims(m.config, m.hidden_size)
    proj = d["inner"] + d["conv"] + d["heads"]
    c["attention"] += n * (h * proj + d["conv"] * d["kernel"] + 3 * d["heads"] + d["inner"] * h)
    c["biases"] += n * (proj * bool(_c(m, "mamba_proj_bias", False)) + d["conv"] * bool(_c(m, "mamba_conv_bias", True))
                        + h * bool(_c(m, "projectors_bias", False)))
    c["norms"] += n * d["inner"] * bool(_c(m, "mamba_rms_norm", False))


def _attention(m: ModelSpec, c: Counter) -> None:
    h, nq, nkv, hd = m.hidden_size, m.num_q_heads, m.num_kv_heads, m.head_dim
    L = m.num_attention_layers
    fam = family_of(m)
    _linear_attention(m, c)
    _mamba(m, c)
    _mamba2(m, c)
    if m.attention_kind == "MLA":
        rope = int(m.qk_rope_head_dim)
        nope = int(_c(m, "qk_nope_head_dim", 128))
        vdim = int(_c(m, "v_head_dim", 128))
        r_kv = int(m.kv_lora_rank)
        r_q = _c(m, "q_lora_rank")
        qk = nope + rope
        if r_q is None:
            q = h * nq * qk
            qnorm = 0
        else:
            q = h * int(r_q) + int(r_q) * nq * qk
            qnorm = int(r_q)
        attn = q + h * (r_kv + rope) + r_kv * nq * (nope + vdim) + nq * vdim * h
        c["attention"] += L * attn
        indexed = sum(la.index_keys > 0 for la in m.layers)
        if indexed:  # DeepSeek-V3.2's DSA indexer: wq_b, wk, a LayerNorm of the key, weights_proj
            if r_q is None:
                from .errors import VramlabError

                raise VramlabError("config has indexed_attention layers but 'q_lora_rank' is null; the DSA "
                                   "indexer reads the compressed query (valid: an integer >= 1)", field="q_lora_rank")
            n_i, d_i = int(_c(m, "index_n_heads")), int(_c(m, "index_head_dim"))
            c["attention"] += indexed * (int(r_q) * n_i * d_i + h * d_i + h * n_i)
            c["norms"] += indexed * 2 * d_i
        c["norms"] += L * (qnorm + r_kv)
        if _c(m, "attention_bias", False):
            c["biases"] += L * ((int(r_q) if r_q is not None else 0) + r_kv + rope + h)
        return
    if fam.layout == "falcon":
        c["attention"] += L * (h * (nq + 2 * nkv) * hd + h * h)
        if _c(m, "bias", False):
            c["biases"] += L * ((nq + 2 * nkv) * hd + h)
        return
    c["attention"] += L * ((2 + fam.attn_gate) * h * nq * hd + 2 * h * nkv * hd)  # q (and its gate), k, v, o
    if families.has_qkv_bias(m):
        c["biases"] += L * (nq * hd + 2 * nkv * hd)
    if families.flag(m, fam.o_bias):
        c["biases"] += L * h
    if families.has_qk_norm(m):
        per = 2 * hd if fam.qk_norm_kind == "head" else (nq + nkv) * hd
        c["norms"] += L * per * _norm_size(m)
    if fam.attention_sinks:
        c["attention"] += L * nq  # attention sinks, one logit per head


def _mlp(m: ModelSpec, c: Counter) -> None:
    h, L, fam = m.hidden_size, m.num_layers, family_of(m)
    if fam.layout == "falcon":
        ffn = m.intermediate_size
        c["mlp"] += L * 2 * h * ffn
        if _c(m, "bias", False):
            c["biases"] += L * (ffn + h)
        return
    moe = set(moe_layer_indices(m))
    dense_layers = L - len(moe)
    mats = 3 if fam.mlp == "gated" else 2  # gate, up, down / up, down
    c["mlp"] += dense_layers * mats * h * m.intermediate_size
    if families.flag(m, fam.mlp_bias):
        c["biases"] += dense_layers * ((mats - 1) * m.intermediate_size + h)
    if not moe:
        return
    E = m.num_experts
    w, b = params_per_expert(m)
    c["experts"] += len(moe) * E * w
    c["biases"] += len(moe) * E * b
    c["router"] += len(moe) * h * E
    if fam.expert_biases:
        c["biases"] += len(moe) * E  # router bias
    shared = families.shared_expert_width(m)
    c["shared_experts"] += len(moe) * 3 * h * shared
    if fam.shared_bias and shared and families.flag(m, fam.mlp_bias):
        c["biases"] += len(moe) * (2 * shared + h)
    if fam.router_bias_param:
        c["router"] += len(moe) * E  # e_score_correction_bias, a parameter here
    if fam.shared_expert == "gated":
        c["router"] += len(moe) * h  # shared_expert_gate: h -> 1


def _norm_size(m: ModelSpec) -> int:
    """Values per unit of one norm: 0 without weights (OLMo, OPT without affine), 1 or 2 (bias)."""
    fam = family_of(m)
    return fam.norm_size if families.flag(m, fam.norm_affine) else 0


def _norms(m: ModelSpec, c: Counter) -> None:
    h, L, fam = m.hidden_size, m.num_layers, family_of(m)
    per = families.norms_per_layer(m)
    if fam.layout == "falcon":  # LayerNorm: weight and bias
        c["norms"] += L * per * 2 * h + 2 * h
        return
    final = families.flag(m, fam.final_norm) and not _c(m, "_remove_final_layer_norm", False)
    c["norms"] += (L * per + final + fam.embed_norm) * h * _norm_size(m)


def _embeddings(m: ModelSpec, c: Counter) -> None:
    """Token (and learned position) embeddings, the output head and OPT's projections."""
    h, V, fam = m.hidden_size, m.vocab_size, family_of(m)
    e = int(_c(m, fam.embed_proj, h)) if fam.embed_proj else h
    c["embeddings"] = V * e
    if fam.positions:
        rows = _c(m, fam.positions)
        if rows is None:  # learned positions: their number is a size, never guessed
            from .errors import VramlabError

            raise VramlabError(f"config of {m.name!r} has no {fam.positions!r}, the number of learned position "
                               "embeddings (an integer >= 1)", field=fam.positions)
        c["embeddings"] += (int(rows) + fam.position_offset) * h
    if e != h:
        c["embeddings"] += 2 * e * h  # project_in and project_out
    if not m.tie_word_embeddings:
        c["lm_head"] = V * e
    if families.flag(m, fam.lm_head_bias):
        c["biases"] += V


def _blocks(m: ModelSpec, c: Counter) -> None:
    """Nemotron-H: per block one RMSNorm and one mixer (Mamba-2, attention, ReLU² MLP or MoE)."""
    from .layers import block_types, nemotron_mamba2_dims

    h, n = m.hidden_size, Counter(block_types(m.config, m.model_type))
    bias = {k: bool(_c(m, k, False)) for k in ("use_bias", "use_conv_bias", "mlp_bias")}
    c["norms"] += (m.num_layers + 1) * h
    c["attention"] += n["full_attention"] * (2 * h * m.num_q_heads * m.head_dim + 2 * h * m.num_kv_heads * m.head_dim)
    d = nemotron_mamba2_dims(m.config)
    proj = d["inner"] + d["conv"] + d["heads"]
    c["attention"] += n["linear_attention"] * (h * proj + d["conv"] * d["kernel"] + 3 * d["heads"] + d["inner"] * h)
    c["norms"] += n["linear_attention"] * d["inner"]  # the gated RMSNorm
    c["biases"] += n["linear_attention"] * (d["conv"] * bias["use_conv_bias"] + (proj + h) * bias["use_bias"])
    inter, shared = m.intermediate_size, families.shared_expert_width(m)
    c["mlp"] += n["mlp"] * 2 * h * inter
    c["biases"] += (n["mlp"] * (inter + h) + n["moe"] * (shared + h)) * bias["mlp_bias"]
    w, _ = params_per_expert(m)
    c["experts"] += n["moe"] * m.num_experts * w
    c["router"] += n["moe"] * m.num_experts * h
    c["shared_experts"] += n["moe"] * 2 * h * shared
    latent = _c(m, "moe_latent_size")
    if latent:  # fc1/fc2 latent projections around the experts
        c["mlp"] += n["moe"] * 2 * h * int(latent)
        c["biases"] += n["moe"] * (int(latent) + h) * bias["mlp_bias"]


def _standard(m: ModelSpec, c: Counter) -> None:
    """Every standard step: embeddings, attention, MLP, norms."""
    for step in (_embeddings, _attention, _mlp, _norms):
        step(m, c)


#: The standard counting steps, handed to a family's ``param_rule`` for the parts that are standard
#: (``std.standard`` runs all four).
STANDARD_STEPS = SimpleNamespace(embeddings=_embeddings, attention=_attention, mlp=_mlp, norms=_norms,
                                 standard=_standard)


def param_breakdown(m: ModelSpec) -> dict[str, int]:
    """Parameters by component (zero components left out); values sum to the total.

    >>> from vramlab import load_model
    >>> b = param_breakdown(load_model("tiiuae/falcon-7b"))
    >>> "lm_head" in b   # Falcon ties its output head to the embeddings
    False
    """
    if type(m).__name__ != "ModelSpec":  # a preset id or a dict: params never loads models
        from .errors import VramlabError, show

        raise VramlabError(f"m must be a ModelSpec (vl.load_model(...)), got {show(m)}", field="m")
    c: Counter = Counter()
    c["vision"] = m.tower_params
    rule = family_of(m).param_rule
    if rule is not None:  # a family whose blocks the table's fields do not describe
        rule(m, c, STANDARD_STEPS)
        return {k: int(c[k]) for k in COMPONENTS if c[k]}
    _embeddings(m, c)
    if family_of(m).blocks:
        _blocks(m, c)
    else:
        _attention(m, c)
        _mlp(m, c)
        _norms(m, c)
    return {k: int(c[k]) for k in COMPONENTS if c[k]}


def param_count(m: ModelSpec, towers: bool = True) -> int:
    """Total parameters; ``towers=False`` leaves out a multimodal checkpoint's vision tower.

    >>> from vramlab import load_model
    >>> f"{param_count(load_model('Qwen/QwQ-32B')):,}"
    '32,763,876,352'
    """
    b = param_breakdown(m)
    return sum(b.values()) - (0 if towers else b.get("vision", 0))


def experts_per_token(m: ModelSpec) -> int:
    """Routed experts each token runs (0 for a dense model).

    Refused, naming ``num_experts_per_tok``, for a MoE config that leaves it unset: its
    parameter count needs none, but the active parameters and activations do.

    >>> from vramlab import load_model
    >>> experts_per_token(load_model("Qwen/Qwen3-30B-A3B"))
    8
    """
    if m.is_moe and not m.num_experts_per_tok:
        from .errors import VramlabError

        raise VramlabError(f"config of {m.name!r} has no 'num_experts_per_tok' (absent or null), the routed experts "
                           f"each token runs: its parameters are counted, but what one token uses is unknown (valid: "
                           f"an integer between 1 and the number of experts, {m.num_experts})",
                           field="num_experts_per_tok")
    return m.num_experts_per_tok


def active_param_count(m: ModelSpec) -> int:
    """Parameters that take part in one token's forward pass.

    For MoE models this is the total minus the routed experts not chosen
    (``num_experts - num_experts_per_tok`` per MoE layer); embeddings and lm_head count.

    >>> from vramlab import load_model
    >>> f"{active_param_count(load_model('Qwen/Qwen3-30B-A3B')):,}"
    '3,353,032,704'
    """
    from .errors import VramlabError

    breakdown = param_breakdown(m)
    total, experts = sum(breakdown.values()), breakdown.get("experts", 0)
    why = family_of(m).active_refusal
    if not why and not m.is_moe and experts:
        why = "its experts are counted, but which of them one token uses is not modelled"
    if not m.is_moe and not why:
        return total
    w, b = params_per_expert(m) if m.is_moe else (0, 0)
    layers = moe_layer_indices(m)
    if not why and len(layers) * m.num_experts * w != experts:
        why = "its experts are not the routed experts of one width per MoE layer that the active count subtracts"
    if why:
        raise VramlabError(f"{m.name} ({m.model_type}): active parameters are not modelled: {why}; the total "
                           f"({total:,}) counts every expert", field="model")
    idle = m.num_experts - experts_per_token(m)
    return total - len(layers) * idle * (w + b)


def embedding_split(m: ModelSpec) -> dict[str, int]:
    """Parameters in the embeddings, the output head and everything else.

    ``non_embedding`` is what model cards call "non-embedding parameters": the decoder
    layers and the final norm (a multimodal checkpoint's vision tower is its own ``vision`` entry).

    >>> from vramlab import load_model
    >>> s = embedding_split(load_model("Qwen/Qwen3-8B"))
    >>> f"{s['non_embedding']:,}"
    '6,946,075,648'
    >>> s["lm_head"] == s["embeddings"]        # untied: a second V x h matrix
    True
    """
    b = param_breakdown(m)
    emb, head, vision = b["embeddings"], b.get("lm_head", 0), b.get("vision", 0)
    total = sum(b.values())
    out = {"embeddings": emb, "lm_head": head, "non_embedding": total - emb - head - vision, "total": total}
    return {**out, "vision": vision} if vision else out


# ModelSpec.param_count() and friends call these (spec sits below params and never imports it).
PARAM_COUNTERS.update(param_count=param_count, param_breakdown=param_breakdown, active_param_count=active_param_count)
