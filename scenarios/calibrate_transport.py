"""Calibration of the ``yang2022`` transport parameters against the paper's Fig. 2b and Fig. 5 numbers.

Objective (weighted least squares, each residual divided by its tolerance scale):
    ln(R_LRS1 / 1 kOhm) / 0.25,  ln(R_LRS2 / 0.4 kOhm) / 0.25,  min(0, ln(R_HRS / 40 kOhm)) / 0.25,
    (phi_DT_top - 0.577 eV) / 0.03 eV,  (phi_DT_bottom - 0.164 eV) / 0.03 eV,  (phi_TE - 0.59 eV) / 0.03 eV
where every number is produced by the same analysis as ``make fig5`` (prescribed states, Tsu-Esaki/WKB
I-V, closed-form fits). Fitted parameters and their physical readings: see YANG2022_CALIBRATION in
:mod:`ftjphys.parameters` and the README. Literature values stay literature values.

Run: ``python -m scenarios.calibrate_transport [--max-evaluations N]``. It prints the fitted values in the
form of YANG2022_CALIBRATION; copying them there is a deliberate, reviewed step.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import constants as sc

from ftjphys.parameters import YANG2022_CALIBRATION, literature
from ftjphys.transport_analysis import AnalysisSettings, analyse

from .common import bounded_least_squares, print_calibration

TARGETS = {"R_LRS1_ohm": 1.0e3, "R_LRS2_ohm": 0.4e3, "R_HRS_min_ohm": 40e3,
           "phi_DT_top_eV": 0.577, "phi_DT_bottom_eV": 0.164, "phi_TE_eV": 0.59}
LOG_R_SCALE = 0.25
PHI_SCALE_EV = 0.03

# name: (scale, lower bound, upper bound) in SI
FREE = {
    "ferroelectric.vacancy_band_lowering_J": (sc.eV, 0.0, 1.5 * sc.eV),
    "top_electrode.screening_length_m": (1e-11, 0.0, 1e-10),
    "interface_charge_C_per_m2": (0.1, -0.6, 0.0),
    "remanent_polarization_C_per_m2": (0.1, 0.02, 0.4),
    "vacancy_sheet_density_m2": (1e17, 1e15, 5e17),
    "ferroelectric.tunnelling_mass_ratio": (1.0, 0.3, 6.0),
}


def residuals(values: dict, settings: AnalysisSettings) -> np.ndarray:
    """The weighted residual vector of the objective for parameter ``values`` (SI, dotted names)."""
    s = analyse(literature().replace(**values), settings).summary()
    return np.array([
        np.log(s["R_LRS1_ohm"] / TARGETS["R_LRS1_ohm"]) / LOG_R_SCALE,
        np.log(s["R_LRS2_ohm"] / TARGETS["R_LRS2_ohm"]) / LOG_R_SCALE,
        min(0.0, np.log(s["R_HRS_ohm"] / TARGETS["R_HRS_min_ohm"])) / LOG_R_SCALE,
        (s["phi_DT_top_eV"] - TARGETS["phi_DT_top_eV"]) / PHI_SCALE_EV,
        (s["phi_DT_bottom_eV"] - TARGETS["phi_DT_bottom_eV"]) / PHI_SCALE_EV,
        (s["phi_TE_eV"] - TARGETS["phi_TE_eV"]) / PHI_SCALE_EV,
    ])


def calibrate(max_evaluations: int = 80, settings: AnalysisSettings | None = None, verbose: bool = True):
    """Least squares from the current YANG2022_CALIBRATION values; returns (values, cost)."""
    settings = settings or AnalysisSettings(iv_points=121)
    names = list(FREE)
    scale = np.array([FREE[n][0] for n in names])
    x0 = np.array([YANG2022_CALIBRATION[n].value for n in names]) / scale
    lo = np.array([FREE[n][1] for n in names]) / scale
    hi = np.array([FREE[n][2] for n in names]) / scale

    def describe(x):
        return "  ".join(f"{n.split('.')[-1]}={v:.4g}" for n, v in zip(names, x * scale))

    res = bounded_least_squares(lambda x: residuals(dict(zip(names, x * scale)), settings), x0, lo, hi, 6,
                                diff_step=0.02, max_evaluations=max_evaluations, verbose=verbose,
                                describe=describe)
    return dict(zip(names, res.x * scale)), float(res.cost)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-evaluations", type=int, default=80)
    args = ap.parse_args(argv)
    values, cost = calibrate(args.max_evaluations)
    print_calibration(values, cost)
    return 0


if __name__ == "__main__":
    sys.exit(main())
