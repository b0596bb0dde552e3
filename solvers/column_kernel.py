"""numba kernel of the column DAE right-hand side and Jacobian (COO triplets).

The physics and its equations are documented in :mod:`ftjphys.column`, whose ``rhs_reference`` is the
plain numpy twin of this kernel. Layout of y: psi (n nodes), N (nf), T_k (K x nf), theta (J), P.
"""

from __future__ import annotations

import numba
import numpy as np

from .hopping import hopping_flux_numba


def entry_count(n, nf, K, J, hopping, sheet_nodes=0):
    """Number of COO entries the kernel writes for this layout (``sheet_nodes``: nodes that hold the
    interface sites' charge, 0 for "film" exchange sites)."""
    return ((3 * n - 2) + nf * (1 + K) + 2 + (8 * (nf - 1) if hopping else 0) + 8 * nf * K
            + J * (4 + (sheet_nodes if sheet_nodes else 4)) + 3)


@numba.njit(cache=True)
def column_rhs_numba(psi, N, T, theta, P, r_poisson, ab, vol, h_fe, x_fe, qe, z, Vt, D, a_hop,
                     release0, capture, trap_sites, a_r, ex_rate0, ex_sites, ex_alpha, ex_node, ex_Nref, ex_sheet,
                     robin_c, Ea, Ea_asym, Es, rho0, a2, a4, a6, Ps, dPs, d, f, rows, cols, vals):
    n = psi.size
    nf = N.size
    K = T.shape[0]
    J = theta.size
    oN = n
    oT = n + nf
    oth = n + nf * (1 + K)
    oP = oth + J
    for i in range(f.size):
        f[i] = 0.0
    c = 0

    # Gauss's law rows: the tridiagonal Poisson Jacobian.
    for i in range(n):
        f[i] = r_poisson[i]
        rows[c] = i; cols[c] = i; vals[c] = ab[1, i]; c += 1
    for i in range(n - 1):
        rows[c] = i; cols[c] = i + 1; vals[c] = ab[0, i + 1]; c += 1
        rows[c] = i + 1; cols[c] = i; vals[c] = ab[2, i]; c += 1
    # Vacancy charge (mobile and trapped) in the Gauss rows; row 0 is the Robin row.
    for i in range(nf):
        dq = -qe * z * vol[i]
        if i == 0:
            dq = -robin_c * qe * z * vol[0]
        rows[c] = i; cols[c] = oN + i; vals[c] = dq; c += 1
        for k in range(K):
            rows[c] = i; cols[c] = oT + k * nf + i; vals[c] = dq; c += 1
    # Bound charge: d r / d P at the two faces of the ferroelectric.
    rows[c] = 0; cols[c] = oP; vals[c] = robin_c; c += 1
    rows[c] = nf - 1; cols[c] = oP; vals[c] = -1.0; c += 1

    # Hopping.
    if D > 0.0:
        F = np.empty(nf - 1)
        d0 = np.empty(nf - 1)
        d1 = np.empty(nf - 1)
        dp = np.empty(nf - 1)
        hopping_flux_numba(N, psi[:nf], h_fe, D, z, Vt, a_hop, F, d0, d1, dp)
        for k in range(nf - 1):
            f[oN + k] -= F[k]
            f[oN + k + 1] += F[k]
            i0 = oN + k
            i1 = oN + k + 1
            rows[c] = i0; cols[c] = i0; vals[c] = -d0[k]; c += 1
            rows[c] = i0; cols[c] = i1; vals[c] = -d1[k]; c += 1
            rows[c] = i0; cols[c] = k; vals[c] = -dp[k]; c += 1
            rows[c] = i0; cols[c] = k + 1; vals[c] = dp[k]; c += 1
            rows[c] = i1; cols[c] = i0; vals[c] = d0[k]; c += 1
            rows[c] = i1; cols[c] = i1; vals[c] = d1[k]; c += 1
            rows[c] = i1; cols[c] = k; vals[c] = dp[k]; c += 1
            rows[c] = i1; cols[c] = k + 1; vals[c] = -dp[k]; c += 1

    # Trapping with field-assisted release (central-difference nodal field).
    if K > 0:
        darg_dE = z * a_r / (2.0 * Vt)
        for i in range(nf):
            if i == 0:
                il, ir = 0, 1
            elif i == nf - 1:
                il, ir = nf - 2, nf - 1
            else:
                il, ir = i - 1, i + 1
            span = x_fe[ir] - x_fe[il]
            E = (psi[il] - psi[ir]) / span
            arg = darg_dE * E
            ch = np.cosh(arg)
            sh = np.sinh(arg)
            S = trap_sites[i]
            for k in range(K):
                Tk = T[k, i]
                if S > 0.0:
                    free = 1.0 - Tk / S
                    net = capture * N[i] * free - release0[k] * ch * Tk
                    dN = capture * free
                    dT = -capture * N[i] / S - release0[k] * ch
                else:                       # no trap sites at this node: nothing is captured
                    net = -release0[k] * ch * Tk
                    dN = 0.0
                    dT = -release0[k] * ch
                f[oN + i] -= vol[i] * net
                f[oT + k * nf + i] += vol[i] * net
                dE = -release0[k] * sh * darg_dE * Tk
                for s in range(2):
                    sign = -1.0 if s == 0 else 1.0
                    row = oN + i if s == 0 else oT + k * nf + i
                    rows[c] = row; cols[c] = oN + i; vals[c] = sign * vol[i] * dN; c += 1
                    rows[c] = row; cols[c] = oT + k * nf + i; vals[c] = sign * vol[i] * dT; c += 1
                    rows[c] = row; cols[c] = il; vals[c] = sign * vol[i] * dE / span; c += 1
                    rows[c] = row; cols[c] = ir; vals[c] = -sign * vol[i] * dE / span; c += 1

    # Butler-Volmer exchange at the top interface. "film" sites (ex_sheet = 0): the vacancy enters the
    # film's first node and the back reaction consumes mobile vacancies there (factor N_0/N_ref);
    # "interface" sites (ex_sheet = m > 0): the vacancy stays on its site in the interface layer, its
    # charge spread uniformly over the first m nodes (column_evaluate), and the back reaction only needs
    # the filled site.
    if J > 0:
        eta = psi[0] - psi[ex_node]
        ef = np.exp(ex_alpha * z * eta / Vt)
        eb = np.exp(-(1.0 - ex_alpha) * z * eta / Vt)
        x0 = 1.0 if ex_sheet else N[0] / ex_Nref
        layer = 0.0
        for i in range(ex_sheet):
            layer += vol[i]
        for k in range(J):
            rf = ex_rate0[k] * (1.0 - theta[k]) * ef
            rb = ex_rate0[k] * theta[k] * x0 * eb
            net = rf - rb
            f[oth + k] += ex_sites * net
            dth = -ex_rate0[k] * (ef + x0 * eb)
            dN0 = 0.0 if ex_sheet else -ex_rate0[k] * theta[k] * eb / ex_Nref
            deta = (rf * ex_alpha + rb * (1.0 - ex_alpha)) * z / Vt
            rows[c] = oth + k; cols[c] = oth + k; vals[c] = ex_sites * dth; c += 1
            rows[c] = oth + k; cols[c] = oN; vals[c] = ex_sites * dN0; c += 1
            rows[c] = oth + k; cols[c] = 0; vals[c] = ex_sites * deta; c += 1
            rows[c] = oth + k; cols[c] = ex_node; vals[c] = -ex_sites * deta; c += 1
            if ex_sheet:                # Gauss rows of the layer (row 0 is the Robin row): the sites' charge
                for i in range(ex_sheet):
                    dq = -qe * z * vol[i] * ex_sites / layer
                    if i == 0:
                        dq *= robin_c
                    rows[c] = i; cols[c] = oth + k; vals[c] = dq; c += 1
            else:
                f[oN] += ex_sites * net
                rows[c] = oN; cols[c] = oth + k; vals[c] = ex_sites * dth; c += 1
                rows[c] = oN; cols[c] = oN; vals[c] = ex_sites * dN0; c += 1
                rows[c] = oN; cols[c] = 0; vals[c] = ex_sites * deta; c += 1
                rows[c] = oN; cols[c] = ex_node; vals[c] = -ex_sites * deta; c += 1

    # Landau-Khalatnikov with Merz viscosity, gated: beyond the spontaneous polarization the motion is
    # reversible relaxation (rate 1/rho0); inside the wells it needs nucleation (Merz factor).
    E_fe = (psi[0] - psi[nf - 1]) / d
    Emag = np.sqrt(E_fe * E_fe + Es * Es)
    # Polarity-dependent activation E_a (1 + delta E/|E|_s): up and down reversal nucleate at different
    # interfaces. d/dE of (E_a_eff / |E|_s) with d(E/|E|_s)/dE = Es^2/|E|_s^3.
    Ea_eff = Ea * (1.0 + Ea_asym * E_fe / Emag)
    merz = np.exp(-Ea_eff / Emag)
    dmerz = merz * (Ea_eff * E_fe / Emag**3 - Ea * Ea_asym * Es * Es / Emag**4)
    # C1 smoothstep in |P| over [Ps - dPs, Ps], exactly 0 inside the wells (no creep through a tail).
    s = min(max((abs(P) - (Ps - dPs)) / dPs, 0.0), 1.0)
    gate = s * s * (3.0 - 2.0 * s)
    dgate = 6.0 * s * (1.0 - s) / dPs * np.sign(P)
    kin = (gate + (1.0 - gate) * merz) / rho0
    dkin_dE = (1.0 - gate) * dmerz / rho0
    dkin_dP = dgate * (1.0 - merz) / rho0
    G1 = 2 * a2 * P + 4 * a4 * P**3 + 6 * a6 * P**5
    G2 = 2 * a2 + 12 * a4 * P**2 + 30 * a6 * P**4
    drive = E_fe - G1
    f[oP] = kin * drive
    dfdE = kin + drive * dkin_dE
    rows[c] = oP; cols[c] = oP; vals[c] = dkin_dP * drive - kin * G2; c += 1
    rows[c] = oP; cols[c] = 0; vals[c] = dfdE / d; c += 1
    rows[c] = oP; cols[c] = nf - 1; vals[c] = -dfdE / d; c += 1
    return c
