"""Direct solver for "arrow" matrices: a banded block plus a few dense border rows and columns.

The Newton matrix of a domain column, M - diag(c) J, has this shape once its unknowns are interleaved
node by node (psi_i, N_i, T_k,i, ...): Poisson, hopping and trapping couple only neighbouring nodes, and
the few global unknowns couple to many nodes: the column's polarization to every ferroelectric node
through the bound charge and the Landau-Khalatnikov field, the occupations of interface exchange sites to
every node of their layer through its charge. With A the banded block, U/V the b border columns/rows and
D the b x b corner,

    [A  U] [x]   [r]        x = A^-1 r - Z p,  Z = A^-1 U,
    [V  D] [p] = [s],       (D - V Z) p = s - V A^-1 r        (block elimination, Schur complement)

A is factored by Gaussian elimination with partial pivoting inside the band (LAPACK ``dgbtrf``
storage and algorithm: Golub & Van Loan, Matrix Computations, 4th ed., §4.3.5): O(n kl (kl + ku))
work instead of the general sparse LU's symbolic analysis and fill-in bookkeeping; the b x b Schur
complement by dense LU with partial pivoting.

Local unknowns (optional) are eliminated before that (static condensation): unknowns that couple to no
other local unknown, such as the trapped-vacancy densities of a node, which only see the node's own
mobile density and potentials. With x_L the local and x_K the kept unknowns and D = A_LL diagonal,

    S = A_KK - A_KL D^-1 A_LK,   S x_K = r_K - A_KL D^-1 r_L,   x_L = D^-1 (r_L - A_LK x_K),

and S, whose fill stays within the kept unknowns' neighbours, is the arrow matrix factored above. In the
column, the five trap classes per node make 5/7 of the unknowns: interleaved with them the band has 7
diagonals below and 13 above the main one, without them 2 and 3.

:class:`ArrowStructure` maps a fixed COO pattern (duplicates allowed) onto this storage once;
:func:`arrow_factor` / :func:`arrow_solve` are numba kernels (pure functions of arrays);
:func:`arrow_solve_dense` is their plain numpy twin for the tests.
"""

from __future__ import annotations

import numba
import numpy as np

BAND, BORDER_COLUMN, BORDER_ROW, CORNER, LOCAL_DIAGONAL, LOCAL_COLUMN, LOCAL_ROW = range(7)


class ArrowStructure:
    """Where each COO entry of an n x n pattern goes in the arrow storage.

    ``order``: the new position of every unknown as a permutation (order[k] = old index of new index k).
    ``local``: unknowns to eliminate first (module docstring); the pattern must not couple two of them. The
    others keep their relative place in ``order``, and the last ``border`` of them are the border unknowns.
    kl/ku are the bandwidths of the kept unknowns' band after reordering and elimination.

    Entry kinds: BAND, BORDER_COLUMN, BORDER_ROW, CORNER (``row``/``col``: arrow positions of the kept
    unknowns), LOCAL_DIAGONAL, LOCAL_COLUMN (a kept row, a local column) and LOCAL_ROW (``row``/``col``:
    the local index for a local unknown). ``position``: arrow position of each kept unknown, n_kept + l of
    the l-th local one. The numeric work array of :meth:`workspace`, ``lvals``, holds D (first n_local
    values) and then the scaled value of every entry (slot n_local + e). ``pairs`` (slot of an A_KL entry,
    slot of an A_LK entry, local index, kept row, kept column): the terms of A_KL D^-1 A_LK;
    ``local_columns`` (slot, kept row, local index) and ``local_rows`` (slot, local index, kept column):
    the entries the solve applies.
    """

    def __init__(self, rows, cols, n: int, order, border: int = 1, local=()):
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        order = np.asarray(order, dtype=np.int64)
        local = np.asarray(local, dtype=np.int64).ravel()
        if sorted(order.tolist()) != list(range(n)):
            raise ValueError(f"order must be a permutation of range({n})")
        if np.unique(local).size != local.size or np.any((local < 0) | (local >= n)):
            raise ValueError(f"local must be distinct unknowns of range({n}); got {local.tolist()!r}")
        n_local = local.size
        if not 1 <= border < n - n_local:
            raise ValueError(f"border = {border!r}; allowed: 1 .. n - n_local - 1 = {n - n_local - 1}")
        is_local = np.zeros(n, dtype=bool)
        is_local[local] = True
        if np.any(is_local[rows] & is_local[cols] & (rows != cols)):
            raise ValueError("the pattern couples two local unknowns: they cannot be eliminated one by one")
        self.n = int(n)
        self.border = int(border)
        self.n_local = int(n_local)
        kept_order = order[~is_local[order]]
        self.order = np.concatenate((kept_order, local))
        self.position = np.empty(n, dtype=np.int64)
        self.position[self.order] = np.arange(n)
        nk = n - n_local
        nb = nk - border                             # size of the banded block
        pr, pc = self.position[rows], self.position[cols]
        lr, lc = pr >= nk, pc >= nk
        kind = np.where(lr & lc, LOCAL_DIAGONAL, np.where(lc, LOCAL_COLUMN, np.where(lr, LOCAL_ROW, -1)))
        kind = np.where(kind >= 0, kind, np.where((pr < nb) & (pc < nb), BAND,
                        np.where((pr < nb) & (pc >= nb), BORDER_COLUMN,
                                 np.where((pr >= nb) & (pc < nb), BORDER_ROW, CORNER))))
        self.kind = kind.astype(np.int64)
        self.row = np.where(lr, pr - nk, pr)
        self.col = np.where(lc, pc - nk, pc)
        self.row_original = rows
        self.col_original = cols
        # the terms of A_KL D^-1 A_LK: every kept-row entry of a local column against every kept-column
        # entry of its row (duplicate entries give duplicate terms; their sum is the product of sums)
        e_col = np.flatnonzero(self.kind == LOCAL_COLUMN)
        e_row = np.flatnonzero(self.kind == LOCAL_ROW)
        by_local = {}
        for e in e_row:
            by_local.setdefault(int(self.row[e]), []).append(int(e))
        pairs = [(n_local + int(ec), n_local + er, int(self.col[ec]), int(self.row[ec]), int(self.col[er]))
                 for ec in e_col for er in by_local.get(int(self.col[ec]), ())]
        self.pairs = np.array(pairs, dtype=np.int64).reshape(-1, 5)
        self.local_columns = np.column_stack((n_local + e_col, self.row[e_col], self.col[e_col])).astype(np.int64)
        self.local_rows = np.column_stack((n_local + e_row, self.row[e_row], self.col[e_row])).astype(np.int64)
        band_r = np.concatenate((pr[self.kind == BAND], self.pairs[:, 3]))
        band_c = np.concatenate((pc[self.kind == BAND], self.pairs[:, 4]))
        in_band = (band_r < nb) & (band_c < nb)
        self.kl = int(np.max(band_r[in_band] - band_c[in_band], initial=0))
        self.ku = int(np.max(band_c[in_band] - band_r[in_band], initial=0))

    def workspace(self):
        """Fresh storage (ab, ipiv, u, v, z, corner, lvals) for :func:`arrow_factor`: u, v, z hold the border
        columns, rows and A^-1 U one per row (b x nb); corner is b x (2b + 1): D, the LU of the Schur
        complement and its pivots; lvals the local unknowns' diagonal and the entries that couple them."""
        b, nb = self.border, self.n - self.n_local - self.border
        return (np.zeros((2 * self.kl + self.ku + 1, nb), order="F"), np.zeros(nb, dtype=np.int64), np.zeros((b, nb)),
                np.zeros((b, nb)), np.zeros((b, nb)), np.zeros((b, 2 * b + 1)),
                np.zeros(self.n_local + self.kind.size))


@numba.njit(cache=True)
def arrow_fill(vals, c, mass, kind, row, col, row_original, position, kl, ku, ab, u, v, corner, lvals):
    """Fill the arrow storage with M - diag(c) J: J given by its COO values ``vals`` (``kind``/``row``/
    ``col``/``row_original`` from :class:`ArrowStructure`), c and the diagonal mass M per unknown in the
    original order (``position`` maps original -> reordered). The kl fill-in rows are zeroed. The local
    unknowns' entries go to ``lvals`` (their elimination is part of :func:`arrow_factor`)."""
    b, nb = u.shape
    nk = nb + b
    n_local = lvals.size - vals.size
    ab[:, :] = 0.0
    u[:, :] = 0.0
    v[:, :] = 0.0
    corner[:, :] = 0.0
    lvals[:n_local] = 0.0
    offset = kl + ku
    for e in range(vals.size):
        i = row[e]
        j = col[e]
        scale = -c[row_original[e]] * vals[e]
        k = kind[e]
        if k == BAND:
            ab[offset + i - j, j] += scale
        elif k == BORDER_COLUMN:
            u[j - nb, i] += scale
        elif k == BORDER_ROW:
            v[i - nb, j] += scale
        elif k == CORNER:
            corner[i - nb, j - nb] += scale
        elif k == LOCAL_DIAGONAL:
            lvals[i] += scale
        else:
            lvals[n_local + e] = scale
    for old in range(position.size):
        p = position[old]
        if p < nb:
            ab[offset, p] += mass[old]
        elif p < nk:
            corner[p - nb, p - nb] += mass[old]
        else:
            lvals[p - nk] += mass[old]


@numba.njit(cache=True)
def band_factor(ab, kl, ku, ipiv):
    """In-place LU with partial pivoting of the banded matrix in LAPACK ``dgbtrf`` storage
    (ab[kl + ku + i - j, j] = A[i, j]; kl extra rows hold the fill-in). Returns 0, or k + 1 if the
    pivot of column k is zero."""
    n = ab.shape[1]
    kv = kl + ku
    for j in range(n):
        # zero the fill-in rows of the column that enters the band
        jf = j + kv
        if jf < n:
            for i in range(0, kl):
                ab[i, jf] = 0.0
    info = 0
    ju = 0
    for j in range(n):
        km = min(kl, n - 1 - j)
        # pivot: largest |entry| in column j, rows j .. j + km
        jp = 0
        best = abs(ab[kv, j])
        for i in range(1, km + 1):
            a = abs(ab[kv + i, j])
            if a > best:
                best = a
                jp = i
        ipiv[j] = j + jp
        if ab[kv + jp, j] == 0.0:
            if info == 0:
                info = j + 1
            continue
        ju = max(ju, min(j + ku + jp, n - 1))
        if jp != 0:
            # swap rows j and j + jp over columns j .. ju
            for cidx in range(j, ju + 1):
                r1 = kv + j - cidx
                r2 = kv + j + jp - cidx
                tmp = ab[r1, cidx]
                ab[r1, cidx] = ab[r2, cidx]
                ab[r2, cidx] = tmp
        if km > 0:
            piv = ab[kv, j]
            for i in range(1, km + 1):
                ab[kv + i, j] /= piv
            for cidx in range(j + 1, ju + 1):
                a_jc = ab[kv + j - cidx, cidx]
                if a_jc != 0.0:
                    for i in range(1, km + 1):
                        ab[kv + j + i - cidx, cidx] -= ab[kv + i, j] * a_jc
    return info


@numba.njit(cache=True)
def band_solve(ab, kl, ku, ipiv, b):
    """Solve A x = b in place with the factors of :func:`band_factor`."""
    n = ab.shape[1]
    kv = kl + ku
    # L: row interchanges and unit lower elimination
    for j in range(n):
        km = min(kl, n - 1 - j)
        p = ipiv[j]
        if p != j:
            tmp = b[j]
            b[j] = b[p]
            b[p] = tmp
        bj = b[j]
        if bj != 0.0:
            for i in range(1, km + 1):
                b[j + i] -= ab[kv + i, j] * bj
    # U: upper triangular with kl + ku superdiagonals
    for j in range(n - 1, -1, -1):
        b[j] /= ab[kv, j]
        bj = b[j]
        if bj != 0.0:
            top = max(0, j - kv)
            for i in range(top, j):
                b[i] -= ab[kv + i - j, j] * bj


@numba.njit(cache=True)
def band_solve_rows(ab, kl, ku, ipiv, B):
    """Solve A X = B in place for every row of B (one right-hand side per row) with the factors of
    :func:`band_factor`: each row sees the operations of :func:`band_solve` in the same order (the same
    numbers), but the factors are read once for all rows."""
    n = ab.shape[1]
    m = B.shape[0]
    kv = kl + ku
    for j in range(n):
        km = min(kl, n - 1 - j)
        p = ipiv[j]
        for k in range(m):
            if p != j:
                tmp = B[k, j]
                B[k, j] = B[k, p]
                B[k, p] = tmp
            bj = B[k, j]
            if bj != 0.0:
                for i in range(1, km + 1):
                    B[k, j + i] -= ab[kv + i, j] * bj
    for j in range(n - 1, -1, -1):
        top = max(0, j - kv)
        for k in range(m):
            B[k, j] /= ab[kv, j]
            bj = B[k, j]
            if bj != 0.0:
                for i in range(top, j):
                    B[k, i] -= ab[kv + i - j, j] * bj


@numba.njit(cache=True)
def border_solve(ab, kl, ku, ipiv, u, z):
    """Z = A^-1 U, one row of ``z`` per border column (row of ``u``), with the band factors. A column equal
    to an earlier one (the interface site classes enter the band only through their common charge) shares
    its row: each distinct column is solved once, all of them in one pass (:func:`band_solve_rows`)."""
    b, nb = u.shape
    first = np.empty(b, dtype=np.int64)
    n_distinct = 0
    for k in range(b):
        first[k] = k
        for q in range(k):
            if first[q] == q:
                same = True
                for i in range(nb):
                    if u[k, i] != u[q, i]:
                        same = False
                        break
                if same:
                    first[k] = q
                    break
        if first[k] == k:
            n_distinct += 1
    distinct = np.empty((n_distinct, nb))
    slot = np.empty(b, dtype=np.int64)
    d = 0
    for k in range(b):
        if first[k] == k:
            slot[k] = d
            for i in range(nb):
                distinct[d, i] = u[k, i]
            d += 1
    band_solve_rows(ab, kl, ku, ipiv, distinct)
    for k in range(b):
        row = slot[first[k]]
        for i in range(nb):
            z[k, i] = distinct[row, i]


@numba.njit(cache=True)
def arrow_factor(ab, kl, ku, ipiv, u, v, z, corner, pairs, lvals):
    """Factor the filled arrow storage: elimination of the local unknowns (``pairs`` of
    :class:`ArrowStructure`: A_KK -= A_KL D^-1 A_LK), band LU of A, Z = A^-1 U (rows of z), the Schur
    complement S = D - V Z and its LU with partial pivoting (corner[:, b:2b], pivots in corner[:, 2b]).
    Returns 0, or a nonzero code for a zero band pivot (k + 1), a singular Schur complement (-1) or a
    zero local pivot (-2)."""
    b, nb = u.shape
    offset = kl + ku
    for q in range(pairs.shape[0]):
        d = lvals[pairs[q, 2]]
        if d == 0.0 or not np.isfinite(d):
            return -2
        term = -lvals[pairs[q, 0]] * lvals[pairs[q, 1]] / d
        i = pairs[q, 3]
        j = pairs[q, 4]
        if i < nb and j < nb:
            ab[offset + i - j, j] += term
        elif i < nb:
            u[j - nb, i] += term
        elif j < nb:
            v[i - nb, j] += term
        else:
            corner[i - nb, j - nb] += term
    info = band_factor(ab, kl, ku, ipiv)
    if info != 0:
        return info
    border_solve(ab, kl, ku, ipiv, u, z)
    nonzero = np.empty(nb, dtype=np.int64)
    for k in range(b):
        n_nz = 0                               # the border rows are sparse; a zero term leaves s unchanged
        for i in range(nb):
            if v[k, i] != 0.0:
                nonzero[n_nz] = i
                n_nz += 1
        for m in range(b):
            s = corner[k, m]
            for q in range(n_nz):
                i = nonzero[q]
                s -= v[k, i] * z[m, i]
            corner[k, b + m] = s
    for j in range(b):                          # dense LU of S in place, partial pivoting
        jp = j
        for i in range(j + 1, b):
            if abs(corner[i, b + j]) > abs(corner[jp, b + j]):
                jp = i
        corner[j, 2 * b] = jp
        piv = corner[jp, b + j]
        if piv == 0.0 or not np.isfinite(piv):
            return -1
        if jp != j:
            for m in range(b):
                tmp = corner[j, b + m]
                corner[j, b + m] = corner[jp, b + m]
                corner[jp, b + m] = tmp
        for i in range(j + 1, b):
            corner[i, b + j] /= piv
            f = corner[i, b + j]
            for m in range(j + 1, b):
                corner[i, b + m] -= f * corner[j, b + m]
    return 0


@numba.njit(cache=True)
def arrow_solve(ab, kl, ku, ipiv, v, z, corner, position, local_columns, local_rows, lvals, rhs, out):
    """x = (arrow matrix)^-1 rhs with the factors of :func:`arrow_factor`; ``rhs`` and ``out`` in the
    original unknown order (``position`` maps original -> reordered; the local unknowns last, eliminated
    through ``local_columns``/``local_rows`` of :class:`ArrowStructure`)."""
    b, nb = z.shape
    nk = nb + b
    w = np.empty(position.size)
    for old in range(position.size):
        w[position[old]] = rhs[old]
    for q in range(local_columns.shape[0]):      # r_K - A_KL D^-1 r_L
        l = local_columns[q, 2]
        w[local_columns[q, 1]] -= lvals[local_columns[q, 0]] * w[nk + l] / lvals[l]
    band_solve(ab, kl, ku, ipiv, w[:nb])
    p = np.empty(b)
    for k in range(b):
        s = w[nb + k]
        for i in range(nb):
            if v[k, i] != 0.0:
                s -= v[k, i] * w[i]
        p[k] = s
    for j in range(b):                          # S p = s: the row interchanges, then L and U
        jp = int(corner[j, 2 * b])
        if jp != j:
            tmp = p[j]
            p[j] = p[jp]
            p[jp] = tmp
    for j in range(b):
        for i in range(j + 1, b):
            p[i] -= corner[i, b + j] * p[j]
    for j in range(b - 1, -1, -1):
        for m in range(j + 1, b):
            p[j] -= corner[j, b + m] * p[m]
        p[j] /= corner[j, b + j]
    for k in range(b):
        pk = p[k]
        for i in range(nb):
            w[i] -= z[k, i] * pk
        w[nb + k] = pk
    for q in range(local_rows.shape[0]):         # x_L = D^-1 (r_L - A_LK x_K)
        w[nk + local_rows[q, 1]] -= lvals[local_rows[q, 0]] * w[local_rows[q, 2]]
    for l in range(position.size - nk):
        w[nk + l] /= lvals[l]
    for old in range(position.size):
        out[old] = w[position[old]]


def arrow_solve_dense(structure: ArrowStructure, vals, c, mass, rhs):
    """Plain numpy twin: assemble M - diag(c) J densely in the original order and solve."""
    A = np.diag(np.asarray(mass, dtype=float)).copy()
    rows, cols = structure.row_original, structure.col_original
    np.add.at(A, (rows, cols), -np.asarray(c)[rows] * np.asarray(vals))
    return np.linalg.solve(A, rhs)
