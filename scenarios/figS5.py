"""Fig. S5: the reference device without oxygen-vacancy migration (BaTiO3 grown at 0.5 Torr).

The reference device is the configured parameter set with ``vacancies.migration = False`` and nothing else
changed. Its R-V loop (one write width, default 1 ms) gives the switching windows of both polarities
(``/derived/switching_window_V`` = [positive, negative]) and their asymmetry; the same numbers for the
full device (migration on) are stored beside them under ``/derived/device/``. The switching parameters
come from ``scenarios/calibrate_switching``. The paper's pulse scheme (``train``: the fig2d configuration)
runs on both: the reference device's trains and NL under ``/trains`` and ``/derived``, the device's under
``/trains/device`` and ``/derived/device`` (the pulse-train numbers have no literature comparison).
"""

from __future__ import annotations

from . import fig2d
from .common import open_result_for_plot, save_figure
from .store import Quantity, RunResult
from .switching import (QUICK_LOOP_OVERRIDES, DeviceRunner, base_config, compare_loops, join, loop_config,
                        parameter_sets, plot_loops)

NAME = "figS5"
DESCRIPTION = "Fig. S5: reference device without vacancy migration; R-V loop, switching windows, asymmetry"

REFERENCE_OVERRIDES = {"vacancies.migration": False}


def config(quick: bool = False) -> dict:
    cfg = base_config(quick, QUICK_LOOP_OVERRIDES)
    cfg.update(loop_config(quick))
    cfg["pulse_width_s"] = 1e-3
    # The comparison of this figure is reference vs device; the literature set doubles the run time.
    cfg["literature_comparison"] = not quick
    # the paper's pulse scheme (Fig. S5a): the fig2d trains on the reference device and the device
    train = fig2d.config(quick)
    train["cycles"] = min(train["cycles"], 2)     # the device's five cycles are fig2d's
    cfg["train"] = {k: train[k] for k in fig2d.TRAIN_KEYS}
    return cfg


def run_trains(cfg: dict, progress: bool) -> dict:
    """fig2d's pulse trains on the reference device (``/derived``) and the device (``/derived/device``)."""
    tcfg = {**cfg, **cfg["train"], "literature_comparison": False}
    ref = parameter_sets(tcfg, extra_overrides=REFERENCE_OVERRIDES)[0][1]
    dev = parameter_sets(tcfg)[0][1]
    runner = DeviceRunner((ref.domains.columns + dev.domains.columns) * int(tcfg["cycles"]), f"{NAME} trains",
                          progress)
    data = {}
    try:
        for group, params in (("", ref), ("device", dev)):
            res = fig2d.run_trains(runner, params, tcfg, f"{group or 'reference'}")
            data.update(fig2d.train_quantities(join("/trains", group), join("/derived", group), res))
    finally:
        runner.close()
    data["/derived/read_voltage_V"] = Quantity(float(tcfg["V_read_V"]), "V", "read voltage of the trains")
    data["/derived/pulse_width_s"] = Quantity(float(tcfg["pulse_width_s"]), "s", "write-pulse width (flat top)")
    return data


def run(cfg: dict, progress: bool = True) -> RunResult:
    data, runner = compare_loops(cfg, progress, NAME, [("", {"extra_overrides": REFERENCE_OVERRIDES}),
                                                       ("device", {})])
    for lit in ("", "/literature"):
        if f"/derived{lit}/switching_window_V" in data:
            ratio = (data[f"/derived{lit}/switching_window_V"].values
                     / data[f"/derived{lit}/device/switching_window_V"].values)
            data[f"/derived{lit}/window_ratio_to_device"] = Quantity(
                ratio, "1", "reference window / device window, per polarity (< 1: the reference is narrower)",
                ("polarity",))
    data.update(run_trains(cfg, progress))
    data["/paper/NL_reference"] = Quantity("0.61-0.65", "1", "paper value: LTP/LTD nonlinearity of the reference device")
    notes = {"note": "/derived: reference device (vacancies.migration = False); /derived/device: the same "
                     "parameter set with migration; switching dynamics from scenarios/calibrate_switching"}
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": notes})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    groups = [g for g in ("", "/literature") if f"/loops{g}/R_ohm" in d]
    fig, ax = plt.subplots(1, len(groups), figsize=(6.5 * len(groups), 4.6), squeeze=False)
    for a, lit in zip(ax[0], groups):
        plot_loops(a, d, f"/loops{lit}", f"/derived{lit}", label="reference", per_width=False, color="tab:orange")
        plot_loops(a, d, f"/loops{lit}/device", f"/derived{lit}/device", label="device", style="--s",
                   per_width=False, color="tab:blue")
        name = "literature" if lit else r.config["parameter_set"]
        a.set_title(f"{name}: asymmetry reference {float(d[f'/derived{lit}/asymmetry'].values):.2f}, "
                    f"device {float(d[f'/derived{lit}/device/asymmetry'].values):.2f}")
    title = ("Fig. S5: reference device (no vacancy migration) vs device (dynamics: scenarios/calibrate_switching)")
    save_figure(fig, png_path, title)
