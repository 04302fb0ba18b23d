"""The shipped vLLM start-up logs: read, rebuilt as log lines, set beside kv_pool and the rules of thumb."""

import csv
import math
from pathlib import Path

import pytest

import vramlab as vl
from vramlab import calibration
from vramlab.errors import VramlabError
from vramlab.vllm_log import parse_vllm_log

CSV = Path(__file__).resolve().parents[1] / "vramlab" / "data" / "vllm_logs_calibration.csv"
ROWS = [1, 2, 22, 24, 27, 28, 33, 43]


def _rows():
    with open(CSV, encoding="utf-8") as f:
        return {int(r["row_id"]): r for r in csv.DictReader(f)}


def test_load_matches_the_csv_file():
    df = calibration.load_vllm_calibration()
    rows = _rows()
    assert sorted(df.row_id) == sorted(rows)
    for r in df.to_dict("records"):
        assert r["model"] == rows[r["row_id"]]["model"]
        assert r["kv_cache_memory_gib"] == pytest.approx(float(rows[r["row_id"]]["kv_cache_memory_gib"]))


def test_calibration_table_errors():
    df = calibration.calibration_table()
    assert len(df) == 8
    assert df["tokens_err_%"].abs().median() < 5
    assert df["weights_err_%"].abs().max() < 1


@pytest.mark.parametrize("row_id", [1, 2, 22, 24, 27, 28, 33, 43])
def test_calibration_log_round_trip(row_id):
    r = _rows()[row_id]
    log = parse_vllm_log(calibration.calibration_log(row_id))
    assert log.figures["kv_memory"][0] == pytest.approx(float(r["kv_cache_memory_gib"]))
    assert log.settings["max_model_len"] == int(r["max_model_len"])
    with pytest.raises(VramlabError, match="row_id"):
        calibration.calibration_log(999)




@pytest.mark.parametrize("row_id", ROWS)
def test_table_prediction_is_kv_pool_of_the_row(row_id):
    r = _rows()[row_id]
    engine = "v1" if r["engine_version"] else "v0"
    p = vl.kv_pool(calibration.logged_model(r["model"]), gpu=r["gpu"], tensor_parallel=int(r["tensor_parallel_size"]),
                   gpu_memory_utilization=float(r["gpu_memory_utilization"]),
                   kv_dtype=r["kv_cache_dtype"] or "auto", max_model_len=int(r["max_model_len"]),
                   total_memory_gib=float(r["total_gpu_memory_gib"]), engine=engine)
    row = calibration.calibration_table().set_index("row_id").loc[row_id]
    assert row["tokens_pred"] == p.tokens and row["engine"] == engine
    assert row["kv_logged"] == pytest.approx(float(r["kv_cache_memory_gib"]))
    assert row["kv_err_%"] == pytest.approx(100 * (p.kv_bytes / 2**30 - row["kv_logged"]) / row["kv_logged"])


def test_profile_run_constants_are_the_big_gpu_defaults():
    assert (calibration.VLLM_PROFILE_TOKENS, calibration.VLLM_PROFILE_SEQS) == (8192, 1024)


def test_measured_overheads_sum_the_logged_terms():
    df = calibration.measured_overheads()
    rows = _rows()
    assert len(df) > 0
    for r in df.to_dict("records"):
        raw = rows[r["row_id"]]
        total = sum(float(raw[c]) for c in ("non_torch_memory_gib", "activation_peak_gib", "cuda_graph_capture_gib"))
        assert r["measured (GiB)"] == pytest.approx(round(total, 2))
        if r["rule vs measured"] == "no preset":
            assert math.isnan(r["5 % rule (GiB)"])
        else:
            assert r["5 % rule (GiB)"] * 4 == pytest.approx(r["20 % rule (GiB)"], abs=0.03)


def test_measured_overheads_bad_input():
    with pytest.raises(VramlabError, match="batched_tokens"):
        calibration.measured_overheads(batched_tokens=0)


def test_calibration_presets_share_the_architecture():
    for tuned, base in calibration.CALIBRATION_PRESETS.items():
        assert vl.load_model(base).name == base
        assert tuned.startswith(base)
