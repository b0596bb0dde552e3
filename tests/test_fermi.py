"""Fermi-Dirac integral F_1/2 (solvers/fermi.py) against independent quadrature and its limits.

Normalisation: F(eta) = (2/sqrt(pi)) Int_0^inf sqrt(e) / (1 + exp(e - eta)) de, so F -> exp(eta) for
eta -> -inf and F(0) = (1 - 2^-1/2) zeta(3/2) = 0.765147024625408.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit, zeta

from solvers import fermi

TABLE = fermi.table()


def _quad_F(eta: float) -> float:
    """Independent reference: adaptive quadrature of the defining integral."""
    f = lambda e: math.sqrt(e) * expit(eta - e)  # noqa: E731  (1/(1+exp(e-eta)), overflow-free)
    hi = max(eta, 0.0) + 60.0                    # occupation < e^-60 beyond: negligible
    pts = [eta] if eta > 0 else None            # the Fermi edge, where the integrand bends
    val, _ = quad(f, 0.0, hi, points=pts, limit=400, epsabs=0.0, epsrel=1e-13)
    return 2.0 / math.sqrt(math.pi) * val


def _quad_dF(eta: float) -> float:
    """dF/deta = (2/sqrt(pi)) Int sqrt(e) f (1 - f) de (= F_-1/2 in this normalisation)."""
    f = lambda e: math.sqrt(e) * expit(eta - e) * expit(e - eta)  # noqa: E731
    hi = max(eta, 0.0) + 60.0
    pts = [eta] if eta > 0 else None
    val, _ = quad(f, 0.0, hi, points=pts, limit=400, epsabs=0.0, epsrel=1e-13)
    return 2.0 / math.sqrt(math.pi) * val


def F(eta):
    return fermi.fermi_half_numpy(np.atleast_1d(np.asarray(eta, dtype=float)), *TABLE)


def test_known_values():
    # F(0) in closed form: (1 - 1/sqrt 2) zeta(3/2); F(1) = 1.5756407761 (Blakemore 1982 table,
    # and our own quadrature). Tolerance 2e-9: the table is cubic Hermite on ln F with step 0.05,
    # interpolation error <~ step^4 max|(ln F)''''| / 384 ~ 1e-9 (measured 7e-10 worst case).
    exact0 = (1.0 - 2.0**-0.5) * zeta(1.5)
    assert exact0 == pytest.approx(0.765147024625408, rel=1e-14)
    assert _quad_F(0.0) == pytest.approx(exact0, rel=1e-12)
    assert _quad_F(1.0) == pytest.approx(1.575640776, rel=1e-9)
    assert F(0.0)[0][0] == pytest.approx(exact0, rel=2e-9)
    assert F(1.0)[0][0] == pytest.approx(_quad_F(1.0), rel=2e-9)


def test_table_against_quadrature():
    # Across the tabulated range -40 .. 100 (points on and between table nodes).
    # F: 2e-9 relative (Hermite interpolation error, see test_known_values; measured 7e-10).
    # dF/deta: the interpolant's derivative loses one order in the step: 1e-7 (measured 5e-8).
    rng = np.random.default_rng(1)
    etas = np.concatenate((np.linspace(-40.0, 100.0, 57), rng.uniform(-40.0, 100.0, 60), [-3.21, 0.0137, 2.5]))
    val, der = F(etas)
    ref = np.array([_quad_F(e) for e in etas])
    dref = np.array([_quad_dF(e) for e in etas])
    assert np.max(np.abs(val / ref - 1.0)) < 2e-9
    assert np.max(np.abs(der / dref - 1.0)) < 1e-7


def test_boltzmann_limit():
    # For eta < -40 the code returns exp(eta); the true series is exp(eta) (1 - exp(eta)/2^1.5 + ...),
    # so the relative error is exp(eta)/2^1.5 < 2e-18: compare with quadrature at 1e-12 (quadrature
    # accuracy), and check the series itself.
    for eta in (-60.0, -50.0, -41.0):
        val, der = F(eta)
        assert val[0] == pytest.approx(_quad_F(eta), rel=1e-12)
        assert der[0] == pytest.approx(math.exp(eta), rel=1e-15)
    # Inside the table (eta < 0) the alternating series F = sum_k (-1)^(k+1) exp(k eta)/k^1.5 converges:
    # a second independent reference, summed to round-off; 2e-9 is the table accuracy.
    for eta in (-30.0, -5.0, -1.0, -0.3):
        k = np.arange(1, 400)
        series = float(np.sum((-1.0) ** (k + 1) * np.exp(k * eta) / k**1.5))
        assert F(eta)[0][0] == pytest.approx(series, rel=2e-9)


def test_sommerfeld_limit():
    # For eta > 100 the code uses (4/(3 sqrt pi)) eta^1.5 (1 + pi^2/(8 eta^2)). The next term of the
    # Sommerfeld expansion is (7 pi^4/640) eta^-4, so the relative error must be within that (plus the
    # 1e-12 quadrature accuracy) and must shrink as eta^-4.
    for eta in (100.5, 120.0, 150.0, 300.0):
        rel = abs(F(eta)[0][0] / _quad_F(eta) - 1.0)
        bound = 7.0 * math.pi**4 / 640.0 / eta**4
        assert rel <= 1.05 * bound + 1e-12
        assert rel >= 0.8 * bound - 1e-12  # the missing term is really that term
    # Leading behaviour F ~ (4/(3 sqrt pi)) eta^1.5
    assert F(1e4)[0][0] / (4.0 / (3.0 * math.sqrt(math.pi)) * 1e6) == pytest.approx(1.0, rel=2e-8)


def test_no_spurious_overflow_warning_when_degenerate():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, _ = F(np.array([800.0]))
    assert np.isfinite(val).all()


def test_continuity_at_table_edges():
    # Switching between table and limits must not jump by more than the limits' own error:
    # the table at eta = -40 against exp(-40) (true relative difference e^-40/2^1.5 ~ 1e-18; the table
    # holds ln F to round-off, 1e-15 of |ln F| = 40 -> 4e-14) and the table at eta = 100 against the
    # Sommerfeld form (7 pi^4/640/100^4 = 1.07e-8 apart).
    lo = F(-40.0)[0][0]
    hi = F(100.0)[0][0]
    sommerfeld = 4.0 / (3.0 * math.sqrt(math.pi)) * 100.0**1.5 * (1.0 + math.pi**2 / 8.0 / 100.0**2)
    assert abs(lo / math.exp(-40.0) - 1.0) < 1e-13
    assert abs(hi / sommerfeld - 1.0) < 1.2e-8
    # and just beyond the edges the limits are used
    assert F(-40.0 - 1e-9)[0][0] == math.exp(-40.0 - 1e-9)
    assert F(100.0 + 1e-9)[0][0] == pytest.approx(sommerfeld, rel=1e-10)


def test_derivative_matches_finite_difference():
    # dF returned with F is the exact derivative of the C1 interpolant: a central difference with
    # step 1e-5 agrees to O(step^2 F'''/F') ~ 1e-10 plus round-off (1e-16/1e-5 ~ 1e-11) relative;
    # tolerance 1e-8. The denominator is the exactly representable difference (eta+s) - (eta-s).
    # Points avoid the table/limit switch points (-40, 100), where F itself jumps by up to 1e-8.
    eta = np.concatenate((np.linspace(-59.3, -40.5, 11), np.linspace(-39.87, 99.9, 701),
                          np.linspace(100.3, 149.0, 11)))
    ep, em = eta + 1e-5, eta - 1e-5
    fp, _ = F(ep)
    fm, _ = F(em)
    _, d = F(eta)
    assert np.max(np.abs((fp - fm) / (ep - em) / d - 1.0)) < 1e-8


def test_numba_kernel_equals_numpy_twin():
    # Same table, same Hermite formula, only the order of floating-point operations differs:
    # agreement to 1e-12 relative over the whole range used by the solvers (Boltzmann, table, Sommerfeld).
    eta = np.concatenate((np.linspace(-60.0, 150.0, 20011), [-40.0, 99.99999999, 100.0]))
    Fn, dFn = F(eta)
    Fb = np.empty_like(eta)
    dFb = np.empty_like(eta)
    for k, e in enumerate(eta):
        Fb[k], dFb[k] = fermi.fermi_half_scalar(e, *TABLE)
    assert np.max(np.abs(Fb / Fn - 1.0)) < 1e-12
    assert np.max(np.abs(dFb / dFn - 1.0)) < 1e-12


@pytest.mark.parametrize("r", [1e-20, 1e-8, 1e-3, 0.05, 0.5, 1.0, 3.0, 6.2, 50.0, 200.0, 400.0])
def test_solve_eta_for_density_round_trip(r):
    # Round trip through the same table: F(eta(r)) = r to 1e-12 (Newton stops at |d eta| < 1e-13 and
    # 0 < d ln F/d eta <= 1, so ln F is converged to ~1e-13 plus round-off).
    eta = fermi.solve_eta_for_density(r)
    assert F(eta)[0][0] == pytest.approx(r, rel=1e-12)
    # Independently: the quadrature F at that eta gives r to the table accuracy (2e-9, test above;
    # 1.1e-8 beyond eta = 100, the Sommerfeld error).
    assert _quad_F(eta) == pytest.approx(r, rel=2e-9 if eta < 100 else 1.2e-8)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("r", [10**2.77, 10**2.85, 10**3.51, 1e4])
def test_solve_eta_for_density_degenerate(r):
    eta = fermi.solve_eta_for_density(r)
    assert F(eta)[0][0] == pytest.approx(r, rel=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_low_temperature_device_builds():
    from ftjphys import parameters
    from ftjphys.electrostatics import Electrostatics
    es = Electrostatics(parameters.literature().replace(temperature_K=4.0))
    # degenerate NSTO: E_F - E_c = (hbar^2/2m)(3 pi^2 N_D)^(2/3) at T -> 0 (Sommerfeld), 2e-3 for the
    # pi^2/8 eta^-2 term at eta ~ 270
    from scipy import constants as sc
    p = es.params
    EF = sc.hbar**2 / (2 * p.semiconductor.dos_mass_ratio * sc.m_e) * (3 * math.pi**2 * p.semiconductor.donor_density_m3) ** (2 / 3)
    assert es.eta_bulk * es.kT_J == pytest.approx(EF, rel=2e-3)


def test_effective_dos():
    # N_c = 2 (m kT/(2 pi hbar^2))^1.5: 2.509e25 m^-3 for m0 at 300 K (Sze & Ng: 2.5e19 cm^-3 for m=m0)
    # and T^1.5 scaling; 1e-3 covers the rounding of the textbook number.
    from scipy import constants as sc
    assert fermi.effective_dos_m3(sc.m_e, 300.0) == pytest.approx(2.509e25, rel=1e-3)
    assert fermi.effective_dos_m3(sc.m_e, 600.0) / fermi.effective_dos_m3(sc.m_e, 300.0) == pytest.approx(
        2**1.5, rel=1e-12)
