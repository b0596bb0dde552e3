"""Fig. 4: unsupervised learning of the letters Q, L, U, O, T by a 25×5 winner-take-all spiking network
whose synapses follow the device's STDP window through the compact model (``ftjphys.snn``).

Per seed: random initial weights, 100 epochs (each letter once per epoch, random order, training noise
σ_train), then learning frozen; each output labelled by the letter it wins most often on clean letters;
recognition at noise levels 0 to 1.0: pixel = clip(letter + σ·U(−1, 1), 0, 1), 200 presentations per
letter, correct when the first output to fire carries the letter's label. Reported as mean and standard
deviation over the seeds. Weight maps (Fig. 4c) and the weight histogram over training (Fig. 4d) are
stored for every epoch.
"""

from __future__ import annotations

import numpy as np

from ftjphys import snn

from .common import open_result_for_plot
from .snn_common import compact_model, generators, model_config, model_quantities, network_config, run_seed, \
    snn_parameters
from .store import Quantity, RunResult

NAME = "fig4"
DESCRIPTION = "Fig. 4: STDP winner-take-all network on Q, L, U, O, T; weight maps, histogram, recognition vs noise"

#: paper Fig. 4e (text): ≈100 % below 0.5, 80 % at 0.8 times the input amplitude
PAPER_NOISE = np.array([0.0, 0.5, 0.8])
PAPER_RECOGNITION = np.array([1.0, 1.0, 0.8])


def config(quick: bool = False) -> dict:
    epochs = 10 if quick else 100
    return {
        **model_config(),
        "network": network_config(),
        "letters": "".join(snn.LETTER_NAMES),
        "epochs": epochs,
        "train_noise": 0.3,
        "init_range": [0.3, 0.7],
        "seed": 2022,
        "n_seeds": 2 if quick else 10,
        "noise_levels": [0.0, 0.5, 1.0] if quick else [round(0.1 * k, 1) for k in range(11)],
        "test_presentations_per_letter": 20 if quick else 200,
        "label_presentations_per_letter": 10,
        "snapshot_epochs": [e for e in (0, 1, 2, 5, 10, 20, 50, 100) if e <= epochs],
        "histogram_bins": 20,
        "bimodal_margin": 0.1,
    }


def run(cfg: dict, progress: bool = True) -> RunResult:
    from tqdm.auto import tqdm

    model = compact_model(cfg)
    net = snn.Network(model, snn_parameters(cfg))
    patterns = snn.letter_patterns(tuple(cfg["letters"]))
    levels = np.asarray(cfg["noise_levels"], dtype=float)
    margin = cfg["bimodal_margin"]
    runs = []
    for rng in tqdm(generators(cfg["seed"], cfg["n_seeds"]), desc="fig4 seeds", disable=not progress):
        runs.append(run_seed(net, patterns, rng, cfg, levels))

    rec = np.array([r.recognition for r in runs])
    spec = np.array([snn.specialists(r.labels) for r in runs])
    bimodal = np.array([snn.bimodal_fraction(r.state.weights, margin) for r in runs])
    weights = np.array([r.training.weights for r in runs])            # (seed, epoch, input, output)
    epochs = np.arange(weights.shape[1])
    edges = np.linspace(0.0, 1.0, cfg["histogram_bins"] + 1)
    hist = np.array([np.histogram(weights[:, e].ravel(), edges)[0] for e in epochs])
    snaps = np.asarray(cfg["snapshot_epochs"], dtype=np.int64)
    maps = weights[0][snaps].transpose(0, 2, 1).reshape(len(snaps), weights.shape[3], 5, 5)
    silent = np.array([(r.training.winner < 0).mean(axis=1) for r in runs])
    dt = np.linspace(-5.0, 5.0, 401)
    dW = net.window.dW_percent(dt * net.window.tau_plus_s)

    d = {
        "/derived/noise_level": Quantity(levels, "1", "noise amplitude relative to the input amplitude",
                                         ("noise_level",)),
        "/derived/recognition_mean": Quantity(rec.mean(axis=0), "1", "recognition rate, mean over seeds",
                                              ("noise_level",)),
        "/derived/recognition_std": Quantity(rec.std(axis=0), "1", "recognition rate, standard deviation over seeds",
                                             ("noise_level",)),
        "/derived/specialists": Quantity(int(spec.min()), "1",
                                         "distinct labels among the 5 outputs, minimum over seeds"),
        "/derived/specialists_mean": Quantity(float(spec.mean()), "1", "distinct labels, mean over seeds"),
        "/derived/bimodal_fraction": Quantity(float(bimodal.mean()), "1",
                                              f"share of weights within {margin:g} of a bound after training, "
                                              "mean over seeds"),
        "/derived/weight_mean": Quantity(float(weights[:, -1].mean()), "1", "mean weight after training"),
        "/derived/n_seeds": Quantity(len(runs), "1", "training seeds"),
        "/seeds/seed": Quantity(np.arange(len(runs)), "1", "seed index (SeedSequence spawn order)", ("seed",)),
        "/seeds/noise_level": Quantity(levels, "1", "noise amplitude relative to the input amplitude",
                                       ("noise_level",)),
        "/seeds/recognition": Quantity(rec, "1", "recognition rate", ("seed", "noise_level")),
        "/seeds/specialists": Quantity(spec, "1", "distinct labels among the outputs", ("seed",)),
        "/seeds/bimodal_fraction": Quantity(bimodal, "1", "share of weights near a bound after training", ("seed",)),
        "/seeds/labels": Quantity(np.array([r.labels for r in runs]), "1",
                                  "letter index labelling each output (-1: never wins)"),
        "/seeds/confusion": Quantity(np.array([r.confusion for r in runs]), "1",
                                     "test counts (seed, noise level, letter, winning output; last column silent)"),
        "/training/epoch": Quantity(epochs, "1", "epochs completed", ("epoch",)),
        "/training/bin_edges": Quantity(edges, "1", "weight histogram bin edges (normalised conductance)"),
        "/training/weight_histogram": Quantity(hist, "1", "weights per bin over all seeds", ("epoch", "bin")),
        "/training/bin": Quantity(0.5 * (edges[1:] + edges[:-1]), "1", "bin centre", ("bin",)),
        "/training/bimodal_fraction": Quantity(
            np.array([np.mean([snn.bimodal_fraction(w[e], margin) for w in weights]) for e in epochs]), "1",
            "share of weights near a bound, mean over seeds", ("epoch",)),
        "/training/weight_mean": Quantity(weights.mean(axis=(0, 2, 3)), "1", "mean weight", ("epoch",)),
        "/training/silent_fraction": Quantity(silent.mean(axis=0), "1",
                                              "presentations without an output spike, mean over seeds",
                                              ("epoch_trained",)),
        "/training/epoch_trained": Quantity(epochs[1:], "1", "epoch", ("epoch_trained",)),
        "/training/theta": Quantity(runs[0].training.theta, "1", "adaptive thresholds of seed 0 (epoch, output)"),
        "/training/weights": Quantity(weights[0], "1", "weights of seed 0 (epoch, input pixel, output)"),
        "/weights/epoch": Quantity(snaps, "1", "epochs of the snapshots", ("epoch",)),
        "/weights/snapshots": Quantity(maps, "1", "weight maps of seed 0 (epoch, output, row, column)"),
        "/weights/labels": Quantity(runs[0].labels, "1", "letter index labelling each output of seed 0"),
        "/stdp/dt_tau": Quantity(dt, "tau+", "spike timing dt = t_post - t_pre", ("dt_tau",)),
        "/stdp/dW_percent": Quantity(dW, "%", "STDP window of the compact model (paper eq. 2)", ("dt_tau",)),
        "/paper/noise_level": Quantity(PAPER_NOISE, "1", "paper Fig. 4e noise levels quoted in the text"),
        "/paper/recognition": Quantity(PAPER_RECOGNITION, "1", "paper Fig. 4e recognition quoted in the text"),
    }
    d.update(model_quantities(model, net))
    return RunResult(scenario=NAME, config=cfg, seed=cfg["seed"], data=d,
                     attrs={"/derived": {"letters": cfg["letters"],
                                         "note": "time in units of tau+; weights are normalised conductances"}})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = {k: q.values for k, q in r.data.items()}
    letters = str(r.config["letters"])
    snaps, maps = np.asarray(d["/weights/epoch"]), np.asarray(d["/weights/snapshots"])
    labels = np.asarray(d["/weights/labels"])
    n_snap, n_out = maps.shape[0], maps.shape[1]
    fig = plt.figure(figsize=(16, 7.5))
    outer = fig.add_gridspec(1, 3, width_ratios=[5, 3, 3], wspace=0.28)
    cells = outer[0].subgridspec(n_snap, n_out, wspace=0.1, hspace=0.15)
    middle = outer[1].subgridspec(2, 1, hspace=0.4)
    for a, e in enumerate(snaps):
        for j in range(n_out):
            ax = fig.add_subplot(cells[a, j])
            ax.imshow(maps[a, j], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(f"ep {int(e)}", fontsize=8)
            if a == 0:
                ax.set_title(f"out {j + 1}", fontsize=8)
            if a == n_snap - 1:
                ax.set_xlabel(letters[labels[j]] if labels[j] >= 0 else "-", fontsize=9)
    ax = fig.add_subplot(middle[0])
    ax.plot(d["/stdp/dt_tau"], d["/stdp/dW_percent"], color="k")
    T = float(d["/model/pairing_window_tau"])
    ax.axvspan(-T, T, color="tab:blue", alpha=0.1, label=f"pairing window {T:.2f}")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set(xlabel="dt = t_post - t_pre (tau+)", ylabel="dW (%)", title="(a) STDP window")
    ax.legend(fontsize=7)
    ax = fig.add_subplot(middle[1])
    hist = np.asarray(d["/training/weight_histogram"], dtype=float)
    edges = np.asarray(d["/training/bin_edges"])
    ax.imshow(np.log10(1 + hist.T), origin="lower", aspect="auto", cmap="viridis",
              extent=(0, hist.shape[0] - 1, edges[0], edges[-1]))
    ax.set(xlabel="epoch", ylabel="weight g", title="(d) weight histogram (log counts)")
    ax = fig.add_subplot(outer[2])
    x = np.asarray(d["/derived/noise_level"])
    m, s = np.asarray(d["/derived/recognition_mean"]), np.asarray(d["/derived/recognition_std"])
    ax.errorbar(x, 100 * m, 100 * s, marker="o", capsize=3, label=f"{int(d['/derived/n_seeds'])} seeds")
    ax.plot(d["/paper/noise_level"], 100 * np.asarray(d["/paper/recognition"]), "r*", ms=10, label="paper (text)")
    ax.set(xlabel="noise level (x input amplitude)", ylabel="recognition rate (%)", ylim=(0, 105),
           title="(e) recognition vs noise")
    ax.legend(fontsize=8)
    fig.suptitle(f"Fig. 4 ({d['/model/name']}): specialists {int(d['/derived/specialists'])}/5 (min over seeds), "
                 f"bimodal fraction {float(d['/derived/bimodal_fraction']):.2f}; (c) weight maps of seed 0")
    fig.savefig(png_path, dpi=110, bbox_inches="tight")
    plt.close(fig)
