"""Mutated preset configs (fields set to garbage, removed, added) and broken config files.

>>> import random
>>> cases = list(config_cases(random.Random(0), 3))
>>> [c.category for c in cases]
['configs', 'configs', 'configs']
"""

from __future__ import annotations

import copy
import json
import os
import random
from pathlib import Path
from typing import Any, Iterator

import vramlab as vl
from vramlab.presets import preset_record

from .core import JSON_GARBAGE, MAX_RESULT, Case, byte_count, check, pick, show

#: Keys some family reads, set on any model (MoE fields on a dense model, MLA fields on Llama ...).
EXTRA_KEYS = [
    "num_experts", "num_experts_per_tok", "moe_intermediate_size", "n_routed_experts", "n_shared_experts",
    "first_k_dense_replace", "moe_layer_freq", "kv_lora_rank", "q_lora_rank", "qk_rope_head_dim",
    "qk_nope_head_dim", "v_head_dim", "sliding_window", "sliding_window_pattern", "layer_types",
    "use_sliding_window", "max_window_layers", "head_dim", "partial_rotary_factor", "rope_scaling",
    "quantization_config", "torch_dtype", "dtype", "text_config", "tie_word_embeddings", "num_local_experts",
    "attention_bias", "mlp_bias", "multi_query", "new_decoder_architecture", "parallel_attn", "bias",
    "mlp_only_layers", "decoder_sparse_step", "model_type", "architectures", "num_key_value_heads",
    "max_position_embeddings", "intermediate_size", "hidden_size", "vocab_size", "num_hidden_layers",
    "num_attention_heads", "attention_chunk_size", "no_rope_layers", "linear_num_key_heads", "zzz_unknown",
]


def use(cfg: Any) -> dict[str, Any]:
    """Load a config and run everything that reads it; return the figures to check."""
    m = vl.load_model(cfg)
    parts = m.param_breakdown()
    e1 = vl.estimate(m, tokens=100, concurrency=2)
    e2 = vl.estimate(m, tokens=5000, concurrency=2)
    return {"parts": parts, "params": m.param_count(), "active": m.active_param_count(), "e1": e1, "e2": e2,
            "kv_tok": vl.kv_bytes_per_token(m, "fp8", context=50), "w4": vl.weights_bytes(m, "int4"),
            "layers": m.num_layers}


#: Exact integers may be huge for absurd (but valid) configs; they must stay exact ints.
HUGE = MAX_RESULT


def verify_use(r: dict[str, Any]) -> None:
    for k, v in r["parts"].items():
        byte_count(f"param_breakdown[{k}]", v, maximum=HUGE)
    check(sum(r["parts"].values()) == r["params"], "param_count != sum of param_breakdown")
    check(1 <= r["params"] <= HUGE, f"param_count {r['params']}")
    check(0 <= r["active"] <= r["params"], f"active {r['active']} outside [0, {r['params']}]")
    for e in (r["e1"], r["e2"]):
        for k, v in e.parts().items():
            byte_count(f"estimate.{k}", v, maximum=HUGE)
        check(e.total == sum(e.parts().values()), "estimate total != sum of parts")
    check(r["e2"].kv_cache >= r["e1"].kv_cache and r["e2"].total >= r["e1"].total, "estimate not monotone in tokens")
    byte_count("kv_bytes_per_token", r["kv_tok"], maximum=HUGE)
    byte_count("weights_bytes", r["w4"], maximum=HUGE)


def _text(cfg: dict) -> dict:
    return cfg["text_config"] if isinstance(cfg.get("text_config"), dict) else cfg


def mutate(rng: random.Random, cfg: dict) -> tuple[dict, str]:
    """One to three mutations of ``cfg`` (in place); a description for the label."""
    done = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        target = _text(cfg) if rng.random() < 0.8 else cfg
        r = rng.random()
        if r < 0.5 and target:
            key = rng.choice(sorted(target))
            target[key] = pick(rng, JSON_GARBAGE)
            done.append(f"{key}={show(target[key])}")
        elif r < 0.65 and target:
            key = rng.choice(sorted(target))
            del target[key]
            done.append(f"del {key}")
        elif r < 0.85:
            key = rng.choice(EXTRA_KEYS)
            target[key] = pick(rng, JSON_GARBAGE)
            done.append(f"+{key}={show(target[key])}")
        elif r < 0.95:  # inside a nested object: rope_scaling, quantization_config, text_config ...
            nested = [k for k, v in target.items() if isinstance(v, dict)]
            if nested:
                key = rng.choice(nested)
                inner = target[key]
                sub = rng.choice(sorted(map(str, inner)) + ["type", "factor", "quant_method", "bits", "zzz"])
                inner[sub] = pick(rng, JSON_GARBAGE)
                done.append(f"{key}.{sub}={show(inner[sub])}")
            else:
                target["rope_scaling"] = {"rope_type": rng.choice(["yarn", "linear", "llama3", "dynamic", "x"]),
                                          "factor": pick(rng, JSON_GARBAGE)}
                done.append(f"+rope_scaling={show(target['rope_scaling'])}")
        else:  # a plausible but wrong number
            ints = [k for k, v in target.items() if isinstance(v, int) and not isinstance(v, bool)]
            if ints:
                key = rng.choice(ints)
                target[key] = rng.choice([target[key] + 1, target[key] * 3, target[key] // 2, 1, 10**9])
                done.append(f"{key}={target[key]}")
    return cfg, "; ".join(done)


def config_cases(rng: random.Random, n: int) -> Iterator[Case]:
    """``n`` mutated presets, round-robin over every shipped model."""
    ids = vl.list_models()
    base = {i: preset_record(i)["config"] for i in ids}
    for k in range(n):
        model_id = ids[k % len(ids)]
        cfg, what = mutate(rng, copy.deepcopy(base[model_id]))
        yield Case("configs", f"{model_id}: {what}", lambda cfg=cfg: use(cfg), verify_use)


def structural_cases() -> Iterator[Case]:
    """Configs no JSON file holds but a dict can: cycles, long text_config chains, odd keys, sizes."""
    for model_id in vl.list_models():
        base = preset_record(model_id)["config"]
        variants: list[tuple[str, Any]] = []
        c = copy.deepcopy(base)
        c["text_config"] = c
        variants.append(("text_config is itself", c))
        c = copy.deepcopy(base)
        c["rope_scaling"] = c
        variants.append(("rope_scaling is the config", c))
        c = copy.deepcopy(base)
        for _ in range(2000):
            c = {"model_type": "gemma3", "text_config": c}
        variants.append(("2000 nested text_config", c))
        c = copy.deepcopy(base)
        c.update({5: 1, None: 2, ("a",): 3, "": 4})
        variants.append(("keys that are not strings", c))
        for key in ("num_hidden_layers", "hidden_size", "vocab_size", "intermediate_size"):
            variants.append((f"{key}=10**7", dict(base, **{key: 10**7})))
        variants.append(("layer_types of 10**5", dict(base, num_hidden_layers=10**5,
                                                       layer_types=["full_attention"] * 10**5)))
        variants.append(("mlp_only_layers of 10**5", dict(base, mlp_only_layers=list(range(10**5)))))
        variants.append(("empty", {}))
        variants.append(("only model_type", {"model_type": base.get("model_type")}))
        for what, cfg in variants:
            yield Case("configs", f"{model_id}: {what}", lambda cfg=cfg: use(cfg), verify_use)


def broken_files(root: Path) -> list[tuple[str, Path]]:
    """Broken config files and folders under ``root``: (description, path)."""
    root.mkdir(parents=True, exist_ok=True)
    good = json.dumps(preset_record("Qwen/Qwen3-8B")["config"])
    specs: list[tuple[str, bytes | None]] = [
        ("empty", b""), ("whitespace", b"   \n\t"), ("binary", bytes(range(256)) * 4),
        ("utf-16", good.encode("utf-16")), ("bom", b"\xef\xbb\xbf" + good.encode()),
        ("latin-1", '{"model_type": "llama\xe9"}'.encode("latin-1")), ("truncated", good[: len(good) // 2].encode()),
        ("list", b"[1, 2, 3]"), ("string", b'"config"'), ("null", b"null"), ("number", b"42"),
        ("huge int", ('{"num_hidden_layers": ' + "9" * 5000 + "}").encode()),
        ("huge float", b'{"num_hidden_layers": 1e400}'),
        ("deep", ("[" * 100_000 + "]" * 100_000).encode()),
        ("deep object", ('{"a":' * 50_000 + "1" + "}" * 50_000).encode()),
        ("NaN", good.replace('"hidden_size": 4096', '"hidden_size": NaN').encode()),
        ("duplicate keys", good[:-1].encode() + b', "hidden_size": "x"}'),
        ("null byte", good.encode().replace(b'"', b'\x00"', 1)), ("big", b" " * 5_000_000 + good.encode()),
        ("empty object", b"{}"), ("nested garbage", b'{"text_config": {"text_config": {"text_config": 5}}}'),
    ]
    out = []
    for i, (what, data) in enumerate(specs):
        p = root / f"f{i}" / "config.json"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
        out.append((what, p))
        out.append((what + " (folder)", p.parent))
    d = root / "dir_named_config.json" / "config.json"
    d.mkdir(parents=True, exist_ok=True)
    out.append(("directory named config.json", d))
    out.append(("folder without config.json", root / "dir_named_config.json" / "config.json" / ".."))
    (root / "empty_dir").mkdir(exist_ok=True)
    out.append(("empty folder", root / "empty_dir"))
    loop = root / "loop.json"
    if not loop.is_symlink():
        try:
            os.symlink(loop, loop)
        except OSError:
            pass
    out.append(("symlink loop", loop))
    out.append(("missing", root / "nope" / "config.json"))
    fifo = root / "fifo.json"
    if hasattr(os, "mkfifo") and not fifo.exists():
        os.mkfifo(fifo)
    if fifo.exists():
        out.append(("fifo (would block a reader)", fifo))
    out.append(("long name", root / ("a" * 300)))
    out.append(("deep path", Path("/".join(["d"] * 3000))))
    return out


def file_cases(root: Path) -> Iterator[Case]:
    """Each broken file through load_model (as a Path and a str) and read_config_file."""
    from vramlab.spec import read_config_file

    for what, p in broken_files(root):
        for form in (p, str(p)):
            yield Case("files", f"load_model({what}: {show(str(form))})", lambda f=form: use(f), verify_use)
        yield Case("files", f"read_config_file({what})", lambda p=p: read_config_file(p),
                   lambda d: check(isinstance(d, dict), "not a dict"))
