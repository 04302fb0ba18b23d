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
        raw = rows[r["row_id"]]["kv_cache_memory_gib"]
        if raw:
            assert r["kv_cache_memory_gib"] == pytest.approx(float(raw))
        else:
            assert math.isnan(r["kv_cache_memory_gib"])


def test_calibration_table_errors():
    df = calibration.calibration_table()
    rows = _rows()
    assert sorted(df.row_id) == sorted(i for i, r in rows.items() if r["vramlab_use"].startswith(("fit", "check")))
    fit = df[df.use == "fit"]
    assert sorted(fit.row_id) == ROWS
    assert fit["tokens_err_%"].abs().median() < 5
    assert fit["weights_err_%"].abs().max() < 1
    # every comparable row has a KV figure to compare (memory, or tokens where memory is not usable)
    assert df["pool_err_%"].notna().all()


def test_shared_rows_are_shipped_with_their_provenance():
    # the published figures as collected (a verbatim copy of the source table, kept as a fixture)
    shared = Path(__file__).resolve().parent / "fixtures" / "vllm_logs_calibration_source.csv"
    with open(shared, encoding="utf-8") as f:
        theirs = {int(r["row_id"]): r for r in csv.DictReader(f)}
    ours = _rows()
    assert set(theirs) <= set(ours)
    for i, r in theirs.items():
        for k, v in r.items():
            assert ours[i][k] == v, (i, k)


def test_every_fitted_constant_names_fit_rows_of_its_line():
    from vramlab.engines import FITTED_CONSTANTS, engine_line
    rows = _rows()
    for name, (_, ids, line, _) in FITTED_CONSTANTS.items():
        for i in ids:
            r = rows[i]
            assert engine_line(r["vramlab_engine"]).name == line, (name, i)
            if name not in ("TP_COMM_V0", "TP_COMM_EARLY"):   # figures-only rows 15 and 17 set the TP increase
                assert r["vramlab_use"] == "fit", (name, i)
    named = {i for _, ids, _, _ in FITTED_CONSTANTS.values() for i in ids}
    assert {i for i, r in rows.items() if r["vramlab_use"] == "fit"} <= named


def test_leave_one_version_out_swaps_the_constants_of_the_rows_line():
    base = calibration.calibration_table().set_index("row_id")
    lovo = calibration.calibration_table(leave_version_out=True).set_index("row_id")
    # v0.19.0 TP=2: the TP increase falls back to the 0.8-0.16 figure, so the pool grows by the difference
    from vramlab.engines import TP_COMM_EARLY, TP_COMM_LATE
    from vramlab.engines import NON_TORCH_V0, NON_TORCH_V1, RUNTIME_BUFFERS_V1
    delta = (TP_COMM_LATE - TP_COMM_EARLY) + (NON_TORCH_V1 - NON_TORCH_V0) + RUNTIME_BUFFERS_V1
    assert (lovo.loc[24, "kv_pred"] - base.loc[24, "kv_pred"]) * 2**30 == pytest.approx(delta, abs=2)
    assert (lovo["weights_pred"] == base["weights_pred"]).all()


def test_figures_only_rows_are_not_rebuilt_as_logs():
    with pytest.raises(VramlabError, match="figures only"):
        calibration.calibration_log(12)


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
    engine = r["vramlab_engine"]
    p = vl.kv_pool(calibration.logged_model(r["model"]), gpu=r["gpu"], tensor_parallel=int(r["tensor_parallel_size"]),
                   gpu_memory_utilization=float(r["gpu_memory_utilization"]),
                   kv_dtype=r["kv_cache_dtype"] or "auto", max_model_len=int(r["max_model_len"]),
                   total_memory_gib=float(r["total_gpu_memory_gib"]), engine=engine)
    row = calibration.calibration_table().set_index("row_id").loc[row_id]
    assert row["tokens_pred"] == p.tokens and row["version"] == engine and row["engine"] == p.engine
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


def test_a_sampler_is_read_from_the_row_only_where_its_log_names_it():
    rows = _rows()
    named = {i: r["vramlab_sampler"] for i, r in rows.items() if r["vramlab_sampler"]}
    assert set(named) == {16}
    for text in named.values():
        assert text.startswith("flashinfer: ") and "Using FlashInfer for top-p & top-k sampling." in text
    r = calibration.load_vllm_calibration().set_index("row_id", drop=False).loc[16].to_dict()
    p = calibration.row_pool(r)
    q = vl.kv_pool("Qwen/Qwen3-30B-A3B", gpu="A10", tensor_parallel=4, max_model_len=8192, engine="0.8.5",
                   flashinfer_sampler=True)
    assert p.activation == q.activation and p.tokens == q.tokens
    assert p.activation < vl.kv_pool("Qwen/Qwen3-30B-A3B", gpu="A10", tensor_parallel=4, max_model_len=8192,
                                     engine="0.8.5").activation


def test_every_row_says_how_it_is_used():
    u = calibration.row_uses().set_index("row_id")
    rows = _rows()
    assert sorted(u.index) == sorted(rows)
    assert (u.why.str.len() > 10).all()
    for i, r in rows.items():
        assert r["vramlab_use"].startswith(u.loc[i, "use"])
    used = calibration.calibration_table()
    assert sorted(used.row_id) == sorted(u[u.use != "figures"].index)
