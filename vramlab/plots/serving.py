"""Plots for the serving notebooks (matplotlib; each function takes ax=None and returns the axes)."""

__all__: list[str] = []
