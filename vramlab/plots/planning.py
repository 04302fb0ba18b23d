"""Plots for the planning notebooks (matplotlib; each function takes ax=None and returns the axes)."""

__all__: list[str] = []
