"""Kernels of the crossbar MLP: one SGD epoch (batch size 1) with ideal or device-aware updates, and inference.

Network: x (sparse, CSR rows of the non-zero pixels) -> a = b1 + x W1 -> h = σ(a) -> z = b2 + h W2 ->
p = softmax(z); loss = −ln p_y. Backpropagation: δ2 = p − e_y, δ1 = h(1 − h) ⊙ (W2 δ2), requested updates
ΔW2 = −η h δ2ᵀ, ΔW1 = −η x δ1ᵀ, biases b −= η δ (biases are digital, always exact).

Weights are stored input-major (W1[j, k] with j the pixel) so that the rows of the non-zero pixels are
contiguous; only those rows are read and updated (about 19 % of MNIST pixels are non-zero).

Update modes (``mode``):

- ``MODE_FLOAT``: W −= η x δ (the ideal baseline);
- ``MODE_PULSE`` / ``MODE_PULSE_NEAREST``: each requested ΔW becomes n = ⌊|ΔW|/ΔW_pulse + u⌋ pulses,
  u ~ U(0, 1) (stochastic rounding, E[n] = |ΔW|/ΔW_pulse), or n = round(|ΔW|/ΔW_pulse); each pulse moves
  the normalised conductance g of a device by the compact model's rule

      Δg = s_dev · step(g) · (1 + σ_pulse ξ),  ξ ~ N(0, 1),  g ← clip(g + Δg, 0, 1)

  (``ftjphys.compact_model.apply_pulses``), step linearly interpolated on the uniform node grid of the
  potentiation (``step_up``) or depression (``step_down``) table. Differential pair (``pair=PAIR_DIFF``):
  ΔW > 0 sends n potentiating pulses to G⁺ and n depressing pulses to G⁻ (the opposite for ΔW < 0), and
  W = w_scale (g⁺ − g⁻), as CrossSim's balanced core splits an update between the two devices. Device
  against a fixed reference (``PAIR_REF``): n pulses of the sign of ΔW on G⁺ and W = w_scale (g⁺ − g_ref);
- ``MODE_LUT``: CrossSim v2's ``DG_LOOKUP`` update, not pulse-quantised: with scale = |ΔW|/ΔW_pulse,
  Δg = s_dev · step(g) · (scale + √scale · σ_pulse ξ) (mean-scaled step, noise adding like a random walk
  of ``scale`` pulses; Sandia cross-sim v2.0, ``dGLookupParams.compute_update``).

Randomness inside the kernels comes from an inline xorshift64* generator (Marsaglia 2003; Vigna 2016)
whose 64-bit state is seeded by the caller from a ``numpy.random.Generator`` and returned in
``rng_state[0]``: about 96 % of the requested updates round to zero pulses and then cost one draw.
Normal deviates use the Box–Muller transform. :func:`train_epoch_numpy` is the plain-Python twin
(same arithmetic, same random stream) used by the tests.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

MODE_FLOAT = 0
MODE_PULSE = 1
MODE_PULSE_NEAREST = 2
MODE_LUT = 3
PAIR_DIFF = 0
PAIR_REF = 1

#: accumulators of ``stats``: Σ loss, correct predictions, pulses (all devices), pulse events (updates with n ≥ 1)
STAT_LOSS, STAT_CORRECT, STAT_PULSES, STAT_EVENTS = 0, 1, 2, 3
N_STATS = 4

_M64 = (1 << 64) - 1
_XS_MULT = 0x2545F4914F6CDD1D
_U_MULT = np.uint64(_XS_MULT)
_S11, _S12, _S25, _S27 = np.uint64(11), np.uint64(12), np.uint64(25), np.uint64(27)
_INV_2_53 = 1.0 / 9007199254740992.0
_TWO_PI = 2.0 * math.pi


# ------------------------------------------------------------------------------------------- RNG


@njit(cache=True, inline="always")
def _next_uniform(state):
    """xorshift64*: (new state, u ∈ [0, 1) from the top 53 bits)."""
    x = np.uint64(state)  # a state passed from Python as int would be typed int64 (arithmetic shifts)
    x ^= x >> _S12
    x ^= x << _S25
    x ^= x >> _S27
    return x, float((x * _U_MULT) >> _S11) * _INV_2_53


@njit(cache=True)
def _next_normal(state):
    """(new state, ξ ~ N(0, 1)) by Box–Muller from two uniforms."""
    state, u1 = _next_uniform(state)
    state, u2 = _next_uniform(state)
    return state, math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(_TWO_PI * u2)


def py_next_uniform(state: int) -> tuple[int, float]:
    """Plain-Python twin of the kernel generator (state as a Python int in [1, 2⁶⁴))."""
    x = state
    x ^= x >> 12
    x = (x ^ (x << 25)) & _M64
    x ^= x >> 27
    return x, float(((x * _XS_MULT) & _M64) >> 11) * _INV_2_53


def py_next_normal(state: int) -> tuple[int, float]:
    state, u1 = py_next_uniform(state)
    state, u2 = py_next_uniform(state)
    return state, math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(_TWO_PI * u2)


# ----------------------------------------------------------------------------------- device rule


@njit(cache=True, inline="always")
def _step(table, g):
    """Mean Δg per pulse at g ∈ [0, 1]: linear interpolation on the uniform grid of ``table``."""
    m = table.size - 1
    t = g * m
    if t <= 0.0:
        return table[0]
    if t >= m:
        return table[m]
    i = int(t)
    return table[i] + (t - i) * (table[i + 1] - table[i])


def py_step(table, g: float) -> float:
    m = table.size - 1
    t = g * m
    if t <= 0.0:
        return float(table[0])
    if t >= m:
        return float(table[m])
    i = int(t)
    return float(table[i] + (t - i) * (table[i + 1] - table[i]))


@njit(cache=True)
def _pulses(g, n, table, scale, sigma, state):
    """``n`` pulses of one polarity on a device at g (the module docstring's rule)."""
    for _ in range(n):
        s = _step(table, g) * scale
        if sigma > 0.0:
            state, xi = _next_normal(state)
            s *= 1.0 + sigma * xi
        g += s
        if g < 0.0:
            g = 0.0
        elif g > 1.0:
            g = 1.0
    return g, state


def py_pulses(g, n, table, scale, sigma, state):
    for _ in range(n):
        s = py_step(table, g) * scale
        if sigma > 0.0:
            state, xi = py_next_normal(state)
            s *= 1.0 + sigma * xi
        g = min(max(g + s, 0.0), 1.0)
    return g, state


@njit(cache=True, inline="always")
def _lut_update(g, r, table, scale, sigma, state):
    """CrossSim v2 DG_LOOKUP: Δg = s_dev step(g) (r + √r σ ξ), clipped."""
    s = _step(table, g) * scale
    if sigma > 0.0:
        state, xi = _next_normal(state)
        d = s * (r + math.sqrt(r) * sigma * xi)
    else:
        d = s * r
    g += d
    if g < 0.0:
        g = 0.0
    elif g > 1.0:
        g = 1.0
    return g, state


def py_lut_update(g, r, table, scale, sigma, state):
    s = py_step(table, g) * scale
    if sigma > 0.0:
        state, xi = py_next_normal(state)
        d = s * (r + math.sqrt(r) * sigma * xi)
    else:
        d = s * r
    return min(max(g + d, 0.0), 1.0), state


@njit(cache=True, inline="always")
def _pulse_count(r, mode, state):
    """Pulses for a requested update of r mean steps: (n, skip, state). Pulse modes round stochastically
    (or to nearest); skip is True when nothing happens, so the no-pulse path touches no device array."""
    if mode == MODE_LUT:
        return 0, r <= 0.0, state
    if mode == MODE_PULSE_NEAREST:
        n = int(r + 0.5)
    else:
        state, u = _next_uniform(state)
        n = int(r + u)
    return n, n == 0, state


@njit(cache=True, inline="always")
def _update_weight(W, gp_arr, gn_arr, sp_arr, sn_arr, i, j, n, r, positive, up, down, sigma, pair, mode, w_scale,
                   g_ref, state):
    """Apply an update to the devices of weight (i, j) and refresh W[i, j]; returns the generator state."""
    gp, gn, state = _apply(n, r, positive, gp_arr[i, j], gn_arr[i, j], sp_arr[i, j], sn_arr[i, j], up, down,
                           sigma, pair, mode, state)
    gp_arr[i, j] = gp
    gn_arr[i, j] = gn
    W[i, j] = w_scale * (gp - (gn if pair == PAIR_DIFF else g_ref))
    return state


@njit(cache=True, inline="always")
def _apply(n, r, positive, gp, gn, sp, sn, up, down, sigma, pair, mode, state):
    """Move a weight's devices: n pulses (pulse modes) or the LUT update of size r; returns (g⁺, g⁻, state)."""
    # Explicit branches rather than selecting a table into a variable: an array assignment costs
    # reference counting on every call, which dominates the LUT mode's per-element work.
    if mode == MODE_LUT:
        if positive:
            gp, state = _lut_update(gp, r, up, sp, sigma, state)
            if pair == PAIR_DIFF:
                gn, state = _lut_update(gn, r, down, sn, sigma, state)
        else:
            gp, state = _lut_update(gp, r, down, sp, sigma, state)
            if pair == PAIR_DIFF:
                gn, state = _lut_update(gn, r, up, sn, sigma, state)
    elif positive:
        gp, state = _pulses(gp, n, up, sp, sigma, state)
        if pair == PAIR_DIFF:
            gn, state = _pulses(gn, n, down, sn, sigma, state)
    else:
        gp, state = _pulses(gp, n, down, sp, sigma, state)
        if pair == PAIR_DIFF:
            gn, state = _pulses(gn, n, up, sn, sigma, state)
    return gp, gn, state


@njit(cache=True)
def _program(r, positive, gp, gn, sp, sn, up, down, sigma, pair, mode, state):
    """One requested update of magnitude r = |ΔW|/ΔW_pulse and sign ``positive`` on a weight's devices.

    Returns (g⁺, g⁻, pulses per device, state).
    """
    if mode == MODE_LUT:
        if r <= 0.0:
            return gp, gn, 0, state
        n = 0
    elif mode == MODE_PULSE_NEAREST:
        n = int(r + 0.5)
    else:
        state, u = _next_uniform(state)
        n = int(r + u)
    if n == 0 and mode != MODE_LUT:
        return gp, gn, 0, state
    gp, gn, state = _apply(n, r, positive, gp, gn, sp, sn, up, down, sigma, pair, mode, state)
    return gp, gn, n, state


def py_program(r, positive, gp, gn, sp, sn, up, down, sigma, pair, mode, state):
    if mode == MODE_LUT:
        if r <= 0.0:
            return gp, gn, 0, state
        first, second = (up, down) if positive else (down, up)
        gp, state = py_lut_update(gp, r, first, sp, sigma, state)
        if pair == PAIR_DIFF:
            gn, state = py_lut_update(gn, r, second, sn, sigma, state)
        return gp, gn, 0, state
    if mode == MODE_PULSE_NEAREST:
        n = int(r + 0.5)
    else:
        state, u = py_next_uniform(state)
        n = int(r + u)
    if n == 0:
        return gp, gn, 0, state
    first, second = (up, down) if positive else (down, up)
    gp, state = py_pulses(gp, n, first, sp, sigma, state)
    if pair == PAIR_DIFF:
        gn, state = py_pulses(gn, n, second, sn, sigma, state)
    return gp, gn, n, state


@njit(cache=True)
def apply_pulses_kernel(g, n_pulses, table, device_scale, sigma, rng_state):
    """Array version of the device rule: ``n_pulses[i]`` pulses of one polarity on device i (in place).

    Twin of ``ftjphys.compact_model.apply_pulses`` (whose random stream is numpy's, not this one).
    """
    state = rng_state[0]
    for i in range(g.size):
        g[i], state = _pulses(g[i], n_pulses[i], table, device_scale[i], sigma, state)
    rng_state[0] = state


@njit(cache=True)
def program_requests(dW, gp, gn, sp, sn, up, down, w_scale, g_ref, dw_pulse, sigma, pair, mode, rng_state,
                     pulses):
    """Apply requested updates ``dW`` (flat) to the devices of each weight; returns the new weights.

    ``pulses[i]`` receives the signed number of pulses sent to G⁺ (0 in LUT mode).
    """
    state = rng_state[0]
    W = np.empty(dW.size)
    for i in range(dW.size):
        d = dW[i]
        gp[i], gn[i], n, state = _program(abs(d) / dw_pulse, d > 0.0, gp[i], gn[i], sp[i], sn[i], up, down,
                                          sigma, pair, mode, state)
        pulses[i] = n if d > 0.0 else -n
        W[i] = w_scale * (gp[i] - (gn[i] if pair == PAIR_DIFF else g_ref))
    rng_state[0] = state
    return W


# ------------------------------------------------------------------------------------- network


@njit(cache=True)
def _forward(p0, p1, indices, values, W1, b1, W2, b2, a, h, z):
    """Hidden activations h and output probabilities (in z) of one sparse sample."""
    nh = W1.shape[1]
    no = W2.shape[1]
    for k in range(nh):
        a[k] = b1[k]
    for q in range(p0, p1):
        j = indices[q]
        x = values[q]
        for k in range(nh):
            a[k] += x * W1[j, k]
    for k in range(nh):
        h[k] = 1.0 / (1.0 + math.exp(-a[k]))
    for m in range(no):
        z[m] = b2[m]
    for k in range(nh):
        hk = h[k]
        for m in range(no):
            z[m] += hk * W2[k, m]
    zmax = z[0]
    for m in range(1, no):
        if z[m] > zmax:
            zmax = z[m]
    total = 0.0
    for m in range(no):
        z[m] = math.exp(z[m] - zmax)
        total += z[m]
    for m in range(no):
        z[m] /= total


@njit(cache=True)
def train_epoch(indptr, indices, values, labels, order, W1, b1, W2, b2, lr, mode, pair, w_scale, g_ref, dw_pulse,
                sigma, gp1, gn1, sp1, sn1, gp2, gn2, sp2, sn2, up, down, rng_state, stats):
    """One SGD epoch over the samples in ``order`` (module docstring); updates every array in place.

    ``w_scale`` and ``dw_pulse`` hold one value per layer (W1, W2): each layer has its own weight range.

    indptr/indices/values: CSR rows of the non-zero pixels (values in [0, 1]); W1 (n_in, n_hidden),
    W2 (n_hidden, n_out). Device arrays (g⁺, g⁻ normalised conductances and s_dev step factors) have the
    shapes of W1 and W2 and are ignored in MODE_FLOAT. ``stats`` accumulates Σ loss, correct training
    predictions, pulses and pulse events.
    """
    nh = W1.shape[1]
    no = W2.shape[1]
    a = np.empty(nh)
    h = np.empty(nh)
    d1 = np.empty(nh)
    c1 = np.empty(nh)
    z = np.empty(no)
    d2 = np.empty(no)
    state = rng_state[0]
    device = mode != MODE_FLOAT
    inv1 = 1.0 / dw_pulse[0]
    inv2 = 1.0 / dw_pulse[1]
    pulses = 0
    events = 0
    for t in range(order.size):
        s = order[t]
        p0 = indptr[s]
        p1 = indptr[s + 1]
        y = labels[s]
        _forward(p0, p1, indices, values, W1, b1, W2, b2, a, h, z)
        best = 0
        for m in range(1, no):
            if z[m] > z[best]:
                best = m
        stats[STAT_LOSS] -= math.log(max(z[y], 1e-300))
        if best == y:
            stats[STAT_CORRECT] += 1.0
        for m in range(no):
            d2[m] = z[m] - (1.0 if m == y else 0.0)
        for k in range(nh):
            e = 0.0
            for m in range(no):
                e += W2[k, m] * d2[m]
            d1[k] = e * h[k] * (1.0 - h[k])
        for m in range(no):
            b2[m] -= lr * d2[m]
        for k in range(nh):
            b1[k] -= lr * d1[k]
        if not device:
            for k in range(nh):
                hk = lr * h[k]
                for m in range(no):
                    W2[k, m] -= hk * d2[m]
            for q in range(p0, p1):
                j = indices[q]
                x = lr * values[q]
                for k in range(nh):
                    W1[j, k] -= x * d1[k]
            continue
        # Requested ΔW2[k, m] = −η h_k δ2_m: r = |ΔW|/ΔW_pulse, positive when δ2_m < 0. The rounding is
        # done here so that the common case (no pulse) touches no device array.
        for k in range(nh):
            hk = lr * h[k] * inv2
            for m in range(no):
                r = hk * abs(d2[m])
                n, skip, state = _pulse_count(r, mode, state)
                if skip:
                    continue
                state = _update_weight(W2, gp2, gn2, sp2, sn2, k, m, n, r, d2[m] < 0.0, up, down, sigma, pair,
                                       mode, w_scale[1], g_ref, state)
                pulses += n
                events += n > 0
        for k in range(nh):
            c1[k] = lr * abs(d1[k]) * inv1
        for q in range(p0, p1):
            j = indices[q]
            x = values[q]
            for k in range(nh):
                r = x * c1[k]
                n, skip, state = _pulse_count(r, mode, state)
                if skip:
                    continue
                state = _update_weight(W1, gp1, gn1, sp1, sn1, j, k, n, r, d1[k] < 0.0, up, down, sigma, pair,
                                       mode, w_scale[0], g_ref, state)
                pulses += n
                events += n > 0
    rng_state[0] = state
    n_dev = 2 if pair == PAIR_DIFF else 1
    stats[STAT_PULSES] += pulses * n_dev
    stats[STAT_EVENTS] += events


@njit(cache=True)
def predict(indptr, indices, values, W1, b1, W2, b2):
    """Predicted class of every sample (CSR rows)."""
    n = indptr.size - 1
    nh = W1.shape[1]
    no = W2.shape[1]
    a = np.empty(nh)
    h = np.empty(nh)
    z = np.empty(no)
    out = np.empty(n, dtype=np.int64)
    for s in range(n):
        _forward(indptr[s], indptr[s + 1], indices, values, W1, b1, W2, b2, a, h, z)
        best = 0
        for m in range(1, no):
            if z[m] > z[best]:
                best = m
        out[s] = best
    return out


# -------------------------------------------------------------------------------- numpy twins


def predict_numpy(indptr, indices, values, W1, b1, W2, b2):
    """Twin of :func:`predict` on dense inputs."""
    X = np.zeros((indptr.size - 1, W1.shape[0]))
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    X[rows, indices] = values
    H = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
    return np.argmax(H @ W2 + b2, axis=1)


def train_epoch_numpy(indptr, indices, values, labels, order, W1, b1, W2, b2, lr, mode, pair, w_scale, g_ref,
                      dw_pulse, sigma, gp1, gn1, sp1, sn1, gp2, gn2, sp2, sn2, up, down, rng_state, stats):
    """Plain numpy/Python twin of :func:`train_epoch` (same arguments, same random stream); slow, for tests."""
    state = int(rng_state[0])
    device = mode != MODE_FLOAT
    pulses = events = 0
    for s in order:
        cols = indices[indptr[s]:indptr[s + 1]]
        x = values[indptr[s]:indptr[s + 1]]
        y = int(labels[s])
        h = 1.0 / (1.0 + np.exp(-(b1 + x @ W1[cols])))
        z = b2 + h @ W2
        p = np.exp(z - z.max())
        p /= p.sum()
        stats[STAT_LOSS] -= math.log(max(p[y], 1e-300))
        stats[STAT_CORRECT] += float(np.argmax(p) == y)
        d2 = p - np.eye(W2.shape[1])[y]
        d1 = (W2 @ d2) * h * (1.0 - h)
        b2 -= lr * d2
        b1 -= lr * d1
        if not device:
            W2 -= lr * np.outer(h, d2)
            W1[cols] -= lr * np.outer(x, d1)
            continue
        inv1, inv2 = 1.0 / dw_pulse[0], 1.0 / dw_pulse[1]
        c1 = lr * np.abs(d1) * inv1
        layers = ((gp2, gn2, sp2, sn2, W2, w_scale[1], [(k, m, (lr * h[k] * inv2) * abs(d2[m]), d2[m] < 0.0)
                                                        for k in range(W2.shape[0]) for m in range(W2.shape[1])]),
                  (gp1, gn1, sp1, sn1, W1, w_scale[0], [(j, k, xj * c1[k], d1[k] < 0.0)
                                                        for j, xj in zip(cols, x) for k in range(W1.shape[1])]))
        for gp, gn, sp, sn, W, scale, requests in layers:
            for i, k, r, positive in requests:
                a, b, n, state = py_program(r, positive, gp[i, k], gn[i, k], sp[i, k], sn[i, k], up, down, sigma,
                                            pair, mode, state)
                if n > 0 or mode == MODE_LUT:
                    gp[i, k], gn[i, k] = a, b
                    W[i, k] = scale * (a - (b if pair == PAIR_DIFF else g_ref))
                    pulses += n
                    events += n > 0
    rng_state[0] = np.uint64(state)
    stats[STAT_PULSES] += pulses * (2 if pair == PAIR_DIFF else 1)
    stats[STAT_EVENTS] += events
