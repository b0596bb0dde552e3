"""Field-enhanced hopping flux of a charged species on a 1D finite-volume mesh.

Continuum law (Mott & Gurney, Electronic Processes in Ionic Crystals (1940); research/physics.md §3.2):

    F = 2 a nu0 e^(-Ea/kT) N sinh(z q a E / 2kT) - a^2 nu0 e^(-Ea/kT) dN/dx,   D = a^2 nu0 e^(-Ea/kT)

Discretisation between nodes i and i+1 (spacing h, phi = z (psi_i - psi_{i+1}) / V_t):

    F_{i+1/2} = (D/h) sigma(phi) [ N_i B(-phi) - N_{i+1} B(phi) ],   B(x) = x / (e^x - 1),
    sigma(phi) = sinh(u) / u,   u = phi a / (2h) = z q a E / (2 kT)

i.e. the Scharfetter-Gummel flux times the hopping enhancement sigma >= 1. Properties: for uniform N the
drift is exactly the sinh law; the zero-flux profile is exactly Boltzmann, N_{i+1}/N_i = e^phi, for any
field; both coefficients are positive, so an implicit step keeps N >= 0 (M-matrix); for h = a it is the
master equation of nearest-neighbour hops, F = a nu0 e^(-Ea/kT) [N_i e^(phi/2) - N_{i+1} e^(-phi/2)].

Kernels return the flux and its derivatives with respect to N_i, N_{i+1}, psi_i, psi_{i+1}.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _bernoulli(x):
    """B(x) = x/(e^x - 1) and B'(x), stable for all x."""
    ax = abs(x)
    if ax < 1e-5:
        return 1.0 - 0.5 * x + x * x / 12.0, -0.5 + x / 6.0
    if x > 700.0:
        return x * np.exp(-x), (1.0 - x) * np.exp(-x)
    em1 = np.expm1(x)
    B = x / em1
    dB = (em1 - x * (em1 + 1.0)) / (em1 * em1)
    return B, dB


@numba.njit(cache=True)
def _sinhc(u):
    """sinh(u)/u and its derivative."""
    if abs(u) < 1e-4:
        return 1.0 + u * u / 6.0, u / 3.0
    s = np.sinh(u) / u
    return s, (np.cosh(u) - s) / u


@numba.njit(cache=True)
def hopping_flux_numba(N, psi, h, D, z, Vt, a, out_F, out_dN0, out_dN1, out_dpsi0):
    """Fluxes F_k between nodes k and k+1 for k = 0 .. len(h)-1 (per area per time).

    dF/dpsi_{k+1} = -dF/dpsi_k, so only dF/dpsi_k is returned."""
    for k in range(h.size):
        phi = z * (psi[k] - psi[k + 1]) / Vt
        Bm, dBm = _bernoulli(-phi)
        Bp, dBp = _bernoulli(phi)
        u = phi * a / (2.0 * h[k])
        sg, dsg = _sinhc(u)
        c = D / h[k]
        bracket = N[k] * Bm - N[k + 1] * Bp
        out_F[k] = c * sg * bracket
        out_dN0[k] = c * sg * Bm
        out_dN1[k] = -c * sg * Bp
        dbracket_dphi = -N[k] * dBm - N[k + 1] * dBp
        dF_dphi = c * (dsg * a / (2.0 * h[k]) * bracket + sg * dbracket_dphi)
        out_dpsi0[k] = dF_dphi * z / Vt


def hopping_flux_numpy(N, psi, h, D, z, Vt, a):
    """Numpy twin of :func:`hopping_flux_numba`: returns (F, dF/dN_k, dF/dN_{k+1}, dF/dpsi_k)."""
    phi = z * (psi[:-1] - psi[1:]) / Vt
    N0, N1 = N[:-1], N[1:]

    def bern(x):
        small = np.abs(x) < 1e-5
        xs = np.where(small, 1.0, x)
        em1 = np.expm1(np.minimum(xs, 700.0))
        B = np.where(small, 1 - x / 2 + x * x / 12, xs / em1)
        dB = np.where(small, -0.5 + x / 6, (em1 - xs * (em1 + 1.0)) / (em1 * em1))
        return B, dB

    Bm, dBm = bern(-phi)
    Bp, dBp = bern(phi)
    u = phi * a / (2.0 * h)
    small = np.abs(u) < 1e-4
    us = np.where(small, 1.0, u)
    sg = np.where(small, 1 + u * u / 6, np.sinh(us) / us)
    dsg = np.where(small, u / 3, (np.cosh(us) - np.sinh(us) / us) / us)
    c = D / h
    bracket = N0 * Bm - N1 * Bp
    F = c * sg * bracket
    dF_dphi = c * (dsg * a / (2.0 * h) * bracket + sg * (-N0 * dBm - N1 * dBp))
    return F, c * sg * Bm, -c * sg * Bp, dF_dphi * z / Vt
