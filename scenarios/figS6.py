"""Fig. S6: stepped vs identical-amplitude pulse schemes on the device: NL (eq. 1) of each.

The stepped scheme is fig2d's (±V_start → ±V_stop in step_V); the identical scheme applies the same number
of pulses at ±``identical_amplitude_V``. If the low NL is intrinsic to the switching (the paper's claim),
both are low; a device whose linearity came from the ramp alone would show a high NL under identical
pulses. ``/derived/NL_stepped`` and ``/derived/NL_identical``; the trains under ``/derived/<scheme>/``.
"""

from __future__ import annotations

from . import fig2d
from .common import open_result_for_plot, parameter_quantities, save_figure
from .store import Quantity, RunResult
from .switching import DeviceRunner, join, parameter_sets

NAME = "figS6"
DESCRIPTION = "Fig. S6: NL of stepped vs identical-amplitude pulse schemes"
SCHEMES = ("stepped", "identical")


def config(quick: bool = False) -> dict:
    cfg = fig2d.config(quick)
    cfg.update({"channel_split": False, "literature_comparison": False, "cycles": 1})
    return cfg


def run(cfg: dict, progress: bool = True) -> RunResult:
    (_, params), = parameter_sets(dict(cfg, literature_comparison=False))
    runner = DeviceRunner(params.domains.columns * int(cfg["cycles"]) * len(SCHEMES), NAME, progress)
    data = {}
    try:
        for scheme in SCHEMES:
            res = fig2d.run_trains(runner, params, dict(cfg, scheme=scheme), scheme)
            data.update(fig2d.train_quantities(join("/trains", scheme), join("/derived", scheme), res))
            data[f"/derived/NL_{scheme}"] = Quantity(float(data[f"/derived/{scheme}/NL"].values), "1",
                                                     f"paper eq. (1), {scheme} scheme, mean over cycles")
    finally:
        runner.close()
    data["/derived/read_voltage_V"] = Quantity(float(cfg["V_read_V"]), "V", "read voltage")
    data.update(parameter_quantities(params))
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": {"note": "paper: NL low for both schemes (Table S2)"}})


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.4))
    for row, scheme in zip(ax, SCHEMES):
        fig2d.plot_trains(row, d, f"/derived/{scheme}", scheme)
    title = (f"Fig. S6: NL stepped {float(d['/derived/NL_stepped'].values):.3f}, "
             f"identical {float(d['/derived/NL_identical'].values):.3f}")
    save_figure(fig, png_path, title)
