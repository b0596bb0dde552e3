"""Winner-take-all spiking network of the paper's Fig. 4: 25 latency-coded inputs (5×5 pixels), 5 leaky
integrate-and-fire outputs with lateral inhibition, synapses learning by the device's STDP through the
compact model (research/snn.md §6, "mode A").

Time is measured in units of τ+, the potentiation time constant of the STDP window, so nothing depends
on its physical unit (the paper does not state it); the window's τ− enters as τ−/τ+.

Presentation (one slot). Pixel intensities x_i ∈ [0, 1] become one spike per input at

    t_i = t_onset + T_L (1 − x_i)                            (latency code, every pixel spikes),

optionally with uncorrelated background spikes at ``background_rate_per_tau`` per input (a Poisson
process over the rest interval before the stimulus and the slot). The outputs are current-based LIF
neurons (``solvers.snn_kernels``: τ_m, τ_s, membrane threshold θ_j = threshold + θ_adapt,j); the first to
reach threshold fires the single post spike of the slot and inhibits the others for its remainder (hard
WTA). Outputs are reset between presentations and held at rest during the rest interval, while the
inputs keep firing spontaneously: those spikes pair with the post spike like any other.

Homeostasis (adaptive thresholds). θ_adapt of the winner rises by ``threshold_step``; a presentation
with no output spike lowers every θ_adapt by ``threshold_drop_silent`` (so a network too weak to fire
recovers); then all relax as θ_adapt ← θ_adapt·exp(−1/``threshold_decay_presentations``). Frozen when
learning is off.

STDP through the device. Δt = t_post − t_pre for every pre spike of the winner's inputs within the
finite pairing window |Δt| < T_win; ΔW(Δt) is the compact model's fit of the paper's eq. 2 (in %).
A pairing asks for the normalised change η·ΔW/100 *at the reference state* g_ref. The learning rate
η < 1 scales the measured change down (taken literally, the measured ±50 % of the conductance would move
g by most of its range in one pairing; physically: smaller spikes) and falls over training
(:class:`SnnParameters`). The request sets a number of identical programming pulses of the sign of ΔW,

    n = η |ΔW(Δt)| / 100 / |step_±(g_ref)|,

applied as ⌊n⌋ pulses plus one with probability n − ⌊n⌋ (stochastic rounding, unbiased; option: a
fractional last pulse). Each pulse goes through the compact model's rule Δg = s_dev·step_±(g)(1 + σξ),
clipped to [0, 1], so the state dependence (nonlinearity, soft bounds), the bounds, cycle-to-cycle noise
and the per-device factor s_dev all come from the model and are not counted twice. For an ideal linear
device (step constant, no noise) a pairing changes g by exactly η·ΔW(Δt)/100: the network then applies
the fitted window itself. No weight normalisation by default: it would cancel the net drift of an
unbalanced window; ``normalise_sum`` enables it as an idealised, labelled option.

The synaptic weight is the normalised conductance g = (G − G_min)/(G_max − G_min): the output current of
a column is taken relative to G_min (a reference column), so g = 0 carries no current.

Why an unbalanced window fails (research/snn.md §6.7). With the latency code alone the sign of every
update is fixed by timing (on-pixels fire before the post spike, off-pixels after), so imbalance only
changes speeds. Uncorrelated pre spikes (background) pair with the post spike at Δt uniform over the
window, so each synapse of the winner drifts per win by

    ⟨Δg⟩_bg = η · r_bg · ∫_{−T_win}^{T_win} ΔW(Δt) dΔt / 100          (Song, Miller & Abbott 2000),

which is ≈ 0 for the paper's window (:func:`window_integral`) and of either sign for a scaled A+:
the weights run away towards a bound and selectivity is lost.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from solvers import snn_kernels as sk

from .compact_model import CompactModel, StdpWindow
from .validation import require_integer, require_positive, require_range

LETTER_NAMES = ("Q", "L", "U", "O", "T")
STEP_SHAPES = ("table", "constant")

_LETTERS = {
    "Q": (".###.", "#...#", "#...#", "#..#.", ".##.#"),
    "L": ("#....", "#....", "#....", "#....", "#####"),
    "U": ("#...#", "#...#", "#...#", "#...#", ".###."),
    "O": (".###.", "#...#", "#...#", "#...#", ".###."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#.."),
}


def letter_patterns(names=LETTER_NAMES) -> np.ndarray:
    """5×5 binary images of the letters, flattened row by row: shape (len(names), 25)."""
    out = []
    for name in names:
        if name not in _LETTERS:
            raise ValueError(f"letter = {name!r} is not available; allowed: {', '.join(_LETTERS)}")
        out.append([1.0 if c == "#" else 0.0 for row in _LETTERS[name] for c in row])
    return np.array(out)


def noisy_images(patterns, noise_level: float, rng: np.random.Generator, size=None) -> np.ndarray:
    """x = clip(p + σ·U(−1, 1), 0, 1), σ = ``noise_level`` relative to the input amplitude (1)."""
    require_range("noise_level", noise_level, 0.0, 10.0)
    p = np.asarray(patterns, dtype=float)
    shape = p.shape if size is None else size
    return np.clip(p + noise_level * rng.uniform(-1.0, 1.0, shape), 0.0, 1.0)


# --------------------------------------------------------------------------- STDP window in τ+ units


def window_tau_units(stdp: StdpWindow) -> np.ndarray:
    """[A+, A−, 1, τ−/τ+, ΔW0+, ΔW0−]: the window with times in units of τ+ (the kernels' layout)."""
    return np.array([stdp.A_plus, stdp.A_minus, 1.0, stdp.tau_minus_s / stdp.tau_plus_s, stdp.dW0_plus,
                     stdp.dW0_minus])


def default_pairing_window(stdp: StdpWindow) -> float:
    """T_win/τ+ = τ−/τ+ · ln(A−/ΔW0−): where the depression branch of the fit (−A− e^{Δt/τ−} + ΔW0−)
    reaches zero. Beyond it the fitted expression changes sign, i.e. leaves the depression regime it
    was fitted to; 5 τ+ when ΔW0− ≤ 0 or ≥ A− (no such crossing). Paper window: 3.55."""
    if 0.0 < stdp.dW0_minus < stdp.A_minus:
        return stdp.tau_minus_s / stdp.tau_plus_s * math.log(stdp.A_minus / stdp.dW0_minus)
    return 5.0


def window_integral(stdp: StdpWindow, pairing_window_tau: float) -> float:
    """∫_{−T}^{T} ΔW(Δt) dΔt in %·τ+ (drift of uncorrelated pairings, module docstring)."""
    T = pairing_window_tau
    tm = stdp.tau_minus_s / stdp.tau_plus_s
    return (stdp.A_plus * -math.expm1(-T) + stdp.dW0_plus * T
            - stdp.A_minus * tm * -math.expm1(-T / tm) + stdp.dW0_minus * T)


def scaled_window(stdp: StdpWindow, ratio: float) -> StdpWindow:
    """The window with A+ set to ``ratio``·A− (A−, τ±, ΔW0± kept): an unbalanced device (Fig. S9)."""
    require_positive("ratio", ratio, hi=1e3)
    return dataclasses.replace(stdp, A_plus=ratio * stdp.A_minus)


# --------------------------------------------------------------------------- parameters


@dataclasses.dataclass(frozen=True)
class SnnParameters:
    """Network, coding, homeostasis and learning settings; times in units of τ+ (``_tau``).

    Defaults follow research/snn.md §6.8 (prototype-tested) with two changes:

    - latency range T_L = 2 τ+ (not 3): off-pixels then fire about 1.5 τ+ after the post spike, where
      the depression branch is about −10 % (−3 % at T_L = 3), so the code exercises both branches of
      the window and does not itself favour potentiation;
    - a constant learning rate η = 0.2 (a constant η = 0.1 leaves two outputs on one letter in about one
      seed in six). ``learning_rate_final`` turns on a geometric decrease from ``learning_rate`` over the
      training (the Kohonen schedule; physically, smaller programming spikes), which refines with less
      diffusion from uncorrelated pairings; but with the device's compact model, whose depression step
      falls about sevenfold towards G_min, the falling η leaves the low weights short of their bound
      after 100 epochs (bimodal fraction 0.80 at η 0.2 -> 0.1 against 0.95 at a constant 0.2).

    ``step_shape``: "table" applies the pulses through the compact model's state-dependent steps (measured
    on the pulse trains of Fig. 2d); "constant" holds every step at its value at ``reference_state`` (bounds,
    cycle-to-cycle noise and device factors kept), i.e. an additive update of η·ΔW(Δt)/100 per pairing. The
    device's own spike-pair response is nearly additive: from states of G 0.41 to 9.86 mS (``fig4a`` with
    five write amplitudes) the largest change of a pair stays within ±20 % of 0.15 mS (README, Fig. S9).

    ``pairing_window_tau`` None takes :func:`default_pairing_window` of the window in use; ``rest_tau``
    None takes the pairing window (every background spike that can pair with an early post spike is
    generated).
    """

    dt_tau: float = 0.01
    slot_tau: float = 10.0
    onset_tau: float = 0.5
    latency_range_tau: float = 2.0
    membrane_time_tau: float = 5.0
    synapse_time_tau: float = 0.5
    threshold: float = 3.0
    threshold_step: float = 0.3
    threshold_decay_presentations: float = 50.0
    threshold_drop_silent: float = 0.3
    threshold_floor: float = 0.3
    background_rate_per_tau: float = 0.0
    rest_tau: float | None = None
    pairing_window_tau: float | None = None
    learning_rate: float = 0.2
    learning_rate_final: float | None = None
    reference_state: float = 0.5
    rounding: str = "stochastic"
    normalise_sum: float = 0.0
    pair_background: bool = True
    step_shape: str = "table"

    def __post_init__(self):
        require_range("SnnParameters.dt_tau", self.dt_tau, 1e-4, 0.5)
        require_range("SnnParameters.slot_tau", self.slot_tau, 10 * self.dt_tau, 1e3)
        require_range("SnnParameters.onset_tau", self.onset_tau, 0.0, self.slot_tau)
        require_range("SnnParameters.latency_range_tau", self.latency_range_tau, 0.0, self.slot_tau - self.onset_tau)
        require_positive("SnnParameters.membrane_time_tau", self.membrane_time_tau, hi=1e4)
        require_positive("SnnParameters.synapse_time_tau", self.synapse_time_tau, hi=1e4)
        if abs(self.membrane_time_tau - self.synapse_time_tau) < 1e-9 * self.membrane_time_tau:
            raise ValueError(f"SnnParameters.synapse_time_tau = {self.synapse_time_tau!r} equals membrane_time_tau; "
                             "allowed: any other positive value")
        require_positive("SnnParameters.threshold", self.threshold, hi=1e3)
        require_range("SnnParameters.threshold_step", self.threshold_step, 0.0, 1e3)
        require_positive("SnnParameters.threshold_decay_presentations", self.threshold_decay_presentations, hi=1e9)
        require_range("SnnParameters.threshold_drop_silent", self.threshold_drop_silent, 0.0, 1e3)
        require_range("SnnParameters.threshold_floor", self.threshold_floor, 0.0, self.threshold, lo_open=True)
        require_range("SnnParameters.background_rate_per_tau", self.background_rate_per_tau, 0.0, 100.0)
        if self.rest_tau is not None:
            require_range("SnnParameters.rest_tau", self.rest_tau, 0.0, 1e3)
        if self.pairing_window_tau is not None:
            require_positive("SnnParameters.pairing_window_tau", self.pairing_window_tau, hi=1e3)
        require_positive("SnnParameters.learning_rate", self.learning_rate, hi=100.0)
        if self.learning_rate_final is not None:
            require_positive("SnnParameters.learning_rate_final", self.learning_rate_final, hi=100.0)
        require_range("SnnParameters.reference_state", self.reference_state, 0.0, 1.0, lo_open=True, hi_open=True)
        if self.rounding not in ("stochastic", "fractional"):
            raise ValueError(f"SnnParameters.rounding = {self.rounding!r}; allowed: 'stochastic', 'fractional'")
        require_range("SnnParameters.normalise_sum", self.normalise_sum, 0.0, 1e3)
        if not isinstance(self.pair_background, bool):
            raise ValueError(f"SnnParameters.pair_background = {self.pair_background!r}; allowed: True, False")
        if self.step_shape not in STEP_SHAPES:
            raise ValueError(f"SnnParameters.step_shape = {self.step_shape!r}; allowed: "
                             f"{', '.join(map(repr, STEP_SHAPES))}")

    def replace(self, **changes) -> "SnnParameters":
        return dataclasses.replace(self, **changes)

    def learning_rate_at(self, epoch: int, epochs: int) -> float:
        """η of ``epoch`` (0-based) of ``epochs``: geometric from ``learning_rate`` to ``learning_rate_final``."""
        if self.learning_rate_final is None or epochs < 2:
            return self.learning_rate
        return self.learning_rate * (self.learning_rate_final / self.learning_rate) ** (epoch / (epochs - 1))

    def pairing_window(self, stdp: StdpWindow) -> float:
        return self.pairing_window_tau if self.pairing_window_tau is not None else default_pairing_window(stdp)

    def rest(self, stdp: StdpWindow) -> float:
        return self.rest_tau if self.rest_tau is not None else self.pairing_window(stdp)


# --------------------------------------------------------------------------- the network


@dataclasses.dataclass(frozen=True)
class Network:
    """A compact model, its STDP window and the network settings, packed for the kernels."""

    model: CompactModel
    params: SnnParameters = SnnParameters()
    stdp: StdpWindow | None = None   # None: the model's window

    def __post_init__(self):
        if self.stdp is None and self.model.stdp is None:
            raise ValueError("Network.stdp is None and the compact model has no STDP window; give one")

    @property
    def window(self) -> StdpWindow:
        return self.stdp if self.stdp is not None else self.model.stdp

    @property
    def pairing_window(self) -> float:
        return self.params.pairing_window(self.window)

    def kernel_inputs(self) -> dict:
        """net, window, step_up, step_down for ``solvers.snn_kernels.run_presentations_numba``."""
        p, k = self.params, self.model.kernel_arrays()
        g_ref = p.reference_state
        up = float(np.interp(g_ref, k["g_nodes"], k["step_up"]))
        down = float(-np.interp(g_ref, k["g_nodes"], k["step_down"]))
        if not (up > 0 and down > 0):
            raise ValueError(f"compact model steps at reference_state = {g_ref:g} are up {up:g}, down {-down:g}; "
                             "allowed: a nonzero step of each polarity")
        net = sk.pack_network(
            dt=p.dt_tau, slot=p.slot_tau, onset=p.onset_tau, latency_range=p.latency_range_tau,
            tau_m=p.membrane_time_tau, tau_s=p.synapse_time_tau, threshold=p.threshold,
            threshold_step=p.threshold_step, threshold_decay=math.exp(-1.0 / p.threshold_decay_presentations),
            threshold_drop_silent=p.threshold_drop_silent, threshold_floor=p.threshold_floor,
            pairing_window=self.pairing_window, learning_rate=p.learning_rate, units_up=1.0 / up,
            units_down=1.0 / down, pulse_sigma=k["pulse_sigma_rel"],
            fractional_rounding=1.0 if p.rounding == "fractional" else 0.0, normalise_sum=p.normalise_sum,
            pair_background=1.0 if p.pair_background else 0.0)
        step_up, step_down = k["step_up"], k["step_down"]
        if p.step_shape == "constant":
            step_up, step_down = np.full_like(step_up, up), np.full_like(step_down, -down)
        return dict(net=net, window=window_tau_units(self.window), step_up=step_up, step_down=step_down)

    def background_spikes(self, n_presentations: int, n_inputs: int, rng: np.random.Generator, rate=None):
        """CSR background spikes (start, times, inputs): Poisson at ``rate`` per input per τ+ on [−rest, slot)."""
        r = self.params.background_rate_per_tau if rate is None else rate
        start = np.zeros(n_presentations + 1, dtype=np.int64)
        if r <= 0:
            return start, np.zeros(0), np.zeros(0, dtype=np.int64)
        rest = self.params.rest(self.window)
        counts = rng.poisson(r * (rest + self.params.slot_tau), (n_presentations, n_inputs))
        start[1:] = np.cumsum(counts.sum(axis=1))
        times = rng.uniform(-rest, self.params.slot_tau, start[-1])
        inputs = np.repeat(np.tile(np.arange(n_inputs), n_presentations), counts.ravel())
        return start, times, inputs


@dataclasses.dataclass
class State:
    """Mutable learning state of one network: weights g (n_in, n_out), adaptive thresholds, device
    factors s_dev, the kernels' random-number state."""

    weights: np.ndarray
    theta: np.ndarray
    device_scale: np.ndarray
    rng_state: np.ndarray

    def copy(self) -> "State":
        return State(self.weights.copy(), self.theta.copy(), self.device_scale.copy(), self.rng_state.copy())


def initial_state(net: Network, rng: np.random.Generator, n_inputs: int = 25, n_outputs: int = 5,
                  init_range=(0.3, 0.7)) -> State:
    """Random initial weights g ~ U(lo, hi), θ_adapt = 0, s_dev from the model's d2d, kernel RNG seeded from ``rng``."""
    lo, hi = float(init_range[0]), float(init_range[1])
    require_range("init_range[0]", lo, 0.0, 1.0)
    require_range("init_range[1]", hi, lo, 1.0)
    scale = net.model.variability.draw_device_scales(rng, (n_inputs, n_outputs))
    weights = rng.uniform(lo, hi, (n_inputs, n_outputs))
    seed = rng.integers(1, 2**63, size=4, dtype=np.int64).astype(np.uint64)
    return State(weights, np.zeros(n_outputs), scale, seed)


@dataclasses.dataclass(frozen=True)
class Presentations:
    """What one sequence of presentations produced: winner (−1 silent), post-spike time, and the Δg of the
    winner's column from pairings with latency spikes and with background spikes."""

    winner: np.ndarray
    t_post_tau: np.ndarray
    dg_signal: np.ndarray
    dg_background: np.ndarray


def present(net: Network, state: State, images, rng: np.random.Generator, learn: bool,
            background_rate_per_tau=None, kernel: str = "numba") -> Presentations:
    """Present ``images`` (n, n_in) in order; with ``learn`` the state is updated in place."""
    if kernel not in ("numba", "numpy"):
        raise ValueError(f"kernel = {kernel!r}; allowed: 'numba', 'numpy'")
    images = np.ascontiguousarray(images, dtype=float)
    n = images.shape[0]
    bg = net.background_spikes(n, images.shape[1], rng, background_rate_per_tau)
    ki = net.kernel_inputs()
    out = (np.empty(n, dtype=np.int64), np.empty(n), np.empty(n), np.empty(n))
    fn = sk.run_presentations_numba if kernel == "numba" else sk.run_presentations_numpy
    fn(images, *bg, state.weights, state.theta, state.device_scale, ki["net"], ki["window"], ki["step_up"],
       ki["step_down"], state.rng_state, learn, *out)
    return Presentations(*out)


@dataclasses.dataclass(frozen=True)
class Training:
    """Training history. weights: (epochs+1, n_in, n_out) after each epoch (index 0: initial);
    theta: (epochs+1, n_out); order: (epochs, n_letters) letter index of each presentation;
    winner, dg_signal, dg_background: (epochs, n_letters) per presentation."""

    weights: np.ndarray
    theta: np.ndarray
    order: np.ndarray
    winner: np.ndarray
    dg_signal: np.ndarray
    dg_background: np.ndarray


def train(net: Network, state: State, patterns, epochs: int, rng: np.random.Generator, train_noise: float = 0.0,
          progress: Callable[[int], None] | None = None) -> Training:
    """``epochs`` epochs, each presenting every pattern once in a fresh random order, with training noise
    σ = ``train_noise`` (see :func:`noisy_images`); ``state`` is updated in place."""
    require_integer("epochs", epochs, 0, 10**6)
    patterns = np.asarray(patterns, dtype=float)
    n_pat = patterns.shape[0]
    weights = [state.weights.copy()]
    theta = [state.theta.copy()]
    orders, winners, dgs, dgb = [], [], [], []
    for e in range(epochs):
        order = rng.permutation(n_pat)
        images = noisy_images(patterns[order], train_noise, rng) if train_noise > 0 else patterns[order]
        eta = net.params.learning_rate_at(e, epochs)
        net_e = net if eta == net.params.learning_rate else dataclasses.replace(
            net, params=net.params.replace(learning_rate=eta))
        res = present(net_e, state, images, rng, learn=True)
        orders.append(order)
        winners.append(res.winner)
        dgs.append(res.dg_signal)
        dgb.append(res.dg_background)
        weights.append(state.weights.copy())
        theta.append(state.theta.copy())
        if progress is not None:
            progress(e + 1)
    shape = (epochs, n_pat)
    return Training(np.array(weights), np.array(theta), np.array(orders, dtype=np.int64).reshape(shape),
                    np.array(winners, dtype=np.int64).reshape(shape), np.array(dgs).reshape(shape),
                    np.array(dgb).reshape(shape))


def assign_labels(net: Network, state: State, patterns, rng: np.random.Generator, repeats: int = 10,
                  background_rate_per_tau: float = 0.0) -> np.ndarray:
    """Label of each output: the pattern it wins most often over ``repeats`` clean presentations of each
    pattern (learning frozen); −1 for an output that never wins. Ties → the lower pattern index."""
    patterns = np.asarray(patterns, dtype=float)
    n_pat, n_out = patterns.shape[0], state.weights.shape[1]
    res = present(net, state, np.repeat(patterns, repeats, axis=0), rng, learn=False,
                  background_rate_per_tau=background_rate_per_tau)
    wins = np.zeros((n_out, n_pat), dtype=np.int64)
    letter = np.repeat(np.arange(n_pat), repeats)
    ok = res.winner >= 0
    np.add.at(wins, (res.winner[ok], letter[ok]), 1)
    return np.where(wins.sum(axis=1) > 0, np.argmax(wins, axis=1), -1)


def specialists(labels) -> int:
    """Number of distinct patterns among the output labels."""
    labels = np.asarray(labels)
    return int(np.unique(labels[labels >= 0]).size)


def recognition_rate(net: Network, state: State, patterns, labels, noise_level: float, n_per_pattern: int,
                     rng: np.random.Generator, background_rate_per_tau: float = 0.0) -> tuple[float, np.ndarray]:
    """Fraction of ``n_per_pattern`` noisy presentations of each pattern whose first output to fire is
    labelled with that pattern (a silent presentation counts as wrong), and the confusion matrix
    (n_pat, n_out + 1; last column: silent). Learning frozen."""
    require_integer("n_per_pattern", n_per_pattern, 1, 10**7)
    patterns = np.asarray(patterns, dtype=float)
    n_pat = patterns.shape[0]
    truth = np.repeat(np.arange(n_pat), n_per_pattern)
    images = noisy_images(patterns[truth], noise_level, rng)
    res = present(net, state, images, rng, learn=False, background_rate_per_tau=background_rate_per_tau)
    labels = np.asarray(labels)
    predicted = np.where(res.winner >= 0, labels[np.maximum(res.winner, 0)], -1)
    confusion = np.zeros((n_pat, state.weights.shape[1] + 1), dtype=np.int64)
    np.add.at(confusion, (truth, np.where(res.winner >= 0, res.winner, state.weights.shape[1])), 1)
    return float(np.mean(predicted == truth)), confusion


def bimodal_fraction(weights, margin: float = 0.1) -> float:
    """Share of weights within ``margin`` (fraction of the range) of a bound: g ≤ margin or g ≥ 1 − margin."""
    w = np.asarray(weights)
    return float(np.mean((w <= margin) | (w >= 1.0 - margin)))
