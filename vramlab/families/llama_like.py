"""Family table: Llama-like dense decoders with small differences in norms, biases, widths or attention.

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device and
``tests/test_families_llama_like.py`` checks other configs and the caches (K/V tensors after a forward pass).

>>> import vramlab as vl
>>> vl.families.get_family("granite_swa").attention_sinks, vl.families.get_family("minicpm3").layout
(True, 'mla')
"""

from __future__ import annotations

from typing import Any

from ..errors import VramlabError, show
from ..fields import check_field
from .family import Family

_fam = Family


# -- config helpers (prepare runs before the fields are validated) --------------------------------
def _int(cfg: dict, key: str) -> int | None:
    """A field of :data:`vramlab.fields.FIELDS`, validated (None when absent or null)."""
    return None if cfg.get(key) is None else check_field(key, cfg[key])


def _every_nth_full(cfg: dict, every: int) -> None:
    """``layer_types`` as the config class derives it when absent: full where i % every == 0, else sliding."""
    n = _int(cfg, "num_hidden_layers")
    if cfg.get("layer_types") is None and n is not None:
        cfg["layer_types"] = ["full_attention" if i % every == 0 else "sliding_attention" for i in range(n)]


def _drop(cfg: dict, *keys: str) -> None:
    """Fields the modelling code ignores (it recomputes them), so that a stale value is not read."""
    for key in keys:
        cfg.pop(key, None)


# -- prepare hooks (read each family's own field names into the standard ones) --------------------
def _prepare_cwm(cfg: dict) -> None:
    """transformers 5.24 configuration_cwm.py and configuration_granite_swa.py: without layer_types, every
    4th layer (i % 4 == 0) is full attention, the others sliding."""
    _every_nth_full(cfg, 4)


def _prepare_diffllama(cfg: dict) -> None:
    """transformers 5.24 modeling_diffllama.py refuses an odd number of KV heads (the V split)."""
    n_kv = _int(cfg, "num_key_value_heads") or _int(cfg, "num_attention_heads")
    if n_kv is not None and n_kv % 2:
        raise VramlabError(f"diffllama needs an even num_key_value_heads (differential attention splits the "
                           f"values along KV heads), got {n_kv}", field="num_key_value_heads")


def _prepare_helium(cfg: dict) -> None:
    """transformers 5.24 modeling_helium.py: o_proj is hidden x hidden, so heads x head_dim must equal hidden."""
    h, n_q, hd = _int(cfg, "hidden_size"), _int(cfg, "num_attention_heads"), _int(cfg, "head_dim")
    if h is not None and n_q is not None and hd is not None and n_q * hd != h:
        raise VramlabError(f"helium's o_proj is hidden_size x hidden_size: num_attention_heads x head_dim ({n_q} x "
                           f"{hd}) must equal hidden_size ({h})", field="head_dim")


def _prepare_internlm3(cfg: dict) -> None:
    """transformers 5.24 configuration_internlm3.py: attribute_map qkv_bias -> attention_bias, bias -> mlp_bias;
    the config refuses the two differing (the Llama blocks share one bias setting)."""
    for theirs, ours in (("qkv_bias", "attention_bias"), ("bias", "mlp_bias")):
        if cfg.get(theirs) is not None:
            cfg[ours] = cfg.pop(theirs)
    qkv, mlp = (bool(check_field(k, cfg[k])) if cfg.get(k) is not None else False for k in ("attention_bias", "mlp_bias"))
    if qkv != mlp:
        raise VramlabError("internlm3 needs qkv_bias (attention_bias) equal to bias (mlp_bias): transformers builds "
                           f"its Llama blocks with one bias setting; got {qkv} and {mlp}", field="attention_bias")


def _prepare_iquestcoder(cfg: dict) -> None:
    """transformers 5.24 configuration_iquestcoder.py refuses clip_qkv and use_sliding_window."""
    if cfg.get("clip_qkv") is not None:
        raise VramlabError("iquestcoder does not support 'clip_qkv' (transformers refuses it)", field="clip_qkv")
    if cfg.get("use_sliding_window"):
        raise VramlabError("iquestcoder does not support 'use_sliding_window' (transformers refuses it)",
                           field="use_sliding_window")


def _prepare_mellum(cfg: dict) -> None:
    """transformers 5.24 modeling_mellum.py: a layer is MoE where ``mlp_layer_types`` says "sparse", dense
    otherwise (all sparse when absent); read here as the dense-only layers of the sparse-step rule."""
    types, n = cfg.get("mlp_layer_types"), _int(cfg, "num_hidden_layers")
    if types is None:
        return
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise VramlabError(f"config field 'mlp_layer_types' must be a list of strings ('sparse' or 'dense'), "
                           f"got {show(types)}", field="mlp_layer_types")
    if n is not None and len(types) != n:
        raise VramlabError(f"config field 'mlp_layer_types' must list {n} layers (num_hidden_layers), got "
                           f"{len(types)}", field="mlp_layer_types")
    cfg["mlp_only_layers"] = [i for i, t in enumerate(types) if t != "sparse"]
    cfg["decoder_sparse_step"] = 1


def _prepare_mla(cfg: dict) -> None:
    """MiniCPM3, Youtu: the config class overwrites head_dim with qk_rope_head_dim (RoPE only), which is no
    attention width; vramlab's MLA head_dim is qk_nope_head_dim + qk_rope_head_dim."""
    _drop(cfg, "head_dim")


def _prepare_minicpm3(cfg: dict) -> None:
    """transformers 5.24 configuration_minicpm3.py: v_head_dim null is hidden_size / num_attention_heads."""
    _prepare_mla(cfg)
    h, n_q = _int(cfg, "hidden_size"), _int(cfg, "num_attention_heads")
    if cfg.get("v_head_dim") is None and h is not None and n_q is not None:
        cfg["v_head_dim"] = h // n_q


def _prepare_stablelm(cfg: dict) -> None:
    """transformers 5.24 modeling_stablelm.py: head_dim is always hidden_size // num_attention_heads."""
    _drop(cfg, "head_dim")


def _prepare_modernbert_decoder(cfg: dict) -> None:
    """transformers 5.24 configuration_modernbert_decoder.py: MHA (no KV-head field), head_dim = hidden / heads;
    full attention where i % global_attn_every_n_layers (3) == 0; sliding_window, when the file gives none, is
    local_attention // 2 (-1 without local_attention, which vramlab refuses)."""
    _drop(cfg, "head_dim", "num_key_value_heads")
    _every_nth_full(cfg, _int(cfg, "global_attn_every_n_layers") or 3)
    if "sliding_window" in cfg:  # the file's value wins over local_attention // 2 (as a keyword of the class)
        if cfg["sliding_window"] is None:
            raise VramlabError("config field 'sliding_window' is null: transformers then gives the sliding layers "
                               "no window; valid: an integer >= 1, or no field (local_attention // 2)",
                               field="sliding_window")
        return
    if cfg.get("local_attention") is None:
        raise VramlabError("config has neither 'sliding_window' nor 'local_attention' (transformers then sets the "
                           "window to -1); valid: an integer >= 2, the window is local_attention // 2",
                           field="local_attention")
    cfg["sliding_window"] = _int(cfg, "local_attention") // 2


def _prepare_mllama(cfg: dict) -> None:
    """transformers 5.24 modeling_mllama.py: head_dim is always hidden_size // num_attention_heads, lm_head is
    never tied; configuration_mllama.py: cross_attention_layers null is [3, 8, 13, 18, 23, 28, 33, 38]."""
    _drop(cfg, "head_dim")
    cfg["tie_word_embeddings"] = False  # MllamaForCausalLM has no _tied_weights_keys: lm_head is its own
    if cfg.get("cross_attention_layers") is None:
        cfg["cross_attention_layers"] = [3, 8, 13, 18, 23, 28, 33, 38]
    layers = cfg["cross_attention_layers"]
    if not isinstance(layers, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in layers):
        raise VramlabError(f"config field 'cross_attention_layers' must be a list of layer indices, got "
                           f"{show(layers)}", field="cross_attention_layers")


# -- parameter rules: the standard steps, then what these blocks add -----------------------------
def _bitnet_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_bitnet.py: attn_sub_norm (hidden, one of the 3 norms per layer) and
    ffn_sub_norm over the MLP width before down_proj."""
    std.standard(m, c)
    c["norms"] += m.num_layers * m.intermediate_size


def _diffllama_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_diffllama.py: lambda_q1, lambda_k1, lambda_q2, lambda_k2 (head_dim each) per
    layer; the groupnorm has no weights."""
    std.standard(m, c)
    c["attention"] += m.num_layers * 4 * m.head_dim


def _hyperclovax_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_hyperclovax.py: with use_post_norm, RMSNorms after attention and after the MLP."""
    std.standard(m, c)
    if m.config.get("use_post_norm", True):
        c["norms"] += m.num_layers * 2 * m.hidden_size


def _stablelm_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_stablelm.py: LayerNorms with bias (one per layer with use_parallel_residual);
    qk_layernorm is one bias-free LayerNorm of head_dim per query and per KV head."""
    std.standard(m, c)
    if m.config.get("use_parallel_residual"):
        c["norms"] -= m.num_layers * 2 * m.hidden_size
    if m.config.get("qk_layernorm"):
        c["norms"] += m.num_layers * (m.num_q_heads + m.num_kv_heads) * m.head_dim


def _modernbert_decoder_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_modernbert_decoder.py: a LayerNorm after the embeddings, none before layer 0's
    attention (2 L + 1 norms in all, with bias when norm_bias); the head is dense h x h (classifier_bias), a
    LayerNorm, then the decoder (tied to the embeddings, bias decoder_bias)."""
    std.standard(m, c)
    h, cfg = m.hidden_size, m.config
    nb = bool(cfg.get("norm_bias"))
    c["norms"] += (2 * m.num_layers + 1) * h * nb + h * (1 + nb)
    c["lm_head"] += h * h
    c["biases"] += h * bool(cfg.get("classifier_bias"))


def _mllama_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_mllama.py: embed_tokens has vocab_size + 8 rows; each cross-attention layer has
    the same q/k/v/o as a self-attention layer plus q_norm, k_norm (head_dim each) and two tanh gates."""
    std.standard(m, c)
    c["embeddings"] += 8 * m.hidden_size
    cross = len({i for i in m.config["cross_attention_layers"] if 0 <= i < m.num_layers})
    c["attention"] += cross * 2
    c["norms"] += cross * 2 * m.head_dim


# -- the table ------------------------------------------------------------------------------------
_UNTIED = {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False}
_NO_BIAS = dict(qkv_bias="never", o_bias="never", mlp_bias="never")

FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("bitnet", norms_per_layer=3, mlp_bias="never", param_rule=_bitnet_params, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 2048}),
    _fam("cwm", qkv_bias="never", o_bias="never", symbolic=True, prepare=_prepare_cwm, defaults={
        **_UNTIED, "head_dim": 128, "sliding_window": 8192, "max_position_embeddings": 131072}),
    _fam("diffllama", mlp_bias="never", prepare=_prepare_diffllama, param_rule=_diffllama_params, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 2048}),
    _fam("emu3_text_model", symbolic=True, defaults={**_UNTIED, "max_position_embeddings": 9216}),
    _fam("exaone", symbolic=True, defaults={**_UNTIED, "max_position_embeddings": 4096}),
    _fam("granite_swa", attention_sinks=True, prepare=_prepare_cwm, defaults={
        **_UNTIED, "tie_word_embeddings": True, "sliding_window": 128, "max_position_embeddings": 8192}),
    _fam("helium", o_bias="never", symbolic=True, prepare=_prepare_helium, defaults={
        **_UNTIED, "head_dim": 128, "max_position_embeddings": 4096}),
    _fam("hyperclovax", param_rule=_hyperclovax_params, defaults={
        **_UNTIED, "use_post_norm": True, "max_position_embeddings": 2048}),
    _fam("internlm3", symbolic=True, prepare=_prepare_internlm3, defaults={
        **_UNTIED, "head_dim": 128, "max_position_embeddings": 32768}),
    _fam("iquestcoder", symbolic=True, prepare=_prepare_iquestcoder, defaults={
        **_UNTIED, "head_dim": 128, "max_position_embeddings": 131072}),
    _fam("mellum", qk_norm=True, mlp_bias="never", moe=True, experts_keys=("num_local_experts", "num_experts"),
         moe_layers="sparse_step", prepare=_prepare_mellum, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "head_dim": 128, "sliding_window": 1024,
             "max_position_embeddings": 131072, "num_local_experts": 64, "num_experts_per_tok": 8,
             "moe_intermediate_size": 896, "decoder_sparse_step": 1, "mlp_only_layers": []}),
    _fam("minicpm3", layout="mla", prepare=_prepare_minicpm3, defaults={
        **_UNTIED, "tie_word_embeddings": True, "kv_lora_rank": 256, "q_lora_rank": 768, "qk_nope_head_dim": 64,
        "qk_rope_head_dim": 32, "max_position_embeddings": 32768}),
    _fam("stablelm", qkv_bias="use_qkv_bias", o_bias="never", mlp_bias="never", norm_size=2,
         prepare=_prepare_stablelm, param_rule=_stablelm_params, defaults={
             "tie_word_embeddings": False, "use_qkv_bias": False, "qk_layernorm": False,
             "use_parallel_residual": False, "max_position_embeddings": 4096}),
    _fam("youtu", layout="mla", mlp_bias="never", prepare=_prepare_mla, defaults={
        "tie_word_embeddings": True, "attention_bias": False, "kv_lora_rank": 512, "q_lora_rank": 1536,
        "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128, "max_position_embeddings": 131072}),
    _fam("modernbert-decoder", lm_head_bias="decoder_bias", prepare=_prepare_modernbert_decoder,
         param_rule=_modernbert_decoder_params, defaults={
             **_UNTIED, "tie_word_embeddings": True, "norm_bias": False, "decoder_bias": True,
             "classifier_bias": False, "local_attention": 128, "max_position_embeddings": 8192}),
    _fam("mllama_text_model", **_NO_BIAS, prepare=_prepare_mllama, param_rule=_mllama_params, defaults={
        "tie_word_embeddings": False, "max_position_embeddings": 131072},
         cache_refusal="its cross-attention layers cache the vision encoder's keys and values (per image tile, "
                       "not per text token), which vramlab does not model"),
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {"emu3": "emu3_text_model", "emu3_text": "emu3_text_model",
                           "mllama": "mllama_text_model", "mllama_text": "mllama_text_model"}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
