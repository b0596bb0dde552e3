"""Fig. 5: transport analysis and band diagrams of the three device states (HRS, LRS1, LRS2).

For each state: I-V over a range that shows direct tunnelling and Fowler-Nordheim tunnelling, the band
profile at zero bias, and the closed-form fits of the paper (trapezoid DT on LRS1, FN transition voltage,
Schottky emission on HRS). The calibrated set and the literature set are analysed side by side.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
from scipy import constants as sc

from ftjphys.transport_analysis import AnalysisSettings, analyse

from .common import device_parameters, open_result_for_plot, parameter_quantities, save_figure
from .store import Quantity, RunResult

NAME = "fig5"
DESCRIPTION = "Fig. 5: I-V of HRS/LRS1/LRS2 with DT/FN/TE fits, and band diagrams"

PAPER = {"phi_DT_top_eV": 0.577, "phi_DT_bottom_eV": 0.164, "phi_TE_eV": 0.59,
         "R_LRS1_ohm": 1.0e3, "R_LRS2_ohm": 0.4e3, "R_HRS_ohm": 25e3}

_DERIVED_META = {
    "V_read_V": ("V", "read voltage of the resistances"),
    "R_HRS_ohm": ("ohm", "HRS read resistance V_read/I"),
    "R_LRS1_ohm": ("ohm", "LRS1 read resistance V_read/I"),
    "R_LRS2_ohm": ("ohm", "LRS2 read resistance V_read/I"),
    "phi_DT_top_eV": ("eV", "trapezoid DT fit of the LRS1 I-V: top (Cr/BTO) barrier"),
    "phi_DT_bottom_eV": ("eV", "trapezoid DT fit of the LRS1 I-V: bottom (BTO/NSTO) barrier"),
    "m_DT_fit_ratio": ("1", "trapezoid DT fit of the LRS1 I-V: effective mass / m0"),
    "phi_TE_eV": ("eV", "Schottky-emission fit of the HRS reverse branch: barrier"),
    "V_transition_V": ("V", "DT-to-FN transition voltage (minimum of ln(I/V^2) vs 1/V, LRS1, V > 0)"),
}


def config(quick: bool = False) -> dict:
    settings = AnalysisSettings(iv_points=61 if quick else 241)
    return {
        "parameter_set": "yang2022",
        "top_electrode": "Cr",
        "overrides": {},
        "analysis": dataclasses.asdict(settings),
        "literature_comparison": True,
        "band_bias_V": 0.0,
    }


def _settings(cfg: dict) -> AnalysisSettings:
    a = dict(cfg["analysis"])
    a["schottky_window_V"] = tuple(a["schottky_window_V"])
    return AnalysisSettings(**a)


def _derived(analysis, prefix: str) -> dict:
    return {f"{prefix}/{k}": Quantity(v, *_DERIVED_META[k]) for k, v in analysis.summary().items()}


def run(cfg: dict, progress: bool = True) -> RunResult:
    from tqdm.auto import tqdm

    settings = _settings(cfg)
    params = device_parameters(cfg)
    sets = [("", params)]
    if cfg.get("literature_comparison", True) and params.name != "literature":
        lit_cfg = dict(cfg, parameter_set="literature")
        sets.append(("literature", device_parameters(lit_cfg)))
    data = {}
    bar = tqdm(total=3 * len(sets), desc="fig5 states", disable=not progress)
    for label, p in sets:
        res = analyse(p, settings, cfg.get("band_bias_V", 0.0), progress=lambda name: bar.update())
        data.update(_derived(res, "/derived" + (f"/{label}" if label else "")))
        if label:
            continue
        data.update(parameter_quantities(p))
        for name, st in res.states.items():
            g = f"/states/{name}"
            data[f"{g}/V_V"] = Quantity(st.iv.V_V, "V", "bias (top electrode positive)", ("V_V",))
            data[f"{g}/I_A"] = Quantity(st.iv.I_A, "A", "current", ("V_V",))
            data[f"{g}/J_tunnel_A_per_m2"] = Quantity(st.iv.J_tunnel_A_per_m2, "A/m^2",
                                                      "current density below the barrier top (DT + FN)", ("V_V",))
            data[f"{g}/J_thermionic_A_per_m2"] = Quantity(st.iv.J_thermionic_A_per_m2, "A/m^2",
                                                          "current density above the barrier top (TE)", ("V_V",))
            data[f"{g}/barrier_top_eV"] = Quantity(st.iv.barrier_top_J / sc.eV, "eV",
                                                   "barrier maximum relative to the NSTO Fermi level", ("V_V",))
            data[f"{g}/band_x_m"] = Quantity(st.band_x_m, "m", "position (two points per cell)", ("band_x_m",))
            data[f"{g}/band_Ec_eV"] = Quantity(st.band_Ec_J / sc.eV, "eV",
                                               "conduction-band edge at zero bias, relative to E_F", ("band_x_m",))
            data[f"{g}/x_m"] = Quantity(st.band_x_m[::2].tolist() + [st.band_x_m[-1]], "m", "mesh nodes", ("x_m",))
            data[f"{g}/vacancy_m3"] = Quantity(st.vacancy_m3, "m^-3", "oxygen-vacancy density", ("x_m",))
            data[f"{g}/polarization_C_per_m2"] = Quantity(st.polarization_C_per_m2, "C/m^2", "polarization")
        nan = float("nan")
        data["/fits/dt_V_max_V"] = Quantity(settings.dt_fit_V_max_V, "V", "bias window of the DT fit (|V| <=)")
        data["/fits/dt_rms_log_residual"] = Quantity(res.dt_fit.rms_log_residual if res.dt_fit else nan, "1",
                                                     "rms of ln I residual, DT fit")
        data["/fits/schottky_rms_log_residual"] = Quantity(
            res.schottky_fit.rms_log_residual if res.schottky_fit else nan, "1", "rms of ln I residual, Schottky fit")
        data["/fits/failures"] = Quantity(json.dumps(res.fit_failures), "1", "fits that failed, with the reason (JSON)")
        data["/fits/schottky_window_V"] = Quantity(np.asarray(settings.schottky_window_V), "V",
                                                   "|V| window of the Schottky fit (HRS, V < 0)")
    bar.close()
    for k, v in PAPER.items():
        data[f"/paper/{k}"] = Quantity(v, _DERIVED_META[k][0], f"paper value: {_DERIVED_META[k][1]}")
    return RunResult(scenario=NAME, config=cfg, seed=None, data=data,
                     attrs={"/derived": {"R_HRS_ohm_note": "paper: R_HRS >= 25 kOhm"}})


def plot(h5_path, png_path) -> None:
    from ftjphys import barrier_models as bm

    plt, r = open_result_for_plot(h5_path)
    d = {k: q.values for k, q in r.data.items()}
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.6))
    colors = {"HRS": "tab:red", "LRS1": "tab:blue", "LRS2": "tab:green"}
    for name, c in colors.items():
        g = f"/states/{name}"
        ax[0].plot(np.asarray(d[f"{g}/band_x_m"]) * 1e9, d[f"{g}/band_Ec_eV"], color=c, label=name)
        V, I = np.asarray(d[f"{g}/V_V"]), np.asarray(d[f"{g}/I_A"])
        ax[1].semilogy(V, np.abs(I), color=c, label=name)
    bto_nm = float(d["/parameters/ferroelectric_thickness_m"]) * 1e9
    ax[0].axvspan(0, bto_nm, color="0.9")
    ax[0].axhline(0.0, color="k", lw=0.6, ls=":")
    ax[0].set(xlabel="x (nm)  [Cr | BTO | NSTO]", ylabel="E_c - E_F (eV)", xlim=(-0.2, bto_nm + 6),
              title="band diagrams at 0 V")
    # DT fit overlay on LRS1.
    V = np.asarray(d["/states/LRS1/V_V"])
    vmax = float(d["/fits/dt_V_max_V"])
    Vf = V[(np.abs(V) <= vmax)]
    area = float(d["/parameters/area_m2"]) * float(d["/parameters/transport/conducting_area_fraction"])
    Jfit = bm.trapezoid_dt_J(Vf, float(d["/derived/phi_DT_top_eV"]) * sc.eV, float(d["/derived/phi_DT_bottom_eV"]) * sc.eV,
                             float(d["/parameters/ferroelectric_thickness_m"]), float(d["/derived/m_DT_fit_ratio"]) * sc.m_e)
    ax[1].semilogy(Vf, np.abs(Jfit) * area, "k--", lw=1,
                   label=f"DT fit {float(d['/derived/phi_DT_top_eV']):.3f}/{float(d['/derived/phi_DT_bottom_eV']):.3f} eV")
    ax[1].set(xlabel="V (V)", ylabel="|I| (A)", title=f"I-V (R at {float(d['/derived/V_read_V'])} V)")
    ax[1].legend(fontsize=8)
    # FN plot of LRS1.
    pos = V > 0
    I = np.asarray(d["/states/LRS1/I_A"])
    ax[2].plot(1 / V[pos], np.log(np.abs(I[pos]) / V[pos] ** 2), color="tab:blue", label="LRS1")
    vt = float(d["/derived/V_transition_V"])
    ax[2].axvline(1 / vt, color="k", ls=":", label=f"V_trans = {vt:.2f} V")
    ax[2].set(xlabel="1/V (1/V)", ylabel="ln(I/V^2)", title="FN plot", xlim=(0, 10))
    ax[2].legend(fontsize=8)
    title = (f"Fig. 5 ({r.config['parameter_set']}): R_LRS1 {float(d['/derived/R_LRS1_ohm']):.3g} ohm, "
             f"R_LRS2 {float(d['/derived/R_LRS2_ohm']):.3g} ohm, R_HRS {float(d['/derived/R_HRS_ohm']):.3g} ohm, "
             f"phi_TE {float(d['/derived/phi_TE_eV']):.3f} eV")
    save_figure(fig, png_path, title)
