"""The shipped vLLM start-up logs (``data/vllm_logs_calibration.csv``) and what vramlab makes of them.

Each row of the CSV is one logged vLLM start-up (model, GPU, settings and every memory
figure the log printed, with its source URL). This module reads them
(:func:`load_vllm_calibration`), writes each row back as log lines
(:func:`calibration_log`, which :func:`vramlab.explain_vllm_log` reads), sets every row beside
:func:`vramlab.serving.kv_pool` (:func:`calibration_table`) and beside the rules of thumb
(:func:`measured_overheads`). The constants fitted to these rows live in
:mod:`vramlab.serving` (:data:`vramlab.serving.ENGINES` names its rows).

>>> df = calibration_table()
>>> sorted(df.row_id)[:4]
[1, 2, 15, 16]
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

from .errors import VramlabError, check_int
from .memory import DEFAULT_FRAMEWORK_BYTES, activation_bytes, kv_cache_bytes
from .overheads import RULE_HIGH, RULE_LOW
from .presets import list_models, load_model, preset_record
from .engines import engine_line, parse_version
from .serving import default_batching, kv_pool
from .spec import ModelSpec
from .units import GiB, from_unit, to_unit

__all__ = ["VLLM_PROFILE_TOKENS", "VLLM_PROFILE_SEQS", "CALIBRATION_PRESETS", "EXTRA_CONFIGS", "logged_model",
           "load_vllm_calibration", "VRAMLAB_COLUMNS", "row_pool", "row_uses",
           "calibration_table", "calibration_log", "measured_overheads"]

#: Tokens and sequences vLLM's start-up profile run uses on an 80 GB-class GPU when started
#: with ``vllm serve`` (defaults of ``max_num_batched_tokens`` and ``max_num_seqs``,
#: :func:`vramlab.serving.default_batching`): the forward pass covers 8192 tokens, the
#: sampler 1024 sequences.
VLLM_PROFILE_TOKENS, VLLM_PROFILE_SEQS = default_batching(80 * GiB)

#: Calibration-log models whose config equals a shipped preset's in every field vramlab uses
#: (instruction-tuned and base checkpoints share the architecture).
CALIBRATION_PRESETS = {"google/gemma-2-9b-it": "google/gemma-2-9b"}

#: Longest model id vramlab looks up (a Hugging Face id is at most 96 + 1 + 96 characters).
_MAX_MODEL_ID = 256

#: Configs of models in the calibration logs that are not shipped presets (real config.json
#: fields of https://huggingface.co/deepseek-ai/DeepSeek-V2-Lite-Chat and
#: https://huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-14B, the Qwen2.5-14B
#: architecture, needed to explain those logs). Instruction-tuned variants that share a preset's architecture resolve to that
#: preset (:func:`logged_model`).
EXTRA_CONFIGS: dict[str, dict[str, Any]] = {
    "deepseek-ai/DeepSeek-V2-Lite-Chat": {
        "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2",
        "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
        "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16,
        "q_lora_rank": None, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
        "v_head_dim": 128, "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6,
        "first_k_dense_replace": 1, "moe_layer_freq": 1, "norm_topk_prob": False,
        "vocab_size": 102400, "tie_word_embeddings": False, "max_position_embeddings": 163840,
        "rope_theta": 10000, "rope_scaling": {"type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1,
                                              "mscale": 0.707, "mscale_all_dim": 0.707,
                                              "original_max_position_embeddings": 4096},
        "torch_dtype": "bfloat16",
    },
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 5120,
        "intermediate_size": 13824, "num_hidden_layers": 48, "num_attention_heads": 40, "num_key_value_heads": 8,
        "vocab_size": 152064, "max_position_embeddings": 131072, "rope_theta": 1000000.0, "rms_norm_eps": 1e-05,
        "tie_word_embeddings": False, "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 48,
        "torch_dtype": "bfloat16",
    },
}

#: Suffixes of instruction-tuned ids whose base checkpoint is a preset with the same architecture.
_TUNED_SUFFIXES = ("-it", "-Instruct", "-Chat", "-chat", "-instruct")


def logged_model(name: str) -> ModelSpec:
    """The model a vLLM log or a calibration row names, looked up by its id only.

    :data:`EXTRA_CONFIGS`, then :data:`CALIBRATION_PRESETS`, then a shipped preset id, then
    the base preset of an instruction-tuned id (``google/gemma-2-9b-it`` →
    ``google/gemma-2-9b``). A name read from a log is never opened as a path: pass a
    config.json to :func:`vramlab.load_model` yourself for a model vramlab does not ship.

    >>> logged_model("deepseek-ai/DeepSeek-V2-Lite-Chat").kv_lora_rank
    512
    >>> logged_model("google/gemma-2-9b-it").name
    'google/gemma-2-9b'
    >>> logged_model("/etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: model '/etc/passwd' is not a preset...
    """
    if not isinstance(name, str):
        raise VramlabError(f"model must be a model id such as 'Qwen/Qwen3-8B', got {type(name).__name__}",
                           field="model")
    if len(name) > _MAX_MODEL_ID:
        raise VramlabError(f"model id has {len(name):,} characters; valid: at most {_MAX_MODEL_ID}", field="model")
    if name in EXTRA_CONFIGS:
        return load_model(EXTRA_CONFIGS[name], name=name)
    try:
        return load_model(preset_record(CALIBRATION_PRESETS.get(name, name))["id"])
    except VramlabError:
        for suffix in _TUNED_SUFFIXES:
            if name.endswith(suffix):
                try:
                    return load_model(preset_record(name[: -len(suffix)])["id"])
                except VramlabError:
                    pass
        raise


def _row_value(r: Mapping[str, Any], key: str) -> Any:
    v = r.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def load_vllm_calibration():
    """The shipped vLLM start-up figures (``data/vllm_logs_calibration.csv``) as a DataFrame.

    One row per logged start-up; sizes are in GiB as vLLM prints them (``weights_value``
    in ``weights_unit_as_printed``).

    >>> df = load_vllm_calibration()
    >>> {"non_torch_memory_gib", "activation_peak_gib", "cuda_graph_capture_gib"} <= set(df.columns)
    True
    """
    from importlib import resources

    import pandas as pd

    with resources.files("vramlab").joinpath("data", "vllm_logs_calibration.csv").open("r", encoding="utf-8") as f:
        return pd.read_csv(f)


def measured_overheads(batched_tokens: int = VLLM_PROFILE_TOKENS, sequences: int = VLLM_PROFILE_SEQS,
                       framework_bytes: int = DEFAULT_FRAMEWORK_BYTES):
    """Per GPU: vLLM's measured overhead next to the explicit model and the 5-20 % rule (GiB).

    Rows are the calibration logs that print all three overhead figures. Measured overhead =
    non-torch memory (CUDA context, NCCL) + activation peak of the profile run + CUDA-graph
    capture. The explicit model is ``activation_bytes(model, batched_tokens, sequences)`` +
    ``framework_bytes``. The rule's base is the logged weights plus the KV cache of one
    ``max_model_len`` sequence, per GPU (divided by the tensor-parallel size). Models with no
    shipped preset get NaN in the model columns. ``rule vs measured`` says whether the
    measured overhead lies below, within or above the 5-20 % band.

    Examples
    --------
    >>> df = measured_overheads()
    >>> r = df[df.row_id == 22].iloc[0]       # Llama-3.1-8B, one H100
    >>> print(r["measured (GiB)"])
    3.05
    """
    batched_tokens = check_int("batched_tokens", batched_tokens, minimum=1, maximum=10**8)
    sequences = check_int("sequences", sequences, minimum=0, maximum=10**7)
    framework_bytes = check_int("framework_bytes", framework_bytes, minimum=0)
    import pandas as pd

    df = load_vllm_calibration()
    cols = ["non_torch_memory_gib", "activation_peak_gib", "cuda_graph_capture_gib"]
    df = df.dropna(subset=cols)
    presets = set(list_models())
    rows = []
    for r in df.itertuples(index=False):
        preset = CALIBRATION_PRESETS.get(r.model, r.model)
        tp = int(r.tensor_parallel_size)
        weights = from_unit(float(r.weights_value), str(r.weights_unit_as_printed))
        row = {
            "row_id": int(r.row_id), "model": r.model, "gpu": r.gpu, "tp": tp,
            "max_model_len": int(r.max_model_len),
            "weights (GiB)": to_unit(weights, "GiB"),
            "non-torch (GiB)": float(r.non_torch_memory_gib),
            "activation peak (GiB)": float(r.activation_peak_gib),
            "CUDA graphs (GiB)": float(r.cuda_graph_capture_gib),
        }
        row["measured (GiB)"] = round(sum(float(getattr(r, c)) for c in cols), 2)
        if preset in presets:
            m = load_model(preset)
            act = activation_bytes(m, batched_tokens, sequences)
            kv_dtype = r.kv_cache_dtype if isinstance(r.kv_cache_dtype, str) else "auto"
            kv = kv_cache_bytes(m, int(r.max_model_len), 1, kv_dtype) // tp
            row["model activations (GiB)"] = to_unit(act, "GiB")
            row["model overhead (GiB)"] = to_unit(act + framework_bytes, "GiB")
            low, high = round((weights + kv) * RULE_LOW), round((weights + kv) * RULE_HIGH)
            row["5 % rule (GiB)"] = to_unit(low, "GiB")
            row["20 % rule (GiB)"] = to_unit(high, "GiB")
            measured = from_unit(row["measured (GiB)"], "GiB")
            row["rule vs measured"] = ("rule undershoots" if high < measured else
                                       "rule overshoots" if low > measured else "within 5-20 %")
        else:
            for k in ("model activations (GiB)", "model overhead (GiB)", "5 % rule (GiB)", "20 % rule (GiB)"):
                row[k] = float("nan")
            row["rule vs measured"] = "no preset"
        rows.append(row)
    return pd.DataFrame(rows).round(2)


#: Columns the calibration CSV adds to the logged figures: how vramlab uses each row
#: (``fit``: a fitted constant names it; ``check``: predicted, nothing fitted to it;
#: ``figures: why``: not comparable), the model and weight format it predicts the row with,
#: the catalog GPU, the vLLM release (or line) of the row, and the sampler the row's own log
#: names (``flashinfer: where the log says so``; empty: the line's default).
VRAMLAB_COLUMNS = ("vramlab_use", "vramlab_model", "vramlab_weight_dtype", "vramlab_gpu", "vramlab_engine",
                   "vramlab_sampler")


def row_pool(r: Mapping[str, Any], engine: Any = None):
    """:func:`vramlab.serving.kv_pool` with the settings of one calibration row (a dict of the CSV).

    ``engine`` overrides the row's release (e.g. an :class:`~vramlab.engines.EngineLine` whose
    fitted constants leave the row's version out).

    >>> r = load_vllm_calibration().set_index("row_id", drop=False).loc[22].to_dict()
    >>> row_pool(r).tokens                          # the log: 476,016
    475760
    """
    v = lambda k: _row_value(r, k)  # noqa: E731
    total = v("total_gpu_memory_gib")
    return kv_pool(logged_model(v("vramlab_model")), gpu=v("vramlab_gpu"),
                   gpu_memory_utilization=float(v("gpu_memory_utilization") or 0.9),
                   tensor_parallel=int(v("tensor_parallel_size") or 1), weight_dtype=v("vramlab_weight_dtype"),
                   kv_dtype=v("kv_cache_dtype") or "auto", max_model_len=int(v("max_model_len")),
                   total_memory_gib=None if total is None else float(total),
                   engine=engine if engine is not None else str(v("vramlab_engine")), dtype=v("dtype") or "auto",
                   flashinfer_sampler=str(v("vramlab_sampler") or "").startswith("flashinfer"))


def row_uses():
    """Every row of the CSV: how vramlab uses it (``fit``, ``check`` or ``figures``) and why.

    >>> u = row_uses()
    >>> len(u) == len(load_vllm_calibration()), sorted(set(u.use))
    (True, ['check', 'figures', 'fit'])
    """
    import pandas as pd

    out = []
    for r in load_vllm_calibration().to_dict("records"):
        text = str(_row_value(r, "vramlab_use") or "figures: no vramlab_use given")
        kind = re.match(r"[a-z]*", text).group(0)
        why = text[len(kind):].strip(" :()") or ("a fitted constant names it" if kind == "fit" else
                                                 "predicted; no constant was fitted to it")
        sampler = str(_row_value(r, "vramlab_sampler") or "")
        if sampler:
            why += f"; sampler {sampler.split(':', 1)[0]} (from the row's log)"
        out.append({"row_id": int(r["row_id"]), "use": kind, "model": str(r["model"]),
                    "version": str(_row_value(r, "vramlab_engine") or _row_value(r, "engine_version") or "-"),
                    "why": why})
    return pd.DataFrame(out)


def _logged_weights(r: Mapping[str, Any]) -> float:
    """Logged weights in GiB: V0 printed GiB under the label "GB"."""
    return float(r["weights_value"])


def calibration_table(use: tuple[str, ...] = ("fit", "check"), leave_version_out: bool = False):
    """Calibration rows whose pool vramlab can predict, logged figures beside :func:`row_pool`'s.

    Columns ``*_logged`` / ``*_pred`` for weights (GiB), KV memory (GiB), tokens and max
    concurrency, their ``*_err_%`` (prediction − logged, relative; NaN where the log does
    not print the figure), ``pool_err_%`` (the KV memory's error, or the tokens' where the log
    prints no usable KV memory) and ``use`` (``fit`` or ``check``). ``leave_version_out=True``
    predicts every row with the fitted constants of its own release line swapped for their
    stand-ins (:func:`vramlab.engines.without_rows_of`): the leave-one-version-out error.

    >>> df = calibration_table()
    >>> sorted(set(df.use)), bool((df[df.use == "fit"]["kv_err_%"].abs() < 1).all())
    (['check', 'fit'], True)
    """
    import pandas as pd

    from .engines import without_rows_of

    df = load_vllm_calibration()
    out = []
    for r in df.to_dict("records"):
        kind = re.match(r"[a-z]*", str(_row_value(r, "vramlab_use") or "")).group(0)
        if kind not in use:
            continue
        line = engine_line(str(r["vramlab_engine"]))
        p = row_pool(r, without_rows_of(line, line.name) if leave_version_out else None)
        tokens = _row_value(r, "gpu_kv_cache_tokens")
        if tokens is None and _row_value(r, "num_gpu_blocks") is not None:
            tokens = int(r["num_gpu_blocks"]) * p.block_size
        kv_logged = _row_value(r, "kv_cache_memory_gib")
        if "tokens only" in str(r["vramlab_use"]):
            kv_logged = None
        row = {
            "row_id": int(r["row_id"]), "use": kind, "model": r["vramlab_model"], "gpu": r["vramlab_gpu"],
            "engine": line.name, "version": str(r["vramlab_engine"]), "tp": int(r["tensor_parallel_size"]),
            "kv_dtype": _row_value(r, "kv_cache_dtype") or "auto", "max_model_len": int(r["max_model_len"]),
            "weights_logged": _logged_weights(r), "weights_pred": to_unit(p.weights, "GiB"),
            "activation_logged": _row_value(r, "activation_peak_gib"), "activation_pred": to_unit(p.activation, "GiB"),
            "non_torch_logged": _row_value(r, "non_torch_memory_gib"), "non_torch_pred": to_unit(p.non_torch, "GiB"),
            "kv_logged": kv_logged, "kv_pred": to_unit(p.kv_bytes, "GiB"),
            "tokens_logged": tokens, "tokens_pred": p.tokens,
            "concurrency_logged": _row_value(r, "max_concurrency_x"), "concurrency_pred": p.max_concurrency,
        }
        if row["activation_logged"] is None and _row_value(r, "peak_torch_memory_gib_incl_weights") is not None:
            row["activation_logged"] = float(r["peak_torch_memory_gib_incl_weights"]) - row["weights_logged"]
        for k in ("weights", "kv", "tokens", "concurrency"):
            lg = row[f"{k}_logged"]
            row[f"{k}_err_%"] = float("nan") if lg is None or not float(lg) else \
                100 * (row[f"{k}_pred"] - float(lg)) / float(lg)
        row["pool_err_%"] = row["kv_err_%"] if kv_logged is not None else row["tokens_err_%"]
        out.append(row)
    return pd.DataFrame(out)


def calibration_log(row_id: int) -> str:
    """The start-up lines of one calibration row, rebuilt from its logged figures.

    The CSV keeps the figures, not the logs; this writes them back in the line formats of
    the row's vLLM generation (V1: ``Model loading took ...``, the DEBUG profiling line,
    ``Available KV cache memory``, ``GPU KV cache size``, ``Maximum concurrency``; V0:
    ``Loading model weights took ... GB``, ``Memory profiling results: ...``, ``# GPU blocks``)
    so that :func:`vramlab.explain_vllm_log` can explain every row.

    >>> print(calibration_log(1).splitlines()[1])
    Loading model weights took 14.9888 GB
    """
    import ast

    df = load_vllm_calibration()
    rows = df[df.row_id == row_id].to_dict("records")
    if not rows:
        raise VramlabError(f"row_id {row_id!r} is not in the calibration data; valid: "
                           f"{', '.join(str(i) for i in df.row_id)}", field="row_id")
    r = rows[0]
    v = lambda k: _row_value(r, k)  # noqa: E731
    if str(v("vramlab_use") or "").startswith("figures"):
        raise VramlabError(f"row_id {row_id} is kept for its figures only ({v('vramlab_use')[9:]}); valid: rows "
                           "marked fit or check", field="row_id")
    notes = str(r.get("notes") or "")
    util = float(v("gpu_memory_utilization") or 0.9)
    args = {"model": r["model"], "max_model_len": int(r["max_model_len"]), "gpu_memory_utilization": util}
    if "non-default args: {" in notes:
        lit = notes.split("non-default args: ", 1)[1]
        args = ast.literal_eval(lit[: lit.index("}") + 1])
    if int(r["tensor_parallel_size"]) > 1:
        args.setdefault("tensor_parallel_size", int(r["tensor_parallel_size"]))
    if v("kv_cache_dtype") not in (None, "auto"):
        args.setdefault("kv_cache_dtype", v("kv_cache_dtype"))
    lines = [f"# rebuilt from calibration row {row_id}: {r['source_url']}"]
    have = lambda *ks: all(v(k) is not None for k in ks)  # noqa: E731
    f = lambda k: float(v(k))  # noqa: E731
    printed = parse_version(str(v("engine_version") or "")) is not None
    if engine_line(str(v("vramlab_engine"))).v1:
        lines += [f"vLLM API server version {str(v('vramlab_engine')).lstrip('v')}", f"non-default args: {args}",
                  f"Model loading took {f('weights_value'):.2f} GiB memory"]
        if have("total_non_kv_memory_gib", "activation_peak_gib", "non_torch_memory_gib"):
            lines.append(f"Memory profiling takes 5.00 seconds. Total non KV cache memory: {f('total_non_kv_memory_gib'):.2f}"
                         f"GiB; torch peak memory increase: {f('activation_peak_gib'):.2f}GiB; non-torch forward increase "
                         f"memory: {f('non_torch_memory_gib'):.2f}GiB; weights memory: {f('weights_value'):.2f}GiB.")
        if have("total_gpu_memory_gib"):
            lines.append(f"Requested memory: {util:.2f} (util), {f('total_gpu_memory_gib') * util:.2f} GiB")
    else:
        lines += [f"Initializing an LLM engine (v{v('vramlab_engine')})"] if printed else []
        lines += [f"Loading model weights took {f('weights_value'):.4f} GB", f"non-default args: {args}"]
        if have("total_gpu_memory_gib", "peak_torch_memory_gib_incl_weights", "non_torch_memory_gib"):
            lines.append(f"Memory profiling results: total_gpu_memory={f('total_gpu_memory_gib'):.2f}GiB, "
                         f"peak_torch_memory={f('peak_torch_memory_gib_incl_weights'):.2f}GiB, "
                         f"non_torch_memory={f('non_torch_memory_gib'):.2f}GiB, "
                         f"kv_cache_size={f('kv_cache_memory_gib'):.2f}GiB, gpu_memory_utilization={util:.2f}")
        elif have("non_torch_memory_gib", "activation_peak_gib"):
            lines.append(f"model weights take {f('weights_value'):.2f}GiB; non_torch_memory takes "
                         f"{f('non_torch_memory_gib'):.2f}GiB; PyTorch activation peak memory takes "
                         f"{f('activation_peak_gib'):.2f}GiB; the rest of the memory reserved for KV Cache is "
                         f"{f('kv_cache_memory_gib'):.2f}GiB.")
        if have("num_gpu_blocks"):
            lines.append(f"# GPU blocks: {int(f('num_gpu_blocks'))}, # CPU blocks: 2048")
    if v1 := engine_line(str(v("vramlab_engine"))).v1:
        if have("kv_cache_memory_gib"):
            lines.append(f"Available KV cache memory: {f('kv_cache_memory_gib'):.2f} GiB")
        if have("gpu_kv_cache_tokens"):
            lines.append(f"GPU KV cache size: {int(f('gpu_kv_cache_tokens')):,} tokens")
    if "failed_start" in str(v("flags") or "") and have("gpu_kv_cache_tokens"):
        lines.append(f"ValueError: The model's max seq len ({int(r['max_model_len'])}) is larger than the maximum "
                     f"number of tokens that can be stored in KV cache ({int(f('gpu_kv_cache_tokens'))}).")
    elif have("max_concurrency_x", "max_concurrency_at_tokens"):
        n = int(f("max_concurrency_at_tokens"))
        lines.append(f"Maximum concurrency for {n:,} tokens per request: {f('max_concurrency_x'):.2f}x" if v1 else
                     f"Maximum concurrency for {n} tokens per request: {f('max_concurrency_x'):.2f}x")
    return "\n".join(lines) + "\n"
