"""Fig. 2b: R-V loops for write-pulse widths 1 us, 10 us, 100 us and 1 ms.

For each width, a stepped write train 0 -> +V_max -> -V_max -> 0 (a read at V_read after every write) from
the same initial state (HRS-like by default). Derived per width: the smallest and largest read resistance
(R_LRS, R_HRS), the switching windows of the positive (HRS -> LRS) and negative (LRS -> HRS) branch
(10-90 % of the ln R swing, :mod:`ftjphys.switching_analysis`) and their asymmetry. The switching
parameters of ``yang2022`` come from ``scenarios/calibrate_switching``. The literature set's numbers are stored under
``/derived/literature/``.
"""

from __future__ import annotations

import numpy as np

from .common import open_result_for_plot, parameter_quantities, save_figure
from .store import Quantity, RunResult
from .switching import (
    QUICK_LOOP_OVERRIDES,
    DeviceRunner,
    base_config,
    join,
    loop_config,
    loop_quantities,
    parameter_sets,
    plot_loops,
    run_rv_loop,
    switching_quantities,
)

NAME = "fig2b"
DESCRIPTION = "Fig. 2b: R-V loops for 1 us - 1 ms write pulses; R_LRS, R_HRS, switching windows, asymmetry"

PAPER = {
    "R_LRS1_ohm": (1.0e3, "ohm", "paper value: LRS after 1-100 us writes (~1 kOhm)"),
    "R_LRS2_ohm": (0.4e3, "ohm", "paper value: LRS after 1 ms writes (~0.4 kOhm)"),
    "switching_window_V": (2.0, "V", "paper value: switching window (~2 V)"),
}


def config(quick: bool = False) -> dict:
    cfg = base_config(quick, QUICK_LOOP_OVERRIDES)
    cfg.update(loop_config(quick))
    cfg["pulse_widths_s"] = [1e-6, 1e-3] if quick else [1e-6, 1e-5, 1e-4, 1e-3]
    return cfg


def run(cfg: dict, progress: bool = True) -> RunResult:
    sets = parameter_sets(cfg)
    widths = [float(w) for w in cfg["pulse_widths_s"]]
    runner = DeviceRunner(sum(p.domains.columns for _, p in sets) * len(widths), NAME, progress)
    data = {}
    try:
        for label, params in sets:
            loops = [run_rv_loop(runner, params, w, cfg, f"{params.name} {w:g} s") for w in widths]
            data.update(loop_quantities(join("/loops", label), loops, params))
            data.update(switching_quantities(join("/derived", label), loops, cfg["V_read_V"]))
            if not label:
                data.update(parameter_quantities(params))
    finally:
        runner.close()
    for k, (v, units, text) in PAPER.items():
        data[f"/paper/{k}"] = Quantity(v, units, text)
    notes = {"note": "switching dynamics from scenarios/calibrate_switching; R_LRS = lowest read after positive writes, R_HRS = highest read after negative writes"}
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": notes})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    lit = "/loops/literature/R_ohm" in d
    fig, ax = plt.subplots(1, 3 if lit else 2, figsize=(16 if lit else 11, 4.6))
    plot_loops(ax[0], d, "/loops", "/derived")
    ax[0].set_title(f"R-V loops ({r.config['parameter_set']})")
    widths = np.asarray(d["/derived/pulse_width_s"].values)
    for prefix, style in (("/derived", "-o"), ("/derived/literature", "--s")):
        if f"{prefix}/R_LRS_ohm" not in d:
            continue
        name = "literature" if "literature" in prefix else r.config["parameter_set"]
        ax[1].loglog(widths, d[f"{prefix}/R_LRS_ohm"].values, style, color="tab:blue", label=f"R_LRS {name}")
        ax[1].loglog(widths, d[f"{prefix}/R_HRS_ohm"].values, style, color="tab:red", label=f"R_HRS {name}")
    ax[1].axhline(float(d["/paper/R_LRS1_ohm"].values), color="k", ls=":", lw=0.8, label="paper LRS1 / LRS2")
    ax[1].axhline(float(d["/paper/R_LRS2_ohm"].values), color="k", ls=":", lw=0.8)
    ax[1].set(xlabel="write-pulse width (s)", ylabel="R (ohm)", title="extreme read resistances")
    ax[1].legend(fontsize=7)
    if lit:
        plot_loops(ax[2], d, "/loops/literature", "/derived/literature")
        ax[2].set_title("R-V loops (literature)")
    asym = np.asarray(d["/derived/asymmetry"].values)
    title = (f"Fig. 2b: asymmetry per width {np.array2string(asym, precision=2)} "
             f"(dynamics: scenarios/calibrate_switching)")
    save_figure(fig, png_path, title)
