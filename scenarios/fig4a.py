"""Fig. 4a (and Fig. S8): the STDP window of the junction from spike pairs.

Pre- and post-synaptic spikes of one shape (the paper's Fig. 4a inset: a sharp pulse followed by a
slower tail of opposite sign) drive the top and bottom electrodes; the junction sees
V(τ) = V_pre(τ) − V_post(τ − Δt) (:class:`ftjphys.protocols.SpikePair`). Alone, a spike stays below the
switching threshold; where one spike's sharp pulse overlaps the other's tail the sum exceeds it, by an
amount that decays with |Δt|. With the sharp pulse negative and the tail positive, post after pre
(Δt > 0) gives a positive overshoot (potentiation), post before pre a negative one (depression).

The spike (``spike``): sharp pulse of ``peak_V`` for ``peak_width_s`` (edges ``edge_s``), then the tail
jumps to ``tail_V`` and decays linearly to 0 over ``tail_s``. For each initial state (a write pulse
``prepare_V`` for 1 ms from the configured initial state, Fig. S8) and each delay, the device is read,
driven by the pair and read again: ΔW = (G_after − G_before)/G_before in %. Each delay starts from the
same prepared state. Eq. (2) is fitted with offsets free (:func:`ftjphys.plasticity.fit_stdp_window`).
``/derived`` holds the fit of the first initial state and the per-state fits along ``initial_state``.

Controls: the same read-drive-read with the pre spike alone and with the post spike alone
(``/derived/dW_lone_pre_percent_states``, ``/derived/dW_lone_post_percent_states``). A spike design is
sub-threshold when both stay near zero; then the window comes from the overlap alone. When they do not,
the lone spikes' own writes set the offsets dW0 and, for a device whose reverse switching from a partly
written state is easier than continuing it, push both branches towards depression.
"""

from __future__ import annotations

import numpy as np

from ftjphys.compact_fit import STDP_TAU_MAX_SPAN, fit_stdp_window, stdp_tau_max_s
from ftjphys.protocols import Hold, Protocol, Pulse, Read, SpikePair

from .common import open_result_for_plot, parameter_quantities, save_figure
from .store import Quantity, RunResult
from .switching import DeviceRunner, base_config, initial_state, parameter_sets, read_times

NAME = "fig4a"
DESCRIPTION = "Fig. 4a/S8: STDP window from pre/post spike pairs, eq. (2) fit, three initial states"

FIT_NAMES = ("A_plus", "A_minus", "tau_plus_s", "tau_minus_s", "dW0_plus", "dW0_minus")
FIT_UNITS = {"A_plus": "%", "A_minus": "%", "tau_plus_s": "s", "tau_minus_s": "s", "dW0_plus": "%",
             "dW0_minus": "%"}


def config(quick: bool = False) -> dict:
    cfg = base_config(quick, {"domains.columns": 1})
    cfg.update({
        "spike": {"peak_V": -1.6, "peak_width_s": 2e-4, "edge_s": 1e-5, "tail_V": 1.4, "tail_s": 5e-3},
        "delays_s": ([1e-4, 1e-3, 2.5e-3, 4e-3] if quick else
                     [5e-5, 2e-4, 5e-4, 1e-3, 1.5e-3, 2e-3, 2.5e-3, 3e-3, 3.5e-3, 4e-3, 4.5e-3]),
        "prepare_V": [2.6] if quick else [2.6, 2.8, 3.0],
        "prepare_width_s": 1e-3,
        "settle_s": 1e-3,
        "literature_comparison": False,
    })
    return cfg


def spike_corners(spike: dict) -> list[tuple[float, float]]:
    """(t, V) corners of one spike from its onset: the sharp pulse, then the linearly decaying tail."""
    e, w = float(spike["edge_s"]), float(spike["peak_width_s"])
    pk, tail, T = float(spike["peak_V"]), float(spike["tail_V"]), float(spike["tail_s"])
    return [(0.0, 0.0), (e, pk), (e + w, pk), (2 * e + w, tail), (2 * e + w + T, 0.0)]


def read_drive_read(drive: SpikePair, cfg: dict, name: str) -> Protocol:
    """Read, ``drive``, read (each after ``settle_s`` at 0 V)."""
    read = Read(float(cfg["V_read_V"]), float(cfg["read_width_s"]))
    settle = Hold(float(cfg["settle_s"]))
    return Protocol((settle, read, settle, drive, settle, read), name=name)


def pair_protocol(delay_s: float, cfg: dict) -> Protocol:
    """Read, the spike pair at ``delay_s``, read."""
    corners = spike_corners(cfg["spike"])
    return read_drive_read(SpikePair(corners, corners, float(delay_s)), cfg, f"spike pair {delay_s:+g} s")


def lone_spike_protocol(which: str, cfg: dict) -> Protocol:
    """Read, the ``which`` ("pre" or "post") spike alone, read: the control of :func:`pair_protocol`."""
    corners = spike_corners(cfg["spike"])
    silent = [(0.0, 0.0), (corners[-1][0], 0.0)]
    pre, post = (corners, silent) if which == "pre" else (silent, corners)
    return read_drive_read(SpikePair(pre, post, 0.0), cfg, f"{which} spike alone")


def weight_change_percent(runner: DeviceRunner, params, cfg: dict, states, protocol: Protocol) -> tuple[float, float]:
    """ΔW = G_after/G_before - 1 in % of ``protocol`` (read, drive, read) from ``states``, and G_before (S)."""
    wf = protocol.compile()
    R = runner.run(params, wf, read_times(wf), initial_state(cfg), protocol.name, states=states).R_ohm
    return 100.0 * (R[0] / R[1] - 1.0), 1.0 / float(R[0])


def prepared_states(runner: DeviceRunner, params, cfg: dict, V: float):
    wf = Protocol((Pulse(float(V), float(cfg["prepare_width_s"])), Hold(float(cfg["settle_s"])))).compile()
    return runner.run(params, wf, [], initial_state(cfg), f"prepare {V:g} V").final_states


def window(runner: DeviceRunner, params, cfg: dict, states) -> tuple[np.ndarray, np.ndarray, float]:
    """Delays (both signs, sorted), ΔW in % from ``states``, and the conductance of ``states`` (the read
    before the pair, the same for every delay)."""
    delays = np.array(sorted([-d for d in cfg["delays_s"]] + list(cfg["delays_s"])))
    dW = [weight_change_percent(runner, params, cfg, states, pair_protocol(dt, cfg)) for dt in delays]
    return delays, np.array([w for w, _ in dW]), dW[-1][1]


def run(cfg: dict, progress: bool = True) -> RunResult:
    (label, params), = parameter_sets(dict(cfg, literature_comparison=False))
    n_runs = len(cfg["prepare_V"]) * (3 + 2 * len(cfg["delays_s"]))
    runner = DeviceRunner(params.domains.columns * n_runs, NAME, progress)
    fits, dWs, G0, lone = [], [], [], []
    try:
        for V in cfg["prepare_V"]:
            states = prepared_states(runner, params, cfg, V)
            delays, dW, G = window(runner, params, cfg, states)
            fits.append(fit_stdp_window(delays, dW)[0])
            dWs.append(dW)
            G0.append(G)
            lone.append([weight_change_percent(runner, params, cfg, states, lone_spike_protocol(w, cfg))[0]
                         for w in ("pre", "post")])
    finally:
        runner.close()
    corners = np.array(spike_corners(cfg["spike"]))
    data = {
        "/stdp/initial_state": Quantity(np.array(cfg["prepare_V"], dtype=float), "V",
                                        "prepared by a write pulse of this amplitude", ("initial_state",)),
        "/stdp/corner": Quantity(np.arange(len(corners)), "1", "spike corner", ("corner",)),
        "/stdp/spike_t_s": Quantity(corners[:, 0], "s", "spike corner times from onset", ("corner",)),
        "/stdp/spike_V": Quantity(corners[:, 1], "V", "spike corner voltages", ("corner",)),
        "/derived/initial_state": Quantity(np.array(cfg["prepare_V"], dtype=float), "V",
                                           "prepared by a write pulse of this amplitude", ("initial_state",)),
        "/derived/dt_s": Quantity(delays, "s", "delay t_post - t_pre", ("dt_s",)),
        "/derived/dW_percent_states": Quantity(np.array(dWs), "%", "weight change (G_after/G_before - 1) per "
                                               "initial state", ("initial_state", "dt_s")),
        "/derived/dW_percent": Quantity(dWs[0], "%", "weight change from the first initial state", ("dt_s",)),
        "/derived/G_initial_S": Quantity(np.array(G0), "S", "conductance of each prepared state",
                                         ("initial_state",)),
        "/derived/dW_lone_pre_percent_states": Quantity(np.array(lone)[:, 0], "%", "control: weight change "
                                                        "from the pre spike alone", ("initial_state",)),
        "/derived/dW_lone_post_percent_states": Quantity(np.array(lone)[:, 1], "%", "control: weight change "
                                                         "from the post spike alone", ("initial_state",)),
    }
    for name in FIT_NAMES:
        vals = np.array([getattr(f, name) for f in fits])
        data[f"/derived/{name}"] = Quantity(float(vals[0]), FIT_UNITS[name], f"eq. (2) fit, {name}")
        data[f"/derived/{name}_states"] = Quantity(vals, FIT_UNITS[name], f"eq. (2) fit per initial state",
                                                   ("initial_state",))
    tau_cap = stdp_tau_max_s(delays)        # the delays are symmetric: each side's bound
    for side in ("plus", "minus"):
        data[f"/derived/tau_{side}_at_bound_states"] = Quantity(
            np.array([getattr(f, f"tau_{side}_s") >= (1.0 - 1e-6) * tau_cap for f in fits]), "1",
            f"the fitted tau_{side} sits at its bound ({STDP_TAU_MAX_SPAN:g} x the longest delay): the side is a "
            "straight line within the delays, and its A and dW0 are set by the bound", ("initial_state",))
    ratio = np.array([f.A_plus / f.A_minus for f in fits])
    data["/derived/A_ratio"] = Quantity(float(ratio[0]), "1", "A+/A- (paper 0.96)")
    data["/derived/tau_ratio"] = Quantity(float(fits[0].tau_plus_s / fits[0].tau_minus_s), "1", "tau+/tau- (paper 0.90)")
    data["/derived/A_ratio_states"] = Quantity(ratio, "1", "A+/A- per initial state", ("initial_state",))
    data["/derived/A_ratio_spread"] = Quantity(float((ratio.max() - ratio.min()) / ratio.mean()), "1",
                                               "(max - min)/mean of A+/A- over the initial states")
    data.update(parameter_quantities(params))
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": {"note": "paper: A+/A- 50.01/52.18 %, tau 1.00/1.11 ms, dW0 0.20/2.14 %"}})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    dt = np.asarray(d["/derived/dt_s"].values)
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    for k, (V, dW) in enumerate(zip(d["/derived/initial_state"].values, d["/derived/dW_percent_states"].values)):
        label = f"prepared at {V:g} V"
        if "/derived/dW_lone_pre_percent_states" in d:
            label += (f" (alone: pre {float(d['/derived/dW_lone_pre_percent_states'].values[k]):+.0f} %, "
                      f"post {float(d['/derived/dW_lone_post_percent_states'].values[k]):+.0f} %)")
        line, = ax[0].plot(dt * 1e3, dW, "o", ms=4, label=label)
        vals = {n: float(d[f"/derived/{n}_states"].values[k]) for n in FIT_NAMES}
        x = np.linspace(dt.min(), dt.max(), 400)
        y = np.where(x > 0, vals["A_plus"] * np.exp(-x / vals["tau_plus_s"]) + vals["dW0_plus"],
                     -vals["A_minus"] * np.exp(x / vals["tau_minus_s"]) + vals["dW0_minus"])
        ax[0].plot(x * 1e3, y, "-", lw=0.8, color=line.get_color())
    ax[0].axhline(0, color="k", lw=0.5)
    ax[0].set(xlabel="delay t_post - t_pre (ms)", ylabel="dW (%)",
              title=f"A+/A- {float(d['/derived/A_ratio'].values):.2f}, tau+/tau- {float(d['/derived/tau_ratio'].values):.2f}")
    ax[0].legend(fontsize=8)
    ax[1].plot(np.asarray(d["/stdp/spike_t_s"].values) * 1e3, d["/stdp/spike_V"].values, "-o", ms=3)
    ax[1].set(xlabel="time from onset (ms)", ylabel="V (V)", title="spike shape (pre on top, post on bottom)")
    save_figure(fig, png_path, "Fig. 4a: STDP window of the junction")
