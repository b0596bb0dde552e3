"""Switching figures of merit from measured-style curves (pure functions, no I/O).

R-V loops (resistance read after each write pulse of a stepped train 0 -> +V_max -> -V_max -> 0):

- the **positive branch** is the up-sweep from the first write (0 V) to the first write at the largest
  amplitude: HRS -> LRS, R falls;
- the **negative branch** is the sweep from the first write at or below 0 V after that maximum to the first
  write at the most negative amplitude: LRS -> HRS, R rises.

Switching window of a branch (:func:`branch_switching`): on ln R against |V_write|, the swing is from the
branch's first read (ln R_0) to its extreme in the switching direction (the minimum of ln R on the
positive branch, the maximum on the negative branch); the progress p = (ln R - ln R_0) / swing. V_10 and
V_90 are the first |V| where p reaches 0.1 and 0.9 (linear interpolation between the two samples that
bracket the crossing); the window is V_90 - V_10. A branch whose swing is smaller than ``min_ratio``
(default a factor 2) in the switching direction has not switched: every number is NaN. Using the extreme
rather than the last point keeps a branch that overshoots and relaxes (R rises again at high |V| after the
HRS -> LRS switch) from shrinking its own swing.

Asymmetry of a loop (:func:`asymmetry`): |w+ - w-| / mean(w+, w-); NaN when either window is NaN or
both are zero.

I-V sweeps (:func:`iv_switching`): on each half of a bipolar sweep (samples with V > 0, V < 0), the
switching voltage is where ln|I/V| jumps most between consecutive samples in the switching direction
(up on the positive half, HRS -> LRS; down on the negative half, LRS -> HRS), reported as the mean of the
two samples' voltages; the ON/OFF ratio at the read voltage is G_down / G_up on the positive half
(ln G interpolated in V on the up-sweep, still HRS, and on the down-sweep, LRS; clamped to the nearest
sample outside the sampled range). Because a thermionic (Schottky) HRS has ln G rising ~V/V_t, the
largest jump can be the I-V nonlinearity rather than a state change; :func:`reversal_voltage` (where
the polarization changes sign) is the state-based cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A branch switches when R changes by at least this factor in the switching direction.
DEFAULT_MIN_RATIO = 2.0
NAN = float("nan")


@dataclass(frozen=True)
class BranchSwitching:
    """Switching of one branch: window and its ends in |V| (V), the 50 % voltage and the ratio
    R_extreme/R_0. The voltages are NaN (``switched`` False) when the branch did not switch; the ratio is
    then still given (NaN only for unusable input)."""

    switched: bool
    window_V: float
    V10_V: float
    V50_V: float
    V90_V: float
    ratio: float            # R at the extreme (in the switching direction) / R at the start of the branch


@dataclass(frozen=True)
class LoopSwitching:
    """Both branches of an R-V loop and the loop's asymmetry."""

    positive: BranchSwitching
    negative: BranchSwitching
    asymmetry: float
    R_LRS_ohm: float        # smallest read after positive writes (before the negative branch)
    R_HRS_ohm: float        # largest read after negative writes

    @property
    def windows_V(self) -> np.ndarray:
        """[positive, negative] switching windows (V)."""
        return np.array([self.positive.window_V, self.negative.window_V])


_NOT_SWITCHED = BranchSwitching(False, NAN, NAN, NAN, NAN, NAN)


def _crossing(x: np.ndarray, p: np.ndarray, level: float) -> float:
    """First x where p reaches ``level`` (p[0] < level assumed), linear between the bracketing samples."""
    j = int(np.argmax(p >= level))
    if p[j] < level:
        return NAN
    if j == 0:
        return float(x[0])
    p0, p1 = p[j - 1], p[j]
    return float(x[j - 1] + (level - p0) / (p1 - p0) * (x[j] - x[j - 1]))


def branch_switching(V_write, R_ohm, direction: int, min_ratio: float = DEFAULT_MIN_RATIO,
                     levels: tuple = (0.1, 0.9)) -> BranchSwitching:
    """Switching window of one branch (module docstring).

    ``V_write``: write voltages along the branch in the order applied (|V| is used, so the negative
    branch is given as applied, 0 -> -V_max). ``R_ohm``: read resistance after each write (> 0).
    ``direction``: -1 for a branch that switches to lower R (HRS -> LRS), +1 to higher R.
    """
    if direction not in (-1, 1):
        raise ValueError(f"direction = {direction!r}; allowed: -1 (R falls) or +1 (R rises)")
    if not min_ratio > 1.0:
        raise ValueError(f"min_ratio = {min_ratio!r}; allowed: > 1")
    x = np.abs(np.asarray(V_write, dtype=float))
    R = np.asarray(R_ohm, dtype=float)
    if x.shape != R.shape or x.ndim != 1:
        raise ValueError(f"V_write shape {x.shape} and R_ohm shape {R.shape}; allowed: equal 1D shapes")
    if x.size < 2 or not np.all(np.isfinite(R) & (R > 0)) or not np.all(np.isfinite(x)):
        return _NOT_SWITCHED
    L = np.log(R)
    extreme = L.min() if direction < 0 else L.max()
    swing = extreme - L[0]
    if direction * swing < np.log(min_ratio):
        return BranchSwitching(False, NAN, NAN, NAN, NAN, float(np.exp(swing)))
    p = (L - L[0]) / swing
    lo, hi = levels
    v_lo, v50, v_hi = (_crossing(x, p, f) for f in (lo, 0.5, hi))
    return BranchSwitching(True, v_hi - v_lo, v_lo, v50, v_hi, float(np.exp(swing)))


def loop_branches(V_write) -> tuple[slice, slice]:
    """Index ranges (slices) of the positive and negative branch of a loop 0 -> +V_max -> -V_max -> 0."""
    V = np.asarray(V_write, dtype=float)
    if V.ndim != 1 or V.size < 3:
        raise ValueError(f"V_write has shape {V.shape}; allowed: a 1D loop with >= 3 writes")
    i_max = int(np.argmax(V))
    i_min = i_max + int(np.argmin(V[i_max:]))
    if not (V[i_max] > 0 and V[i_min] < 0):
        raise ValueError("V_write is not a bipolar loop (needs writes above and below 0 V, positive first)")
    i_zero = i_max + int(np.argmax(V[i_max:] <= 0.0))
    return slice(0, i_max + 1), slice(i_zero, i_min + 1)


def asymmetry(window_positive_V: float, window_negative_V: float) -> float:
    """|w+ - w-| / mean(w+, w-); NaN when either is NaN or both are zero."""
    a, b = float(window_positive_V), float(window_negative_V)
    mean = 0.5 * (a + b)
    if not (np.isfinite(a) and np.isfinite(b)) or mean == 0.0:
        return NAN
    return abs(a - b) / mean


def loop_switching(V_write, R_ohm, min_ratio: float = DEFAULT_MIN_RATIO) -> LoopSwitching:
    """Both branch windows, the asymmetry and the extreme resistances of an R-V loop."""
    V = np.asarray(V_write, dtype=float)
    R = np.asarray(R_ohm, dtype=float)
    pos, neg = loop_branches(V)
    bp = branch_switching(V[pos], R[pos], -1, min_ratio)
    bn = branch_switching(V[neg], R[neg], +1, min_ratio)
    # Written states: the LRS is the lowest read after positive writes (up to the start of the negative
    # branch), the HRS the highest read after negative writes. The pristine state read before any write
    # is not a state the loop wrote.
    def extreme(values, fn):
        v = values[np.isfinite(values)]
        return float(fn(v)) if v.size else NAN

    lo = extreme(R[: neg.start], np.min)
    hi = extreme(R[neg.start:], np.max)
    return LoopSwitching(bp, bn, asymmetry(bp.window_V, bn.window_V), lo, hi)


# --- I-V sweeps -------------------------------------------------------------------------------

@dataclass(frozen=True)
class IVSwitching:
    """Switching seen in a bipolar I-V sweep (module docstring)."""

    V_set_V: float          # positive half, HRS -> LRS
    V_reset_V: float        # negative half, LRS -> HRS
    set_jump_ratio: float   # G after / G before the largest upward jump (positive half)
    reset_jump_ratio: float  # G before / G after the largest downward jump (negative half)
    G_HRS_S: float          # positive half, up-sweep, at +V_read
    G_LRS_S: float          # positive half, down-sweep, at +V_read

    @property
    def on_off_ratio(self) -> float:
        return self.G_LRS_S / self.G_HRS_S if self.G_HRS_S > 0 else NAN


def _contiguous(mask: np.ndarray) -> np.ndarray:
    """Indices of the first contiguous run of True in ``mask`` (empty if none)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return idx
    breaks = np.flatnonzero(np.diff(idx) > 1)
    return idx[: breaks[0] + 1] if breaks.size else idx


def _largest_jump(V: np.ndarray, lnG: np.ndarray, sign: int, min_ratio: float) -> tuple[float, float]:
    if V.size < 2:
        return NAN, NAN
    d = sign * np.diff(lnG)
    ok = np.isfinite(d)
    if not np.any(ok):
        return NAN, NAN
    j = int(np.nanargmax(np.where(ok, d, -np.inf)))
    ratio = float(np.exp(d[j]))
    if ratio < min_ratio:
        return NAN, ratio
    return float(0.5 * (V[j] + V[j + 1])), ratio


def iv_switching(V_V, I_A, V_read_V: float, min_ratio: float = DEFAULT_MIN_RATIO) -> IVSwitching:
    """Set/reset voltages and the ON/OFF ratio of one bipolar sweep 0 -> +V_max -> 0 -> -V_max -> 0
    (samples in time order; the first contiguous run of V > 0 is the positive half, of V < 0 the
    negative half). A half without a jump of at least ``min_ratio`` in its switching direction gives NaN
    for its voltage (the jump ratio is still reported)."""
    V = np.asarray(V_V, dtype=float)
    I = np.asarray(I_A, dtype=float)
    if V.shape != I.shape or V.ndim != 1:
        raise ValueError(f"V_V shape {V.shape} and I_A shape {I.shape}; allowed: equal 1D shapes")
    with np.errstate(divide="ignore", invalid="ignore"):
        lnG = np.log(np.abs(I / V))
    pos = _contiguous(V > 0)
    neg = _contiguous(V < 0)
    V_set, r_set = _largest_jump(V[pos], lnG[pos], +1, min_ratio)
    V_reset, r_reset = _largest_jump(V[neg], lnG[neg], -1, min_ratio)
    G_up = G_down = NAN
    if pos.size >= 2:
        k = int(np.argmax(V[pos]))
        up, down = pos[: k + 1], pos[k:]
        G_up = _log_interp(V_read_V, V[up], lnG[up])
        G_down = _log_interp(V_read_V, V[down], lnG[down])
    return IVSwitching(V_set, V_reset, r_set, r_reset, G_up, G_down)


def _log_interp(v: float, V: np.ndarray, lnG: np.ndarray) -> float:
    ok = np.isfinite(lnG)
    if not np.any(ok):
        return NAN
    order = np.argsort(V[ok], kind="stable")
    return float(np.exp(np.interp(v, V[ok][order], lnG[ok][order])))


def reversal_voltage(V_V, P_C_per_m2, direction: int) -> float:
    """The bias at which the polarization first changes sign toward ``direction`` (+1: becomes positive,
    -1: becomes negative), linear between the two samples that bracket the change; NaN if it does not
    (samples in time order; a run that starts with that sign counts only after it has left it)."""
    if direction not in (-1, 1):
        raise ValueError(f"direction = {direction!r}; allowed: -1 or +1")
    V = np.asarray(V_V, dtype=float)
    s = direction * np.asarray(P_C_per_m2, dtype=float)
    below = np.flatnonzero(s <= 0)
    if below.size == 0:
        return NAN
    start = int(below[0])
    after = np.flatnonzero(s[start:] > 0)
    if after.size == 0:
        return NAN
    j = start + int(after[0])
    return float(V[j - 1] + (0.0 - s[j - 1]) / (s[j] - s[j - 1]) * (V[j] - V[j - 1]))
