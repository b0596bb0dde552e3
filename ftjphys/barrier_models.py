"""Closed-form tunnelling and emission current laws for fitting I-V curves and checking the solver.

All quantities are SI: energies and barrier heights in J, lengths in m, masses in kg, current
density J in A/m^2, voltage in V, temperature in K. Constants come from :mod:`scipy.constants`.
Every function is vectorised over the bias ``V_V``; the other parameters are scalars.

Bias sign convention (the project's): V > 0 means the top electrode -- electrode 1, the side whose
barrier height is phi1 -- is at the higher electrostatic potential. Its electron energies are then
lowered by qV relative to electrode 2, so, measured from the mean Fermi level
(mu1 = -qV/2, mu2 = +qV/2), the barrier edges are

    U(0) = phi1 - qV/2   (electrode 1 side),      U(d) = phi2 + qV/2   (electrode 2 side).

Electrons then flow from electrode 2 to electrode 1 and the conventional current density is positive
for V > 0 (as in :mod:`solvers.tunneling`: J > 0 when electrons flow from the right electrode to the
left one). All tunnelling laws below are odd in V for a symmetric barrier.

Note on Brinkman et al. and Gruverman et al.: their formulas are written for the opposite labelling
(V is the potential of electrode 2 relative to electrode 1, i.e. edges phi1 + qV/2 and phi2 - qV/2).
In this module's convention the same physics reads J(V; phi1, phi2) = J_Brinkman(V; phi2, phi1)
= -J_Brinkman(-V; phi1, phi2); for BDR the linear term changes sign. The test-suite checks the
convention against an independent Tsu-Esaki/WKB integral with explicit electrode Fermi levels.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import constants as sc

from .validation import require_finite, require_positive

__all__ = [
    "simmons_J",
    "bdr_conductance",
    "bdr_G0_S_per_m2",
    "trapezoid_dt_J",
    "fowler_nordheim_J",
    "fn_slope_per_V",
    "richardson_constant_A_per_m2K2",
    "thermionic_J",
    "schottky_emission_J",
]

_Q = sc.e
_H = sc.h
_HBAR = sc.hbar
_K_B = sc.k
_M0 = sc.m_e
_EPS0 = sc.epsilon_0


# --------------------------------------------------------------------------------------- helpers

def _bias(V_V, name: str = "V_V") -> np.ndarray:
    """Bias as a float array; NaN or infinite values raise ValueError naming ``name``."""
    try:
        V = np.asarray(V_V, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {V_V!r} is not an array of real numbers; allowed: finite reals") from None
    require_finite(name, V)
    return V


def _out(arr: np.ndarray):
    """Return a numpy scalar for 0-d results, the array otherwise."""
    return arr[()] if arr.ndim == 0 else arr


def _pos(name: str, value) -> float:
    require_positive(name, value)
    return float(value)


# --------------------------------------------------------------------------------------- Simmons

def simmons_J(V_V, phi_J, thickness_m, mass_kg):
    r"""Simmons' intermediate-voltage current density through a rectangular barrier (A/m^2).

    J.G. Simmons, J. Appl. Phys. 34, 1793 (1963), Eq. (20) with the rectangular-barrier
    parameters of his Sec. IV (beta = 1)::

        J = J0 { phibar exp(-A sqrt(phibar)) - (phibar + qV) exp(-A sqrt(phibar + qV)) }
        J0 = q / (2 pi h Ds^2),      A = 4 pi Ds sqrt(2 m) / h = 2 Ds sqrt(2 m) / hbar

    with, for 0 <= qV <= phi (intermediate range)    Ds = d,           phibar = phi - qV/2,
    and for qV > phi (Fowler-Nordheim-like range)      Ds = d phi/(qV),  phibar = phi/2
    (both are continuous at qV = phi). Negative bias: J(-V) = -J(V) (symmetric barrier), so J > 0
    for V > 0 per the module's sign convention.

    The mass-independent prefactor follows from Simmons' derivation with one mass m for the
    electrode supply and the barrier. The formula neglects terms of relative order
    1/(A sqrt(phibar)) (the low-bias current is too small by (1 - 2/X)/(1 + 1/X), X = A sqrt(phibar))
    and the beta < 1 correction, so it is accurate to ~10-20 % for X >~ 15. When X falls to ~2 the
    curly bracket changes sign -- for thin/low barriers, or in the high-voltage range where Ds shrinks
    as 1/V (X = 2 d sqrt(m) phi^{3/2} / (hbar qV)) -- and the formula has lost its meaning: NaN is
    returned where the bracket is not positive (J(0) = 0).

    Parameters: ``phi_J`` barrier height above the Fermi level (J), ``thickness_m`` d (m),
    ``mass_kg`` tunnelling effective mass (kg).
    """
    V = _bias(V_V)
    phi = _pos("phi_J", phi_J)
    d = _pos("thickness_m", thickness_m)
    m = _pos("mass_kg", mass_kg)
    qv = _Q * np.abs(V)
    low = qv <= phi
    with np.errstate(divide="ignore", invalid="ignore"):
        ds = np.where(low, d, d * phi / np.where(low, 1.0, qv))
    phibar = np.where(low, phi - 0.5 * qv, 0.5 * phi)
    A = 2.0 * ds * math.sqrt(2.0 * m) / _HBAR
    J0 = _Q / (2.0 * np.pi * _H * ds**2)
    # phibar e^{-A sqrt(phibar)} - (phibar+qV) e^{-A sqrt(phibar+qV)}, written without cancellation:
    # = e^{-A sqrt(phibar)} [phibar (1 - e^{-D}) - qV e^{-D}],  D = A qV / (sqrt(phibar+qV) + sqrt(phibar))
    sp = np.sqrt(phibar)
    D = A * qv / (np.sqrt(phibar + qv) + sp)
    bracket = -phibar * np.expm1(-D) - qv * np.exp(-D)
    J = np.where(bracket > 0, J0 * np.exp(-A * sp) * bracket, np.nan)
    return _out(np.where(V == 0.0, 0.0, np.sign(V) * J))


# --------------------------------------------------------------------------------------- BDR

def bdr_conductance(V_V, phi1_J, phi2_J, thickness_m, mass_kg):
    r"""Normalised differential conductance G(V)/G(0) of a trapezoidal barrier (dimensionless).

    W.F. Brinkman, R.C. Dynes, J.M. Rowell, J. Appl. Phys. 41, 1915 (1970), Eq. (4), to second order
    in the bias::

        G(V)/G(0) = 1 + [A0 dphi / (16 phibar^{3/2})] qV + (9/128) (A0^2 / phibar) (qV)^2
        A0 = 4 d sqrt(2 m) / (3 hbar),   dphi = phi2 - phi1,   phibar = (phi1 + phi2)/2

    The linear term carries the opposite sign of BDR's paper because here V > 0 means electrode 1
    (phi1 side) positive (module docstring); a barrier whose higher edge is at electrode 2
    (dphi > 0) therefore conducts better at V > 0, and the conductance minimum lies at
    qV_min = -4 dphi / (9 A0 sqrt(phibar)). Valid for d >~ 1 nm, |dphi|/phibar < 1 and
    qV small compared with phibar.
    """
    V = _bias(V_V)
    phi1 = _pos("phi1_J", phi1_J)
    phi2 = _pos("phi2_J", phi2_J)
    d = _pos("thickness_m", thickness_m)
    m = _pos("mass_kg", mass_kg)
    phibar = 0.5 * (phi1 + phi2)
    A0 = 4.0 * d * math.sqrt(2.0 * m) / (3.0 * _HBAR)
    qV = _Q * V
    g = 1.0 + A0 * (phi2 - phi1) / (16.0 * phibar**1.5) * qV + (9.0 / 128.0) * A0**2 / phibar * qV**2
    return _out(np.asarray(g, dtype=float))


def bdr_G0_S_per_m2(phi1_J, phi2_J, thickness_m, mass_kg):
    r"""Zero-bias conductance per unit area of a trapezoidal barrier, G(0)/A in S/m^2.

    BDR (J. Appl. Phys. 41, 1915 (1970), Eq. (3)) quote, for the free-electron mass,
    G(0)/A = (3.16e10 sqrt(phibar)/d) exp(-1.025 d sqrt(phibar)) Ohm^-1 cm^-2 (d in Angstrom,
    phibar in V). Derived here in SI for a mass m (same mass for the electrode supply and the
    barrier, as in BDR and Gruverman et al.):

    Tsu-Esaki at T = 0, energies E_x from the Fermi level, mu_{1,2} = -/+ qV/2::

        J = (q m / (2 pi^2 hbar^3)) Int D(E_x) [(mu2 - E_x)_+ - (mu1 - E_x)_+] dE_x
        G(0)/A = dJ/dV|_0 = (q^2 m / (2 pi^2 hbar^3)) Int_{-inf}^{0} D(E_x) dE_x

    WKB transmission of the mean barrier, D(E_x) = exp[-a sqrt(phibar - E_x)], a = 2 d sqrt(2m)/hbar;
    with u = sqrt(phibar - E_x) the integral is exactly 2 exp(-a sqrt(phibar)) [sqrt(phibar)/a + 1/a^2].
    Keeping the leading term (the 1/a^2 term is a relative correction 1/(a sqrt(phibar)), dropped by
    BDR too)::

        G(0)/A = q^2 sqrt(m phibar) / (2 sqrt(2) pi^2 hbar^2 d) * exp(-2 d sqrt(2 m phibar) / hbar)

    For m = m0 this is 3.158e10 sqrt(phibar[V]) / d[A] S/cm^2 and the exponent 1.0246 d[A]
    sqrt(phibar[V]), i.e. BDR's numbers; both the exponent and the prefactor scale as sqrt(m/m0).
    It equals the V -> 0 slope of :func:`trapezoid_dt_J` for phi1 = phi2.
    """
    phi1 = _pos("phi1_J", phi1_J)
    phi2 = _pos("phi2_J", phi2_J)
    d = _pos("thickness_m", thickness_m)
    m = _pos("mass_kg", mass_kg)
    phibar = 0.5 * (phi1 + phi2)
    pref = _Q**2 * math.sqrt(m * phibar) / (2.0 * math.sqrt(2.0) * np.pi**2 * _HBAR**2 * d)
    return float(pref * math.exp(-2.0 * d * math.sqrt(2.0 * m * phibar) / _HBAR))


# --------------------------------------------------------------------------------------- trapezoid

def _trapezoid_edges(V, phi1, phi2):
    """Barrier edges measured from the mean Fermi level (module sign convention)."""
    half = 0.5 * _Q * V
    return phi1 - half, phi2 + half


def _trapezoid_log_abs_J(V, phi1, phi2, d, m):
    """ln|J| of :func:`trapezoid_dt_J` (no validation; NaN outside the validity range, -inf at V = 0)."""
    a, b = _trapezoid_edges(V, phi1, phi2)
    valid = (a > 0) & (b > 0)
    sa = np.sqrt(np.where(valid, a, 1.0))
    sb = np.sqrt(np.where(valid, b, 1.0))
    s = sa + sb
    K = 4.0 * d * math.sqrt(2.0 * m) / (3.0 * _HBAR)
    expo = K * (a + sa * sb + b) / s
    z = np.abs(3.0 * _Q * V * K / (4.0 * s))
    with np.errstate(divide="ignore"):
        log_sinh = z - math.log(2.0) + np.log(-np.expm1(-2.0 * z))
    logJ = np.log(_Q * s**2 / (8.0 * np.pi**2 * _HBAR * d**2)) - expo + log_sinh
    return np.where(valid, logJ, np.nan)


def trapezoid_dt_J(V_V, phi1_J, phi2_J, thickness_m, mass_kg):
    r"""Direct tunnelling through a trapezoidal barrier (A/m^2), Brinkman form used for FTJs.

    Gruverman et al., Nano Lett. 9, 3539 (2009), after Brinkman, Dynes, Rowell, JAP 41, 1915 (1970)::

        J = C exp{alpha [b^{3/2} - a^{3/2}]} / (alpha^2 [b^{1/2} - a^{1/2}]^2)
              * sinh{(3qV/4) alpha [b^{1/2} - a^{1/2}]}
        C = -4 q m / (9 pi^2 hbar^3),   alpha = 4 d sqrt(2m) / (3 hbar (a - b))

    where a, b are the barrier edges measured from the mean Fermi level at electrode 1 and
    electrode 2. In the paper (V = potential of electrode 2) a = phi1 + qV/2, b = phi2 - qV/2 and
    a - b = phi1 + qV - phi2. In this module's convention (V > 0: electrode 1 positive) the edges are
    a = phi1 - qV/2, b = phi2 + qV/2, i.e. the returned J(V; phi1, phi2) equals the paper's
    expression evaluated as J_paper(V; phi2, phi1); J > 0 for V > 0.

    The 0/0 at a = b (rectangular limit) is removed exactly: with K = 4 d sqrt(2m)/(3 hbar),
    alpha (b^{3/2} - a^{3/2}) = -K (a + sqrt(ab) + b)/(sqrt a + sqrt b) and
    alpha (b^{1/2} - a^{1/2}) = -K/(sqrt a + sqrt b), so the implemented (identical) form is::

        J = q (sqrt a + sqrt b)^2 / (8 pi^2 hbar d^2) * exp[-K (a + sqrt(ab) + b)/(sqrt a + sqrt b)]
              * sinh[3 qV K / (4 (sqrt a + sqrt b))]

    smooth across a = b. The exponent is the WKB action of the tilted barrier at the mean Fermi
    level; the energy dependence of the action is linearised over the bias window (that is the
    approximation, accurate when K sqrt(phibar) >> 1 and qV << the edges).

    Validity: the formula needs both edges positive, phi1 - qV/2 > 0 and phi2 + qV/2 > 0.
    Outside that range NaN is returned (documented, not an error) so that a bias sweep can be
    evaluated in one call.
    """
    V = _bias(V_V)
    phi1 = _pos("phi1_J", phi1_J)
    phi2 = _pos("phi2_J", phi2_J)
    d = _pos("thickness_m", thickness_m)
    m = _pos("mass_kg", mass_kg)
    logJ = _trapezoid_log_abs_J(V, phi1, phi2, d, m)
    J = np.where(V == 0.0, 0.0, np.sign(V) * np.exp(logJ))
    return _out(J)


# --------------------------------------------------------------------------------------- Fowler-Nordheim

def fowler_nordheim_J(V_V, phi_J, thickness_m, mass_kg):
    r"""Fowler-Nordheim current density through a triangular barrier (A/m^2).

    M. Lenzlinger and E.H. Snow, J. Appl. Phys. 40, 278 (1969), Eq. (1), with E = |V|/d::

        J = q^3 m0 E^2 / (8 pi h m phi) * exp(-8 pi sqrt(2 m) phi^{3/2} / (3 h q E))

    m0 is the free-electron mass of the emitter (supply), m the effective mass in the barrier.
    Valid for qV > phi (the barrier is triangular at the emitter Fermi level), no image force,
    T = 0. Returned odd in V (J(-V) = -J(V), J(0) = 0), positive for V > 0.
    """
    V = _bias(V_V)
    phi = _pos("phi_J", phi_J)
    d = _pos("thickness_m", thickness_m)
    m = _pos("mass_kg", mass_kg)
    E = np.abs(V) / d
    B = 8.0 * np.pi * math.sqrt(2.0 * m) * phi**1.5 / (3.0 * _H * _Q)
    with np.errstate(divide="ignore"):
        expo = np.where(E > 0, np.exp(-B / np.where(E > 0, E, 1.0)), 0.0)
    J = _Q**3 * _M0 * E**2 / (8.0 * np.pi * _H * m * phi) * expo
    return _out(np.sign(V) * J)


def fn_slope_per_V(phi_J, thickness_m, mass_kg):
    r"""Slope of the FN plot ln(J/V^2) versus 1/V, in V (negative).

    From :func:`fowler_nordheim_J` with E = V/d: ln(J/V^2) = const - B d / V, so::

        slope = -8 pi sqrt(2 m) phi^{3/2} d / (3 h q)

    (Lenzlinger & Snow, J. Appl. Phys. 40, 278 (1969)).
    """
    phi = _pos("phi_J", phi_J)
    d = _pos("thickness_m", thickness_m)
    m = _pos("mass_kg", mass_kg)
    return float(-8.0 * np.pi * math.sqrt(2.0 * m) * phi**1.5 * d / (3.0 * _H * _Q))


# --------------------------------------------------------------------------------------- thermionic

def richardson_constant_A_per_m2K2(mass_kg):
    r"""Effective Richardson constant A* = 4 pi q m k^2 / h^3 (A m^-2 K^-2).

    S.M. Sze and K.K. Ng, Physics of Semiconductor Devices, 3rd ed., ch. 3 (Eq. 3.68);
    1.2017e6 A m^-2 K^-2 for the free-electron mass.
    """
    m = _pos("mass_kg", mass_kg)
    return float(4.0 * np.pi * _Q * m * _K_B**2 / _H**3)


def thermionic_J(V_V, phi_J, T_K, mass_kg, ideality=1.0):
    r"""Thermionic emission over a Schottky barrier (A/m^2).

    Sze & Ng, Physics of Semiconductor Devices, 3rd ed., ch. 3 (Eqs. 3.66-3.68, 3.80)::

        J = A* T^2 exp(-phi / kT) [exp(qV / (n kT)) - 1],    A* = 4 pi q m k^2 / h^3

    V > 0 is taken as forward bias; n = ``ideality`` (> 0, usually >= 1).
    """
    V = _bias(V_V)
    phi = _pos("phi_J", phi_J)
    T = _pos("T_K", T_K)
    n = _pos("ideality", ideality)
    A = richardson_constant_A_per_m2K2(mass_kg)
    kT = _K_B * T
    x = _Q * V / (n * kT)
    with np.errstate(over="ignore"):
        J = A * T**2 * np.where(x < 600.0, math.exp(-phi / kT) * np.expm1(np.minimum(x, 600.0)),
                                np.exp(x - phi / kT))
    return _out(np.asarray(J, dtype=float))


def schottky_emission_J(V_V, phi_J, T_K, mass_kg, thickness_m, eps_r):
    r"""Schottky emission over an image-force-lowered barrier (A/m^2).

    Sze & Ng, Physics of Semiconductor Devices, 3rd ed., ch. 3 / 4 (image-force lowering; e.g. the
    oxide conduction-mechanism table in ch. 4)::

        J = A* T^2 exp(-(phi - sqrt(q^3 |V| / (4 pi eps0 eps_r d))) / kT)

    with the field |V|/d across the barrier layer of thickness d and eps_r its (optical/dynamic)
    relative permittivity. This is the one-way emission flux (back-flow neglected, valid for
    |V| >> kT/q, the reverse-bias regime); it is returned odd in V, J = sign(V) * (...), so J(0) = 0.
    """
    V = _bias(V_V)
    phi = _pos("phi_J", phi_J)
    T = _pos("T_K", T_K)
    d = _pos("thickness_m", thickness_m)
    er = _pos("eps_r", eps_r)
    A = richardson_constant_A_per_m2K2(mass_kg)
    kT = _K_B * T
    lowering = np.sqrt(_Q**3 * np.abs(V) / (4.0 * np.pi * _EPS0 * er * d))
    J = A * T**2 * np.exp(-(phi - lowering) / kT)
    return _out(np.sign(V) * J)
