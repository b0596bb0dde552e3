"""Fig. 2a: bipolar I-V sweeps 0 -> +V_max -> 0 -> -V_max -> 0.

A linear DC sweep at ``rate_V_per_s`` (``cycles`` times in a row) from the configured initial state
(HRS-like by default); the current is taken at the sweep's sample times (``n_samples`` per segment).
Derived from the last cycle (:func:`ftjphys.switching_analysis.iv_switching`): the set voltage (largest
upward jump of ln|I/V| between consecutive samples on the positive half, HRS -> LRS), the reset voltage
(largest downward jump on the negative half, LRS -> HRS), and the ON/OFF ratio at +V_read from the two
branches of the positive half (down-sweep / up-sweep conductance). With ``cycles`` >= 2 the up-sweep of
the last cycle starts from the HRS that the previous cycle wrote, not from the prescribed initial state.
The switching parameters of ``yang2022`` come from ``scenarios/calibrate_switching``. The literature set's
numbers are stored under ``/derived/literature/``.
"""

from __future__ import annotations

import numpy as np

from ftjphys.protocols import DCSweep, Protocol
from ftjphys.switching_analysis import DEFAULT_MIN_RATIO, iv_switching, reversal_voltage

from .common import open_result_for_plot, parameter_quantities, save_figure
from .store import Quantity, RunResult
from .switching import DeviceRunner, base_config, column_quantities, initial_state, join, parameter_sets

NAME = "fig2a"
DESCRIPTION = "Fig. 2a: bipolar I-V sweeps; set/reset voltages and ON/OFF ratio at the read voltage"


def config(quick: bool = False) -> dict:
    cfg = base_config(quick)
    cfg.update({
        "V_max_V": 3.0 if quick else 4.0,
        "rate_V_per_s": 1e5 if quick else 1e3,
        "n_samples": 31 if quick else 81,      # per segment (0 -> V_max etc.), both ends included
        "cycles": 1 if quick else 2,
    })
    return cfg


def sweep_protocol(cfg: dict) -> Protocol:
    Vm = float(cfg["V_max_V"])
    points = [0.0] + [Vm, 0.0, -Vm, 0.0] * int(cfg["cycles"])
    return Protocol((DCSweep(tuple(points), rate_V_per_s=float(cfg["rate_V_per_s"]),
                             n_samples=int(cfg["n_samples"])),), name="bipolar I-V sweep")


def _derived(prefix: str, V, I, P_mean, n_seg: int, cfg: dict) -> dict:
    """Numbers of the last cycle (V, I, column-mean P over its samples; 2 n_seg samples per half)."""
    res = iv_switching(V, I, cfg["V_read_V"], cfg.get("min_switching_ratio", DEFAULT_MIN_RATIO))
    half = 2 * n_seg
    V_rev = [reversal_voltage(V[: half + 1], P_mean[: half + 1], +1),
             reversal_voltage(V[half:], P_mean[half:], -1)]
    return {
        f"{prefix}/polarity": Quantity(np.array(["positive", "negative"]), "1",
                                       "half of the sweep: positive 0..+V_max..0, negative 0..-V_max..0",
                                       ("polarity",)),
        f"{prefix}/polarization_reversal_V": Quantity(
            np.array(V_rev), "V", "bias where the column-mean polarization changes sign (to + on the positive "
            "half, to - on the negative half); NaN: no reversal", ("polarity",)),
        f"{prefix}/V_set_V": Quantity(res.V_set_V, "V", "HRS->LRS switching voltage: largest upward jump of "
                                      "ln|I/V| on the positive half (mean of the two samples)"),
        f"{prefix}/V_reset_V": Quantity(res.V_reset_V, "V", "LRS->HRS switching voltage: largest downward jump "
                                        "of ln|I/V| on the negative half (mean of the two samples)"),
        f"{prefix}/set_jump_ratio": Quantity(res.set_jump_ratio, "1", "|I/V| after / before the set jump"),
        f"{prefix}/reset_jump_ratio": Quantity(res.reset_jump_ratio, "1", "|I/V| before / after the reset jump"),
        f"{prefix}/G_HRS_S": Quantity(res.G_HRS_S, "S", "|I/V| at +V_read on the up-sweep (HRS branch)"),
        f"{prefix}/G_LRS_S": Quantity(res.G_LRS_S, "S", "|I/V| at +V_read on the down-sweep (LRS branch)"),
        f"{prefix}/on_off_ratio": Quantity(res.on_off_ratio, "1", "G_LRS / G_HRS at +V_read"),
        f"{prefix}/V_read_V": Quantity(float(cfg["V_read_V"]), "V", "read voltage of the ON/OFF ratio"),
        f"{prefix}/sweep_rate_V_per_s": Quantity(float(cfg["rate_V_per_s"]), "V/s", "sweep rate"),
        f"{prefix}/V_max_V": Quantity(float(cfg["V_max_V"]), "V", "sweep amplitude"),
    }


def _column_mean(P_columns):
    """Area-weighted mean over the (equal-area) columns."""
    return np.asarray(P_columns).mean(axis=0)


def run(cfg: dict, progress: bool = True) -> RunResult:
    sets = parameter_sets(cfg)
    wf = sweep_protocol(cfg).compile()
    t = wf.sample_times_s
    n_seg = int(cfg["n_samples"]) - 1
    cycle = np.minimum(np.arange(t.size) // (4 * n_seg), int(cfg["cycles"]) - 1)
    last = slice(int(np.argmax(cycle == cycle[-1])), t.size)
    runner = DeviceRunner(sum(p.domains.columns for _, p in sets), NAME, progress)
    data = {}
    try:
        for label, params in sets:
            r = runner.run(params, wf, t, initial_state(cfg), params.name)
            g = join("/iv", label)
            data[f"{g}/t_s"] = Quantity(t, "s", "time from the start of the sweep", ("t_s",))
            data[f"{g}/V_V"] = Quantity(r.V_V, "V", "bias (top electrode positive)", ("t_s",))
            data[f"{g}/I_A"] = Quantity(r.I_A, "A", "device current", ("t_s",))
            data[f"{g}/cycle"] = Quantity(cycle, "1", "sweep cycle of the sample", ("t_s",))
            data.update(column_quantities(g, r, params, "t_s"))
            P_mean = _column_mean(r.P_columns_C_per_m2)
            data.update(_derived(join("/derived", label), r.V_V[last], r.I_A[last], P_mean[last], n_seg, cfg))
            if not label:
                data.update(parameter_quantities(params))
    finally:
        runner.close()
    notes = {"note": "from the last sweep cycle; switching dynamics calibrated on reduced runs. The set/reset voltages "
                     "follow the largest-jump rule on ln|I/V|, which also responds to the exponential "
                     "(thermionic) HRS I-V; polarization_reversal_V is the state-based cross-check"}
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": notes})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    lit = "/iv/literature/I_A" in d
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.6))
    for prefix, dprefix, style, name in (("/iv", "/derived", "-", r.config["parameter_set"]),
                                         ("/iv/literature", "/derived/literature", "--", "literature")):
        if f"{prefix}/I_A" not in d:
            continue
        V = np.asarray(d[f"{prefix}/V_V"].values)
        I = np.asarray(d[f"{prefix}/I_A"].values)
        t = np.asarray(d[f"{prefix}/t_s"].values)
        a = ax[0] if prefix == "/iv" else ax[1]
        Ia = np.where(V != 0, np.abs(I), np.nan)              # I = 0 at V = 0: not drawn on a log axis
        a.semilogy(V, Ia, style, lw=1, marker=".", ms=3, color="tab:blue")
        for key, c in (("V_set_V", "tab:green"), ("V_reset_V", "tab:red")):
            v = float(d[f"{dprefix}/{key}"].values)
            if np.isfinite(v):
                a.axvline(v, color=c, ls=":", lw=1, label=f"{key[:-2]} {v:+.2f} V")
        a.set(xlabel="V (V)", ylabel="|I| (A)",
              title=f"{name}: ON/OFF at {float(d[f'{dprefix}/V_read_V'].values)} V = "
                    f"{float(d[f'{dprefix}/on_off_ratio'].values):.3g}")
        a.legend(fontsize=8)
        P = np.asarray(d[f"{prefix}/P_C_per_m2"].values).mean(axis=0)
        ax[2].plot(t * 1e3, P, style, color="tab:purple", label=f"mean P ({name})")
    if not lit:
        ax[1].set_visible(False)
    ax[2].set(xlabel="t (ms)", ylabel="P (C/m^2)", title="polarization (column mean)")
    ax[2].legend(fontsize=8)
    title = (f"Fig. 2a: bipolar I-V at {float(d['/derived/sweep_rate_V_per_s'].values):g} V/s "
             f"(dynamics: scenarios/calibrate_switching)")
    save_figure(fig, png_path, title)
