"""The Llama-like families of ``vramlab.families.llama_like`` against transformers 5.24.

Parameters: configs other than transformers' defaults (flags toggled, sizes changed, real checkpoints'
fields) are counted by vramlab and by the model transformers builds on the meta device.
Caches: a tiny random model of each family runs one forward pass on the CPU and the bytes of the K/V
tensors it returns (MLA: the compressed latent and the RoPE key) are compared with vramlab's.
"""

from __future__ import annotations

import copy
import warnings

import pytest

import vramlab as vl
from vramlab.errors import VramlabError
from vramlab.memory import kv_bytes_per_layer
from vramlab.oracle import default_config

from .oracle import build_model, cache_bytes, cache_layers, forward_cache, meta_param_count, torch, transformers  # noqa: F401
from .oracle import one_torch_thread  # noqa: F401  (autouse: forward passes on one thread)

pytestmark = pytest.mark.oracle

#: Per-layer lists the config classes derive from num_hidden_layers: dropped when the depth changes.
_PER_LAYER = ("layer_types", "mlp_layer_types", "layer_rope_theta")
#: A value of ``_config`` that removes the field (a null would be passed to the config class).
DROP = object()


def _config(model_type: str, **text) -> dict:
    """transformers' default config of ``model_type`` with ``text`` applied to its (text) config."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = default_config(model_type)
    inner = cfg["text_config"] if isinstance(cfg.get("text_config"), dict) else cfg
    # the language model alone: MllamaForCausalLM builds no vision tower (the whole checkpoint's is not sized here)
    cfg.pop("vision_config", None)
    if "num_layers" in text:  # EXAONE's spelling (attribute_map), given instead of num_hidden_layers
        inner.pop("num_hidden_layers")
    if "num_hidden_layers" in text or "num_layers" in text:
        for key in _PER_LAYER:
            if key not in text:
                inner.pop(key, None)
    for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
        if inner.get(key) is not None:
            inner[key] = 0
    inner.update({k: v for k, v in text.items() if v is not DROP})
    for key in [k for k, v in text.items() if v is DROP]:
        inner.pop(key, None)
    return cfg


def _exact(cfg: dict) -> vl.ModelSpec:
    m = vl.load_model(copy.deepcopy(cfg))
    assert m.exact, m.warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = meta_param_count(cfg)
    assert m.param_count() == truth, (m.model_type, m.param_breakdown(), truth)
    return m


# -- parameter counts on other configs -------------------------------------------------------------
# Real checkpoints' fields where they are public config.json values; the others toggle the switches.
PARAM_CASES = {
    "bitnet: tied, attention bias": ("bitnet", dict(tie_word_embeddings=True, attention_bias=True,
                                                    num_hidden_layers=3)),
    "bitnet-b1.58-2B-4T": ("bitnet", dict(hidden_size=2560, intermediate_size=6912, num_hidden_layers=30,
                                          num_attention_heads=20, num_key_value_heads=5, vocab_size=128256,
                                          tie_word_embeddings=True)),
    "cwm: tied, MLP bias, 6 layers": ("cwm", dict(tie_word_embeddings=True, mlp_bias=True, num_hidden_layers=6,
                                                 head_dim=64)),
    "diffllama: attention bias, GQA, head_dim of its own": ("diffllama", dict(
        attention_bias=True, num_key_value_heads=8, head_dim=96, num_hidden_layers=3)),
    "emu3: attention and MLP biases, tied": ("emu3", dict(attention_bias=True, mlp_bias=True,
                                                         tie_word_embeddings=True, num_hidden_layers=3)),
    "EXAONE-3.5-2.4B (num_layers spelling)": ("exaone", dict(
        num_layers=30, hidden_size=2560, intermediate_size=7168, num_attention_heads=32, num_key_value_heads=8,
        vocab_size=102400, tie_word_embeddings=True)),
    "granite_swa: untied, biases, layer_types": ("granite_swa", dict(
        tie_word_embeddings=False, attention_bias=True, mlp_bias=True, num_hidden_layers=4, sliding_window=64,
        layer_types=["sliding_attention", "full_attention"] * 2)),
    "helium: biases, GQA, tied": ("helium", dict(attention_bias=True, mlp_bias=True, num_key_value_heads=4,
                                                tie_word_embeddings=True, num_hidden_layers=3)),
    "hyperclovax: no post norms, biases": ("hyperclovax", dict(use_post_norm=False, attention_bias=True,
                                                              mlp_bias=True, num_hidden_layers=3)),
    "hyperclovax: post norms, head_dim of its own": ("hyperclovax", dict(head_dim=64, num_key_value_heads=8,
                                                                        num_hidden_layers=3)),
    "InternLM3-8B (qkv_bias / bias spellings, true)": ("internlm3", dict(
        hidden_size=4096, intermediate_size=10240, num_hidden_layers=48, num_attention_heads=32,
        num_key_value_heads=2, head_dim=128, vocab_size=128512, qkv_bias=True, bias=True)),
    "iquestcoder: tied, head_dim 64, attention bias": ("iquestcoder", dict(
        tie_word_embeddings=True, head_dim=64, attention_bias=True, num_hidden_layers=3)),
    "mellum: dense and sparse layers, biases": ("mellum", dict(
        num_hidden_layers=4, mlp_layer_types=["dense", "sparse", "sparse", "dense"], intermediate_size=4096,
        num_local_experts=16, num_experts_per_tok=4, attention_bias=True, tie_word_embeddings=True,
        layer_types=["sliding_attention", "full_attention"] * 2)),
    "minicpm3: uncompressed queries, biases, v_head_dim null": ("minicpm3", dict(
        q_lora_rank=None, attention_bias=True, mlp_bias=True, v_head_dim=None, tie_word_embeddings=False,
        num_hidden_layers=3)),
    "stablelm-2-12b (parallel residual, q/k LayerNorms)": ("stablelm", dict(
        hidden_size=5120, intermediate_size=13824, num_hidden_layers=40, num_attention_heads=32,
        num_key_value_heads=8, vocab_size=100352, use_parallel_residual=True, qk_layernorm=True)),
    "stablelm-2-1_6b (QKV bias)": ("stablelm", dict(
        hidden_size=2048, intermediate_size=5632, num_hidden_layers=24, num_attention_heads=32,
        num_key_value_heads=32, vocab_size=100352, use_qkv_bias=True)),
    "youtu: uncompressed queries, biases, untied": ("youtu", dict(
        q_lora_rank=None, attention_bias=True, tie_word_embeddings=False, num_hidden_layers=3)),
    "modernbert-decoder: every bias, untied": ("modernbert-decoder", dict(
        norm_bias=True, attention_bias=True, mlp_bias=True, classifier_bias=True, decoder_bias=False,
        tie_word_embeddings=False, num_hidden_layers=5, global_attn_every_n_layers=2)),
    "modernbert-decoder: 1B-like widths": ("modernbert-decoder", dict(
        hidden_size=1792, intermediate_size=3840, num_hidden_layers=28, num_attention_heads=28)),
    "mllama: other cross-attention layers, tied": ("mllama", dict(
        num_hidden_layers=6, cross_attention_layers=[1, 3, 100], tie_word_embeddings=True)),
}


@pytest.mark.parametrize("case", list(PARAM_CASES))
def test_param_count_equals_transformers(case):
    model_type, text = PARAM_CASES[case]
    m = _exact(_config(model_type, **text))
    assert m.model_type == vl.families.get_family(model_type).model_type


def test_param_cases_cover_every_family_of_the_module():
    from vramlab.families import llama_like

    covered = {vl.families.get_family(mt).model_type for mt, _ in PARAM_CASES.values()}
    assert covered == set(llama_like.FAMILIES)


def test_the_switches_change_the_count():
    """The cases above toggle what each rule reads; the counts must differ from the defaults'."""
    for model_type, text in [("hyperclovax", {"use_post_norm": False}), ("stablelm", {"qk_layernorm": True}),
                             ("stablelm", {"use_parallel_residual": True}), ("modernbert-decoder", {"norm_bias": True}),
                             ("granite_swa", {"tie_word_embeddings": False}), ("internlm3", {"qkv_bias": True,
                                                                                             "bias": True})]:
        assert _exact(_config(model_type, **text)).param_count() != vl.load_model(_config(model_type)).param_count()


# -- refusals that mirror transformers' own ---------------------------------------------------------
@pytest.mark.parametrize("model_type, text, field", [
    ("diffllama", {"num_key_value_heads": 3, "num_attention_heads": 6, "hidden_size": 384}, "num_key_value_heads"),
    ("helium", {"head_dim": 64}, "head_dim"),
    ("internlm3", {"qkv_bias": True, "bias": False}, "attention_bias"),
    ("iquestcoder", {"use_sliding_window": True}, "use_sliding_window"),
    ("modernbert-decoder", {"local_attention": None, "sliding_window": DROP}, "local_attention"),
    ("modernbert-decoder", {"sliding_window": None}, "sliding_window"),
    ("mellum", {"mlp_layer_types": ["sparse"]}, "mlp_layer_types"),
    ("mllama", {"cross_attention_layers": "3,8"}, "cross_attention_layers"),
    ("stablelm", {"use_qkv_bias": "false"}, "use_qkv_bias"),
])
def test_invalid_configs_are_refused_naming_the_field(model_type, text, field):
    with pytest.raises(VramlabError) as exc:
        vl.load_model(_config(model_type, **text))
    assert exc.value.field == field


# -- caches ---------------------------------------------------------------------------------------
WINDOW = 8
_MHA = dict(num_hidden_layers=4, hidden_size=64, intermediate_size=32, num_attention_heads=4, vocab_size=128)
_TINY = dict(_MHA, num_key_value_heads=2)
_MLA = dict(_TINY, head_dim=DROP, num_key_value_heads=4, kv_lora_rank=32, q_lora_rank=16, qk_nope_head_dim=16, qk_rope_head_dim=8,
            v_head_dim=16)

#: model_type -> tiny text config. Full attention in every layer unless a window is set.
CACHE_CASES = {
    "bitnet": dict(_TINY),
    "cwm": dict(_TINY, head_dim=16, sliding_window=WINDOW),  # full, sliding, sliding, sliding
    "diffllama": dict(_TINY, head_dim=16),
    "emu3": dict(_TINY),
    "exaone": dict(_TINY),
    "granite_swa": dict(_TINY, sliding_window=WINDOW),
    "helium": dict(_TINY, head_dim=16),
    "hyperclovax": dict(_TINY),
    "internlm3": dict(_TINY, head_dim=16),
    "iquestcoder": dict(_TINY, head_dim=24),
    "mellum": dict(_TINY, head_dim=16, sliding_window=WINDOW, num_local_experts=4, num_experts_per_tok=2,
                   moe_intermediate_size=16, layer_types=["sliding_attention", "full_attention"] * 2,
                   mlp_layer_types=["dense", "sparse", "sparse", "sparse"]),
    "minicpm3": dict(_MLA),
    "stablelm": dict(_TINY, qk_layernorm=True, use_parallel_residual=True),
    "youtu": dict(_MLA),
    "modernbert-decoder": dict(_MHA, local_attention=2 * WINDOW, sliding_window=DROP),  # full, slid., slid., full
}


def _cache(cfg: dict, tokens: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        return forward_cache(build_model(cfg, "float32"), tokens)


@pytest.mark.parametrize("model_type", list(CACHE_CASES))
def test_cache_bytes_equal_the_tensors_transformers_keeps(model_type):
    cfg = _config(model_type, **CACHE_CASES[model_type])
    spec = _exact(cfg)
    per_layer = kv_bytes_per_layer(spec, "fp32")
    for tokens in (WINDOW - 3, 3 * WINDOW):
        layers = cache_layers(_cache(cfg, tokens))
        assert len(layers) == spec.num_layers
        # transformers stores min(tokens, W - 1) positions on a sliding layer, every position on a full one
        stored = [k.shape[-2] for k, _ in layers]
        assert stored == [tokens if la.kind == "full" else min(tokens, la.window - 1) for la in spec.layers]
        for keys, values in layers:  # vramlab's bytes per position and layer, times the positions held
            assert keys.element_size() * (keys[0, :, 0].numel() + values[0, :, 0].numel()) == per_layer
        measured = sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in layers)
        assert measured == cache_bytes(_cache(cfg, tokens))
        # vramlab counts W positions on a capped sliding layer (what the next token reads), one more than stored
        capped = sum(la.kind == "sliding" and tokens >= la.window for la in spec.layers)
        assert vl.kv_cache_bytes(spec, tokens=tokens, kv_dtype="fp32") == measured + capped * per_layer
    windowed = "sliding_window" in CACHE_CASES[model_type] or "local_attention" in CACHE_CASES[model_type]
    assert (spec.sliding_window == WINDOW and spec.num_sliding_layers > 0) if windowed else spec.num_sliding_layers == 0


def test_layer_patterns_derived_like_the_config_classes():
    """Without layer_types: CWM and Granite-SWA full where i % 4 == 0, ModernBERT-decoder where i % 3 == 0."""
    for model_type, every in (("cwm", 4), ("granite_swa", 4), ("modernbert-decoder", 3)):
        cfg = _config(model_type, num_hidden_layers=9)
        hf = transformers.AutoConfig.for_model(model_type, **{k: v for k, v in cfg.items() if k != "model_type"})
        kinds = [la.kind for la in vl.load_model(cfg).layers]
        assert kinds == ["full" if i % every == 0 else "sliding" for i in range(9)]
        assert kinds == [t.split("_")[0] for t in hf.layer_types]
    # sliding_window: the file's, else local_attention // 2, as the config class sets it
    C = transformers.ModernBertDecoderConfig
    for fields in ({"local_attention": 256}, {"local_attention": 256, "sliding_window": 20}):
        text = _config("modernbert-decoder", **{"sliding_window": DROP, **fields})
        assert vl.load_model(text).sliding_window == C(**fields).sliding_window


def test_mla_families_cache_the_compressed_latent():
    for model_type in ("minicpm3", "youtu"):
        cfg = _config(model_type, **_MLA)
        spec = vl.load_model(cfg)
        assert spec.attention_kind == "MLA" and spec.head_dim == _MLA["qk_nope_head_dim"] + _MLA["qk_rope_head_dim"]
        keys, values = cache_layers(_cache(cfg, 5))[0]
        assert tuple(keys.shape) == (1, 1, 5, _MLA["kv_lora_rank"])
        assert tuple(values.shape) == (1, 1, 5, _MLA["qk_rope_head_dim"])


def test_mllama_counts_parameters_but_refuses_the_cache():
    m = _exact(_config("mllama", num_hidden_layers=6, cross_attention_layers=[2, 5]))
    with pytest.raises(VramlabError, match="cross-attention") as exc:
        vl.kv_cache_bytes(m, tokens=16)
    assert exc.value.field == "model"
