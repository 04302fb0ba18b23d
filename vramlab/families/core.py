"""The family table of the decoders vramlab sized first (transformers 5.24 config classes and modeling files)."""

from __future__ import annotations

from .family import Family
from .moe import deepseek_v2_prepare, glm4_moe_prepare
from .special import _mlp_types

_fam = Family  # the table below reads as _fam("llama", ...)


# Defaults: transformers 5.24 configuration_<family>.py signatures (see the module docstring).
_V3 = {"tie_word_embeddings": False, "attention_bias": False, "moe_layer_freq": 1, "first_k_dense_replace": 3,
       "n_shared_experts": 1, "n_routed_experts": 256, "num_experts_per_tok": 8, "moe_intermediate_size": 2048,
       "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128}


def _every_layer_indexed(cfg: dict) -> None:
    """DeepSeek-V3.2 as transformers 5.24 configuration_deepseek_v32.py reads it: without ``layer_types``
    every layer has the DSA indexer (``["indexed_attention"] * num_hidden_layers``); the MoE layers are
    those ``mlp_layer_types`` calls "sparse" (by default every layer from ``first_k_dense_replace`` on,
    ``moe_layer_freq`` unread)."""
    n = cfg.get("num_hidden_layers")
    if not (isinstance(n, int) and 1 <= n <= 10_000):
        return  # validation refuses the layer count
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = ["indexed_attention"] * n
    first = cfg.get("first_k_dense_replace")
    _mlp_types(cfg, "deepseek_v32", min(first if isinstance(first, int) and first >= 0 else 3, n))


_QWEN = {"tie_word_embeddings": False, "use_sliding_window": False, "max_window_layers": 28}
FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("llama", symbolic=True, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
        "max_position_embeddings": 2048, "torch_dtype": "float32"}),
    _fam("mistral", layer_pattern="all_sliding", symbolic=True, defaults={
        "tie_word_embeddings": False, "max_position_embeddings": 131072, "sliding_window": 4096}),
    _fam("mixtral", moe=True, experts_keys=("num_local_experts", "num_experts"), expert_width_key="intermediate_size",
         layer_pattern="all_sliding", symbolic=True, defaults={
             "tie_word_embeddings": False, "max_position_embeddings": 131072, "num_local_experts": 8,
             "num_experts_per_tok": 2}),
    _fam("qwen2", qkv_bias="always", o_bias="never", layer_pattern="max_window_layers", symbolic=True, defaults={
        **_QWEN, "max_position_embeddings": 32768}),
    _fam("qwen2_moe", qkv_bias="qkv_bias", o_bias="never", moe=True, experts_keys=("num_experts",), shared_expert="gated",
         moe_layers="sparse_step", layer_pattern="qwen2_moe", defaults={
             **_QWEN, "max_position_embeddings": 32768, "qkv_bias": True, "num_experts": 60,
             "num_experts_per_tok": 4, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
             "decoder_sparse_step": 1, "mlp_only_layers": []}),
    _fam("qwen3", qk_norm=True, layer_pattern="max_window_layers", symbolic=True, defaults={
        **_QWEN, "attention_bias": False, "max_position_embeddings": 32768, "head_dim": 128}),
    _fam("qwen3_moe", qk_norm=True, moe=True, experts_keys=("num_experts", "num_local_experts"),
         moe_layers="sparse_step", layer_pattern="max_window_layers", symbolic=True, defaults={
             **_QWEN, "attention_bias": False, "max_position_embeddings": 32768, "decoder_sparse_step": 1,
             "mlp_only_layers": [], "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768}),
    _fam("gemma2", norms_per_layer=4, layer_pattern="alternate", symbolic=True, defaults={
        "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096, "head_dim": 256,
        "max_position_embeddings": 8192}),
    _fam("gemma3_text", norms_per_layer=4, qk_norm=True, layer_pattern="every_nth_full", symbolic=True, defaults={
        "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096, "vocab_size": 262208,
        "max_position_embeddings": 131072, "sliding_window_pattern": 6, "head_dim": 256, "hidden_size": 2304,
        "intermediate_size": 9216, "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4}),
    _fam("phi3", layer_pattern="all_sliding", symbolic=True, defaults={
        "tie_word_embeddings": False, "max_position_embeddings": 4096}),
    _fam("falcon", layout="falcon", defaults={
        "tie_word_embeddings": True, "vocab_size": 65024, "hidden_size": 4544, "num_hidden_layers": 32,
        "num_attention_heads": 71, "multi_query": True, "new_decoder_architecture": False, "parallel_attn": True,
        "bias": False, "alibi": False, "max_position_embeddings": 2048}),
    _fam("deepseek_v2", layout="mla", moe=True, experts_keys=("n_routed_experts",), moe_layers="first_k_dense",
         shared_expert="deepseek", shared_bias=True, prepare=deepseek_v2_prepare, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "first_k_dense_replace": 0,
             "n_shared_experts": 2, "n_routed_experts": 64, "moe_intermediate_size": 1407, "kv_lora_rank": 512,
             "q_lora_rank": 1536, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128,
             "max_position_embeddings": 2048}),
    _fam("deepseek_v3", layout="mla", moe=True, experts_keys=("n_routed_experts",), moe_layers="first_k_dense",
         shared_expert="deepseek", defaults={**_V3, "max_position_embeddings": 4096}),
    _fam("deepseek_v32", layout="mla", moe=True, experts_keys=("n_routed_experts",), moe_layers="first_k_dense",
         shared_expert="deepseek", layer_kinds={"indexed_attention": "indexed"}, prepare=_every_layer_indexed,
         defaults={  # + the DSA indexer
             **_V3, "max_position_embeddings": 163840, "index_n_heads": 64, "index_head_dim": 128, "index_topk": 2048}),
    _fam("gpt_oss", attention_sinks=True, moe=True, experts_keys=("num_local_experts", "num_experts"),
         expert_width_key="intermediate_size", expert_biases=True, layer_pattern="alternate", defaults={
             "tie_word_embeddings": False, "attention_bias": True, "sliding_window": 128, "head_dim": 64,
             "num_local_experts": 128, "num_experts_per_tok": 4, "intermediate_size": 2880,
             "max_position_embeddings": 131072}),
]}

# -- classic GPT-style decoders: LayerNorms with biases, plain MLPs (transformers 5.24 modeling files)
_BIASED = dict(qkv_bias="always", o_bias="always", mlp="plain", mlp_bias="always", norm_size=2)
FAMILIES.update({f.model_type: f for f in [
    _fam("gpt2", **_BIASED, positions="n_positions", mlp_width_default=4, defaults={
        "tie_word_embeddings": True, "n_positions": 1024}),
    _fam("gpt_neox", **{**_BIASED, "qkv_bias": "attention_bias", "o_bias": "attention_bias"}, defaults={
        "tie_word_embeddings": False, "attention_bias": True, "max_position_embeddings": 2048}),
    _fam("gptj", **{**_BIASED, "qkv_bias": "never", "o_bias": "never"}, norms_per_layer=1, lm_head_bias="always",
         mlp_width_default=4, defaults={"tie_word_embeddings": False, "n_positions": 2048}),
    _fam("opt", **{**_BIASED, "qkv_bias": "enable_bias", "o_bias": "enable_bias", "mlp_bias": "enable_bias"},
         norm_affine="layer_norm_elementwise_affine", final_norm="do_layer_norm_before",
         positions="max_position_embeddings", position_offset=2, embed_proj="word_embed_proj_dim", defaults={
             "tie_word_embeddings": True, "enable_bias": True, "layer_norm_elementwise_affine": True,
             "do_layer_norm_before": True, "max_position_embeddings": 2048}),
    _fam("bloom", **_BIASED, embed_norm=True, mlp_width_default=4, defaults={  # one vocabulary for all sizes
        "tie_word_embeddings": True, "vocab_size": 250880}),
    _fam("phi", **_BIASED, norms_per_layer=1, lm_head_bias="always", qk_norm=True, qk_norm_rule="qk_layernorm",
         defaults={"tie_word_embeddings": False, "qk_layernorm": False, "max_position_embeddings": 2048}),
    _fam("starcoder2", **{**_BIASED, "qkv_bias": "use_bias", "o_bias": "use_bias", "mlp_bias": "use_bias"},
         layer_pattern="all_sliding", defaults={"tie_word_embeddings": True, "use_bias": True,
                                                "max_position_embeddings": 4096}),
]})

# -- Llama-like decoders with other norms or biases (transformers 5.24 modeling files)
_OLMO = {"tie_word_embeddings": False, "attention_bias": False}
FAMILIES.update({f.model_type: f for f in [
    _fam("gemma", defaults={"tie_word_embeddings": True, "attention_bias": False, "head_dim": 256,
                            "max_position_embeddings": 8192}),
    _fam("cohere", norms_per_layer=1, qk_norm=True, qk_norm_kind="full", qk_norm_rule="use_qk_norm", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "use_qk_norm": False, "max_position_embeddings": 8192}),
    _fam("cohere2", norms_per_layer=1, layer_pattern="every_nth_full", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096, "sliding_window_pattern": 4,
        "max_position_embeddings": 8192}),
    _fam("olmo", norm_size=0, defaults={**_OLMO, "max_position_embeddings": 2048}),
    _fam("olmo2", qk_norm=True, qk_norm_kind="full", defaults={**_OLMO, "max_position_embeddings": 2048}),
    _fam("olmo3", qk_norm=True, qk_norm_kind="full", layer_pattern="every_nth_full", defaults={
        **_OLMO, "max_position_embeddings": 2048, "sliding_window": 4096, "sliding_window_pattern": 4}),
    _fam("olmoe", qk_norm=True, qk_norm_kind="full", moe=True, experts_keys=("num_experts",),
         expert_width_key="intermediate_size", defaults={
             **_OLMO, "max_position_embeddings": 4096, "num_experts": 64, "num_experts_per_tok": 8}),
    _fam("glm", o_bias="never", defaults={"tie_word_embeddings": False, "attention_bias": True, "head_dim": 128,
                                          "max_position_embeddings": 131072}),
    _fam("glm4", o_bias="never", norms_per_layer=4, defaults={
        "tie_word_embeddings": False, "attention_bias": True, "head_dim": 128, "max_position_embeddings": 131072}),
    _fam("glm4_moe", o_bias="never", qk_norm=True, qk_norm_rule="use_qk_norm", moe=True,
         experts_keys=("n_routed_experts", "num_local_experts"), moe_layers="first_k_dense", shared_expert="deepseek",
         mlp_bias="never", prepare=glm4_moe_prepare, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "use_qk_norm": False,
             "max_position_embeddings": 131072, "moe_intermediate_size": 1408, "num_experts_per_tok": 8,
             "n_shared_experts": 1, "n_routed_experts": 128, "first_k_dense_replace": 1}),
    _fam("seed_oss", o_bias="attention_out_bias", defaults={
        "tie_word_embeddings": False, "attention_bias": True, "attention_out_bias": False, "mlp_bias": False,
        "max_position_embeddings": 524288}),
    _fam("smollm3", layer_pattern="max_window_layers", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "mlp_bias": False, "use_sliding_window": False,
        "max_position_embeddings": 32768}),
    _fam("exaone4", qk_norm=True, layer_pattern="every_nth_full", defaults={
        "tie_word_embeddings": False, "sliding_window": 4096, "sliding_window_pattern": 4,
        "max_position_embeddings": 2048}),
]})

# -- hybrid stacks: linear-attention layers between full-attention layers (MiniMax: Lightning attention)
_GDN = {"full_attention_interval": 4, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
        "linear_num_key_heads": 16, "linear_num_value_heads": 32}
FAMILIES.update({f.model_type: f for f in [
    _fam("minimax", layer_kinds={"linear_attention": "lightning"}, moe=True, experts_keys=("num_local_experts",),
         expert_width_key="intermediate_size", defaults={"tie_word_embeddings": False, "num_local_experts": 8,
                                                          "num_experts_per_tok": 2, "max_position_embeddings": 131072}),
    _fam("qwen3_next", qk_norm=True, attn_gate=True, layer_kinds={"linear_attention": "linear"}, moe=True,
         layer_pattern="linear_interval",
         experts_keys=("num_experts",), shared_expert="gated", moe_layers="sparse_step", defaults={
             **_GDN, "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
             "max_position_embeddings": 32768, "decoder_sparse_step": 1, "mlp_only_layers": [],
             "num_experts": 512, "num_experts_per_tok": 10, "moe_intermediate_size": 512,
             "shared_expert_intermediate_size": 512}),
    _fam("qwen3_5_text", qk_norm=True, attn_gate=True, layer_kinds={"linear_attention": "linear"},
         layer_pattern="linear_interval", defaults={
        **_GDN, "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
        "max_position_embeddings": 32768}),
    _fam("qwen3_5_moe_text", qk_norm=True, attn_gate=True, layer_kinds={"linear_attention": "linear"}, moe=True,
         layer_pattern="linear_interval",
         experts_keys=("num_experts",), shared_expert="gated", defaults={
             **_GDN, "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
             "max_position_embeddings": 32768, "num_experts": 256, "num_experts_per_tok": 8,
             "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512}),
]})

# -- Llama-4: chunked attention on the RoPE layers, full attention on the NoPE ones, MoE + shared expert
FAMILIES.update({f.model_type: f for f in [
    _fam("llama4_text", layer_pattern="llama4", layer_kinds={"chunked_attention": "chunked"}, moe=True,
         experts_keys=("num_local_experts",), expert_width_key="intermediate_size", shared_expert="single",
         moe_layers="interleave", mlp_width_key="intermediate_size_mlp", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "head_dim": 128, "max_position_embeddings": 131072,
             "num_local_experts": 16, "num_experts_per_tok": 1, "interleave_moe_layer_step": 1,
             "intermediate_size": 8192, "intermediate_size_mlp": 16384, "attention_chunk_size": 8192,
             "no_rope_layer_interval": 4, "vocab_size": 202048}),
]})

# -- hybrid stacks with Mamba (selective state-space) layers
FAMILIES.update({f.model_type: f for f in [
    _fam("jamba", layer_pattern="attn_period", moe=True, experts_keys=("num_experts",),
         expert_width_key="intermediate_size", moe_layers="period", defaults={
             "tie_word_embeddings": False, "max_position_embeddings": 262144, "num_experts": 16,
             "num_experts_per_tok": 2, "expert_layer_period": 2, "expert_layer_offset": 1, "attn_layer_period": 8,
             "attn_layer_offset": 4, "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_expand": 2,
             "mamba_conv_bias": True, "mamba_proj_bias": False}),
]})

FAMILIES.update({f.model_type: f for f in [
    _fam("nemotron_h", blocks=True, layer_kinds={"linear_attention": "mamba2", "moe": "none", "mlp": "none"},
         moe=True, moe_layers="blocks", experts_keys=("n_routed_experts", "num_local_experts"), shared_expert="sized", mlp="plain",
         shared_width_key="moe_shared_expert_intermediate_size", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "use_bias": False,
             "use_conv_bias": True, "max_position_embeddings": 4096, "n_routed_experts": 8, "num_experts_per_tok": 2,
             "ssm_state_size": 128, "n_groups": 8, "conv_kernel": 4}),
    _fam("falcon_h1", parallel_ssm=True, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "max_position_embeddings": 8192,
        "mamba_d_state": 256, "mamba_d_conv": 4, "mamba_expand": 2, "mamba_n_groups": 1, "mamba_conv_bias": True,
        "mamba_proj_bias": False, "mamba_rms_norm": False, "projectors_bias": False}),
]})

FAMILIES.update({f.model_type: f for f in [
    _fam("ernie4_5", qkv_bias="use_bias", o_bias="use_bias", mlp_bias="use_bias", defaults={
        "tie_word_embeddings": True, "use_bias": False, "head_dim": 128, "max_position_embeddings": 131072}),
    _fam("ernie4_5_moe", qkv_bias="use_bias", o_bias="use_bias", mlp_bias="use_bias", lm_head_bias="use_bias",
         moe=True, experts_keys=("moe_num_experts", "num_experts"), moe_layers="range", shared_expert="deepseek",
         shared_count_key="moe_num_shared_experts", shared_bias=True, router_bias_param=True, defaults={
             "tie_word_embeddings": True, "use_bias": False, "max_position_embeddings": 131072,
             "moe_num_experts": 64, "moe_k": 6, "moe_num_shared_experts": 2, "moe_intermediate_size": 1536,
             "moe_layer_start_index": 1, "moe_layer_end_index": -1, "moe_layer_interval": 1}),
    _fam("granite", defaults={"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
                              "max_position_embeddings": 2048}),
    _fam("granitemoe", moe=True, experts_keys=("num_local_experts",), expert_width_key="intermediate_size",
         defaults={"tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 2048,
                   "num_local_experts": 8, "num_experts_per_tok": 2}),
    _fam("granitemoeshared", moe=True, experts_keys=("num_local_experts",), expert_width_key="intermediate_size",
         shared_expert="sized", defaults={"tie_word_embeddings": False, "attention_bias": False,
                                          "max_position_embeddings": 2048, "num_local_experts": 8,
                                          "num_experts_per_tok": 2, "shared_intermediate_size": 0}),
    _fam("ministral3", layer_pattern="all_sliding", defaults={
        "tie_word_embeddings": False, "head_dim": 128, "max_position_embeddings": 262144}),
    _fam("vaultgemma", layer_pattern="alternate", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "head_dim": 256, "max_position_embeddings": 8192}),
]})

#: The generic path: any other decoder with the standard fields, counted with the Llama layout.
GENERIC = Family("generic", exact=False, experts_keys=("num_local_experts", "num_experts", "n_routed_experts"),
                 layer_pattern="all_sliding")

#: model_type spellings that name a family of the table.
ALIASES = {"gemma3": "gemma3_text", "gpt-sw3": "gpt2", "llama4": "llama4_text"}

#: Encoder-only and encoder-decoder model_types of transformers 5.24 (masked LMs, seq2seq
#: models and their decoders): vramlab sizes decoder-only LLMs and refuses them.
NOT_DECODERS = frozenset(
    "bart bert bert-generation big_bird bigbird_pegasus blenderbot blenderbot-small camembert data2vec-text "
    "electra ernie marian mbart megatron-bert mvp pegasus plbart prophetnet rembert roberta "
    "roberta-prelayernorm roc_bert roformer trocr whisper xlm xlm-roberta xlm-roberta-xl xlnet xmod".split())

#: Decoder model_types of transformers 5.24 whose blocks the family table does not describe,
#: with what is unknown to vramlab. The generic Llama-like path would miscount them (by more
#: than 2 % on transformers' default configs), so they are refused rather than guessed.
UNMODELLED: dict[str, str] = {
    "lfm2_moe": "short-convolution layers",
    "gemma4_unified_assistant": "per-layer input embeddings, shared KV layers and altered MLP widths",
    "gemma4_assistant": "per-layer input embeddings, shared KV layers and altered MLP widths",
    "git": "a vision encoder inside the causal LM",
    "phi4_multimodal": "vision and audio encoders inside the causal LM",
    "moshi": "audio depth-decoder blocks",
    "musicgen": "audio codebook decoders",
    "musicgen_melody": "audio codebook decoders",
    "blt": "byte-patch encoder and decoder",
    "reformer": "LSH and chunked attention layers",
}
