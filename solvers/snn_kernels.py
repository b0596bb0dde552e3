"""Kernels of the winner-take-all spiking network (``ftjphys.snn``): presentations of latency-coded
images to leaky integrate-and-fire outputs, and STDP applied as device pulses.

Time is in units of the STDP time constant τ+ throughout.

Membrane (current-based LIF). A spike of input i adds w_ij to the synaptic variable x_j of every
output j; x_j decays with τ_s and drives the membrane

    dV_j/dt = −V_j/τ_m + x_j/τ_s,

so one spike at t_s contributes w·K(t − t_s), K(s) = τ_m/(τ_m − τ_s)·(e^{−s/τ_m} − e^{−s/τ_s}).
Between events the state is propagated exactly over any interval Δ:

    V ← a V + c (a − b) x,   x ← b x,   a = e^{−Δ/τ_m},  b = e^{−Δ/τ_s},  c = τ_m/(τ_m − τ_s).

Thresholds are checked on the grid t_k = k·dt; inside the step where V_j first reaches θ_j the
crossing time is interpolated linearly. Hard winner-take-all: the output with the earliest crossing
fires the single post spike of the presentation and blocks the others (ties → lowest index); with no
crossing before the end of the slot the presentation is silent (winner −1).

Device update (rule of ``ftjphys.compact_model.apply_pulses``): one pulse of polarity ±1 changes the
normalised state g by

    Δg = s_dev · step_±(g) · (1 + σ_pulse ξ),   ξ ~ N(0, 1),   g ← clip(g + Δg, 0, 1),

step_± linearly interpolated on the uniform node grid. STDP: every pre spike of the winner's inputs
within |Δt| < T_win of the post spike (Δt = t_post − t_pre) asks for a normalised change
η·ΔW(Δt)/100 at the reference state; ``units_up``/``units_down`` (pulses per unit of requested change,
1/|step_±(g_ref)|) turn it into n = η|ΔW|/100·units pulses of the sign of ΔW, applied as ⌊n⌋ pulses
plus one more with probability n − ⌊n⌋ (stochastic rounding, unbiased) or a fractional last pulse.
Pairings are applied in the time order of the pre spikes.

Random numbers inside the kernels (rounding, cycle-to-cycle noise) come from xoshiro256** (Blackman &
Vigna, ACM TOMS 47, 36 (2021)) with an explicit state array seeded by the caller; normals by the
Box–Muller transform. Every numba kernel has a plain numpy/Python twin (``*_numpy``) used in tests.

Packed parameters of :func:`run_presentations_numba` (``net``, float64), in this order:
NETWORK_FIELDS. ``window``: A+, A−, τ+, τ−, ΔW0+, ΔW0− (paper eq. 2, ΔW in %, times in τ+).
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: layout of the ``net`` vector of :func:`run_presentations_numba`
NETWORK_FIELDS = (
    "dt", "slot", "onset", "latency_range", "tau_m", "tau_s", "threshold", "threshold_step",
    "threshold_decay", "threshold_drop_silent", "threshold_floor", "pairing_window", "learning_rate",
    "units_up", "units_down", "pulse_sigma", "fractional_rounding", "normalise_sum", "pair_background",
)

_MASK64 = (1 << 64) - 1


def pack_network(**values) -> np.ndarray:
    """The ``net`` vector from keyword values named as in NETWORK_FIELDS (all required)."""
    missing = [f for f in NETWORK_FIELDS if f not in values]
    extra = [k for k in values if k not in NETWORK_FIELDS]
    if missing or extra:
        raise ValueError(f"pack_network: missing {missing}, unknown {extra}")
    return np.array([float(values[f]) for f in NETWORK_FIELDS])


# --------------------------------------------------------------------------- random numbers


@numba.njit(cache=True)
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(cache=True)
def rng_next(state):
    """Next 64-bit output of xoshiro256** (state: uint64[4], updated in place)."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return result


@numba.njit(cache=True)
def rng_uniform(state):
    """Uniform double in [0, 1) from the top 53 bits."""
    return float(rng_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def rng_normal(state):
    """Standard normal by Box–Muller (one of the pair; two uniforms per call)."""
    u1 = 1.0 - rng_uniform(state)
    u2 = rng_uniform(state)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


class PyRng:
    """Python twin of the xoshiro256** kernels on Python integers (same stream as the numba state)."""

    def __init__(self, state):
        self.s = [int(v) for v in state]

    def next(self) -> int:
        s0, s1, s2, s3 = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & _MASK64  # noqa: E731
        result = (rotl((s1 * 5) & _MASK64, 7) * 9) & _MASK64
        t = (s1 << 17) & _MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self) -> float:
        return float(self.next() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self) -> float:
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def state(self) -> np.ndarray:
        return np.array(self.s, dtype=np.uint64)


# --------------------------------------------------------------------------- device pulses


@numba.njit(cache=True)
def _interp_uniform(g, table):
    """Linear interpolation of ``table`` on the uniform grid linspace(0, 1, table.size) at g ∈ [0, 1]."""
    n = table.size
    x = g * (n - 1)
    k = int(x)
    if k > n - 2:
        k = n - 2
    f = x - k
    return table[k] + f * (table[k + 1] - table[k])


@numba.njit(cache=True)
def _pulse(g, table, scale, sigma, xi):
    """One pulse (or a fraction ``scale`` of one, times s_dev) on state g; ξ used only when σ > 0."""
    step = _interp_uniform(g, table) * scale
    if sigma > 0.0:
        step *= 1.0 + sigma * xi
    g = g + step
    if g < 0.0:
        return 0.0
    if g > 1.0:
        return 1.0
    return g


@numba.njit(cache=True)
def apply_pulses_numba(g, n_pulses, direction, step_up, step_down, device_scale, sigma, xi):
    """``n_pulses[d]`` pulses of one polarity on devices ``g[d]`` (returns new states).

    ``xi`` holds the normals, consumed pulse by pulse over the devices still receiving pulses in
    index order (the order of ``apply_pulses`` with one Generator call per pulse); unused if σ = 0.
    """
    table = step_up if direction > 0 else step_down
    out = g.copy()
    n_max = 0
    for d in range(g.size):
        n_max = max(n_max, n_pulses[d])
    m = 0
    for k in range(n_max):
        for d in range(g.size):
            if n_pulses[d] > k:
                xv = 0.0
                if sigma > 0.0:
                    xv = xi[m]
                    m += 1
                out[d] = _pulse(out[d], table, device_scale[d], sigma, xv)
    return out


def apply_pulses_numpy(g, n_pulses, direction, step_up, step_down, device_scale, sigma, xi):
    """Numpy twin of :func:`apply_pulses_numba`."""
    table = np.asarray(step_up if direction > 0 else step_down, dtype=float)
    nodes = np.linspace(0.0, 1.0, table.size)
    out = np.array(g, dtype=float, copy=True)
    n = np.asarray(n_pulses)
    m = 0
    for k in range(int(n.max(initial=0))):
        active = n > k
        step = np.interp(out[active], nodes, table) * np.asarray(device_scale)[active]
        if sigma > 0:
            step = step * (1.0 + sigma * xi[m:m + active.sum()])
            m += int(active.sum())
        out[active] = np.clip(out[active] + step, 0.0, 1.0)
    return out


# --------------------------------------------------------------------------- STDP window


@numba.njit(cache=True)
def stdp_percent(dt, window):
    """Paper eq. 2: ΔW(Δt) in %, Δt = t_post − t_pre (zero at Δt = 0)."""
    if dt > 0.0:
        return window[0] * math.exp(-dt / window[2]) + window[4]
    if dt < 0.0:
        return -window[1] * math.exp(dt / window[3]) + window[5]
    return 0.0


# --------------------------------------------------------------------------- one presentation


@numba.njit(cache=True)
def _spike_list(image, bg_t, bg_i, onset, latency_range):
    """Latency spikes t_i = onset + T_L(1 − x_i) of every input, then the background spikes, sorted by time.

    Returns (times, inputs, is_background) in time order (stable: latency spikes first on ties)."""
    n_in = image.size
    count = n_in + bg_t.size
    t = np.empty(count)
    inp = np.empty(count, dtype=np.int64)
    bg = np.zeros(count, dtype=np.bool_)
    for i in range(n_in):
        t[i] = onset + latency_range * (1.0 - image[i])
        inp[i] = i
    for k in range(bg_t.size):
        t[n_in + k] = bg_t[k]
        inp[n_in + k] = bg_i[k]
        bg[n_in + k] = True
    order = np.argsort(t, kind="mergesort")
    return t[order], inp[order], bg[order]


@numba.njit(cache=True)
def first_spike_numba(times, inputs, w, theta, dt, slot, tau_m, tau_s):
    """(winner, t_post) of one presentation: the first output whose membrane reaches θ_j.

    Only spikes at t ≥ 0 drive the membranes (before 0 the outputs are held at rest)."""
    n_out = w.shape[1]
    V = np.zeros(n_out)
    x = np.zeros(n_out)
    V_prev = np.zeros(n_out)
    c = tau_m / (tau_m - tau_s)
    a_dt = math.exp(-dt / tau_m)
    b_dt = math.exp(-dt / tau_s)
    s = 0
    while s < times.size and times[s] < 0.0:
        s += 1
    t_now = 0.0
    n_steps = int(round(slot / dt))
    for k in range(1, n_steps + 1):
        t_k = k * dt
        for j in range(n_out):
            V_prev[j] = V[j]
        drove = False
        while s < times.size and times[s] <= t_k:
            delta = times[s] - t_now
            a = math.exp(-delta / tau_m)
            b = math.exp(-delta / tau_s)
            for j in range(n_out):
                V[j] = a * V[j] + c * (a - b) * x[j]
                x[j] = b * x[j] + w[inputs[s], j]
            t_now = times[s]
            s += 1
            drove = True
        if drove:
            delta = t_k - t_now
            a = math.exp(-delta / tau_m)
            b = math.exp(-delta / tau_s)
        else:
            a = a_dt
            b = b_dt
        for j in range(n_out):
            V[j] = a * V[j] + c * (a - b) * x[j]
            x[j] = b * x[j]
        t_now = t_k
        best = -1
        best_t = np.inf
        for j in range(n_out):
            if V[j] >= theta[j]:
                rise = V[j] - V_prev[j]
                f = (theta[j] - V_prev[j]) / rise if rise > 0.0 else 1.0
                tc = t_k - dt + min(max(f, 0.0), 1.0) * dt
                if tc < best_t:
                    best_t = tc
                    best = j
        if best >= 0:
            return best, best_t
    return -1, np.nan


def first_spike_numpy(times, inputs, w, theta, dt, slot, tau_m, tau_s):
    """Numpy twin of :func:`first_spike_numba`: membranes on the grid by superposing kernels, V = K @ W."""
    keep = times >= 0.0
    ts, ins = times[keep], inputs[keep]
    n_steps = int(round(slot / dt))
    t_grid = dt * np.arange(1, n_steps + 1)
    s = t_grid[:, None] - ts[None, :]
    c = tau_m / (tau_m - tau_s)
    sp = np.maximum(s, 0.0)
    K = np.where(s > 0, c * (np.exp(-sp / tau_m) - np.exp(-sp / tau_s)), 0.0)
    V = K @ w[ins]
    crossed = V >= theta[None, :]
    rows = np.flatnonzero(crossed.any(axis=1))
    if rows.size == 0:
        return -1, np.nan
    k = rows[0]
    V_prev = V[k - 1] if k > 0 else np.zeros(w.shape[1])
    rise = V[k] - V_prev
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(rise > 0, (theta - V_prev) / rise, 1.0)
    tc = np.where(crossed[k], t_grid[k] - dt + np.clip(f, 0.0, 1.0) * dt, np.inf)
    best = int(np.argmin(tc))
    return best, float(tc[best])


@numba.njit(cache=True)
def stdp_update_numba(times, inputs, is_bg, t_post, column, dev_scale, window, pairing_window, learning_rate,
                      units_up, units_down, step_up, step_down, sigma, fractional, pair_background, rng_state):
    """Apply the STDP pairings of one post spike to the winner's synapses ``column`` (in place); background
    spikes pair only with ``pair_background``.

    Returns (Δg summed over pairings with latency spikes, Δg summed over pairings with background spikes)."""
    dg_signal = 0.0
    dg_background = 0.0
    for s in range(times.size):
        delta = t_post - times[s]
        if delta == 0.0 or abs(delta) >= pairing_window or (is_bg[s] and not pair_background):
            continue
        dw = stdp_percent(delta, window)
        if dw > 0.0:
            table = step_up
            req = learning_rate * dw / 100.0 * units_up
        else:
            table = step_down
            req = -learning_rate * dw / 100.0 * units_down
        n_whole = int(math.floor(req))
        frac = req - n_whole
        i = inputs[s]
        g_old = column[i]
        g = g_old
        for _ in range(n_whole):
            xv = rng_normal(rng_state) if sigma > 0.0 else 0.0
            g = _pulse(g, table, dev_scale[i], sigma, xv)
        if fractional:
            if frac > 0.0:
                xv = rng_normal(rng_state) if sigma > 0.0 else 0.0
                g = _pulse(g, table, dev_scale[i] * frac, sigma, xv)
        elif rng_uniform(rng_state) < frac:
            xv = rng_normal(rng_state) if sigma > 0.0 else 0.0
            g = _pulse(g, table, dev_scale[i], sigma, xv)
        column[i] = g
        if is_bg[s]:
            dg_background += g - g_old
        else:
            dg_signal += g - g_old
    return dg_signal, dg_background


def stdp_update_numpy(times, inputs, is_bg, t_post, column, dev_scale, window, pairing_window, learning_rate,
                      units_up, units_down, step_up, step_down, sigma, fractional, pair_background, rng):
    """Twin of :func:`stdp_update_numba` (``rng``: a :class:`PyRng`); ``column`` updated in place."""
    nodes = np.linspace(0.0, 1.0, len(step_up))
    A_p, A_m, tau_p, tau_m, w0p, w0m = (float(v) for v in window)
    dg = [0.0, 0.0]

    def pulse(g, table, scale):
        step = float(np.interp(g, nodes, table)) * scale
        if sigma > 0:
            step *= 1.0 + sigma * rng.normal()
        return min(max(g + step, 0.0), 1.0)

    for s in range(len(times)):
        delta = t_post - times[s]
        if delta == 0.0 or abs(delta) >= pairing_window or (is_bg[s] and not pair_background):
            continue
        dw = A_p * math.exp(-delta / tau_p) + w0p if delta > 0 else -A_m * math.exp(delta / tau_m) + w0m
        table, units = (step_up, units_up) if dw > 0 else (step_down, units_down)
        req = learning_rate * abs(dw) / 100.0 * units
        n_whole = int(math.floor(req))
        frac = req - n_whole
        i = int(inputs[s])
        g = g_old = float(column[i])
        for _ in range(n_whole):
            g = pulse(g, table, dev_scale[i])
        if fractional:
            if frac > 0:
                g = pulse(g, table, dev_scale[i] * frac)
        elif rng.uniform() < frac:
            g = pulse(g, table, dev_scale[i])
        column[i] = g
        dg[1 if is_bg[s] else 0] += g - g_old
    return dg[0], dg[1]


# --------------------------------------------------------------------------- sequences of presentations


@numba.njit(cache=True)
def run_presentations_numba(images, bg_start, bg_t, bg_i, w, theta, dev_scale, net, window, step_up, step_down,
                            rng_state, learn, out_winner, out_t_post, out_dg_signal, out_dg_background):
    """Present ``images`` (n, n_in) in order; with ``learn`` the winner's synapses ``w`` (n_in, n_out),
    the adaptive thresholds ``theta`` and ``rng_state`` are updated in place.

    Background spikes of presentation p: ``bg_t[bg_start[p]:bg_start[p+1]]`` (times, may be < 0 in the
    rest before the stimulus) on inputs ``bg_i[...]``. Homeostasis per presentation: the winner's θ
    rises by ``threshold_step``, a silent presentation lowers every θ by ``threshold_drop_silent``, then
    θ ← θ·``threshold_decay``; the total threshold is max(threshold + θ_j, threshold_floor).
    ``normalise_sum`` > 0 rescales the winner's column to that sum after learning (an idealised
    operation, off by default); ``pair_background`` 0 keeps background spikes out of STDP (a control:
    they still drive the membranes). Outputs: winner (−1 silent), t_post, Δg of latency and of background pairings.
    """
    dt, slot, onset, latency_range = net[0], net[1], net[2], net[3]
    tau_m, tau_s, threshold, threshold_step = net[4], net[5], net[6], net[7]
    threshold_decay, threshold_drop_silent, threshold_floor, pairing_window = net[8], net[9], net[10], net[11]
    learning_rate, units_up, units_down, sigma = net[12], net[13], net[14], net[15]
    fractional = net[16] > 0.0
    normalise_sum = net[17]
    pair_background = net[18] > 0.0
    n_out = w.shape[1]
    theta_total = np.empty(n_out)
    column = np.empty(w.shape[0])
    for p in range(images.shape[0]):
        times, inputs, is_bg = _spike_list(images[p], bg_t[bg_start[p]:bg_start[p + 1]],
                                           bg_i[bg_start[p]:bg_start[p + 1]], onset, latency_range)
        for j in range(n_out):
            theta_total[j] = max(threshold + theta[j], threshold_floor)
        winner, t_post = first_spike_numba(times, inputs, w, theta_total, dt, slot, tau_m, tau_s)
        out_winner[p] = winner
        out_t_post[p] = t_post
        out_dg_signal[p] = 0.0
        out_dg_background[p] = 0.0
        if not learn:
            continue
        if winner >= 0:
            for i in range(w.shape[0]):
                column[i] = w[i, winner]
            dgs, dgb = stdp_update_numba(times, inputs, is_bg, t_post, column, dev_scale[:, winner], window,
                                         pairing_window, learning_rate, units_up, units_down, step_up, step_down,
                                         sigma, fractional, pair_background, rng_state)
            out_dg_signal[p] = dgs
            out_dg_background[p] = dgb
            if normalise_sum > 0.0:
                total = column.sum()
                if total > 0.0:
                    for i in range(column.size):
                        column[i] = min(max(column[i] * normalise_sum / total, 0.0), 1.0)
            for i in range(w.shape[0]):
                w[i, winner] = column[i]
            theta[winner] += threshold_step
        else:
            for j in range(n_out):
                theta[j] -= threshold_drop_silent
        for j in range(n_out):
            theta[j] = max(theta[j] * threshold_decay, threshold_floor - threshold)


def run_presentations_numpy(images, bg_start, bg_t, bg_i, w, theta, dev_scale, net, window, step_up, step_down,
                            rng_state, learn, out_winner, out_t_post, out_dg_signal, out_dg_background):
    """Twin of :func:`run_presentations_numba` built on the numpy twins (same random stream)."""
    p_ = dict(zip(NETWORK_FIELDS, (float(v) for v in net)))
    rng = PyRng(rng_state)
    n_in, n_out = w.shape
    for p in range(images.shape[0]):
        sl = slice(bg_start[p], bg_start[p + 1])
        t = np.concatenate([p_["onset"] + p_["latency_range"] * (1.0 - images[p]), bg_t[sl]])
        inp = np.concatenate([np.arange(n_in), bg_i[sl]]).astype(np.int64)
        bg = np.concatenate([np.zeros(n_in, bool), np.ones(sl.stop - sl.start, bool)])
        order = np.argsort(t, kind="stable")
        t, inp, bg = t[order], inp[order], bg[order]
        theta_total = np.maximum(p_["threshold"] + theta, p_["threshold_floor"])
        winner, t_post = first_spike_numpy(t, inp, w, theta_total, p_["dt"], p_["slot"], p_["tau_m"], p_["tau_s"])
        out_winner[p], out_t_post[p] = winner, t_post
        out_dg_signal[p] = out_dg_background[p] = 0.0
        if not learn:
            continue
        if winner >= 0:
            column = w[:, winner].copy()
            out_dg_signal[p], out_dg_background[p] = stdp_update_numpy(
                t, inp, bg, t_post, column, dev_scale[:, winner], window, p_["pairing_window"], p_["learning_rate"],
                p_["units_up"], p_["units_down"], step_up, step_down, p_["pulse_sigma"],
                p_["fractional_rounding"] > 0, p_["pair_background"] > 0, rng)
            if p_["normalise_sum"] > 0 and column.sum() > 0:
                column = np.clip(column * p_["normalise_sum"] / column.sum(), 0.0, 1.0)
            w[:, winner] = column
            theta[winner] += p_["threshold_step"]
        else:
            theta -= p_["threshold_drop_silent"]
        theta[:] = np.maximum(theta * p_["threshold_decay"], p_["threshold_floor"] - p_["threshold"])
    rng_state[:] = rng.state()
