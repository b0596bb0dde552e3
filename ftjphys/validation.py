"""Validation of user-facing parameters: every error names the parameter, its value and the allowed range."""

from __future__ import annotations

import math

import numpy as np


def require_finite(name: str, value) -> None:
    """Raise ValueError if ``value`` (scalar or array) contains NaN or infinity."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} = {value!r} is not finite; allowed: finite real numbers")


def require_range(name: str, value: float, lo: float = -math.inf, hi: float = math.inf,
                  lo_open: bool = False, hi_open: bool = False) -> None:
    """Raise ValueError unless ``lo <= value <= hi`` (strict where ``*_open``) and ``value`` is finite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} is not a real number") from None
    lo_ok = v > lo if lo_open else v >= lo
    hi_ok = v < hi if hi_open else v <= hi
    if math.isnan(v) or not (lo_ok and hi_ok) or (math.isinf(v) and not (math.isinf(lo) or math.isinf(hi))):
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise ValueError(f"{name} = {value!r} is out of range; allowed: {left}{lo:g}, {hi:g}{right}")
    if math.isinf(v):
        raise ValueError(f"{name} = {value!r} is not finite; allowed: {lo:g} .. {hi:g}")


def require_positive(name: str, value: float, hi: float = math.inf) -> None:
    """Raise ValueError unless ``0 < value <= hi``."""
    require_range(name, value, 0.0, hi, lo_open=True)


def require_increasing(name: str, x) -> None:
    """Raise ValueError unless ``x`` is a finite, strictly increasing 1D array."""
    arr = np.asarray(x, dtype=float)
    require_finite(name, arr)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"{name} must be a 1D array of at least 2 points; got shape {arr.shape}")
    d = np.diff(arr)
    if np.any(d <= 0):
        k = int(np.argmin(d))
        raise ValueError(f"{name} is not strictly increasing: {name}[{k}] = {arr[k]:g} >= "
                         f"{name}[{k + 1}] = {arr[k + 1]:g}; allowed: strictly increasing values")


def require_integer(name: str, value, lo: int, hi: int) -> None:
    """Raise ValueError unless ``value`` is an integer (not a bool) with ``lo <= value <= hi``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} = {value!r} is not an integer; allowed: integers in [{lo}, {hi}]")
    require_range(name, value, lo, hi)
