"""Fermi-Dirac integral of order 1/2, normalised as F(eta) = (2/sqrt(pi)) Int_0^inf sqrt(e)/(1+exp(e-eta)) de,
so that n = N_c F(eta) and F -> exp(eta) for eta -> -inf (Blakemore, Solid-State Electron. 25, 1067 (1982)).

The table is built once by Gauss-Legendre quadrature in t = sqrt(e) and interpolated with cubic Hermite
polynomials on ln F; outside the table the Boltzmann (eta < ETA_MIN) and Sommerfeld (eta > ETA_MAX) limits
apply. The numba kernel and its numpy twin read the same table arrays.
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np
from scipy.special import expit

ETA_MIN, ETA_MAX, ETA_STEP = -40.0, 100.0, 0.05
_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


def _quadrature(eta: np.ndarray):
    """F(eta) and dF/deta by composite Gauss-Legendre quadrature, vectorised over eta."""
    x, w = np.polynomial.legendre.leggauss(8)
    F = np.empty_like(eta)
    dF = np.empty_like(eta)
    for k, et in enumerate(eta):
        # Below e = eta - 36 the occupation is 1 to 2e-16: that part integrates in closed form.
        a = max(0.0, et - 36.0)
        b = max(et, 0.0) + 50.0
        t_lo, t_hi = np.sqrt(a), np.sqrt(b)
        n_panels = max(8, int(np.ceil((t_hi - t_lo) * 4.0 * t_hi)))
        edges = np.linspace(t_lo, t_hi, n_panels + 1)
        mid = 0.5 * (edges[1:] + edges[:-1])[:, None]
        half = 0.5 * (edges[1:] - edges[:-1])[:, None]
        t = (mid + half * x[None, :]).ravel()
        wt = (half * w[None, :]).ravel()
        e = t * t
        occ = expit(et - e)                                      # 1/(1+exp(e-eta)), overflow-free
        F[k] = _TWO_OVER_SQRT_PI * (np.sum(wt * 2.0 * t * t * occ) + (2.0 / 3.0) * a ** 1.5)
        # dF/deta = (2/sqrt(pi)) Int sqrt(e) f (1-f) de; the region below a contributes ~0.
        dF[k] = _TWO_OVER_SQRT_PI * np.sum(wt * 2.0 * t * t * occ * (1.0 - occ))
    return F, dF


@lru_cache(maxsize=1)
def table():
    """(eta0, step, lnF, dlnF/deta) on the grid ETA_MIN .. ETA_MAX."""
    eta = np.arange(ETA_MIN, ETA_MAX + 0.5 * ETA_STEP, ETA_STEP)
    F, dF = _quadrature(eta)
    return ETA_MIN, ETA_STEP, np.log(F), dF / F


def fermi_half_numpy(eta, eta0, step, lnF, dlnF):
    """Numpy twin: F(eta) and dF/deta by cubic Hermite interpolation of ln F."""
    eta = np.asarray(eta, dtype=float)
    n = lnF.size
    s = (eta - eta0) / step
    i = np.clip(np.floor(s).astype(np.int64), 0, n - 2)
    u = np.clip(s - i, 0.0, 1.0)
    h00 = 2 * u**3 - 3 * u**2 + 1
    h10 = u**3 - 2 * u**2 + u
    h01 = -2 * u**3 + 3 * u**2
    h11 = u**3 - u**2
    g = h00 * lnF[i] + h10 * step * dlnF[i] + h01 * lnF[i + 1] + h11 * step * dlnF[i + 1]
    dh00 = (6 * u**2 - 6 * u) / step
    dh10 = (3 * u**2 - 4 * u + 1)
    dh01 = (-6 * u**2 + 6 * u) / step
    dh11 = (3 * u**2 - 2 * u)
    dg = dh00 * lnF[i] + dh10 * dlnF[i] + dh01 * lnF[i + 1] + dh11 * dlnF[i + 1]
    F = np.exp(g)
    dF = F * dg
    eta_max = eta0 + step * (n - 1)
    low = eta < eta0
    e_low = np.exp(np.minimum(eta, eta0))
    F = np.where(low, e_low, F)
    dF = np.where(low, e_low, dF)
    high = eta > eta_max
    if np.any(high):
        Fs, dFs = _sommerfeld(eta[high])
        F = F.copy(); dF = dF.copy()
        F[high], dF[high] = Fs, dFs
    return F, dF


def _sommerfeld(eta):
    """Degenerate limit F = (4/(3 sqrt(pi))) eta^1.5 (1 + pi^2/(8 eta^2)), with its derivative."""
    c = 4.0 / (3.0 * np.sqrt(np.pi))
    k = np.pi**2 / 8.0
    F = c * eta**1.5 * (1.0 + k / eta**2)
    dF = c * (1.5 * eta**0.5 - 0.5 * k * eta**-1.5)
    return F, dF


@numba.njit(cache=True)
def fermi_half_scalar(eta, eta0, step, lnF, dlnF):
    """numba kernel: F(eta) and dF/deta for one eta (same interpolation as the numpy twin)."""
    n = lnF.size
    if eta < eta0:
        e = np.exp(eta)
        return e, e
    if eta > eta0 + step * (n - 1):
        c = 4.0 / (3.0 * np.sqrt(np.pi))
        k = np.pi**2 / 8.0
        return c * eta**1.5 * (1.0 + k / eta**2), c * (1.5 * eta**0.5 - 0.5 * k * eta**-1.5)
    s = (eta - eta0) / step
    i = int(np.floor(s))
    if i > n - 2:
        i = n - 2
    u = s - i
    u2 = u * u
    u3 = u2 * u
    g = ((2 * u3 - 3 * u2 + 1) * lnF[i] + (u3 - 2 * u2 + u) * step * dlnF[i]
         + (-2 * u3 + 3 * u2) * lnF[i + 1] + (u3 - u2) * step * dlnF[i + 1])
    dg = ((6 * u2 - 6 * u) / step * lnF[i] + (3 * u2 - 4 * u + 1) * dlnF[i]
          + (-6 * u2 + 6 * u) / step * lnF[i + 1] + (3 * u2 - 2 * u) * dlnF[i + 1])
    F = np.exp(g)
    return F, F * dg


def effective_dos_m3(mass_kg: float, T_K: float) -> float:
    """Effective density of states N_c = 2 (m kT / (2 pi hbar^2))^(3/2) (Sze & Ng, eq. 1.10)."""
    from scipy import constants as sc
    return 2.0 * (mass_kg * sc.k * T_K / (2.0 * np.pi * sc.hbar**2)) ** 1.5


def solve_eta_for_density(n_over_Nc: float) -> float:
    """Reduced Fermi level eta with F(eta) = n/N_c (bracketed root of ln F(eta) - ln(n/N_c))."""
    from scipy.optimize import brentq

    r = float(n_over_Nc)
    if not (r > 0 and np.isfinite(r)):
        raise ValueError(f"n_over_Nc = {n_over_Nc!r}; allowed: (0, inf)")
    tab = table()
    lnr = np.log(r)

    def g(eta):
        F, _ = fermi_half_numpy(np.array([eta]), *tab)
        return float(np.log(F[0]) - lnr)

    # F >= e^eta / (1 + e^eta)-like bounds: the root lies within these generous brackets.
    lo = min(lnr, 0.0) - 5.0
    hi = max(lnr, (0.75 * np.sqrt(np.pi) * r) ** (2.0 / 3.0)) + 5.0
    return float(brentq(g, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200))
