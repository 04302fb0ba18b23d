"""Time vramlab.parse_vllm_log on long lines and a long log (a figure, not a test).

Parsing must be linear in the size of the log: a line 10x longer takes about 10x longer,
never 100x. Prints the best of a few runs for

* one 10 KB and one 100 KB and one 1 MB line of each shape that makes backtracking patterns
  quadratic (digit runs, repeated markers, dashes, blanks), each followed by a real figure;
* a 1 MB log: a real vLLM V1 start-up log repeated.

Run: ``python benchmarks/bench_vllm_log.py``
"""

from __future__ import annotations

import time
from pathlib import Path

from vramlab.vllm_log import parse_vllm_log

HERE = Path(__file__).resolve().parent
LOG = HERE.parent / "tests" / "fixtures" / "vllm_logs" / "v0.19.0_llama-3.1-8b_h100_tp1.log"
TAIL = " GPU KV cache size: 5 tokens"
SHAPES = {
    "digits": "9",
    "number list": "1,",
    "dashes": "-",
    "flags": "--a ",
    "blanks": " ",
    "word then =": "a",
    "repeated marker": "the current vLLM instance can use total_gpu_memory ",
    "graph marker": "Graph capturing finished in ",
    "summary, long word": "a",
}
#: Text a shape follows (the 0.6.4 one-line summary is searched for key=value pairs).
PREFIX = {"summary, long word": "Memory profiling results: x=1 "}


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def line(name: str, size: int) -> str:
    shape = SHAPES[name]
    return PREFIX.get(name, "") + (shape * (size // len(shape) + 1))[:size] + TAIL


def main() -> None:
    print(f"{'line shape':<18} {'10 KB (ms)':>11} {'100 KB (ms)':>12} {'1 MB (ms)':>10} {'1 MB / 10 KB':>13}")
    for name in SHAPES:
        t = [best(lambda s=line(name, n): parse_vllm_log(s)) for n in (10_000, 100_000, 1_000_000)]
        print(f"{name:<18} {1e3 * t[0]:>11.2f} {1e3 * t[1]:>12.2f} {1e3 * t[2]:>10.2f} {t[2] / t[0]:>12.0f}x")
    text = LOG.read_text()
    big = text * (1_000_000 // len(text) + 1)
    t = best(lambda: parse_vllm_log(big))
    print(f"\n1 MB log ({len(big):,} characters, {big.count(chr(10)):,} lines): {1e3 * t:.1f} ms")
    print("linear: 1 MB / 10 KB is about 100x (quadratic would be 10,000x; the parser of the previous "
          "release took 131 s on a 100 KB 'summary, long word' line).")


if __name__ == "__main__":
    main()
