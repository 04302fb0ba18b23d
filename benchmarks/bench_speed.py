"""Timings of the speed bounds, and the published decode runs beside them.

Run: ``.venv/bin/python benchmarks/bench_speed.py [--seconds S]``

Prints
------
(a) ``vl.decode_speed`` calls per second, from a loaded ModelSpec (dense and MoE) and from a
    preset id, and ``vl.prefill_time`` calls per second;
(b) the table of ``vramlab/data/decode_benchmarks.csv``: every published run, its roofline
    bound at context input + output/2, measured/bound, and measured over the bound that
    counts the prefill too; then the reasons for each gap.

Timings depend on the machine and its load; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import time

import vramlab as vl
from vramlab import speed


def calls_per_second(fn, seconds: float) -> float:
    """How many times ``fn()`` runs per second, over at least ``seconds`` of wall time."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="wall time per timing (default 1 s)")
    args = ap.parse_args()

    dense, moe = vl.load_model("Qwen/Qwen3-8B"), vl.load_model("Qwen/Qwen3-30B-A3B")
    timings = {
        "decode_speed, dense ModelSpec (Qwen3-8B)": lambda: vl.decode_speed(dense, "H100 80GB", 4096, 8),
        "decode_speed, MoE ModelSpec (Qwen3-30B-A3B)": lambda: vl.decode_speed(moe, "H100 80GB", 4096, 8),
        "decode_speed, preset id": lambda: vl.decode_speed("Qwen/Qwen3-8B", "H100 80GB", 4096, 8),
        "prefill_time, dense ModelSpec": lambda: vl.prefill_time(dense, "H100 80GB", 4096),
    }
    print("(a) calls per second")
    for name, fn in timings.items():
        print(f"  {name:46} {calls_per_second(fn, args.seconds):>10,.0f}")

    checks = speed.check_decode_benchmarks()
    print("\n(b) published decode runs beside the roofline bound (tokens/s; ratio = measured / bound)")
    print(speed.benchmark_report(checks))
    print("\nwhy each run falls short of its bound:")
    for i, c in enumerate(checks, start=1):
        m = c.measurement
        print(f"  {i:2}. {m.model} on {m.gpu}, batch {m.concurrency}, {m.input_tokens}/{m.output_tokens} "
              f"({m.engine}): {c.ratio:.2f}")
        for reason in c.reasons:
            print(f"      - {reason}")


if __name__ == "__main__":
    main()
