"""Family table: Classic GPT-style decoders (learned positions, fused or biased projections, plain MLPs).

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device and
``tests/test_families_classic.py`` checks other configs and the KV cache after a forward pass.

These families name their fields their own way (GPT-2's ``n_embd``, MPT's ``d_model``, CTRL's ``dff``):
each ``prepare`` reads them into the standard fields, and where transformers ignores a field (a fixed
multi-head attention, a fixed MLP width) it sets the standard field to what transformers builds.

>>> import vramlab as vl
>>> m = vl.load_model({"model_type": "gpt_bigcode", "n_embd": 6144, "n_layer": 40, "n_head": 48,
...                    "vocab_size": 49152, "n_positions": 8192})
>>> m.attention_kind, m.num_kv_heads, m.head_dim
('MQA', 1, 128)
"""

from __future__ import annotations

from typing import Any

from ..errors import VramlabError, show
from ..fields import check_field
from .family import Family, config_bool, config_int

_bool = config_bool

_fam = Family


# -- reading a family's own field names --------------------------------------------------------
def _int(cfg: dict, key: str, default: int | None = None, minimum: int = 1, maximum: int = 10**9) -> int:
    """A family-specific integer field (not in :data:`vramlab.fields.FIELDS`), validated."""
    return config_int(cfg, key, default, minimum, maximum)


def _rename(cfg: dict, **names: str) -> None:
    """Copy the family's field (value) into the standard field (key) when the standard one is absent."""
    for std, own in names.items():
        if cfg.get(std) is None and cfg.get(own) is not None:
            cfg[std] = cfg[own]


def _mha(cfg: dict) -> None:
    """transformers builds H heads of hidden/H each whatever the config says: no GQA, no head_dim."""
    cfg["num_key_value_heads"] = None
    cfg["head_dim"] = None


def _hidden(cfg: dict) -> int:
    if cfg.get("hidden_size") is None:
        raise VramlabError(f"config of model_type {cfg.get('model_type')!r} is missing 'hidden_size' "
                           "(an integer >= 1)", field="hidden_size")
    return check_field("hidden_size", cfg["hidden_size"])


def _need_positions(cfg: dict, key: str) -> None:
    """Learned position embeddings: their number is a size of the model, never null."""
    if cfg.get(key) is None:
        raise VramlabError(f"config field {key!r} is null, but this model_type learns one embedding per "
                           "position (an integer >= 1)", field=key)


def _no_cross_attention(cfg: dict) -> None:
    if _bool(cfg, "add_cross_attention", False):
        raise VramlabError("config field 'add_cross_attention' is true: the decoder of an encoder-decoder "
                           "model; vramlab sizes decoder-only LLMs (valid: false)", field="add_cross_attention")


def _gpt2_names(cfg: dict) -> None:
    _rename(cfg, hidden_size="n_embd", num_hidden_layers="n_layer", num_attention_heads="n_head",
            intermediate_size="n_inner")
    _rename(cfg, n_positions="max_position_embeddings", max_position_embeddings="n_positions")


def _prepare_bigcode(cfg: dict) -> None:
    """transformers 5.24 modeling_gpt_bigcode.py: multi_query gives one K/V head (c_attn h -> h + 2 d)."""
    _gpt2_names(cfg)
    _no_cross_attention(cfg)
    _need_positions(cfg, "n_positions")
    cfg["num_key_value_heads"] = None if _bool(cfg, "multi_query", True) is False else 1
    cfg["head_dim"] = None


_NEO_KINDS = ("global", "local")


def _prepare_neo(cfg: dict) -> None:
    """transformers 5.24 configuration_gpt_neo.py: ``attention_layers`` (else ``attention_types`` expanded)
    lists one global/local kind per layer; modeling_gpt_neo.py's local layers only mask: DynamicCache
    keeps every position of them (no layer_types, no sliding_window), so every layer caches K/V fully."""
    _rename(cfg, num_hidden_layers="num_layers", num_attention_heads="num_heads")
    _need_positions(cfg, "max_position_embeddings")
    _mha(cfg)
    kinds = cfg.get("attention_layers")
    if kinds is None:
        types = cfg.get("attention_types")
        types = [[list(_NEO_KINDS), 12]] if types is None else types
        try:
            kinds = [k for item in types for _ in range(_int({"n": item[1]}, "n", maximum=10_000)) for k in item[0]]
        except (TypeError, IndexError, KeyError, VramlabError):
            raise VramlabError(f"config field 'attention_types' must be a list of [kinds, repeats] pairs "
                               f"such as [[['global', 'local'], 12]], got {show(types)}",
                               field="attention_types") from None
    if not isinstance(kinds, (list, tuple)) or not all(k in _NEO_KINDS for k in kinds):
        raise VramlabError(f"config field 'attention_layers' must list 'global' or 'local' per layer, got "
                           f"{show(kinds)}", field="attention_layers")
    layers = cfg.get("num_hidden_layers")
    if layers is not None and len(kinds) != check_field("num_hidden_layers", layers):
        raise VramlabError(f"config lists {len(kinds)} attention layers (attention_layers / attention_types) "
                           f"for num_layers {layers}; transformers requires as many", field="attention_layers")


def _prepare_codegen(cfg: dict) -> None:
    """transformers 5.24 modeling_codegen.py: fused qkv_proj and out_proj without bias, one LayerNorm."""
    _gpt2_names(cfg)
    _mha(cfg)


def _prepare_mpt(cfg: dict) -> None:
    """transformers 5.24 modeling_mpt.py: Wqkv h -> 3h and out_proj without bias (multi-head, ALiBi), an
    MLP 4 x d_model wide, LayerNorms without bias. transformers reads none of expansion_ratio, no_bias,
    attn_config.attn_type / kv_n_heads / qk_ln: a checkpoint built otherwise does not load there."""
    _rename(cfg, hidden_size="d_model", num_hidden_layers="n_layers", num_attention_heads="n_heads",
            max_position_embeddings="max_seq_len")
    _mha(cfg)
    if _int(cfg, "expansion_ratio", 4) != 4:
        raise VramlabError(f"config field 'expansion_ratio' is {cfg['expansion_ratio']}; transformers' MptMLP "
                           "is 4 x d_model wide whatever it says (valid: 4)", field="expansion_ratio")
    if not _bool(cfg, "no_bias", True):
        raise VramlabError("config field 'no_bias' is false; transformers' MPT blocks have no biases "
                           "(valid: true)", field="no_bias")
    attn = cfg.get("attn_config") or {}
    if not isinstance(attn, dict):
        raise VramlabError(f"config field 'attn_config' must be a JSON object, got {show(attn)}", field="attn_config")
    if attn.get("attn_type", "multihead_attention") != "multihead_attention" or attn.get("kv_n_heads") not in (
            None, cfg.get("n_heads", cfg.get("num_attention_heads"))) or attn.get("qk_ln"):
        raise VramlabError("config field 'attn_config' asks for multi-query/grouped K/V heads or q/k norms; "
                           "transformers' MptAttention is plain multi-head (valid: attn_type "
                           "'multihead_attention', no kv_n_heads, qk_ln false)", field="attn_config")
    cfg["intermediate_size"] = 4 * _hidden(cfg)


def _prepare_openai(cfg: dict) -> None:
    """transformers 5.24 modeling_openai.py: Conv1D c_attn/c_proj with biases, MLP 4 x n_embd, no final norm."""
    _gpt2_names(cfg)
    _need_positions(cfg, "n_positions")
    _mha(cfg)
    cfg["intermediate_size"] = 4 * _hidden(cfg)


def _prepare_biogpt(cfg: dict) -> None:
    """transformers 5.24 modeling_biogpt.py: BioGptLearnedPositionalEmbedding keeps 2 rows more."""
    _need_positions(cfg, "max_position_embeddings")
    _mha(cfg)


def _prepare_xglm(cfg: dict) -> None:
    """transformers 5.24 modeling_xglm.py: sinusoidal positions (a buffer), biased projections."""
    _rename(cfg, hidden_size="d_model", num_hidden_layers="num_layers", num_attention_heads="attention_heads",
            intermediate_size="ffn_dim")
    _no_cross_attention(cfg)
    _mha(cfg)


def _prepare_ctrl(cfg: dict) -> None:
    """transformers 5.24 modeling_ctrl.py: sinusoidal positions (a buffer), an MLP ``dff`` wide."""
    _gpt2_names(cfg)
    if cfg.get("dff") is not None:
        cfg["intermediate_size"] = _int(cfg, "dff")
    _mha(cfg)


def _prepare_neox_japanese(cfg: dict) -> None:
    """transformers 5.24 modeling_gpt_neox_japanese.py: MLP int(hidden x intermediate_multiple_size) wide."""
    _mha(cfg)
    cfg["intermediate_size"] = _hidden(cfg) * _int(cfg, "intermediate_multiple_size", 4)


def _prepare_persimmon(cfg: dict) -> None:
    """transformers 5.24 modeling_persimmon.py: query_key_value h -> 3h, q/k LayerNorms of hidden/H;
    a flat Fuyu config also gives the image patches (configuration_fuyu.py defaults: 30 x 30, 3 channels)."""
    _mha(cfg)
    if cfg.get("model_type") == "fuyu":
        cfg["patch_size"], cfg["num_channels"] = _int(cfg, "patch_size", 30), _int(cfg, "num_channels", 3)


def _prepare_apertus1p5(cfg: dict) -> None:
    """transformers 5.24 modeling_apertus1p5.py: lm_head of ``output_vocab_size or vocab_size`` rows."""
    out = cfg.get("output_vocab_size")
    if out is None or out == cfg.get("vocab_size"):
        return
    out = _int(cfg, "output_vocab_size")
    if cfg.get("vocab_size") is not None and out > check_field("vocab_size", cfg["vocab_size"]):
        raise VramlabError(f"config field 'output_vocab_size' ({out}) must be at most vocab_size "
                           f"({cfg['vocab_size']})", field="output_vocab_size")
    if _bool(cfg, "tie_word_embeddings", False):
        raise VramlabError("config ties the output head to the embeddings but prunes it to output_vocab_size "
                           "rows; valid: tie_word_embeddings false with a pruned head", field="output_vocab_size")


def _prepare_cpmant(cfg: dict) -> None:
    """transformers 5.24 modeling_cpmant.py: dim_head-wide heads, a gated FFN dim_ff wide, an lm_head of
    its own (``_tied_weights_keys`` is empty: the input embedding has prompt rows more)."""
    _rename(cfg, head_dim="dim_head", intermediate_size="dim_ff")
    cfg["head_dim"] = _int(cfg, "head_dim", 64)
    cfg["num_key_value_heads"] = None
    cfg["tie_word_embeddings"] = False
    for key, default in _CPMANT_SIZES.items():  # configuration_cpmant.py defaults
        cfg[key] = _int(cfg, key, default)


_CPMANT_SIZES = {"prompt_types": 32, "prompt_length": 32, "segment_types": 32, "position_bias_num_buckets": 512}


# -- parameter rules for blocks the table's fields do not describe -----------------------------
def _neox_japanese_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_gpt_neox_japanese.py: only the last layer's attention has a dense_bias."""
    std.standard(m, c)
    c["biases"] += m.hidden_size


def _persimmon_params(m: Any, c: Any, std: Any) -> None:
    """Persimmon blocks; a flat Fuyu config (model_type fuyu, the text fields at the top, as its checkpoints
    save it) builds FuyuForCausalLM: the same model plus vision_embed_tokens, a Linear from one
    patch_size^2 x num_channels patch to hidden (transformers 5.24 modeling_fuyu.py)."""
    std.standard(m, c)
    if m.config.get("model_type") == "fuyu":
        c["embeddings"] += m.config["patch_size"] ** 2 * m.config["num_channels"] * m.hidden_size
        c["biases"] += m.hidden_size


def _xielu_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_apertus.py: the xIELU activation learns alpha_p and alpha_n per layer."""
    std.standard(m, c)
    if m.config.get("hidden_act", "xielu") == "xielu":
        c["mlp"] += 2 * m.num_layers
    out = m.config.get("output_vocab_size")
    if out is not None and c["lm_head"]:  # Apertus-1.5: a head pruned to the text vocabulary
        c["lm_head"] = int(out) * m.hidden_size


def _cpmant_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_cpmant.py: input_embedding of V + prompt_types x prompt_length rows,
    segment_embedding, the segment/relative position bias (buckets + segments^2, per head) and an lm_head
    of V rows; q/k/v/o, the gated FFN and the weight-only LayerNorms are standard, all without bias."""
    cfg, h, V = m.config, m.hidden_size, m.vocab_size
    prompts, segments, buckets = cfg["prompt_types"] * cfg["prompt_length"], cfg["segment_types"], cfg[
        "position_bias_num_buckets"]
    c["embeddings"] += (V + prompts + segments) * h + (buckets + segments * segments) * m.num_q_heads
    c["lm_head"] += V * h
    std.attention(m, c)
    std.mlp(m, c)
    std.norms(m, c)


_BIASED = dict(qkv_bias="always", o_bias="always", mlp="plain", mlp_bias="always", norm_size=2)
_UNBIASED = dict(qkv_bias="never", o_bias="never", mlp="plain", mlp_bias="never")
_LLAMA_PLAIN = dict(mlp="plain")  # q/k/v/o bias on attention_bias, up/down bias on mlp_bias (Llama's rules)

FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("gpt_bigcode", **_BIASED, positions="n_positions", mlp_width_default=4, prepare=_prepare_bigcode,
         defaults={"tie_word_embeddings": True, "n_positions": 1024, "multi_query": True}),
    _fam("gpt_neo", **{**_BIASED, "qkv_bias": "never"}, positions="max_position_embeddings", mlp_width_default=4,
         prepare=_prepare_neo, defaults={"tie_word_embeddings": True, "max_position_embeddings": 2048}),
    _fam("codegen", **{**_BIASED, "qkv_bias": "never", "o_bias": "never"}, norms_per_layer=1,
         lm_head_bias="always", mlp_width_default=4, prepare=_prepare_codegen,
         defaults={"tie_word_embeddings": False, "n_positions": 2048}),
    # transformers' MptConfig: its one other default in the field table is the checkpoint dtype (None)
    _fam("mpt", **_UNBIASED, norm_size=1, prepare=_prepare_mpt, defaults={
        "tie_word_embeddings": True, "dtype": None}),
    _fam("openai-gpt", **_BIASED, positions="n_positions", final_norm="never", prepare=_prepare_openai,
         cache_refusal="transformers 5.24's OpenAIGPT model keeps no KV cache (every step recomputes the "
                       "whole context), so there is no cache layout to check a figure against",
         defaults={"tie_word_embeddings": True, "n_positions": 512}),
    _fam("biogpt", **_BIASED, positions="max_position_embeddings", position_offset=2, prepare=_prepare_biogpt,
         defaults={"tie_word_embeddings": True, "max_position_embeddings": 1024}),
    _fam("xglm", **_BIASED, prepare=_prepare_xglm,
         defaults={"tie_word_embeddings": True, "max_position_embeddings": 2048}),
    _fam("ctrl", **_BIASED, lm_head_bias="always", prepare=_prepare_ctrl,
         defaults={"tie_word_embeddings": True, "n_positions": 256}),
    _fam("gpt_neox_japanese", **_UNBIASED, norm_size=2, prepare=_prepare_neox_japanese,
         param_rule=_neox_japanese_params,
         defaults={"tie_word_embeddings": True, "max_position_embeddings": 2048}),
    _fam("jais2", qkv_bias="attention_bias", o_bias="attention_bias", mlp="plain", norm_size=2, defaults={
        "tie_word_embeddings": False, "attention_bias": True, "mlp_bias": True, "max_position_embeddings": 8192}),
    _fam("persimmon", **_BIASED, qk_norm=True, qk_norm_rule="qk_layernorm", prepare=_prepare_persimmon,
         param_rule=_persimmon_params, defaults={
             "tie_word_embeddings": False, "qk_layernorm": True, "max_position_embeddings": 16384}),
    _fam("arcee", **_LLAMA_PLAIN, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "max_position_embeddings": 4096}),
    _fam("nanochat", mlp="plain", mlp_bias="never", norm_size=0, defaults={  # RMSNorms (and q/k norms) unweighted
        "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 2048}),
    _fam("apertus", qk_norm=True, mlp="plain", mlp_bias="never", param_rule=_xielu_params, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 65536}),
    _fam("apertus1p5_text", qk_norm=True, mlp="plain", mlp_bias="never", param_rule=_xielu_params,
         prepare=_prepare_apertus1p5, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 65536}),
    _fam("cpmant", qkv_bias="never", o_bias="never", mlp_bias="never", prepare=_prepare_cpmant,
         param_rule=_cpmant_params,
         cache_refusal="CPM-Ant prepends prompt_length prompt positions to every sequence, so each layer caches "
                       "K/V for context + prompt_length tokens, which vramlab's layer kinds do not describe",
         defaults={"tie_word_embeddings": True, "vocab_size": 30720}),  # one checkpoint: cpm-ant-10b
]}

#: model_type spellings that name a family of this table: a flat Fuyu config is Persimmon blocks plus
#: the patch projection (a Fuyu config with a text_config is counted for its Persimmon language model).
ALIASES: dict[str, str] = {"fuyu": "persimmon", "fuyu_text": "persimmon"}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
