"""Spiking winner-take-all network (ftjphys.snn, solvers.snn_kernels): the device update rule, the STDP
window it applies, the twins, determinism, bounds, and the drift of uncorrelated pairings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from ftjphys import snn
from ftjphys.compact_model import CompactModel, StdpWindow, Variability, apply_pulses
from solvers import snn_kernels as sk

NOISY = Variability(pulse_sigma_rel=0.3, device_sigma_rel=0.2)


def _linear_model(**kw):
    return CompactModel.synthetic(nl_potentiation=0.0, nl_depression=0.0, stdp=StdpWindow.paper(), **kw)


def _pairs(dt_values, t_post=5.0):
    """One pre spike per input at t_post − Δt, in time order."""
    times = t_post - np.asarray(dt_values, dtype=float)
    order = np.argsort(times, kind="stable")
    return times[order], order.astype(np.int64), np.zeros(times.size, dtype=bool)


def _stdp(net, times, inputs, is_bg, t_post, column, scale, rng_state, kernel=sk.stdp_update_numba):
    ki = net.kernel_inputs()
    f = dict(zip(sk.NETWORK_FIELDS, ki["net"]))
    return kernel(times, inputs, is_bg, t_post, column, scale, ki["window"], f["pairing_window"], f["learning_rate"],
                  f["units_up"], f["units_down"], ki["step_up"], ki["step_down"], f["pulse_sigma"],
                  f["fractional_rounding"] > 0, f["pair_background"] > 0, rng_state)


@pytest.mark.parametrize("direction", [1, -1])
def test_pulse_kernel_is_the_compact_model_update_rule(direction):
    model = CompactModel.synthetic(nl_potentiation=0.4, nl_depression=0.2, variability=NOISY)
    k = model.kernel_arrays()
    rng = np.random.default_rng(1)
    g = rng.uniform(0, 1, 300)
    n = rng.integers(0, 30, 300)
    scale = model.variability.draw_device_scales(rng, g.shape)
    ref = apply_pulses(model, g, n, direction, np.random.default_rng(7), scale)
    xi = np.random.default_rng(7).standard_normal(int(n.sum()))
    got = sk.apply_pulses_numba(g, n, direction, k["step_up"], k["step_down"], scale, k["pulse_sigma_rel"], xi)
    twin = sk.apply_pulses_numpy(g, n, direction, k["step_up"], k["step_down"], scale, k["pulse_sigma_rel"], xi)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(twin, ref, rtol=0, atol=1e-12)
    assert np.all((got >= 0) & (got <= 1))


def test_rng_twin_and_statistics():
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    py = sk.PyRng(state)
    for _ in range(50):
        assert sk.rng_next(state) == py.next()
    st = np.random.default_rng(3).integers(1, 2**63, 4, dtype=np.int64).astype(np.uint64)
    u = np.array([sk.rng_uniform(st) for _ in range(20000)])
    z = np.array([sk.rng_normal(st) for _ in range(20000)])
    assert abs(u.mean() - 0.5) < 0.01 and abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


def test_ideal_linear_device_applies_the_fitted_window():
    """Pair-based STDP on an ideal linear device: Δg = η·ΔW(Δt)/100 for |Δt| < T_win, 0 beyond."""
    window = StdpWindow.paper()
    net = snn.Network(_linear_model(), snn.SnnParameters(rounding="fractional"))
    T, eta = net.pairing_window, net.params.learning_rate
    dt = np.array([-5.0, -3.6, -3.0, -2.0, -1.0, -0.5, -0.1, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 3.5, 4.0])
    times, inputs, bg = _pairs(dt)
    column = np.full(dt.size, 0.5)
    _stdp(net, times, inputs, bg, 5.0, column, np.ones(dt.size), np.ones(4, dtype=np.uint64))
    expected = np.where(np.abs(dt) < T, eta * window.dW_percent(dt * window.tau_plus_s) / 100.0, 0.0)
    np.testing.assert_allclose(column - 0.5, expected, rtol=1e-9, atol=1e-12)


def test_constant_step_shape_applies_the_window_additively_at_any_state():
    """step_shape="constant" on a nonlinear device: the change of a pairing, η·ΔW(Δt)/100, does not depend on
    the state; with the model's tables ("table") it follows the state-dependent step."""
    window = StdpWindow.paper()
    model = CompactModel.synthetic(nl_potentiation=0.6, nl_depression=0.6, stdp=window)
    dt = np.array([-1.0, -0.3, 0.3, 1.0])
    times, inputs, bg = _pairs(dt)
    changes = {}
    for shape in snn.STEP_SHAPES:
        net = snn.Network(model, snn.SnnParameters(rounding="fractional", step_shape=shape))
        for g0 in (0.2, 0.8):
            column = np.full(dt.size, g0)
            _stdp(net, times, inputs, bg, 5.0, column, np.ones(dt.size), np.ones(4, dtype=np.uint64))
            changes[shape, g0] = column - g0
    expected = net.params.learning_rate * window.dW_percent(dt * window.tau_plus_s) / 100.0
    for g0 in (0.2, 0.8):
        np.testing.assert_allclose(changes["constant", g0], expected, rtol=1e-9, atol=1e-12)
    # the tables' steps: potentiation is larger at low g than at high g for this family, depression the opposite
    assert changes["table", 0.2][-1] > 1.5 * changes["table", 0.8][-1] > 0
    assert changes["table", 0.8][0] < 1.5 * changes["table", 0.2][0] < 0
    with pytest.raises(ValueError, match="SnnParameters.step_shape"):
        snn.SnnParameters(step_shape="flat")


def test_stochastic_rounding_reproduces_the_window_on_average():
    window = StdpWindow.paper()
    net = snn.Network(_linear_model(), snn.SnnParameters())
    eta = net.params.learning_rate
    dt = np.array([-2.0, -0.7, -0.2, 0.2, 0.7, 2.0])
    times, inputs, bg = _pairs(dt)
    state = np.random.default_rng(0).integers(1, 2**63, 4, dtype=np.int64).astype(np.uint64)
    total = np.zeros(dt.size)
    trials = 3000
    for _ in range(trials):
        column = np.full(dt.size, 0.5)
        _stdp(net, times, inputs, bg, 5.0, column, np.ones(dt.size), state)
        total += column - 0.5
    expected = eta * window.dW_percent(dt * window.tau_plus_s) / 100.0
    step = 1.0 / 150
    np.testing.assert_allclose(total / trials, expected, atol=4 * step / math.sqrt(trials) + 1e-12)


def test_end_to_end_presentation_applies_the_window_to_the_winner():
    """One presentation through the full kernel: the winner's column changes by η·ΔW(t_post − t_i)/100."""
    model = _linear_model()
    p = snn.SnnParameters(rounding="fractional")
    net = snn.Network(model, p)
    state = snn.initial_state(net, np.random.default_rng(4))
    before = state.weights.copy()
    image = snn.letter_patterns(("T",))
    res = snn.present(net, state, image, np.random.default_rng(5), learn=True)
    j, t_post = int(res.winner[0]), float(res.t_post_tau[0])
    assert j >= 0
    t_pre = p.onset_tau + p.latency_range_tau * (1 - image[0])
    dt = t_post - t_pre
    expected = np.where(np.abs(dt) < net.pairing_window,
                        p.learning_rate * net.window.dW_percent(dt * net.window.tau_plus_s) / 100.0, 0.0)
    np.testing.assert_allclose(state.weights[:, j] - before[:, j], expected, atol=1e-12)
    others = [k for k in range(5) if k != j]
    np.testing.assert_array_equal(state.weights[:, others], before[:, others])
    assert state.theta[j] > state.theta[others].max()


def test_membrane_of_one_spike_peaks_at_the_kernel_maximum():
    tau_m, tau_s = 5.0, 0.5
    t_peak = math.log(tau_m / tau_s) * tau_m * tau_s / (tau_m - tau_s)
    peak = tau_m / (tau_m - tau_s) * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_s))
    w = np.ones((1, 1))
    times, inputs = np.array([1.0]), np.array([0], dtype=np.int64)
    j, t = sk.first_spike_numba(times, inputs, w, np.array([peak * 0.999]), 1e-3, 10.0, tau_m, tau_s)
    assert j == 0 and abs(t - 1.0 - t_peak) < 0.1
    j, _ = sk.first_spike_numba(times, inputs, w, np.array([peak * 1.001]), 1e-3, 10.0, tau_m, tau_s)
    assert j == -1


def test_first_spike_twin():
    rng = np.random.default_rng(8)
    for _ in range(30):
        n = rng.integers(5, 60)
        times = np.sort(rng.uniform(-2, 8, n))
        inputs = rng.integers(0, 25, n).astype(np.int64)
        w = rng.uniform(0, 1, (25, 5))
        theta = rng.uniform(1, 5, 5)
        a = sk.first_spike_numba(times, inputs, w, theta, 0.01, 10.0, 5.0, 0.5)
        b = sk.first_spike_numpy(times, inputs, w, theta, 0.01, 10.0, 5.0, 0.5)
        assert a[0] == b[0]
        if a[0] >= 0:
            assert abs(a[1] - b[1]) < 1e-9


@pytest.mark.parametrize("rounding", ["stochastic", "fractional"])
def test_presentation_kernel_twin_with_noise_and_background(rounding):
    model = CompactModel.synthetic(variability=NOISY, stdp=StdpWindow.paper())
    net = snn.Network(model, snn.SnnParameters(background_rate_per_tau=0.3, rounding=rounding, normalise_sum=0.0))
    rng = np.random.default_rng(11)
    state = snn.initial_state(net, rng)
    twin = state.copy()
    images = snn.noisy_images(snn.letter_patterns()[rng.integers(0, 5, 15)], 0.3, rng)
    a = snn.present(net, state, images, np.random.default_rng(2), learn=True)
    b = snn.present(net, twin, images, np.random.default_rng(2), learn=True, kernel="numpy")
    np.testing.assert_array_equal(a.winner, b.winner)
    np.testing.assert_allclose(state.weights, twin.weights, atol=1e-10)
    np.testing.assert_allclose(state.theta, twin.theta, atol=1e-12)
    np.testing.assert_array_equal(state.rng_state, twin.rng_state)
    np.testing.assert_allclose(a.dg_background, b.dg_background, atol=1e-10)


def _trained(seed=0, epochs=5, **params):
    net = snn.Network(CompactModel.synthetic(variability=NOISY, stdp=StdpWindow.paper()),
                      snn.SnnParameters(**params))
    rng = np.random.default_rng(seed)
    state = snn.initial_state(net, rng)
    snn.train(net, state, snn.letter_patterns(), epochs, rng, 0.3)
    return net, state


def test_learning_off_is_deterministic_for_a_seed():
    net, state = _trained()
    frozen = state.copy()
    patterns = snn.letter_patterns()
    labels = snn.assign_labels(net, state, patterns, np.random.default_rng(1))
    r1 = snn.recognition_rate(net, state, patterns, labels, 0.5, 40, np.random.default_rng(3))
    r2 = snn.recognition_rate(net, state, patterns, labels, 0.5, 40, np.random.default_rng(3))
    assert r1[0] == r2[0]
    np.testing.assert_array_equal(r1[1], r2[1])
    for name in ("weights", "theta", "rng_state"):
        np.testing.assert_array_equal(getattr(state, name), getattr(frozen, name))
    images = snn.noisy_images(patterns[np.arange(50) % 5], 0.4, np.random.default_rng(6))
    a = snn.present(net, state, images, np.random.default_rng(9), learn=False, background_rate_per_tau=0.2)
    b = snn.present(net, state, images, np.random.default_rng(9), learn=False, background_rate_per_tau=0.2)
    np.testing.assert_array_equal(a.winner, b.winner)
    np.testing.assert_array_equal(a.t_post_tau, b.t_post_tau)


@pytest.mark.parametrize("ratio,rate", [(4.0, 0.5), (0.25, 0.5), (1.0, 0.0)])
def test_weights_stay_in_bounds(ratio, rate):
    model = CompactModel.synthetic(variability=Variability(pulse_sigma_rel=1.0, device_sigma_rel=0.5),
                                   stdp=StdpWindow.paper())
    net = snn.Network(model, snn.SnnParameters(learning_rate=3.0, background_rate_per_tau=rate),
                      snn.scaled_window(model.stdp, ratio))
    rng = np.random.default_rng(0)
    state = snn.initial_state(net, rng, init_range=(0.0, 1.0))
    tr = snn.train(net, state, snn.letter_patterns(), 20, rng, 0.5)
    assert np.all((tr.weights >= 0.0) & (tr.weights <= 1.0))
    assert np.isfinite(tr.theta).all()


def test_window_diagnostics():
    w = StdpWindow.paper()
    T = snn.default_pairing_window(w)
    assert T == pytest.approx(1.11 * math.log(52.18 / 2.14))
    assert w.dW_percent(-T * w.tau_plus_s) == pytest.approx(0.0, abs=1e-9)
    numeric = quad(lambda x: float(w.dW_percent(x * w.tau_plus_s)), -T, 0, points=[0])[0] + \
        quad(lambda x: float(w.dW_percent(x * w.tau_plus_s)), 0, T)[0]
    assert snn.window_integral(w, T) == pytest.approx(numeric, rel=1e-6)
    assert abs(snn.window_integral(w, T)) < 2.0          # the device's window is balanced
    assert snn.window_integral(snn.scaled_window(w, 2.0), T) > 50.0
    assert snn.window_integral(snn.scaled_window(w, 0.5), T) < -20.0


def test_uncorrelated_pairs_drift_by_the_window_integral():
    """Pre spikes uniform around the post spike (rate r): mean Δg per synapse = η r ∫ΔW / 100."""
    window = snn.scaled_window(StdpWindow.paper(), 2.0)
    net = snn.Network(_linear_model(), snn.SnnParameters(rounding="fractional"), window)
    T, eta, rate = net.pairing_window, net.params.learning_rate, 0.5
    rng = np.random.default_rng(1)
    trials, total = 4000, 0.0
    for _ in range(trials):
        k = rng.poisson(rate * 2 * T)
        times = np.sort(rng.uniform(5.0 - T, 5.0 + T, k))
        column = np.array([0.5])
        _stdp(net, times, np.zeros(k, dtype=np.int64), np.ones(k, dtype=bool), 5.0, column, np.ones(1),
              np.ones(4, dtype=np.uint64))
        total += column[0] - 0.5
    predicted = eta * rate * snn.window_integral(window, T) / 100.0
    assert total / trials == pytest.approx(predicted, rel=0.08)


def test_background_pairs_can_be_kept_out_of_stdp():
    net = snn.Network(_linear_model(), snn.SnnParameters(pair_background=False))
    times, inputs = np.array([4.0, 4.5, 5.5]), np.array([0, 1, 2], dtype=np.int64)
    column = np.full(3, 0.5)
    dgs, dgb = _stdp(net, times, inputs, np.array([True, False, True]), 5.0, column, np.ones(3),
                     np.ones(4, dtype=np.uint64))
    assert dgb == 0.0 and dgs > 0.0
    assert column[0] == 0.5 and column[2] == 0.5 and column[1] > 0.5


def test_parameter_validation_names_the_parameter():
    with pytest.raises(ValueError, match="SnnParameters.dt_tau"):
        snn.SnnParameters(dt_tau=0.0)
    with pytest.raises(ValueError, match="SnnParameters.rounding"):
        snn.SnnParameters(rounding="nearest")
    with pytest.raises(ValueError, match="synapse_time_tau"):
        snn.SnnParameters(membrane_time_tau=1.0, synapse_time_tau=1.0)
    with pytest.raises(ValueError, match="letter"):
        snn.letter_patterns(("Z",))
    with pytest.raises(ValueError, match="ratio"):
        snn.scaled_window(StdpWindow.paper(), -1.0)


def test_normalisation_option_fixes_the_winner_column_sum():
    net, state = _trained(normalise_sum=8.0, epochs=3)
    sums = state.weights.sum(axis=0)
    # columns that have won at least once carry the target sum (up to clipping at the bounds)
    assert np.any(np.isclose(sums, 8.0, atol=1e-9))
