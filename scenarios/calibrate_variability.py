"""Calibration of the device-to-device parameter spread of ``figS4`` against the paper's d2d (8.3 %).

Film thickness, vacancy inventory and mean Merz activation field vary from device to device
(:class:`ftjphys.variability.DeviceSpread`); physics gives their proportions' kind but not their size,
which is a property of the growth run. The three spreads are scaled together by one factor s from
:data:`BASE_SPREAD` and s is fitted so that the ``figS4`` statistic (:func:`ftjphys.compact_fit.d2d_statistic`
over ``devices`` devices of ``cycles`` cycles each, the production 32-column device and ramp) meets
:data:`TARGET_D2D`. The device draws are common random numbers (one seed for every s), so d2d(s) is
smooth and increasing; the fit interpolates ln d2d linearly in ln s between bracketing evaluations
(regula falsi in log-log) and stops when the statistic is within ``tolerance`` of the target.

Run: ``python -m scenarios.calibrate_variability [--devices N] [--cycles N] [--workers N]``. It prints
the spread in the form of the ``figS4`` configuration's ``device_spread`` (copying it there is a deliberate,
reviewed step).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ftjphys.compact_fit import d2d_statistic

from . import figS4
from .parallel import parallel_map

TARGET_D2D = 0.083
# the proportions of the spread: 3 % thickness, 10 % (log-normal) vacancy inventory, 3 % activation field
BASE_SPREAD = {"thickness_rel": 0.03, "vacancy_inventory_log": 0.10, "activation_field_rel": 0.03}


def scaled_spread(scale: float) -> dict:
    return {k: v * float(scale) for k, v in BASE_SPREAD.items()}


def d2d_at(scales, devices: int, cycles: int, seed: int, workers: int, progress: bool) -> list[float]:
    """The figS4 d2d statistic at each spread scale, on the same device draws (common random numbers)."""
    base = figS4.config(False)
    children = np.random.SeedSequence(seed).spawn(devices)
    tasks = [{"cfg": dict(base, device_spread=scaled_spread(s)), "cycles": cycles, "seed": children[k],
              "device_draw": True, "name": f"scale {s:.3g} device {k}"} for s in scales for k in range(devices)]
    out = parallel_map(figS4.run_chain, tasks, workers=workers, progress=progress, desc="d2d")
    return [d2d_statistic(np.array(out[i * devices:(i + 1) * devices])) for i in range(len(scales))]


def solve_increasing(f, target: float, lo: float, hi: float, tolerance: float, max_evaluations: int,
                     report=print, name: str = "x") -> tuple[float, float]:
    """(x, f(x)) with |f(x) - target| <= tolerance for an increasing, positive f: regula falsi on ln f
    against ln x, starting from the bracket [lo, hi] (which need not contain the root: the first step may
    extrapolate). Raises when ``max_evaluations`` beyond the bracket do not reach the target."""
    f_lo, f_hi = f(lo), f(hi)
    report(f"{name} {lo:.4g}: {f_lo:.4f}; {name} {hi:.4g}: {f_hi:.4f}")
    x = fx = float("nan")
    for _ in range(max_evaluations):
        slope = np.log(f_hi / f_lo) / np.log(hi / lo)
        if not slope > 0:
            raise RuntimeError(f"f is not increasing between {lo:.4g} ({f_lo:.4g}) and {hi:.4g} ({f_hi:.4g})")
        x = float(np.exp(np.log(lo) + np.log(target / f_lo) / slope))
        fx = f(x)
        report(f"{name} {x:.4g}: {fx:.4f}")
        if abs(fx - target) <= tolerance:
            return x, fx
        lo, f_lo, hi, f_hi = (x, fx, hi, f_hi) if fx < target else (lo, f_lo, x, fx)
    raise RuntimeError(f"no x with f(x) = {target} +- {tolerance} in {max_evaluations} evaluations "
                       f"(last {name} {x:.4g}, f {fx:.4g})")


def calibrate(devices: int = 10, cycles: int = 3, seed: int = 77, workers: int = 2, bracket=(0.3, 0.45),
              tolerance: float = 0.003, max_evaluations: int = 4, progress: bool = True) -> tuple[float, float]:
    """(scale, d2d at the scale) with d2d within ``tolerance`` of :data:`TARGET_D2D`."""
    def d2d(scale):
        return d2d_at([scale], devices, cycles, seed, workers, progress)[0]

    return solve_increasing(d2d, TARGET_D2D, *bracket, tolerance, max_evaluations,
                            report=lambda line: print(line, flush=True), name="scale")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=10)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-evaluations", type=int, default=4)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    s, d = calibrate(a.devices, a.cycles, a.seed, a.workers, max_evaluations=a.max_evaluations,
                     progress=not a.quiet)
    print(f"d2d {d:.4f} at scale {s:.4g} (target {TARGET_D2D})")
    print(f'"device_spread": {{{", ".join(f"{k!r}: {v:.4g}" for k, v in scaled_spread(s).items())}}},')
    return 0


if __name__ == "__main__":
    sys.exit(main())
