"""Landau polynomial of strained BaTiO3 and single-domain Landau-Khalatnikov dynamics."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ftjphys.landau import LandauCoefficients, strained_batio3


@pytest.mark.parametrize("um, Ps, Ec_MV_per_cm, eps_r", [(0.0, 0.218, 0.08, 351), (-0.01, 0.319, 0.70, 65),
                                                        (-0.022, 0.373, 1.61, 34)])
def test_strained_batio3_matches_the_table(um, Ps, Ec_MV_per_cm, eps_r):
    """research/physics.md §2.3 (Li-Cross-Chen + Pertsev at 300 K), to its printed digits."""
    L = strained_batio3(300.0, um)
    P = L.spontaneous_polarization_C_per_m2()
    assert P == pytest.approx(Ps, abs=1.5e-3)
    assert L.coercive_field_V_per_m() / 1e8 == pytest.approx(Ec_MV_per_cm, abs=0.015)
    assert L.relative_permittivity_at(P) == pytest.approx(eps_r, rel=0.02)


def test_static_loop_from_the_polynomial():
    """Ps is a minimum of G; the coercive field is the largest field at which the P > 0 branch still
    has an equilibrium: for E slightly above -Ec the branch exists, slightly below it does not."""
    L = strained_batio3()
    Ps, Ec = L.spontaneous_polarization_C_per_m2(), L.coercive_field_V_per_m()
    assert abs(L.dG_dP(Ps)) < 1e-6 * Ec and L.d2G_dP2(Ps) > 0
    P = np.linspace(1e-4, Ps, 20001)
    assert np.min(L.dG_dP(P)) == pytest.approx(-Ec, rel=1e-6)
    # An equilibrium with P > 0 exists at E = -0.99 Ec, none at -1.01 Ec.
    assert np.any(np.diff(np.sign(L.dG_dP(P) + 0.99 * Ec)))
    assert not np.any(np.diff(np.sign(L.dG_dP(P) + 1.01 * Ec)))


def test_lk_small_signal_relaxation_rate():
    """rho dP/dt = -dG/dP + E linearised about Ps relaxes at d2G/dP2 / rho (1e-3 relative)."""
    L = strained_batio3()
    Ps, rho = L.spontaneous_polarization_C_per_m2(), 100.0
    rate = L.lk_relaxation_rate_per_s(Ps, rho)
    sol = solve_ivp(lambda t, P: -L.dG_dP(P) / rho, (0, 5 / rate), [Ps * (1 + 1e-6)], rtol=1e-12, atol=1e-20,
                    dense_output=True)
    t = 3 / rate
    measured = -np.log((sol.sol(t)[0] - Ps) / (Ps * 1e-6)) / t
    assert measured == pytest.approx(rate, rel=1e-3)


def test_single_domain_switches_abruptly_at_the_coercive_field():
    """A single LK domain: below Ec it stays (small shift), above Ec it switches completely."""
    L = strained_batio3()
    Ps, Ec, rho = L.spontaneous_polarization_C_per_m2(), L.coercive_field_V_per_m(), 100.0
    for factor, switched in ((0.95, False), (1.05, True)):
        sol = solve_ivp(lambda t, P: (-L.dG_dP(P) - factor * Ec) / rho, (0, 1e-3), [Ps], method="LSODA",
                        rtol=1e-9, atol=1e-12)
        assert (sol.y[0, -1] < 0) == switched


def test_bad_coefficients():
    with pytest.raises(ValueError, match="a6"):
        LandauCoefficients(-1.0, 1.0, -1.0)
    with pytest.raises(ValueError, match="misfit_strain"):
        strained_batio3(300.0, float("nan"))
