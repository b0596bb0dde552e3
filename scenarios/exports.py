"""Exports of a compact model for CrossSim, aihwkit, NeuroSim and SPICE (``ftjphys export``).

Layouts follow the tools' own sources (research/analog-tools.md §1.4, §2, §3.4, §5):

* ``crosssim``: CrossSim v2 lookup tables ``dG_increasing.txt`` / ``dG_decreasing.txt`` in the layout
  written by ``examples/lookup_table_generation/process_measured_data.py`` (a title line, the 501 G
  bins in S, the 501 CDF points, then the 501 × 501 dG matrix in S, rows = CDF, columns = G; signed).
  Column j is the compact model's mean step at G_j plus its per-pulse noise, dG = μ_j(1 + σ_pulse z_k)
  with z_k the normal quantiles at CDF midpoints (rows 0-499; row 500 repeats row 499), so CrossSim's
  mean Σ_k (CDF_{k+1} − CDF_k) dG_k equals μ_j exactly. Also ``set.csv``/``reset.csv`` (ramps rmp1..rmpK
  of currents at the read voltage, Monte-Carlo of the model, for Sandia's own LUT script) and
  ``crosssim_analytic.json`` (the ANALYTIC model's alpha and write noise).
* ``aihwkit``: ``PiecewiseStepDevice`` (nodes equally spaced over [w_min, w_max] = [−1, 1], relative to
  dw_min; c2c ``dw_min_std`` and d2d ``dw_min_dtod`` are the update rule's σ_pulse and σ_device,
  whose definitions match) as JSON and as a Python snippet, the analytic ``LinearStepDevice``
  alternative, and ``up_down.csv`` (the mean trains in example 21's two-column format).
* ``neurosim``: ``RealDevice`` parameters (a block for ``Cell.cpp``, and JSON with the DNN+NeuroSim
  V2.1 ``train.py`` arguments), and ``MeasuredDevice`` raw LTP/LTD arrays.
* ``spice``: ``ftj_synapse.lib``, a behavioural ngspice subcircuit whose state follows the compact
  model pulse by pulse, and ``ftj_pulse_train.cir``, a batch-mode testbench.
* ``json``: the model's JSON twin.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
from scipy.special import ndtri

from ftjphys.compact_fit import branch_states, simulate_trains
from ftjphys.compact_model import LINEAR_NORM_A, BranchTable, CompactModel

from .compact import atomic_write_text, load_compact_model, model_json

FORMATS = ("crosssim", "aihwkit", "neurosim", "spice", "json")

CROSSSIM_TITLE = ("1st Row = Gbins, 2nd Row = CDF Points, 3rd row onward =  dG matrix (rows= CDF, columns = Gbins) ")
CROSSSIM_POINTS = 501
AIHWKIT_NODES = 21          # aihwkit's GPU kernels need fewer than 64 nodes
DEFAULT_READ_VOLTAGE_V = 0.1


def _read_voltage(model: CompactModel) -> float:
    return model.read_voltage_V if math.isfinite(model.read_voltage_V) else DEFAULT_READ_VOLTAGE_V


def _g(x: float) -> str:
    return f"{float(x):.10g}"


def _rms_step(model: CompactModel) -> float:
    """rms of |Δg| along the model's mean trains (both branches)."""
    up, down = model.mean_train()
    g0 = np.concatenate([[0.0], up[:-1]])
    g1 = np.concatenate([[up[-1]], down[:-1]])
    steps = np.concatenate([model.potentiation.step(g0), model.depression.step(g1)])
    return float(np.sqrt(np.mean(steps ** 2)))


# -------------------------------------------------------------------------------- CrossSim


def crosssim_tables(model: CompactModel, n_points: int = CROSSSIM_POINTS):
    """(G bins in S, CDF points, dG_increasing, dG_decreasing), the matrices [CDF, G] in S (module docstring)."""
    G = np.linspace(model.G_min_S, model.G_max_S, n_points)
    cdf = np.linspace(0.0, 1.0, n_points)
    z = ndtri((np.arange(n_points - 1) + 0.5) / (n_points - 1))
    z = np.concatenate([z, z[-1:]])
    sigma = model.variability.pulse_sigma_rel
    g = model.to_g(G)
    tables = []
    for table in (model.potentiation, model.depression):
        mean = table.step(g) * model.window_S
        tables.append(mean[None, :] * (1.0 + sigma * z[:, None]))
    return G, cdf, tables[0], tables[1]


def crosssim_table_text(G, cdf, dG) -> str:
    buf = io.StringIO()
    header = "\n".join([CROSSSIM_TITLE, ",".join(repr(float(x)) for x in G), ",".join(repr(float(x)) for x in cdf)])
    # np.savetxt(..., header=header + "\n", comments="") as in CrossSim's script: one blank line follows
    np.savetxt(buf, dG, delimiter=",", header=header + "\n", comments="")
    return buf.getvalue()


def read_crosssim_table(path):
    """(G, CDF, dG) read the way CrossSim v2's ``dGLookupParams`` reads a table (``np.genfromtxt`` with
    ``skip_header`` 1, 2 and 3)."""
    G = np.genfromtxt(path, delimiter=",", skip_header=1, max_rows=1)
    cdf = np.genfromtxt(path, delimiter=",", skip_header=2, max_rows=1)
    dG = np.genfromtxt(path, delimiter=",", skip_header=3)
    return G, cdf, dG


def crosssim_mean_dG(cdf, dG):
    """CrossSim v2's mean update per G bin: Σ_k (CDF_{k+1} − CDF_k) dG[k, :]."""
    return np.sum(np.diff(cdf)[:, None] * dG[:-1, :], axis=0)


def _ramps_csv(G_S: np.ndarray, read_voltage_V: float) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([f"rmp{k + 1}" for k in range(G_S.shape[0])])
    for row in (G_S * read_voltage_V).T:
        w.writerow([repr(float(x)) for x in row])
    return buf.getvalue()


def write_crosssim(model: CompactModel, out_dir, ramps: int = 8, seed: int = 20220512) -> list[Path]:
    out = Path(out_dir)
    G, cdf, inc, dec = crosssim_tables(model)
    paths = [atomic_write_text(out / "dG_increasing.txt", crosssim_table_text(G, cdf, inc)),
             atomic_write_text(out / "dG_decreasing.txt", crosssim_table_text(G, cdf, dec))]
    n_up, n_down = model.potentiation.n_pulses, model.depression.n_pulses
    trains = simulate_trains(model, 1, ramps, n_up, n_down, np.random.default_rng(seed))[0]
    V = _read_voltage(model)
    paths.append(atomic_write_text(out / "set.csv", _ramps_csv(trains[:, :n_up], V)))
    paths.append(atomic_write_text(out / "reset.csv", _ramps_csv(trains[:, n_up:], V)))
    s = model.summary()
    mean_step = 0.5 * (s["potentiation"]["mean_step_g"] + s["depression"]["mean_step_g"])
    analytic = {
        "model": model.name,
        "numeric_params.update_model": "ANALYTIC",
        "numeric_params.nonlinearity.alpha": 0.5 * (s["potentiation"]["crosssim_alpha"]
                                                    + s["depression"]["crosssim_alpha"]),
        "numeric_params.nonlinearity.symmetric": False,
        "alpha_potentiation": s["potentiation"]["crosssim_alpha"],
        "alpha_depression": s["depression"]["crosssim_alpha"],
        "numeric_params.write_noise.model": "G_INDEPENDENT",
        "numeric_params.write_noise.sigma": model.variability.pulse_sigma_rel * math.sqrt(mean_step),
        "notes": ("alpha = P/A = 1/normA of the exponential fit (one alpha for both directions in CrossSim: the mean "
                  "of the two); write_noise.sigma reproduces the per-pulse noise sigma_pulse*|dG| at the mean step "
                  "|dG|/range = mean_step_g, since CrossSim's G_INDEPENDENT noise is sqrt(|dG| range) sigma; "
                  f"set.csv/reset.csv: {ramps} Monte-Carlo ramps of the model, currents at "
                  f"read_voltage = {V} V"),
        "read_voltage_V": V,
        "mean_step_g": mean_step,
    }
    paths.append(atomic_write_text(out / "crosssim_analytic.json", json.dumps(analytic, indent=1) + "\n"))
    return paths


# --------------------------------------------------------------------------------- aihwkit


def aihwkit_config(model: CompactModel, n_nodes: int = AIHWKIT_NODES) -> dict:
    """``PiecewiseStepDevice`` and ``LinearStepDevice`` keyword arguments (w ∈ [−1, 1], w = 2g − 1).

    piecewise_up[i]·dw_min = 2·Δg_up(g_i) and piecewise_down[i]·dw_min = 2·|Δg_down(g_i)| on the nodes
    g_i = i/(n−1), with up_down = 0 and dw_min = 2·max |Δg(½)|. Noise: ``dw_min_std`` = σ_pulse (aihwkit's
    multiplicative c2c (1 + σ ξ) per pulse), ``dw_min_dtod`` = σ_device (Δw_min_ij = dw_min (1 + σ ξ)),
    bounds without d2d.
    """
    if not 2 <= n_nodes < 64:
        raise ValueError(f"aihwkit piecewise nodes = {n_nodes} out of range; allowed: 2 .. 63 (GPU limit)")
    g = np.linspace(0.0, 1.0, n_nodes)
    up = 2.0 * model.potentiation.step(g)
    down = 2.0 * np.abs(model.depression.step(g))
    dw_min = float(2.0 * max(abs(model.potentiation.step(0.5)), abs(model.depression.step(0.5))))
    v = model.variability
    common = {"w_min": -1.0, "w_max": 1.0, "w_min_dtod": 0.0, "w_max_dtod": 0.0, "up_down": 0.0, "up_down_dtod": 0.0,
              "dw_min_std": v.pulse_sigma_rel, "dw_min_dtod": v.device_sigma_rel}
    piecewise = {**common, "dw_min": dw_min, "piecewise_up": (up / dw_min).tolist(),
                 "piecewise_down": (down / dw_min).tolist(), "write_noise_std": 0.0}

    def centre_step(table: BranchTable) -> float:
        if table.norm_A >= LINEAR_NORM_A:
            return 1.0 / table.n_pulses
        return abs(float(BranchTable.exponential(table.norm_A, table.n_pulses, +1, 3).step(0.5)))

    s = model.summary()
    linear = {**common, "dw_min": float(2.0 * max(centre_step(model.potentiation), centre_step(model.depression))),
              "gamma_up": s["potentiation"]["aihwkit_gamma"], "gamma_down": s["depression"]["aihwkit_gamma"],
              "gamma_up_dtod": 0.0, "gamma_down_dtod": 0.0, "mult_noise": True}
    return {"model": model.name,
            "PiecewiseStepDevice": piecewise,
            "LinearStepDevice": linear,
            "weight_to_conductance": {"G_min_S": model.G_min_S, "G_max_S": model.G_max_S,
                                      "w": "w = 2 (G - G_min)/(G_max - G_min) - 1"},
            "definitions": {"dw_min_std": "per-pulse relative noise sigma_pulse of the compact model (c2c "
                                          f"statistic {v.c2c:.4g}: {v.c2c_definition or 'not measured'})",
                            "dw_min_dtod": "per-device relative step spread sigma_device (d2d statistic "
                                           f"{v.d2d:.4g}: {v.d2d_definition or 'not measured'})",
                            "LinearStepDevice": "the exponential-family fit: gamma = tanh(1/(2 normA)), dw_min = "
                                                "2 x its step at the window centre"}}


def aihwkit_snippet(config: dict) -> str:
    """Python source that builds the two aihwkit configurations of :func:`aihwkit_config`."""
    def kwargs(d):
        return "".join(f"    {k}={v!r},\n" for k, v in d.items())

    return (f'"""aihwkit device of the ftjphys compact model {config["model"]!r} (ftjphys export --format aihwkit).\n\n'
            f'Weights w in [-1, 1] map to conductance by {config["weight_to_conductance"]["w"]},\n'
            f'G_min = {config["weight_to_conductance"]["G_min_S"]!r} S, G_max = '
            f'{config["weight_to_conductance"]["G_max_S"]!r} S.\n"""\n\n'
            "from aihwkit.simulator.configs import LinearStepDevice, PiecewiseStepDevice, SingleRPUConfig\n\n"
            "# measured response: the compact model's mean step on equally spaced nodes over [w_min, w_max]\n"
            f"device = PiecewiseStepDevice(\n{kwargs(config['PiecewiseStepDevice'])})\n"
            "rpu_config = SingleRPUConfig(device=device)\n\n"
            "# analytic alternative: the exponential-family fit\n"
            f"linear_device = LinearStepDevice(\n{kwargs(config['LinearStepDevice'])})\n"
            "linear_rpu_config = SingleRPUConfig(device=linear_device)\n")


def write_aihwkit(model: CompactModel, out_dir) -> list[Path]:
    out = Path(out_dir)
    config = aihwkit_config(model)
    up, down = branch_states(model, +1, 0.0), branch_states(model, -1, 1.0)
    n = max(up.size, down.size)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["up_data", "down_data"])
    Gu, Gd = model.to_G_S(up), model.to_G_S(down)
    for k in range(n):
        w.writerow([repr(float(Gu[k])) if k < Gu.size else "", repr(float(Gd[k])) if k < Gd.size else ""])
    return [atomic_write_text(out / "aihwkit_device.json", json.dumps(config, indent=1) + "\n"),
            atomic_write_text(out / "aihwkit_device.py", aihwkit_snippet(config)),
            atomic_write_text(out / "up_down.csv", buf.getvalue())]


# -------------------------------------------------------------------------------- NeuroSim


def neurosim_arrays(model: CompactModel) -> tuple[np.ndarray, np.ndarray]:
    """``rawDataConductanceLTP`` and ``rawDataConductanceLTD`` for NeuroSim's MeasuredDevice.

    The model's mean trains, LTP from G_min and LTD from G_max, each rescaled to end exactly at the other
    end of the window (or cut where it first reaches it), so that NeuroSim's checks hold: LTP strictly
    increasing, LTD strictly decreasing, LTP.back() == LTD.front() and LTP.front() == LTD.back().
    """
    def travelled(direction: int) -> np.ndarray:
        start = 0.0 if direction > 0 else 1.0
        u = np.abs(np.concatenate([[start], branch_states(model, direction, start)]) - start)
        done = np.flatnonzero(u >= 1.0)
        if done.size:
            u = u[: done[0] + 1]
        return u / u[-1]

    ltp = model.to_G_S(travelled(+1))
    ltd = model.to_G_S(1.0 - travelled(-1))
    ltp[0] = ltd[-1] = model.G_min_S
    ltp[-1] = ltd[0] = model.G_max_S
    return ltp, ltd


def _linear_ramp(amplitudes) -> tuple[float, float] | None:
    if amplitudes is None or len(amplitudes) < 2:
        return None
    a = np.asarray(amplitudes, dtype=float)
    if not np.all(np.isfinite(a)):
        return None
    step = (a[-1] - a[0]) / (a.size - 1)
    return (float(a[0]), float(step)) if np.allclose(a, a[0] + step * np.arange(a.size), atol=1e-9) else None


def neurosim_parameters(model: CompactModel) -> dict:
    """RealDevice fields (Cell.cpp, research/analog-tools.md §3.4) and DNN+NeuroSim V2.1 arguments.

    NL labels to NeuroSim's 0.01 resolution (LTD negative for a mirrored branch, the C++ convention);
    sigmaCtoC = σ_pulse × rms |Δg| of the mean trains, as a fraction of (Gmax − Gmin) per pulse
    (NeuroSim adds N(0, sigmaCtoC)·sqrt(#pulses)); sigmaDtoD = 0: NeuroSim's d2d is a spread of the NL
    label, the compact model's a spread of the step size (aihwkit's dw_min_dtod carries it).
    """
    s = model.summary()
    pulse = model.pulse or {}
    width = pulse.get("pulse_width_s")
    amps_up, amps_down = pulse.get("amplitude_up_V"), pulse.get("amplitude_down_V")
    c2c_fraction = model.variability.pulse_sigma_rel * _rms_step(model)
    real = {
        "maxConductance": model.G_max_S, "minConductance": model.G_min_S, "readVoltage": _read_voltage(model),
        "maxNumLevelLTP": model.potentiation.n_pulses, "maxNumLevelLTD": model.depression.n_pulses,
        "nonlinearWrite": True,
        "NL_LTP": round(s["potentiation"]["neurosim_label"], 2), "NL_LTD": round(s["depression"]["neurosim_label"], 2),
        "sigmaDtoD": 0.0, "sigmaCtoC_fraction": c2c_fraction,
    }
    if width is not None:
        real["writePulseWidthLTP"] = real["writePulseWidthLTD"] = float(width)
    ramp_up, ramp_down = _linear_ramp(amps_up), _linear_ramp(amps_down)
    if amps_up is not None and all(a is not None for a in amps_up):
        real["writeVoltageLTP"] = float(np.max(np.abs(amps_up)))
    if amps_down is not None and all(a is not None for a in amps_down):
        real["writeVoltageLTD"] = float(np.max(np.abs(amps_down)))
    if ramp_up and ramp_down and (abs(ramp_up[1]) > 0 or abs(ramp_down[1]) > 0):
        real.update(nonIdenticalPulse=True, VinitLTP=ramp_up[0], VstepLTP=ramp_up[1], VinitLTD=ramp_down[0],
                    VstepLTD=ramp_down[1], PWinitLTP=float(width or 0.0), PWstepLTP=0.0, PWinitLTD=float(width or 0.0),
                    PWstepLTD=0.0)
    else:
        real["nonIdenticalPulse"] = False
    dnn = {"--nonlinearityLTP": round(s["potentiation"]["neurosim_label"], 2),
           "--nonlinearityLTD": round(abs(s["depression"]["neurosim_label"]), 2),
           "--max_level": max(model.potentiation.n_pulses, model.depression.n_pulses),
           "--c2cVari": c2c_fraction, "--d2dVari": 0.0, "--onoffratio": model.G_max_S / model.G_min_S}
    return {"model": model.name, "RealDevice": real, "DNN_NeuroSim_V2.1_train_args": dnn,
            "definitions": {"NL_LTP/NL_LTD": "NeuroSim label = max|g(x) - x| / 0.099 of the exponential fit "
                                             "(documents/Nonlinearity-NormA.htm); LTD negative in Cell.cpp, positive "
                                             "(symmetric pair) for DNN+NeuroSim train.py",
                            "sigmaCtoC": "fraction of (maxConductance - minConductance) per pulse",
                            "sigmaDtoD": "0: the compact model's d2d is a step-size spread (sigma_device = "
                                         f"{model.variability.device_sigma_rel:.4g}), not an NL-label spread"}}


def _cpp_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return f"{v:.6g}"


def neurosim_cpp(model: CompactModel) -> tuple[str, str]:
    """(RealDevice block, MeasuredDevice block) to paste into NeuroSim's ``Cell.cpp`` constructors."""
    p = neurosim_parameters(model)["RealDevice"]
    lines = [f"\t// ftjphys compact model '{model.name}' (ftjphys export --format neurosim): RealDevice::RealDevice"]
    for key, value in p.items():
        if key == "sigmaCtoC_fraction":
            lines.append(f"\tsigmaCtoC = {value:.6g} * (maxConductance - minConductance);"
                         "\t// per pulse, x sqrt(#pulses)")
        else:
            lines.append(f"\t{key} = {_cpp_value(value)};")
    ltp, ltd = neurosim_arrays(model)

    def arr(a):
        return ",".join(f"{x:.10e}" for x in a)

    measured = (f"\t// ftjphys compact model '{model.name}': MeasuredDevice::MeasuredDevice (mean trains)\n"
                f"\treadVoltage = {_cpp_value(_read_voltage(model))};\n\tnonlinearWrite = true;\n"
                f"\tsymLTPandLTD = false;\n"
                f"\tdouble rawDataConductanceLTP[] = {{{arr(ltp)}}};\n"
                f"\tdouble rawDataConductanceLTD[] = {{{arr(ltd)}}};\n")
    return "\n".join(lines) + "\n", measured


def write_neurosim(model: CompactModel, out_dir) -> list[Path]:
    out = Path(out_dir)
    real, measured = neurosim_cpp(model)
    ltp, ltd = neurosim_arrays(model)
    params = neurosim_parameters(model)
    params["MeasuredDevice"] = {"rawDataConductanceLTP": ltp.tolist(), "rawDataConductanceLTD": ltd.tolist()}
    return [atomic_write_text(out / "RealDevice.cpp", real),
            atomic_write_text(out / "MeasuredDevice.cpp", measured),
            atomic_write_text(out / "neurosim_device.json", json.dumps(params, indent=1) + "\n")]


# ------------------------------------------------------------------------------------ SPICE


def spice_name(model: CompactModel) -> str:
    return "ftj_" + re.sub(r"[^A-Za-z0-9_]", "_", model.name)


def _pwl_pairs(x, y, per_line: int = 6) -> str:
    pairs = [f"{_g(a)}, {_g(b)}" for a, b in zip(x, y)]
    lines = [", ".join(pairs[i:i + per_line]) for i in range(0, len(pairs), per_line)]
    return ",\n+ ".join(lines)


def spice_rates(table: BranchTable) -> np.ndarray:
    """Rate r(g) per pulse width whose flow over one pulse equals the per-pulse map g → g + step(g).

    Second-order match: the flow of dg/dτ = r(g) over τ ∈ [0, 1] is g + r + r' r/2 + O(r³), so
    r = step − step'·step/2 (step' by finite differences on the node grid).
    """
    s = table.step_mean
    return s - 0.5 * np.gradient(s, table.g_nodes) * s


def spice_subcircuit(model: CompactModel, vth_V: float = 0.5) -> str:
    """ngspice subcircuit ``ftj_<name> p n`` (behavioural B-sources, state on a 1 F capacitor)."""
    name = spice_name(model)
    g = model.potentiation.g_nodes
    up, down = spice_rates(model.potentiation), spice_rates(model.depression)
    width = (model.pulse or {}).get("pulse_width_s") or 1e-3
    return f"""* ftjphys compact model '{model.name}': behavioural synapse for ngspice (ftjphys export --format spice)
*
* Terminals: p (top electrode), n. Read current I(p->n) = G(s) V(p,n), G(s) = gmin + (gmax - gmin) s.
* State s in [0, 1]: the voltage of the internal node s across a 1 F capacitor (initial value g0; run the
* transient with `uic`). While V(p,n) > vth a potentiation pulse is in progress and s grows at r_up(s)/tw;
* while V(p,n) < -vth it falls at r_down(s)/tw; |V| <= vth (reads) leaves s unchanged. One write pulse of
* width tw above threshold moves s by the compact model's mean step per pulse (rates: table r = step -
* step' step / 2 on the model's node grid, the flow of one pulse matching the per-pulse map), whatever its
* amplitude; s is held in [0, 1]. sdev scales both rates (device-to-device factor s_dev of the model).
* The model's noise (sigma_pulse = {model.variability.pulse_sigma_rel:.4g}, sigma_device = \
{model.variability.device_sigma_rel:.4g}) is not simulated here.
.subckt {name} p n params: g0=0 sdev=1 vth={_g(vth_V)} tw={_g(width)} gmin={_g(model.G_min_S)} gmax={_g(model.G_max_S)}
Cs s 0 1 ic={{g0}}
Rs s 0 1e15
Bup 0 s I = {{sdev/tw}} * u(V(p,n) - {{vth}}) * u(1 - V(s)) * pwl(V(s),
+ {_pwl_pairs(g, up)})
Bdn 0 s I = {{sdev/tw}} * u(-V(p,n) - {{vth}}) * u(V(s)) * pwl(V(s),
+ {_pwl_pairs(g, down)})
Bread p n I = ({{gmin}} + ({{gmax}} - {{gmin}}) * V(s)) * V(p,n)
.ends {name}
"""


def spice_testbench(model: CompactModel, n_up: int | None = None, n_down: int | None = None, g0: float = 0.0,
                    write_V: float = 3.0, read_V: float | None = None, data_file: str = "ftj_train.dat",
                    library: str = "ftj_synapse.lib") -> tuple[str, np.ndarray]:
    """A batch testbench: n_up potentiation then n_down depression pulses, each followed by a read.

    Period 4 tw: write (±write_V, width tw, 1 ns edges), pause, read (read_V) from 2 tw to 3 tw, pause.
    Writes time, V(x1.s) and the read current to ``data_file``. Returns (netlist, read times in s: the
    middle of each read).
    """
    n_up = model.potentiation.n_pulses if n_up is None else n_up
    n_down = model.depression.n_pulses if n_down is None else n_down
    read_V = _read_voltage(model) if read_V is None else read_V
    tw = (model.pulse or {}).get("pulse_width_s") or 1e-3
    edge = 1e-9
    points = []
    reads = []
    for k in range(n_up + n_down):
        t0 = 4 * tw * k
        v = write_V if k < n_up else -write_V
        points += [f"{_g(t0)} 0", f"{_g(t0 + edge)} {_g(v)}", f"{_g(t0 + tw + edge)} {_g(v)}",
                   f"{_g(t0 + tw + 2 * edge)} 0", f"{_g(t0 + 2 * tw)} 0", f"{_g(t0 + 2 * tw + edge)} {_g(read_V)}",
                   f"{_g(t0 + 3 * tw)} {_g(read_V)}", f"{_g(t0 + 3 * tw + edge)} 0"]
        reads.append(t0 + 2.5 * tw)
    t_end = 4 * tw * (n_up + n_down)
    pwl = "\n+ ".join(" ".join(points[i:i + 6]) for i in range(0, len(points), 6))
    name = spice_name(model)
    net = f"""* ftjphys compact model '{model.name}': {n_up} up + {n_down} down pulses, reads at {_g(read_V)} V
.include {library}
Vpulse in 0 PWL(
+ {pwl})
X1 in 0 {name} g0={_g(g0)}
.options reltol=1e-6
.control
set wr_singlescale
tran {_g(tw / 10)} {_g(t_end)} 0 {_g(tw / 20)} uic
wrdata {data_file} v(x1.s) i(Vpulse)
quit
.endc
.end
"""
    return net, np.asarray(reads)


def write_spice(model: CompactModel, out_dir) -> list[Path]:
    out = Path(out_dir)
    bench, _ = spice_testbench(model)
    return [atomic_write_text(out / "ftj_synapse.lib", spice_subcircuit(model)),
            atomic_write_text(out / "ftj_pulse_train.cir", bench)]


# ------------------------------------------------------------------------------------ entry


def export_model(model_path, fmt: str, out_dir=None) -> list[Path]:
    """Write the ``fmt`` export of the model file ``model_path`` into ``out_dir``; returns the files.

    Default directory: ``results/exports/<model file stem>/<fmt>``; for ``json`` the model's directory
    (the JSON twin ``<stem>.json``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; allowed: {', '.join(FORMATS)}")
    model_path = Path(model_path)
    model = load_compact_model(model_path)
    if fmt == "json":
        target = (Path(out_dir) / f"{model_path.stem}.json") if out_dir else model_path.with_suffix(".json")
        return [atomic_write_text(target, model_json(model))]
    out = Path(out_dir) if out_dir else Path("results") / "exports" / model_path.stem / fmt
    writer = {"crosssim": write_crosssim, "aihwkit": write_aihwkit, "neurosim": write_neurosim,
              "spice": write_spice}[fmt]
    return writer(model, out)
