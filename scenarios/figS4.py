"""Fig. S4: cycle-to-cycle and device-to-device variation of the pulse-train response, from physics.

Cycle to cycle: one device, ``c2c_cycles`` cycles of the fig2d pulse scheme (coarser ramp: ``step_V``),
each cycle with its own stochastic nucleation (every column's Merz activation field redrawn,
:func:`ftjphys.variability.cycle_activation_fields`, spread ``nucleation_spread``). The cycles run as
``c2c_chains`` independent chains (each continuing its own state) so that they spread over worker
processes; each chain starts with one discarded cycle from the configured initial state.
Device to device: ``d2d_devices`` devices drawn from :class:`ftjphys.variability.DeviceSpread`, each
``d2d_cycles`` cycles (with the same stochastic nucleation). No noise is added to a conductance.

Statistics (definitions in the dataset attributes): c2c = :func:`ftjphys.compact_fit.c2c_statistic`
(relative standard deviation across cycles at each pulse index, averaged over pulses),
d2d = :func:`ftjphys.compact_fit.d2d_statistic` (relative standard deviation across devices of each
device's cycle-mean train). Every random draw comes from a Generator seeded from ``seed`` and the task.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ftjphys.compact_fit import C2C_DEFINITION, D2D_DEFINITION, c2c_statistic, d2d_statistic
from ftjphys.device import Device
from ftjphys.variability import DeviceSpread, cycle_activation_fields, draw_device

from . import fig2d
from .common import device_parameters, open_result_for_plot, parameter_quantities, save_figure
from .parallel import parallel_map
from .store import Quantity, RunResult
from .switching import initial_state, read_times

NAME = "figS4"
DESCRIPTION = "Fig. S4: cycle-to-cycle (stochastic nucleation) and device-to-device (parameter spread) variation"


def config(quick: bool = False) -> dict:
    cfg = fig2d.config(quick)
    cfg.update({
        # the device's own 32-column ensemble: with a fixed nucleation spread per column the cycle-to-cycle
        # statistic falls like 1/sqrt(columns) (4 columns: c2c 12.6 %, 32: 5.0 %), so a coarser ensemble
        # would overstate it
        "overrides": {"domains.columns": 2} if quick else {},
        "step_V": 0.5 if quick else 0.2,
        "channel_split": False,
        "literature_comparison": False,
        "seed": 2022,
        "nucleation_spread": 0.05,
        # calibrated against the paper's d2d (scenarios.calibrate_variability, on other device draws)
        "device_spread": dataclasses.asdict(DeviceSpread()),
        "c2c_cycles": 4 if quick else 100,
        "c2c_chains": 2 if quick else 4,
        "d2d_devices": 2 if quick else 10,
        "d2d_cycles": 2 if quick else 3,
        "workers": 0,
        "scheduler": None,
    })
    return cfg


def run_chain(task: dict) -> np.ndarray:
    """G[cycle, 2P] of one chain: a discarded first cycle, then ``cycles`` cycles, each with freshly drawn
    activation fields (worker-process entry point; everything it needs is in ``task``)."""
    cfg = task["cfg"]
    rng = np.random.default_rng(task["seed"])
    params = device_parameters(cfg)
    if task.get("device_draw"):
        params = draw_device(params, DeviceSpread(**cfg["device_spread"]), rng)
    base = Device(params).activation_fields
    wf = fig2d.cycle_protocol(fig2d.pulse_amplitudes(cfg), cfg).compile()
    t = read_times(wf)
    V_read = float(cfg["V_read_V"])
    states, G = None, []
    for c in range(int(task["cycles"]) + 1):
        fields = cycle_activation_fields(base, float(cfg["nucleation_spread"]), rng)
        run = Device(params, fields).run(wf, t, initial_state(cfg), states)
        states = run.final_states
        if c > 0:
            G.append(run.I_A / V_read)
    return np.array(G)


def run(cfg: dict, progress: bool = True) -> RunResult:
    seeds = np.random.SeedSequence(int(cfg["seed"]))
    n_chains, n_c2c = int(cfg["c2c_chains"]), int(cfg["c2c_cycles"])
    per_chain = [n_c2c // n_chains + (k < n_c2c % n_chains) for k in range(n_chains)]
    children = seeds.spawn(n_chains + int(cfg["d2d_devices"]))
    tasks = [{"cfg": cfg, "cycles": n, "seed": children[k], "name": f"c2c chain {k}"}
             for k, n in enumerate(per_chain)]
    tasks += [{"cfg": cfg, "cycles": int(cfg["d2d_cycles"]), "seed": children[n_chains + k], "device_draw": True,
               "name": f"device {k}"} for k in range(int(cfg["d2d_devices"]))]
    out = parallel_map(run_chain, tasks, workers=int(cfg.get("workers") or 0), scheduler=cfg.get("scheduler"),
                       progress=progress, desc=NAME)
    G_c2c = np.concatenate(out[:n_chains])
    G_d2d = np.array(out[n_chains:])
    c2c, d2d = c2c_statistic(G_c2c), d2d_statistic(G_d2d)
    n = G_c2c.shape[1]
    data = {
        "/derived/cycle": Quantity(np.arange(G_c2c.shape[0]), "1", "cycle (chains concatenated)", ("cycle",)),
        "/derived/device": Quantity(np.arange(G_d2d.shape[0]), "1", "device", ("device",)),
        "/derived/d2d_cycle": Quantity(np.arange(G_d2d.shape[1]), "1", "cycle of each device", ("d2d_cycle",)),
        "/derived/pulse_index": Quantity(np.arange(n), "1", "pulse number in the cycle", ("pulse_index",)),
        "/derived/pulse_amplitude_V": Quantity(fig2d.pulse_amplitudes(cfg), "V", "write amplitude",
                                               ("pulse_index",)),
        "/derived/G_c2c_S": Quantity(G_c2c, "S", "one device, conductance after each pulse of every cycle",
                                     ("cycle", "pulse_index")),
        "/derived/G_d2d_S": Quantity(G_d2d, "S", "conductance after each pulse, per device and cycle",
                                     ("device", "d2d_cycle", "pulse_index")),
        "/derived/c2c": Quantity(c2c, "1", "cycle-to-cycle variation (paper 5.4 %)"),
        "/derived/d2d": Quantity(d2d, "1", "device-to-device variation (paper 8.3 %)"),
        "/derived/read_voltage_V": Quantity(float(cfg["V_read_V"]), "V", "read voltage"),
        "/derived/pulse_width_s": Quantity(float(cfg["pulse_width_s"]), "s", "write-pulse width (flat top)"),
    }
    data.update(parameter_quantities(device_parameters(cfg)))
    attrs = {"/derived": {"c2c_definition": C2C_DEFINITION, "d2d_definition": D2D_DEFINITION,
                          "c2c_source": "stochastic nucleation: Merz activation fields redrawn every cycle, "
                                        f"log-normal spread {cfg['nucleation_spread']}",
                          "d2d_source": f"device parameter spread {cfg['device_spread']}"}}
    return RunResult(scenario=NAME, config=cfg, seed=int(cfg["seed"]), data=data, solver={"tasks": len(tasks)},
                     attrs=attrs)


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = r.data
    G = np.asarray(d["/derived/G_c2c_S"].values) * 1e6
    Gd = np.asarray(d["/derived/G_d2d_S"].values) * 1e6
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    x = np.arange(G.shape[1])
    ax[0].plot(x, G.T, "-", lw=0.4, color="tab:blue", alpha=0.4)
    ax[0].errorbar(x, G.mean(axis=0), G.std(axis=0), color="k", lw=1, capsize=2)
    ax[0].set(xlabel="pulse number", ylabel="G (uS)",
              title=f"cycle to cycle ({G.shape[0]} cycles): {100 * float(d['/derived/c2c'].values):.2f} %")
    for k, g in enumerate(Gd):
        ax[1].plot(x, g.mean(axis=0), "-", lw=1, label=f"device {k}")
    ax[1].set(xlabel="pulse number", ylabel="cycle-mean G (uS)",
              title=f"device to device ({Gd.shape[0]} devices): {100 * float(d['/derived/d2d'].values):.2f} %")
    ax[1].legend(fontsize=7)
    save_figure(fig, png_path, "Fig. S4: variability from stochastic nucleation and device parameter spread")
