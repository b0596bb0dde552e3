"""Landau free energy of strained BaTiO3 and single-domain Landau-Khalatnikov dynamics.

Free energy per volume for P along the film normal (c-phase), stress-free bulk coefficients of
Li, Cross & Chen, JAP 98, 064101 (2005), renormalised for a film clamped on a cubic substrate with
in-plane misfit strain u_m (Pertsev, Zembilgotov & Tagantsev, PRL 80, 1988 (1998)):

    G(P) = a3* P^2 + a33* P^4 + a111 P^6 - E P
    a3*  = a1 - 2 u_m Q12 / (s11 + s12),   a33* = a11 + Q12^2 / (s11 + s12),   a111 unchanged

    a1 = 3.34e5 (T - 381) J m/C^2,   a11 = 4.69e6 (T - 393) - 2.02e8 J m^5/C^4,
    a111 = -5.52e7 (T - 393) + 2.76e9 J m^9/C^6,   Q12 = -0.045 m^4/C^2,
    s11 = 8.3e-12 m^2/N,   s12 = -2.7e-12 m^2/N

Landau-Khalatnikov: rho dP/dt = -dG/dP + E (rho in Ohm m).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.constants import epsilon_0

from .validation import require_positive, require_range


@dataclass(frozen=True)
class LandauCoefficients:
    """G(P) = a2 P^2 + a4 P^4 + a6 P^6 (SI: J m/C^2, J m^5/C^4, J m^9/C^6)."""

    a2: float
    a4: float
    a6: float

    def __post_init__(self):
        require_range("a6", self.a6, 0.0, np.inf, lo_open=True)

    def free_energy_J_per_m3(self, P, E_V_per_m=0.0):
        P = np.asarray(P, dtype=float)
        return self.a2 * P**2 + self.a4 * P**4 + self.a6 * P**6 - E_V_per_m * P

    def dG_dP(self, P):
        """dG/dP at zero field (V/m): the field that holds P in static equilibrium."""
        P = np.asarray(P, dtype=float)
        return 2 * self.a2 * P + 4 * self.a4 * P**3 + 6 * self.a6 * P**5

    def d2G_dP2(self, P):
        P = np.asarray(P, dtype=float)
        return 2 * self.a2 + 12 * self.a4 * P**2 + 30 * self.a6 * P**4

    def spontaneous_polarization_C_per_m2(self) -> float:
        """Ps: the positive root of dG/dP = 0 with d2G/dP2 > 0 (0 in the paraelectric phase).

        dG/dP / (2P) = a2 + 2 a4 P^2 + 3 a6 P^4 = 0 -> P^2 = (-a4 + sqrt(a4^2 - 3 a2 a6)) / (3 a6)."""
        disc = self.a4**2 - 3 * self.a2 * self.a6
        if disc < 0:
            return 0.0
        p2 = (-self.a4 + np.sqrt(disc)) / (3 * self.a6)
        return float(np.sqrt(p2)) if p2 > 0 else 0.0

    def coercive_field_V_per_m(self) -> float:
        """Intrinsic (homogeneous) coercive field: |dG/dP| at the inflection point of the P > 0 branch,
        where d2G/dP2 = 30 a6 x^2 + 12 a4 x + 2 a2 = 0 with x = P^2 (one positive root when a2 < 0)."""
        if self.a2 >= 0:
            return 0.0
        a, b, c = 30 * self.a6, 12 * self.a4, 2 * self.a2
        x = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
        return float(abs(self.dG_dP(np.sqrt(x))))

    def relative_permittivity_at(self, P: float) -> float:
        """Small-signal susceptibility of the Landau part, 1 / (eps0 d2G/dP2) (add eps_background)."""
        return float(1.0 / (epsilon_0 * self.d2G_dP2(P)))

    def lk_relaxation_rate_per_s(self, P: float, rho_ohm_m: float) -> float:
        """Small-signal LK relaxation rate about an equilibrium P: (d2G/dP2) / rho."""
        require_positive("rho_ohm_m", rho_ohm_m)
        return float(self.d2G_dP2(P) / rho_ohm_m)


def strained_batio3(T_K: float = 300.0, misfit_strain: float = -0.022) -> LandauCoefficients:
    """Li-Cross-Chen coefficients at T with the Pertsev misfit renormalisation (module docstring)."""
    require_range("T_K", T_K, 1.0, 1000.0)
    require_range("misfit_strain", misfit_strain, -0.1, 0.1)
    a1 = 3.34e5 * (T_K - 381.0)
    a11 = 4.69e6 * (T_K - 393.0) - 2.02e8
    a111 = -5.52e7 * (T_K - 393.0) + 2.76e9
    Q12, s11, s12 = -0.045, 8.3e-12, -2.7e-12
    a3 = a1 - 2.0 * misfit_strain * Q12 / (s11 + s12)
    a33 = a11 + Q12**2 / (s11 + s12)
    return LandauCoefficients(a3, a33, a111)


def film_landau(params) -> LandauCoefficients:
    """The Landau coefficients of the film of ``params``: strained BaTiO3 at the device temperature with
    the size-effect shift of the quadratic coefficient, a2 = a3* + ferroelectric.landau_a2_shift."""
    f = params.ferroelectric
    bulk = strained_batio3(params.temperature_K, f.misfit_strain)
    return LandauCoefficients(bulk.a2 + f.landau_a2_shift_J_m_per_C2, bulk.a4, bulk.a6)
