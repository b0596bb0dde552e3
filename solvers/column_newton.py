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

:func:`stage_step` goes one level up: a whole TR-BDF2 step (both stages with their predictors, the
factor-reuse rule, the error estimate, its filter and norm) in one call, the compiled twin of the
integrator's Python step (:mod:`solvers.integrators`); Python is then entered once per step.
:func:`consistent_newton` is the compiled twin of its consistent initialisation (at the start and at
every breakpoint).

Status codes: see ``STATUS``.
"""

from __future__ import annotations

import numba
import numpy as np

from .arrow_lu import arrow_factor, arrow_fill, arrow_solve
from .column_kernel import column_rhs_numba
from .integrators import (A_BDF, A_TR, B_GAMMA, B_N, ERROR_CONSTANT, GAMMA, NEWTON_STALL_COUNT, NEWTON_STALL_RATIO,
                          STAGE_PAST_POLE, STAGE_STALLS)
from .poisson import assemble_numba

#: potential updates up to this many thermal voltages are taken whole; beyond, the excess is log-compressed
#: (keeps the exponential carrier densities of a far-off iterate in range without slowing small updates)
PSI_UNDAMPED_VT = 10.0

CONVERGED, DIVERGED, NOT_CONVERGED, RESIDUAL_NOT_FINITE, SINGULAR, UPDATE_NOT_FINITE, PAST_POLE, STALLS = range(8)
STATUS = {
    CONVERGED: "converged",
    DIVERGED: "Newton diverges",
    NOT_CONVERGED: "Newton did not converge",
    RESIDUAL_NOT_FINITE: "Newton residual is not finite",
    SINGULAR: "Newton matrix is singular",
    UPDATE_NOT_FINITE: "Newton update is not finite",
    PAST_POLE: STAGE_PAST_POLE,
    STALLS: STAGE_STALLS,
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
     ex_alpha, ex_node, ex_Nref, ex_sheet, Ea, Ea_asym, Es, rho0, a2, a4, a6, Ps, dPs, d) = cc
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
    if ex_sheet:                        # "interface" exchange sites: their charge over the first ex_sheet nodes
        layer = 0.0
        for i in range(ex_sheet):
            layer += vol[i]
        held = 0.0
        for k in range(J):
            held += ex_sites * theta[k]
        for i in range(ex_sheet):
            NV[i] += held / layer
    Pc = fe * P
    assemble_numba(psi, h, eps, E0, Pc, semi, chi, Nd, Nc, fe, NV, sigma, z, kT, psi_left, robin_c, psi_right,
                   eta0, step, lnF, dlnF, r, abp)
    return column_rhs_numba(psi, N, T, theta, P, r, abp, vol, h_fe, x_fe, qe, zc, Vt, D, a_hop, release0,
                            capture, trap_sites, a_r, ex_rate0, ex_sites, ex_alpha, ex_node, ex_Nref, ex_sheet, robin_c,
                            Ea, Ea_asym, Es, rho0, a2, a4, a6, Ps, dPs, d, f, rows, cols, vals)


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
def past_pole(c, mass, rows, cols, vals, n_entries, diag):
    """The first differential row i whose Newton-matrix diagonal mass_i - c_i J_ii is <= 0 (J_ii summed over
    the COO entries), or -1: the stage root then lies on a growing mode beyond the pole of the stage
    amplification 1/(1 - a h lambda) (the twin of :meth:`solvers.integrators._Engine._past_pole`)."""
    diag[:] = 0.0
    for e in range(n_entries):
        i = rows[e]
        if i == cols[e]:
            diag[i] += vals[e]
    for i in range(diag.size):
        if mass[i] > 0.0 and mass[i] - c[i] * diag[i] <= 0.0:
            return i
    return -1


@numba.njit(cache=True)
def column_limit_update(y, dy, n, nf, K, cc):
    """:func:`limit_update` of a column laid out as psi (n), N (nf), T_k (K x nf), theta, P, with V_t from its
    constants ``cc``."""
    limit_update(y, dy, n, y.size - 1, n + nf * (1 + K), cc[5])


@numba.njit(cache=True)
def stage_newton(y, c, b, mass, w, newton_tol, max_iter, have_factors, reuse, n, nf, K, J, pc, cc,
                 kind, row, col, row_original, position, kl, ku, pairs, local_columns, local_rows,
                 ab, ipiv, u, v, z, corner, lvals, f, rows, cols, vals, r, abp, info):
    """Solve M y - c f(y) - b = 0 in place from the guess ``y``.

    ``have_factors``: the workspace holds factors of a Newton matrix with this c (simplified Newton
    starts with them); ``reuse``: keep factors across iterations (refactor only when the update
    contracts slower than 0.3 per iteration), else refactor every iteration (full Newton).
    info[0:5] on return: iterations, factorizations, f evaluations, last scaled update, last residual;
    info[5]: the component with the largest scaled update (on PAST_POLE: the offending row). A converged
    iterate is refused (PAST_POLE) if the Jacobian of the last evaluation, or the one the factors in use
    were made from, puts a differential row beyond the stage pole (:func:`past_pole`): a root there is not
    the continuation of the step's solution, and with factors past the pole a small update does not mean
    convergence (their pivot can exceed the local one by orders of magnitude). Kept factors come from a
    converged stage, hence are not past the pole. Two consecutive full Newton iterations that shrink the
    update by less than ``NEWTON_STALL_RATIO`` end the stage (STALLS), as in the integrator's Python
    Newton. Returns a status code (module docstring).
    """
    size = y.size
    R = np.empty(size)
    dy = np.empty(size)
    diag = np.empty(size)
    fresh = not have_factors
    factors_pole = -1                      # past_pole of the factors in use
    stalls = 0                             # consecutive full Newton iterations that hardly contract
    prev = np.inf
    n_lu = 0
    n_f = 0
    upd = np.nan
    res = np.nan
    worst = 0
    status = NOT_CONVERGED
    it = 0
    for it in range(1, max_iter + 1):
        n_entries = column_evaluate(y, n, nf, K, J, pc, cc, f, rows, cols, vals, r, abp)
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
        full = fresh or not reuse
        if full:
            arrow_fill(vals, c, mass, kind, row, col, row_original, position, kl, ku, ab, u, v, corner, lvals)
            n_lu += 1
            if arrow_factor(ab, kl, ku, ipiv, u, v, z, corner, pairs, lvals) != 0:
                status = SINGULAR
                break
            fresh = False
            factors_pole = past_pole(c, mass, rows, cols, vals, n_entries, diag)
        arrow_solve(ab, kl, ku, ipiv, v, z, corner, position, local_columns, local_rows, lvals, R, dy)
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
        column_limit_update(y, dy, n, nf, K, cc)
        for i in range(size):
            y[i] += dy[i]
        if upd <= newton_tol:
            status = CONVERGED
            pole = past_pole(c, mass, rows, cols, vals, n_entries, diag)
            if pole < 0:
                pole = factors_pole
            if pole >= 0:
                status = PAST_POLE
                worst = pole
            break
        if it >= 2 and upd > 2.0 * prev:
            status = DIVERGED
            break
        if full and it >= 2 and upd > NEWTON_STALL_RATIO * prev:
            stalls += 1
        else:
            stalls = 0
        if stalls >= NEWTON_STALL_COUNT:
            status = STALLS
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


@numba.njit(cache=True)
def _block_sum(a, start, n):
    """numpy's float64 sum of a block of at most 128 elements: eight interleaved partial sums."""
    if n < 8:
        s = 0.0
        for i in range(start, start + n):
            s += a[i]
        return s
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    m = n - n % 8
    while i < m:
        j = start + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        s += a[start + i]
        i += 1
    return s


@numba.njit(cache=True)
def pairwise_sum(a, start, n):
    """Sum of a[start:start + n] in numpy's order for float64 (``np.add.reduce``: halves, cut at multiples
    of 8, down to blocks of at most 128, see :func:`_block_sum`). The compiled step's error norm is then
    the Python step's to the last bit: the step-size controller carries a last-bit difference into every
    later step, and a rounding-level difference can select another trajectory where Newton failures are
    frequent. The halving runs on explicit stacks (numba cannot cache a recursive function)."""
    if n <= 128:
        return _block_sum(a, start, n)
    depth = 2
    m = n
    while m > 128:
        m = m - (m // 2 - (m // 2) % 8)              # the larger half
        depth += 1
    kind = np.empty(3 * depth, dtype=np.int64)        # task stack: 0 = sum a block or split, 1 = add two values
    first = np.empty(3 * depth, dtype=np.int64)
    count = np.empty(3 * depth, dtype=np.int64)
    values = np.empty(depth + 1)
    top = 0
    kind[0], first[0], count[0] = 0, start, n
    nv = 0
    while top >= 0:
        k, s0, c = kind[top], first[top], count[top]
        top -= 1
        if k == 1:
            values[nv - 2] = values[nv - 2] + values[nv - 1]
            nv -= 1
        elif c <= 128:
            values[nv] = _block_sum(a, s0, c)
            nv += 1
        else:
            h = c // 2
            h -= h % 8
            kind[top + 1], first[top + 1], count[top + 1] = 1, 0, 0
            kind[top + 2], first[top + 2], count[top + 2] = 0, s0 + h, c - h
            kind[top + 3], first[top + 3], count[top + 3] = 0, s0, h
            top += 3
    return values[0]


@numba.njit(cache=True)
def _stage_attempts(y, guess, c, b, mass, w, key, newton_tol, max_iter, reuse, same_rtol, state, counts, n, nf,
                    K, J, pc, cc, kind, row, col, row_original, position, kl, ku, pairs, local_columns, local_rows,
                    ab, ipiv, u, v, z, corner, lvals, f, rows, cols, vals, r, abp, info):
    """One stage with the integrator's factor-reuse rule: kept factors are tried first if their coefficient
    ``state[0]`` (nan: none) equals ``key`` to ``same_rtol`` (a failure then retries once with fresh
    factors). ``state[1]``: the workspace holds usable factors (1) or not (0); both are updated.
    ``counts`` accumulates iterations, factorizations and f evaluations over the attempts; ``info`` holds
    the last attempt's :func:`stage_newton` info. Returns its status."""
    lu_key = state[0]
    use = reuse and np.isfinite(lu_key) and abs(key / lu_key - 1.0) <= same_rtol
    status = NOT_CONVERGED
    for attempt in range(2 if use else 1):
        y[:] = guess
        kept = attempt == 0 and use and state[1] > 0.0
        status = stage_newton(y, c, b, mass, w, newton_tol, max_iter, kept, reuse, n, nf, K, J, pc, cc, kind, row,
                              col, row_original, position, kl, ku, pairs, local_columns, local_rows, ab, ipiv, u, v,
                              z, corner, lvals, f, rows, cols, vals, r, abp, info)
        counts[0] += info[0]
        counts[1] += info[1]
        counts[2] += info[2]
        if info[1] > 0:
            state[1] = 0.0 if status == SINGULAR else 1.0
            state[0] = key
        if status == CONVERGED:
            return status
        state[0] = np.nan
    return status


@numba.njit(cache=True)
def stage_step(y, h, f_n, slope, have_slope, pc_g, pc_1, mass, rtol, atol, newton_tol, max_iter, reuse,
               same_rtol, filter_error, estimate, state, n, nf, K, J, cc, kind, row, col, row_original, position,
               kl, ku, pairs, local_columns, local_rows, ab, ipiv, u, v, z, corner, lvals, f, rows, cols, vals, r, abp,
               y_g, y1, f1, est, info):
    """One TR-BDF2 step t -> t + h of the column: the compiled twin of the integrator's Python step
    (:meth:`solvers.integrators._Engine.step` with the stage Newton of :func:`stage_newton`).

    ``f_n``: f(t, y) on differential rows (0 on algebraic ones); ``slope``: the last step's (y_n - y_n-1)/h
    for the TR predictor if ``have_slope``; ``pc_g``/``pc_1``: the Poisson kernel constants at the stage
    times t + gamma h and t_1. TR stage from y + limit(gamma h slope) (or y), BDF2 stage from
    y + limit((y_g - y)/gamma), both with the factor-reuse rule of :func:`_stage_attempts` (``state``:
    factor key, factors usable; updated). With ``estimate``: the local error estimate ``est`` (filtered
    through the current factors if ``filter_error``) and its weighted RMS norm over the differential rows.
    Outputs y_g, y1, f1 (f(t_1, y1) on differential rows), est and
    info = (iterations, factorizations, f evaluations over every attempt; the last attempt's update norm
    and residual; worst component (of the error if estimated, else of the last update); the last
    attempt's iterations; error norm; failed stage (0 TR, 1 BDF2, -1 none); iterations of the two
    converged attempts).
    Returns the status of the last stage solved (``STATUS``)."""
    size = y.size
    g = GAMMA
    w = np.empty(size)
    c = np.empty(size)
    b = np.empty(size)
    guess = np.empty(size)
    dy = np.empty(size)
    fg = np.empty(size)
    counts = np.zeros(3)
    newton_info = np.zeros(6)
    for i in range(size):
        w[i] = atol[i] + rtol * abs(y[i])
    info[:] = 0.0
    info[8] = -1.0
    a = A_TR * h
    a2 = A_BDF * h
    # TR stage
    for i in range(size):
        if mass[i] > 0.0:
            c[i] = a
            b[i] = mass[i] * y[i] + a * f_n[i]
        else:
            c[i] = 1.0
            b[i] = 0.0
    if have_slope:
        gh = g * h
        for i in range(size):
            dy[i] = gh * slope[i]
        column_limit_update(y, dy, n, nf, K, cc)
        for i in range(size):
            guess[i] = y[i] + dy[i]
    else:
        guess[:] = y
    status = _stage_attempts(y_g, guess, c, b, mass, w, a, newton_tol, max_iter, reuse, same_rtol, state, counts,
                             n, nf, K, J, pc_g, cc, kind, row, col, row_original, position, kl, ku, pairs,
                             local_columns, local_rows, ab, ipiv, u, v, z, corner, lvals, f, rows, cols, vals, r, abp,
                             newton_info)
    it_ok = newton_info[0]
    if status == CONVERGED:
        for i in range(size):
            fg[i] = (mass[i] * y_g[i] - b[i]) / a if mass[i] > 0.0 else 0.0
        # BDF2 stage
        for i in range(size):
            if mass[i] > 0.0:
                c[i] = a2
                b[i] = mass[i] * (B_GAMMA * y_g[i] - B_N * y[i])
            else:
                c[i] = 1.0
                b[i] = 0.0
            dy[i] = (y_g[i] - y[i]) / g
        column_limit_update(y, dy, n, nf, K, cc)
        for i in range(size):
            guess[i] = y[i] + dy[i]
        status = _stage_attempts(y1, guess, c, b, mass, w, a2, newton_tol, max_iter, reuse, same_rtol, state,
                                 counts, n, nf, K, J, pc_1, cc, kind, row, col, row_original, position, kl, ku, pairs,
                                 local_columns, local_rows, ab, ipiv, u, v, z, corner, lvals, f, rows, cols, vals, r,
                                 abp, newton_info)
        it_ok += newton_info[0]
        if status != CONVERGED:
            info[8] = 1.0
    else:
        info[8] = 0.0
    info[0] = counts[0]
    info[1] = counts[1]
    info[2] = counts[2]
    info[3] = newton_info[3]
    info[4] = newton_info[4]
    info[5] = newton_info[5]
    info[6] = newton_info[0]
    if status != CONVERGED:
        return status
    info[9] = it_ok
    for i in range(size):
        f1[i] = (mass[i] * y1[i] - b[i]) / a2 if mass[i] > 0.0 else 0.0
        est[i] = 0.0
    if not estimate:
        return status
    n_diff = 0
    for i in range(size):
        if mass[i] > 0.0:
            est[i] = ERROR_CONSTANT * h * (f_n[i] / g - fg[i] / (g * (1.0 - g)) + f1[i] / (1.0 - g)) / mass[i]
            n_diff += 1
    if n_diff == 0:
        return status
    if filter_error:
        for i in range(size):
            dy[i] = mass[i] * est[i]
        arrow_solve(ab, kl, ku, ipiv, v, z, corner, position, local_columns, local_rows, lvals, dy, est)
    squares = np.empty(n_diff)
    k = 0
    best = -1.0
    worst = 0
    for i in range(size):
        if mass[i] > 0.0:
            q = abs(est[i]) / (atol[i] + rtol * max(abs(y[i]), abs(y1[i])))
            squares[k] = q * q
            k += 1
            if np.isnan(q):
                q = np.inf
            if q > best:
                best = q
                worst = i
    err = np.sqrt(pairwise_sum(squares, 0, n_diff) / n_diff)
    info[5] = worst
    info[7] = err if np.isfinite(err) else np.inf
    return status


@numba.njit(cache=True)
def consistent_newton(y, mass, rtol, atol, init_tol, max_iter, pc, n, nf, K, J, cc, kind, row, col, row_original,
                      position, kl, ku, pairs, local_columns, local_rows, ab, ipiv, u, v, z, corner, lvals, f, rows,
                      cols, vals, r, abp, info):
    """Consistent initialisation in place, the compiled twin of the integrator's Python one: Newton on the
    algebraic rows f_a(y) = 0 with the differential unknowns fixed, d_a = -J_aa^-1 f_a, damped by
    :func:`limit_update`, until the weighted RMS of d_a (w = atol + rtol |y|) is <= ``init_tol``.
    J_aa is factored as the arrow matrix M - diag(c) J with c = 0 on the differential rows: those rows are
    M alone, so the differential part of the solution is zero and the algebraic part is d_a.
    info on return: iterations (= f evaluations), Jacobians used, factorizations, last update norm, last
    max |f_a|.
    Returns a status code (``STATUS``)."""
    size = y.size
    c = np.empty(size)
    rhs = np.empty(size)
    d = np.empty(size)
    n_alg = 0
    for i in range(size):
        if mass[i] > 0.0:
            c[i] = 0.0
        else:
            c[i] = 1.0
            n_alg += 1
    squares = np.empty(n_alg)
    n_jac = 0
    n_lu = 0
    upd = np.nan
    res = np.nan
    status = NOT_CONVERGED
    it = 0
    for it in range(1, max_iter + 1):
        column_evaluate(y, n, nf, K, J, pc, cc, f, rows, cols, vals, r, abp)
        res = 0.0
        finite = True
        for i in range(size):
            if mass[i] > 0.0:
                rhs[i] = 0.0
            else:
                rhs[i] = f[i]
                a = abs(f[i])
                if not np.isfinite(a):
                    finite = False
                elif a > res:
                    res = a
        if not finite:
            res = np.inf
            status = RESIDUAL_NOT_FINITE
            break
        arrow_fill(vals, c, mass, kind, row, col, row_original, position, kl, ku, ab, u, v, corner, lvals)
        n_jac += 1
        if arrow_factor(ab, kl, ku, ipiv, u, v, z, corner, pairs, lvals) != 0:
            status = SINGULAR
            break
        n_lu += 1
        arrow_solve(ab, kl, ku, ipiv, v, z, corner, position, local_columns, local_rows, lvals, rhs, d)
        k = 0
        for i in range(size):
            if mass[i] > 0.0:
                d[i] = 0.0
            else:
                q = d[i] / (atol[i] + rtol * abs(y[i]))
                squares[k] = q * q
                k += 1
        upd = np.sqrt(pairwise_sum(squares, 0, n_alg) / n_alg)
        if not np.isfinite(upd):
            status = UPDATE_NOT_FINITE
            break
        column_limit_update(y, d, n, nf, K, cc)
        for i in range(size):
            if mass[i] <= 0.0:
                y[i] += d[i]
        if upd <= init_tol:
            status = CONVERGED
            break
    info[0] = it
    info[1] = n_jac
    info[2] = n_lu
    info[3] = upd
    info[4] = res
    return status
