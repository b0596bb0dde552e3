"""Effective drift mobility of hopping vacancies, and the migration energy that reproduces a measured one.

Drift velocity of the sinh law (Mott & Gurney 1940; research/physics.md §3.2):
    v(E) = 2 a nu0 e^(-Ea/kT) sinh(z q a E / 2kT),   mu_eff(E) = v(E) / E
with the low-field limit mu_0 = z q D / kT (Nernst-Einstein), D = a^2 nu0 e^(-Ea/kT). The paper's
mobility (1e-11 to 1e-12 cm^2/Vs) is quoted for switching fields, so it fixes Ea through mu_eff(E_switch).
"""

from __future__ import annotations

import numpy as np
from scipy import constants as sc

from .validation import require_positive


def effective_mobility_m2_per_Vs(E_V_per_m, hop_distance_m, attempt_frequency_Hz, migration_energy_J, T_K,
                                 z=2):
    require_positive("E_V_per_m", E_V_per_m)
    kT = sc.k * T_K
    D = hop_distance_m**2 * attempt_frequency_Hz * np.exp(-migration_energy_J / kT)
    u = z * sc.e * hop_distance_m * E_V_per_m / (2 * kT)
    return 2 * D / (hop_distance_m * E_V_per_m) * np.sinh(u)


def migration_energy_for_mobility_J(mobility_m2_per_Vs, E_V_per_m, hop_distance_m, attempt_frequency_Hz, T_K,
                                    z=2):
    """Ea such that mu_eff(E) equals ``mobility_m2_per_Vs`` (closed-form inverse of the sinh law)."""
    require_positive("mobility_m2_per_Vs", mobility_m2_per_Vs)
    kT = sc.k * T_K
    mu_at_zero_barrier = effective_mobility_m2_per_Vs(E_V_per_m, hop_distance_m, attempt_frequency_Hz, 0.0, T_K, z)
    return float(kT * np.log(mu_at_zero_barrier / mobility_m2_per_Vs))
