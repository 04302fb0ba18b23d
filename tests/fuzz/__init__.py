"""Seeded input generators for the robustness suite (``tests/test_fuzz.py``) and its benchmark.

Every generator yields :class:`~tests.fuzz.core.Case` objects: a category, a label that
reproduces the input, a call, and the invariants a returned value must satisfy. The runner
(:func:`~tests.fuzz.core.run_cases`) classifies each outcome as ``refused`` (a clean
:class:`~vramlab.errors.VramlabError`), ``value`` (a result that passes the invariants),
``crash`` (any other exception) or ``nonsense`` (a result that breaks an invariant).
"""
