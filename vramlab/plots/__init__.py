"""Plots (matplotlib, imported lazily). Every function takes ``ax=None`` and returns the axes.

Plots draw results -- an Estimate, a GPUPlan, a FitMap, a DataFrame of :mod:`vramlab.tables`,
:mod:`vramlab.serving` or :mod:`vramlab.articles` -- and never read a model themselves.
The functions live in one module per topic and are all re-exported here.
"""

from .articles import *  # noqa: F401,F403
from .cache import *  # noqa: F401,F403
from .decoding import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403
from .overheads import *  # noqa: F401,F403
from .planning import *  # noqa: F401,F403
from .serving import *  # noqa: F401,F403
from .speed import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
