"""Graded 1D meshes (arrays only)."""

from __future__ import annotations

import numpy as np


def uniform_nodes(length_m: float, n_cells: int) -> np.ndarray:
    """Nodes 0 .. length with ``n_cells`` equal cells."""
    if n_cells < 1:
        raise ValueError(f"n_cells = {n_cells} must be >= 1")
    return np.linspace(0.0, length_m, n_cells + 1)


def geometric_nodes(length_m: float, first_cell_m: float, growth: float, max_cell_m: float) -> np.ndarray:
    """Nodes 0 .. length whose cell widths start at ``first_cell_m`` and grow by ``growth`` up to
    ``max_cell_m``; the last cells are rescaled so the mesh ends exactly at ``length_m``."""
    if not (first_cell_m > 0 and growth >= 1.0 and max_cell_m >= first_cell_m and length_m > first_cell_m):
        raise ValueError(f"geometric mesh needs 0 < first_cell_m ({first_cell_m}) <= max_cell_m ({max_cell_m}) "
                         f"< length_m ({length_m}) and growth ({growth}) >= 1")
    widths = []
    h, total = first_cell_m, 0.0
    while total + h < length_m:
        widths.append(h)
        total += h
        h = min(h * growth, max_cell_m)
    widths = np.asarray(widths)
    # Spread the remainder over the cells so the end lands on length_m without a sliver cell.
    widths *= length_m / widths.sum()
    return np.concatenate(([0.0], np.cumsum(widths)))


def cell_widths(nodes: np.ndarray) -> np.ndarray:
    return np.diff(nodes)
