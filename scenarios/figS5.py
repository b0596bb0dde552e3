"""Fig. S5: the reference device without oxygen-vacancy migration (BaTiO3 grown at 0.5 Torr).

The reference device is the configured parameter set with ``vacancies.migration = False`` and nothing else
changed. Its R-V loop (one write width, default 1 ms) gives the switching windows of both polarities
(``/derived/switching_window_V`` = [positive, negative]) and their asymmetry; the same numbers for the
full device (migration on) are stored beside them under ``/derived/device/``. The switching parameters
come from ``scenarios/calibrate_switching``.
"""

from __future__ import annotations

from .common import open_result_for_plot
from .store import Quantity, RunResult
from .switching import QUICK_LOOP_OVERRIDES, base_config, compare_loops, loop_config, plot_loops

NAME = "figS5"
DESCRIPTION = "Fig. S5: reference device without vacancy migration; R-V loop, switching windows, asymmetry"

REFERENCE_OVERRIDES = {"vacancies.migration": False}


def config(quick: bool = False) -> dict:
    cfg = base_config(quick, QUICK_LOOP_OVERRIDES)
    cfg.update(loop_config(quick))
    cfg["pulse_width_s"] = 1e-3
    # The comparison of this figure is reference vs device; the literature set doubles the run time.
    cfg["literature_comparison"] = not quick
    return cfg


def run(cfg: dict, progress: bool = True) -> RunResult:
    data, runner = compare_loops(cfg, progress, NAME, [("", {"extra_overrides": REFERENCE_OVERRIDES}),
                                                       ("device", {})])
    data["/paper/NL_reference"] = Quantity("0.61-0.65", "1",
                                           "paper value: LTP/LTD nonlinearity of the reference device "
                                           "(from the fig2d-style pulse scheme, not computed here)")
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
    fig.suptitle("Fig. S5: reference device (no vacancy migration) vs device (dynamics: scenarios/calibrate_switching)")
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
