"""Mutated and random vLLM start-up logs through ``vl.explain_vllm_log``.

>>> import random
>>> cases = list(log_cases(random.Random(0), 2))
>>> [c.category for c in cases]
['logs', 'logs']
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path
from typing import Any, Iterator

import vramlab as vl

from .core import Case, check

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vllm_logs"

#: Line shapes the parser knows, with {} where a number goes.
TEMPLATES = [
    "INFO [gpu_model_runner.py] Model loading took {} GiB memory and {} seconds",
    "INFO worker.py:240] Loading model weights took {} GB",
    "INFO [gpu_worker.py] Available KV cache memory: {} GiB",
    "INFO [kv_cache_utils.py] GPU KV cache size: {} tokens",
    "INFO [kv_cache_utils.py] Maximum concurrency for {} tokens per request: {}x",
    "INFO executor_base.py] # GPU blocks: {}, # CPU blocks: {}",
    "INFO worker.py] Memory profiling results: duration={} seconds, total_gpu_memory={}GiB, "
    "initial_memory_usage={}GiB, peak_torch_memory={}GiB, memory_usage_post_profile={}GiB, "
    "non_torch_memory={}GiB, kv_cache_size={}GiB, gpu_memory_utilization={}",
    "INFO worker.py] the current vLLM instance can use total_gpu_memory ({}GiB) x gpu_memory_utilization ({}) = {}GiB",
    "INFO worker.py] model weights take {}GiB; non_torch_memory takes {}GiB; PyTorch activation peak memory takes "
    "{}GiB; the rest of the memory reserved for KV Cache is {}GiB.",
    "DEBUG [gpu_worker.py] Memory profiling takes {} seconds. Total non KV cache memory: {}GiB; torch peak memory "
    "increase: {}GiB; non-torch forward increase memory: {}GiB; weights memory: {}GiB.",
    "DEBUG [gpu_worker.py] Initial free memory: {} GiB; Requested memory: {} (util), {} GiB",
    "INFO [gpu_model_runner.py] Graph capturing finished in {} secs, took {} GiB",
    "ERROR max seq len ({}) is larger than the maximum number of tokens that can be stored in KV cache ({})",
    "INFO [utils.py] non-default args: {{'model': '{}', 'max_model_len': {}, 'gpu_memory_utilization': {}, "
    "'tensor_parallel_size': {}}}",
    "INFO Initializing a V1 LLM engine (v{}) with config: model='{}', max_seq_len={}, tensor_parallel_size={}, "
    "kv_cache_dtype={}, dtype={}",
    "$ vllm serve {} --max-model-len {} --gpu-memory-utilization {} -tp {} --kv-cache-dtype {}",
    "INFO [api_server.py] vLLM API server version {}",
]

#: Numbers as a log could print them -- and as a broken or hostile one could.
NUMBERS = ["0", "0.00", "1", "2", "8", "0.9", "0.95", "1.5", "14.99", "58.11", "79.19", "476,016", "8,192",
           "1952", "99999999999999", "1" + "0" * 305, "9" * 400, "0.000001", "1,2,3", "12.", "-1", "nan",
           "inf", "1e305", "3" * 30, "00000", "4294967296", "2.5e3"]
WORDS = ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B", "google/gemma-2-9b", "nope/none", "", "fp8", "auto",
         "bfloat16", "float16", "half", "x" * 300, "../../etc/passwd", "'", "}", "{", "\x00", "💥"]


def _fixtures() -> list[str]:
    return [p.read_text() for p in sorted(FIXTURES.glob("*.log"))]


def _fill(rng: random.Random, template: str) -> str:
    parts = template.split("{}")
    out = parts[0]
    for p in parts[1:]:
        out += (rng.choice(NUMBERS) if rng.random() < 0.8 else rng.choice(WORDS)) + p
    return out


def mutate_log(rng: random.Random, text: str) -> str:
    """A few edits: numbers swapped, lines dropped, duplicated, shuffled or cut, garbage inserted."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.45 and lines:
            i = rng.randrange(len(lines))
            nums = list(re.finditer(r"[0-9][0-9,]*(?:\.[0-9]+)?", lines[i]))
            if nums:
                m = rng.choice(nums)
                lines[i] = lines[i][: m.start()] + rng.choice(NUMBERS) + lines[i][m.end():]
        elif r < 0.55 and lines:
            del lines[rng.randrange(len(lines))]
        elif r < 0.65 and lines:
            lines.insert(rng.randrange(len(lines)), rng.choice(lines))
        elif r < 0.7:
            rng.shuffle(lines)
        elif r < 0.8 and lines:
            i = rng.randrange(len(lines))
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif r < 0.9:
            lines.insert(rng.randrange(len(lines) + 1), _fill(rng, rng.choice(TEMPLATES)))
        else:
            lines.insert(rng.randrange(len(lines) + 1), "".join(chr(rng.randrange(1, 0x3000)) for _ in range(40)))
    return "\n".join(lines)


def random_log(rng: random.Random) -> str:
    return "\n".join(_fill(rng, rng.choice(TEMPLATES)) for _ in range(rng.randint(1, 8)))


#: Largest figure a real start-up log can print, by unit: a size of 1 PiB (2**20 GiB), 10**12
#: tokens or blocks, 10**9 x concurrency. Past these a figure is a corrupt log, to be refused.
LIMITS = {"GiB": 2.0**20, "GB": 2.0**20, "tokens": 1e12, "blocks": 1e12, "x": 1e9}


def verify_explained(df: Any) -> None:
    check(len(df) >= 1, "no rows")
    for row in df.to_dict("records"):
        limit = LIMITS.get(row.get("unit"), 1e12)
        for col in ("logged", "vramlab", "difference"):
            v = row.get(col)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            check(isinstance(v, (int, float)) and not isinstance(v, bool), f"{col} {v!r} is not a number")
            check(math.isfinite(v) and abs(v) <= limit,
                  f"{row.get('quantity')} {col} = {v!r} {row.get('unit')}: not a figure a log could print")


def log_cases(rng: random.Random, n: int) -> Iterator[Case]:
    """``n`` logs: fixture logs mutated (most) and logs made of random recognised lines."""
    fixtures = _fixtures()
    for i in range(n):
        if fixtures and rng.random() < 0.7:
            text = mutate_log(rng, fixtures[i % len(fixtures)])
        else:
            text = random_log(rng)
        model = None if rng.random() < 0.7 else rng.choice(WORDS[:4])
        yield Case("logs", f"explain_vllm_log({text!r}, model={model!r})",
                   lambda t=text, m=model: vl.explain_vllm_log(t, model=m), verify_explained)
