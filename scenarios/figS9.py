"""Fig. S9: why an unbalanced STDP window fails, on the network of Fig. 4.

The window's A+ is set to ratio·A− (A−, τ±, ΔW0± kept) for ratios 0.25, 0.5, 2, 4 beside the model's
own window, and the network is trained with uncorrelated background input spikes at several rates.
For each (ratio, rate) and seed: clean recognition (noise-free letters, no background, learning frozen),
the final weight mean, the share of weights near a bound, and the weight drift caused by pairings with
background spikes, per win and synapse, beside its prediction η·r_bg·∫ΔW/100 (``ftjphys.snn``).

Two controls isolate the mechanism: at the stated background rate the same runs with background spikes
kept out of STDP (they still drive the membranes), and the model's window started from different
initial weight distributions without background.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ftjphys import snn

from .common import open_result_for_plot
from .snn_common import compact_model, generators, model_config, model_quantities, network_config, run_seed, \
    snn_parameters
from .store import Quantity, RunResult

NAME = "figS9"
DESCRIPTION = "Fig. S9: unbalanced STDP (A+/A- = 0.25..4) with background input: recognition, weight runaway"

DRIFT_EPOCHS = 10


def config(quick: bool = False) -> dict:
    return {
        **model_config(),
        "network": network_config(),
        "letters": "".join(snn.LETTER_NAMES),
        "epochs": 10 if quick else 100,
        "train_noise": 0.3,
        "init_range": [0.3, 0.7],
        "seed": 2022,
        "n_seeds": 1 if quick else 20,
        "ratios": [0.25, 0.5, 2.0, 4.0],
        "background_rates_per_tau": [0.0, 0.5] if quick else [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "stated_background_rate_per_tau": 0.5,
        "initial_ranges": [[0.3, 0.7], [0.0, 1.0]] if quick else
        [[0.3, 0.7], [0.0, 1.0], [0.5, 1.0], [0.8, 1.0], [0.5, 0.5], [0.2, 0.4], [0.1, 0.5], [0.0, 0.5]],
        "test_presentations_per_letter": 10,
        "label_presentations_per_letter": 10,
        "bimodal_margin": 0.1,
    }


def _summary(runs, margin: float, n_in: int) -> dict:
    """Per-seed numbers of one condition."""
    w = np.array([r.state.weights for r in runs])
    drift = []
    for r in runs:
        tr = r.training
        won = tr.winner[:DRIFT_EPOCHS] >= 0
        drift.append(tr.dg_background[:DRIFT_EPOCHS][won].sum() / max(won.sum(), 1) / n_in)
    return {
        "recognition": np.array([r.recognition[0] for r in runs]),
        "weight_mean": w.mean(axis=(1, 2)),
        "bimodal": np.array([snn.bimodal_fraction(x, margin) for x in w]),
        "specialists": np.array([snn.specialists(r.labels) for r in runs]),
        "drift": np.array(drift),
    }


def run(cfg: dict, progress: bool = True) -> RunResult:
    from tqdm.auto import tqdm

    model = compact_model(cfg)
    params = snn_parameters(cfg)
    patterns = snn.letter_patterns(tuple(cfg["letters"]))
    n_in = patterns.shape[1]
    own = model.stdp
    own_ratio = own.A_plus / own.A_minus
    ratios = np.array(sorted(set(float(x) for x in cfg["ratios"]) | {own_ratio}))
    rates = np.asarray(cfg["background_rates_per_tau"], dtype=float)
    stated = float(cfg["stated_background_rate_per_tau"])
    inits = np.asarray(cfg["initial_ranges"], dtype=float)
    margin = cfg["bimodal_margin"]
    clean = [0.0]

    windows = [own if r == own_ratio else snn.scaled_window(own, r) for r in ratios]
    T = snn.Network(model, params).pairing_window       # kept for every scaled window
    n_runs = len(ratios) * (len(rates) + 1) + len(inits)
    bar = tqdm(total=n_runs * cfg["n_seeds"], desc="figS9 runs", disable=not progress)

    def condition(window, rate, pair_background=True, init=None):
        p = params.replace(background_rate_per_tau=float(rate), pair_background=pair_background,
                           pairing_window_tau=T)
        net = snn.Network(model, p, window)
        runs = []
        for rng in generators(cfg["seed"], cfg["n_seeds"]):
            runs.append(run_seed(net, patterns, rng, cfg, clean, init))
            bar.update()
        return _summary(runs, margin, n_in)

    grid = [[condition(w, r) for r in rates] for w in windows]
    control = [condition(w, stated, pair_background=False) for w in windows]
    initial = [condition(own, 0.0, init=tuple(x)) for x in inits]
    bar.close()

    def stack(rows, key, op):
        return np.array([[op(c[key]) for c in row] for row in rows])

    integral = np.array([snn.window_integral(w, T) for w in windows])
    eta = params.learning_rate
    dims = ("ratio", "background_rate")
    d = {
        "/derived/ratio": Quantity(ratios, "1", "A+/A- of the STDP window (A- kept)", ("ratio",)),
        "/derived/background_rate": Quantity(rates, "1/tau+", "background spikes per input per tau+",
                                             ("background_rate",)),
        "/derived/stated_background_rate": Quantity(stated, "1/tau+", "background rate of the acceptance comparison"),
        "/derived/balanced_ratio": Quantity(own_ratio, "1", "A+/A- of the compact model's own window"),
        "/derived/pairing_window_tau": Quantity(T, "tau+", "pairing window T_win"),
        "/derived/window_integral_percent_tau": Quantity(integral, "%*tau+", "integral of dW over |dt| < T_win",
                                                         ("ratio",)),
        "/derived/clean_recognition": Quantity(stack(grid, "recognition", np.mean), "1",
                                               "recognition of noise-free letters, mean over seeds", dims),
        "/derived/clean_recognition_std": Quantity(stack(grid, "recognition", np.std), "1",
                                                   "recognition of noise-free letters, std over seeds", dims),
        "/derived/weight_mean": Quantity(stack(grid, "weight_mean", np.mean), "1",
                                         "mean weight after training, mean over seeds", dims),
        "/derived/bimodal_fraction": Quantity(stack(grid, "bimodal", np.mean), "1",
                                              f"share of weights within {margin:g} of a bound, mean over seeds", dims),
        "/derived/specialists_mean": Quantity(stack(grid, "specialists", np.mean), "1",
                                              "distinct labels among the outputs, mean over seeds", dims),
        "/derived/background_drift_per_win": Quantity(
            stack(grid, "drift", np.mean), "1",
            f"dg per synapse per win from background pairings, first {DRIFT_EPOCHS} epochs, mean over seeds", dims),
        "/derived/background_drift_predicted": Quantity(
            eta * np.outer(integral, rates) / 100.0, "1", "eta * r_bg * integral(dW) / 100 (ideal linear device)",
            dims),
        "/derived/control/clean_recognition": Quantity(
            np.array([np.mean(c["recognition"]) for c in control]), "1",
            "clean recognition at the stated rate with background spikes kept out of STDP", ("ratio",)),
        "/derived/control/weight_mean": Quantity(
            np.array([np.mean(c["weight_mean"]) for c in control]), "1",
            "mean weight at the stated rate with background spikes kept out of STDP", ("ratio",)),
        "/derived/control/ratio": Quantity(ratios, "1", "A+/A-", ("ratio",)),
        "/initial/init_low": Quantity(inits[:, 0], "1", "initial weights ~ U(low, high): low", ("init",)),
        "/initial/init_high": Quantity(inits[:, 1], "1", "initial weights ~ U(low, high): high", ("init",)),
        "/initial/init": Quantity(np.arange(len(inits)), "1", "initial distribution index", ("init",)),
        "/initial/clean_recognition": Quantity(np.array([np.mean(c["recognition"]) for c in initial]), "1",
                                               "clean recognition, model's window, no background", ("init",)),
        "/initial/weight_mean": Quantity(np.array([np.mean(c["weight_mean"]) for c in initial]), "1",
                                         "mean weight after training", ("init",)),
        "/initial/bimodal_fraction": Quantity(np.array([np.mean(c["bimodal"]) for c in initial]), "1",
                                              "share of weights near a bound after training", ("init",)),
        "/initial/specialists_mean": Quantity(np.array([np.mean(c["specialists"]) for c in initial]), "1",
                                              "distinct labels, mean over seeds", ("init",)),
    }
    d.update(model_quantities(model, snn.Network(model, dataclasses.replace(params, pairing_window_tau=T))))
    return RunResult(scenario=NAME, config=cfg, seed=cfg["seed"], data=d,
                     attrs={"/derived": {"note": "time in units of tau+; clean recognition without background"}})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = {k: q.values for k, q in r.data.items()}
    ratios, rates = np.asarray(d["/derived/ratio"]), np.asarray(d["/derived/background_rate"])
    stated, own = float(d["/derived/stated_background_rate"]), float(d["/derived/balanced_ratio"])
    T = float(d["/derived/pairing_window_tau"])
    fig, ax = plt.subplots(2, 3, figsize=(16, 9))
    A = np.asarray(d["/model/stdp_window"])
    dt = np.linspace(-T, T, 401)
    cmap = plt.get_cmap("coolwarm")
    for k, q in enumerate(ratios):
        Ap = A[0] if np.isclose(q, own) else q * A[1]
        dW = np.where(dt > 0, Ap * np.exp(-dt / A[2]) + A[4], np.where(dt < 0, -A[1] * np.exp(dt / A[3]) + A[5], 0.0))
        ax[0, 0].plot(dt, dW, color=cmap(k / max(len(ratios) - 1, 1)), lw=2.5 if np.isclose(q, own) else 1.2,
                      label=f"A+/A- = {q:.3g}" + (" (device)" if np.isclose(q, own) else ""))
    ax[0, 0].axhline(0, color="0.6", lw=0.6)
    ax[0, 0].set(xlabel="dt (tau+)", ylabel="dW (%)", title=f"(a) windows within the pairing window |dt| < {T:.2f}")
    ax[0, 0].legend(fontsize=7)
    rec, wmean = np.asarray(d["/derived/clean_recognition"]), np.asarray(d["/derived/weight_mean"])
    for b, rate in enumerate(rates):
        style = dict(marker="o", lw=2.5 if np.isclose(rate, stated) else 1.0)
        ax[0, 1].plot(ratios, 100 * rec[:, b], label=f"r_bg = {rate:g}", **style)
        ax[0, 2].plot(ratios, wmean[:, b], label=f"r_bg = {rate:g}", **style)
    ctrl = np.asarray(d["/derived/control/clean_recognition"])
    ax[0, 1].plot(ratios, 100 * ctrl, "k--", marker="x", label=f"r_bg = {stated:g}, no background pairs")
    ax[0, 2].plot(ratios, np.asarray(d["/derived/control/weight_mean"]), "k--", marker="x",
                  label=f"r_bg = {stated:g}, no background pairs")
    for a in (ax[0, 1], ax[0, 2]):
        a.set_xscale("log")
        a.axvline(own, color="0.5", ls=":")
        a.legend(fontsize=7)
    ax[0, 1].set(xlabel="A+/A-", ylabel="clean recognition (%)", ylim=(-3, 105), title="(b) clean recognition")
    ax[0, 2].axhspan(0.9, 1.0, color="tab:red", alpha=0.08)
    ax[0, 2].axhspan(0.0, 0.1, color="tab:blue", alpha=0.08)
    ax[0, 2].set(xlabel="A+/A-", ylabel="mean weight after training", ylim=(0, 1), title="(c) weight runaway")
    drift = np.asarray(d["/derived/background_drift_per_win"])
    pred = np.asarray(d["/derived/background_drift_predicted"])
    for b, rate in enumerate(rates):
        if rate > 0:
            line, = ax[1, 0].plot(ratios, drift[:, b], marker="o", label=f"measured, r_bg = {rate:g}")
            ax[1, 0].plot(ratios, pred[:, b], ls="--", color=line.get_color())
    ax[1, 0].axhline(0, color="0.6", lw=0.6)
    ax[1, 0].set(xscale="log", xlabel="A+/A-", ylabel="dg per synapse per win",
                 title="(d) drift from background pairs (dashed: eta r_bg int dW)")
    ax[1, 0].legend(fontsize=7)
    bim = np.asarray(d["/derived/bimodal_fraction"])
    for b, rate in enumerate(rates):
        ax[1, 1].plot(ratios, bim[:, b], marker="o", label=f"r_bg = {rate:g}")
    ax[1, 1].set(xscale="log", xlabel="A+/A-", ylabel="share of weights near a bound", ylim=(0, 1),
                 title="(e) bimodality")
    ax[1, 1].legend(fontsize=7)
    for a in (ax[0, 1], ax[0, 2], ax[1, 0], ax[1, 1]):
        a.set_xticks(ratios, [f"{q:.3g}" for q in ratios])
        a.minorticks_off()
    lo, hi = np.asarray(d["/initial/init_low"]), np.asarray(d["/initial/init_high"])
    names = [f"U({a:g},{b:g})" for a, b in zip(lo, hi)]
    x = np.arange(len(names))
    ax[1, 2].bar(x - 0.2, 100 * np.asarray(d["/initial/clean_recognition"]), 0.4, label="clean recognition (%)")
    ax[1, 2].bar(x + 0.2, 100 * np.asarray(d["/initial/weight_mean"]), 0.4, label="final weight mean (x100)")
    ax[1, 2].set_xticks(x, names, rotation=45, fontsize=7)
    ax[1, 2].set(title="(f) device window, different initial weights (r_bg = 0)")
    ax[1, 2].legend(fontsize=7)
    fig.suptitle(f"Fig. S9 ({d['/model/name']}): unbalanced STDP fails through uncorrelated pairs "
                 f"(stated background rate {stated:g} per input per tau+)")
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
