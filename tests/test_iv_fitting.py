"""Fits of ftjphys.iv_fitting recover known parameters from synthetic I-V curves.

Synthetic data: the closed form of ftjphys.barrier_models times the area (30 x 30 um^2), times
(1 + 0.01 N(0, 1)) noise from numpy.random.default_rng(seed). Barrier heights must come back within
0.01 eV (measured worst case over seeds 0-39 is quoted per test), and the reported rms of the
log-current residual must reflect the 1 % noise.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import constants as sc

from ftjphys import barrier_models as bm
from ftjphys import iv_fitting as fit

EV, M0 = sc.electron_volt, sc.m_e
AREA = (30e-6) ** 2
D = 1.6e-9


def noisy(I, seed):
    rng = np.random.default_rng(seed)
    return I * (1.0 + 0.01 * rng.standard_normal(np.shape(I)))


# ------------------------------------------------------------------------------- direct tunnelling

TRAP_CASES = [
    # (phi1 eV, phi2 eV, m/m0, bias sweep); measured worst |dphi| over seeds 0-39: fixed m / free m
    (0.577, 0.164, 1.0, np.linspace(-0.3, 0.3, 121)),   # 0.0022 / 0.0068 eV
    (1.0, 0.6, 0.5, np.linspace(-0.8, 0.8, 161)),       # 0.0047 / 0.0061 eV
    (0.8, 1.2, 2.0, np.linspace(-0.8, 0.8, 161)),       # 0.0027 / 0.0039 eV
]


@pytest.mark.parametrize("phi1_eV, phi2_eV, mass_ratio, V", TRAP_CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_trapezoid_fixed_mass(phi1_eV, phi2_eV, mass_ratio, V, seed):
    I = noisy(bm.trapezoid_dt_J(V, phi1_eV * EV, phi2_eV * EV, D, mass_ratio * M0) * AREA, seed)
    r = fit.fit_trapezoid_dt(V, I, AREA, D, mass_kg=mass_ratio * M0)
    assert r.phi1_eV == pytest.approx(phi1_eV, abs=0.01)
    assert r.phi2_eV == pytest.approx(phi2_eV, abs=0.01)
    assert r.mass_kg == mass_ratio * M0 and not r.mass_fitted and r.thickness_m == D
    assert 0.007 < r.rms_log_residual < 0.013
    assert r.V_window_V == (V.min(), V.max()) and r.n_points == V.size - 1   # V = 0 dropped


@pytest.mark.parametrize("phi1_eV, phi2_eV, mass_ratio, V", TRAP_CASES)
def test_fit_trapezoid_free_mass(phi1_eV, phi2_eV, mass_ratio, V):
    """Mass free: phi within 0.01 eV, m within 3 % (measured worst over 40 seeds 0.67 %)."""
    I = noisy(bm.trapezoid_dt_J(V, phi1_eV * EV, phi2_eV * EV, D, mass_ratio * M0) * AREA, 7)
    r = fit.fit_trapezoid_dt(V, I, AREA, D)
    assert r.mass_fitted
    assert r.phi1_eV == pytest.approx(phi1_eV, abs=0.01)
    assert r.phi2_eV == pytest.approx(phi2_eV, abs=0.01)
    assert r.mass_ratio == pytest.approx(mass_ratio, rel=0.03)


def test_fit_trapezoid_bias_window_and_validity_bounds():
    V = np.linspace(-0.6, 0.6, 121)
    phi1, phi2 = 0.577 * EV, 0.164 * EV
    J = bm.trapezoid_dt_J(V, phi1, phi2, D, M0)          # NaN for V <= -0.328 V (phi2 + qV/2 <= 0)
    I = np.where(np.isfinite(J), J, 1.0) * AREA           # junk where the formula is not defined
    r = fit.fit_trapezoid_dt(V, noisy(I, 3), AREA, D, mass_kg=M0, V_max_V=0.3)
    assert -0.3 <= r.V_window_V[0] and r.V_window_V[1] <= 0.3 + 1e-12
    assert r.phi1_eV == pytest.approx(0.577, abs=0.01) and r.phi2_eV == pytest.approx(0.164, abs=0.01)
    # The bias range forces both edges positive: phi2 > q 0.3 V / 2 = 0.15 eV at the lower bound.
    r2 = fit.fit_trapezoid_dt(V, noisy(I, 3), AREA, D, mass_kg=M0, V_max_V=0.3, phi_bounds_J=(0.01 * EV, 0.2 * EV))
    assert r2.phi2_J > 0.15 * EV and r2.phi1_J <= 0.2 * EV
    with pytest.raises(ValueError, match="phi_bounds_J"):
        fit.fit_trapezoid_dt(V, I, AREA, D, mass_kg=M0, phi_bounds_J=(0.01 * EV, 0.2 * EV))


def test_fit_result_is_frozen_and_has_eV_properties():
    V = np.linspace(-0.3, 0.3, 61)
    r = fit.fit_trapezoid_dt(V, bm.trapezoid_dt_J(V, 0.577 * EV, 0.164 * EV, D, M0) * AREA, AREA, D, mass_kg=M0)
    assert r.phi1_eV == pytest.approx(r.phi1_J / EV) and r.rms_log_residual < 1e-6
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.phi1_J = 0.0


# ------------------------------------------------------------------------------- FN and TVS

@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_fn_recovers_barrier(sign, seed):
    """phi = 0.6 eV, m = 0.5 m0, d = 1.6 nm, 0.9 V <= |V| <= 3 V: within 0.01 eV, slope within 2 %
    (measured worst over seeds 0-39 and both signs: 0.0027 eV, 0.68 %)."""
    phi, m = 0.6 * EV, 0.5 * M0
    V = sign * np.linspace(0.5, 3.0, 51)
    I = noisy(bm.fowler_nordheim_J(V, phi, D, m) * AREA, seed)
    r = fit.fit_fn(V, I, D, m, V_min_V=0.9)
    assert r.phi_eV == pytest.approx(0.6, abs=0.01)
    assert r.slope_V == pytest.approx(bm.fn_slope_per_V(phi, D, m), rel=0.02)
    assert min(abs(r.V_window_V[0]), abs(r.V_window_V[1])) >= 0.9
    assert 0.005 < r.rms_log_residual < 0.015


def test_fn_plot_arrays_and_one_polarity():
    V = np.array([0.0, 0.5, 1.0, 2.0])
    I = np.array([0.0, 1e-6, 4e-6, 2e-5])
    x, y = fit.fn_plot(V, I)
    np.testing.assert_allclose(x, [2.0, 1.0, 0.5])
    np.testing.assert_allclose(y, np.log(I[1:] / V[1:] ** 2))
    xn, yn = fit.fn_plot(-V, -I)
    np.testing.assert_allclose(xn, x) and np.testing.assert_allclose(yn, y)
    with pytest.raises(ValueError, match="V_V"):
        fit.fn_plot(np.array([-1.0, 1.0]), np.array([-1e-6, 1e-6]))


@pytest.mark.parametrize("gamma, n", [(4.0, 100), (1.0, 200), (25.0, 300)])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_transition_voltage_finds_analytic_minimum(gamma, n, sign):
    """I = G (V + gamma V^3): ln(I/V^2) = ln G + ln(1/V + gamma V) has its minimum at V_t = 1/sqrt(gamma).
    The parabola refinement must hit it within 1e-3 (measured <= 5.3e-5)."""
    Vt = 1.0 / math.sqrt(gamma)
    V = sign * np.linspace(0.0, 2.0 * Vt, n)
    I = 3e-7 * (V + gamma * V**3)
    assert fit.transition_voltage(V, I) == pytest.approx(sign * Vt, rel=1e-3)


def test_transition_voltage_no_interior_minimum_raises():
    V = np.linspace(0.05, 0.3, 20)
    with pytest.raises(ValueError, match="no interior minimum"):
        fit.transition_voltage(V, 1e-6 * (V + V**3))


# ------------------------------------------------------------------------------- Schottky / thermionic

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_schottky_recovers_barrier_and_permittivity(seed):
    """phi = 0.75 eV, eps_r = 5.5, 300 K, negative branch -1.5 .. -0.2 V: phi within 0.01 eV (measured,
    seeds 0-39: 4.8e-4 eV), eps_r within 2 % (measured 0.23 %)."""
    V = np.linspace(-1.5, 0.0, 61)
    I = noisy(bm.schottky_emission_J(V, 0.75 * EV, 300.0, M0, D, 5.5) * AREA, seed)
    r = fit.fit_schottky(V, I, AREA, 300.0, M0, V_window=(-1.5, -0.2), thickness_m=D)
    assert r.phi_eV == pytest.approx(0.75, abs=0.01)
    assert r.eps_r == pytest.approx(5.5, rel=0.02)
    assert r.V_window_V[0] >= -1.5 and r.V_window_V[1] <= -0.2
    r2 = fit.fit_schottky(V, I, AREA, 300.0, M0, V_window=(-1.5, -0.2))
    assert math.isnan(r2.eps_r) and r2.phi_J == r.phi_J


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_thermionic_forward_recovers_barrier_and_ideality(seed):
    """phi = 0.7 eV, n = 1.3, 300 K, window 0.02-0.5 V (includes the '-1' region): phi within 0.01 eV
    (measured, seeds 0-39: 2.0e-4 eV), n within 1 % (measured 0.086 %)."""
    V = np.linspace(0.0, 0.5, 51)
    I = noisy(bm.thermionic_J(V, 0.7 * EV, 300.0, M0, ideality=1.3) * AREA, seed)
    r = fit.fit_thermionic_forward(V, I, AREA, 300.0, M0, V_window=(0.02, 0.5))
    assert r.phi_eV == pytest.approx(0.7, abs=0.01)
    assert r.ideality == pytest.approx(1.3, rel=0.01)
    assert 0.005 < r.rms_log_residual < 0.015


def test_fit_window_validation():
    V = np.linspace(-1, 1, 21)
    I = bm.schottky_emission_J(V, 0.75 * EV, 300.0, M0, D, 5.5) * AREA
    for bad in [(-0.5, 0.5), (0.5, 0.2), (math.nan, 1.0)]:
        with pytest.raises(ValueError, match="V_window"):
            fit.fit_schottky(V, I, AREA, 300.0, M0, V_window=bad)


# ------------------------------------------------------------------------------- input validation

BAD = st.one_of(st.floats(max_value=0.0, allow_nan=False), st.just(math.nan), st.just(math.inf))
V0 = np.linspace(0.05, 1.0, 20)
I0 = 1e-6 * (V0 + 4 * V0**3)
FITS = {
    "fit_trapezoid_dt": (lambda **k: fit.fit_trapezoid_dt(V0, I0, k["area_m2"], k["thickness_m"], mass_kg=k["mass_kg"]),
                         ["area_m2", "thickness_m", "mass_kg"]),
    "fit_fn": (lambda **k: fit.fit_fn(V0, I0, k["thickness_m"], k["mass_kg"], V_min_V=0.1),
               ["thickness_m", "mass_kg"]),
    "fit_schottky": (lambda **k: fit.fit_schottky(V0, I0, k["area_m2"], k["T_K"], k["mass_kg"], (0.1, 1.0),
                                                  thickness_m=k["thickness_m"]),
                     ["area_m2", "T_K", "mass_kg", "thickness_m"]),
    "fit_thermionic_forward": (lambda **k: fit.fit_thermionic_forward(V0, I0, k["area_m2"], k["T_K"], k["mass_kg"],
                                                                      (0.1, 1.0)),
                               ["area_m2", "T_K", "mass_kg"]),
}
GOOD = dict(area_m2=AREA, thickness_m=D, mass_kg=M0, T_K=300.0)
FIT_PARAMS = [(name, p) for name, (_, params) in FITS.items() for p in params]


@pytest.mark.parametrize("name, param", FIT_PARAMS, ids=[f"{n}-{p}" for n, p in FIT_PARAMS])
@settings(max_examples=20, deadline=None)
@given(bad=BAD)
def test_fit_bad_parameter_raises_naming_it(name, param, bad):
    func, _ = FITS[name]
    kwargs = dict(GOOD, **{param: bad})
    with pytest.raises(ValueError, match=param) as info:
        func(**kwargs)
    assert "allowed" in str(info.value)


@settings(max_examples=20, deadline=None)
@given(which=st.sampled_from(["V_V", "I_A"]), pos=st.integers(0, 19),
       bad=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_fit_non_finite_data_raises_naming_array(which, pos, bad):
    V, I = V0.copy(), I0.copy()
    (V if which == "V_V" else I)[pos] = bad
    for call in (lambda: fit.fit_fn(V, I, D, M0, V_min_V=0.1), lambda: fit.transition_voltage(V, I),
                 lambda: fit.fit_trapezoid_dt(V, I, AREA, D, mass_kg=M0)):
        with pytest.raises(ValueError, match=which):
            call()


def test_fit_shape_mismatch_raises():
    with pytest.raises(ValueError, match="I_A"):
        fit.fit_fn(V0, I0[:-1], D, M0, V_min_V=0.1)
