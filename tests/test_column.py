"""The coupled column DAE (Poisson + vacancy hopping + trapping + Landau-Khalatnikov)."""

import numpy as np
import pytest

from ftjphys.column import ColumnModel, gaussian_quantiles, lognormal_quantiles
from ftjphys.electrostatics import vacancy_profile_m3
from ftjphys.parameters import yang2022

# exchange sites of both kinds (yang2022's layer is 0.8 nm; the "film" case keeps the 0.2 nm default)
FILM_SITES = {"vacancies.exchange_site_density_m2": 2e17, "vacancies.exchange_vacancy_site": "film",
              "vacancies.exchange_layer_thickness_m": 0.2e-9}
INTERFACE_SITES = {"vacancies.exchange_site_density_m2": 2e17, "vacancies.exchange_vacancy_site": "interface"}


def _populated(seed, **changes):
    """A model and a state with filled traps and interface occupations (every unknown in play)."""
    cm, y = _model(**changes)
    L = cm.layout
    rng = np.random.default_rng(seed)
    for k in range(L.n_traps):
        y[L.T(k)] = rng.uniform(0.1, 0.5, L.n_fe) * 1e25
    y[L.theta] = rng.uniform(0.1, 0.9, L.n_exchange)
    return cm, y, rng


def _model(bias=1.5, traps=5e26, **changes):
    p = yang2022().replace(**{"vacancies.trap_site_density_m3": traps, **changes})
    cm = ColumnModel(p, lambda t: bias, 1e10)
    NV = vacancy_profile_m3(p, cm.es.mesh, p.vacancy_sheet_density_m2, "uniform")
    return cm, cm.initial_state(0.1, NV, 0.3)


@pytest.mark.parametrize("changes", [{}, FILM_SITES, INTERFACE_SITES,
                                     {"vacancies.trap_layer_thickness_m": 0.4e-9},
                                     {"domains.nucleation_asymmetry": 0.3}])
def test_jacobian_matches_finite_differences(changes):
    """Every column of the sparse Jacobian against central differences: the largest error is 1e-5 of
    the column's largest entry (truncation of the exponential terms at a 1e-6 relative step)."""
    cm, y, rng = _populated(1, **changes)
    L = cm.layout
    y[L.psi] += rng.normal(0, 0.01, L.n_nodes)
    f0, J = cm.rhs(0.0, y)
    J = J.toarray()
    # The vacancy rows hold hopping fluxes much larger than the terms of some columns: the difference
    # quotient's round-off, ~1e-14 |f_i| / step per row, is allowed on top of the relative tolerance.
    roundoff = 1e-14 * np.abs(f0)
    for j in range(L.size):
        # Densities enter linearly or through smooth rates: a larger step keeps round-off small.
        if j < L.n_nodes or j == L.P:
            e = 1e-6 * max(abs(y[j]), 1e-2)
        elif L.theta.start <= j < L.theta.stop:
            e = 1e-3          # occupations enter linearly; a large step keeps round-off small
        else:
            e = 1e-3 * max(abs(y[j]), 1e22)
        yp, ym = y.copy(), y.copy()
        yp[j] += e
        ym[j] -= e
        fd = (cm.rhs(0.0, yp)[0] - cm.rhs(0.0, ym)[0]) / (2 * e)
        assert np.all(np.abs(fd - J[:, j]) <= 1e-5 * (np.abs(fd).max() + 1e-300) + roundoff / e), j


def test_initial_state_satisfies_gauss_law():
    cm, y = _model(bias=0.3)
    f, _ = cm.rhs(0.0, y)
    assert np.max(np.abs(f[cm.layout.psi])) < 1e-10


def test_reference_device_has_frozen_vacancies():
    """Migration off: the vacancy rows have zero right-hand side whatever the field."""
    cm, y = _model(bias=4.0, **{"vacancies.migration": False})
    f, _ = cm.rhs(0.0, y)
    assert cm.layout.n_traps == 0
    assert np.all(f[cm.layout.N] == 0.0)


def test_gaussian_quantiles():
    q = gaussian_quantiles(1.0, 0.1, 5)
    assert q.mean() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(q) > 0)
    assert gaussian_quantiles(2.0, 0.0, 3).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("n", [8, 32, 128])
def test_lognormal_quantiles_are_positive_with_the_median_and_log_spread(n):
    """The ensemble's activation fields: ln E_a with mean ln(median) and a standard deviation that approaches
    sigma from below as n grows (equal-area quantiles), every field > 0; the smallest field of a Gaussian of
    the same relative spread is negative at 128 columns (why the ensemble is log-normal)."""
    sigma = 0.45
    q = lognormal_quantiles(1.8e10, sigma, n)
    ln = np.log(q)
    assert np.all(q > 0) and np.all(np.diff(q) > 0)
    assert ln.mean() == pytest.approx(np.log(1.8e10), abs=1e-12)
    assert 0.8 * sigma < ln.std() < sigma
    assert gaussian_quantiles(1.0, sigma, 128)[0] < 0


@pytest.mark.parametrize("changes", [{}, FILM_SITES, INTERFACE_SITES,
                                     {"vacancies.migration": False}, {"top_electrode.screening_length_m": 0.0},
                                     {"vacancies.trap_layer_thickness_m": 0.4e-9},
                                     {"domains.nucleation_asymmetry": -0.3}])
def test_numba_kernel_equals_numpy_twin(changes):
    """The numba right-hand side and Jacobian equal the numpy reference to round-off."""
    cm, y, _ = _populated(3, **changes)
    f1, J1 = cm.rhs(0.0, y)
    f2, J2 = cm.rhs_reference(0.0, y)
    assert np.allclose(f1, f2, rtol=1e-12, atol=1e-12 * np.abs(f2).max())
    d = (J1 - J2).toarray()
    assert np.max(np.abs(d)) <= 1e-12 * np.abs(J2.toarray()).max()


def test_trap_layers_hold_sites_only_at_the_interfaces():
    """With trap_layer_thickness_m the sites sit within that distance of either interface; a vacancy in
    the middle of the film is not captured (its capture term is zero), one in a layer is."""
    cm, y = _model(**{"vacancies.trap_layer_thickness_m": 0.4e-9})
    L = cm.layout
    x = cm.es.mesh.x_m[: L.n_fe]
    d = cm.params.ferroelectric_thickness_m
    near = (x <= 0.4e-9 * (1 + 1e-9)) | (x >= d - 0.4e-9 * (1 + 1e-9))
    assert np.all(cm.trap_sites[near] > 0) and np.all(cm.trap_sites[~near] == 0)
    assert 0 < near.sum() < near.size
    y[L.N] = 1e25
    for k in range(L.n_traps):
        y[L.T(k)] = 0.0
    f = cm.residual(0.0, y)
    capture = f[L.T(0)]
    assert np.all(capture[~near] == 0.0) and np.all(capture[near] > 0.0)


@pytest.mark.parametrize("bias", [2.0, -2.0])
def test_nucleation_asymmetry_scales_the_merz_activation_by_polarity(bias):
    """E_a (1 + delta E/|E|_s): with delta the Landau-Khalatnikov rate (inside the wells, gate 0) changes by
    exp(-E_a delta (E/|E|_s) / |E|_s) against delta = 0, so delta > 0 speeds up negative-field reversal."""
    from ftjphys.column import FIELD_SMOOTHING_V_PER_M

    delta = 0.25
    rates = []
    for d in (0.0, delta):
        p = yang2022().replace(**{"domains.nucleation_asymmetry": d})
        cm = ColumnModel(p, lambda t: bias, 1e10)
        NV = vacancy_profile_m3(p, cm.es.mesh, p.vacancy_sheet_density_m2, "uniform")
        y = cm.initial_state(0.0, NV, bias)                # P = 0: inside the wells, nucleation-limited
        f, _ = cm.rhs_reference(0.0, y)
        rates.append(f[cm.layout.P])
        psi = y[cm.layout.psi]
        E = (psi[0] - psi[cm.layout.n_fe - 1]) / cm.d
    Emag = np.hypot(E, FIELD_SMOOTHING_V_PER_M)
    expected = np.exp(-cm.Ea * delta * (E / Emag) / Emag)
    assert np.sign(E) == np.sign(bias)
    assert rates[1] / rates[0] == pytest.approx(expected, rel=1e-9)
    assert (expected > 1.0) == (bias < 0)
