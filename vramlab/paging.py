"""PagedAttention: vLLM's KV blocks, and a simulation of contiguous reservation against paging.

Before vLLM, serving systems reserved ``max_model_len`` KV slots per request up front;
PagedAttention (Kwon et al., SOSP 2023) hands out blocks of ``block_size`` tokens as a
request grows, so only the last, partly filled block of each request is wasted.
:func:`simulate_paging` replays a seeded request stream (:func:`sample_requests`) under
both schemes. Pure Python: no model, no GPU; one KV slot is one token's K and V in every layer.
:func:`block_groups` and :func:`kv_layout` (from :mod:`vramlab.engines`, one rule for both
modules) cut a real model's KV pool into vLLM's blocks and block groups, as
:func:`vramlab.serving.kv_pool` does.

>>> r = simulate_paging(1000, seed=0)
>>> round(r.contiguous_used_pct, 1) < 38.2 and r.paged_waste_pct < 4
True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .engines import block_groups, kv_layout
from .errors import VramlabError, check_int, check_items, check_number

__all__ = ["PAGED_ATTENTION_PAPER", "sample_requests", "PagingResult", "simulate_paging", "block_groups",
           "kv_layout"]

#: Figures of the PagedAttention paper (Kwon et al., "Efficient Memory Management for Large
#: Language Model Serving with PagedAttention", SOSP 2023): share of KV memory holding token
#: states in prior systems (Fig. 2), vLLM's waste (Sec. 1), and the ShareGPT mean input and
#: output lengths (Table 1).
PAGED_ATTENTION_PAPER = {"prior_used_low_%": 20.4, "prior_used_high_%": 38.2, "paged_waste_below_%": 4.0,
                         "sharegpt_mean_input": 161.31, "sharegpt_mean_output": 337.99}


def sample_requests(n: int = 1000, seed: int = 0, mean_prompt: float = 161.31, mean_output: float = 337.99,
                    sigma: float = 1.0, max_model_len: int = 2048) -> list[tuple[int, int]]:
    """A seeded stream of ``(prompt, output)`` token lengths.

    Log-normal lengths with the ShareGPT means the PagedAttention paper reports
    (161 prompt, 338 output tokens), capped so that prompt + output ≤ ``max_model_len``.

    Parameters
    ----------
    n : int
        Requests, 1 to 10^6.
    seed : int
        Seed of the random stream (same seed, same stream).
    mean_prompt, mean_output : float
        Mean lengths in tokens (before capping).
    sigma : float
        Log-normal shape, 0 to 5.
    max_model_len : int
        Longest request (prompt + output), ≥ 2.

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> sample_requests(3, seed=1)
    [(180, 202), (335, 566), (70, 693)]
    """
    n = check_int("n", n, minimum=1, maximum=10**6)
    seed = check_int("seed", seed, minimum=0, maximum=2**63)
    max_model_len = check_int("max_model_len", max_model_len, minimum=2, maximum=10**8)
    sigma = check_number("sigma", sigma, minimum=0.0, maximum=5.0)
    mean_prompt = check_number("mean_prompt", mean_prompt, minimum=0.0, inclusive_min=False, maximum=10**8)
    mean_output = check_number("mean_output", mean_output, minimum=0.0, inclusive_min=False, maximum=10**8)
    rng = random.Random(seed)
    mu_p = math.log(mean_prompt) - sigma**2 / 2
    mu_o = math.log(mean_output) - sigma**2 / 2
    out = []
    for _ in range(n):
        p = max(1, min(max_model_len - 1, round(rng.lognormvariate(mu_p, sigma))))
        o = max(1, min(max_model_len - p, round(rng.lognormvariate(mu_o, sigma))))
        out.append((p, o))
    return out


@dataclass(frozen=True)
class PagingResult:
    """Contiguous max-length reservation versus paged blocks for one request stream.

    Token counts are KV slots (one slot = one token's K and V in every layer).

    Examples
    --------
    >>> r = simulate_paging(requests=[(10, 6), (1, 1)], max_model_len=32, block_size=16)
    >>> r.tokens_used, r.paged_reserved, r.contiguous_reserved
    (18, 32, 64)
    """

    requests: int
    max_model_len: int
    block_size: int
    tokens_used: int
    contiguous_reserved: int
    paged_reserved: int
    budget_tokens: int
    fit_contiguous: int
    fit_paged: int
    lengths: tuple[tuple[int, int], ...] = field(repr=False, compare=False)

    @property
    def contiguous_used_pct(self) -> float:
        """Share of reserved KV memory holding tokens, contiguous reservation (%)."""
        return 100 * self.tokens_used / self.contiguous_reserved

    @property
    def paged_used_pct(self) -> float:
        """Share of reserved KV memory holding tokens with paging (%)."""
        return 100 * self.tokens_used / self.paged_reserved

    @property
    def contiguous_waste_pct(self) -> float:
        """Reserved but unused, contiguous (%)."""
        return 100 - self.contiguous_used_pct

    @property
    def paged_waste_pct(self) -> float:
        """Reserved but unused with paging: only the last, partly filled block of each request (%)."""
        return 100 - self.paged_used_pct

    def table(self):
        """Contiguous and paged side by side, with the paper's figures (a DataFrame).

        >>> simulate_paging(100, seed=0).table()["scheme"].tolist()
        ['contiguous (max length reserved)', 'paged (16-token blocks)']
        """
        import pandas as pd

        paper = PAGED_ATTENTION_PAPER
        return pd.DataFrame([
            {"scheme": "contiguous (max length reserved)", "used %": round(self.contiguous_used_pct, 1),
             "waste %": round(self.contiguous_waste_pct, 1), "requests that fit": self.fit_contiguous,
             "paper": f"{paper['prior_used_low_%']}-{paper['prior_used_high_%']} % used"},
            {"scheme": f"paged ({self.block_size}-token blocks)", "used %": round(self.paged_used_pct, 1),
             "waste %": round(self.paged_waste_pct, 1), "requests that fit": self.fit_paged,
             "paper": f"waste < {paper['paged_waste_below_%']:.0f} %"},
        ])


def simulate_paging(n: int = 1000, max_model_len: int = 2048, block_size: int = 16, seed: int = 0,
                    budget_tokens: int | None = None, requests: list[tuple[int, int]] | None = None) -> PagingResult:
    """Simulate KV reservation for a request stream: contiguous max-length slots vs paged blocks.

    Contiguous systems (before vLLM) reserve ``max_model_len`` slots per request up front;
    PagedAttention allocates ``ceil(length / block_size)`` blocks as tokens arrive, so only
    the last block of each request is partly empty. ``budget_tokens`` (default: 64
    max-length requests' worth) is filled with the stream in order under each scheme.

    Parameters
    ----------
    n : int
        Requests to sample when ``requests`` is not given.
    max_model_len : int
        Longest request; what a contiguous system reserves for each.
    block_size : int
        Tokens per block, 1 to 4096.
    seed : int
        Seed of :func:`sample_requests`.
    budget_tokens : int, optional
        KV slots available.
    requests : list of (prompt, output), optional
        The stream to replay instead of a sampled one.

    Returns
    -------
    PagingResult

    Examples
    --------
    >>> r = simulate_paging(1000, seed=0)
    >>> r.paged_waste_pct < 4 < 20.4 < r.contiguous_used_pct < 38.2
    True
    >>> r.fit_paged > 3 * r.fit_contiguous
    True
    """
    max_model_len = check_int("max_model_len", max_model_len, minimum=2, maximum=10**8)
    block_size = check_int("block_size", block_size, minimum=1, maximum=4096)
    if requests is None:
        reqs = sample_requests(n, seed, max_model_len=max_model_len)
    else:  # (prompt, output) pairs: a prompt of at least 1 token, an output of 0 or more
        pair = lambda r: tuple(check_int("requests", v, minimum=lo, maximum=10**8)  # noqa: E731
                               for v, lo in zip(check_items("requests", r, min_len=2, max_len=2), (1, 0)))
        reqs = list(check_items("requests", requests, pair, max_len=10**6))
    lengths = [p + o for p, o in reqs]
    if max(lengths) > max_model_len:
        raise VramlabError(f"a request of {max(lengths)} tokens exceeds max_model_len {max_model_len}",
                           field="requests")
    paged = [-(-x // block_size) * block_size for x in lengths]
    budget = 64 * max_model_len if budget_tokens is None else check_int("budget_tokens", budget_tokens, minimum=1)
    fit_p, acc = 0, 0
    for x in paged:
        acc += x
        if acc > budget:
            break
        fit_p += 1
    return PagingResult(requests=len(lengths), max_model_len=max_model_len, block_size=block_size,
                        tokens_used=sum(lengths), contiguous_reserved=len(lengths) * max_model_len,
                        paged_reserved=sum(paged), budget_tokens=budget,
                        fit_contiguous=min(len(lengths), budget // max_model_len), fit_paged=fit_p,
                        lengths=tuple(reqs))
