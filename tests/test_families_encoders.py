"""Encoder-only and encoder-decoder families (vramlab/families/encoders.py) against transformers 5.24.

Parameter counts: vramlab's count of a config equals the causal-LM model transformers builds from it on
the meta device (``BertLMHeadModel``, ``BartForCausalLM``, ...), for configs other than the class
defaults: the sizes of published checkpoints, switches toggled (untied heads, cross-attention, adapters,
adaptive softmax). Caches: vramlab does not model them, so every KV-cache figure is refused with the
reason, while the parameter count stays exact; the command line says so in one line.
"""

from __future__ import annotations

import json

import pytest

import vramlab as vl
from vramlab import cli
from vramlab.families import encoders
from vramlab.oracle import default_config, default_meta_param_count

from .oracle import meta_param_count, transformers  # noqa: F401

pytestmark = pytest.mark.oracle

#: A small BERT-like geometry (token ids reset so they fit the vocabulary).
_BERT = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 96,
         "vocab_size": 1000, "max_position_embeddings": 77, "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
#: A small seq2seq geometry: the decoder's fields differ from the encoder's, so a mix-up shows.
_S2S = {"d_model": 64, "decoder_layers": 3, "decoder_attention_heads": 4, "decoder_ffn_dim": 96, "encoder_layers": 1,
        "encoder_attention_heads": 2, "encoder_ffn_dim": 32, "vocab_size": 1000, "max_position_embeddings": 77,
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0, "decoder_start_token_id": 0}
_DECODER = {"tie_word_embeddings": False, "add_cross_attention": True, "is_decoder": True}

CASES = [
    # published checkpoints' sizes
    ("bert", {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096}),
    ("roberta", {"vocab_size": 50265, "max_position_embeddings": 514, "type_vocab_size": 1}),  # roberta-base
    ("xlm-roberta", {"vocab_size": 250002, "max_position_embeddings": 514, "type_vocab_size": 1}),
    ("electra", {"embedding_size": 768, "hidden_size": 256, "num_attention_heads": 4, "intermediate_size": 1024}),
    ("bart", {"d_model": 768, "decoder_layers": 6, "decoder_attention_heads": 12, "decoder_ffn_dim": 3072,
              "encoder_layers": 6, "encoder_attention_heads": 12, "encoder_ffn_dim": 3072}),  # bart-base
    ("marian", {"d_model": 512, "decoder_layers": 6, "decoder_attention_heads": 8, "decoder_ffn_dim": 2048,
                "max_position_embeddings": 512}),  # opus-mt
    ("whisper", {"d_model": 1280, "decoder_layers": 32, "decoder_attention_heads": 20, "decoder_ffn_dim": 5120,
                 "vocab_size": 51866, "num_mel_bins": 128}),  # whisper-large-v3
    ("xlnet", {"d_model": 768, "n_layer": 12, "n_head": 12, "d_head": 64, "d_inner": 3072}),  # xlnet-base-cased
    # every BERT-like stack: small, untied with cross-attention
    *((mt, {**_BERT, **_DECODER}) for mt in ("bert", "roberta", "camembert", "xlm-roberta", "xlm-roberta-xl",
                                             "data2vec-text", "electra", "ernie", "roberta-prelayernorm", "roc_bert",
                                             "megatron-bert", "rembert", "roformer", "bert-generation", "xmod",
                                             "big_bird")),
    ("ernie", {**_BERT, "use_task_id": True, "task_type_vocab_size": 7}),
    ("roc_bert", {**_BERT, "enable_pronunciation": False, "shape_embed_dim": 33, "shape_vocab_size": 50}),
    ("roc_bert", {**_BERT, "concat_input": False}),
    ("xmod", {**_BERT, "pre_norm": True, "adapter_layer_norm": True, "languages": ["en_XX", "de_DE", "fr_XX"],
              "adapter_reduction_factor": 4}),
    ("xmod", {**_BERT, "languages": []}),  # no adapters
    ("big_bird", {**_BERT, "use_bias": False}),
    ("electra", {**_BERT, "embedding_size": 32, "tie_word_embeddings": False}),
    ("roformer", {**_BERT, "embedding_size": 32}),
    ("rembert", {**_BERT, "input_embedding_size": 24, "output_embedding_size": 24, "tie_word_embeddings": True}),
    # every seq2seq decoder: small, untied
    *((mt, {**_S2S, "tie_word_embeddings": False}) for mt in ("bart", "mbart", "marian", "pegasus", "blenderbot",
                                                              "blenderbot-small", "plbart", "mvp", "trocr",
                                                              "bigbird_pegasus")),
    ("whisper", {**{k: v for k, v in _S2S.items() if k != "max_position_embeddings"}, "max_target_positions": 33}),
    ("mvp", {**_S2S, "use_prompt": True, "prompt_length": 7}),  # MvpForCausalLM builds no prompts
    ("trocr", {**_S2S, "use_learned_position_embeddings": False, "layernorm_embedding": False,
               "cross_attention_hidden_size": 48}),
    ("bigbird_pegasus", {**_S2S, "use_bias": True}),
    ("marian", {**_S2S, "decoder_vocab_size": 900}),  # tied: the head is the decoder's 900-row embedding
    ("bart", {**_S2S, "hidden_size": 32}),  # transformers' attribute_map: hidden_size is d_model, and wins
    ("trocr", {**_S2S, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2}),
    ("xlm", {"emb_dim": 64, "hidden_size": 32, "n_layers": 2, "n_heads": 4, "vocab_size": 500, "n_words": 700}),
    ("prophetnet", {"hidden_size": 64, "num_decoder_layers": 2, "num_decoder_attention_heads": 4,
                    "decoder_ffn_dim": 96, "vocab_size": 1000, "add_cross_attention": False, "ngram": 3,
                    "num_buckets": 8, "tie_word_embeddings": False}),
    ("xlm", {"emb_dim": 64, "n_layers": 2, "n_heads": 4, "n_langs": 3, "tie_word_embeddings": False}),
    ("xlm", {"emb_dim": 64, "n_layers": 2, "n_heads": 4, "vocab_size": 1000, "asm": True, "asm_cutoffs": [100, 400],
             "asm_div_value": 4.0}),
    ("xlnet", {"d_model": 64, "n_layer": 2, "n_head": 4, "d_head": 16, "d_inner": 96, "tie_word_embeddings": False}),
    ("xlnet", {"d_model": 64, "n_layer": 2, "n_head": 4, "d_head": 16, "d_inner": 96, "n_token": 1000}),
]


@pytest.mark.parametrize("model_type,overrides", CASES, ids=[f"{mt}-{i}" for i, (mt, _) in enumerate(CASES)])
def test_count_equals_the_causal_lm_transformers_builds(model_type, overrides):
    cfg = {**default_config(model_type), **overrides}
    m = vl.load_model(cfg)
    assert m.exact and m.model_type == model_type
    assert m.param_count() == meta_param_count(cfg), (model_type, overrides, m.param_breakdown())
    assert sum(m.param_breakdown().values()) == m.param_count()


@pytest.mark.parametrize("model_type", sorted(encoders.FAMILIES))
def test_default_config_is_exact_and_its_cache_refused(model_type):
    m = vl.load_model(default_config(model_type))
    assert m.param_count() == default_meta_param_count(model_type)
    for figure in (lambda: vl.kv_cache_bytes(m, 1024), lambda: vl.kv_bytes_per_token(m),
                   lambda: m.kv_elements_per_token_per_layer, lambda: m.state_elements_per_sequence):
        with pytest.raises(vl.VramlabError, match="decoder-only LLMs") as err:
            figure()
        assert err.value.field == "model" and model_type in str(err.value)


def test_every_not_decoder_type_is_counted():
    assert vl.families.NOT_DECODERS <= set(encoders.FAMILIES)
    assert not set(encoders.FAMILIES) & set(encoders.UNMODELLED)


@pytest.mark.parametrize("model_type,overrides,field", [
    ("bert", {"add_cross_attention": True, "is_decoder": False}, "add_cross_attention"),
    ("xlm", {"is_encoder": False}, "is_encoder"),
    ("xlm", {"asm": True, "asm_cutoffs": [], "asm_div_value": 4.0}, "asm_cutoffs"),
    ("bart", {"decoder_layers": None}, "decoder_layers"),
])
def test_configs_transformers_cannot_build_are_refused(model_type, overrides, field):
    cfg = {**default_config(model_type), **overrides}
    with pytest.raises(vl.VramlabError) as err:
        vl.load_model(cfg).param_count()
    assert err.value.field == field
    with pytest.raises(Exception):  # noqa: B017 - transformers' own error, whatever its type
        meta_param_count(cfg)


def test_the_command_line_counts_and_refuses_the_cache_in_one_line(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(default_config("bart")))
    assert cli.main(["params", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == default_meta_param_count("bart")
    assert cli.main(["estimate", str(path), "--tokens", "4096"]) == 2
    out, err = capsys.readouterr()
    assert not out and len(err.strip().splitlines()) == 1 and "decoder of an encoder-decoder model" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("arch", ["DistilBertForMaskedLM", "BlenderbotSmallForConditionalGeneration"])
def test_a_config_without_model_type_is_not_guessed_into_an_encoder_family(arch):
    # "bert" and "blenderbot" are inside other families' class names: guessing would miscount them
    cfg = {"architectures": [arch], **_BERT}
    with pytest.raises(vl.VramlabError, match="model_type") as err:
        vl.load_model(cfg)
    assert err.value.field == "model_type"
