"""vLLM's KV-cache pool on one GPU (:func:`vramlab.kv_pool`): what is left, in blocks.

Values for a pool come from :func:`pool_values`:

>>> import vramlab as vl
>>> from vramlab import formulas as F
>>> p = vl.kv_pool("Qwen/Qwen3-8B", max_model_len=8192)
>>> F.evaluate(F.pool_blocks(), **F.pool_values(p)) == p.num_blocks
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from . import _eq, _over, _prod, _s, _sum

__all__ = ["pool_kv_memory", "pool_blocks", "pool_tokens", "pool_blocks_per_request", "pool_concurrency",
           "pool_values"]


def pool_kv_memory():
    """Bytes left for the KV cache: ``M_pool = max(0, floor(M_dev u) - (M_wgpu + M_act + M_nt + M_cg))``.

    vLLM may use ``u`` (``gpu_memory_utilization``) of the GPU's memory; the weights, the
    activation peak of its profile run, the non-torch memory and the CUDA-graph pools come
    first, the KV cache gets the rest.

    >>> pool_kv_memory()
    Eq(M_pool, Max(0, (-M_act - M_cg - M_nt - M_wgpu) + floor(M_dev*u)))
    """
    import sympy as sp

    Md, u, Mw, Ma, Mnt, Mcg = _s("M_dev", "u", "M_wgpu", "M_act", "M_nt", "M_cg")
    return _eq("M_pool", sp.Max(0, _sum(sp.floor(_prod(Md, u)), -_sum(Mw, Ma, Mnt, Mcg))))


def pool_blocks():
    """Blocks in the pool: ``n_blocks = floor(M_pool / M_blk)``.

    >>> pool_blocks()
    Eq(n_blocks, floor(M_pool/M_blk))
    """
    import sympy as sp

    Mp, Mb = _s("M_pool", "M_blk")
    return _eq("n_blocks", sp.floor(_over(Mp, Mb)))


def pool_tokens():
    """Tokens the pool holds: ``T_pool = floor(n_blocks / G) B`` (each of the ``G`` groups
    takes its own blocks; vLLM logs this as "GPU KV cache size").

    >>> pool_tokens()
    Eq(T_pool, B*floor(n_blocks/G))
    """
    import sympy as sp

    n, G, B = _s("n_blocks", "G", "B")
    return _eq("T_pool", _prod(sp.floor(_over(n, G)), B))


def pool_blocks_per_request():
    """Blocks one request of ``L_max`` tokens needs when every layer attends to the full
    context: ``n_req = ceil(L_max / B)`` (sliding-window groups need fewer).

    >>> pool_blocks_per_request()
    Eq(n_req, ceiling(L_max/B))
    """
    import sympy as sp

    Lm, B = _s("L_max", "B")
    return _eq("n_req", sp.ceiling(_over(Lm, B)))


def pool_concurrency(in_blocks: bool = True):
    """Requests of ``L_max`` tokens the pool holds at once (vLLM's "Maximum concurrency").

    ``C = n_blocks / n_req`` (vLLM counts blocks); ``in_blocks=False``: the older engines'
    ``C = n_blocks B / L_max`` (tokens). Evaluate with ``rounding=None``: it is a ratio.

    >>> pool_concurrency(in_blocks=False)
    Eq(C, (B*n_blocks)/L_max)
    """
    n, nr, B, Lm = _s("n_blocks", "n_req", "B", "L_max")
    return _eq("C", _over(n, nr) if in_blocks else _over(_prod(n, B), Lm))


def pool_values(p: Any) -> dict[str, Any]:
    """The values of the pool formulas' symbols for a :class:`~vramlab.serving.Pool`, by name.

    ``u`` is the exact value of the float ``gpu_memory_utilization`` (as :func:`vramlab.kv_pool`
    multiplies it).

    >>> import vramlab as vl
    >>> v = pool_values(vl.kv_pool("Qwen/Qwen3-8B", max_model_len=8192))
    >>> v["B"], v["L_max"], v["G"]
    (16, 8192, 1)
    """
    return {"M_dev": p.total_memory, "u": Fraction(p.gpu_memory_utilization), "M_wgpu": p.weights,
            "M_act": p.activation, "M_nt": p.non_torch, "M_cg": p.cuda_graphs, "M_pool": p.kv_bytes,
            "M_blk": p.block_bytes, "n_blocks": p.num_blocks, "G": p.num_groups, "B": p.block_size,
            "L_max": p.max_model_len, "n_req": p.blocks_per_request}
