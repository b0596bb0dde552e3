"""Pt top electrode (work function 5.6 eV) instead of Cr: the same device, R-V loop and switching asymmetry.

The device is the configured parameter set with ``top_electrode`` from the configuration (default "Pt");
its R-V loop (one write width, default 1 ms) gives the switching windows of both polarities
(``/derived/switching_window_V`` = [positive, negative]) and their asymmetry, and the Cr device's numbers
are stored beside them under ``/derived/cr/``. The switching parameters come from
``scenarios/calibrate_switching``.
"""

from __future__ import annotations

from .common import open_result_for_plot, save_figure
from .store import RunResult
from .switching import QUICK_LOOP_OVERRIDES, base_config, compare_loops, loop_config, plot_loops

NAME = "pt_electrode"
DESCRIPTION = "Pt top electrode: R-V loop, switching windows and asymmetry beside the Cr device"


def config(quick: bool = False) -> dict:
    cfg = base_config(quick, QUICK_LOOP_OVERRIDES)
    cfg["top_electrode"] = "Pt"
    cfg.update(loop_config(quick))
    cfg["pulse_width_s"] = 1e-3
    # The comparison of this figure is Pt vs Cr; the literature set doubles the run time.
    cfg["literature_comparison"] = not quick
    return cfg


def run(cfg: dict, progress: bool = True) -> RunResult:
    data, runner = compare_loops(cfg, progress, NAME, [("", {"top_electrode": cfg["top_electrode"]}),
                                                       ("cr", {"top_electrode": "Cr"})])
    notes = {"note": f"/derived: top electrode {cfg['top_electrode']}; /derived/cr: the same parameter set "
                     f"with Cr; switching dynamics from scenarios/calibrate_switching"}
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": notes})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    top = r.config["top_electrode"]
    groups = [g for g in ("", "/literature") if f"/loops{g}/R_ohm" in d]
    fig, ax = plt.subplots(1, len(groups), figsize=(6.5 * len(groups), 4.6), squeeze=False)
    for a, lit in zip(ax[0], groups):
        plot_loops(a, d, f"/loops{lit}", f"/derived{lit}", label=top, per_width=False, color="tab:purple")
        plot_loops(a, d, f"/loops{lit}/cr", f"/derived{lit}/cr", label="Cr", style="--s", per_width=False,
                   color="tab:blue")
        name = "literature" if lit else r.config["parameter_set"]
        a.set_title(f"{name}: asymmetry {top} {float(d[f'/derived{lit}/asymmetry'].values):.2f}, "
                    f"Cr {float(d[f'/derived{lit}/cr/asymmetry'].values):.2f}")
    save_figure(fig, png_path, f"{top} vs Cr top electrode (dynamics: scenarios/calibrate_switching)")
