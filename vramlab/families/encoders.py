"""Family table: Encoder-only and encoder-decoder models, counted as transformers' causal-LM class builds them.

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device.

The causal-LM class of an encoder-only family (``BertLMHeadModel``, ``RobertaForCausalLM``, ...) is the
encoder stack with its masked-LM head; that of an encoder-decoder family (``BartForCausalLM``, ...) is
the decoder alone, cross-attention blocks included. vramlab counts their parameters exactly but sizes
the KV cache of decoder-only LLMs only: their caches are refused (``cache_refusal``).

>>> import vramlab as vl
>>> m = vl.load_model({"model_type": "bert", "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12,
...                    "num_attention_heads": 12, "intermediate_size": 3072})
>>> f"{m.param_count():,}"
'109,514,298'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import VramlabError, show
from ..fields import FIELDS
from .family import Family, config_int

__all__ = ["FAMILIES", "ALIASES", "UNMODELLED"]

_ENCODER_CACHE = ("it is an encoder-only model run as a causal LM; vramlab sizes the KV cache of decoder-only LLMs "
                  "(an encoder's cache and the cross-attention cache of its decoder configuration are not modelled)")
_DECODER_CACHE = ("it is the decoder of an encoder-decoder model; vramlab sizes the KV cache of decoder-only LLMs "
                  "(the cross-attention cache over the encoder's output is not modelled)")
_XLNET_CACHE = ("it is a permutation LM whose cache is a memory of past segments (mems); vramlab sizes the KV "
                "cache of decoder-only LLMs")


def _get(cfg: Mapping[str, Any], key: str, default: Any = None) -> Any:
    v = cfg.get(key)
    return default if v is None else v


def _int(cfg: Mapping[str, Any], key: str, model_type: str, default: Any = None) -> int:
    """A non-negative integer field (its transformers default when absent), else a VramlabError."""
    return config_int({key: _get(cfg, key, default)}, key, model_type=model_type)


def _ln(width: int) -> int:
    """A LayerNorm with weight and bias."""
    return 2 * width


# -- encoder-only stacks (BERT and its descendants) -----------------------------------------------
@dataclass(frozen=True)
class _Stack:
    """How one BERT-like causal-LM class builds its encoder and head.

    Attributes
    ----------
    embed_key : str
        Config key of the token-embedding width ("" for hidden_size); a Linear maps it to hidden_size
        when the two differ (ELECTRA, RoFormer ``embeddings_project``; RemBERT's
        ``embedding_hidden_mapping_in`` always).
    head_key : str
        Config key of the head's width ("" for the embedding width): dense h -> width, LayerNorm, decoder
        width -> V with a V bias. ``head`` ``"plain"``: only the decoder h -> V and its bias (BertGeneration).
    positions : str
        ``"learned"`` (``max_position_embeddings`` rows of the embedding width), ``"rotary"`` (RoFormer's
        sinusoidal table, a parameter of ``max_position_embeddings`` x head width).
    token_types, embed_norm, pooler : bool
        ``type_vocab_size`` segment embeddings; a LayerNorm over the embeddings; BigBird's pooler (h -> h).
    final_norm : str
        ``"never"``, ``"always"`` (pre-LN stacks: Megatron-BERT, XLM-R-XL, RoBERTa-PreLN) or a config field
        (X-MOD ``pre_norm``): a LayerNorm after the last layer.
    qkv_bias : str
        ``"always"`` or a config field (BigBird ``use_bias``).
    always_mapped : bool
        The embedding -> hidden Linear exists even when the widths agree (RemBERT).
    split_bias : bool
        The head keeps a ``bias`` parameter of its own, shared with the decoder's bias only while the
        embeddings are tied (BERT's ``cls.predictions.bias``; ELECTRA and RemBERT have the decoder's only).
    tied : bool
        The decoder can share the token embeddings (RemBERT's never does: no ``_tied_weights_keys``).
    """

    embed_key: str = ""
    head_key: str = ""
    head: str = "transform"
    positions: str = "learned"
    token_types: bool = True
    embed_norm: bool = True
    pooler: bool = False
    final_norm: str = "never"
    qkv_bias: str = "always"
    always_mapped: bool = False
    split_bias: bool = True
    tied: bool = True


def _switch(cfg: Mapping[str, Any], rule: str) -> bool:
    return rule == "always" or (rule != "never" and bool(cfg.get(rule)))


def _attention_block(h: int, kv_in: int, qkv_bias: bool) -> tuple[int, int]:
    """(weights, biases) of q, k, v, o: queries and the output over h, keys and values read ``kv_in``."""
    return 2 * h * h + 2 * kv_in * h, h + (h + 2 * h) * qkv_bias


def _cross_attention(cfg: Mapping[str, Any], model_type: str) -> bool:
    """BERT-like layers carry a cross-attention block when ``add_cross_attention`` (decoders only)."""
    if not cfg.get("add_cross_attention"):
        return False
    if not cfg.get("is_decoder"):
        raise VramlabError(f"config of {model_type!r} sets add_cross_attention without is_decoder; transformers "
                           "refuses to build such layers (valid: is_decoder true, or add_cross_attention false)",
                           field="add_cross_attention")
    return True


def _stack_rule(s: _Stack):
    """The ``param_rule`` of a BERT-like family (transformers 5.24 modeling_bert.py and its copies)."""

    def rule(m: Any, c: Any, std: Any) -> None:
        cfg, mt = m.config, m.model_type
        h, L, V, inner = m.hidden_size, m.num_layers, m.vocab_size, m.intermediate_size
        e = _int(cfg, s.embed_key, mt, h) if s.embed_key else h
        c["embeddings"] += V * e
        if s.positions == "learned":
            c["embeddings"] += _int(cfg, "max_position_embeddings", mt) * e
        else:  # RoFormer: RoFormerSinusoidalPositionalEmbedding(max_position_embeddings, hidden / heads)
            c["embeddings"] += _int(cfg, "max_position_embeddings", mt) * (h // m.num_q_heads)
        if s.token_types:
            c["embeddings"] += _int(cfg, "type_vocab_size", mt) * e
        c["norms"] += _ln(e) * s.embed_norm
        if s.always_mapped or e != h:
            c["embeddings"] += e * h  # outside the layers: weight-only formats keep it 16-bit
            c["biases"] += h
        cross = _cross_attention(cfg, mt)
        w, b = _attention_block(h, h, _switch(cfg, s.qkv_bias))
        c["attention"] += L * (1 + cross) * w
        c["biases"] += L * ((1 + cross) * b + inner + h)
        c["mlp"] += L * 2 * h * inner
        c["norms"] += L * (2 + cross) * _ln(h) + _ln(h) * _switch(cfg, s.final_norm)
        if s.pooler:  # BigBirdModel(add_pooling_layer=True): outside the layers, kept 16-bit like the head
            c["lm_head"] += h * h
            c["biases"] += h
        _stack_extras(m, c, e)
        out = e if not s.head_key else _int(cfg, s.head_key, mt)
        if s.head == "plain":  # BertGenerationOnlyLMHead: Linear(h, V) and its bias
            out = h
        else:  # dense h -> out, LayerNorm(out)
            c["lm_head"] += h * out
            c["biases"] += out
            c["norms"] += _ln(out)
        tied = s.tied and m.tie_word_embeddings
        c["biases"] += V * (1 + (s.split_bias and not tied))  # the decoder's bias, and the head's own when untied
        if not tied:
            c["lm_head"] += V * out

    return rule


def _stack_extras(m: Any, c: Any, e: int) -> None:
    """Blocks only one family has: ERNIE task embeddings, RoCBert glyph and pinyin inputs, X-MOD adapters."""
    cfg, mt, h, L = m.config, m.model_type, m.hidden_size, m.num_layers
    if mt == "ernie" and cfg.get("use_task_id"):  # modeling_ernie.py ErnieEmbeddings.task_type_embeddings
        c["embeddings"] += _int(cfg, "task_type_vocab_size", mt) * h
    if mt == "roc_bert":  # modeling_roc_bert.py RoCBertEmbeddings
        pron, shape = _int(cfg, "pronunciation_embed_dim", mt), _int(cfg, "shape_embed_dim", mt)
        c["embeddings"] += _int(cfg, "pronunciation_vocab_size", mt) * pron + _int(cfg, "shape_vocab_size", mt) * shape
        if cfg.get("concat_input"):  # map_inputs_layer over the concatenated inputs
            width = h + pron * bool(cfg.get("enable_pronunciation")) + shape * bool(cfg.get("enable_shape"))
            c["embeddings"] += width * h
            c["biases"] += h
    if mt == "xmod":  # modeling_xmod.py XmodOutput: one bottleneck adapter per language, per layer
        langs = cfg.get("languages")
        if not isinstance(langs, (list, tuple)):
            raise VramlabError(f"config field 'languages' of 'xmod' must be a list of language codes, "
                               f"got {show(langs)}", field="languages")
        factor = _int(cfg, "adapter_reduction_factor", mt)
        if factor < 1:
            raise VramlabError("config field 'adapter_reduction_factor' of 'xmod' must be an integer >= 1, got 0",
                               field="adapter_reduction_factor")
        b = h // factor
        c["mlp"] += L * len({str(x) for x in langs}) * 2 * h * b
        c["biases"] += L * len({str(x) for x in langs}) * (b + h)
        c["norms"] += L * _ln(h) * bool(cfg.get("adapter_layer_norm"))


# -- decoders of encoder-decoder models (BART and its descendants) ---------------------------------
@dataclass(frozen=True)
class _Decoder:
    """How one ``<Family>ForCausalLM`` builds its decoder (the ``<Family>Decoder`` of modeling_<family>.py).

    Attributes
    ----------
    positions : str
        Config key of the position table's rows; ``position_offset`` more rows (BART's learned
        positions: 2).
    embed_norm, final_norm : str
        Switch rules (``"always"``, ``"never"`` or a config field): ``layernorm_embedding``, the final
        ``layer_norm``.
    bias : str
        ``"always"`` (q, k, v, o biases), ``"no_k"`` (Whisper: k_proj without bias) or a config field
        (BigBird-Pegasus ``use_bias``) for all four.
    tied : bool
        The output head can share the token embeddings (BigBird-Pegasus's causal LM never does).
    vocab_key : str
        Config key of the decoder's own vocabulary (Marian ``decoder_vocab_size``).
    """

    positions: str = "max_position_embeddings"
    position_offset: int = 0
    embed_norm: str = "never"
    final_norm: str = "never"
    bias: str = "always"
    tied: bool = True
    vocab_key: str = "vocab_size"


def _decoder_rule(d: _Decoder):
    """The ``param_rule`` of a seq2seq decoder (transformers 5.24 modeling_bart.py and its copies)."""

    def rule(m: Any, c: Any, std: Any) -> None:
        cfg, mt = m.config, m.model_type
        h, L, V, inner = m.hidden_size, m.num_layers, m.vocab_size, m.intermediate_size
        V_in = _int(cfg, d.vocab_key, mt, V)
        positions = _int(cfg, d.positions, mt) + d.position_offset
        if mt == "trocr" and not cfg.get("use_learned_position_embeddings", True):
            positions = 0  # TrOCRSinusoidalPositionalEmbedding keeps its table in a buffer, not a parameter
        c["embeddings"] += V_in * h + positions * h
        kv_in = _int(cfg, "cross_attention_hidden_size", mt, h) if mt == "trocr" else h
        on = _switch(cfg, d.bias) if d.bias not in ("always", "no_k") else True
        c["attention"] += L * (4 * h * h + 2 * h * h + 2 * kv_in * h)
        c["biases"] += L * 2 * (4 * h - h * (d.bias == "no_k")) * on
        c["mlp"] += L * 2 * h * inner
        c["biases"] += L * (inner + h)
        c["norms"] += L * 3 * _ln(h) + _ln(h) * (_switch(cfg, d.embed_norm) + _switch(cfg, d.final_norm))
        if not (d.tied and m.tie_word_embeddings):  # tied: the head is the embedding matrix (Marian: V_in rows)
            c["lm_head"] += V * h

    return rule


def _rename(mapping: Mapping[str, str], aliases: tuple[str, ...] = ("hidden_size",)):
    """A ``prepare`` that reads a family's own field names into the standard ones.

    ``mapping`` maps each standard field to the family's field (the decoder's, for an encoder-decoder
    family). A standard field in ``aliases`` is an alias of the family's field in transformers'
    ``attribute_map`` (``hidden_size`` -> ``d_model``) and wins over it, as it does in transformers (set
    last); any other standard field the file carries is replaced, never read (BART: ``num_hidden_layers``
    is the encoder's layers).
    """

    def prepare(cfg: dict) -> None:
        for std, own in mapping.items():
            v = cfg.get(std) if std in aliases and cfg.get(std) is not None else cfg.get(own)
            if v is None:
                raise VramlabError(f"config of {cfg.get('model_type')!r} is missing {own!r} (an integer >= 1)",
                                   field=own)
            cfg[std] = v
        cfg.pop("num_key_value_heads", None)  # Whisper: an alias of encoder_attention_heads

    return prepare


_SEQ2SEQ = {"hidden_size": "d_model", "num_hidden_layers": "decoder_layers", "num_attention_heads":
            "decoder_attention_heads", "intermediate_size": "decoder_ffn_dim"}
_prepare_seq2seq = _rename(_SEQ2SEQ)
#: TrOCR's attribute_map points the standard names at the decoder's fields (configuration_trocr.py).
_prepare_trocr = _rename(_SEQ2SEQ, aliases=("hidden_size", "num_hidden_layers", "num_attention_heads"))
#: ProphetNet: ``hidden_size`` is its own name; the decoder's layers and heads (configuration_prophetnet.py).
_prepare_prophetnet = _rename({"num_hidden_layers": "num_decoder_layers", "num_attention_heads":
                               "num_decoder_attention_heads", "intermediate_size": "decoder_ffn_dim"})


def _prepare_whisper(cfg: dict) -> None:
    """Whisper: the decoder's positions are ``max_target_positions`` (configuration_whisper.py)."""
    _prepare_seq2seq(cfg)
    cfg["max_position_embeddings"] = cfg.get("max_target_positions")


def _prophetnet_rule(m: Any, c: Any, std: Any) -> None:
    """ProphetNetForCausalLM (modeling_prophetnet.py): the n-gram decoder of ProphetNet.

    Word, position and ``ngram`` embeddings, an embedding LayerNorm; per layer the n-gram self-attention
    (q, k, v, o with biases and ``relative_pos_embeddings``: h -> buckets x heads), the cross-attention when
    ``add_cross_attention``, the feed-forward block, three LayerNorms (two without cross-attention).
    """
    cfg, mt = m.config, m.model_type
    h, L, V, inner, heads = m.hidden_size, m.num_layers, m.vocab_size, m.intermediate_size, m.num_q_heads
    c["embeddings"] += V * h + (_int(cfg, "max_position_embeddings", mt) + _int(cfg, "ngram", mt)) * h
    cross = bool(cfg.get("add_cross_attention"))
    buckets = _int(cfg, "num_buckets", mt)
    c["attention"] += L * ((1 + cross) * 4 * h * h + h * buckets * heads)
    c["biases"] += L * ((1 + cross) * 4 * h + buckets * heads + inner + h)
    c["mlp"] += L * 2 * h * inner
    c["norms"] += _ln(h) + L * (2 + cross) * _ln(h)
    if not m.tie_word_embeddings:  # lm_head, and the decoder's word_embeddings beside the wrapper's
        c["lm_head"] += V * h
        c["embeddings"] += V * h


def _prepare_xlm(cfg: dict) -> None:
    """XLM: ``emb_dim``, ``n_layers``, ``n_heads`` (``n_words`` is an alias of vocab_size); the FFN is
    4 x emb_dim wide, as XLMModel derives it (configuration_xlm.py, modeling_xlm.py)."""
    if cfg.get("n_words") is not None:  # an alias of vocab_size; it wins, as in transformers
        cfg["vocab_size"] = cfg["n_words"]
    _rename({"hidden_size": "emb_dim", "num_hidden_layers": "n_layers", "num_attention_heads": "n_heads"},
            aliases=("hidden_size", "num_hidden_layers", "num_attention_heads"))(cfg)
    if isinstance(cfg["hidden_size"], int) and not isinstance(cfg["hidden_size"], bool):
        cfg["intermediate_size"] = 4 * cfg["hidden_size"]
    if cfg.get("is_encoder") is False:
        raise VramlabError("config of 'xlm' sets is_encoder false; transformers builds XLM as an encoder only "
                           "(XLMModel raises NotImplementedError)", field="is_encoder")


def _xlm_rule(m: Any, c: Any, std: Any) -> None:
    """XLMWithLMHeadModel (modeling_xlm.py): positions, language and token embeddings, post-LN layers,
    and ``XLMPredLayer``: a Linear h -> V with bias (tied), or an adaptive softmax when ``asm``."""
    cfg, mt = m.config, m.model_type
    h, L, V = m.hidden_size, m.num_layers, m.vocab_size
    langs = _int(cfg, "n_langs", mt)
    c["embeddings"] += V * h + _int(cfg, "max_position_embeddings", mt) * h
    c["embeddings"] += langs * h * (langs > 1 and bool(cfg.get("use_lang_emb", True)))
    c["norms"] += _ln(h) + L * 2 * _ln(h)
    c["attention"] += L * 4 * h * h
    c["mlp"] += L * 2 * h * 4 * h
    c["biases"] += L * (4 * h + 4 * h + h)
    if not cfg.get("asm"):
        c["biases"] += V
        if not m.tie_word_embeddings:
            c["lm_head"] += V * h
        return
    # nn.AdaptiveLogSoftmaxWithLoss(h, V, asm_cutoffs, div_value=asm_div_value, head_bias=True)
    cutoffs = list(cfg.get("asm_cutoffs") or [])
    div = cfg.get("asm_div_value")
    if not cutoffs or any(not isinstance(x, int) or isinstance(x, bool) for x in cutoffs) or \
            sorted(set(cutoffs)) != cutoffs or cutoffs[0] < 1 or cutoffs[-1] > V - 1:
        raise VramlabError(f"config field 'asm_cutoffs' must be increasing integers between 1 and vocab_size - 1, "
                           f"got {show(cfg.get('asm_cutoffs'))}", field="asm_cutoffs")
    if isinstance(div, bool) or not isinstance(div, (int, float)) or div <= 0:
        raise VramlabError(f"config field 'asm_div_value' must be a number > 0, got {show(div)}", field="asm_div_value")
    bounds = cutoffs + [V]
    head = cutoffs[0] + len(cutoffs)
    c["lm_head"] += h * head
    c["biases"] += head
    for i in range(len(cutoffs)):
        width = int(h // (div ** (i + 1)))
        c["lm_head"] += h * width + width * (bounds[i + 1] - bounds[i])


def _prepare_xlnet(cfg: dict) -> None:
    """XLNet: ``d_model``, ``n_layer``, ``n_head``, ``d_inner``; ``n_token`` is an alias of vocab_size
    (configuration_xlnet.py)."""
    if cfg.get("n_token") is not None:  # an alias of vocab_size; it wins, as in transformers
        cfg["vocab_size"] = cfg["n_token"]
    _rename({"hidden_size": "d_model", "num_hidden_layers": "n_layer", "num_attention_heads": "n_head",
             "intermediate_size": "d_inner"}, aliases=("hidden_size", "num_hidden_layers", "num_attention_heads"))(cfg)


def _xlnet_rule(m: Any, c: Any, std: Any) -> None:
    """XLNetLMHeadModel (modeling_xlnet.py): ``mask_emb``; per layer the relative attention (q, k, v, o, r of
    h x heads x head width, three bias vectors and two segment embeddings per head), the FFN and two
    LayerNorms; ``lm_loss``: Linear h -> V with bias, tied to the embeddings."""
    h, L, V, inner, heads = m.hidden_size, m.num_layers, m.vocab_size, m.intermediate_size, m.num_q_heads
    d = m.head_dim
    c["embeddings"] += V * h + h
    c["attention"] += L * (5 * h * heads * d + 5 * heads * d)
    c["mlp"] += L * 2 * h * inner
    c["biases"] += L * (inner + h) + V
    c["norms"] += L * 2 * _ln(h)
    if not m.tie_word_embeddings:
        c["lm_head"] += V * h


def _filling(own: Mapping[str, Any], then=None):
    """A ``prepare`` that gives absent (or null) fields their transformers default, then runs ``then``."""

    def prepare(cfg: dict) -> None:
        if cfg.get("model_type") is None:  # guessed from ``architectures``: "bert" is in DistilBert, Albert, ...
            raise VramlabError("config has no 'model_type'; vramlab reads encoder and encoder-decoder families only "
                               "by their model_type (its architectures name could be one of several families)",
                               field="model_type")
        for key, value in own.items():
            if cfg.get(key) is None:
                cfg[key] = value
        if then is not None:
            then(cfg)

    return prepare


def _fam(model_type: str, rule, why: str, defaults: Mapping[str, Any], prepare=None) -> Family:
    """A family record; defaults of fields vramlab validates (``FIELDS``) go to the table, the family's own
    fields are filled in by its ``prepare``."""
    table = {k: v for k, v in defaults.items() if k in FIELDS}
    own = {k: v for k, v in defaults.items() if k not in FIELDS}
    return Family(model_type, param_rule=rule, cache_refusal=why, defaults=table, prepare=_filling(own, prepare))


# Defaults: transformers 5.24 configuration_<family>.py (fields that are the same for every member).
_BERT = {"max_position_embeddings": 512, "type_vocab_size": 2, "tie_word_embeddings": True,
         "add_cross_attention": False, "is_decoder": False}
_bert, _pre_ln = _stack_rule(_Stack()), _stack_rule(_Stack(embed_norm=False, final_norm="always"))
_BART = {"tie_word_embeddings": True, "max_position_embeddings": 1024}

FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    # BERT-like encoders: BertLMHeadModel, RobertaForCausalLM and the classes copied from them
    *(_fam(mt, _bert, _ENCODER_CACHE, _BERT) for mt in ("bert", "roberta", "camembert", "xlm-roberta",
                                                         "data2vec-text")),
    _fam("ernie", _bert, _ENCODER_CACHE, {**_BERT, "use_task_id": False, "task_type_vocab_size": 3}),
    _fam("roc_bert", _bert, _ENCODER_CACHE, {
        **_BERT, "pronunciation_vocab_size": 910, "pronunciation_embed_dim": 768, "shape_vocab_size": 24858,
        "shape_embed_dim": 512, "enable_pronunciation": True, "enable_shape": True, "concat_input": True}),
    _fam("xmod", _stack_rule(_Stack(final_norm="pre_norm")), _ENCODER_CACHE, {
        **_BERT, "pre_norm": False, "adapter_reduction_factor": 2, "adapter_layer_norm": False,
        "languages": ("en_XX",)}),
    _fam("big_bird", _stack_rule(_Stack(pooler=True, qkv_bias="use_bias")), _ENCODER_CACHE, {
        **_BERT, "max_position_embeddings": 4096, "use_bias": True}),
    _fam("xlm-roberta-xl", _pre_ln, _ENCODER_CACHE, {**_BERT, "max_position_embeddings": 514, "type_vocab_size": 1}),
    _fam("megatron-bert", _pre_ln, _ENCODER_CACHE, _BERT),
    _fam("roberta-prelayernorm", _stack_rule(_Stack(final_norm="always")), _ENCODER_CACHE, _BERT),
    _fam("electra", _stack_rule(_Stack(embed_key="embedding_size", split_bias=False)), _ENCODER_CACHE, _BERT),
    _fam("roformer", _stack_rule(_Stack(embed_key="embedding_size", positions="rotary")), _ENCODER_CACHE, {
        **_BERT, "max_position_embeddings": 1536}),
    _fam("rembert", _stack_rule(_Stack(embed_key="input_embedding_size", head_key="output_embedding_size",
                                       always_mapped=True, split_bias=False, tied=False)), _ENCODER_CACHE, {
        **_BERT, "tie_word_embeddings": False}),
    _fam("bert-generation", _stack_rule(_Stack(head="plain", token_types=False)), _ENCODER_CACHE, _BERT),
    # seq2seq decoders: BartForCausalLM and its copies (the decoder with cross-attention)
    _fam("bart", _decoder_rule(_Decoder(position_offset=2, embed_norm="always")), _DECODER_CACHE, _BART,
         _prepare_seq2seq),
    # MvpForCausalLM: MvpDecoderWrapper builds MvpDecoder(config) without prompts, whatever use_prompt says
    _fam("mvp", _decoder_rule(_Decoder(position_offset=2, embed_norm="always")), _DECODER_CACHE, _BART,
         _prepare_seq2seq),
    _fam("plbart", _decoder_rule(_Decoder(position_offset=2, embed_norm="always")), _DECODER_CACHE, _BART,
         _prepare_seq2seq),
    _fam("mbart", _decoder_rule(_Decoder(position_offset=2, embed_norm="always", final_norm="always")),
         _DECODER_CACHE, _BART, _prepare_seq2seq),
    _fam("marian", _decoder_rule(_Decoder(vocab_key="decoder_vocab_size")), _DECODER_CACHE, _BART, _prepare_seq2seq),
    _fam("pegasus", _decoder_rule(_Decoder(final_norm="always")), _DECODER_CACHE, _BART, _prepare_seq2seq),
    _fam("blenderbot", _decoder_rule(_Decoder(final_norm="always")), _DECODER_CACHE, {
        **_BART, "max_position_embeddings": 128}, _prepare_seq2seq),
    _fam("blenderbot-small", _decoder_rule(_Decoder(embed_norm="always")), _DECODER_CACHE, {
        **_BART, "max_position_embeddings": 512}, _prepare_seq2seq),
    _fam("bigbird_pegasus", _decoder_rule(_Decoder(embed_norm="always", bias="use_bias", tied=False)),
         _DECODER_CACHE, {**_BART, "max_position_embeddings": 4096, "use_bias": False}, _prepare_seq2seq),
    _fam("trocr", _decoder_rule(_Decoder(position_offset=2, embed_norm="layernorm_embedding")), _DECODER_CACHE, {
        **_BART, "max_position_embeddings": 512, "use_learned_position_embeddings": True,
        "layernorm_embedding": True}, _prepare_trocr),
    _fam("whisper", _decoder_rule(_Decoder(final_norm="always", bias="no_k")), _DECODER_CACHE, {
        "tie_word_embeddings": True, "dtype": None, "max_target_positions": 448}, _prepare_whisper),
    _fam("prophetnet", _prophetnet_rule, _DECODER_CACHE, {
        "tie_word_embeddings": True, "max_position_embeddings": 512, "add_cross_attention": True, "ngram": 2,
        "num_buckets": 32}, _prepare_prophetnet),
    _fam("xlm", _xlm_rule, _ENCODER_CACHE, {
        "tie_word_embeddings": True, "max_position_embeddings": 512, "n_langs": 1, "use_lang_emb": True,
        "asm": False, "is_encoder": True}, _prepare_xlm),
    _fam("xlnet", _xlnet_rule, _XLNET_CACHE, {"tie_word_embeddings": True, "vocab_size": 32000}, _prepare_xlnet),
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
