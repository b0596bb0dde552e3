"""Fig. 2e,f: ΔG per pulse against G for the potentiation and depression branches, with its statistics.

Reads the pulse trains of a ``fig2d`` result file (``source``; ``make fig2d`` writes it) and bins every
single-pulse step by the conductance before the pulse (``bins`` equal bins over the trains' range): per
bin and branch the mean ΔG, its standard deviation and the number of steps, plus the overall statistics
of each branch (:func:`ftjphys.plasticity.step_statistics`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ftjphys.plasticity import split_branches, step_statistics

from .common import open_result_for_plot, save_figure
from .store import Quantity, RunResult, read_result

NAME = "fig2ef"
DESCRIPTION = "Fig. 2e,f: dG per pulse vs G of both branches, binned statistics (from results/fig2d.h5)"


def config(quick: bool = False) -> dict:
    return {"source": "results/fig2d_quick.h5" if quick else "results/fig2d.h5", "bins": 10 if quick else 20}


def branch_steps(G_S) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((G before, ΔG) of potentiation pulses 2..P, (G before, ΔG) of depression pulses 1..P) over all cycles."""
    G = np.atleast_2d(np.asarray(G_S, dtype=float))
    up, down = split_branches(G)
    pot = (up[:, :-1].ravel(), np.diff(up, axis=1).ravel())
    before = np.concatenate([up[:, -1:], down[:, :-1]], axis=1)
    dep = (before.ravel(), (down - before).ravel())
    return pot, dep


def binned(G_before, dG, edges):
    """Mean, standard deviation and count of ΔG in each G bin (NaN where a bin is empty)."""
    k = np.clip(np.digitize(G_before, edges) - 1, 0, edges.size - 2)
    n = np.bincount(k, minlength=edges.size - 1)
    s = np.bincount(k, dG, minlength=edges.size - 1)
    s2 = np.bincount(k, dG * dG, minlength=edges.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / n
        std = np.sqrt(np.maximum(s2 / n - mean**2, 0.0))
    return mean, std, n


def run(cfg: dict, progress: bool = True) -> RunResult:
    source = Path(cfg["source"])
    if not source.exists():
        raise ValueError(f"source = {str(source)!r} does not exist; make it with `make fig2d` "
                         f"(or `ftjphys run fig2d --quick --out {source}`)")
    src = read_result(source)
    if src.scenario != "fig2d":
        raise ValueError(f"source = {str(source)!r} is a {src.scenario!r} result; allowed: a fig2d result file")
    G = np.asarray(src.data["/derived/G_pulse_S"].values)
    bins = int(cfg["bins"])
    if bins < 2:
        raise ValueError(f"bins = {bins!r} is out of range; allowed: >= 2")
    edges = np.linspace(G.min(), G.max(), bins + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    pot_stats, dep_stats = step_statistics(G)
    data = {"/derived/G_bin_S": Quantity(centres, "S", "conductance before the pulse, bin centre", ("G_bin_S",))}
    for name, (Gb, dG), st in zip(("potentiation", "depression"), branch_steps(G), (pot_stats, dep_stats)):
        mean, std, n = binned(Gb, dG, edges)
        data.update({
            f"/steps/{name}/step": Quantity(np.arange(dG.size), "1", "single-pulse step", ("step",)),
            f"/steps/{name}/G_before_S": Quantity(Gb, "S", "conductance before the pulse", ("step",)),
            f"/steps/{name}/dG_S": Quantity(dG, "S", "conductance change of the pulse", ("step",)),
            f"/derived/dG_{name}_binned_mean_S": Quantity(mean, "S", f"mean dG per {name} pulse in the G bin",
                                                          ("G_bin_S",)),
            f"/derived/dG_{name}_binned_std_S": Quantity(std, "S", f"std of dG per {name} pulse in the G bin",
                                                         ("G_bin_S",)),
            f"/derived/{name}_steps_per_bin": Quantity(n, "1", f"{name} steps in the G bin", ("G_bin_S",)),
            f"/derived/dG_{name}_mean_S": Quantity(st.mean_S, "S", f"mean dG per {name} pulse (paper "
                                                   f"{'+0.32' if name == 'potentiation' else '-0.36'} uS)"),
            f"/derived/dG_{name}_std_S": Quantity(st.std_S, "S", f"standard deviation of dG per {name} pulse"),
        })
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver={},
                     attrs={"/derived": {"source": str(source), "source_git_commit": str(src.attrs.get("git_commit", ""))}})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    Gc = np.asarray(d["/derived/G_bin_S"].values) * 1e6
    for a, name, color in zip(ax, ("potentiation", "depression"), ("tab:red", "tab:blue")):
        a.plot(np.asarray(d[f"/steps/{name}/G_before_S"].values) * 1e6,
               np.asarray(d[f"/steps/{name}/dG_S"].values) * 1e6, ".", ms=2, color=color, alpha=0.4)
        a.errorbar(Gc, np.asarray(d[f"/derived/dG_{name}_binned_mean_S"].values) * 1e6,
                   np.asarray(d[f"/derived/dG_{name}_binned_std_S"].values) * 1e6, color="k", lw=1, capsize=2)
        a.axhline(0, color="k", lw=0.5)
        a.set(xlabel="G before the pulse (uS)", ylabel="dG per pulse (uS)",
              title=f"{name}: mean {float(d[f'/derived/dG_{name}_mean_S'].values) * 1e6:.3g} uS")
    save_figure(fig, png_path, "Fig. 2e,f: dG per pulse vs G")
