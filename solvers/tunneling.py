"""WKB transmission through a piecewise-linear barrier and the Tsu-Esaki energy integral.

WKB exponent (Wentzel-Kramers-Brillouin; e.g. Griffiths, Introduction to QM, §8.2):

    theta(E) = Int kappa dx,   kappa = sqrt(2 m(x) (U(x) - E)) / hbar   where U > E,   T(E) = exp(-2 theta)

U is linear inside each cell (values U_left, U_right at its ends, so band offsets are steps at nodes);
the integral of sqrt(U - E) over a linear segment is exact, with the turning point inside the cell
found by linear interpolation:

    Int_0^h sqrt(a + (b - a) x/h) dx = (2/3) h (a + sqrt(ab) + b) / (sqrt(a) + sqrt(b))   (a, b > 0)
                                     = (2/3) h a^(3/2) / (a - b)                           (a > 0 >= b)

Tsu-Esaki current density (Tsu & Esaki, APL 22, 562 (1973)), conserved transverse momentum:

    J = (q m_s kT / (2 pi^2 hbar^3)) Int T(E) { ln[1 + e^((mu_R - E)/kT)] - ln[1 + e^((mu_L - E)/kT)] } dE

positive when electrons flow from the right electrode (mu_R) to the left one (mu_L), i.e. conventional
current from left to right. Above the barrier top T = 1: that part of the integral is the thermionic current.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy import constants as sc


@numba.njit(cache=True)
def wkb_exponent_numba(E, U_left, U_right, h, mass):
    """theta(E) for each energy in ``E`` (J); cell arrays U_left, U_right (J), h (m), mass (kg)."""
    nE = E.size
    nc = h.size
    theta = np.zeros(nE)
    pref = np.sqrt(2.0 * mass) / sc.hbar
    for j in range(nE):
        s = 0.0
        for k in range(nc):
            a = U_left[k] - E[j]
            b = U_right[k] - E[j]
            if a > 0.0 and b > 0.0:
                ra = np.sqrt(a)
                rb = np.sqrt(b)
                s += pref[k] * (2.0 / 3.0) * h[k] * (a + ra * rb + b) / (ra + rb)
            elif a > 0.0:
                s += pref[k] * (2.0 / 3.0) * h[k] * a * np.sqrt(a) / (a - b)
            elif b > 0.0:
                s += pref[k] * (2.0 / 3.0) * h[k] * b * np.sqrt(b) / (b - a)
        theta[j] = s
    return theta


def wkb_exponent_numpy(E, U_left, U_right, h, mass):
    """Numpy twin of :func:`wkb_exponent_numba` (vectorised over energies and cells)."""
    a = U_left[None, :] - E[:, None]
    b = U_right[None, :] - E[:, None]
    ap, bp = np.maximum(a, 0.0), np.maximum(b, 0.0)
    ra, rb = np.sqrt(ap), np.sqrt(bp)
    with np.errstate(divide="ignore", invalid="ignore"):
        both = (2.0 / 3.0) * (ap + ra * rb + bp) / (ra + rb)
        left = (2.0 / 3.0) * ap * ra / (a - b)
        right = (2.0 / 3.0) * bp * rb / (b - a)
    seg = np.where((a > 0) & (b > 0), both, np.where(a > 0, left, np.where(b > 0, right, 0.0)))
    return (seg * h[None, :] * (np.sqrt(2.0 * mass) / sc.hbar)[None, :]).sum(axis=1)


def energy_grid(E_min_J, E_top_J, kT_J, span_kT=30.0, panel_kT=0.5, nodes=4):
    """Composite Gauss-Legendre nodes and weights on [E_min, E_top] and [E_top, E_top + span kT].

    A panel edge falls exactly on E_top (the barrier maximum), where T(E) has a kink.
    Panels are at most ``panel_kT`` kT wide below the top and kT wide above it.
    """
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges_low = np.linspace(E_min_J, E_top_J, max(1, int(np.ceil((E_top_J - E_min_J) / (panel_kT * kT_J)))) + 1)
    edges_high = np.linspace(E_top_J, E_top_J + span_kT * kT_J, int(span_kT) + 1)
    edges = np.concatenate((edges_low, edges_high[1:])) if E_top_J > E_min_J else edges_high
    mid = 0.5 * (edges[1:] + edges[:-1])[:, None]
    half = 0.5 * np.diff(edges)[:, None]
    return (mid + half * x).ravel(), (half * w).ravel()


def supply_function(E, mu_left_J, mu_right_J, kT_J):
    """ln[1 + e^((mu_R - E)/kT)] - ln[1 + e^((mu_L - E)/kT)], overflow-free."""
    return np.logaddexp(0.0, (mu_right_J - E) / kT_J) - np.logaddexp(0.0, (mu_left_J - E) / kT_J)


def tsu_esaki_prefactor(supply_mass_kg, kT_J):
    """q m kT / (2 pi^2 hbar^3) in A m^-2 J^-1."""
    return sc.e * supply_mass_kg * kT_J / (2.0 * np.pi**2 * sc.hbar**3)
