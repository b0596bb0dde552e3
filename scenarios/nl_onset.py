"""Fig. 2b against Fig. 2d over the domains' switching onset (beyond the paper): the tension, measured.

One parameter moves where the domain ensemble switches: the median Merz activation field E_a, scaled by each
of ``activation_scales`` (1 = ``yang2022``; the ensemble's spread and everything else held). For each
scale the scenario runs
  * the fig2d train at 1 ms (``cycles`` cycles) on the device and, with ``reference``, on the reference
    device (vacancy migration off, nothing else changed): NL, window, steps as in ``nl_width``;
  * the fig2b R-V loop (``loop``: 0 -> +V_max -> -V_max -> 0 in step_V, reads at V_read) for each write width
    of ``loop["pulse_widths_s"]`` on the device: R_LRS, R_HRS, switching windows and V50.
A larger E_a raises every switching threshold (Merz: the time to switch at field E grows as e^(E_a/E)), so
the 1 ms ramp starts below more of the ensemble and its NL falls, while short writes need more voltage to
reach the LRS. ``/derived/meets_fig2b``, ``meets_fig2d`` and ``meets_figS5`` mark, per scale, whether the
device's loops (R_LRS of every width and both windows within the paper's bands), the device's NL and the
reference device's NL meet the paper's numbers.

Ablations: at ``ablation_scale`` the device's trains are also run with one vacancy mechanism at a time
switched off (``ablations``: name -> parameter overrides; default :data:`ABLATIONS`), under
``/derived/ablation`` (axis ``ablation``): which part of the vacancy channel moves the NL.

Derived (axis ``activation_scale``): ``activation_field_V_per_m``; the train numbers of
:func:`scenarios.nl_width.train_quantities` (``/derived`` device, ``/derived/reference``); per loop width
(axis ``loop_width_s``) ``R_LRS_ohm``, ``R_HRS_ohm`` and, per polarity, ``switching_window_V`` and
``switching_V50_V``.
"""

from __future__ import annotations

import numpy as np

from . import fig2d
from .common import open_result_for_plot, parameter_quantities, save_figure
from .figS5 import REFERENCE_OVERRIDES
from .nl_width import GROUPS, train_quantities, train_record, train_scheme_quantities
from .store import Quantity, RunResult
from .switching import POLARITIES, DeviceRunner, join, parameter_sets, run_rv_loop

NAME = "nl_onset"
DESCRIPTION = "Fig. 2b vs Fig. 2d over the domains' median activation field: NL, reference NL, R_LRS, windows"

#: the paper's bands the scenario marks (acceptance ranges of Figs. 2b, 2d and S5)
PAPER = {
    "NL": (0.10, 0.20),                      # Fig. 2d, device (paper 0.13-0.17)
    "NL_reference": (0.50, 0.75),            # Fig. S5, reference device (paper 0.61-0.65)
    "R_LRS_short_ohm": (500.0, 2000.0),      # Fig. 2b, 1-100 us writes (~1 kOhm)
    "R_LRS_long_ohm": (200.0, 800.0),        # Fig. 2b, 1 ms writes (~0.4 kOhm)
    "switching_window_V": (1.5, 2.5),        # Fig. 2b (~2 V)
}
#: loop widths below this count as Fig. 2b's "1-100 us" writes (LRS1), the others as its 1 ms (LRS2)
SHORT_WRITE_S = 5e-4


#: vacancy mechanisms switched off one at a time (parameter overrides) in the ablation trains
ABLATIONS = {
    "no band lowering": {"ferroelectric.vacancy_band_lowering_J": 0.0},
    "no traps": {"vacancies.trap_site_density_m3": 0.0},
    "no exchange": {"vacancies.exchange_site_density_m2": 0.0},
    "no exchange, no band lowering": {"vacancies.exchange_site_density_m2": 0.0,
                                      "ferroelectric.vacancy_band_lowering_J": 0.0},
}


def config(quick: bool = False) -> dict:
    cfg = fig2d.config(quick)
    cfg.update({"channel_split": False, "literature_comparison": False, "cycles": 2, "reference": True,
                "activation_scales": [1.0, 2.0] if quick else [1.0, 1.1, 1.3, 1.65, 2.0],
                "loop": {"V_max_V": 3.0 if quick else 4.0, "step_V": 0.5 if quick else 0.2, "interval_s": 1e-6,
                         "pulse_widths_s": [1e-6, 1e-3]},
                "ablation_scale": 1.1, "ablations": ABLATIONS})
    return cfg


def _validate(cfg: dict) -> tuple[list[float], list[float]]:
    scales = [float(s) for s in cfg["activation_scales"]]
    if not scales or min(scales) <= 0:
        raise ValueError(f"activation_scales = {cfg['activation_scales']!r}; allowed: a non-empty list of "
                         "factors > 0")
    widths = [float(w) for w in cfg["loop"]["pulse_widths_s"]]
    if not widths or min(widths) <= 0:
        raise ValueError(f"loop.pulse_widths_s = {cfg['loop']['pulse_widths_s']!r}; allowed: a non-empty list "
                         "of widths > 0 s")
    if not float(cfg["ablation_scale"]) > 0:
        raise ValueError(f"ablation_scale = {cfg['ablation_scale']!r}; allowed: a factor > 0")
    if int(cfg["cycles"]) < 2:
        raise ValueError(f"cycles = {cfg['cycles']!r}; allowed: >= 2 (the last cycle's first steps need the "
                         "cycle before)")
    return scales, widths


def _inside(values, band) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return (v >= band[0]) & (v <= band[1])


def run(cfg: dict, progress: bool = True) -> RunResult:
    scales, widths = _validate(cfg)
    (_, params), = parameter_sets(dict(cfg, literature_comparison=False))
    Ea0 = params.domains.activation_field_V_per_m
    labels = ["", "reference"] if cfg.get("reference") else [""]
    loop_cfg = dict(cfg, **cfg["loop"])
    ablations = dict(sorted((cfg.get("ablations") or {}).items()))     # the stored configuration's key order
    runner = DeviceRunner(params.domains.columns * (len(scales) * (int(cfg["cycles"]) * len(labels) + len(widths))
                                                    + int(cfg["cycles"]) * len(ablations)), NAME, progress)
    data, trains, loops, ablated = {}, {label: [] for label in labels}, [], []
    try:
        for s in scales:
            p = params.replace(**{"domains.activation_field_V_per_m": s * Ea0})
            for label in labels:
                q = p.replace(**REFERENCE_OVERRIDES) if label else p
                res = fig2d.run_trains(runner, q, cfg, f"{label or 'device'} E_a x{s:g}")
                trains[label].append(res)
                data.update(train_record(join("/trains", label, f"scale_{s:g}"), res["G_S"]))
            lps = [run_rv_loop(runner, p, w, loop_cfg, f"loop E_a x{s:g} {w:g} s") for w in widths]
            loops.append(lps)
            key = f"/loops/scale_{s:g}"
            data[f"{key}/R_ohm"] = Quantity(np.array([lp.R_ohm for lp in lps]), "ohm",
                                            "read resistance V_read/I after the write",
                                            ("loop_width_s", "loop_pulse_index"))
            data[f"{key}/loop_width_s"] = Quantity(np.array(widths), "s", "write-pulse width of the loop",
                                                   ("loop_width_s",))
            data[f"{key}/loop_pulse_index"] = Quantity(np.arange(lps[0].R_ohm.size), "1", "write number in the loop",
                                                       ("loop_pulse_index",))
        s = float(cfg["ablation_scale"])
        for i, (name, overrides) in enumerate(ablations.items()):
            p = params.replace(**{"domains.activation_field_V_per_m": s * Ea0, **overrides})
            res = fig2d.run_trains(runner, p, cfg, f"{name}, E_a x{s:g}")
            ablated.append(res)
            data.update(train_record(f"/trains/ablation_{i}", res["G_S"]))
    finally:
        runner.close()
    if ablations:
        names = Quantity(np.array(list(ablations)), "1", "vacancy mechanism switched off (ABLATIONS; "
                         f"/config: ablations), device at {float(cfg['ablation_scale']):g} x E_a", ("ablation",))
        data.update(train_quantities("/derived/ablation", "ablation", names, ablated))
    axis = Quantity(np.array(scales), "1", "median Merz activation field / that of the configured set",
                    ("activation_scale",))
    for label in labels:
        data.update(train_quantities(join("/derived", label), "activation_scale", axis, trains[label]))
    data.update(_loop_quantities(scales, widths, loops, Ea0))
    data.update(_marks(data, widths, bool(cfg.get("reference"))))
    V_write = loops[0][0].V_write_V
    data["/loops/V_write_V"] = Quantity(V_write, "V", "write amplitude of the R-V loops", ("loop_pulse_index",))
    data["/loops/loop_pulse_index"] = Quantity(np.arange(V_write.size), "1", "write number in the loop",
                                               ("loop_pulse_index",))
    data.update(train_scheme_quantities(cfg))
    data.update(parameter_quantities(params))
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data, solver=runner.solver(),
                     attrs={"/derived": {"note": "one parameter, the domains' median activation field, swept; "
                                                 "trains at the fig2d scheme, loops at fig2b's"}})


def _loop_quantities(scales, widths, loops, Ea0) -> dict:
    sw = [[lp.switching for lp in lps] for lps in loops]

    def per_polarity(attr):
        return np.array([[[getattr(x.positive, attr), getattr(x.negative, attr)] for x in row] for row in sw])

    ax, lw, pol = ("activation_scale",), ("activation_scale", "loop_width_s"), ("activation_scale", "loop_width_s",
                                                                                 "polarity")
    return {
        "/derived/activation_field_V_per_m": Quantity(np.array(scales) * Ea0, "V/m",
                                                      "median Merz activation field of the domain ensemble", ax),
        "/derived/loop_width_s": Quantity(np.array(widths), "s", "write-pulse width of the R-V loops",
                                          ("loop_width_s",)),
        "/derived/polarity": Quantity(np.array(POLARITIES), "1", "write polarity of a loop branch", ("polarity",)),
        "/derived/R_LRS_ohm": Quantity(np.array([[x.R_LRS_ohm for x in row] for row in sw]), "ohm",
                                       "lowest read resistance after positive writes", lw),
        "/derived/R_HRS_ohm": Quantity(np.array([[x.R_HRS_ohm for x in row] for row in sw]), "ohm",
                                       "highest read resistance after negative writes", lw),
        "/derived/switching_window_V": Quantity(per_polarity("window_V"), "V",
                                                "|V_write| range of 10-90 % of the ln R swing (NaN: no switch)", pol),
        "/derived/switching_V50_V": Quantity(per_polarity("V50_V"), "V", "|V_write| at 50 % of the ln R swing",
                                             pol),
    }


def _marks(data: dict, widths, reference: bool) -> dict:
    """Per scale: does the device meet Fig. 2b (every loop's R_LRS in its band, windows in 1.5-2.5 V),
    Fig. 2d (NL), and the reference device Fig. S5 (NL)?"""
    R = np.asarray(data["/derived/R_LRS_ohm"].values)
    short = np.asarray(widths) < SHORT_WRITE_S
    r_ok = np.where(short[None, :], _inside(R, PAPER["R_LRS_short_ohm"]), _inside(R, PAPER["R_LRS_long_ohm"]))
    w_ok = _inside(data["/derived/switching_window_V"].values, PAPER["switching_window_V"])
    ax = ("activation_scale",)
    out = {
        "/derived/meets_fig2b": Quantity(np.all(r_ok, axis=1) & np.all(w_ok, axis=(1, 2)), "1",
                                         "R_LRS of every loop width and both windows within the paper's bands "
                                         f"({PAPER['R_LRS_short_ohm']} ohm below {SHORT_WRITE_S:g} s, "
                                         f"{PAPER['R_LRS_long_ohm']} ohm above; windows "
                                         f"{PAPER['switching_window_V']} V)", ax),
        "/derived/meets_fig2d": Quantity(_inside(data["/derived/NL"].values, PAPER["NL"]), "1",
                                         f"device NL within {PAPER['NL']}", ax),
    }
    if reference:
        out["/derived/meets_figS5"] = Quantity(_inside(data["/derived/reference/NL"].values, PAPER["NL_reference"]),
                                               "1", f"reference-device NL within {PAPER['NL_reference']}", ax)
    return out


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    Ea = np.asarray(d["/derived/activation_field_V_per_m"].values) / 1e8      # MV/cm
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.4))
    for g, name in GROUPS:
        if f"{g}/NL" in d:
            ax[0].plot(Ea, d[f"{g}/NL"].values, "o-", label=name)
    ax[0].axhspan(*PAPER["NL"], color="tab:blue", alpha=0.15, label="paper band, device")
    ax[0].axhspan(*PAPER["NL_reference"], color="tab:orange", alpha=0.15, label="paper band, reference")
    ax[0].set(xlabel="median activation field (MV/cm)", ylabel="NL (eq. 1), 1 ms trains", title="Fig. 2d / S5")
    widths = np.asarray(d["/derived/loop_width_s"].values)
    R = np.asarray(d["/derived/R_LRS_ohm"].values)
    V50 = np.asarray(d["/derived/switching_V50_V"].values)
    for j, w in enumerate(widths):
        ax[1].semilogy(Ea, R[:, j], "o-", label=f"R_LRS, {w:g} s writes")
        ax[2].plot(Ea, V50[:, j, 0], "o-", label=f"set, {w:g} s")
        ax[2].plot(Ea, V50[:, j, 1], "s--", label=f"reset, {w:g} s")
    ax[1].axhspan(*PAPER["R_LRS_short_ohm"], color="tab:green", alpha=0.15, label="paper, 1-100 us")
    ax[1].axhspan(*PAPER["R_LRS_long_ohm"], color="tab:red", alpha=0.15, label="paper, 1 ms")
    ax[1].set(xlabel="median activation field (MV/cm)", ylabel="R_LRS (ohm)", title="Fig. 2b loops")
    ax[2].set(xlabel="median activation field (MV/cm)", ylabel="|V| at 50 % of the ln R swing (V)",
              title="switching voltage")
    for a in ax:
        a.legend(fontsize=7)
    save_figure(fig, png_path, "One parameter, two figures: the domains' activation field against Fig. 2b and Fig. 2d")
