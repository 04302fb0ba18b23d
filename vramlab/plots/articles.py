"""Plots for the articles notebooks (matplotlib; each function takes ax=None and returns the axes)."""

__all__: list[str] = []
