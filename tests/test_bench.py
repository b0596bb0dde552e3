"""``make bench`` smoke test: ``--quick`` prints every section with finite numbers.

Timings and speed ratios are reported by the benchmark, never asserted here.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

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
    assert "relaxed at 0 V" in out
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


def test_both_runs_start_from_the_rested_column():
    """The start state is the initial profile relaxed at 0 V: the traps hold vacancies, the count is
    conserved, another second at 0 V moves the mobile count by under 1 % (capture and release balance),
    and runs (a) and (b) start from the same state."""
    from ftjphys.column import ColumnModel
    from ftjphys.electrostatics import vacancy_profile_m3
    from solvers.integrators import integrate

    cfg = bench.QUICK
    p = bench.column_params(cfg)
    y = bench.rested_state(p)
    model = ColumnModel(p, lambda t: 0.0, p.domains.activation_field_V_per_m)
    L = model.layout
    NV = vacancy_profile_m3(p, model.es.mesh, p.vacancy_sheet_density_m2, "top")
    start = model.initial_state(-p.remanent_polarization_C_per_m2, NV)
    assert model.vacancy_count_m2(y) == pytest.approx(model.vacancy_count_m2(start), rel=1e-10)
    trapped = sum(float(np.sum(model.vol * y[L.T(k)])) for k in range(L.n_traps))
    assert trapped > 0.5 * model.vacancy_count_m2(y)

    def mobile(state):
        return float(np.sum(model.vol * state[L.N]))

    later = integrate(model, 0.0, y, bench.REST_S, rtol=bench.REST_RTOL,
                      atol=bench._atol_full(model, bench.REST_RTOL)).y
    assert abs(mobile(later) / mobile(y) - 1.0) < 0.01
    a, b = bench.make_case(cfg, retention=False), bench.make_case(cfg, retention=True)
    assert np.array_equal(a.y0, y) and np.array_equal(b.y0, y)


def test_pick_rungs_takes_the_loosest_and_the_robust_rung():
    nan = float("nan")
    assert bench.pick_rungs([5e-4, 1e-4, 3e-4, 1e-5], 2e-4) == (1, 3)
    assert bench.pick_rungs([1e-4, 1e-5], 2e-4) == (0, 0)
    assert bench.pick_rungs([5e-4, 4e-4], 2e-4) == (None, None)
    assert bench.pick_rungs([5e-4, 1e-4, nan], 2e-4) == (1, None)
