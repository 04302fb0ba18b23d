"""The two source articles' calculations, reproduced as published and then corrected.

Two public articles are the reason many people look at GPU memory at all:

* the Qwen3-8B article, "Where does the GPU memory go?" (weights 16.4 GB, 144 KB of KV
  cache per token, a six-row budget table, conclusions for 24 GB cards);
* the QwQ-32B article, "How much video memory is needed for private deployment of large
  models?" (64 GB of weights, "19.54 GB" of KV cache for 16k tokens, ×1.2 → "100 GB").

For every figure an article prints, this module gives three things:

``published``
    The figure as printed (a quotation).
``reproduced``
    Our arithmetic done the article's way, from the article's own inputs, rounded as
    the article rounds. Where it does not give the printed digits, ``matches`` is False
    and ``why`` says what the printed figure would need.
``corrected``
    The figure from the real ``config.json`` through vramlab: the exact parameter count,
    the real KV heads (GQA), and a named unit (GB = 10**9 bytes, GiB = 2**30 bytes).

``error_pct`` is (published − corrected) / corrected, both read in ``unit``.

>>> import vramlab.articles as art
>>> f = {x.quantity: x for x in art.qwq_32b_figures()}
>>> f["KV cache, 16,000 tokens"].published, f["KV cache, 16,000 tokens"].reproduced
('19.54GB', '19.54GB')
>>> round(f["KV cache, 16,000 tokens"].corrected, 3)          # GB, with GQA and 64 layers
4.194
"""

from .figure import *  # noqa: F401,F403
from .figure import __all__ as _figure
from .qwen3_8b import *  # noqa: F401,F403
from .qwen3_8b import __all__ as _qwen3_8b
from .qwq_32b import *  # noqa: F401,F403
from .qwq_32b import __all__ as _qwq_32b

__all__ = [*_figure, *_qwen3_8b, *_qwq_32b]
