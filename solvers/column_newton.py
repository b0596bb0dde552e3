"""Compiled stage Newton of the column DAE: the whole iteration of one implicit stage in one numba call.

Each TR-BDF2 stage solves  G(y) = M y - c f(t, y) - b = 0  (c = a h on differential rows, 1 on the
algebraic Gauss rows). One call of :func:`stage_newton` runs the damped (simplified) Newton iteration

    y <- y + limit(y, -(M - diag(c) J)^-1 G(y))

to the scaled update norm ``newton_tol``: it evaluates f and J (:func:`column_evaluate`: the Poisson
kernel plus :func:`solvers.column_kernel.column_rhs_numba`), factors the Newton matrix in arrow form
(:mod:`solvers.arrow_lu`; the factors stay in the workspace for later stages while the coefficient c is
unchanged) and applies the Newton damping :func:`limit_update` (the same rule as
:meth:`ftjphys.column.ColumnModel.limit_update`, its numpy twin). Python is entered once per stage
instead of once per iteration, which is what makes long pulse trains affordable.

Status codes of :func:`stage_newton`: see ``STATUS``.
"""

from __future__ import annotations

import numba
import numpy as np

from .arrow_lu import arrow_factor, arrow_fill, arrow_solve
from .column_kernel import column_rhs_numba
from .poisson import assemble_numba

#: potential updates up to this many thermal voltages are taken whole; beyond, the excess is log-compressed
#: (keeps the exponential carrier densities of a far-off iterate in range without slowing small updates)
PSI_UNDAMPED_VT = 10.0

CONVERGED, DIVERGED, NOT_CONVERGED, RESIDUAL_NOT_FINITE, SINGULAR, UPDATE_NOT_FINITE = range(6)
STATUS = {
    CONVERGED: "converged",
    DIVERGED: "Newton diverges",
    NOT_CONVERGED: "Newton did not converge",
    RESIDUAL_NOT_FINITE: "Newton residual is not finite",
    SINGULAR: "Newton matrix is singular",
    UPDATE_NOT_FINITE: "Newton update is not finite",
}


@numba.njit(cache=True)
def column_evaluate(y, n, nf, K, J, pc, cc, f, rows, cols, vals, r, abp):
    """f(y) and the COO Jacobian values of one column (layout psi, N, T_k, theta, P; ``pc``: the Poisson
    constants of :meth:`ftjphys.electrostatics.Electrostatics.kernel_constants`, ``cc``: the column constants
    in the order :class:`ftjphys.column.ColumnModel` packs them).
    Returns the number of COO entries written."""
    (h, eps, E0, semi, chi, Nd, Nc, fe, sigma, z, kT, psi_left, robin_c, psi_right, eta0, step, lnF,
     dlnF) = pc
    (vol, h_fe, x_fe, qe, zc, Vt, D, a_hop, release0, capture, trap_sites, a_r, ex_rate0, ex_sites,
     ex_alpha, ex_node, ex_Nref, Ea, Es, rho0, a2, a4, a6, Ps, dPs, d) = cc
    psi = y[:n]
    N = y[n:n + nf]
    T = np.ascontiguousarray(y[n + nf:n + nf * (1 + K)]).reshape((K, nf))
    theta = y[n + nf * (1 + K):n + nf * (1 + K) + J]
    P = y[n + nf * (1 + K) + J]
    NV = np.zeros(n)
    for i in range(nf):
        s = N[i]
        for k in range(K):
            s += T[k, i]
        NV[i] = s
    Pc = fe * P
    assemble_numba(psi, h, eps, E0, Pc, semi, chi, Nd, Nc, fe, NV, sigma, z, kT, psi_left, robin_c, psi_right,
                   eta0, step, lnF, dlnF, r, abp)
    return column_rhs_numba(psi, N, T, theta, P, r, abp, vol, h_fe, x_fe, qe, zc, Vt, D, a_hop, release0,
                            capture, trap_sites, a_r, ex_rate0, ex_sites, ex_alpha, ex_node, ex_Nref, robin_c,
                            Ea, Es, rho0, a2, a4, a6, Ps, dPs, d, f, rows, cols, vals)


@numba.njit(cache=True)
def limit_update(y, dy, n, i_P, i_theta, Vt):
    """Newton damping in place: potential updates beyond a = PSI_UNDAMPED_VT V_t are log-compressed,
    |d| -> a + V_t ln(1 + (|d| - a)/V_t); the density and
    occupation updates (indices n .. i_P - 1) are scaled by one common factor that keeps densities >= 0
    and occupations (i_theta .. i_P - 1) <= 1 (a uniform scaling keeps the vacancy count conserved)."""
    for i in range(n):
        a = abs(dy[i])
        if a > PSI_UNDAMPED_VT * Vt:
            dy[i] = np.sign(dy[i]) * (PSI_UNDAMPED_VT * Vt + Vt * np.log1p(a / Vt - PSI_UNDAMPED_VT))
    scale = 1.0
    for i in range(n, i_P):
        if y[i] + dy[i] < 0.0:
            scale = min(scale, 0.9 * y[i] / -dy[i])
    for i in range(i_theta, i_P):
        if y[i] + dy[i] > 1.0:
            scale = min(scale, 0.9 * (1.0 - y[i]) / dy[i])
    if scale < 1.0:
        for i in range(n, i_P):
            dy[i] *= scale


@numba.njit(cache=True)
def stage_newton(y, c, b, mass, w, newton_tol, max_iter, have_factors, reuse, n, nf, K, J, pc, cc,
                 kind, row, col, row_original, position, kl, ku, ab, ipiv, u, v, z, corner,
                 f, rows, cols, vals, r, abp, info):
    """Solve M y - c f(y) - b = 0 in place from the guess ``y``.

    ``have_factors``: the workspace holds factors of a Newton matrix with this c (simplified Newton
    starts with them); ``reuse``: keep factors across iterations (refactor only when the update
    contracts slower than 0.3 per iteration), else refactor every iteration (full Newton).
    info[0:5] on return: iterations, factorizations, f evaluations, last scaled update, last residual;
    info[5]: the component with the largest scaled update. Returns a status code (module docstring).
    """
    size = y.size
    i_P = size - 1
    i_theta = n + nf * (1 + K)
    Vt = cc[5]
    R = np.empty(size)
    dy = np.empty(size)
    fresh = not have_factors
    prev = np.inf
    n_lu = 0
    n_f = 0
    upd = np.nan
    res = np.nan
    worst = 0
    status = NOT_CONVERGED
    it = 0
    for it in range(1, max_iter + 1):
        column_evaluate(y, n, nf, K, J, pc, cc, f, rows, cols, vals, r, abp)
        n_f += 1
        res = 0.0
        finite = True
        for i in range(size):
            R[i] = mass[i] * y[i] - c[i] * f[i] - b[i]
            a = abs(R[i])
            if not np.isfinite(a):
                finite = False
                worst = i
            elif a > res:
                res = a
        if not finite:
            res = np.inf
            status = RESIDUAL_NOT_FINITE
            break
        if fresh or not reuse:
            arrow_fill(vals, c, mass, kind, row, col, row_original, position, kl, ku, ab, u, v, corner)
            n_lu += 1
            if arrow_factor(ab, kl, ku, ipiv, u, v, z, corner) != 0:
                status = SINGULAR
                break
            fresh = False
        arrow_solve(ab, kl, ku, ipiv, v, z, corner, position, R, dy)
        s2 = 0.0
        best = -1.0
        for i in range(size):
            dy[i] = -dy[i]
            q = abs(dy[i]) / w[i]
            s2 += q * q
            if q > best:
                best = q
                worst = i
        upd = np.sqrt(s2 / size)
        if not np.isfinite(upd):
            status = UPDATE_NOT_FINITE
            break
        limit_update(y, dy, n, i_P, i_theta, Vt)
        for i in range(size):
            y[i] += dy[i]
        if upd <= newton_tol:
            status = CONVERGED
            break
        if it >= 2 and upd > 2.0 * prev:
            status = DIVERGED
            break
        if reuse and it >= 2 and upd > 0.3 * prev:
            fresh = True                   # slow contraction: refactor at the current iterate
        prev = upd
    info[0] = it
    info[1] = n_lu
    info[2] = n_f
    info[3] = upd
    info[4] = res
    info[5] = worst
    return status
