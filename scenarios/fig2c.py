"""Fig. 2c: retention of three states (HRS, intermediate, LRS).

Each state is prepared from the configured initial state (HRS-like by default) by one write pulse
(``states``: name, amplitude, flat-top width; chosen, not fitted) and then held at 0 V up to ``t_hold_s``
after the end of the pulse, with reads at V_read at log-spaced times (``reads_per_decade`` from
``t_first_read_s``; the read's flat top ends at each time, Holds at 0 V in between). Derived per state:
the drift max |R(t)/R(t_first_read) - 1| over the hold, the first and last read resistance. The switching
parameters of ``yang2022`` come from ``scenarios/calibrate_switching``. The literature set's numbers are
stored under ``/derived/literature/``.
"""

from __future__ import annotations

import numpy as np

from ftjphys.protocols import Hold, Protocol, Pulse, Read

from .common import open_result_for_plot, parameter_quantities, save_figure
from .store import Quantity, RunResult
from .switching import QUICK_LOOP_OVERRIDES, DeviceRunner, base_config, initial_state, join, parameter_sets

NAME = "fig2c"
DESCRIPTION = "Fig. 2c: retention of HRS, intermediate and LRS states at 0 V; R(t) and drift"


def config(quick: bool = False) -> dict:
    cfg = base_config(quick, QUICK_LOOP_OVERRIDES)
    cfg.update({
        "states": [
            {"name": "HRS", "amplitude_V": -4.0, "width_s": 1e-3},
            {"name": "intermediate", "amplitude_V": 1.5, "width_s": 1e-5},
            {"name": "LRS", "amplitude_V": 4.0, "width_s": 1e-3},
        ],
        "t_first_read_s": 1e-3,
        "t_hold_s": 10.0 if quick else 1e4,
        "reads_per_decade": 1 if quick else 2,
    })
    return cfg


def read_schedule(cfg: dict) -> np.ndarray:
    """Read times after the end of the write pulse: log-spaced from t_first_read_s to t_hold_s (both
    included when t_hold_s / t_first_read_s is a whole number of steps)."""
    t0, t1, k = float(cfg["t_first_read_s"]), float(cfg["t_hold_s"]), int(cfg["reads_per_decade"])
    if not (0 < t0 < t1) or k < 1:
        raise ValueError(f"t_first_read_s = {t0!r}, t_hold_s = {t1!r}, reads_per_decade = {k!r}; "
                         f"allowed: 0 < t_first_read_s < t_hold_s and reads_per_decade >= 1")
    n = int(np.floor(k * np.log10(t1 / t0) + 1e-9))
    return t0 * 10.0 ** (np.arange(n + 1) / k)


def retention_protocol(state: dict, times_s: np.ndarray, V_read_V: float, read_width_s: float) -> Protocol:
    """The write pulse, then for each time a Hold at 0 V and a read whose flat top ends at that time
    (measured from the end of the pulse)."""
    steps = [Pulse(float(state["amplitude_V"]), float(state["width_s"]), label=f"write {state['name']}")]
    read = Read(float(V_read_V), float(read_width_s))
    now = 0.0
    for t in times_s:
        gap = t - now - read.rise_s - read.duration_s
        if gap <= 0:
            raise ValueError(f"read at {t:g} s after the write does not fit after the previous read "
                             f"(ends at {now:g} s); allowed: read times spaced by more than a read")
        steps += [Hold(gap), read]
        now = t + read.fall_s
    return Protocol(tuple(steps), name=f"retention of {state['name']}")


def run(cfg: dict, progress: bool = True) -> RunResult:
    sets = parameter_sets(cfg)
    states = cfg["states"]
    names = np.array([s["name"] for s in states])
    times = read_schedule(cfg)
    runner = DeviceRunner(sum(p.domains.columns for _, p in sets) * len(states), NAME, progress)
    data = {}
    try:
        for label, params in sets:
            R, t_act, P, count = [], [], [], []
            for st in states:
                wf = retention_protocol(st, times, cfg["V_read_V"], cfg["read_width_s"]).compile()
                t_read = np.array([w.t_end_s for w in wf.read_windows])
                r = runner.run(params, wf, t_read, initial_state(cfg), f"{params.name} {st['name']}")
                pulse_end = wf.step_spans[0].t_end_s
                R.append(np.asarray(r.R_ohm, dtype=float))
                t_act.append(t_read - pulse_end)
                P.append(r.P_columns_C_per_m2)
                count.append(r.vacancy_count_m2)
            R = np.array(R)
            g = join("/retention", label)
            K = P[0].shape[0]
            data.update({
                f"{g}/state": Quantity(names, "1", "prepared state", ("state",)),
                f"{g}/t_s": Quantity(times, "s", "nominal read time after the end of the write pulse", ("t_s",)),
                f"{g}/column": Quantity(np.arange(K), "1", "domain column (Gaussian quantile of E_a)", ("column",)),
                f"{g}/t_since_write_s": Quantity(np.array(t_act), "s", "read time (end of the read's flat top) "
                                                 "after the end of the write pulse", ("state", "t_s")),
                f"{g}/R_ohm": Quantity(R, "ohm", "read resistance V_read/I", ("state", "t_s")),
                f"{g}/P_C_per_m2": Quantity(np.array(P), "C/m^2", "polarization of each column at the read",
                                            ("state", "column", "t_s")),
                f"{g}/vacancy_count_m2": Quantity(np.array(count), "m^-2", "areal vacancy count (mobile + "
                                                  "trapped) of each column at the read", ("state", "column", "t_s")),
                f"{g}/write_amplitude_V": Quantity(np.array([s["amplitude_V"] for s in states], dtype=float), "V",
                                                   "write-pulse amplitude of the state", ("state",)),
                f"{g}/write_width_s": Quantity(np.array([s["width_s"] for s in states], dtype=float), "s",
                                               "write-pulse width (flat top) of the state", ("state",)),
            })
            dg = join("/derived", label)
            with np.errstate(invalid="ignore", divide="ignore"):
                drift = np.max(np.abs(R / R[:, :1] - 1.0), axis=1)
            data.update({
                f"{dg}/state_names": Quantity(names, "1", "prepared state", ("state_names",)),
                f"{dg}/retention_drift": Quantity(drift, "1", "largest |R(t)/R(t_first_read) - 1| over the hold",
                                                  ("state_names",)),
                f"{dg}/R_first_ohm": Quantity(R[:, 0], "ohm", "read resistance at the first read",
                                              ("state_names",)),
                f"{dg}/R_last_ohm": Quantity(R[:, -1], "ohm", "read resistance at the last read", ("state_names",)),
                f"{dg}/t_first_read_s": Quantity(float(times[0]), "s", "first read after the write"),
                f"{dg}/t_last_read_s": Quantity(float(times[-1]), "s", "last read after the write"),
                f"{dg}/V_read_V": Quantity(float(cfg["V_read_V"]), "V", "read voltage"),
            })
            if not label:
                data.update(parameter_quantities(params))
    finally:
        runner.close()
    notes = {"note": "write pulses of the states are chosen, not fitted; switching dynamics from scenarios/calibrate_switching"}
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": notes})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    lit = "/retention/literature/R_ohm" in d
    fig, ax = plt.subplots(1, 2 if lit else 1, figsize=(12 if lit else 6.5, 4.6), squeeze=False)
    for a, (g, dg, name) in zip(ax[0], (("/retention", "/derived", r.config["parameter_set"]),
                                        ("/retention/literature", "/derived/literature", "literature"))):
        names = d[f"{g}/state"].values
        t = np.asarray(d[f"{g}/t_since_write_s"].values)
        R = np.asarray(d[f"{g}/R_ohm"].values)
        drift = np.asarray(d[f"{dg}/retention_drift"].values)
        for k, n in enumerate(names):
            a.loglog(t[k], R[k], "-o", ms=3, label=f"{n}: drift {drift[k]:.2g}")
        a.set(xlabel="time after write (s)", ylabel=f"R at {float(d[f'{dg}/V_read_V'].values)} V (ohm)",
              title=f"retention ({name})")
        a.legend(fontsize=8)
    title = ("Fig. 2c: retention at 0 V (write pulses chosen; dynamics: scenarios/calibrate_switching)")
    save_figure(fig, png_path, title)
