"""Fig. 4a (and Fig. S8): the STDP window of the junction from spike pairs.

Pre- and post-synaptic spikes (the paper's Fig. 4a inset: a sharp pulse followed by a slower tail of
opposite sign) drive the top and bottom electrodes; the junction sees V(τ) = V_pre(τ) − V_post(τ − Δt)
(:class:`ftjphys.protocols.SpikePair`). Alone, each spike stays below the switching thresholds; where one
spike's sharp pulse overlaps the other's tail the sum exceeds them, by an amount that decays with |Δt|.
With the sharp pulse negative and the tail positive, post after pre (Δt > 0) gives a positive overshoot
(potentiation: post peak + pre tail), post before pre a negative one (depression: pre peak + post tail).

The spike (``spike``): sharp pulse of ``peak_V`` for ``peak_width_s`` (edges ``edge_s``), then the tail
jumps to ``tail_V`` and decays to 0 over ``tail_s``: linearly, or with ``tail_tau_s`` exponentially
(then it falls to 0 at ``tail_s``). An exponential tail makes the window exponential in Δt, as eq. (2)
assumes: the junction's write grows about exponentially with the overshoot, so a linear tail cuts the
window off where the overshoot meets the threshold, and the fit then needs large offsets.
``post_spike`` overrides keys of the pre spike for the post spike. The default post spike swaps the pre
spike's amplitudes (peak −1.22 V, tail +0.9 V against −0.9 V / +1.22 V): the largest overshoots are then
+2.44 V (Δt → 0+) and −1.8 V (Δt → 0−), in the ratio of the junction's set and reset thresholds (Fig. 2b),
so that both branches write about equally; a single shape for both spikes gives a depression-dominated
window (A+/A− 0.3).

Initial states (Fig. S8): a write pulse ``prepare_V`` and then the conditioning pulse ``condition_V``
(both ``prepare_width_s`` wide). A write leaves the ensemble's softest domain columns set on the edge of
their retention: a negative excursion of a few hundred mV flips them back (200 µs at −0.5 V after a 3.2 V
write: −1.6 %), so no spike of this shape family would be sub-threshold. The conditioning pulse resets
those columns, as a program-and-verify scheme would; the columns it leaves set, and those it leaves
reset, need the spikes' overlap to switch.

For each initial state and each delay the device is read, driven by the pair and read again:
ΔW = (G_after − G_before)/G_before in %. Each delay starts from the same prepared state. Eq. (2) is
fitted with offsets free (:func:`ftjphys.compact_fit.fit_stdp_window`). ``/derived`` holds the fit of the
first initial state and the per-state fits along ``initial_state``.

Controls: the same read-drive-read with the pre spike alone and with the post spike alone
(``/derived/dW_lone_pre_percent_states``, ``/derived/dW_lone_post_percent_states``). A spike design is
sub-threshold when both stay near zero; then the window comes from the overlap alone. When they do not,
the lone spikes' own writes set the offsets dW0.
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
    cfg = base_config(quick, {"domains.columns": 8})
    cfg.update({
        "spike": {"peak_V": -0.9, "peak_width_s": 2e-4, "edge_s": 1e-5, "tail_V": 1.22, "tail_s": 1.5e-2,
                  "tail_tau_s": 3e-3},
        "post_spike": {"peak_V": -1.22, "tail_V": 0.9},
        "delays_s": ([2e-4, 1e-3, 3e-3, 6e-3] if quick else
                     [1e-4, 2e-4, 5e-4, 1e-3, 1.5e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 8e-3, 1e-2]),
        "prepare_V": [3.2] if quick else [3.2, 3.6, 4.0],
        "prepare_width_s": 1e-3,
        "condition_V": -1.2,
        "settle_s": 1e-3,
        "literature_comparison": False,
    })
    return cfg


#: corners of an exponential tail (piecewise linear between them)
EXPONENTIAL_TAIL_CORNERS = 24


def spike_corners(spike: dict) -> list[tuple[float, float]]:
    """(t, V) corners of one spike from its onset: the sharp pulse, then the tail. The tail decays
    linearly to 0 over ``tail_s``, or with ``tail_tau_s`` as tail_V·exp(−t/tail_tau_s) up to ``tail_s``
    (sampled at :data:`EXPONENTIAL_TAIL_CORNERS` corners), then falls to 0 within ``edge_s``."""
    e, w = float(spike["edge_s"]), float(spike["peak_width_s"])
    pk, tail, T = float(spike["peak_V"]), float(spike["tail_V"]), float(spike["tail_s"])
    head = [(0.0, 0.0), (e, pk), (e + w, pk)]
    if spike.get("tail_tau_s") is None:
        return head + [(2 * e + w, tail), (2 * e + w + T, 0.0)]
    t = np.linspace(0.0, T, EXPONENTIAL_TAIL_CORNERS)
    V = tail * np.exp(-t / float(spike["tail_tau_s"]))
    return head + [(2 * e + w + a, b) for a, b in zip(t, V)] + [(3 * e + w + T, 0.0)]


def read_drive_read(drive: SpikePair, cfg: dict, name: str) -> Protocol:
    """Read, ``drive``, read (each after ``settle_s`` at 0 V)."""
    read = Read(float(cfg["V_read_V"]), float(cfg["read_width_s"]))
    settle = Hold(float(cfg["settle_s"]))
    return Protocol((settle, read, settle, drive, settle, read), name=name)


def pre_post_corners(cfg: dict) -> tuple[list, list]:
    """Corners of the pre and the post spike (``post_spike`` None: the pre spike's shape)."""
    post = cfg.get("post_spike") or cfg["spike"]
    return spike_corners(cfg["spike"]), spike_corners({**cfg["spike"], **post})


def pair_protocol(delay_s: float, cfg: dict) -> Protocol:
    """Read, the spike pair at ``delay_s``, read."""
    pre, post = pre_post_corners(cfg)
    return read_drive_read(SpikePair(pre, post, float(delay_s)), cfg, f"spike pair {delay_s:+g} s")


def lone_spike_protocol(which: str, cfg: dict) -> Protocol:
    """Read, the ``which`` ("pre" or "post") spike alone, read: the control of :func:`pair_protocol`."""
    pre, post = pre_post_corners(cfg)
    if which == "pre":
        post = [(0.0, 0.0), (pre[-1][0], 0.0)]
    else:
        pre = [(0.0, 0.0), (post[-1][0], 0.0)]
    return read_drive_read(SpikePair(pre, post, 0.0), cfg, f"{which} spike alone")


def weight_change_percent(runner: DeviceRunner, params, cfg: dict, states, protocol: Protocol) -> tuple[float, float]:
    """ΔW = G_after/G_before - 1 in % of ``protocol`` (read, drive, read) from ``states``, and G_before (S)."""
    wf = protocol.compile()
    R = runner.run(params, wf, read_times(wf), initial_state(cfg), protocol.name, states=states).R_ohm
    return 100.0 * (R[0] / R[1] - 1.0), 1.0 / float(R[0])


def condition_voltages(cfg: dict) -> list:
    """The conditioning pulse of each initial state (None: none); ``condition_V`` is one value for all
    states or one per ``prepare_V``."""
    c = cfg.get("condition_V")
    return list(c) if isinstance(c, (list, tuple)) else [c] * len(cfg["prepare_V"])


def prepared_states(runner: DeviceRunner, params, cfg: dict, V: float, condition_V: float | None = None):
    """The column states after the write pulse ``V`` and the conditioning pulse ``condition_V`` (if any),
    both ``prepare_width_s`` wide, each followed by ``settle_s`` at 0 V."""
    width, settle = float(cfg["prepare_width_s"]), Hold(float(cfg["settle_s"]))
    steps = [Pulse(float(V), width), settle]
    if condition_V is not None:
        steps += [Pulse(float(condition_V), width), settle]
    wf = Protocol(tuple(steps)).compile()
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
    conditions = condition_voltages(cfg)
    try:
        for V, Vc in zip(cfg["prepare_V"], conditions):
            states = prepared_states(runner, params, cfg, V, Vc)
            delays, dW, G = window(runner, params, cfg, states)
            fits.append(fit_stdp_window(delays, dW)[0])
            dWs.append(dW)
            G0.append(G)
            lone.append([weight_change_percent(runner, params, cfg, states, lone_spike_protocol(w, cfg))[0]
                         for w in ("pre", "post")])
    finally:
        runner.close()
    pre_corners, post_corners = (np.array(c) for c in pre_post_corners(cfg))
    conditioning = np.array([np.nan if v is None else float(v) for v in conditions])
    data = {
        "/stdp/initial_state": Quantity(np.array(cfg["prepare_V"], dtype=float), "V",
                                        "prepared by a write pulse of this amplitude", ("initial_state",)),
        "/stdp/condition_V": Quantity(conditioning, "V", "conditioning pulse after the write (NaN: none)",
                                      ("initial_state",)),
        "/stdp/corner": Quantity(np.arange(len(pre_corners)), "1", "pre spike corner", ("corner",)),
        "/stdp/spike_t_s": Quantity(pre_corners[:, 0], "s", "pre spike corner times from onset", ("corner",)),
        "/stdp/spike_V": Quantity(pre_corners[:, 1], "V", "pre spike corner voltages", ("corner",)),
        "/stdp/post_corner": Quantity(np.arange(len(post_corners)), "1", "post spike corner", ("post_corner",)),
        "/stdp/post_spike_t_s": Quantity(post_corners[:, 0], "s", "post spike corner times from onset",
                                         ("post_corner",)),
        "/stdp/post_spike_V": Quantity(post_corners[:, 1], "V", "post spike corner voltages (applied to the "
                                       "bottom electrode)", ("post_corner",)),
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
        data[f"/derived/{name}_states"] = Quantity(vals, FIT_UNITS[name], "eq. (2) fit per initial state",
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
            label += (f" (alone: pre {float(d['/derived/dW_lone_pre_percent_states'].values[k]):+.2f} %, "
                      f"post {float(d['/derived/dW_lone_post_percent_states'].values[k]):+.2f} %)")
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
    ax[1].plot(np.asarray(d["/stdp/spike_t_s"].values) * 1e3, d["/stdp/spike_V"].values, "-", label="pre (top)")
    if "/stdp/post_spike_t_s" in d:
        ax[1].plot(np.asarray(d["/stdp/post_spike_t_s"].values) * 1e3, d["/stdp/post_spike_V"].values, "--",
                   label="post (bottom)")
    ax[1].set(xlabel="time from onset (ms)", ylabel="V (V)", title="spike shapes")
    ax[1].legend(fontsize=8)
    save_figure(fig, png_path, "Fig. 4a: STDP window of the junction")
