"""Fitting a :class:`~ftjphys.compact_model.CompactModel` to pulse-train data (simulated or measured).

Input: the conductance read after each pulse, ``G_up_S[cycle, pulse]`` for potentiation and
``G_down_S[cycle, pulse]`` for depression (one device, or ``[device, cycle, pulse]``), optionally a
cycle-to-cycle record ``[cycle, 2P]`` and a device-to-device record ``[device, cycle, 2P]`` (P
potentiation then P depression reads per cycle), and STDP points. Pure functions of arrays; reading
files is the caller's business.

Steps (:func:`fit_compact_model`):

1. G range: the extremes of the cycle-mean train, each branch first passed through a 3-point running
   median (Tukey's end rule), which leaves a monotone train unchanged and removes isolated spikes.
2. ΔG(G) table of each branch (:func:`branch_table`): every per-pulse step (g_start, Δg) of every
   cycle in normalised units, reduced on a uniform grid by Gaussian-kernel local-linear regression
   where the data are dense (exact for the exponential family, whose step is linear in g) and by
   per-cycle linear interpolation where they are sparse; the spread is the kernel-weighted rms of the
   samples about the mean. The mean step is then made monotone-safe: of the branch's sign and at
   least ``min_step_fraction`` of the largest step, so every branch is strictly monotone in pulse
   number.
3. Exponential family of each branch (:func:`fit_exponential_branch`): least squares of the
   cycle-mean trace on c₀ + c₁·g(p/P; a) (mirrored for depression), a = A/P, linear in (c₀, c₁) and
   a bounded 1-D search in log a; gives norm_A and through it NL, the NeuroSim A and label, the
   CrossSim alpha and the aihwkit gamma (:meth:`CompactModel.summary`).
4. Variability (:func:`calibrate_variability`): c2c and d2d measured with the definitions
   :data:`C2C_DEFINITION`, :data:`D2D_DEFINITION`, then the update rule's ``pulse_sigma_rel`` and
   ``device_sigma_rel`` found by bisection such that Monte-Carlo trains drawn through
   :func:`~ftjphys.compact_model.apply_pulses` (common random numbers from one seed) give the same
   statistics.
5. STDP window (:func:`fit_stdp_window`): paper eq. (2), each side by scipy least squares with its
   offset free.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.optimize import least_squares, minimize_scalar

from .compact_model import (
    LINEAR_NORM_A,
    BranchTable,
    CompactModel,
    StdpWindow,
    Variability,
    apply_pulses,
    exponential_curve,
    paper_nl_of_train,
)
from .validation import require_finite, require_integer, require_positive, require_range

C2C_DEFINITION = ("relative standard deviation across cycles (ddof=1) of the conductance read after the same "
                  "pulse, divided by its mean over cycles, averaged over the pulses of both branches; one device")
D2D_DEFINITION = ("relative standard deviation across devices (ddof=1) of each device's cycle-mean conductance "
                  "read after the same pulse, divided by its mean over devices, averaged over the pulses of both "
                  "branches")

#: kernel weight a table node needs on each side to be fitted by the kernel (a sample within ~2.4 bandwidths)
_SIDE_WEIGHT = 0.05
#: search range of the normalised exponential parameter a = A/P
_NORM_A_RANGE = (0.01, 1.0e4)


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """Numerical choices of the fit.

    n_nodes: nodes of the g grid of each table; bandwidth: Gaussian-kernel σ in g of the table
    regression and of the spread; min_weight: kernel weight (in samples) a node needs to be fitted by
    the kernel (see :func:`branch_table`); min_step_fraction: floor of |mean step| as a fraction of
    the branch's largest step.
    Monte Carlo of the variability calibration (as many recorded cycles as the data, after one warm-up
    cycle): mc_devices simulated devices for d2d; for c2c, devices enough for mc_device_cycles cycles
    in all (at most mc_devices); seed of the numpy Generator; bisection_steps halvings of the bracket.
    """

    n_nodes: int = 101
    bandwidth: float = 0.02
    min_weight: float = 1.0
    min_step_fraction: float = 1.0e-3
    mc_devices: int = 64
    mc_device_cycles: int = 256
    seed: int = 20220512
    bisection_steps: int = 16

    def __post_init__(self):
        require_integer("FitSettings.n_nodes", self.n_nodes, 3, 10001)
        require_range("FitSettings.bandwidth", self.bandwidth, 0.0, 0.5, lo_open=True)
        require_positive("FitSettings.min_weight", self.min_weight)
        require_range("FitSettings.min_step_fraction", self.min_step_fraction, 0.0, 0.5)
        require_integer("FitSettings.mc_devices", self.mc_devices, 2, 100000)
        require_integer("FitSettings.mc_device_cycles", self.mc_device_cycles, 2, 10**7)
        require_integer("FitSettings.seed", self.seed, 0, 2**63 - 1)
        require_integer("FitSettings.bisection_steps", self.bisection_steps, 1, 60)


@dataclasses.dataclass(frozen=True)
class ExponentialFit:
    """Least-squares exponential-family fit of one branch's cycle-mean trace (normalised units).

    Trace ≈ c0 + c1·g(p/P; norm_A) for potentiation and c0 − c1·g(p/P; norm_A) for depression, p = 1 … P;
    rms_rel: rms residual as a fraction of the G range.
    """

    norm_A: float
    c0: float
    c1: float
    rms_rel: float


# ----------------------------------------------------------------------------- input checks


def _as_trains(name: str, G_S) -> np.ndarray:
    """A finite, positive array [device, cycle, pulse] (1D = one cycle, 2D = [cycle, pulse] of one device)
    of at least 2 pulses."""
    arr = np.asarray(G_S, dtype=float)
    arr = arr.reshape((1,) * (3 - arr.ndim) + arr.shape) if 1 <= arr.ndim <= 3 else arr
    if arr.ndim != 3 or arr.shape[2] < 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be an array [cycle, pulse] or [device, cycle, pulse] with at least 2 pulses; "
                         f"got shape {np.shape(G_S)}")
    require_finite(name, arr)
    if np.any(arr <= 0):
        raise ValueError(f"{name} holds a conductance <= 0 ({arr.min():g} S); allowed: > 0")
    return arr


def _mean_train(trains: np.ndarray) -> np.ndarray:
    return trains.mean(axis=(0, 1))


def running_median3(x) -> np.ndarray:
    """3-point running median with Tukey's end rule y₀ = median(x₀, y₁, 3y₁ − 2y₂) (and mirrored).

    A monotone sequence is returned unchanged; an isolated spike is replaced by its neighbours' level.
    """
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        return x.copy()
    y = x.copy()
    y[1:-1] = np.median(np.stack([x[:-2], x[1:-1], x[2:]]), axis=0)
    y[0] = np.median([x[0], y[1], 3.0 * y[1] - 2.0 * y[2]])
    y[-1] = np.median([x[-1], y[-2], 3.0 * y[-2] - 2.0 * y[-3]])
    return y


def conductance_range(G_up_S, G_down_S) -> tuple[float, float]:
    """(G_min, G_max): extremes of the cycle-mean train, each branch median-filtered (:func:`running_median3`)."""
    up = running_median3(_mean_train(_as_trains("G_up_S", G_up_S)))
    down = running_median3(_mean_train(_as_trains("G_down_S", G_down_S)))
    lo, hi = float(min(up.min(), down.min())), float(max(up.max(), down.max()))
    if not hi > lo:
        raise ValueError(f"the pulse train has no conductance window (G_min = G_max = {lo:g} S)")
    return lo, hi


# --------------------------------------------------------------------------------- tables


def step_samples(G_S, G_before_S=None):
    """(G_start, ΔG, trajectory) of every pulse of trains G[cycle, pulse]; ``G_before_S[cycle]`` is the read
    before the first pulse of each cycle (None or NaN: the first pulse of that cycle is skipped).
    ``trajectory`` numbers the cycles (0 …), the runs of consecutive pulses of one polarity."""
    G = np.asarray(G_S, dtype=float)
    start, end = G[:, :-1], G[:, 1:]
    keep = np.ones(start.shape, bool)
    if G_before_S is not None:
        before = np.asarray(G_before_S, dtype=float).reshape(-1, 1)
        start = np.concatenate([before, start], axis=1)
        end = np.concatenate([G[:, :1], end], axis=1)
        keep = np.concatenate([np.isfinite(before), keep], axis=1)
    trajectory = np.broadcast_to(np.arange(G.shape[0])[:, None], start.shape)
    return start[keep], (end - start)[keep], trajectory[keep]


def _fill_unsupported(nodes: np.ndarray, values: np.ndarray, supported: np.ndarray) -> np.ndarray:
    """Linear interpolation across unsupported nodes; beyond the outermost supported nodes, the least-squares
    line through the (up to) five outermost ones (exact for steps linear in g)."""
    idx = np.flatnonzero(supported)
    if idx.size == 0:
        raise ValueError("no pulse-step data fall inside the conductance window")
    out = np.where(supported, values, np.interp(nodes, nodes[idx], values[idx]))
    if idx.size >= 2:
        for ends, side in ((idx[:5], nodes < nodes[idx[0]]), (idx[-5:], nodes > nodes[idx[-1]])):
            slope, intercept = np.polyfit(nodes[ends], values[ends], 1)
            out[side] = intercept + slope * nodes[side]
    return out


def _local_linear(nodes: np.ndarray, x: np.ndarray, y: np.ndarray, h: float) -> np.ndarray:
    """Gaussian-kernel local-linear smoother of y(x) evaluated at ``nodes`` (exact for linear y)."""
    u = x[None, :] - nodes[:, None]
    w = np.exp(-0.5 * (u / h) ** 2)
    s0, s1, s2 = w.sum(axis=1), (w * u).sum(axis=1), (w * u * u).sum(axis=1)
    t0, t1 = (w * y).sum(axis=1), (w * u * y).sum(axis=1)
    det = s0 * s2 - s1 * s1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(det > 1e-12 * s0 * s0 * h * h, (s2 * t0 - s1 * t1) / det, t0 / s0)


def branch_table(g_start, dg, direction: int, n_pulses: int, norm_A: float,
                 settings: FitSettings = FitSettings(), trajectory=None) -> BranchTable:
    """Mean Δg and its spread on the uniform g grid from step samples (g_start, Δg), normalised units.

    The scatter ΔG(G) of the paper's Fig. 2e,f reduced to a table, at each node x:

    * where samples surround x (kernel weight ≥ min_weight, ≥ 0.05 on each side): Gaussian-kernel
      local-linear regression, minimise Σ w (Δg − α − β(g − x))², w = exp(−(g − x)²/2h²), mean = α.
      A per-pulse average: unbiased for the mean step at g, exact for steps linear in g (exponential
      family);
    * elsewhere inside the range of some trajectory (sparse reads): each trajectory's steps interpolated
      linearly in g between its start states and averaged over trajectories, as CrossSim's LUT script
      reduces measured ramps, so that a single large step between sparse reads is kept and a local
      trend is not extrapolated into a gap;
    * beyond every trajectory: linear extrapolation of the outermost nodes (:func:`_fill_unsupported`).

    The spread is the kernel-weighted rms of the samples about the mean curve.
    """
    g_start = np.asarray(g_start, dtype=float)
    dg = np.asarray(dg, dtype=float)
    require_finite("g_start", g_start)
    require_finite("dg", dg)
    if g_start.shape != dg.shape or g_start.size < 2:
        raise ValueError(f"need at least 2 step samples of matching shape; got {g_start.shape}, {dg.shape}")
    trajectory = np.zeros(g_start.shape, int) if trajectory is None else np.asarray(trajectory)
    nodes = np.linspace(0.0, 1.0, settings.n_nodes)
    h = settings.bandwidth
    u = g_start[None, :] - nodes[:, None]
    w = np.exp(-0.5 * (u / h) ** 2)
    weight = w.sum(axis=1)
    surrounded = ((weight >= settings.min_weight) & ((w * (u <= 0)).sum(axis=1) >= _SIDE_WEIGHT)
                  & ((w * (u >= 0)).sum(axis=1) >= _SIDE_WEIGHT))
    kernel = _local_linear(nodes, g_start, dg, h)
    per_trajectory = []
    for t in np.unique(trajectory):
        x, y = g_start[trajectory == t], dg[trajectory == t]
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        values = np.interp(nodes, x, y)
        values[(nodes < x[0]) | (nodes > x[-1])] = np.nan
        per_trajectory.append(values)
    finite = np.isfinite(np.array(per_trajectory))
    count = finite.sum(axis=0)
    interpolated = np.where(finite, np.array(per_trajectory), 0.0).sum(axis=0) / np.maximum(count, 1)
    mean = _fill_unsupported(nodes, np.where(surrounded, kernel, interpolated), surrounded | (count > 0))
    # spread: kernel-weighted rms of the samples about the mean curve
    resid2 = (dg - np.interp(g_start, nodes, mean)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt((w * resid2).sum(axis=1) / weight)
    std = _fill_unsupported(nodes, spread, weight >= settings.min_weight)
    # monotone-safe: the branch's sign, never below a small floor, so G(n) is strictly monotone
    magnitude = np.maximum(direction * mean, 0.0)
    if not magnitude.max() > 0:
        raise ValueError(f"the {'potentiation' if direction > 0 else 'depression'} steps have no mean in the "
                         f"direction of the branch")
    mean = direction * np.maximum(magnitude, settings.min_step_fraction * magnitude.max())
    return BranchTable(nodes, mean, np.maximum(std, 0.0), int(n_pulses), float(norm_A))


# --------------------------------------------------------------------------- exponential


def fit_exponential_branch(g_trace, direction: int) -> ExponentialFit:
    """Fit the exponential family to one branch's cycle-mean trace g(p), p = 1 … P (normalised units).

    Potentiation: g(p) ≈ c0 + c1·E(p/P; a); depression: g(p) ≈ c0 − c1·E(p/P; a), with
    E(x; a) = (1 − e^{−x/a})/(1 − e^{−1/a}) (Chen et al., IEEE TCAD 2018; :func:`exponential_curve`).
    (c0, c1) by linear least squares for each a; a by bounded minimisation in log a, compared with the
    linear limit a = LINEAR_NORM_A.
    """
    y = np.asarray(g_trace, dtype=float)
    require_finite("g_trace", y)
    if y.ndim != 1 or y.size < 3:
        raise ValueError(f"the exponential fit needs a trace of at least 3 pulses; got shape {y.shape}")
    x = np.arange(1, y.size + 1) / y.size
    sign = 1.0 if direction > 0 else -1.0

    def solve(a):
        basis = np.stack([np.ones_like(x), sign * exponential_curve(x, a)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
        r = y - basis @ coef
        return float(r @ r), coef

    res = minimize_scalar(lambda la: solve(math.exp(la))[0], bounds=tuple(map(math.log, _NORM_A_RANGE)),
                          method="bounded", options={"xatol": 1e-10})
    a = float(math.exp(res.x))
    cost, coef = solve(a)
    cost_lin, coef_lin = solve(LINEAR_NORM_A)
    if cost_lin <= cost or a >= 0.999 * _NORM_A_RANGE[1]:
        a, cost, coef = LINEAR_NORM_A, cost_lin, coef_lin
    return ExponentialFit(a, float(coef[0]), float(coef[1]), math.sqrt(cost / y.size))


# ----------------------------------------------------------------------------- variability


def c2c_statistic(G_S) -> float:
    """Cycle-to-cycle variation of trains G[cycle, pulse] (:data:`C2C_DEFINITION`); G[device, cycle, pulse]
    gives the mean over devices."""
    G = np.asarray(G_S, dtype=float)
    if G.ndim == 2:
        G = G[None]
    if G.ndim != 3 or G.shape[1] < 2:
        raise ValueError(f"c2c needs at least 2 cycles of trains [cycle, pulse]; got shape {np.shape(G_S)}")
    return float(np.mean(G.std(axis=1, ddof=1) / G.mean(axis=1)))


def d2d_statistic(G_S) -> float:
    """Device-to-device variation of trains G[device, cycle, pulse] (:data:`D2D_DEFINITION`)."""
    G = np.asarray(G_S, dtype=float)
    if G.ndim != 3 or G.shape[0] < 2:
        raise ValueError(f"d2d needs at least 2 devices of trains [device, cycle, pulse]; got shape {G.shape}")
    m = G.mean(axis=1)
    return float(np.mean(m.std(axis=0, ddof=1) / m.mean(axis=0)))


def simulate_trains(model: CompactModel, n_devices: int, n_cycles: int, n_up: int, n_down: int,
                    rng: np.random.Generator, device_scale=1.0, warmup_cycles: int = 1, g0: float = 0.0) -> np.ndarray:
    """Monte-Carlo pulse trains of the update rule: G[device, cycle, n_up + n_down] (S).

    Each device starts at g0, runs ``warmup_cycles`` unrecorded cycles, then ``n_cycles`` recorded
    cycles of n_up potentiation then n_down depression pulses. One pulse at a time, the arithmetic and
    the random stream of :func:`ftjphys.compact_model.apply_pulses` (``n_pulses = 1``), inlined for speed.
    """
    g = np.full(n_devices, float(g0))
    scale = np.broadcast_to(np.asarray(device_scale, dtype=float), g.shape)
    sigma = model.variability.pulse_sigma_rel
    tables = {+1: model.potentiation, -1: model.depression}
    out = np.empty((n_devices, n_cycles, n_up + n_down))
    for c in range(-warmup_cycles, n_cycles):
        for k in range(n_up + n_down):
            table = tables[+1 if k < n_up else -1]
            step = table.step(g) * scale
            if sigma > 0:
                step = step * (1.0 + sigma * rng.standard_normal(step.shape))
            g = np.clip(g + step, 0.0, 1.0)
            if c >= 0:
                out[:, c, k] = g
    return model.to_G_S(out)


def _bisect_increasing(f, target: float, hi0: float, hi_max: float, steps: int):
    """x ≥ 0 with f(x) = target for f increasing on [0, hi_max]: bracket by doubling from hi0, then bisect.

    Returns (x, f(x), note); x = 0 when f(0) ≥ target, x = hi_max when f(hi_max) < target.
    """
    f0 = f(0.0)
    if f0 >= target:
        return 0.0, f0, "target reached without this noise term"
    lo, hi = 0.0, hi0
    f_hi = f(hi)
    while f_hi < target and hi < hi_max:
        lo, hi = hi, min(2.0 * hi, hi_max)
        f_hi = f(hi)
    if f_hi < target:
        return hi, f_hi, f"target not reachable: capped at {hi_max:g}"
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    x = 0.5 * (lo + hi)
    return x, f(x), ""


def calibrate_variability(model: CompactModel, c2c_trains_S=None, d2d_trains_S=None,
                          settings: FitSettings = FitSettings()) -> tuple[Variability, dict]:
    """Measure c2c and d2d on the data and find the update rule's noise parameters that reproduce them.

    c2c_trains_S: [cycle, pulse] of one device (or [device, cycle, pulse]: the statistic averaged over
    devices); d2d_trains_S: [device, cycle, pulse]. The pulse axis holds the model's n_up potentiation
    then n_down depression reads, or else P then P. The Monte Carlo records as many cycles as the data.
    pulse_sigma_rel is solved first (devices all at s_dev = 1), then device_sigma_rel with that pulse
    noise. Returns the Variability and a report (targets, reproduced values, Monte-Carlo sizes, notes).
    """
    report: dict = {"seed": settings.seed}
    c2c = d2d = 0.0
    sigma_pulse = sigma_device = 0.0
    n_up, n_down = model.potentiation.n_pulses, model.depression.n_pulses

    def shape_of(trains, name):
        total = trains.shape[-1]
        if total == n_up + n_down:
            return n_up, n_down
        if total % 2:
            raise ValueError(f"{name} has {total} pulses per cycle; expected an even number (P up, then P down)")
        return total // 2, total // 2

    def run(n_devices, n_cycles, up, down, s_pulse, s_device):
        """Monte-Carlo trains shaped like the record. A record on a coarser ramp (P' pulses per branch,
        P = k P' in the model's train) is compared with the model's train read after every k-th pulse:
        one coarse pulse spans k of the model's pulses."""
        trial = dataclasses.replace(model, variability=Variability(pulse_sigma_rel=s_pulse, device_sigma_rel=s_device))
        rng = np.random.default_rng(settings.seed)
        scales = trial.variability.draw_device_scales(np.random.default_rng(settings.seed + 1), n_devices)
        k_up = n_up // up if n_up % up == 0 else 1
        k_down = n_down // down if n_down % down == 0 else 1
        G = simulate_trains(trial, n_devices, n_cycles, up * k_up, down * k_down, rng, scales)
        picks = np.concatenate([np.arange(k_up - 1, up * k_up, k_up), up * k_up + np.arange(k_down - 1, down * k_down, k_down)])
        return G[..., picks]

    if c2c_trains_S is not None:
        trains = np.asarray(c2c_trains_S, dtype=float)
        c2c = c2c_statistic(trains)
        up, down = shape_of(trains, "the c2c record")
        # cycles are correlated (each starts where the last ended): the statistic depends on their number
        n_cyc = int(trains.shape[-2])
        n_dev = max(2, min(settings.mc_devices, -(-settings.mc_device_cycles // n_cyc)))
        sigma_pulse, c2c_model, note = _bisect_increasing(
            lambda s: c2c_statistic(run(n_dev, n_cyc, up, down, s, 0.0)), c2c, 0.25, 10.0,
            settings.bisection_steps)
        report.update(c2c_target=c2c, c2c_model=c2c_model, c2c_note=note, c2c_mc_cycles=n_cyc, c2c_mc_devices=n_dev)
    if d2d_trains_S is not None:
        trains = np.asarray(d2d_trains_S, dtype=float)
        d2d = d2d_statistic(trains)
        up, down = shape_of(trains, "the d2d record")
        n_cyc = int(trains.shape[1])
        sigma_device, d2d_model, note = _bisect_increasing(
            lambda s: d2d_statistic(run(settings.mc_devices, n_cyc, up, down, sigma_pulse, s)), d2d, 0.1, 10.0,
            settings.bisection_steps)
        report.update(d2d_target=d2d, d2d_model=d2d_model, d2d_note=note, d2d_mc_cycles=n_cyc,
                      d2d_mc_devices=settings.mc_devices)
    variability = Variability(c2c=c2c, d2d=d2d, c2c_definition=C2C_DEFINITION if c2c_trains_S is not None else "",
                              d2d_definition=D2D_DEFINITION if d2d_trains_S is not None else "",
                              pulse_sigma_rel=sigma_pulse, device_sigma_rel=sigma_device)
    return variability, report


# ------------------------------------------------------------------------------------ STDP


#: upper bound of the fitted STDP time constants, in units of the longest sampled |Δt|
STDP_TAU_MAX_SPAN = 10.0


def stdp_tau_max_s(dt_s) -> float:
    """The largest τ :func:`fit_stdp_window` fits to delays ``dt_s``: STDP_TAU_MAX_SPAN × the longest |Δt|."""
    return STDP_TAU_MAX_SPAN * max(float(np.max(np.abs(np.asarray(dt_s, dtype=float)))), 1e-15)


def fit_stdp_window(dt_s, dW_percent) -> tuple[StdpWindow, float]:
    """Least-squares fit of the paper's eq. (2) to ΔW(Δt) points; returns (window, rms residual in %).

    Δt > 0: ΔW = A₊ e^{−Δt/τ₊} + ΔW₀₊; Δt < 0: ΔW = −A₋ e^{Δt/τ₋} + ΔW₀₋ (Yang et al. 2022, eq. 2), each
    side separately with its offset free (scipy ``least_squares`` in log A, log τ, ΔW₀). Needs three
    points on each side; points at Δt = 0 are ignored. A and τ are bounded (A ≤ 1e4 × the side's range of
    ΔW plus 1 %, τ within 1e-3 × the shortest to ``STDP_TAU_MAX_SPAN`` × the longest |Δt|): a side whose ΔW
    moves away from the eq. (2) shape (|ΔW - ΔW₀| growing with |Δt|) then fits at a bound instead of running
    off. The τ bound also keeps A identified: with τ far beyond the sampled |Δt| a side is a straight line
    within the data, along which A and ΔW₀ trade off freely (data changed by 1e-5 moved A by 15 %); at the
    bound they are fixed by the line.
    """
    dt = np.asarray(dt_s, dtype=float).ravel()
    dw = np.asarray(dW_percent, dtype=float).ravel()
    require_finite("dt_s", dt)
    require_finite("dW_percent", dw)
    if dt.shape != dw.shape:
        raise ValueError(f"dt_s and dW_percent must have the same length; got {dt.size} and {dw.size}")

    def side(mask, sign, name):
        t, y = np.abs(dt[mask]), dw[mask]
        if t.size < 3:
            raise ValueError(f"STDP fit needs at least 3 points with {name}; got {t.size}")

        def model(p):
            return sign * math.exp(p[0]) * np.exp(-t / math.exp(p[1])) + p[2]

        amp_max = 1e4 * (float(np.ptp(y)) + 1.0)
        lo = [math.log(1e-6), math.log(max(float(t.min()), 1e-15) * 1e-3), -np.inf]
        hi = [math.log(amp_max), math.log(stdp_tau_max_s(t)), np.inf]
        tau0 = min(max(float(np.median(t)), math.exp(lo[1])), math.exp(hi[1]))
        amp0 = min(max(float(sign * (y[np.argmin(t)] - y[np.argmax(t)])), 1e-6), amp_max)
        res = least_squares(lambda p: model(p) - y, [math.log(amp0), math.log(tau0), float(y[np.argmax(t)])],
                            x_scale="jac", method="trf", bounds=(lo, hi))
        return math.exp(res.x[0]), math.exp(res.x[1]), float(res.x[2]), model(res.x) - y

    a_p, tau_p, w0_p, r_p = side(dt > 0, 1.0, "dt > 0")
    a_m, tau_m, w0_m, r_m = side(dt < 0, -1.0, "dt < 0")
    r = np.concatenate([r_p, r_m])
    return StdpWindow(a_p, a_m, tau_p, tau_m, w0_p, w0_m), float(np.sqrt(np.mean(r * r)))


# ------------------------------------------------------------------------------ the model


def branch_states(model: CompactModel, direction: int, g0: float, n_pulses: int | None = None) -> np.ndarray:
    """Noise-free states after each of ``n_pulses`` (default: the branch's) pulses of one polarity from g0."""
    n = model.branch(direction).n_pulses if n_pulses is None else n_pulses
    g = np.array([float(g0)])
    out = np.empty(n)
    for k in range(n):
        g = apply_pulses(model, g, 1, direction)
        out[k] = g[0]
    return out


def reproduce_train(model: CompactModel, G_up_S, G_down_S, alternating: bool = True):
    """The model's noise-free train beside the data's cycle-mean train, and the rms difference.

    Returns (G_model_S [n_up + n_down], G_data_S [n_up + n_down], rms as a fraction of the G range). The
    model starts from the state before the first potentiation read: the data's last depression read when
    ``alternating`` (one cycle continues the previous one), else the state one mean step before the
    first read; depression continues from the model's own end (alternating) or from the state one step
    before the data's first depression read.
    """
    up = _mean_train(_as_trains("G_up_S", G_up_S))
    down = _mean_train(_as_trains("G_down_S", G_down_S))

    def back_step(G_first, direction):
        # the state g0 with g0 + step(g0) = g1, by fixed-point iteration (|step'| << 1)
        g1 = float(np.clip(model.to_g(G_first), 0.0, 1.0))
        g0 = g1
        for _ in range(20):
            g0 = float(np.clip(g1 - model.branch(direction).step(g0), 0.0, 1.0))
        return g0

    if alternating:
        g_up, g_down = model.mean_train(up.size, down.size, float(np.clip(model.to_g(down[-1]), 0.0, 1.0)))
    else:
        g_up = branch_states(model, +1, back_step(up[0], +1), up.size)
        g_down = branch_states(model, -1, back_step(down[0], -1), down.size)
    G_model = model.to_G_S(np.concatenate([g_up, g_down]))
    G_data = np.concatenate([up, down])
    rms = float(np.sqrt(np.mean((G_model - G_data) ** 2)) / model.window_S)
    return G_model, G_data, rms


def fit_compact_model(G_up_S, G_down_S, *, name: str, alternating: bool = True, read_voltage_V: float = float("nan"),
                      pulse: dict | None = None, provenance: dict | None = None, c2c_trains_S=None,
                      d2d_trains_S=None, stdp: StdpWindow | None = None,
                      settings: FitSettings = FitSettings()) -> CompactModel:
    """A compact model of one device from its pulse trains (module docstring, steps 1–4).

    G_up_S, G_down_S: [cycle, pulse] reads after each potentiation/depression pulse of one device (1D =
    one cycle), or [device, cycle, pulse] of several devices (the tables pool them; the G range and the
    exponential fit use the mean over devices and cycles).
    alternating: each cycle's depression follows its potentiation and the next cycle's potentiation
    follows it (the paper's Fig. 2d scheme), so the first pulse of each branch has a known start state.
    c2c_trains_S [cycle, 2P] (or [device, cycle, 2P]) and d2d_trains_S [device, cycle, 2P]: variability
    records (None: not available, zero noise). The fit's diagnostics go to ``CompactModel.fit_report``.
    """
    up = _as_trains("G_up_S", G_up_S)
    down = _as_trains("G_down_S", G_down_S)
    if alternating and up.shape[:2] != down.shape[:2]:
        raise ValueError(f"alternating trains need as many potentiation as depression cycles; got devices x cycles "
                         f"{up.shape[:2]} and {down.shape[:2]}")
    G_min, G_max = conductance_range(up, down)
    window = G_max - G_min

    def norm(G):
        return (np.asarray(G, dtype=float) - G_min) / window

    exp_up = fit_exponential_branch(norm(_mean_train(up)), +1)
    exp_down = fit_exponential_branch(norm(_mean_train(down)), -1)
    samples_up, samples_down = [], []
    for k, (dev_up, dev_down) in enumerate(zip(up, down)):
        before_up = np.concatenate([[np.nan], dev_down[:-1, -1]]) if alternating else None
        for samples, part in ((samples_up, step_samples(dev_up, before_up)),
                              (samples_down, step_samples(dev_down, dev_up[:, -1] if alternating else None))):
            samples.append((part[0], part[1], part[2] + k * up.shape[1]))
    s_up, d_up, t_up = (np.concatenate(v) for v in zip(*samples_up))
    s_down, d_down, t_down = (np.concatenate(v) for v in zip(*samples_down))
    pot = branch_table(norm(s_up), d_up / window, +1, up.shape[2], exp_up.norm_A, settings, t_up)
    dep = branch_table(norm(s_down), d_down / window, -1, down.shape[2], exp_down.norm_A, settings, t_down)
    model = CompactModel(name, G_min, G_max, pot, dep, Variability(), stdp, float(read_voltage_V),
                         dict(pulse or {}), dict(provenance or {}))
    variability, var_report = calibrate_variability(model, c2c_trains_S, d2d_trains_S, settings)
    model = dataclasses.replace(model, variability=variability)
    G_model, G_data, rms = reproduce_train(model, up, down, alternating)
    same_length = up.shape[2] == down.shape[2]
    report = {
        "method": "kernel local-linear dG(G) tables, exponential-family least squares, Monte-Carlo noise calibration",
        "settings": dataclasses.asdict(settings),
        "n_devices": int(up.shape[0]),
        "n_cycles": int(up.shape[1]),
        "alternating": bool(alternating),
        "reproduction_rms_rel": rms,
        "exponential": {"potentiation": dataclasses.asdict(exp_up), "depression": dataclasses.asdict(exp_down)},
        "NL_paper_data": paper_nl_of_train(_mean_train(up), _mean_train(down)) if same_length else None,
        "variability": var_report,
    }
    return dataclasses.replace(model, fit_report=report)
