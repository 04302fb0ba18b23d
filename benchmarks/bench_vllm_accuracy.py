"""Accuracy of vramlab.kv_pool against real vLLM start-up logs (data/vllm_logs_calibration.csv).

Prints, per calibration row, predicted vs logged weights, KV memory, KV tokens and max
concurrency, then the median and worst absolute relative error of each. The model's free
constants (non-torch memory per engine generation, V1 runtime buffers) were calibrated on
these same rows, so these figures measure the fit; the weights, KV-per-token, block and
sampler terms come from config fields alone.

Run: .venv/bin/python benchmarks/bench_vllm_accuracy.py
"""

from __future__ import annotations

import statistics

from vramlab.calibration import calibration_table


def main() -> None:
    df = calibration_table()
    head = (f"{'row':>4} {'model':<36}{'tp':>3} {'kv':>5} {'eng':>4} | {'weights GiB':>15} | {'KV GiB':>15} | "
            f"{'KV tokens':>21} | {'max concurrency':>17}")
    print(head)
    print("-" * len(head))
    for r in df.to_dict("records"):
        print(f"{r['row_id']:>4} {r['model']:<36}{r['tp']:>3} {r['kv_dtype']:>5} {r['engine']:>4} | "
              f"{r['weights_pred']:>6.2f} / {r['weights_logged']:>6.2f} | {r['kv_pred']:>6.2f} / {r['kv_logged']:>6.2f} | "
              f"{r['tokens_pred']:>9,} / {r['tokens_logged']:>9,} | {r['concurrency_pred']:>7.2f} / {r['concurrency_logged']:>7.2f}")
    print("(predicted / logged)")
    print()
    print(f"{'quantity':<16}{'median |err| %':>16}{'worst |err| %':>16}  worst row")
    for k, label in (("weights", "weights"), ("kv", "KV memory"), ("tokens", "KV tokens"),
                     ("concurrency", "max concurrency")):
        errs = df[f"{k}_err_%"].abs()
        worst = int(df.loc[errs.idxmax(), "row_id"])
        print(f"{label:<16}{statistics.median(errs):>16.3f}{errs.max():>16.3f}  {worst}")
    print()
    print(f"aims: weights within 1 % (every row is unquantized): worst {df['weights_err_%'].abs().max():.2f} %; "
          f"KV tokens within 5 % median: {statistics.median(df['tokens_err_%'].abs()):.2f} %")


if __name__ == "__main__":
    main()
