"""``make bench`` smoke test: ``--quick`` prints every section with finite numbers.

Timings and speed ratios are reported by the benchmark, never asserted here.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np

from scenarios import bench

ROW = re.compile(r"^\s+\((a|a\*|b|b\*)\)\s+(pulse|retention)\s+(TR-BDF2 \(ours\)|solve_ivp BDF \(MOL\))\s+(.*)$")


def _table_rows(text: str) -> dict:
    rows = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rows[(m.group(1), m.group(3).split()[0])] = m.group(4).split()
    return rows


def test_quick_bench_prints_every_section_with_finite_numbers(capsys):
    t0 = time.perf_counter()
    assert bench.main(["--quick"]) == 0
    elapsed = time.perf_counter() - t0
    out = capsys.readouterr().out
    assert elapsed < 30.0, f"--quick took {elapsed:.1f} s"

    # Device core (the existing benchmark).
    assert "device core:" in out
    for key in ("numba :", "numpy :", "speed-up numba/numpy:"):
        assert key in out
    m = re.search(r"numba :\s+([0-9.eE+-]+) ms/point", out)
    assert m and math.isfinite(float(m.group(1))) and float(m.group(1)) > 0

    # Column dynamics: description, accuracy matching, table, ratios.
    for key in ("column dynamics:", "(a) pulse", "(b) retention", "matched accuracy", "reference: ours at rtol=",
                "ours at default tolerances:", "baseline ladder", "speed ratio baseline wall / ours:"):
        assert key in out, key
    R_ref = float(re.search(r"R_ref = ([0-9.eE+-]+) Ohm", out).group(1))
    e_ours = float(re.search(r"ours at default tolerances: R = [0-9.eE+-]+ Ohm, \|R/R_ref - 1\| = ([0-9.eE+-]+)",
                             out).group(1))
    assert np.isfinite(R_ref) and R_ref > 0 and np.isfinite(e_ours)

    rows = _table_rows(out)
    for run in ("a", "b"):
        for solver in ("TR-BDF2", "solve_ivp"):
            assert (run, solver) in rows, (run, solver)
    for (run, solver), fields in rows.items():
        # rtol, wall s, accepted, rejected, Newton, LU, rhs, R_read, P
        rtol, wall = float(fields[0]), float(fields[1])
        counts = [int(v) for v in fields[2:7]]
        assert rtol > 0 and math.isfinite(wall) and wall > 0
        assert counts[0] > 0 and min(counts) >= 0
        if fields[7] == "n/a":
            # only a baseline run stopped at its budget (or failed) has no read, and it says so
            assert solver == "solve_ivp" and fields[9].startswith("["), fields
            continue
        R, P = float(fields[7]), float(fields[8])
        assert np.isfinite(R) and R > 0 and np.isfinite(P)

    m = re.search(r"speed ratio baseline wall / ours: \(a\) (?:>= )?([0-9.]+)x\s+\(b\) (?:>= )?([0-9.]+)x", out)
    assert m, "speed ratio line"
    assert all(math.isfinite(float(g)) and float(g) > 0 for g in m.groups())


def test_pick_rungs_takes_the_loosest_and_the_robust_rung():
    nan = float("nan")
    assert bench.pick_rungs([5e-4, 1e-4, 3e-4, 1e-5], 2e-4) == (1, 3)
    assert bench.pick_rungs([1e-4, 1e-5], 2e-4) == (0, 0)
    assert bench.pick_rungs([5e-4, 4e-4], 2e-4) == (None, None)
    assert bench.pick_rungs([5e-4, 1e-4, nan], 2e-4) == (1, None)
