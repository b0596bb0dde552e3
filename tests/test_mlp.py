"""MLP runner: the device update rule of the kernels against the compact model's numpy reference, the kernels
against their numpy twin, pulse-faithful training on a linear device against quantised SGD, pulse counts,
signs, bounds, determinism and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ftjphys import mlp
from ftjphys.compact_model import CompactModel, Variability, apply_pulses
from ftjphys.datasets import N_PIXELS
from solvers import mlp_kernels as mk


def _model(nl=0.15, sigma_pulse=0.0, sigma_device=0.0, n_pulses=150):
    var = Variability(pulse_sigma_rel=sigma_pulse, device_sigma_rel=sigma_device)
    return CompactModel.synthetic("test", 40e-6, 90e-6, n_pulses, nl, nl, var)


def _tiny_data(n: int, seed: int = 0) -> mlp.SparseImages:
    """Digits made of one bright 6x6 block per class plus sparse noise: learnable by a small network."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = ((rng.random((n, 28, 28)) < 0.05) * rng.integers(1, 120, (n, 28, 28))).astype(np.uint8)
    for i, c in enumerate(labels):
        r, col = 2 + 8 * (c // 3), 2 + 8 * (c % 3)
        images[i, r:r + 6, col:col + 6] = 255
    return mlp.SparseImages.from_bytes(images.reshape(n, N_PIXELS), labels)


# ------------------------------------------------------------------------------------ device rule


def test_generator_matches_its_python_twin():
    state_nb = np.uint64(123456789)
    state_py = 123456789
    for _ in range(1000):
        state_nb, u_nb = mk._next_uniform(np.uint64(state_nb))
        state_py, u_py = mk.py_next_uniform(state_py)
        assert int(state_nb) == state_py and u_nb == u_py and 0.0 <= u_nb < 1.0


@pytest.mark.parametrize("direction", [+1, -1])
def test_noise_free_pulses_equal_the_compact_model_reference(direction):
    model = _model(nl=0.63)
    rng = np.random.default_rng(1)
    g = rng.random(500)
    n = rng.integers(0, 40, 500)
    scale = rng.uniform(0.7, 1.3, 500)
    table = model.kernel_arrays()["step_up" if direction > 0 else "step_down"]
    ours = g.copy()
    mk.apply_pulses_kernel(ours, n, table, scale, 0.0, np.array([5], dtype=np.uint64))
    np.testing.assert_allclose(ours, apply_pulses(model, g, n, direction, None, scale), rtol=0, atol=1e-12)


def test_noisy_pulses_have_the_statistics_of_the_compact_model_reference():
    model = _model(nl=0.15, sigma_pulse=0.8)
    n_dev, n_p = 20000, 12
    g0 = np.full(n_dev, 0.3)
    ours = g0.copy()
    mk.apply_pulses_kernel(ours, np.full(n_dev, n_p), model.kernel_arrays()["step_up"], np.ones(n_dev), 0.8,
                           np.array([99], dtype=np.uint64))
    ref = apply_pulses(model, g0, n_p, +1, np.random.default_rng(3))
    se_mean = ref.std() / math.sqrt(n_dev)
    assert abs(ours.mean() - ref.mean()) < 4 * math.sqrt(2) * se_mean
    assert ours.std() == pytest.approx(ref.std(), rel=0.04)
    # and the noise is really there: 12 mean steps of about 0.0103 from 0.3, spread sqrt(12)*0.8*step
    assert ref.std() == pytest.approx(math.sqrt(n_p) * 0.8 * model.potentiation.step(0.36), rel=0.1)


# ------------------------------------------------------------------------------ pulses per request


@pytest.mark.parametrize("pair", [mk.PAIR_DIFF, mk.PAIR_REF])
def test_number_and_sign_of_pulses(pair):
    model = _model(nl=0.0)
    k = model.kernel_arrays()
    dw_pulse = 2.0 * mlp.mean_step(model)   # weight_max = 1
    w_scale = 1.0 if pair == mk.PAIR_DIFF else 2.0
    requests = np.array([3.0, -2.0, 0.0, 0.4, -0.6, 1.49]) * dw_pulse
    gp = np.full(6, 0.5)
    gn = np.full(6, 0.5)
    pulses = np.zeros(6, dtype=np.int64)
    W = mk.program_requests(requests, gp, gn, np.ones(6), np.ones(6), k["step_up"], k["step_down"], w_scale, 0.5,
                            dw_pulse, 0.0, pair, mk.MODE_PULSE_NEAREST, np.array([1], dtype=np.uint64), pulses)
    assert pulses.tolist() == [3, -2, 0, 0, -1, 1]
    np.testing.assert_allclose(gp, 0.5 + pulses / 150, atol=1e-12)          # G+ moves with the sign of dW
    if pair == mk.PAIR_DIFF:
        np.testing.assert_allclose(gn, 0.5 - pulses / 150, atol=1e-12)      # G- the other way
    else:
        np.testing.assert_array_equal(gn, 0.5)                             # the reference never moves
    np.testing.assert_allclose(W, pulses * dw_pulse, atol=1e-12)           # one pulse = one weight quantum


def test_stochastic_rounding_is_unbiased():
    model = _model(nl=0.0)
    k = model.kernel_arrays()
    dw_pulse = 2.0 * mlp.mean_step(model)
    n = 20000
    pulses = np.zeros(n, dtype=np.int64)
    mk.program_requests(np.full(n, 0.3 * dw_pulse), np.full(n, 0.5), np.full(n, 0.5), np.ones(n), np.ones(n),
                        k["step_up"], k["step_down"], 1.0, 0.5, dw_pulse, 0.0, mk.PAIR_DIFF, mk.MODE_PULSE,
                        np.array([7], dtype=np.uint64), pulses)
    assert set(np.unique(pulses)) == {0, 1}
    assert pulses.mean() == pytest.approx(0.3, abs=4 * math.sqrt(0.21 / n))


@pytest.mark.parametrize("mode", [mk.MODE_PULSE, mk.MODE_LUT])
def test_conductances_stay_within_bounds(mode):
    model = _model(nl=0.63, sigma_pulse=1.5, sigma_device=0.3)
    k = model.kernel_arrays()
    rng = np.random.default_rng(0)
    n = 3000
    gp, gn = rng.random(n), rng.random(n)
    scales = model.variability.draw_device_scales(rng, (2, n))
    for _ in range(5):
        W = mk.program_requests(rng.normal(0, 3.0, n), gp, gn, scales[0], scales[1], k["step_up"], k["step_down"],
                                1.0, 0.5, 2 * mlp.mean_step(model), 1.5, mk.PAIR_DIFF, mode,
                                np.array([rng.integers(1, 2**62)], dtype=np.uint64), np.zeros(n, dtype=np.int64))
        assert gp.min() >= 0.0 and gp.max() <= 1.0 and gn.min() >= 0.0 and gn.max() <= 1.0
        assert np.abs(W).max() <= 1.0
    assert gp.min() == 0.0 and gp.max() == 1.0  # the bounds were reached, not just respected


def test_mean_step_of_a_linear_device_is_one_over_the_pulse_count():
    assert mlp.mean_step(_model(nl=0.0, n_pulses=150)) == pytest.approx(1 / 150, rel=1e-12)
    assert mlp.mean_step(_model(nl=0.63)) > 1 / 150  # the steps near the symmetry point are larger


# ---------------------------------------------------------------------------------- whole epochs


@pytest.mark.parametrize("mode, pair, sigma", [
    (mk.MODE_FLOAT, mk.PAIR_DIFF, 0.0),
    (mk.MODE_PULSE, mk.PAIR_DIFF, 0.0),
    (mk.MODE_PULSE, mk.PAIR_REF, 0.7),
    (mk.MODE_PULSE_NEAREST, mk.PAIR_DIFF, 0.7),
    (mk.MODE_LUT, mk.PAIR_DIFF, 0.7),
])
def test_epoch_kernel_equals_its_numpy_twin(mode, pair, sigma):
    data = _tiny_data(12)
    model = _model(nl=0.3)
    k = model.kernel_arrays()
    rng = np.random.default_rng(4)
    nh = 5
    W1, W2 = rng.uniform(-0.1, 0.1, (N_PIXELS, nh)), rng.uniform(-0.3, 0.3, (nh, 10))
    gp1, gn1 = 0.5 + W1 / 2, 0.5 - W1 / 2
    gp2, gn2 = 0.5 + W2 / 2, 0.5 - W2 / 2
    s = [rng.uniform(0.8, 1.2, a.shape) for a in (W1, W1, W2, W2)]
    # per-layer weight ranges: w_scale and dw_pulse differ between W1 and W2
    w_scale, dw_pulse = np.array([1.0, 2.0]), np.array([0.02, 0.04])
    args = lambda: [a.copy() for a in (W1, np.zeros(nh), W2, np.zeros(10))] + [0.5, mode, pair, w_scale, 0.5,
                                                                            dw_pulse, sigma] + \
        [a.copy() for a in (gp1, gn1, s[0], s[1], gp2, gn2, s[2], s[3])] + \
        [k["step_up"], k["step_down"], np.array([42], dtype=np.uint64), np.zeros(mk.N_STATS)]
    order = np.array([3, 1, 0, 2, 5, 4, 7, 6, 9, 8, 11, 10, 0, 1], dtype=np.int64)
    a, b = args(), args()
    mk.train_epoch(data.indptr, data.indices, data.values, data.labels, order, *a)
    mk.train_epoch_numpy(data.indptr, data.indices, data.values, data.labels, order, *b)
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)
    if mode != mk.MODE_FLOAT:
        assert not np.allclose(a[0], W1)  # the devices did move
    pred = mk.predict(data.indptr, data.indices, data.values, a[0], a[1], a[2], a[3])
    np.testing.assert_array_equal(pred, mk.predict_numpy(data.indptr, data.indices, data.values, *a[:4]))


def test_linear_device_without_noise_is_sgd_quantised_to_the_step():
    """Pulse-faithful training of a linear symmetric device = SGD whose every update is stochastically
    rounded to whole steps of dW_pulse with the same random numbers (an independent float implementation)."""
    data = _tiny_data(40)
    cfg = mlp.TrainingConfig(n_hidden=8, epochs=2, learning_rate=0.5)
    model = _model(nl=0.0, n_pulses=1000)
    update = mlp.DeviceUpdate(weight_max=3.0, weight_max_output=4.0)  # wide enough that no device reaches a bound
    hist = mlp.train(data, data, cfg, 11, model, update)
    for key in ("gp1", "gn1", "gp2", "gn2"):
        assert 0.0 < hist.weights[key].min() and hist.weights[key].max() < 1.0
    # quantised SGD on plain floats, the same streams as mlp.train
    w_rng, order_rng, _, pulse_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(11).spawn(4))
    w = mlp.initial_weights(w_rng, cfg.n_hidden)
    W1, b1, W2, b2 = w["W1"], w["b1"], w["W2"], w["b2"]
    state = int(pulse_rng.integers(1, 2**63, dtype=np.uint64))
    q, q2 = 2.0 * update.weight_max / 1000, 2.0 * update.weight_max_output / 1000   # one step per layer
    n_pulses_total = 0
    for epoch in range(cfg.epochs):
        for s in order_rng.permutation(data.n):
            cols = data.indices[data.indptr[s]:data.indptr[s + 1]]
            x = data.values[data.indptr[s]:data.indptr[s + 1]]
            h = 1 / (1 + np.exp(-(b1 + x @ W1[cols])))
            p = np.exp(b2 + h @ W2)
            p /= p.sum()
            d2 = p - np.eye(10)[data.labels[s]]
            d1 = (W2 @ d2) * h * (1 - h)
            b2 -= cfg.learning_rate * d2
            b1 -= cfg.learning_rate * d1
            for kk in range(cfg.n_hidden):
                for m in range(10):
                    dw = -cfg.learning_rate * h[kk] * d2[m]
                    state, u = mk.py_next_uniform(state)
                    n = int((cfg.learning_rate * h[kk] / q2) * abs(d2[m]) + u)
                    W2[kk, m] += math.copysign(n * q2, dw)
                    n_pulses_total += n
            c1 = cfg.learning_rate * np.abs(d1) / q
            for j, xj in zip(cols, x):
                for kk in range(cfg.n_hidden):
                    state, u = mk.py_next_uniform(state)
                    n = int(xj * c1[kk] + u)
                    W1[j, kk] += n * q if d1[kk] < 0 else -n * q
                    n_pulses_total += n
    assert n_pulses_total > 100
    np.testing.assert_allclose(hist.weights["W1"], W1, atol=1e-9)
    np.testing.assert_allclose(hist.weights["W2"], W2, atol=1e-9)
    np.testing.assert_allclose(hist.weights["b1"], b1, atol=1e-9)
    assert hist.pulses_per_sample.sum() * data.n == pytest.approx(2 * n_pulses_total)  # two devices per pulse


def test_same_seed_same_weights_and_training_learns():
    data, test = _tiny_data(200, 0), _tiny_data(100, 1)
    cfg = mlp.TrainingConfig(n_hidden=20, epochs=3)
    model = _model(nl=0.15, sigma_pulse=1.0, sigma_device=0.3)
    update = mlp.DeviceUpdate(c2c=True, d2d=True)
    a = mlp.train(data, test, cfg, 5, model, update)
    b = mlp.train(data, test, cfg, 5, model, update)
    c = mlp.train(data, test, cfg, 6, model, update)
    for key in ("W1", "W2", "gp1", "gn2"):
        np.testing.assert_array_equal(a.weights[key], b.weights[key])
    assert not np.array_equal(a.weights["W1"], c.weights["W1"])
    assert a.test_accuracy[-1] > 60.0  # ten classes: chance is 10 %
    ideal = mlp.train(data, test, cfg, 5)
    assert ideal.test_accuracy[-1] > 80.0 and ideal.pulses_per_sample.sum() == 0


def test_learning_rate_schedule():
    cfg = mlp.TrainingConfig(learning_rate=0.2, lr_decay=0.5, lr_step_epochs=5)
    assert [cfg.learning_rate_at(e) for e in (0, 4, 5, 10)] == [0.2, 0.2, 0.1, 0.05]


@pytest.mark.parametrize("make, match", [
    (lambda: mlp.DeviceUpdate(mode="analog"), "mode = 'analog'.*allowed: 'pulse', 'lut'"),
    (lambda: mlp.DeviceUpdate(pair="triple"), "pair = 'triple'"),
    (lambda: mlp.DeviceUpdate(weight_max=0.0), "weight_max"),
    (lambda: mlp.DeviceUpdate(weight_max_output=-1.0), "weight_max_output"),
    (lambda: mlp.DeviceUpdate(c2c="yes"), "c2c"),
    (lambda: mlp.TrainingConfig(epochs=0), "epochs"),
    (lambda: mlp.TrainingConfig(learning_rate=-1.0), "learning_rate"),
    (lambda: mlp.TrainingConfig(lr_decay=1.5), "lr_decay"),
])
def test_bad_configuration_is_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_model_and_update_go_together():
    data = _tiny_data(5)
    with pytest.raises(ValueError, match="together"):
        mlp.train(data, data, mlp.TrainingConfig(n_hidden=2, epochs=1), 0, _model(), None)
