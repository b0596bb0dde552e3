"""WKB exponent and Tsu-Esaki energy quadrature (solvers/tunneling.py) against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import constants as sc

from solvers import tunneling as tn

EV = sc.electron_volt
M0 = sc.m_e
HBAR = sc.hbar


def _rect(d, V0, n_cells=7, mass=M0):
    h = np.full(n_cells, d / n_cells)
    return np.full(n_cells, V0), np.full(n_cells, V0), h, np.full(n_cells, mass)


# ------------------------------------------------------------------ rectangular barrier


@pytest.mark.parametrize("d", [1.1e-9, 2e-9, 3e-9])
def test_rectangular_barrier_vs_exact_transmission(d):
    # Exact T = [1 + V0^2 sinh^2(kd)/(4E(V0-E))]^-1; WKB T = exp(-2kd). For kd >> 1,
    # ln T_exact - ln T_WKB -> ln(16 E (V0-E)/V0^2) (the prefactor WKB misses; NOT ln T_WKB - ln T_exact,
    # which has the opposite sign). The remainder is -ln(1 + (1/A - 2) e^-2kd + ...), A = V0^2/(16E(V0-E));
    # for E/V0 in [0.3, 0.7] and kd >= 3: |1/A - 2| <= 2 and |ln(1/A)| >= 1.2, so the relative deviation is
    # <= 2 e^-6 / 1.2 = 0.41 % -> tolerance 0.5 % (measured 0.23 % at d = 1.1 nm, 1.5e-5 at 2 nm).
    V0 = 1.0 * EV
    E = np.linspace(0.3, 0.7, 41) * V0
    kappa = np.sqrt(2 * M0 * (V0 - E)) / HBAR
    assert np.min(kappa * d) >= 3.0
    theta = tn.wkb_exponent_numba(E, *_rect(d, V0))
    lnT_wkb = -2.0 * theta
    T_exact = 1.0 / (1.0 + V0**2 * np.sinh(kappa * d) ** 2 / (4 * E * (V0 - E)))
    prefactor = np.log(16 * E * (V0 - E) / V0**2)
    assert np.max(np.abs((np.log(T_exact) - lnT_wkb) / prefactor - 1.0)) < 5e-3
    # The WKB exponent of a flat barrier is exactly kappa d (closed-form segments): round-off only.
    assert np.max(np.abs(theta / (kappa * d) - 1.0)) < 1e-13


def test_rectangular_barrier_decay_constant():
    # d ln T / d d = -2 kappa: exactly for WKB (1e-3 asked; the segment integral is exact, so the
    # difference quotient agrees to round-off, 1e-10), and for the exact T once kd > 5 (the e^-2kd
    # corrections of the previous test are < 1e-4 of 2 kappa): 1e-3.
    V0 = 1.0 * EV
    E = np.array([0.25, 0.5, 0.75]) * V0
    kappa = np.sqrt(2 * M0 * (V0 - E)) / HBAR
    d1, d2 = 3.0e-9, 3.2e-9
    slope_wkb = (-2 * tn.wkb_exponent_numba(E, *_rect(d2, V0, 9))
                 + 2 * tn.wkb_exponent_numba(E, *_rect(d1, V0, 5))) / (d2 - d1)
    assert np.max(np.abs(slope_wkb / (-2 * kappa) - 1.0)) < 1e-10

    def lnT(d):
        return -np.log1p(V0**2 * np.sinh(kappa * d) ** 2 / (4 * E * (V0 - E)))

    assert np.min(kappa * d1) > 5
    slope_exact = (lnT(d2) - lnT(d1)) / (d2 - d1)
    assert np.max(np.abs(slope_exact / (-2 * kappa) - 1.0)) < 1e-3


def test_mass_and_height_scaling():
    # theta ∝ sqrt(m (V0 - E)): quadrupling the mass doubles it, as does quadrupling V0 - E (1e-13: round-off).
    V0, E = 1.0 * EV, np.array([0.0])
    t1 = tn.wkb_exponent_numba(E, *_rect(2e-9, V0))
    t2 = tn.wkb_exponent_numba(E, *_rect(2e-9, V0, mass=4 * M0))
    t3 = tn.wkb_exponent_numba(E, *_rect(2e-9, 4 * V0))
    assert t2[0] / t1[0] == pytest.approx(2.0, rel=1e-13)
    assert t3[0] / t1[0] == pytest.approx(2.0, rel=1e-13)


# ------------------------------------------------------------------ piecewise-linear (triangular) barriers


def _linear_barrier(nodes, phi, F):
    """U(x) = phi - F x on the given nodes, as per-cell end values."""
    U = phi - F * nodes
    return U[:-1], U[1:], np.diff(nodes)


@pytest.mark.parametrize("kernel", [tn.wkb_exponent_numba, tn.wkb_exponent_numpy])
def test_triangular_barrier_closed_form_any_subdivision(kernel):
    # U = phi - F x down to below E = 0: the turning point x_t = phi/F lies inside a cell. The WKB exponent
    # is theta = (2/3) sqrt(2m) phi^1.5 / (hbar F), i.e. T = exp(-2 theta) with the Fowler-Nordheim exponent
    # 2 theta = (4/3) sqrt(2m) phi^1.5/(hbar F) (the formula quoted as "theta" in the brief is 2 theta).
    # The segment integral is exact for linear U, so this holds to round-off (1e-10 asked; ~1e-15 seen)
    # for any subdivision, including random ones and a single cell.
    phi, F = 1.0 * EV, 0.8 * EV / 1e-9                 # x_t = 1.25 nm
    length = 2.0e-9                                     # U(end) = -0.6 eV < 0
    exact = (2.0 / 3.0) * math.sqrt(2 * M0) * phi**1.5 / (HBAR * F)
    rng = np.random.default_rng(7)
    subdivisions = [np.array([0.0, length]), np.linspace(0.0, length, 8), np.linspace(0.0, length, 301),
                    np.concatenate(([0.0], np.sort(rng.uniform(0.0, length, 40)), [length]))]
    for nodes in subdivisions:
        x_t = phi / F
        assert not np.any(np.isclose(nodes, x_t, rtol=0, atol=1e-15))  # turning point strictly inside a cell
        Ul, Ur, h = _linear_barrier(nodes, phi, F)
        theta = kernel(np.array([0.0]), Ul, Ur, h, np.full(h.size, M0))[0]
        assert theta == pytest.approx(exact, rel=1e-10)
    # and at other energies E < phi: phi -> phi - E
    E = np.linspace(-0.5, 0.95, 11) * EV
    Ul, Ur, h = _linear_barrier(subdivisions[-1], phi, F)
    theta = kernel(E, Ul, Ur, h, np.full(h.size, M0))
    assert np.allclose(theta, (2 / 3) * np.sqrt(2 * M0) * (phi - E) ** 1.5 / (HBAR * F), rtol=1e-10, atol=0)


def test_trapezoid_closed_form():
    # Linear barrier that stays above E: theta = (2/3) sqrt(2m)/hbar * (a^1.5 - b^1.5) / F with end
    # heights a, b (exact for any subdivision: round-off tolerance 1e-10).
    a, b, d = 1.2 * EV, 0.4 * EV, 1.6e-9
    F = (a - b) / d
    exact = (2 / 3) * math.sqrt(2 * M0) / HBAR * (a**1.5 - b**1.5) / F
    for n in (1, 5, 64):
        nodes = np.linspace(0, d, n + 1)
        Ul, Ur, h = _linear_barrier(nodes, a, F)
        assert tn.wkb_exponent_numba(np.array([0.0]), Ul, Ur, h, np.full(n, M0))[0] == pytest.approx(exact, rel=1e-10)


def test_turning_points_on_both_sides_and_wells():
    # A barrier that rises then falls (tent), with E crossing it inside two cells, plus a well below E
    # (contributes nothing): theta = 2 x (2/3) sqrt(2m) (phi - E)^1.5 / (hbar F).
    phi, F, E = 1.0 * EV, 1.0 * EV / 1e-9, 0.3 * EV
    x_up = np.linspace(0.0, 1.0e-9, 7)                       # U from 0 to phi
    U_nodes = np.concatenate((F * x_up, phi - F * (x_up[1:]), [-0.5 * EV, -0.5 * EV]))
    h = np.concatenate((np.diff(x_up), np.diff(x_up), [0.3e-9, 0.4e-9]))
    Ul, Ur = U_nodes[:-1], U_nodes[1:]
    theta = tn.wkb_exponent_numba(np.array([E]), Ul, Ur, h, np.full(h.size, M0))[0]
    exact = 2 * (2 / 3) * math.sqrt(2 * M0) * (phi - E) ** 1.5 / (HBAR * F)
    assert theta == pytest.approx(exact, rel=1e-10)


def test_numba_and_numpy_twins_agree():
    # Random piecewise-linear barriers including steps at nodes, cells entirely below E, ends exactly at
    # E (a = 0 or b = 0) and equal ends: identical formulas -> 1e-12 relative (round-off ~1e-15).
    rng = np.random.default_rng(11)
    n = 60
    Ul = rng.uniform(-0.5, 1.5, n) * EV
    Ur = rng.uniform(-0.5, 1.5, n) * EV
    Ur[::7] = Ul[::7]                                       # flat cells
    E = np.concatenate((rng.uniform(-0.6, 1.6, 200) * EV, Ul[:5], Ur[5:10]))  # a = 0 and b = 0 cases
    h = rng.uniform(0.01e-9, 0.2e-9, n)
    mass = rng.uniform(0.3, 2.0, n) * M0
    a = tn.wkb_exponent_numba(E, Ul, Ur, h, mass)
    b = tn.wkb_exponent_numpy(E, Ul, Ur, h, mass)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)) < 1e-12
    assert np.min(a) >= 0.0


# ------------------------------------------------------------------ energy grid and supply function


@pytest.mark.parametrize("E_min_eV, E_top_eV", [(-0.3, 0.4), (0.0, 0.0), (-1.0, 0.013)])
def test_energy_grid_integrates_boltzmann_tail(E_min_eV, E_top_eV):
    # Int exp(-(E - E0)/kT) over [E_min, E_top + span kT]. 4-point Gauss-Legendre on panels of 0.5 kT below
    # the top and 1 kT above: error per panel ~ h^9 (4!)^4/(9 (8!)^3) ~ 6e-10 relative at h = 1 kT ->
    # tolerance 1e-8 relative (measured 5e-10 when only 1-kT panels are used, 2e-12 otherwise).
    kT = sc.k * 300.0
    E_min, E_top = E_min_eV * EV, E_top_eV * EV
    E0 = 0.1 * EV
    E, w = tn.energy_grid(E_min, E_top, kT)
    approx = np.sum(w * np.exp(-(E - E0) / kT))
    upper = E_top + 30.0 * kT
    exact = kT * (math.exp(-(E_min - E0) / kT) - math.exp(-(upper - E0) / kT))
    assert approx == pytest.approx(exact, rel=1e-8)
    # the grid spans exactly [E_min, E_top + span kT]: weights sum to its length (round-off)
    assert np.sum(w) == pytest.approx(upper - E_min, rel=1e-12)


def test_energy_grid_panel_edge_at_barrier_top():
    # T(E) has a kink at the barrier top; a panel edge must sit there. Then a function that is a cubic
    # below E_top and zero above is integrated exactly (degree <= 7 per panel: round-off, 1e-12).
    kT = sc.k * 300.0
    E_min, E_top = -0.5 * EV, 0.37 * EV
    E, w = tn.energy_grid(E_min, E_top, kT)
    assert not np.any(E == E_top)
    f = np.where(E < E_top, ((E_top - E) / EV) ** 3, 0.0)
    assert np.sum(w * f) * 1.0 / EV == pytest.approx(((E_top - E_min) / EV) ** 4 / 4.0, rel=1e-12)
    # panel widths: <= 0.5 kT below the top, = 1 kT above (4 nodes per panel)
    assert np.max(np.diff(E[E < E_top])) < 0.5 * kT


def test_energy_grid_integrates_fermi_window():
    # The supply function ln(1+e^{(mu_R-E)/kT}) - ln(1+e^{(mu_L-E)/kT}) has Fermi edges (kinks smoothed
    # over kT) inside the grid. Closed form on [E_min, inf): Int ln(1+e^{(mu-E)/kT}) dE =
    # -kT^2 Li2(-e^{(mu-E_min)/kT}) = (mu-E_min)^2/2 + pi^2 kT^2/6 + O(kT^2 e^-((mu-E_min)/kT)), the last
    # term ~e^-35 here. The quadrature error of 0.5 kT panels on this smooth integrand is < 1e-10: 1e-8.
    kT = sc.k * 300.0
    mu_L, mu_R, E_min, E_top = -0.1 * EV, 0.0, -1.0 * EV, 0.2 * EV
    E, w = tn.energy_grid(E_min, E_top, kT)
    got = np.sum(w * tn.supply_function(E, mu_L, mu_R, kT))

    def I(mu):
        return (mu - E_min) ** 2 / 2 + math.pi**2 * kT**2 / 6

    assert got == pytest.approx(I(mu_R) - I(mu_L), rel=1e-8)


def test_supply_function_limits_and_prefactor():
    kT = sc.k * 300.0
    E = np.array([-10.0, 0.0, 0.5, 50.0]) * EV
    # no bias -> no net supply, exactly
    assert np.all(tn.supply_function(E, 0.1 * EV, 0.1 * EV, kT) == 0.0)
    # deep below both Fermi levels: (mu_R - mu_L)/kT (linear regime of ln(1+e^x) ~ x), 1e-12
    s = tn.supply_function(np.array([-10.0 * EV]), -0.2 * EV, 0.0, kT)[0]
    assert s == pytest.approx(0.2 * EV / kT, rel=1e-12)
    # no overflow far above
    assert np.isfinite(tn.supply_function(E, -100 * EV, 100 * EV, kT)).all()
    # q m kT/(2 pi^2 hbar^3) times kT is the Richardson constant A* T^2 = 4 pi q m k^2 T^2/h^3 (1e-12)
    A = 4 * math.pi * sc.e * M0 * sc.k**2 / sc.h**3
    assert tn.tsu_esaki_prefactor(M0, kT) * kT == pytest.approx(A * 300.0**2, rel=1e-12)
    assert A == pytest.approx(1.2017e6, rel=1e-4)
