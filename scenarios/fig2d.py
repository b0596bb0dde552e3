"""Fig. 2d–f: potentiation/depression pulse trains, the paper's NL (eq. 1) and ΔG per pulse.

The paper's scheme: P potentiation pulses of +V_start → +V_stop in steps of step_V (2 → 5 V in 20 mV:
150 pulses), then P depression pulses of −V_start → −V_stop, each ``pulse_width_s`` wide (1 ms) and
followed by a read; ``cycles`` cycles (5), each continuing from the state the previous one left. The
``scheme`` "identical" replaces the ramps by P pulses of ±``identical_amplitude_V`` (Fig. S6).

Derived (``/derived``): the conductance after every pulse ``G_pulse_S`` (cycle, pulse) with the
amplitudes, NL per cycle and its mean (:func:`ftjphys.plasticity.paper_nl`), the window G_min/G_max of
the cycle-mean train, ΔG per pulse of each branch (Fig. 2e,f: mean, spread, largest step, smoothness =
max|ΔG|/mean|ΔG|). Channel split (first cycle): the conductance with each column's polarization as
simulated but its vacancies held where they were at the start of the cycle, ``G_polarization_only_S``;
``polarization_share`` is the fraction of the potentiation swing that the polarization channel alone
gives. ``NL_switched_fraction``: eq. (1) applied to the switched fraction of the ensemble, the column mean
of (P/Ps + 1)/2 clipped to [0, 1] (Ps of the film): the polarization dynamics' own nonlinearity, without
the exponential dependence of the tunnel conductance on P. The literature set's numbers go to
``/derived/literature/``.
"""

from __future__ import annotations

import numpy as np

from ftjphys.device import Device
from ftjphys.landau import film_landau
from ftjphys.plasticity import paper_nl, step_statistics
from ftjphys.protocols import Protocol, PulseTrain, Read

from .common import open_result_for_plot, parameter_quantities, save_figure
from .store import Quantity, RunResult
from .switching import DeviceRunner, base_config, initial_state, join, parameter_sets, read_times

NAME = "fig2d"
DESCRIPTION = "Fig. 2d-f: LTP/LTD pulse trains (2->5 V, 20 mV steps, 1 ms), NL (eq. 1), dG per pulse, channel split"


#: the configuration keys of a train (the rest is the common switching configuration)
TRAIN_KEYS = ("overrides", "scheme", "V_start_V", "V_stop_V", "step_V", "identical_amplitude_V", "pulse_width_s",
              "interval_s", "cycles", "channel_split")


def config(quick: bool = False) -> dict:
    cfg = base_config(quick, {"domains.columns": 2})
    cfg.update({
        "scheme": "stepped",
        "V_start_V": 2.0,
        "V_stop_V": 5.0,
        "step_V": 0.5 if quick else 0.02,
        "identical_amplitude_V": 3.5,
        "pulse_width_s": 1e-3,
        "interval_s": 1e-6,
        "cycles": 2 if quick else 5,
        "channel_split": True,
        # the literature set's trains would double a long run; its switching has no traps (Fig. 2c)
        "literature_comparison": False,
    })
    return cfg


def pulse_amplitudes(cfg: dict) -> np.ndarray:
    """The 2P write amplitudes of one cycle: P potentiation then P depression pulses."""
    if cfg["scheme"] == "stepped":
        up = np.asarray(PulseTrain.stepped(cfg["V_start_V"], cfg["V_stop_V"], step_V=cfg["step_V"],
                                           width_s=cfg["pulse_width_s"]).amplitudes_V)
    elif cfg["scheme"] == "identical":
        n = int(round((cfg["V_stop_V"] - cfg["V_start_V"]) / cfg["step_V"]))
        up = np.full(n, float(cfg["identical_amplitude_V"]))
    else:
        raise ValueError(f"scheme = {cfg['scheme']!r} is unknown; allowed: 'stepped', 'identical'")
    return np.concatenate((up, -up))


def cycle_protocol(amplitudes_V, cfg: dict) -> Protocol:
    train = PulseTrain(tuple(float(a) for a in amplitudes_V), float(cfg["pulse_width_s"]),
                       interval_s=float(cfg["interval_s"]), read=Read(float(cfg["V_read_V"]), float(cfg["read_width_s"])),
                       label="write")
    return Protocol((train,), name=f"{cfg['scheme']} potentiation/depression cycle")


def run_trains(runner: DeviceRunner, params, cfg: dict, label: str = "") -> dict:
    """All cycles of the configured train on ``params``: G after every pulse, per-column P and, for the
    first cycle with ``channel_split``, the polarization-only conductance."""
    amps = pulse_amplitudes(cfg)
    wf = cycle_protocol(amps, cfg).compile()
    t = read_times(wf)
    V_read = float(cfg["V_read_V"])
    states, G, P = None, [], []
    G_pol = None
    device = Device(params)
    for c in range(int(cfg["cycles"])):
        keep = bool(cfg.get("channel_split")) and c == 0
        run = runner.run(params, wf, t, initial_state(cfg), f"{label} cycle {c + 1}", states=states,
                         keep_states=keep)
        if keep:
            start = states if states is not None else device.initial_states(wf, initial_state(cfg))[1]
            G_pol = device.frozen_vacancy_currents_A(run.states_out, start, V_read) / V_read
        states = run.final_states
        G.append(run.I_A / V_read)
        P.append(run.P_columns_C_per_m2)
    return {"amplitudes_V": amps, "G_S": np.array(G), "P": np.array(P), "G_pol_S": G_pol,
            "Ps_C_per_m2": film_landau(params).spontaneous_polarization_C_per_m2()}


def train_summary(G_S) -> dict:
    """Figures of merit of trains G[cycle, 2P]: eq. (1) per cycle (``NL_cycles``), the window of the
    cycle-mean train (``G_min_S``, ``G_max_S``) and the step statistics of both branches."""
    G = np.asarray(G_S, dtype=float)
    mean_train = G.mean(axis=0)
    pot, dep = step_statistics(G)
    return {"NL_cycles": np.atleast_1d(paper_nl(G)), "G_min_S": float(mean_train.min()),
            "G_max_S": float(mean_train.max()), "potentiation": pot, "depression": dep}


def train_quantities(prefix: str, derived: str, res: dict) -> dict:
    """Datasets of one device's trains under ``prefix`` and its figures of merit under ``derived``."""
    G = res["G_S"]
    n_cycles, n = G.shape
    summary = train_summary(G)
    nl = summary["NL_cycles"]
    pot, dep = summary["potentiation"], summary["depression"]
    out = {
        f"{prefix}/cycle": Quantity(np.arange(n_cycles), "1", "cycle number", ("cycle",)),
        f"{prefix}/pulse_index": Quantity(np.arange(n), "1", "pulse number in the cycle", ("pulse_index",)),
        f"{prefix}/column": Quantity(np.arange(res["P"].shape[1]), "1", "domain column", ("column",)),
        f"{prefix}/P_C_per_m2": Quantity(res["P"], "C/m^2", "polarization of each column at each read",
                                         ("cycle", "column", "pulse_index")),
        f"{derived}/cycle": Quantity(np.arange(n_cycles), "1", "cycle number", ("cycle",)),
        f"{derived}/pulse_index": Quantity(np.arange(n), "1", "pulse number in the cycle", ("pulse_index",)),
        f"{derived}/G_pulse_S": Quantity(G, "S", "conductance read after each pulse (P potentiation, then P "
                                         "depression)", ("cycle", "pulse_index")),
        f"{derived}/pulse_amplitude_V": Quantity(res["amplitudes_V"], "V", "write amplitude of each pulse",
                                                 ("pulse_index",)),
        f"{derived}/NL_cycles": Quantity(nl, "1", "paper eq. (1) per cycle", ("cycle",)),
        f"{derived}/NL": Quantity(float(np.mean(nl)), "1", "paper eq. (1), mean over cycles"),
        f"{derived}/NL_switched_fraction": Quantity(
            float(np.mean(paper_nl(np.clip((res["P"] / res["Ps_C_per_m2"] + 1.0) / 2.0, 0.0, 1.0).mean(axis=1)))),
            "1", "paper eq. (1) of the ensemble's switched fraction (column mean of (P/Ps + 1)/2), mean over cycles"),
        f"{derived}/G_min_S": Quantity(summary["G_min_S"], "S", "lowest conductance of the cycle-mean train"),
        f"{derived}/G_max_S": Quantity(summary["G_max_S"], "S", "highest conductance of the cycle-mean train"),
    }
    for name, st in (("potentiation", pot), ("depression", dep)):
        out.update({
            f"{derived}/dG_{name}_mean_S": Quantity(st.mean_S, "S", f"mean dG per {name} pulse"),
            f"{derived}/dG_{name}_std_S": Quantity(st.std_S, "S", f"standard deviation of dG per {name} pulse"),
            f"{derived}/dG_{name}_largest_S": Quantity(st.largest_S, "S", f"{name} step of largest magnitude"),
            f"{derived}/smoothness_{name}": Quantity(st.smoothness, "1",
                                                     f"max |dG| / mean |dG| of the {name} steps"),
        })
    if res["G_pol_S"] is not None:
        Gp = res["G_pol_S"]
        P = n // 2
        swing = G[0, P - 1] - G[0, 0]
        share = (Gp[P - 1] - Gp[0]) / swing if swing != 0 else float("nan")
        out.update({
            f"{derived}/G_polarization_only_S": Quantity(Gp, "S", "first cycle: conductance with the vacancies held "
                                                         "at the start of the cycle (polarization channel)",
                                                         ("pulse_index",)),
            f"{derived}/polarization_share": Quantity(float(share), "1", "fraction of the first potentiation "
                                                      "swing given by the polarization channel alone"),
        })
    return out


def run(cfg: dict, progress: bool = True) -> RunResult:
    sets = parameter_sets(cfg)
    runner = DeviceRunner(sum(p.domains.columns for _, p in sets) * int(cfg["cycles"]), NAME, progress)
    data = {}
    try:
        for label, params in sets:
            res = run_trains(runner, params, cfg, params.name)
            data.update(train_quantities(join("/trains", label), join("/derived", label), res))
            data[join("/derived", label, "read_voltage_V")] = Quantity(float(cfg["V_read_V"]), "V", "read voltage")
            data[join("/derived", label, "pulse_width_s")] = Quantity(float(cfg["pulse_width_s"]), "s",
                                                                      "write-pulse width (flat top)")
            if not label:
                data.update(parameter_quantities(params))
    finally:
        runner.close()
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": {"note": "paper: NL 0.13-0.17, G 40-90 uS, dG +0.32/-0.36 uS"}})


def plot_trains(axes, d: dict, derived: str, title: str) -> None:
    """G(pulse) of every cycle with the polarization-only curve, and dG against G (Fig. 2d-f panels)."""
    G = np.asarray(d[f"{derived}/G_pulse_S"].values) * 1e6
    n = G.shape[1]
    a0, a1 = axes
    for c, g in enumerate(G):
        a0.plot(np.arange(n) + c * n, g, "-", lw=0.8, color="tab:blue")
    if f"{derived}/G_polarization_only_S" in d:
        a0.plot(np.arange(n), np.asarray(d[f"{derived}/G_polarization_only_S"].values) * 1e6, "--",
                color="tab:orange", lw=0.8, label="polarization channel alone (cycle 1)")
        a0.legend(fontsize=7)
    a0.set(xlabel="pulse number", ylabel="G (uS)",
           title=f"{title}: NL {float(d[f'{derived}/NL'].values):.3f}")
    P = n // 2
    steps = np.diff(G, axis=1)
    a1.plot(G[:, 1:P].ravel(), steps[:, : P - 1].ravel(), ".", ms=2, label="potentiation")
    a1.plot(G[:, P:].ravel(), steps[:, P - 1:].ravel(), ".", ms=2, label="depression")
    a1.axhline(0, color="k", lw=0.5)
    a1.set(xlabel="G (uS)", ylabel="dG per pulse (uS)", title="Fig. 2e,f")
    a1.legend(fontsize=7)


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    groups = [g for g in ("/derived", "/derived/literature") if f"{g}/G_pulse_S" in d]
    fig, ax = plt.subplots(len(groups), 2, figsize=(12, 4.2 * len(groups)), squeeze=False)
    for row, g in zip(ax, groups):
        plot_trains(row, d, g, "literature" if g.endswith("literature") else r.config["parameter_set"])
    title = (f"Fig. 2d-f: {r.config['scheme']} pulse trains of {float(r.config['pulse_width_s']):g} s writes, "
             f"read at {r.config['V_read_V']} V")
    save_figure(fig, png_path, title)
