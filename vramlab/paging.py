"""PagedAttention: vLLM's KV blocks, and a simulation of contiguous reservation against paging.

Before vLLM, serving systems reserved ``max_model_len`` KV slots per request up front;
PagedAttention (Kwon et al., SOSP 2023) hands out blocks of ``block_size`` tokens as a
request grows, so only the last, partly filled block of each request is wasted.
:func:`simulate_paging` replays a seeded request stream (:func:`sample_requests`) under
both schemes. Pure Python: no model, no GPU; one KV slot is one token's K and V in every layer.
:func:`block_layout` cuts a real model's KV pool into vLLM's blocks and block groups
(:func:`vramlab.serving.kv_pool` uses it).

>>> r = simulate_paging(1000, seed=0)
>>> round(r.contiguous_used_pct, 1) < 38.2 and r.paged_waste_pct < 4
True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from .dtypes import DType
from .errors import VramlabError, check_int, check_items, check_number
from .memory import kv_bytes_per_layer
from .spec import ModelSpec

__all__ = ["PAGED_ATTENTION_PAPER", "sample_requests", "PagingResult", "simulate_paging", "block_groups",
           "block_layout"]

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


# --------------------------------------------------------------------------------------
# vLLM's blocks

def block_groups(m: ModelSpec, hybrid: bool = True) -> list[tuple[str, int | None, int]]:
    """Block groups as vLLM's hybrid KV-cache allocator forms them: ``(kind, window, layers)``.

    Layers of one kind (full, or sliding with one window) share a group; with several kinds
    the groups are cut to one size (the larger when the kinds are within 25 % of each
    other, else the smaller), so that one block holds the same number of layers in every
    group: vramlab's reading of vLLM's hybrid allocator (``vllm/v1/core/kv_cache_utils.py``),
    checked on the gemma-2 calibration row 43. ``hybrid=False`` (V0) puts every layer in one
    full-attention group.

    >>> import vramlab as vl
    >>> block_groups(vl.load_model("google/gemma-2-9b"))   # 21 sliding + 21 full layers
    [('sliding', 4096, 21), ('full', None, 21)]
    """
    kinds: dict[tuple[str, int | None], int] = {}
    for la in m.layers:
        key = (la.kind, la.window) if hybrid else ("full", None)
        kinds[key] = kinds.get(key, 0) + 1
    if len(kinds) == 1:
        (k, w), n = next(iter(kinds.items()))
        return [(k, w, n)]
    lo, hi = min(kinds.values()), max(kinds.values())
    size = hi if hi < lo * 1.25 else lo
    out = []
    for (k, w), n in kinds.items():
        out += [(k, w, size)] * (-(-n // size))
    return out


def block_layout(m: ModelSpec, kv_dtype: DType, kv_bytes: int, *, tensor_parallel: int = 1, block_size: int = 16,
                 batched_tokens: int = 8192, max_model_len: int = 8192, hybrid: bool = True,
                 in_blocks: bool = True) -> dict[str, Any]:
    """Pages, blocks, tokens and max concurrency of a KV pool of ``kv_bytes`` on one GPU.

    A page is one layer's K and V for ``block_size`` tokens on this GPU (KV heads split by
    tensor parallelism, at least one each; MLA's latent is replicated); a block holds one
    page per layer of a group. A request needs ``ceil(max_model_len / block_size)`` blocks
    per full group and, per sliding group, the blocks of its window plus one prefill chunk
    (``batched_tokens``) plus one. Max concurrency is blocks / blocks per request
    (``in_blocks``, V1) or tokens / ``max_model_len`` (V0). Returns the :class:`vramlab.serving.Pool`
    fields ``page_bytes``, ``block_bytes``, ``num_groups``, ``num_blocks``, ``tokens``,
    ``kv_bytes_per_token``, ``blocks_per_request``, ``max_concurrency``.

    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> b = block_layout(m, vl.get_dtype("bf16"), 10 * 2**30, max_model_len=4096)
    >>> b["block_bytes"] == 16 * 36 * 2 * 8 * 128 * 2, b["tokens"], b["max_concurrency"]
    (True, 72816, 17.77734375)
    """
    per_layer = kv_bytes_per_layer(m, kv_dtype)  # bytes one token adds to one layer
    if m.attention_kind != "MLA":
        per_layer = per_layer * max(1, m.num_kv_heads // tensor_parallel) / m.num_kv_heads  # on this GPU
    page = math.ceil(per_layer * block_size)
    groups = block_groups(m, hybrid)
    block_bytes = page * max(n for _, _, n in groups)
    num_blocks = kv_bytes // block_bytes

    def blocks_needed(kind: str, window: int | None) -> int:
        if kind == "sliding" and window:
            return -(-min(window - 1 + batched_tokens, max_model_len) // block_size) + 1
        return -(-max_model_len // block_size)

    per_request = sum(blocks_needed(k, w) for k, w, _ in groups)
    if in_blocks:
        conc = num_blocks / per_request if per_request else 0.0
    else:
        conc = num_blocks * block_size / max_model_len
    return {"page_bytes": page, "block_bytes": block_bytes, "num_groups": len(groups), "num_blocks": num_blocks,
            "tokens": num_blocks // len(groups) * block_size,
            "kv_bytes_per_token": -(-block_bytes * len(groups) // block_size),
            "blocks_per_request": per_request, "max_concurrency": conc}
