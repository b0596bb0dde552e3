"""A fixed sparsity pattern: COO entries (duplicates allowed) mapped once onto CSC storage, so that a
Jacobian whose structure does not change is assembled by one weighted bincount per evaluation."""

from __future__ import annotations

import numpy as np
from scipy import sparse


class SparsePattern:
    def __init__(self, rows, cols, shape):
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        order = np.lexsort((rows, cols))                  # column-major, rows ascending within a column
        key = cols[order] * shape[0] + rows[order]
        first = np.concatenate(([True], key[1:] != key[:-1]))
        slot_sorted = np.cumsum(first) - 1
        self.slot = np.empty_like(slot_sorted)
        self.slot[order] = slot_sorted
        self.nnz = int(first.sum())
        self.indices = rows[order][first].astype(np.int32)
        self.indptr = np.searchsorted(cols[order][first], np.arange(shape[1] + 1)).astype(np.int32)
        self.shape = shape
        self.n_entries = rows.size

    def assemble(self, values) -> sparse.csc_matrix:
        """CSC matrix with the COO ``values`` (in the order of the rows/cols given at construction)."""
        data = np.bincount(self.slot, weights=values, minlength=self.nnz)
        return sparse.csc_matrix((data, self.indices, self.indptr), shape=self.shape)
