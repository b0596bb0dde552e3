"""Calibration of the variability of ``figS4``: the nucleation spread against the paper's c2c (5.4 %), then
the device-to-device parameter spread against its d2d (8.3 %).

Cycle to cycle (``--target c2c``): every cycle redraws each column's Merz activation field with a
log-normal spread (``figS4``'s ``nucleation_spread``), the size of which physics does not give; it is fitted
so that the ``figS4`` statistic (:func:`ftjphys.compact_fit.c2c_statistic` over ``chains`` chains of
``cycles`` cycles, the production device and ramp) meets :data:`TARGET_C2C`, on common random numbers.

Film thickness, vacancy inventory and mean Merz activation field vary from device to device
(:class:`ftjphys.variability.DeviceSpread`); physics gives their proportions' kind but not their size,
which is a property of the growth run. The three spreads are scaled together by one factor s from
:data:`BASE_SPREAD` and s is fitted so that the ``figS4`` statistic (:func:`ftjphys.compact_fit.d2d_statistic`
over ``devices`` devices of ``cycles`` cycles each, the production 32-column device and ramp) meets
:data:`TARGET_D2D`. The device draws are common random numbers (one seed for every s), so d2d(s) is
smooth and increasing; the fit interpolates ln d2d linearly in ln s between bracketing evaluations
(regula falsi in log-log) and stops when the statistic is within ``tolerance`` of the target.

Run: ``python -m scenarios.calibrate_variability [--target c2c|d2d] [--devices N] [--cycles N]
[--workers N]``. It prints the value in the form of the ``figS4`` configuration's ``nucleation_spread`` or
``device_spread`` (copying it there is a deliberate, reviewed step; the d2d fit uses the configured
nucleation spread, so c2c comes first).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ftjphys.compact_fit import c2c_statistic, d2d_statistic

from . import figS4
from .parallel import parallel_map

TARGET_D2D = 0.083
TARGET_C2C = 0.054
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


def c2c_at(spreads, chains: int, cycles: int, seed: int, workers: int, progress: bool) -> list[float]:
    """The figS4 c2c statistic at each nucleation spread, on the same random numbers."""
    base = figS4.config(False)
    children = np.random.SeedSequence(seed).spawn(chains)
    tasks = [{"cfg": dict(base, nucleation_spread=float(s)), "cycles": cycles, "seed": children[k],
              "name": f"spread {s:.3g} chain {k}"} for s in spreads for k in range(chains)]
    out = parallel_map(figS4.run_chain, tasks, workers=workers, progress=progress, desc="c2c")
    return [c2c_statistic(np.concatenate(out[i * chains:(i + 1) * chains])) for i in range(len(spreads))]


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


def _fit(statistic, target: float, bracket, tolerance: float, max_evaluations: int, name: str):
    return solve_increasing(statistic, target, *bracket, tolerance, max_evaluations,
                            report=lambda line: print(line, flush=True), name=name)


def calibrate(devices: int = 10, cycles: int = 3, seed: int = 77, workers: int = 2, bracket=(0.3, 0.45),
              tolerance: float = 0.003, max_evaluations: int = 4, progress: bool = True) -> tuple[float, float]:
    """(scale, d2d at the scale) with d2d within ``tolerance`` of :data:`TARGET_D2D`."""
    return _fit(lambda scale: d2d_at([scale], devices, cycles, seed, workers, progress)[0], TARGET_D2D, bracket,
                tolerance, max_evaluations, "scale")


def calibrate_c2c(chains: int = 2, cycles: int = 20, seed: int = 78, workers: int = 2, bracket=(0.015, 0.03),
                  tolerance: float = 0.003, max_evaluations: int = 4, progress: bool = True) -> tuple[float, float]:
    """(nucleation spread, c2c at it) with c2c within ``tolerance`` of :data:`TARGET_C2C`."""
    return _fit(lambda spread: c2c_at([spread], chains, cycles, seed, workers, progress)[0], TARGET_C2C, bracket,
                tolerance, max_evaluations, "spread")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=("c2c", "d2d"), default="d2d")
    ap.add_argument("--devices", type=int, default=10, help="d2d: devices")
    ap.add_argument("--chains", type=int, default=2, help="c2c: independent chains")
    ap.add_argument("--cycles", type=int, default=None, help="cycles per device (d2d: 3) or chain (c2c: 20)")
    ap.add_argument("--seed", type=int, default=None, help="random numbers (d2d: 77, c2c: 78)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-evaluations", type=int, default=4)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.target == "c2c":
        spread, c = calibrate_c2c(a.chains, a.cycles or 20, 78 if a.seed is None else a.seed, a.workers,
                                  max_evaluations=a.max_evaluations, progress=not a.quiet)
        print(f"c2c {c:.4f} at nucleation spread {spread:.4g} (target {TARGET_C2C})")
        print(f'"nucleation_spread": {spread:.4g},')
        return 0
    a.cycles, a.seed = a.cycles or 3, 77 if a.seed is None else a.seed
    s, d = calibrate(a.devices, a.cycles, a.seed, a.workers, max_evaluations=a.max_evaluations,
                     progress=not a.quiet)
    print(f"d2d {d:.4f} at scale {s:.4g} (target {TARGET_D2D})")
    print(f'"device_spread": {{{", ".join(f"{k!r}: {v:.4g}" for k, v in scaled_spread(s).items())}}},')
    return 0


if __name__ == "__main__":
    sys.exit(main())
