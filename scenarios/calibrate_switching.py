"""Calibration of the switching dynamics of ``yang2022`` against the paper's Fig. 2b and Fig. 2c numbers.

Objective (weighted least squares; each residual divided by its tolerance scale), on reduced runs
(``COLUMNS`` domain columns, R-V loops 0 -> +4 -> -4 -> 0 V in 0.25 V steps, reads at 0.1 V):
    ln(R_LRS(10 us) / 1 kOhm) / 0.35,   ln(R_LRS(1 ms) / 0.4 kOhm) / 0.35,
    (window_+- - 2.0 V) / 0.3 for both widths and polarities,
    max(0, ln(R_HRS(10 us) / R_HRS(1 ms))) / 0.35  (HRS grows with width),
    min(0, ln(R_HRS(1 ms) / 25 kOhm)) / 0.35,
    max(0, drift - 0.05) / 0.05 for the LRS and HRS written by 1 ms pulses, read over 1e4 s at 0 V.
Fitted: the film's Landau shift (sets Ps of the 1.6 nm film), the Merz activation field, its spread and the
LK viscosity. The vacancy migration energy is not fitted: it follows from the paper's mobility at switching
fields (:func:`ftjphys.vacancy_mobility.migration_energy_for_mobility_J`); the trap parameters are given
in ``FIXED`` with their readings.

Run: ``python -m scenarios.calibrate_switching [--max-evaluations N]``; it prints the values.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import constants as sc

from ftjphys.device import Device, InitialState
from ftjphys.parameters import yang2022
from ftjphys.protocols import Hold, Protocol, Pulse, Read
from ftjphys.switching_analysis import loop_switching
from ftjphys.vacancy_mobility import migration_energy_for_mobility_J

from .common import bounded_least_squares, print_calibration
from .switching import loop_amplitudes, rv_loop_protocol

COLUMNS = 3
V_READ_V = 0.1

FIXED = {
    # paper: mu ~ 1e-11 cm^2/Vs at switching fields (~10 MV/cm), a = 0.28 nm, nu0 = 1e13 Hz, 300 K
    "vacancies.migration_energy_J": migration_energy_for_mobility_J(1e-15, 1e9, 0.28e-9, 1e13, 300.0),
    # traps that capture within a pulse and release over 1.1 +- 0.1 eV (research/mechanisms.md, mechanism 1)
    "vacancies.trap_site_density_m3": 1e27,
    "vacancies.trap_capture_energy_J": 0.35 * sc.eV,
    "vacancies.trap_release_energy_J": 1.1 * sc.eV,
    "vacancies.trap_release_spread_J": 0.1 * sc.eV,
}

# name: (scale, lower, upper); the viscosity is fitted as its log10
FREE = {
    "ferroelectric.landau_a2_shift_J_m_per_C2": (1e8, 3.0e8, 3.85e8),
    "domains.activation_field_V_per_m": (1e10, 0.4e10, 3e10),
    "domains.activation_spread": (0.1, 0.03, 0.5),
    "log10 domains.lk_viscosity_ohm_m": (1.0, 0.0, 4.0),
}


def _values(x) -> dict:
    out = dict(FIXED)
    for (name, (scale, _, _)), v in zip(FREE.items(), x):
        if name.startswith("log10 "):
            out[name[6:]] = 10.0 ** (v * scale)
        else:
            out[name] = v * scale
    out["domains.columns"] = COLUMNS
    return out


def _loop(params, width_s):
    amps = loop_amplitudes(4.0, 0.25)
    wf = rv_loop_protocol(amps, width_s, V_READ_V, 1e-6, 1e-5).compile()
    run = Device(params).run(wf, [w.t_end_s for w in wf.read_windows], initial=InitialState(-1, "top"))
    return loop_switching(amps, run.R_ohm)


def _drift(params, amplitude_V):
    steps = [Pulse(amplitude_V, 1e-3), Hold(1e-3), Read(V_READ_V, 1e-6)]
    prev = 2e-3
    for t in (1e0, 1e2, 1e4):
        steps += [Hold(t - prev), Read(V_READ_V, 1e-6)]
        prev = t
    wf = Protocol(tuple(steps)).compile()
    start = InitialState(-1, "top") if amplitude_V > 0 else InitialState(+1, "bottom")
    R = Device(params).run(wf, [w.t_end_s for w in wf.read_windows], initial=start).R_ohm
    return float(np.max(np.abs(R / R[0] - 1.0)))


def residuals(values: dict, verbose: bool = False) -> np.ndarray:
    p = yang2022().replace(**values)
    fast, slow = _loop(p, 1e-5), _loop(p, 1e-3)
    r = [np.log(fast.R_LRS_ohm / 1e3) / 0.35, np.log(slow.R_LRS_ohm / 0.4e3) / 0.35]
    for sw in (fast, slow):
        for w in sw.windows_V:
            r.append((w - 2.0) / 0.3 if np.isfinite(w) else 5.0)
    r.append(max(0.0, np.log(fast.R_HRS_ohm / slow.R_HRS_ohm)) / 0.35)
    r.append(min(0.0, np.log(slow.R_HRS_ohm / 25e3)) / 0.35)
    drifts = [_drift(p, +4.0), _drift(p, -4.0)]
    r += [max(0.0, d - 0.05) / 0.05 for d in drifts]
    if verbose:
        print(f"  R_LRS {fast.R_LRS_ohm:.3g}/{slow.R_LRS_ohm:.3g}  R_HRS {fast.R_HRS_ohm:.3g}/{slow.R_HRS_ohm:.3g}  "
              f"windows {np.round(fast.windows_V, 2)}/{np.round(slow.windows_V, 2)}  drift {np.round(drifts, 3)}",
              flush=True)
    return np.array(r)


def calibrate(x0, max_evaluations=40, verbose=True):
    names = list(FREE)
    lo = np.array([FREE[n][1] for n in names]) / np.array([FREE[n][0] for n in names])
    hi = np.array([FREE[n][2] for n in names]) / np.array([FREE[n][0] for n in names])

    res = bounded_least_squares(lambda x: residuals(_values(x), verbose), x0, lo, hi, 11, diff_step=0.03,
                                max_evaluations=max_evaluations, verbose=verbose,
                                describe=lambda x: f"x = {np.round(x, 4).tolist()}")
    return _values(res.x), float(res.cost)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-evaluations", type=int, default=40)
    args = ap.parse_args(argv)
    x0 = np.array([3.65, 1.0, 1.5, 2.0])          # Ps(film) ~ 0.2, E_a 1e10 V/m, spread 0.15, rho0 100
    values, cost = calibrate(x0, args.max_evaluations)
    print_calibration(values, cost)
    return 0


if __name__ == "__main__":
    sys.exit(main())
