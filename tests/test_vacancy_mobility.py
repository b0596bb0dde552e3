import numpy as np
import pytest
from scipy import constants as sc

from ftjphys.vacancy_mobility import effective_mobility_m2_per_Vs, migration_energy_for_mobility_J


def test_low_field_limit_is_nernst_einstein():
    a, nu, Ea, T = 0.28e-9, 1e13, 0.7 * sc.e, 300.0
    D = a * a * nu * np.exp(-Ea / (sc.k * T))
    mu = effective_mobility_m2_per_Vs(1e3, a, nu, Ea, T)
    assert mu == pytest.approx(2 * sc.e * D / (sc.k * T), rel=1e-9)


def test_paper_mobility_at_switching_field_fixes_the_migration_energy():
    """mu_eff(10 MV/cm) = 1e-11 cm^2/Vs (the paper's value) with a = 0.28 nm, nu0 = 1e13 Hz at 300 K
    needs Ea = 0.84 eV; the inverse is exact."""
    Ea = migration_energy_for_mobility_J(1e-15, 1e9, 0.28e-9, 1e13, 300.0)
    assert Ea / sc.e == pytest.approx(0.842, abs=0.002)
    assert effective_mobility_m2_per_Vs(1e9, 0.28e-9, 1e13, Ea, 300.0) == pytest.approx(1e-15, rel=1e-12)
