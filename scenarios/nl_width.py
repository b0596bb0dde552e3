"""NL of the Fig. 2d pulse scheme against the write-pulse width (beyond the paper, which fixes 1 ms).

The fig2d train (±V_start → ±V_stop in step_V, a read after every pulse) is run with each width of
``widths_s`` for ``cycles`` cycles, each width from the same initial state; the same for the reference
device (vacancy migration off, nothing else changed) with ``reference``. Where the write-pulse width moves
the thresholds of the two switching directions against the 2 → 5 V ramp, it moves the train's NL: at
1 ms the LRS's depolarizing field and the low-E_a tail of the ensemble switch much of the depression swing
at the first −2 V pulses (front-loaded depression, a high NL), while shorter pulses centre both branches in
the ramp.

Derived, per width (axis ``width_s``): ``NL`` (eq. 1, mean over cycles, as fig2d), ``NL_last_cycle`` (the
periodic state), ``G_min_S``/``G_max_S`` of the cycle-mean train, ``dG_potentiation_mean_S`` and
``dG_depression_mean_S``, and ``first_step_share_potentiation``/``..._depression``: the first pulse's
conductance change in each branch of the last cycle as a share of that branch's swing (a front-loaded
branch has a large share). The reference device's numbers go to ``/derived/reference/``.
"""

from __future__ import annotations

import numpy as np

from ftjphys.plasticity import split_branches

from . import fig2d
from .common import open_result_for_plot, parameter_quantities, save_figure
from .figS5 import REFERENCE_OVERRIDES
from .store import Quantity, RunResult
from .switching import DeviceRunner, join, parameter_sets

NAME = "nl_width"
DESCRIPTION = "NL of the Fig. 2d pulse scheme vs write-pulse width (device and reference device)"
#: (group of the derived numbers, name) of each device in a result file
GROUPS = (("/derived", "device"), ("/derived/reference", "reference device"))


def config(quick: bool = False) -> dict:
    cfg = fig2d.config(quick)
    cfg.update({"channel_split": False, "literature_comparison": False, "cycles": 2,
                "widths_s": [1e-7, 1e-3] if quick else [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3],
                "reference": not quick})
    return cfg


def first_step_shares(G_S) -> tuple[float, float]:
    """(potentiation, depression) share of the first pulse's change in its branch's swing, in the last
    cycle of G[cycle, 2P] (>= 2 cycles: the read before the last cycle's first pulse is the previous
    cycle's last one)."""
    G = np.asarray(G_S, dtype=float)
    if G.ndim != 2 or G.shape[0] < 2:
        raise ValueError(f"first_step_shares needs G[cycle, 2P] with >= 2 cycles; got shape {G.shape}")
    up, down = split_branches(G[-1])
    before = G[-2, -1]
    share_up = (up[0] - before) / (up[-1] - before) if up[-1] != before else float("nan")
    share_down = (down[0] - up[-1]) / (down[-1] - up[-1]) if down[-1] != up[-1] else float("nan")
    return float(share_up), float(share_down)


def width_quantities(derived: str, widths_s, trains: list) -> dict:
    """Per-width figures of merit of the trains (one fig2d result per width) under ``derived``."""
    axis = Quantity(np.asarray(widths_s, dtype=float), "s", "write-pulse width (flat top)", ("width_s",))
    return train_quantities(derived, "width_s", axis, trains)


def train_quantities(derived: str, axis_name: str, axis: Quantity, trains: list) -> dict:
    """Figures of merit of fig2d trains, one train per value of ``axis`` (stored as ``derived/axis_name``):
    NL (mean over cycles and last cycle), the window, the mean steps and the first-step shares."""
    nl, nl_last, g_min, g_max, dg_up, dg_down, sh_up, sh_down = ([] for _ in range(8))
    for res in trains:
        G = res["G_S"]
        summary = fig2d.train_summary(G)
        nl.append(float(summary["NL_cycles"].mean()))
        nl_last.append(float(summary["NL_cycles"][-1]))
        g_min.append(summary["G_min_S"])
        g_max.append(summary["G_max_S"])
        dg_up.append(summary["potentiation"].mean_S)
        dg_down.append(summary["depression"].mean_S)
        up, down = first_step_shares(G)
        sh_up.append(up)
        sh_down.append(down)
    ax = (axis_name,)
    return {
        f"{derived}/{axis_name}": axis,
        f"{derived}/NL": Quantity(np.array(nl), "1", "paper eq. (1), mean over cycles", ax),
        f"{derived}/NL_last_cycle": Quantity(np.array(nl_last), "1", "paper eq. (1) of the last cycle", ax),
        f"{derived}/G_min_S": Quantity(np.array(g_min), "S", "lowest conductance of the cycle-mean train", ax),
        f"{derived}/G_max_S": Quantity(np.array(g_max), "S", "highest conductance of the cycle-mean train", ax),
        f"{derived}/dG_potentiation_mean_S": Quantity(np.array(dg_up), "S", "mean dG per potentiation pulse", ax),
        f"{derived}/dG_depression_mean_S": Quantity(np.array(dg_down), "S", "mean dG per depression pulse", ax),
        f"{derived}/first_step_share_potentiation": Quantity(
            np.array(sh_up), "1", "last cycle: change of the first potentiation pulse / potentiation swing", ax),
        f"{derived}/first_step_share_depression": Quantity(
            np.array(sh_down), "1", "last cycle: change of the first depression pulse / depression swing", ax),
    }


def train_record(group: str, G_S) -> dict:
    """One run's trains G[cycle, pulse] under ``group`` with their axes."""
    G = np.asarray(G_S)
    return {f"{group}/G_pulse_S": Quantity(G, "S", "conductance read after each pulse", ("cycle", "pulse_index")),
            f"{group}/cycle": Quantity(np.arange(G.shape[0]), "1", "cycle number", ("cycle",)),
            f"{group}/pulse_index": Quantity(np.arange(G.shape[1]), "1", "pulse number in the cycle", ("pulse_index",))}


def train_scheme_quantities(cfg: dict) -> dict:
    """The train's pulse amplitudes (axis ``pulse_index``) and read voltage under /derived."""
    amps = fig2d.pulse_amplitudes(cfg)
    return {"/derived/pulse_index": Quantity(np.arange(amps.size), "1", "pulse number in the cycle", ("pulse_index",)),
            "/derived/pulse_amplitude_V": Quantity(amps, "V", "write amplitude of each pulse", ("pulse_index",)),
            "/derived/read_voltage_V": Quantity(float(cfg["V_read_V"]), "V", "read voltage")}


def run(cfg: dict, progress: bool = True) -> RunResult:
    widths = [float(w) for w in cfg["widths_s"]]
    if not widths or min(widths) <= 0:
        raise ValueError(f"widths_s = {cfg['widths_s']!r}; allowed: a non-empty list of widths > 0 s")
    if int(cfg["cycles"]) < 2:
        raise ValueError(f"cycles = {cfg['cycles']!r}; allowed: >= 2 (the last cycle's first steps need the "
                         "cycle before)")
    (_, params), = parameter_sets(dict(cfg, literature_comparison=False))
    devices = [("", params)]
    if cfg.get("reference"):
        devices.append(("reference", params.replace(**REFERENCE_OVERRIDES)))
    runner = DeviceRunner(params.domains.columns * int(cfg["cycles"]) * len(widths) * len(devices), NAME,
                          progress)
    data = {}
    try:
        for label, p in devices:
            trains = []
            for w in widths:
                res = fig2d.run_trains(runner, p, dict(cfg, pulse_width_s=w), f"{label or 'device'} {w:g} s")
                trains.append(res)
                data.update(train_record(join("/trains", label, f"width_{w:g}s"), res["G_S"]))
            data.update(width_quantities(join("/derived", label), widths, trains))
    finally:
        runner.close()
    data.update(train_scheme_quantities(cfg))
    data.update(parameter_quantities(params))
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": {"note": "the paper fixes 1 ms (Fig. 2d: NL 0.13-0.17); the sweep is "
                                                 "beyond the paper"}})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    groups = [(g, name) for g, name in GROUPS if f"{g}/NL" in d]
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.4))
    for g, name in groups:
        w = np.asarray(d[f"{g}/width_s"].values)
        ax[0].semilogx(w, d[f"{g}/NL"].values, "o-", label=f"{name}, mean over cycles")
        ax[0].semilogx(w, d[f"{g}/NL_last_cycle"].values, "x--", label=f"{name}, last cycle")
        ax[1].loglog(w, np.asarray(d[f"{g}/G_max_S"].values) * 1e6, "o-", label=f"{name} G_max")
        ax[1].loglog(w, np.asarray(d[f"{g}/G_min_S"].values) * 1e6, "s--", label=f"{name} G_min")
        ax[2].semilogx(w, d[f"{g}/first_step_share_potentiation"].values, "o-", label=f"{name}, potentiation")
        ax[2].semilogx(w, d[f"{g}/first_step_share_depression"].values, "s--", label=f"{name}, depression")
    ax[0].axhspan(0.13, 0.17, color="tab:green", alpha=0.2, label="paper, 1 ms")
    ax[0].set(xlabel="pulse width (s)", ylabel="NL (eq. 1)", title="NL vs write-pulse width")
    ax[1].set(xlabel="pulse width (s)", ylabel="G (uS)", title=f"window, read at {r.config['V_read_V']} V")
    ax[2].set(xlabel="pulse width (s)", ylabel="share of the branch swing", title="first-pulse step")
    for a in ax:
        a.legend(fontsize=7)
    save_figure(fig, png_path, "Fig. 2d scheme vs pulse width (the paper: 1 ms)")
