"""Crossbar multilayer perceptron trained with device-aware weight updates (the paper's Fig. 3).

Network: 784 × n_hidden × 10, sigmoid hidden layer, softmax output, cross-entropy loss, SGD with batch
size 1, learned (digital) biases; the learning rate η may drop by ``lr_decay`` every ``lr_step_epochs``.
Weights start from W ~ U(−1/√fan_in, +1/√fan_in) (LeCun et al. 1998) and biases from zero. The seed
spawns independent streams for the initial weights, the sample order, the device factors and the pulse
noise, so the ideal and device runs of one seed start from the same weights and see the same order.

Each weight is realised by devices described by a :class:`~ftjphys.compact_model.CompactModel` whose
normalised conductance g = (G − G_min)/(G_max − G_min) ∈ [0, 1] maps linearly onto the weight:

    differential pair:  W = W_max (g⁺ − g⁻),           g± = ½ ± W/(2 W_max) at the start
    device + reference: W = 2 W_max (g⁺ − g_ref),      g_ref = ½,  g⁺ = ½ + W/(2 W_max) at the start

so both span W ∈ [−W_max, W_max], with one W_max per layer (``weight_max`` for the hidden layer W1,
``weight_max_output`` for the output layer W2). A requested ΔW is sent as n pulses, n the stochastic
rounding of |ΔW| / ΔW_pulse with ΔW_pulse = 2 W_max s̄, s̄ the compact model's mean step per pulse over the window
(½ of the mean |Δg| of the potentiation and depression tables), so E[ΔW] = ΔW for a linear device. The
pulse rule, the CrossSim v2 lookup-table alternative and the kernels are described in
:mod:`solvers.mlp_kernels`. Cycle-to-cycle noise (σ_pulse) and device-to-device step factors (s_dev,
drawn once per device by ``Variability.draw_device_scales``) come from the model's ``variability`` and
are switched on by :attr:`DeviceUpdate.c2c` and :attr:`DeviceUpdate.d2d`.

The ideal baseline (``update=None``) runs the same network, data order and initial weights with
floating-point updates.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from solvers import mlp_kernels as mk

from .compact_model import CompactModel
from .datasets import N_CLASSES, N_PIXELS, sparse_rows
from .validation import require_integer, require_positive, require_range

MODES = {"pulse": mk.MODE_PULSE, "lut": mk.MODE_LUT}
PAIRS = {"differential": mk.PAIR_DIFF, "reference": mk.PAIR_REF}
ROUNDINGS = ("stochastic", "nearest")
G_REFERENCE = 0.5


def _require_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name} = {value!r} is not supported; allowed: {', '.join(map(repr, allowed))}")


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """Network size and SGD schedule: η_e = learning_rate · lr_decay^⌊e / lr_step_epochs⌋ in epoch e (0-based)."""

    n_hidden: int = 300
    epochs: int = 20
    learning_rate: float = 0.1
    lr_decay: float = 1.0
    lr_step_epochs: int = 0

    def __post_init__(self):
        require_integer("n_hidden", self.n_hidden, 1, 100_000)
        require_integer("epochs", self.epochs, 1, 10_000)
        require_positive("learning_rate", self.learning_rate, 100.0)
        require_range("lr_decay", self.lr_decay, 0.0, 1.0, lo_open=True)
        require_integer("lr_step_epochs", self.lr_step_epochs, 0, 10_000)

    def learning_rate_at(self, epoch: int) -> float:
        if self.lr_step_epochs == 0:
            return self.learning_rate
        return self.learning_rate * self.lr_decay ** (epoch // self.lr_step_epochs)


@dataclasses.dataclass(frozen=True)
class DeviceUpdate:
    """How requested updates reach the devices.

    mode: "pulse" (integer pulses through the compact model, the default) or "lut" (CrossSim v2
    lookup-table update, mean-scaled step plus √scale noise); pair: "differential" (G⁺ − G⁻) or
    "reference" (one device against a fixed g_ref = ½); rounding of |ΔW|/ΔW_pulse to pulses:
    "stochastic" or "nearest"; weight_max, weight_max_output: W at a full conductance window in the hidden
    and the output layer (None: the hidden layer's); c2c, d2d: apply the model's per-pulse noise and
    per-device step factors.

    The default ranges, 1.5 and 3, cover the weights of the ideal 784×300×10 network on 6,000 MNIST images
    (after 20 epochs the largest |W| is 1.2 in the hidden and 3.2 in the output layer; 99.9 % lie within
    0.59 and 2.66). A single range of 1 clips the output layer and costs the FTJ device 1.5 points.
    """

    mode: str = "pulse"
    pair: str = "differential"
    rounding: str = "stochastic"
    weight_max: float = 1.5
    weight_max_output: float | None = 3.0
    c2c: bool = False
    d2d: bool = False

    def __post_init__(self):
        _require_choice("mode", self.mode, tuple(MODES))
        _require_choice("pair", self.pair, tuple(PAIRS))
        _require_choice("rounding", self.rounding, ROUNDINGS)
        require_positive("weight_max", self.weight_max, 1e6)
        if self.weight_max_output is not None:
            require_positive("weight_max_output", self.weight_max_output, 1e6)
        for name in ("c2c", "d2d"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} = {getattr(self, name)!r} is not a bool; allowed: true, false")

    @property
    def kernel_mode(self) -> int:
        if self.mode == "lut":
            return mk.MODE_LUT
        return mk.MODE_PULSE if self.rounding == "stochastic" else mk.MODE_PULSE_NEAREST

    def layer_weight_max(self, layer: str) -> float:
        """W_max of layer "1" (hidden) or "2" (output)."""
        if layer == "2" and self.weight_max_output is not None:
            return self.weight_max_output
        return self.weight_max

    def w_scale(self, layer: str) -> float:
        """Weight per unit of normalised conductance in ``layer``."""
        w = self.layer_weight_max(layer)
        return w if self.pair == "differential" else 2.0 * w


def mean_step(model: CompactModel) -> float:
    """s̄ = ½ (⟨|step_up|⟩ + ⟨|step_down|⟩), averages over g ∈ [0, 1] (trapezoid on the node grid)."""
    k = model.kernel_arrays()
    g = k["g_nodes"]
    avg = [float(np.sum(0.5 * (np.abs(t[1:]) + np.abs(t[:-1])) * np.diff(g))) for t in (k["step_up"], k["step_down"])]
    return 0.5 * (avg[0] + avg[1])


@dataclasses.dataclass(frozen=True, eq=False)
class SparseImages:
    """Images as CSR rows of their non-zero pixels (values in [0, 1]) with labels."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    labels: np.ndarray

    @classmethod
    def from_bytes(cls, images, labels) -> SparseImages:
        images = np.asarray(images)
        if images.ndim != 2 or images.shape[1] != N_PIXELS:
            raise ValueError(f"images must have shape (n, {N_PIXELS}); got {images.shape}")
        indptr, indices, values = sparse_rows(images)
        return cls(indptr, indices, values, np.ascontiguousarray(labels, dtype=np.int64))

    @property
    def n(self) -> int:
        return int(self.labels.size)


@dataclasses.dataclass(eq=False)
class History:
    """Per-epoch record of one training run (accuracies in %), with the final weights."""

    test_accuracy: np.ndarray
    train_accuracy: np.ndarray
    train_loss: np.ndarray
    learning_rate: np.ndarray
    pulses_per_sample: np.ndarray
    events_per_sample: np.ndarray
    epoch_wall_s: np.ndarray
    weights: dict


def initial_weights(rng: np.random.Generator, n_hidden: int) -> dict:
    """W ~ U(±1/√fan_in) (input-major W1 (784, n_hidden), W2 (n_hidden, 10)), zero biases."""
    l1 = 1.0 / np.sqrt(N_PIXELS)
    l2 = 1.0 / np.sqrt(n_hidden)
    return dict(W1=rng.uniform(-l1, l1, (N_PIXELS, n_hidden)), b1=np.zeros(n_hidden),
                W2=rng.uniform(-l2, l2, (n_hidden, N_CLASSES)), b2=np.zeros(N_CLASSES))


def device_state(weights: dict, model: CompactModel, update: DeviceUpdate, rng: np.random.Generator) -> dict:
    """Conductance states programmed exactly to the initial weights, and per-device step factors."""
    out = {}
    sigma_d = model.variability.device_sigma_rel if update.d2d else 0.0
    var = dataclasses.replace(model.variability, device_sigma_rel=sigma_d)
    for layer in ("1", "2"):
        W = weights["W" + layer]
        w_max = update.layer_weight_max(layer)
        if np.max(np.abs(W)) > w_max:
            name = "weight_max" if layer == "1" else "weight_max_output"
            raise ValueError(f"initial weights of layer {layer} up to {np.max(np.abs(W)):.3g} exceed {name} = {w_max}")
        half = W / (2.0 * w_max)
        out["gp" + layer] = G_REFERENCE + half
        out["gn" + layer] = G_REFERENCE - half if update.pair == "differential" else np.full(W.shape, G_REFERENCE)
        out["sp" + layer] = var.draw_device_scales(rng, W.shape)
        out["sn" + layer] = var.draw_device_scales(rng, W.shape)
    return out


def evaluate(weights: dict, data: SparseImages) -> float:
    """Classification accuracy (%) on ``data``."""
    pred = mk.predict(data.indptr, data.indices, data.values, weights["W1"], weights["b1"], weights["W2"],
                      weights["b2"])
    return 100.0 * float(np.mean(pred == data.labels))


def train(train_set: SparseImages, test_set: SparseImages, config: TrainingConfig, seed: int,
          model: CompactModel | None = None, update: DeviceUpdate | None = None,
          on_epoch: Callable[[int, float], None] | None = None, kernel=None) -> History:
    """Train from ``seed`` (weights, sample order, device factors and pulse noise all derive from it).

    ``model``/``update`` None gives the ideal floating-point run. ``on_epoch(epoch, test_accuracy)`` is
    called after each epoch. ``kernel`` replaces :func:`solvers.mlp_kernels.train_epoch` (tests pass its
    numpy twin).
    """
    if (model is None) != (update is None):
        raise ValueError("model and update must be given together (both None for the ideal run)")
    require_integer("seed", seed, 0, 2**63 - 1)
    epoch_fn = kernel or mk.train_epoch
    # Independent streams: every case run from one seed shares initial weights and sample order.
    w_rng, order_rng, dev_rng, pulse_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
    weights = initial_weights(w_rng, config.n_hidden)
    dummy2, dummy1 = np.zeros((1, 1)), np.zeros(2)
    if model is None:
        mode, pair, w_scale, dw_pulse, sigma = mk.MODE_FLOAT, mk.PAIR_DIFF, np.ones(2), np.ones(2), 0.0
        dev = {f"{k}{layer}": dummy2 for k in ("gp", "gn", "sp", "sn") for layer in "12"}
        up = down = dummy1
    else:
        mode, pair = update.kernel_mode, PAIRS[update.pair]
        w_scale = np.array([update.w_scale(layer) for layer in "12"])
        dw_pulse = np.array([2.0 * update.layer_weight_max(layer) * mean_step(model) for layer in "12"])
        arrays = model.kernel_arrays()
        sigma = arrays["pulse_sigma_rel"] if update.c2c else 0.0
        up, down = arrays["step_up"], arrays["step_down"]
        dev = device_state(weights, model, update, dev_rng)
        g_ref = G_REFERENCE
        for k, layer in enumerate("12"):
            gn = dev["gn" + layer] if update.pair == "differential" else g_ref
            weights["W" + layer] = w_scale[k] * (dev["gp" + layer] - gn)
    rng_state = np.array([pulse_rng.integers(1, 2**63, dtype=np.uint64)], dtype=np.uint64)
    rec = {k: np.zeros(config.epochs) for k in ("test", "train", "loss", "lr", "pulses", "events", "wall")}
    for epoch in range(config.epochs):
        order = order_rng.permutation(train_set.n).astype(np.int64)
        lr = config.learning_rate_at(epoch)
        stats = np.zeros(mk.N_STATS)
        t0 = time.perf_counter()
        epoch_fn(train_set.indptr, train_set.indices, train_set.values, train_set.labels, order,
                 weights["W1"], weights["b1"], weights["W2"], weights["b2"], lr, mode, pair, w_scale, G_REFERENCE,
                 dw_pulse, sigma, dev["gp1"], dev["gn1"], dev["sp1"], dev["sn1"], dev["gp2"], dev["gn2"],
                 dev["sp2"], dev["sn2"], up, down, rng_state, stats)
        rec["wall"][epoch] = time.perf_counter() - t0
        rec["test"][epoch] = evaluate(weights, test_set)
        rec["train"][epoch] = 100.0 * stats[mk.STAT_CORRECT] / train_set.n
        rec["loss"][epoch] = stats[mk.STAT_LOSS] / train_set.n
        rec["lr"][epoch] = lr
        rec["pulses"][epoch] = stats[mk.STAT_PULSES] / train_set.n
        rec["events"][epoch] = stats[mk.STAT_EVENTS] / train_set.n
        if on_epoch is not None:
            on_epoch(epoch, rec["test"][epoch])
    if model is not None:
        weights.update({k: v for k, v in dev.items() if k.startswith("g")})
    return History(rec["test"], rec["train"], rec["loss"], rec["lr"], rec["pulses"], rec["events"], rec["wall"],
                   weights)


def last_epochs_mean(accuracy: np.ndarray, n_last: int = 5) -> float:
    """Mean of the last ``n_last`` epochs (all epochs when fewer): single epochs of high-NL devices swing by
    several points, so the figure of merit averages epochs 16–20 of a 20-epoch run."""
    acc = np.asarray(accuracy, dtype=float)
    return float(np.mean(acc[..., -min(n_last, acc.shape[-1]):]))
