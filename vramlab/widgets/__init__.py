"""Every calculator of the notebooks and the Voila app (ipywidgets, imported lazily).

The widgets hold no logic: each is wired to a pure function of its control values
(:mod:`vramlab.widgets.compute`) and only calls it and shows the result
(:mod:`vramlab.widgets.calculators`). Tests set a control's ``value`` and read ``result``,
without a browser.

==========================  ==========================  ==================
widget                      pure function               notebooks
==========================  ==========================  ==================
:class:`Calculator`         :func:`calculate`           04, 05, 08, app
:class:`FitMapExplorer`     :func:`explore_fit_map`     08, app
:class:`WeightsCalculator`  :func:`weights_text`        01
:class:`KVCalculator`       :func:`kv_text`             02, 03
:class:`PoolCalculator`     :func:`pool_summary`        07
:class:`LogExplainer`       :func:`explain_log`         10
:class:`SizeConverter`      :func:`size_text`           00
:class:`RulesCalculator`    :func:`rules_text`          06
:class:`TrainingCalculator` ``training.estimate``       09
:class:`SpeedCalculator`    :func:`speed_text`          12
==========================  ==========================  ==================

>>> out = calculate("Qwen/Qwen3-8B", "", 32768, 2, "bf16", "auto", 0.1, "RTX 4090")
>>> out.fit.fits
False
"""

from .calculators import *  # noqa: F401,F403
from .calculators import __all__ as _calculators
from .compute import *  # noqa: F401,F403
from .compute import __all__ as _compute

__all__ = [*_compute, *_calculators]
