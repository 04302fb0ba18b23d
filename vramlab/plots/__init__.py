"""Plots (matplotlib, imported lazily). Every function takes ``ax=None`` and returns the axes.

The functions live in one module per topic and are all re-exported here.
"""

from .articles import *  # noqa: F401,F403
from .planning import *  # noqa: F401,F403
from .serving import *  # noqa: F401,F403
from .teaching import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
