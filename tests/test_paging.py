"""PagedAttention simulated: contiguous max-length reservation against paged blocks,
checked by hand-counted streams and against the PagedAttention paper's ranges."""

import math

import pytest

from vramlab import paging
from vramlab.errors import VramlabError


def test_paging_matches_paper_ranges():
    r = paging.simulate_paging(2000, max_model_len=2048, block_size=16, seed=3)
    paper = paging.PAGED_ATTENTION_PAPER
    assert paper["prior_used_low_%"] < r.contiguous_used_pct < paper["prior_used_high_%"]
    assert r.paged_waste_pct < paper["paged_waste_below_%"]
    lengths = [p + o for p, o in r.lengths]
    assert r.tokens_used == sum(lengths)
    assert r.paged_reserved - r.tokens_used <= 15 * len(lengths)   # at most block_size - 1 per request
    assert r.fit_contiguous == 64 and r.fit_paged > 3 * r.fit_contiguous


def test_paging_is_seeded():
    assert paging.sample_requests(50, seed=7) == paging.sample_requests(50, seed=7)
    assert paging.sample_requests(50, seed=7) != paging.sample_requests(50, seed=8)
    assert all(p + o <= 512 for p, o in paging.sample_requests(500, seed=1, max_model_len=512))


def test_paging_given_requests_and_bad_input():
    r = paging.simulate_paging(requests=[(10, 6), (1, 1)], max_model_len=32, block_size=16, budget_tokens=32)
    assert (r.tokens_used, r.paged_reserved, r.contiguous_reserved) == (18, 32, 64)
    assert (r.fit_contiguous, r.fit_paged) == (1, 2)
    with pytest.raises(VramlabError, match="max_model_len"):
        paging.simulate_paging(requests=[(40, 1)], max_model_len=32)




def test_reservations_counted_by_hand():
    reqs = [(3, 2), (16, 1), (1, 31), (20, 12)]          # lengths 5, 17, 32, 32
    r = paging.simulate_paging(requests=reqs, max_model_len=64, block_size=8, budget_tokens=64)
    lengths = [5, 17, 32, 32]
    assert r.tokens_used == sum(lengths)
    assert r.paged_reserved == sum(math.ceil(x / 8) * 8 for x in lengths) == 8 + 24 + 32 + 32
    assert r.contiguous_reserved == 4 * 64
    assert r.fit_contiguous == 1
    assert r.fit_paged == 3                                # 8 + 24 + 32 = 64 fits, the fourth does not
    assert r.paged_waste_pct == pytest.approx(100 * (96 - 86) / 96)


def test_block_size_one_wastes_nothing():
    r = paging.simulate_paging(200, max_model_len=1024, block_size=1, seed=2)
    assert r.paged_reserved == r.tokens_used and r.paged_waste_pct == 0


def test_bigger_blocks_waste_more():
    waste = [paging.simulate_paging(500, block_size=b, seed=0).paged_waste_pct for b in (8, 16, 32, 64)]
    assert waste == sorted(waste) and waste[0] < waste[-1]


def test_sample_means_follow_the_paper():
    reqs = paging.sample_requests(20000, seed=0, max_model_len=10**6)
    mean_p = sum(p for p, _ in reqs) / len(reqs)
    mean_o = sum(o for _, o in reqs) / len(reqs)
    paper = paging.PAGED_ATTENTION_PAPER
    assert abs(mean_p - paper["sharegpt_mean_input"]) / paper["sharegpt_mean_input"] < 0.05
    assert abs(mean_o - paper["sharegpt_mean_output"]) / paper["sharegpt_mean_output"] < 0.05


@pytest.mark.parametrize("kwargs,field", [
    ({"n": 0}, "n"), ({"sigma": -1}, "sigma"), ({"max_model_len": 1}, "max_model_len"),
    ({"mean_prompt": 0}, "mean_prompt"),
])
def test_sample_requests_bad_input(kwargs, field):
    with pytest.raises(VramlabError, match=field):
        paging.sample_requests(**kwargs)


@pytest.mark.parametrize("kwargs,field", [
    ({"requests": []}, "requests"), ({"block_size": 0}, "block_size"), ({"budget_tokens": 0}, "budget_tokens"),
])
def test_simulate_paging_bad_input(kwargs, field):
    with pytest.raises(VramlabError, match=field):
        paging.simulate_paging(**kwargs)


def test_table_names_both_schemes():
    df = paging.simulate_paging(100, seed=0).table()
    assert list(df["requests that fit"]) == [64, paging.simulate_paging(100, seed=0).fit_paged]


def test_block_groups_are_one_rule_for_paging_and_the_kv_pool():
    import vramlab as vl
    from vramlab import engines
    assert paging.block_groups is engines.block_groups and paging.kv_layout is engines.kv_layout
    g = vl.load_model("google/gemma-2-9b")
    kinds = [la.kind for la in g.layers]
    n_sliding, n_full = kinds.count("sliding"), kinds.count("full")
    window = g.layers[kinds.index("sliding")].window
    assert paging.block_groups(engines.engine_line("0.19"), g) == [("sliding", window, n_sliding),
                                                                  ("full", None, n_full)]
    assert paging.block_groups(engines.engine_line("0.8"), g) == [("full", None, g.num_layers)]
    p = vl.kv_pool(g, engine="0.19.0", max_model_len=8192)
    assert p.num_groups == len(paging.block_groups(engines.engine_line("0.19"), g))
