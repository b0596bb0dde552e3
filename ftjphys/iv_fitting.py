"""Fits of measured or simulated I-V curves to the closed-form laws of :mod:`ftjphys.barrier_models`.

Every fit returns a frozen dataclass with the fitted values in SI, ``*_eV`` convenience properties
for energies, the rms of the natural-log current residual (``rms_log_residual``; 0.01 means ~1 %
scatter) and the bias window actually used (``V_window_V`` = (lowest, highest) bias of the points
used, ``n_points``). The bias sign convention is that of :mod:`ftjphys.barrier_models` (V > 0: top
electrode, the phi1 side, positive). No file I/O.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import constants as sc
from scipy.optimize import least_squares

from . import barrier_models as bm
from .validation import require_finite, require_positive

__all__ = [
    "TrapezoidFit",
    "FNFit",
    "SchottkyFit",
    "ThermionicFit",
    "fit_trapezoid_dt",
    "fn_plot",
    "transition_voltage",
    "fit_fn",
    "fit_schottky",
    "fit_thermionic_forward",
]

_EV = sc.electron_volt
_M0 = sc.m_e
_Q = sc.e
_K_B = sc.k
_H = sc.h
_EPS0 = sc.epsilon_0


# --------------------------------------------------------------------------------------- results

@dataclass(frozen=True)
class _Fit:
    """What every fit reports: the rms of the ln I residual and the bias window it used."""

    rms_log_residual: float
    V_window_V: tuple[float, float]
    n_points: int


@dataclass(frozen=True)
class _BarrierFit(_Fit):
    phi_J: float

    @property
    def phi_eV(self) -> float:
        return self.phi_J / _EV


@dataclass(frozen=True)
class TrapezoidFit(_Fit):
    """Result of :func:`fit_trapezoid_dt`."""

    phi1_J: float
    phi2_J: float
    mass_kg: float
    thickness_m: float
    mass_fitted: bool

    @property
    def phi1_eV(self) -> float:
        return self.phi1_J / _EV

    @property
    def phi2_eV(self) -> float:
        return self.phi2_J / _EV

    @property
    def mass_ratio(self) -> float:
        """m / m0."""
        return self.mass_kg / _M0


@dataclass(frozen=True)
class FNFit(_BarrierFit):
    """Result of :func:`fit_fn`: ln(|I|/V^2) = intercept + slope_V / |V|."""

    slope_V: float
    intercept: float
    thickness_m: float
    mass_kg: float


@dataclass(frozen=True)
class SchottkyFit(_BarrierFit):
    """Result of :func:`fit_schottky`: ln|I| = intercept + slope_per_sqrtV sqrt(|V|)."""

    eps_r: float
    slope_per_sqrtV: float
    intercept: float
    T_K: float
    mass_kg: float
    thickness_m: float


@dataclass(frozen=True)
class ThermionicFit(_BarrierFit):
    """Result of :func:`fit_thermionic_forward`."""

    ideality: float
    T_K: float
    mass_kg: float


# --------------------------------------------------------------------------------------- helpers

def _iv(V_V, I_A):
    """Validated 1D float arrays of equal length."""
    V = np.asarray(V_V, dtype=float)
    I = np.asarray(I_A, dtype=float)
    if V.ndim != 1:
        raise ValueError(f"V_V must be a 1D array; got shape {V.shape}")
    if I.shape != V.shape:
        raise ValueError(f"I_A must have the shape of V_V {V.shape}; got shape {I.shape}")
    require_finite("V_V", V)
    require_finite("I_A", I)
    return V, I


def _pos(name: str, value) -> float:
    require_positive(name, value)
    return float(value)


def _need(n: int, n_min: int, what: str):
    if n < n_min:
        raise ValueError(f"{what}: {n} usable points (V != 0, I != 0); at least {n_min} needed")


def _window(V_window, name="V_window"):
    try:
        lo, hi = (float(v) for v in V_window)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {V_window!r} must be a pair (V_lo, V_hi) of volts") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi or (lo < 0.0 < hi):
        raise ValueError(f"{name} = {V_window!r} is invalid; allowed: finite V_lo < V_hi of one sign "
                         f"(0 may be an end point)")
    return lo, hi


def _one_branch(V, name="V_V"):
    """Sign (+1/-1) of the nonzero biases; raise if both polarities are present."""
    nz = V[V != 0]
    if nz.size == 0:
        raise ValueError(f"{name} has no nonzero bias")
    if np.any(nz > 0) and np.any(nz < 0):
        raise ValueError(f"{name} contains both polarities (min {nz.min():g} V, max {nz.max():g} V); "
                         f"allowed: one branch (all V >= 0 or all V <= 0)")
    return 1.0 if nz[0] > 0 else -1.0


def _linear_fit(x, y):
    """Least-squares line y = a + b x; returns (b, a, rms residual)."""
    A = np.vstack([np.ones_like(x), x]).T
    (a, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - (a + b * x)
    return float(b), float(a), float(np.sqrt(np.mean(res**2)))


# --------------------------------------------------------------------------------------- direct tunnelling

def fit_trapezoid_dt(V_V, I_A, area_m2, thickness_m, mass_kg=None, V_max_V=None,
                     phi_bounds_J=(0.02 * _EV, 4.0 * _EV), mass_bounds_kg=(0.02 * _M0, 20.0 * _M0)):
    """Fit ``area * trapezoid_dt_J(V; phi1, phi2, d, m)`` to an I-V curve, least squares in ln|I|.

    Points used: V != 0, I != 0 and |V| <= ``V_max_V`` (default: all). The barrier heights are kept
    inside ``phi_bounds_J`` and, in addition, above the bias range where the formula is defined
    (phi1 > q max(V)/2, phi2 > -q min(V)/2), so every used point is inside the validity range of
    :func:`ftjphys.barrier_models.trapezoid_dt_J`. Free parameters: phi1, phi2 and, if ``mass_kg``
    is None, the effective mass (within ``mass_bounds_kg``); the thickness is fixed.

    Minimiser: scipy.optimize.least_squares (trust-region reflective, bounds) from a fixed grid of
    starting points (phi1, phi2 in {0.3, 0.8, 1.6} eV, clipped to the bounds; m/m0 in {0.2, 1, 4}
    when free); the lowest cost wins. Deterministic.
    """
    V, I = _iv(V_V, I_A)
    area = _pos("area_m2", area_m2)
    d = _pos("thickness_m", thickness_m)
    if mass_kg is not None:
        require_positive("mass_kg", mass_kg)
    phi_lo, phi_hi = (float(p) for p in phi_bounds_J)
    require_positive("phi_bounds_J[0]", phi_lo)
    require_positive("phi_bounds_J[1]", phi_hi)
    if not phi_lo < phi_hi:
        raise ValueError(f"phi_bounds_J = {phi_bounds_J!r}; allowed: 0 < lower < upper")
    m_lo, m_hi = (float(m) for m in mass_bounds_kg)
    require_positive("mass_bounds_kg[0]", m_lo)
    require_positive("mass_bounds_kg[1]", m_hi)
    if not m_lo < m_hi:
        raise ValueError(f"mass_bounds_kg = {mass_bounds_kg!r}; allowed: 0 < lower < upper")
    sel = (V != 0) & (I != 0)
    if V_max_V is not None:
        require_positive("V_max_V", V_max_V)
        sel &= np.abs(V) <= float(V_max_V)
    free_mass = mass_kg is None
    _need(int(sel.sum()), 4 if free_mass else 3, "fit_trapezoid_dt")
    Vs, y = V[sel], np.log(np.abs(I[sel]))

    # Validity: phi1 - qV/2 > 0 and phi2 + qV/2 > 0 for every used V (small margin).
    margin = 1e-3 * _EV
    phi1_min = max(phi_lo, 0.5 * _Q * max(Vs.max(), 0.0) + margin)
    phi2_min = max(phi_lo, 0.5 * _Q * max(-Vs.min(), 0.0) + margin)
    if phi1_min >= phi_hi or phi2_min >= phi_hi:
        raise ValueError(f"bias window {Vs.min():g} .. {Vs.max():g} V needs barrier heights above "
                         f"{max(phi1_min, phi2_min) / _EV:.3g} eV, outside phi_bounds_J = "
                         f"({phi_lo / _EV:.3g}, {phi_hi / _EV:.3g}) eV; reduce V_max_V")
    lower = [phi1_min / _EV, phi2_min / _EV]
    upper = [phi_hi / _EV, phi_hi / _EV]
    if free_mass:
        lower.append(math.log(m_lo / _M0))
        upper.append(math.log(m_hi / _M0))
    lower, upper = np.array(lower), np.array(upper)
    log_area = math.log(area)

    def unpack(p):
        m = _M0 * math.exp(p[2]) if free_mass else float(mass_kg)
        return p[0] * _EV, p[1] * _EV, m

    def residual(p):
        phi1, phi2, m = unpack(p)
        r = bm._trapezoid_log_abs_J(Vs, phi1, phi2, d, m) + log_area - y
        return np.where(np.isfinite(r), r, 1e3)

    starts_phi = [0.3, 0.8, 1.6]
    starts_m = [math.log(0.2), 0.0, math.log(4.0)] if free_mass else [None]
    best = None
    span = upper - lower
    for p1, p2, lm in itertools.product(starts_phi, starts_phi, starts_m):
        x0 = [p1, p2] + ([lm] if free_mass else [])
        x0 = np.clip(np.array(x0), lower + 1e-6 * span, upper - 1e-6 * span)
        sol = least_squares(residual, x0, bounds=(lower, upper), method="trf",
                            x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)
        if best is None or sol.cost < best.cost:
            best = sol
    phi1, phi2, m = unpack(best.x)
    rms = float(np.sqrt(np.mean(residual(best.x) ** 2)))
    return TrapezoidFit(phi1_J=float(phi1), phi2_J=float(phi2), mass_kg=float(m), thickness_m=d,
                        mass_fitted=free_mass, rms_log_residual=rms,
                        V_window_V=(float(Vs.min()), float(Vs.max())), n_points=int(Vs.size))


# --------------------------------------------------------------------------------------- FN / TVS

def _fn_points(V, I):
    sel = (V != 0) & (I != 0)
    return V[sel], I[sel]


def fn_plot(V_V, I_A):
    """Fowler-Nordheim plot of one polarity: returns (1/|V| in 1/V, ln(|I|/V^2) with I in A, V in V).

    Points with V = 0 or I = 0 are dropped; the input order is kept. V_V must hold one polarity
    (ValueError otherwise). For the negative branch 1/|V| is used, so both branches plot alike.
    """
    V, I = _iv(V_V, I_A)
    _one_branch(V)
    V, I = _fn_points(V, I)
    return 1.0 / np.abs(V), np.log(np.abs(I) / V**2)


def transition_voltage(V_V, I_A):
    """Transition voltage: the bias at the minimum of ln(|I|/V^2) versus 1/|V|.

    Transition-voltage spectroscopy, Beebe, Kim, Gadzuk, Frisbie, Kushmerick, Phys. Rev. Lett. 97,
    026801 (2006). The discrete minimum over the (sorted) points is refined by the vertex of the
    parabola through it and its two neighbours in the (1/|V|, ln(|I|/V^2)) plane. Pass one branch
    (all V >= 0 or all V <= 0); the result carries the sign of that branch (V).
    Raises ValueError if the minimum is at the end of the range (no interior minimum).
    """
    V, I = _iv(V_V, I_A)
    sign = _one_branch(V)
    x, y = fn_plot(V, I)
    _need(x.size, 3, "transition_voltage")
    order = np.argsort(x)
    x, y = x[order], y[order]
    k = int(np.argmin(y))
    if k == 0 or k == x.size - 1:
        raise ValueError(f"transition_voltage: ln(|I|/V^2) has no interior minimum in the bias range "
                         f"{1 / x.max():g} .. {1 / x.min():g} V (minimum at the end point {1 / x[k]:g} V)")
    x0, x1, x2 = x[k - 1:k + 2]
    y0, y1, y2 = y[k - 1:k + 2]
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
    b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / den
    xv = -b / (2.0 * a) if a > 0 else x1
    xv = min(max(xv, x0), x2)
    return float(sign / xv)


def fit_fn(V_V, I_A, thickness_m, mass_kg, V_min_V):
    """Linear fit of the FN plot for |V| >= ``V_min_V``; barrier height from the slope.

    ln(|I|/V^2) = intercept + slope / |V| with slope = -8 pi sqrt(2m) phi^{3/2} d / (3 h q)
    (:func:`ftjphys.barrier_models.fn_slope_per_V`, Lenzlinger & Snow, JAP 40, 278 (1969)), so
    phi = (-slope 3 h q / (8 pi sqrt(2m) d))^{2/3}; NaN if the slope is not negative.
    One polarity only (ValueError otherwise).
    """
    V, I = _iv(V_V, I_A)
    d = _pos("thickness_m", thickness_m)
    m = _pos("mass_kg", mass_kg)
    require_positive("V_min_V", V_min_V)
    _one_branch(V)
    V, I = _fn_points(V, I)
    sel = np.abs(V) >= float(V_min_V)
    _need(int(sel.sum()), 3, "fit_fn")
    Vs, Is = V[sel], I[sel]
    slope, intercept, rms = _linear_fit(1.0 / np.abs(Vs), np.log(np.abs(Is) / Vs**2))
    if slope < 0:
        phi = (-slope * 3.0 * _H * _Q / (8.0 * np.pi * math.sqrt(2.0 * m) * d)) ** (2.0 / 3.0)
    else:
        phi = math.nan
    return FNFit(phi_J=float(phi), slope_V=slope, intercept=intercept, thickness_m=d, mass_kg=m,
                 rms_log_residual=rms, V_window_V=(float(Vs.min()), float(Vs.max())),
                 n_points=int(Vs.size))


# --------------------------------------------------------------------------------------- thermionic

def _window_points(V, I, V_window, what):
    lo, hi = _window(V_window)
    sel = (V >= lo) & (V <= hi) & (V != 0) & (I != 0)
    _need(int(sel.sum()), 3, what)
    return V[sel], I[sel]


def fit_schottky(V_V, I_A, area_m2, T_K, mass_kg, V_window, thickness_m=None):
    """Schottky-emission fit: ln|I| = intercept + slope sqrt(|V|) over ``V_window`` = (V_lo, V_hi).

    Model :func:`ftjphys.barrier_models.schottky_emission_J` times the area::

        ln|I| = ln(area A* T^2) - phi/kT + sqrt(q^3 / (4 pi eps0 eps_r d)) sqrt(|V|) / kT

    so phi = kT [ln(area A* T^2) - intercept] with A* from ``mass_kg``, and, when ``thickness_m`` is
    given, eps_r = q^3 / (4 pi eps0 d (slope kT)^2) (the optical permittivity of the layer); NaN
    without a thickness or if the slope is not positive. The window is in signed volts, one polarity
    (e.g. (-1.0, -0.3) for the negative branch).
    """
    V, I = _iv(V_V, I_A)
    area = _pos("area_m2", area_m2)
    T = _pos("T_K", T_K)
    A_star = bm.richardson_constant_A_per_m2K2(mass_kg)
    if thickness_m is not None:
        require_positive("thickness_m", thickness_m)
    Vs, Is = _window_points(V, I, V_window, "fit_schottky")
    kT = _K_B * T
    slope, intercept, rms = _linear_fit(np.sqrt(np.abs(Vs)), np.log(np.abs(Is)))
    phi = kT * (math.log(area * A_star * T**2) - intercept)
    if thickness_m is not None and slope > 0:
        eps_r = _Q**3 / (4.0 * np.pi * _EPS0 * float(thickness_m) * (slope * kT) ** 2)
    else:
        eps_r = math.nan
    return SchottkyFit(phi_J=float(phi), eps_r=float(eps_r), slope_per_sqrtV=slope, intercept=intercept,
                       T_K=T, mass_kg=float(mass_kg),
                       thickness_m=math.nan if thickness_m is None else float(thickness_m),
                       rms_log_residual=rms, V_window_V=(float(Vs.min()), float(Vs.max())),
                       n_points=int(Vs.size))


def fit_thermionic_forward(V_V, I_A, area_m2, T_K, mass_kg, V_window):
    """Forward-bias thermionic-emission fit: ideality n and barrier phi from ln|I| versus |V|.

    Model :func:`ftjphys.barrier_models.thermionic_J` times the area::

        |I| = area A* T^2 exp(-phi/kT) [exp(q|V|/(n kT)) - 1]

    ln|I| - ln(1 - exp(-q|V|/(n kT))) = ln(area A* T^2) - phi/kT + q|V|/(n kT) is fitted by a line;
    the (small) back-flow term is handled by a fixed-point iteration on n starting from the plain
    ln|I| vs |V| line. n = q/(slope kT), phi = kT [ln(area A* T^2) - intercept] (Sze & Ng, ch. 3).
    The window is in signed volts, one polarity (the forward branch).
    """
    V, I = _iv(V_V, I_A)
    area = _pos("area_m2", area_m2)
    T = _pos("T_K", T_K)
    A_star = bm.richardson_constant_A_per_m2K2(mass_kg)
    Vs, Is = _window_points(V, I, V_window, "fit_thermionic_forward")
    kT = _K_B * T
    x, y = np.abs(Vs), np.log(np.abs(Is))
    slope, intercept, rms = _linear_fit(x, y)
    for _ in range(100):
        if slope <= 0:
            break
        n = _Q / (slope * kT)
        corr = np.log(-np.expm1(-_Q * x / (n * kT)))
        new_slope, intercept, rms = _linear_fit(x, y - corr)
        converged = abs(new_slope - slope) <= 1e-13 * abs(slope)
        slope = new_slope
        if converged:
            break
    n = _Q / (slope * kT) if slope > 0 else math.nan
    phi = kT * (math.log(area * A_star * T**2) - intercept)
    return ThermionicFit(phi_J=float(phi), ideality=float(n), T_K=T, mass_kg=float(mass_kg),
                         rms_log_residual=rms, V_window_V=(float(Vs.min()), float(Vs.max())),
                         n_points=int(Vs.size))
