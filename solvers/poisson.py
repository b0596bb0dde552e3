"""Nonlinear Poisson equation on a 1D finite-volume mesh, solved by damped Newton with a banded Jacobian.

Equation (Gauss's law in flux form over the control volume of node i):

    D_{i+1/2} - D_{i-1/2} = Q_i,     D_k = eps_k(E_k) E_k + P_k,   E_k = (psi_k - psi_{k+1}) / h_k

with the permittivity eps(E) = eps(0) / [1 + (E/E0)^2]^(1/3) (E0 = inf: linear dielectric), P_k the
spontaneous polarization of cell k (its jumps are the bound charge -dP/dx), and the node charge

    Q_i = sigma_i + q sum_{half cells k of node i} (h_k/2) [ z N_V,i f_k + s_k (N_D,k - N_c,k F_1/2(eta_i,k)) ],
    eta_i,k = (q psi_i + chi_k - E_F) / kT,   E_F = 0 (electron quasi-Fermi level of the semiconductor)

sigma_i is a fixed sheet charge at node i (C/m^2, e.g. charged interface states); f_k = 1 in cells that host vacancies (charge z e), s_k = 1 in semiconductor cells. Boundary rows:
node 0 (metal) psi_0 + c (D_{1/2} - Q_0) = psi_L (c = lambda/(eps0 eps_e): Thomas-Fermi screening as a
Robin condition, c = 0 is Dirichlet); node N (neutral semiconductor bulk) psi_N = psi_R.

Kernels are pure functions of arrays; ``assemble_numba`` and ``assemble_numpy`` are twins.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.constants import elementary_charge as Q_E
from scipy.linalg import solve_banded

from .errors import SolverError
from .fermi import fermi_half_numpy, fermi_half_scalar


@numba.njit(cache=True)
def assemble_numba(psi, h, eps, E0, P, semi, chi, Nd, Nc, fe, NV, sigma, z, kT, psi_left, robin_c, psi_right,
                   eta0, step, lnF, dlnF, r, ab):
    """Fill the residual ``r`` and the tridiagonal Jacobian ``ab`` (LAPACK banded storage, (1, 1))."""
    n_nodes = psi.size
    n_cells = n_nodes - 1
    for i in range(n_nodes):
        r[i] = 0.0
        ab[0, i] = 0.0
        ab[1, i] = 0.0
        ab[2, i] = 0.0
    # Fluxes: each cell adds D_k to node k's residual and -D_k to node k+1's.
    D0 = 0.0
    dD0 = 0.0
    for k in range(n_cells):
        E = (psi[k] - psi[k + 1]) / h[k]
        u = E / E0[k]
        if u == 0.0:                  # linear dielectric (E0 = inf): the same numbers without two powers
            D = eps[k] * E + P[k]
            dDdE = eps[k]
        else:
            g = 1.0 + u * u
            D = eps[k] * E / g ** (1.0 / 3.0) + P[k]
            dDdE = eps[k] * (1.0 + u * u / 3.0) / g ** (4.0 / 3.0)
        a = dDdE / h[k]
        if k == 0:
            D0 = D
            dD0 = a
        r[k] += D
        r[k + 1] -= D
        ab[1, k] += a
        ab[1, k + 1] += a
        ab[0, k + 1] -= a     # d r_k / d psi_{k+1}
        ab[2, k] -= a         # d r_{k+1} / d psi_k
    # Charges: fixed sheet charges at nodes, then the half cells on either side of each node.
    for i in range(n_nodes):
        r[i] -= sigma[i]
    Q0 = sigma[0]
    dQ0 = 0.0
    last_eta, F, dF = np.nan, 0.0, 0.0     # a node's two half cells of one material share eta: one evaluation
    for k in range(n_cells):
        half = 0.5 * h[k]
        for j in range(2):
            i = k + j
            q_node = z * NV[i] * fe[k]
            dq = 0.0
            if semi[k] > 0.0:
                eta = (Q_E * psi[i] + chi[k]) / kT
                if eta != last_eta:
                    F, dF = fermi_half_scalar(eta, eta0, step, lnF, dlnF)
                    last_eta = eta
                q_node += Nd[k] - Nc[k] * F
                dq = -Nc[k] * dF * Q_E / kT
            r[i] -= Q_E * half * q_node
            ab[1, i] -= Q_E * half * dq
            if i == 0:
                Q0 += Q_E * half * q_node
                dQ0 += Q_E * half * dq
    # Boundary rows.
    r[0] = psi[0] - psi_left + robin_c * (D0 - Q0)
    ab[1, 0] = 1.0 + robin_c * (dD0 - dQ0)
    ab[0, 1] = -robin_c * dD0
    r[n_nodes - 1] = psi[n_nodes - 1] - psi_right
    ab[1, n_nodes - 1] = 1.0
    ab[2, n_nodes - 2] = 0.0


def assemble_numpy(psi, h, eps, E0, P, semi, chi, Nd, Nc, fe, NV, sigma, z, kT, psi_left, robin_c, psi_right,
                   eta0, step, lnF, dlnF, r, ab):
    """Vectorised numpy twin of :func:`assemble_numba` (same arguments, same outputs)."""
    E = (psi[:-1] - psi[1:]) / h
    u = E / E0
    g = 1.0 + u * u
    D = eps * E / g ** (1.0 / 3.0) + P
    a = eps * (1.0 + u * u / 3.0) / g ** (4.0 / 3.0) / h
    r[:] = 0.0
    ab[:] = 0.0
    r[:-1] += D
    r[1:] -= D
    ab[1, :-1] += a
    ab[1, 1:] += a
    ab[0, 1:] -= a
    ab[2, :-1] -= a
    half = 0.5 * h
    qn = np.array(sigma, dtype=float)
    dqn = np.zeros_like(psi)
    for j, nodes in ((0, slice(0, -1)), (1, slice(1, None))):
        p = psi[nodes]
        eta = (Q_E * p + chi) / kT
        F, dF = fermi_half_numpy(eta, eta0, step, lnF, dlnF)
        rho = z * NV[nodes] * fe + semi * (Nd - Nc * F)
        drho = -semi * Nc * dF * Q_E / kT
        qn[nodes] += Q_E * half * rho
        dqn[nodes] += Q_E * half * drho
    r -= qn
    ab[1] -= dqn
    r[0] = psi[0] - psi_left + robin_c * (D[0] - qn[0])
    ab[1, 0] = 1.0 + robin_c * (a[0] - dqn[0])
    ab[0, 1] = -robin_c * a[0]
    r[-1] = psi[-1] - psi_right
    ab[1, -1] = 1.0
    ab[2, -2] = 0.0


def newton(psi_guess, args, *, kT, tol_V=1e-10, max_iter=200, kernel=assemble_numba, context=None):
    """Damped Newton for the Poisson system; ``args`` are the kernel arguments after ``psi``.

    Damping: each update component is compressed as V_t asinh(d / V_t)-like log damping
    (d -> sign(d) V_t ln(1 + |d|/V_t)), which keeps the exponential electron density in range.
    Returns (psi, iterations, residual_norm). Raises SolverError with diagnostics on failure.
    """
    psi = np.array(psi_guess, dtype=float)
    n = psi.size
    r = np.empty(n)
    ab = np.empty((3, n))
    Vt = kT / Q_E
    ctx = dict(context or {})
    update = np.inf
    for it in range(1, max_iter + 1):
        kernel(psi, *args, r, ab)
        if not np.all(np.isfinite(r)):
            raise SolverError("Poisson residual is not finite", iteration=it, **ctx)
        d = solve_banded((1, 1), ab, -r, overwrite_ab=True, overwrite_b=True, check_finite=False)
        update = float(np.max(np.abs(d)))
        if update > Vt:
            d = np.sign(d) * Vt * np.log1p(np.abs(d) / Vt)
        psi += d
        if update < tol_V:
            kernel(psi, *args, r, ab)
            return psi, it, _scaled_residual(r, args)
    raise SolverError("Poisson Newton did not converge", iterations=max_iter, last_update_V=update,
                      residual=_scaled_residual(r, args), **ctx)


def _scaled_residual(r, args):
    """Largest interior residual in C/m^2 (charge per area)."""
    return float(np.max(np.abs(r[1:-1]))) if r.size > 2 else 0.0
