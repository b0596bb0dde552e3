"""Shared pieces of the spiking-network scenarios (fig4, figS9): the compact model named in the
configuration, the network settings, per-seed training and evaluation, and HDF5 quantities.

The compact model comes from ``config["model"]``: a path to a compact-model result file (read by
``scenarios.compact.load_compact_model``), or ``"synthetic"`` for ``CompactModel.synthetic`` with the
paper's STDP window and the ``synthetic`` block (NL of each branch, pulses per branch, per-pulse and
per-device relative noise).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ftjphys import snn
from ftjphys.compact_model import CompactModel, StdpWindow, Variability

from .store import Quantity

DEFAULT_MODEL_PATH = "results/compact_model.h5"


def model_config() -> dict:
    return {
        "model": DEFAULT_MODEL_PATH,
        "synthetic": {"nl_potentiation": 0.15, "nl_depression": 0.15, "n_pulses": 150, "pulse_sigma_rel": 0.0,
                      "device_sigma_rel": 0.0},
    }


def network_config() -> dict:
    """The network settings (``SnnParameters`` fields; None picks the documented default)."""
    return dataclasses.asdict(snn.SnnParameters())


def compact_model(cfg: dict) -> CompactModel:
    """The compact model named by ``cfg["model"]`` (module docstring); a model without an STDP window gets
    the paper's fit."""
    source = cfg["model"]
    if source == "synthetic":
        s = cfg["synthetic"]
        variability = Variability(pulse_sigma_rel=s["pulse_sigma_rel"], device_sigma_rel=s["device_sigma_rel"])
        return CompactModel.synthetic(n_pulses=int(s["n_pulses"]), nl_potentiation=s["nl_potentiation"],
                                      nl_depression=s["nl_depression"], variability=variability,
                                      stdp=StdpWindow.paper())
    from .compact import load_compact_model  # written by the compact-model scenario

    model = load_compact_model(source)
    if model.stdp is None:
        model = dataclasses.replace(model, stdp=StdpWindow.paper())
    return model


def snn_parameters(cfg: dict) -> snn.SnnParameters:
    return snn.SnnParameters(**cfg["network"])


def generators(seed: int, n_seeds: int) -> list[np.random.Generator]:
    """Independent Generators of the training seeds, spawned from the configuration's seed."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_seeds)]


@dataclasses.dataclass(frozen=True)
class SeedRun:
    """One trained network and its evaluation."""

    training: snn.Training
    state: snn.State
    labels: np.ndarray
    recognition: np.ndarray      # per noise level
    confusion: np.ndarray        # (noise level, letter, output + silent)


def run_seed(net: snn.Network, patterns, rng: np.random.Generator, cfg: dict, noise_levels,
             init_range=None) -> SeedRun:
    """Train for ``cfg["epochs"]`` epochs, label the outputs on clean letters, then test at every noise
    level with learning frozen (no background input at labelling and test)."""
    state = snn.initial_state(net, rng, patterns.shape[1], 5, init_range or cfg["init_range"])
    training = snn.train(net, state, patterns, cfg["epochs"], rng, cfg["train_noise"])
    labels = snn.assign_labels(net, state, patterns, rng, cfg["label_presentations_per_letter"])
    rec, conf = [], []
    for level in noise_levels:
        r, c = snn.recognition_rate(net, state, patterns, labels, float(level), cfg["test_presentations_per_letter"],
                                    rng)
        rec.append(r)
        conf.append(c)
    return SeedRun(training, state, labels, np.array(rec), np.array(conf))


def model_quantities(model: CompactModel, net: snn.Network, prefix: str = "/model") -> dict:
    """What the network was run on: the compact model's name, NL, noise, and the STDP window in τ+ units."""
    w = net.window
    T = net.pairing_window
    return {
        f"{prefix}/name": Quantity(model.name, "1", "compact model"),
        f"{prefix}/nl_potentiation": Quantity(model.potentiation.nl, "1", "paper-eq.-1 NL of the potentiation branch"),
        f"{prefix}/nl_depression": Quantity(model.depression.nl, "1", "paper-eq.-1 NL of the depression branch"),
        f"{prefix}/pulse_sigma_rel": Quantity(model.variability.pulse_sigma_rel, "1",
                                              "per-pulse relative noise (cycle to cycle)"),
        f"{prefix}/device_sigma_rel": Quantity(model.variability.device_sigma_rel, "1",
                                               "relative spread of the per-device step factor (device to device)"),
        f"{prefix}/stdp_window": Quantity(snn.window_tau_units(w), "1",
                                          "STDP window A+ (%), A- (%), tau+ (tau+), tau- (tau+), dW0+ (%), dW0- (%)"),
        f"{prefix}/pairing_window_tau": Quantity(T, "tau+", "pairing window T_win (|dt| < T_win pairs)"),
        f"{prefix}/window_integral_percent_tau": Quantity(snn.window_integral(w, T), "%*tau+",
                                                          "integral of dW over |dt| < T_win"),
        f"{prefix}/area_ratio": Quantity(w.A_plus * w.tau_plus_s / (w.A_minus * w.tau_minus_s), "1",
                                         "A+ tau+ / (A- tau-)"),
    }
