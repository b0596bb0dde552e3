"""Banded-plus-border ("arrow") direct solver against dense LAPACK, and the column's compiled stage Newton
against the generic sparse Newton of the integrator."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ftjphys.column import ColumnModel, interleaved_order
from ftjphys.electrostatics import vacancy_profile_m3
from ftjphys.parameters import yang2022
from solvers.arrow_lu import ArrowStructure, arrow_factor, arrow_fill, arrow_solve, arrow_solve_dense
from solvers.column_newton import limit_update
from solvers.integrators import integrate


def _arrow_pattern(n, kl, ku, rng):
    """A random arrow pattern (band kl/ku, full border) in a random original numbering."""
    rows, cols = [], []
    for i in range(n - 1):
        for j in range(max(0, i - kl), min(n - 1, i + ku + 1)):
            rows.append(i)
            cols.append(j)
        rows += [i, n - 1]
        cols += [n - 1, i]
    rows.append(n - 1)
    cols.append(n - 1)
    order = rng.permutation(n)
    return order[np.array(rows)], order[np.array(cols)], order


def _solve(structure, vals, c, mass, rhs):
    ab, ipiv, u, v, z, corner = structure.workspace()
    arrow_fill(vals, c, mass, structure.kind, structure.row, structure.col, structure.row_original,
               structure.position, structure.kl, structure.ku, ab, u, v, corner)
    info = arrow_factor(ab, structure.kl, structure.ku, ipiv, u, v, z, corner)
    out = np.empty(structure.n)
    arrow_solve(ab, structure.kl, structure.ku, ipiv, v, z, corner, structure.position, rhs, out)
    return info, out


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 60), kl=st.integers(0, 6), ku=st.integers(0, 6), seed=st.integers(0, 2**31))
def test_arrow_solve_equals_dense_solve(n, kl, ku, seed):
    """Random (not diagonally dominant: pivoting is needed) arrow matrices: the solution equals LAPACK's
    dense solve to 1e-9 relative. Block elimination is stable when the banded block is well conditioned
    (in the column: Gauss's law and the density rows); cases where it or the whole matrix has a
    condition number above 1e6 are not drawn."""
    rng = np.random.default_rng(seed)
    rows, cols, order = _arrow_pattern(n, kl, ku, rng)
    s = ArrowStructure(rows, cols, n, order)
    assert s.kl <= kl and s.ku <= ku
    vals = rng.normal(size=rows.size)
    c = rng.uniform(0.5, 2.0, n)
    mass = rng.uniform(0.0, 1.0, n)
    rhs = rng.normal(size=n)
    dense = arrow_solve_dense(s, vals, c, mass, rhs)
    info, out = _solve(s, vals, c, mass, rhs)
    A = np.diag(mass)
    np.add.at(A, (rows, cols), -c[rows] * vals)
    band = order[:-1]
    assume(np.linalg.cond(A) < 1e6 and np.linalg.cond(A[np.ix_(band, band)]) < 1e6)
    assert info == 0
    assert np.max(np.abs(out - dense)) <= 1e-9 * max(1.0, np.max(np.abs(dense)))


def test_zero_pivot_is_reported():
    """A structurally singular band (an empty column) gives a nonzero code, never a solution."""
    n = 5
    rows = np.array([0, 1, 1, 3, 4, 0, 4])
    cols = np.array([0, 1, 0, 3, 4, 4, 0])
    s = ArrowStructure(rows, cols, n, np.arange(n))
    ab, ipiv, u, v, z, corner = s.workspace()
    arrow_fill(np.ones(rows.size), np.ones(n), np.zeros(n), s.kind, s.row, s.col, s.row_original, s.position,
               s.kl, s.ku, ab, u, v, corner)
    assert arrow_factor(ab, s.kl, s.ku, ipiv, u, v, z, corner) == 3     # column 2 is empty


def _column(traps=5e26, **changes):
    p = yang2022().replace(**{"vacancies.trap_site_density_m3": traps, **changes})
    cm = ColumnModel(p, lambda t: 3.0 if t < 1e-4 else 0.1, 1.2e10)
    NV = vacancy_profile_m3(p, cm.es.mesh, p.vacancy_sheet_density_m2, "top")
    return cm, cm.initial_state(-0.14, NV, 0.0)


@pytest.mark.parametrize("changes", [{}, {"vacancies.exchange_site_density_m2": 2e17},
                                     {"vacancies.migration": False}])
def test_column_newton_matrix_is_an_arrow(changes):
    """Interleaving the unknowns node by node leaves a band a few nodes wide (under a fifth of the
    matrix) plus P's border; without interface sites the lower band is one node's unknowns."""
    cm, y = _column(**changes)
    s = cm.stage_solver().structure
    assert (s.kl + s.ku) * 5 < s.n
    if not cm.layout.n_exchange:
        assert s.kl <= 2 + cm.layout.n_traps
    assert sorted(interleaved_order(cm.layout)) == list(range(cm.layout.size))


@pytest.mark.parametrize("changes", [{}, {"vacancies.exchange_site_density_m2": 2e17}])
def test_compiled_stage_newton_matches_sparse_newton(changes):
    """A 100 us write and a read, integrated with the compiled stage Newton and with the integrator's
    generic sparse Newton (the same model without the hook): the same steps and the same solution within
    what the Newton tolerance allows, newton_tol (0.03) x rtol of each component's scale (the two LUs
    differ in rounding, so the iterates that pass the tolerance differ at that level)."""

    class Generic:                         # the model seen without its stage_solver hook
        def __init__(self, model):
            self.m = model
            self.mass = model.mass

        def rhs(self, t, y):
            return self.m.rhs(t, y)

        def residual(self, t, y):
            return self.m.residual(t, y)

        def limit_update(self, y, dy):
            return self.m.limit_update(y, dy)

    cm, y0 = _column(**changes)
    kw = dict(rtol=1e-4, atol=np.where(cm.mass > 0, 1e16, 1e-6), breakpoints=[1e-4], output_times=[2e-4])
    kw["atol"][cm.layout.P] = 1e-5
    fast = integrate(cm, 0.0, y0, 2e-4, **kw)
    slow = integrate(Generic(cm), 0.0, y0, 2e-4, **kw)
    assert fast.stats.n_steps == slow.stats.n_steps
    scale = np.maximum(np.abs(slow.y_out[0]), kw["atol"])
    assert np.max(np.abs(fast.y_out[0] - slow.y_out[0]) / scale) < 0.03 * kw["rtol"]


def test_limit_update_equals_numpy_twin():
    cm, y = _column(**{"vacancies.exchange_site_density_m2": 2e17})
    L = cm.layout
    rng = np.random.default_rng(4)
    y[L.theta] = 0.95
    dy = rng.normal(0.0, 1.0, L.size) * np.where(cm.mass > 0, np.abs(y) + 1e24, 0.2)
    dy[L.theta] = 0.2
    expected = cm.limit_update(y.copy(), dy.copy())
    got = dy.copy()
    limit_update(y, got, L.n_nodes, L.P, L.theta.start, cm.Vt)
    assert np.allclose(got, expected, rtol=1e-14, atol=0.0)
    assert np.allclose(cm.stage_solver().limit_update(y, dy), expected, rtol=1e-14, atol=0.0)


def test_compiled_stage_newton_failure_raises_with_diagnostics():
    """A bias that turns non-finite at t = 5 us: the compiled stage Newton reports a non-finite residual,
    the step shrinks to its floor and the integrator raises with the time, step and Newton norms."""
    from solvers.errors import SolverError

    p = yang2022().replace(**{"vacancies.trap_site_density_m3": 5e26})
    cm = ColumnModel(p, lambda t: 1.0 if t < 5e-6 else float("nan"), 1.2e10)
    NV = vacancy_profile_m3(p, cm.es.mesh, p.vacancy_sheet_density_m2, "top")
    y0 = cm.initial_state(-0.14, NV, 1.0)
    atol = np.where(cm.mass > 0, 1e16, 1e-6)
    with pytest.raises(SolverError, match="not finite") as info:
        integrate(cm, 0.0, y0, 1e-5, rtol=1e-4, atol=atol)
    d = info.value.diagnostics
    assert d["t"] == pytest.approx(5e-6, rel=1e-9) and d["h"] < 1e-15
    assert "newton_residual" in d and "worst_component" in d
