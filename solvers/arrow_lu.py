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

:class:`ArrowStructure` maps a fixed COO pattern (duplicates allowed) onto this storage once;
:func:`arrow_factor` / :func:`arrow_solve` are numba kernels (pure functions of arrays);
:func:`arrow_solve_dense` is their plain numpy twin for the tests.
"""

from __future__ import annotations

import numba
import numpy as np

BAND, BORDER_COLUMN, BORDER_ROW, CORNER = 0, 1, 2, 3


class ArrowStructure:
    """Where each COO entry of an n x n pattern goes in the arrow storage.

    ``order``: the new position of every unknown as a permutation (order[k] = old index of new index k);
    its last ``border`` elements are the border unknowns. kl/ku are the band's lower/upper bandwidths after
    reordering.
    """

    def __init__(self, rows, cols, n: int, order, border: int = 1):
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        order = np.asarray(order, dtype=np.int64)
        if sorted(order.tolist()) != list(range(n)):
            raise ValueError(f"order must be a permutation of range({n})")
        if not 1 <= border < n:
            raise ValueError(f"border = {border!r}; allowed: 1 .. n - 1 = {n - 1}")
        self.n = int(n)
        self.border = int(border)
        self.order = order
        self.position = np.empty(n, dtype=np.int64)
        self.position[order] = np.arange(n)
        pr, pc = self.position[rows], self.position[cols]
        nb = n - border                              # size of the banded block
        in_band = (pr < nb) & (pc < nb)
        self.kl = int(np.max(pr[in_band] - pc[in_band], initial=0))
        self.ku = int(np.max(pc[in_band] - pr[in_band], initial=0))
        self.kind = np.where(in_band, BAND,
                             np.where((pr < nb) & (pc >= nb), BORDER_COLUMN,
                                      np.where((pr >= nb) & (pc < nb), BORDER_ROW, CORNER))).astype(np.int64)
        self.row = pr
        self.col = pc
        self.row_original = rows

    def workspace(self):
        """Fresh storage (ab, ipiv, u, v, z, corner) for :func:`arrow_factor`: u, v, z hold the border
        columns, rows and A^-1 U one per row (b x nb); corner is b x (2b + 1): D, the LU of the Schur
        complement and its pivots."""
        b, nb = self.border, self.n - self.border
        return (np.zeros((2 * self.kl + self.ku + 1, nb), order="F"), np.zeros(nb, dtype=np.int64), np.zeros((b, nb)),
                np.zeros((b, nb)), np.zeros((b, nb)), np.zeros((b, 2 * b + 1)))


@numba.njit(cache=True)
def arrow_fill(vals, c, mass, kind, row, col, row_original, position, kl, ku, ab, u, v, corner):
    """Fill the arrow storage with M - diag(c) J: J given by its COO values ``vals`` (``kind``/``row``/
    ``col``/``row_original`` from :class:`ArrowStructure`), c and the diagonal mass M per unknown in the
    original order (``position`` maps original -> reordered). The kl fill-in rows are zeroed."""
    nb = u.shape[1]
    ab[:, :] = 0.0
    u[:, :] = 0.0
    v[:, :] = 0.0
    corner[:, :] = 0.0
    offset = kl + ku
    for e in range(vals.size):
        i = row[e]
        j = col[e]
        scale = -c[row_original[e]] * vals[e]
        k = kind[e]
        if k == 0:
            ab[offset + i - j, j] += scale
        elif k == 1:
            u[j - nb, i] += scale
        elif k == 2:
            v[i - nb, j] += scale
        else:
            corner[i - nb, j - nb] += scale
    for old in range(position.size):
        p = position[old]
        if p < nb:
            ab[offset, p] += mass[old]
        else:
            corner[p - nb, p - nb] += mass[old]


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
def arrow_factor(ab, kl, ku, ipiv, u, v, z, corner):
    """Factor the filled arrow storage: band LU of A, Z = A^-1 U (rows of z), the Schur complement
    S = D - V Z and its LU with partial pivoting (corner[:, b:2b], pivots in corner[:, 2b]). Returns 0, or a
    nonzero code for a zero band pivot (k + 1) or a singular Schur complement (-1)."""
    info = band_factor(ab, kl, ku, ipiv)
    if info != 0:
        return info
    b, nb = u.shape
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
def arrow_solve(ab, kl, ku, ipiv, v, z, corner, position, rhs, out):
    """x = (arrow matrix)^-1 rhs with the factors of :func:`arrow_factor`; ``rhs`` and ``out`` in the
    original unknown order (``position`` maps original -> reordered)."""
    b, nb = z.shape
    w = np.empty(nb + b)
    for old in range(position.size):
        w[position[old]] = rhs[old]
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
    for old in range(position.size):
        out[old] = w[position[old]]


def arrow_solve_dense(structure: ArrowStructure, vals, c, mass, rhs):
    """Plain numpy twin: assemble M - diag(c) J densely in the original order and solve."""
    A = np.diag(np.asarray(mass, dtype=float)).copy()
    rows = structure.order[structure.row]
    cols = structure.order[structure.col]
    np.add.at(A, (rows, cols), -np.asarray(c)[rows] * np.asarray(vals))
    return np.linalg.solve(A, rhs)
