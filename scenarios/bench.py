"""Benchmarks (``make bench``): each timing is reported as a ratio against a baseline measured in the
same run, never as an absolute threshold in a test.

Device core: time per bias point (Poisson solve plus Tsu-Esaki current) on the production mesh of
``yang2022``, with the numba kernels against their numpy twins.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from ftjphys.junction import Junction
from ftjphys.parameters import yang2022
from ftjphys.states import PRESCRIBED_STATES


def _time_bias_points(kernel: str, V: np.ndarray, repeats: int) -> tuple[float, int]:
    """Median seconds per bias point over ``repeats`` sweeps of ``V`` through all prescribed states."""
    junction = Junction(yang2022(), kernel=kernel)
    es, tr = junction.electrostatics, junction.transport
    # Warm-up: compile the numba kernels and build the Fermi table outside the timing.
    warm = es.solve(0.1, 0.1, None)
    tr.current(warm)
    per_point = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = 0
        for spec in PRESCRIBED_STATES.values():
            P, NV = junction.state_arrays(spec)
            guess = None
            for v in V:
                prof = es.solve(v, P, NV, guess=guess)
                guess = prof.psi_V
                tr.current(prof)
                n += 1
        per_point.append((time.perf_counter() - t0) / n)
    return float(np.median(per_point)), junction.mesh.n_nodes


def bench_device_core(repeats: int = 3) -> dict:
    V = np.linspace(0.02, 1.0, 50)
    t_nb, nodes = _time_bias_points("numba", V, repeats)
    t_np, _ = _time_bias_points("numpy", V, max(1, repeats // 2))
    return {"nodes": nodes, "numba_ms_per_point": 1e3 * t_nb, "numpy_ms_per_point": 1e3 * t_np,
            "speedup": t_np / t_nb, "target_ms_per_point": 5.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    r = bench_device_core(args.repeats)
    print("device core: Poisson solve + Tsu-Esaki/WKB current per bias point (yang2022, "
          f"{r['nodes']} nodes, sweep continuation, one core)")
    print(f"  numba : {r['numba_ms_per_point']:8.3f} ms/point   (target <= {r['target_ms_per_point']:.0f} ms)")
    print(f"  numpy : {r['numpy_ms_per_point']:8.3f} ms/point   (reference twin, same run)")
    print(f"  speed-up numba/numpy: {r['speedup']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
