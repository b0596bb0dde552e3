"""Field-enhanced hopping flux: limits that pin down the discretisation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.hopping import hopping_flux_numba, hopping_flux_numpy

VT = 0.025852
A_HOP = 0.28e-9


def _numba(N, psi, h, D=1e-20, z=2.0, a=A_HOP):
    out = [np.empty(h.size) for _ in range(4)]
    hopping_flux_numba(N, psi, h, D, z, VT, a, *out)
    return out


@given(seed=st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_boltzmann_profile_has_zero_flux(seed):
    """N_{i+1}/N_i = exp(z (psi_i - psi_{i+1}) / V_t) carries no flux, at any field (round-off level)."""
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.02, 0.4, 12) * 1e-9
    psi = np.concatenate(([0.0], np.cumsum(rng.normal(0, 0.15, 12))))
    N = 1e25 * np.exp(2.0 * (psi[0] - psi) / VT)
    F, dN0, _, _ = _numba(N, psi, h)
    # Each of the two cancelling terms is dN0 * N_i; round-off of their difference is ~1e-15 of it.
    assert np.all(np.abs(F) <= 1e-13 * np.abs(dN0 * N[:-1]))


@pytest.mark.parametrize("E_V_per_m", [1e6, 1e8, 1e9, -3e9])
def test_uniform_density_drifts_with_the_sinh_law(E_V_per_m):
    """F = 2 a nu e^(-Ea/kT) N sinh(z q a E / 2kT) = (2D/a) N sinh(z a E / (2 V_t)) (1e-12 relative)."""
    h = np.full(5, 0.05e-9)
    psi = -E_V_per_m * np.concatenate(([0.0], np.cumsum(h)))
    N = np.full(6, 3e25)
    F = _numba(N, psi, h)[0]
    expected = 2 * 1e-20 / A_HOP * 3e25 * np.sinh(2.0 * A_HOP * E_V_per_m / (2 * VT))
    assert np.allclose(F, expected, rtol=1e-12)


def test_master_equation_when_the_cell_is_one_hop():
    """h = a: F = (D/a) [N_i e^(phi/2) - N_{i+1} e^(-phi/2)] (nearest-neighbour hopping rates)."""
    h = np.full(3, A_HOP)
    psi = np.array([0.0, -0.1, -0.15, -0.4])
    N = np.array([1.0, 3.0, 2.0, 5.0]) * 1e25
    F = _numba(N, psi, h)[0]
    phi = 2.0 * (psi[:-1] - psi[1:]) / VT
    expected = 1e-20 / A_HOP * (N[:-1] * np.exp(phi / 2) - N[1:] * np.exp(-phi / 2))
    assert np.allclose(F, expected, rtol=1e-12)


def test_zero_field_is_fick():
    h = np.array([0.1e-9, 0.2e-9])
    N = np.array([1.0, 2.0, 4.0]) * 1e25
    F = _numba(N, np.zeros(3), h)[0]
    assert np.allclose(F, -1e-20 * np.diff(N) / h, rtol=1e-12)


@given(seed=st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_numba_numpy_twins_and_derivatives(seed):
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.02, 0.4, 10) * 1e-9
    psi = rng.normal(0, 0.2, 11)
    N = rng.uniform(0.1, 10, 11) * 1e25
    nb = _numba(N, psi, h)
    npy = hopping_flux_numpy(N, psi, h, 1e-20, 2.0, VT, A_HOP)
    for x, y in zip(nb, npy):
        assert np.allclose(x, y, rtol=1e-11, atol=1e-30)
    # Analytic derivatives against central differences.
    k = int(rng.integers(0, 10))
    for arr, deriv, idx in ((psi, nb[3], k), (N, nb[1], k), (N, nb[2], k + 1)):
        step = 1e-7 * max(abs(arr[idx]), 1e-3 if arr is psi else 1.0)
        plus, minus = arr.copy(), arr.copy()
        plus[idx] += step
        minus[idx] -= step
        args_p = (plus, psi) if arr is N else (N, plus)
        args_m = (minus, psi) if arr is N else (N, minus)
        fd = (_numba(*args_p, h)[0][k] - _numba(*args_m, h)[0][k]) / (2 * step)
        assert fd == pytest.approx(deriv[k], rel=1e-5, abs=1e-9 * abs(nb[0][k]) / step)


def test_positive_coefficients():
    """Both coefficients of the flux are positive at any field: an implicit step is an M-matrix."""
    h = np.full(4, 0.1e-9)
    psi = np.array([0.0, 2.0, -1.0, 0.5, 0.5])
    _, dN0, dN1, _ = _numba(np.ones(5), psi, h)
    assert np.all(dN0 > 0) and np.all(dN1 < 0)
