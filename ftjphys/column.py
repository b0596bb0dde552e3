"""One domain column of the junction as a semi-explicit DAE for the time integrator.

Unknowns (one column = one domain of the ensemble):
    psi (all nodes)       Gauss's law, algebraic (mass 0)                  :mod:`solvers.poisson`
    N (ferroelectric)     vacancies: vol_i dN_i/dt = F_{i-1/2} - F_{i+1/2} + vol_i sum_k (r_k - c_k)
    T_k (ferroelectric)   trapped vacancies, class k: vol_i dT_k/dt = vol_i (c_k - r_k)
    theta_k (J classes)   occupation of the Cr/BaTiO3 exchange sites (Butler-Volmer, see below)
    P                     Landau-Khalatnikov with Merz viscosity: dP/dt = (E - dG/dP) / rho(E)

F: field-enhanced hopping flux (:mod:`solvers.hopping`), blocking at both interfaces. Capture
c_k = nu0 e^(-E_cap/kT) N (1 - T_k/S_k); release r_k = nu0 e^(-E_k/kT) cosh(z a_r E / 2 V_t) T_k
(field-assisted in either direction; E_k Gaussian quantiles). Exchange at the top interface (optional):
n_k dtheta_k/dt = n_k k_k [(1 - theta_k) e^(alpha z eta/V_t) - theta_k x e^(-(1 - alpha) z eta/V_t)],
k_k = nu0 e^(-E_k/kT) (E_k Gaussian quantiles), eta the potential drop across the interface layer of
thickness delta (Butler-Volmer: Bard & Faulkner, Electrochemical Methods, 2nd ed., ch. 3; distributed
barriers: research/mechanisms.md, mechanism 2); "film" sites put the vacancy into the film's first node
and x = N_0/N_ref, "interface" sites keep it in the layer (charge n theta/delta over its nodes) and
x = 1. Mobile, trapped and interface vacancies carry charge +z e. The Landau-Khalatnikov field is the mean field across the ferroelectric from the Poisson
solution, E = (psi(0) - psi(d)) / d, so vacancies and polarization meet only through electrostatics.
rho = rho0 exp(E_a' / |E|) (Merz's law, |E| smoothed as sqrt(E^2 + E_s^2); E_a' = E_a (1 + delta E/|E|), delta the
nucleation asymmetry of the two switching directions) where reversal needs nucleation,
i.e. for |P| below the spontaneous polarization Ps; beyond Ps the motion is the reversible relaxation of
the lattice and rho = rho0. A C1 smoothstep gate g(s) = s^2 (3 - 2s), s = (|P| - Ps + w)/w clipped to
[0, 1], w = 0.002 C/m^2, joins the two. It is exactly zero inside the wells: a gate with an exponential
tail (tanh) lets a written state creep back through the tail, logarithmically in time, which is not
nucleation-limited reversal. Without the gate a polarization driven beyond Ps by a write pulse would
stay frozen there after the pulse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import constants as sc
from scipy.stats import norm

from solvers import poisson
from solvers.hopping import hopping_flux_numba
from solvers.arrow_lu import ArrowStructure, arrow_solve
from solvers.column_kernel import entry_count
from solvers.column_newton import (PSI_UNDAMPED_VT, SINGULAR, STATUS, column_evaluate, consistent_newton,
                                   limit_update, stage_newton, stage_step)
from solvers.sparse_pattern import SparsePattern

from .electrostatics import BandProfile, Electrostatics
from .landau import LandauCoefficients, film_landau
from .parameters import DeviceParameters

FIELD_SMOOTHING_V_PER_M = 1e6
GATE_WIDTH_C_PER_M2 = 0.002


def gaussian_quantiles(mean: float, sigma: float, n: int) -> np.ndarray:
    """n equal-weight representatives of a Gaussian: the quantiles at (k + 1/2)/n."""
    if n == 1 or sigma == 0:
        return np.full(n, float(mean))
    return mean + sigma * norm.ppf((np.arange(n) + 0.5) / n)


def lognormal_quantiles(median: float, sigma_ln: float, n: int) -> np.ndarray:
    """n equal-weight representatives of a log-normal distribution: median exp(sigma_ln z_k), z_k the
    standard-normal quantiles at (k + 1/2)/n. Positive by construction, so the representatives converge as
    n grows (a Gaussian of the same relative spread puts a tail at zero and below)."""
    return float(median) * np.exp(gaussian_quantiles(0.0, float(sigma_ln), n))


@dataclass(frozen=True)
class Layout:
    n_nodes: int
    n_fe: int          # ferroelectric nodes
    n_traps: int       # trap classes carried as unknowns (0 without traps)
    n_exchange: int = 0  # interface site classes (0: blocking top interface)

    @property
    def psi(self):
        return slice(0, self.n_nodes)

    @property
    def N(self):
        return slice(self.n_nodes, self.n_nodes + self.n_fe)

    def T(self, k):
        start = self.n_nodes + self.n_fe * (1 + k)
        return slice(start, start + self.n_fe)

    @property
    def theta(self):
        start = self.n_nodes + self.n_fe * (1 + self.n_traps)
        return slice(start, start + self.n_exchange)

    @property
    def P(self):
        return self.n_nodes + self.n_fe * (1 + self.n_traps) + self.n_exchange

    @property
    def size(self):
        return self.P + 1


class ColumnModel:
    """M dy/dt = f(t, y) for one column under the bias ``bias_V(t)`` (a callable)."""

    def __init__(self, params: DeviceParameters, bias_V, activation_field_V_per_m: float,
                 landau: LandauCoefficients | None = None):
        self.params = params
        self.bias_V = bias_V
        self.es = Electrostatics(params)
        m = self.es.mesh
        v = params.vacancies
        self.kT = self.es.kT_J
        self.Vt = self.kT / sc.e
        self.z = float(params.vacancy_charge_number)
        n_traps = v.trap_classes if (v.trap_site_density_m3 > 0 and v.migration) else 0
        n_exchange = v.exchange_classes if (v.exchange_site_density_m2 > 0 and v.migration) else 0
        self.layout = Layout(m.n_nodes, m.interface_index + 1, n_traps, n_exchange)
        L = self.layout
        self.vol = m.node_volume_fe_m[: L.n_fe].copy()
        self.h_fe = m.h_m[: L.n_fe - 1].copy()
        self.d = params.ferroelectric_thickness_m
        self.D = (v.hop_distance_m**2 * v.attempt_frequency_Hz * np.exp(-v.migration_energy_J / self.kT)
                  if v.migration else 0.0)
        if n_traps:
            self.trap_energies_J = gaussian_quantiles(v.trap_release_energy_J, v.trap_release_spread_J, n_traps)
            self.release0 = v.attempt_frequency_Hz * np.exp(-self.trap_energies_J / self.kT)
            self.capture = v.attempt_frequency_Hz * np.exp(-v.trap_capture_energy_J / self.kT)
            # sites per class on each ferroelectric node: through the film, or only within
            # trap_layer_thickness_m of either interface
            x = m.x_m[: L.n_fe]
            d = params.ferroelectric_thickness_m
            layer = v.trap_layer_thickness_m
            near = (x <= layer * (1 + 1e-9)) | (x >= d - layer * (1 + 1e-9)) if layer > 0 else np.ones(x.size, bool)
            self.trap_sites = np.where(near, v.trap_site_density_m3 / n_traps, 0.0)
        if n_exchange:
            self.exchange_sites_m2 = v.exchange_site_density_m2 / n_exchange
            barriers = gaussian_quantiles(v.exchange_barrier_J, v.exchange_barrier_spread_J, n_exchange)
            self.exchange_rate0 = v.attempt_frequency_Hz * np.exp(-barriers / self.kT)
            # The potential drop of the reaction is taken across the first interface layer of the film.
            self.exchange_node = int(np.argmin(np.abs(m.x_m[: L.n_fe] - v.exchange_layer_thickness_m)))
            self.exchange_node = max(self.exchange_node, 1)
            # Reference density of the back reaction: the site density spread over the interface layer.
            self.exchange_N_ref = v.exchange_site_density_m2 / v.exchange_layer_thickness_m
        # "interface" sites hold their vacancies in the interface layer: nodes x <= exchange layer thickness
        self.exchange_sheet_nodes = self.exchange_node + 1 if (
            n_exchange and v.exchange_vacancy_site == "interface") else 0
        self.landau = landau or film_landau(params)
        self.Ps = max(self.landau.spontaneous_polarization_C_per_m2(), 1e-3)
        self.rho0 = params.domains.lk_viscosity_ohm_m
        self.Ea = activation_field_V_per_m
        self.Ea_asym = params.domains.nucleation_asymmetry
        self.mass = np.zeros(L.size)
        self.mass[L.N] = self.vol
        for k in range(n_traps):
            self.mass[L.T(k)] = self.vol
        self.mass[L.theta] = getattr(self, "exchange_sites_m2", 0.0)
        self.mass[L.P] = 1.0
        self._r = np.empty(L.n_nodes)
        self._ab = np.empty((3, L.n_nodes))
        self._flux = [np.empty(L.n_fe - 1) for _ in range(4)]
        self._pattern = None
        count = entry_count(L.n_nodes, L.n_fe, L.n_traps, L.n_exchange, self.D > 0, self.exchange_sheet_nodes)
        self._coo = (np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64), np.empty(count))
        self._column_constants = (
            self.vol, self.h_fe, m.x_m[: L.n_fe].copy(), sc.e, self.z, self.Vt, float(self.D), v.hop_distance_m,
            getattr(self, "release0", np.zeros(0)), float(getattr(self, "capture", 0.0)),
            getattr(self, "trap_sites", np.zeros(L.n_fe)), v.trap_activation_length_m,
            getattr(self, "exchange_rate0", np.zeros(0)), float(getattr(self, "exchange_sites_m2", 0.0)),
            v.exchange_transfer_coefficient, int(getattr(self, "exchange_node", 1)),
            float(getattr(self, "exchange_N_ref", 1.0)), int(self.exchange_sheet_nodes), float(self.Ea),
            float(self.Ea_asym), FIELD_SMOOTHING_V_PER_M, float(self.rho0),
            float(self.landau.a2), float(self.landau.a4), float(self.landau.a6), float(self.Ps),
            GATE_WIDTH_C_PER_M2, float(self.d))

    # --- states ------------------------------------------------------------------------------

    def initial_state(self, polarization_C_per_m2: float, vacancy_m3: np.ndarray, bias_V: float = 0.0):
        """A state with the given P and mobile vacancy profile (traps empty), psi from Poisson."""
        L = self.layout
        y = np.zeros(L.size)
        y[L.N] = vacancy_m3[: L.n_fe]
        y[L.P] = polarization_C_per_m2
        prof = self.es.solve(bias_V, polarization_C_per_m2, self.total_vacancy_nodes(y))
        y[L.psi] = prof.psi_V
        return y

    def film_vacancy_nodes(self, y) -> np.ndarray:
        """Mobile plus trapped vacancies of the film on all nodes (zero outside the ferroelectric)."""
        L = self.layout
        NV = np.zeros(L.n_nodes)
        NV[: L.n_fe] = y[L.N]
        for k in range(L.n_traps):
            NV[: L.n_fe] += y[L.T(k)]
        return NV

    def total_vacancy_nodes(self, y) -> np.ndarray:
        """Every vacancy that carries charge, per node: the film's, plus with ``exchange_vacancy_site``
        "interface" the filled interface sites, spread uniformly over the interface layer."""
        NV = self.film_vacancy_nodes(y)
        m = self.exchange_sheet_nodes
        if m:
            NV[:m] += self.exchanged_count_m2(y) / np.sum(self.vol[:m])
        return NV

    def vacancy_count_m2(self, y) -> float:
        """Areal vacancy count (mobile + trapped) in the ferroelectric."""
        return float(np.sum(self.vol * self.film_vacancy_nodes(y)[: self.layout.n_fe]))

    def exchanged_count_m2(self, y) -> float:
        """Vacancies the top-interface reaction has made (sum of n_k theta_k): given to the film ("film"
        sites) or held on the interface sites ("interface")."""
        L = self.layout
        return float(np.sum(self.mass[L.theta] * y[L.theta])) if L.n_exchange else 0.0

    def band_profile(self, y, bias_V: float) -> BandProfile:
        L = self.layout
        P = y[L.P]
        return self.es._profile(bias_V, y[L.psi].copy(), self.es.polarization_cells(P),
                                self.total_vacancy_nodes(y), 0, 0.0)

    # --- the DAE ------------------------------------------------------------------------------

    def residual(self, t, y):
        """f(t, y) alone (the kernel computes the Jacobian entries too; they are not assembled)."""
        return self._evaluate(t, y)

    def rhs(self, t, y):
        """f(t, y) and its sparse Jacobian (numba kernel :func:`solvers.column_kernel.column_rhs_numba`)."""
        f = self._evaluate(t, y)
        return f, self._pattern.assemble(self._coo[2])

    def _evaluate(self, t, y):
        L = self.layout
        rows, cols, vals = self._coo
        f = np.empty(L.size)
        used = column_evaluate(np.ascontiguousarray(y, dtype=float), L.n_nodes, L.n_fe, L.n_traps, L.n_exchange,
                               self.es.kernel_constants(float(self.bias_V(t))), self._column_constants, f,
                               rows, cols, vals, self._r, self._ab)
        if self._pattern is None:
            assert used == rows.size
            self._pattern = SparsePattern(rows.copy(), cols.copy(), (L.size, L.size))
        return f

    def stage_solver(self) -> "StageSolver":
        """The compiled stage Newton of this column (:mod:`solvers.column_newton`), used by the integrator."""
        return StageSolver(self)

    def rhs_reference(self, t, y):
        """Plain numpy twin of :meth:`rhs` (same f and Jacobian), used by the tests."""
        L, es, m = self.layout, self.es, self.es.mesh
        V = float(self.bias_V(t))
        psi = y[L.psi]
        P = y[L.P]
        NV = self.total_vacancy_nodes(y)
        Pc = es.polarization_cells(P)
        args = es._args(V, Pc, NV)
        poisson.assemble_numba(psi, *args, self._r, self._ab)
        f = np.zeros(L.size)
        rows, cols, vals = [], [], []

        def add(r, c, v):
            rows.append(np.broadcast_to(r, np.shape(v) or (1,)).ravel())
            cols.append(np.broadcast_to(c, np.shape(v) or (1,)).ravel())
            vals.append(np.ravel(v))

        # Gauss's law rows (algebraic).
        n = L.n_nodes
        f[L.psi] = self._r
        idx = np.arange(n)
        add(idx, idx, self._ab[1])
        add(idx[:-1], idx[1:], self._ab[0, 1:])
        add(idx[1:], idx[:-1], self._ab[2, :-1])
        qz_vol = sc.e * self.z * self.vol
        c_robin = es.robin_c
        dQ_dN = -qz_vol.copy()
        dQ_dN[0] = -c_robin * qz_vol[0]  # row 0 is the Robin row: r0 = psi0 - psi_L + c (D0 - Q0)
        fe_idx = np.arange(L.n_fe)
        add(fe_idx, L.N.start + fe_idx, dQ_dN)
        for k in range(L.n_traps):
            add(fe_idx, L.T(k).start + fe_idx, dQ_dN)
        # Bound charge: the polarization enters the flux of every ferroelectric cell.
        fe_cells = m.ferroelectric
        dr_dP = np.zeros(n)
        dr_dP[:-1] += fe_cells
        dr_dP[1:] -= fe_cells
        dr_dP[0] = c_robin * fe_cells[0]
        dr_dP[-1] = 0.0
        nz = np.nonzero(dr_dP)[0]
        add(nz, np.full(nz.size, L.P), dr_dP[nz])

        # Vacancy hopping.
        N = y[L.N]
        if self.D > 0:
            F, dN0, dN1, dpsi0 = self._flux
            hopping_flux_numba(N, psi[: L.n_fe], self.h_fe, self.D, self.z, self.Vt,
                               self.params.vacancies.hop_distance_m, F, dN0, dN1, dpsi0)
            fN = np.zeros(L.n_fe)
            fN[:-1] -= F
            fN[1:] += F
            f[L.N] += fN
            k = np.arange(L.n_fe - 1)
            Ni, Nk = L.N.start + k, L.N.start + k + 1
            # row i gets -F_i (i = k) and +F_{i-1} (i = k + 1)
            add(Ni, Ni, -dN0)
            add(Ni, Nk, -dN1)
            add(Ni, k, -dpsi0)
            add(Ni, k + 1, dpsi0)
            add(Nk, Ni, dN0)
            add(Nk, Nk, dN1)
            add(Nk, k, dpsi0)
            add(Nk, k + 1, -dpsi0)

        # Trapping and field-assisted release.
        if L.n_traps:
            x = m.x_m[: L.n_fe]
            p = psi[: L.n_fe]
            E = np.empty(L.n_fe)
            E[1:-1] = (p[:-2] - p[2:]) / (x[2:] - x[:-2])
            E[0] = (p[0] - p[1]) / (x[1] - x[0])
            E[-1] = (p[-2] - p[-1]) / (x[-1] - x[-2])
            il = np.concatenate(([0], fe_idx[:-2], [L.n_fe - 2]))
            ir = np.concatenate(([1], fe_idx[2:], [L.n_fe - 1]))
            span = x[ir] - x[il]
            a_r = self.params.vacancies.trap_activation_length_m
            arg = self.z * a_r * E / (2.0 * self.Vt)
            ch, sh = np.cosh(arg), np.sinh(arg)
            darg_dE = self.z * a_r / (2.0 * self.Vt)
            for kk in range(L.n_traps):
                T = y[L.T(kk)]
                rel = self.release0[kk] * ch * T
                has = self.trap_sites > 0
                S = np.where(has, self.trap_sites, 1.0)
                free = 1.0 - T / S
                cap = np.where(has, self.capture * N * free, 0.0)
                net = cap - rel
                f[L.N] -= self.vol * net
                f[L.T(kk)] += self.vol * net
                Ts = L.T(kk).start + fe_idx
                Ns = L.N.start + fe_idx
                dnet_dN = np.where(has, self.capture * free, 0.0)
                dnet_dT = np.where(has, -self.capture * N / S, 0.0) - self.release0[kk] * ch
                dnet_dE = -self.release0[kk] * sh * darg_dE * T
                for sign, row in ((-1.0, Ns), (1.0, Ts)):
                    add(row, Ns, sign * self.vol * dnet_dN)
                    add(row, Ts, sign * self.vol * dnet_dT)
                    add(row, il, sign * self.vol * dnet_dE / span)
                    add(row, ir, -sign * self.vol * dnet_dE / span)

        # Butler-Volmer exchange at the top interface: each site class k gives (theta_k up) or takes
        # back a vacancy; rates r_f = k0 (1 - theta) e^(alpha z eta/V_t), r_b = k0 theta (N_0/N_ref)
        # e^(-(1 - alpha) z eta/V_t), eta = psi(0) - psi(delta). Node 0 receives n_k (r_f - r_b).
        if L.n_exchange:
            v = self.params.vacancies
            alpha, j = v.exchange_transfer_coefficient, self.exchange_node
            eta = psi[0] - psi[j]
            ef = np.exp(alpha * self.z * eta / self.Vt)
            eb = np.exp(-(1.0 - alpha) * self.z * eta / self.Vt)
            th = y[L.theta]
            x0 = 1.0 if self.exchange_sheet_nodes else N[0] / self.exchange_N_ref
            rf = self.exchange_rate0 * (1.0 - th) * ef
            rb = self.exchange_rate0 * th * x0 * eb
            net = rf - rb
            ns = self.exchange_sites_m2
            f[L.theta] += ns * net
            dnet_dth = -self.exchange_rate0 * (ef + x0 * eb)
            dnet_deta = (rf * alpha + rb * (1.0 - alpha)) * self.z / self.Vt
            ths = L.theta.start + np.arange(L.n_exchange)
            m = self.exchange_sheet_nodes
            if m:
                # the sites' charge, spread over the interface layer, in its Gauss rows
                layer = np.sum(self.vol[:m])
                for i in range(m):
                    add(i, ths, np.full(L.n_exchange, dQ_dN[i] * ns / layer))
                rows_ex = (ths,)
            else:
                f[L.N.start] += ns * float(net.sum())
                dnet_dN0 = -self.exchange_rate0 * th * eb / self.exchange_N_ref
                add(ths, np.full(L.n_exchange, L.N.start), ns * dnet_dN0)
                add(L.N.start, np.full(L.n_exchange, L.N.start), ns * dnet_dN0)
                rows_ex = (ths, np.full(L.n_exchange, L.N.start))
            for row in rows_ex:
                add(row, ths, ns * dnet_dth)
                add(row, np.zeros(L.n_exchange, dtype=int), ns * dnet_deta)
                add(row, np.full(L.n_exchange, j), -ns * dnet_deta)

        # Landau-Khalatnikov with Merz viscosity.
        i_d = L.n_fe - 1
        E_fe = (psi[0] - psi[i_d]) / self.d
        Emag = np.sqrt(E_fe**2 + FIELD_SMOOTHING_V_PER_M**2)
        Ea_eff = self.Ea * (1.0 + self.Ea_asym * E_fe / Emag)
        merz = np.exp(-Ea_eff / Emag)
        dmerz = merz * (Ea_eff * E_fe / Emag**3 - self.Ea * self.Ea_asym * FIELD_SMOOTHING_V_PER_M**2 / Emag**4)
        Ps, dPs = self.Ps, GATE_WIDTH_C_PER_M2
        s = np.clip((abs(P) - (Ps - dPs)) / dPs, 0.0, 1.0)
        gate = s * s * (3.0 - 2.0 * s)
        dgate = 6.0 * s * (1.0 - s) / dPs * np.sign(P)
        kin = (gate + (1.0 - gate) * merz) / self.rho0
        dkin_dE = (1.0 - gate) * dmerz / self.rho0
        dkin_dP = dgate * (1.0 - merz) / self.rho0
        drive = E_fe - float(self.landau.dG_dP(P))
        f[L.P] = kin * drive
        add(L.P, L.P, dkin_dP * drive - kin * float(self.landau.d2G_dP2(P)))
        dfP_dE = kin + drive * dkin_dE
        add(L.P, 0, dfP_dE / self.d)
        add(L.P, i_d, -dfP_dE / self.d)

        J = SparsePattern(np.concatenate(rows), np.concatenate(cols), (L.size, L.size))
        return f, J.assemble(np.concatenate(vals))

    def limit_update(self, y, dy):
        """Newton damping (numpy twin of :func:`solvers.column_newton.limit_update`): log-compress the part of
        a potential update beyond PSI_UNDAMPED_VT V_t; keep densities >= 0 and occupations <= 1 by scaling
        the density and occupation updates by one common factor (a uniform scaling keeps the discrete
        vacancy count exactly conserved, a componentwise clip would not)."""
        L = self.layout
        dpsi = dy[L.psi]
        free = PSI_UNDAMPED_VT * self.Vt
        big = np.abs(dpsi) > free
        dpsi[big] = np.sign(dpsi[big]) * (free + self.Vt * np.log1p((np.abs(dpsi[big]) - free) / self.Vt))
        dens = slice(L.N.start, L.P)
        yd, dd = y[dens], dy[dens]
        scale = 1.0
        neg = (yd + dd) < 0
        if np.any(neg):
            scale = min(scale, float(np.min(0.9 * yd[neg] / -dd[neg])))
        th, dth = y[L.theta], dy[L.theta]
        over = (th + dth) > 1.0
        if np.any(over):
            scale = min(scale, float(np.min(0.9 * (1.0 - th[over]) / dth[over])))
        if scale < 1.0:
            dd *= scale
        return dy


def interleaved_order(layout: Layout) -> np.ndarray:
    """Unknowns ordered node by node (N_i, T_k,i, psi_i) through the ferroelectric, then the semiconductor
    potentials, then the global unknowns: the interface site classes (their charge and drive reach every
    node of their layer) and P (its bound charge and Landau-Khalatnikov field reach every ferroelectric
    node). The Newton matrix is then banded apart from the rows and columns of the last
    :func:`border_size` unknowns (:mod:`solvers.arrow_lu`); psi_i after the densities of node i keeps the
    lower bandwidth (the factorization's cost) small. The solver takes the T_k,i out of this order and
    eliminates them first (:func:`local_unknowns`)."""
    L = layout
    order = []
    for i in range(L.n_fe):
        order.append(L.N.start + i)
        order.extend(L.T(k).start + i for k in range(L.n_traps))
        order.append(i)
    order.extend(range(L.n_fe, L.n_nodes))
    order.extend(range(L.theta.start, L.theta.stop))
    order.append(L.P)
    return np.array(order, dtype=np.int64)


def border_size(layout: Layout) -> int:
    """Number of border unknowns of :func:`interleaved_order`: the interface site classes and P."""
    return layout.n_exchange + 1


def local_unknowns(layout: Layout) -> np.ndarray:
    """The trapped densities T_k,i: each couples only to N_i and the potentials around node i, never to
    another trap class or node, so the arrow solver eliminates them node by node before the band LU
    (:mod:`solvers.arrow_lu`, static condensation)."""
    L = layout
    return np.arange(L.N.stop, L.N.stop + L.n_fe * L.n_traps, dtype=np.int64)


class StageSolver:
    """The integrator's hook for the compiled stage Newton of one column: ``newton`` solves a stage,
    ``solve`` applies the kept factors (the error filter), ``step`` takes a whole TR-BDF2 step
    (:func:`solvers.column_newton.stage_step`), ``initialize`` makes a state consistent
    (:func:`solvers.column_newton.consistent_newton`). Factors and work arrays live here."""

    def __init__(self, model: ColumnModel):
        self.model = model
        L = model.layout
        y = np.zeros(L.size)
        y[L.psi] = model.es.initial_guess(0.0)
        model._evaluate(0.0, y)                       # fixes the COO pattern
        rows, cols, vals = model._coo
        self.structure = ArrowStructure(rows, cols, L.size, interleaved_order(L), border_size(L), local_unknowns(L))
        self.workspace = self.structure.workspace()
        self.f = np.empty(L.size)
        self.info = np.zeros(6)
        self.step_info = np.zeros(10)
        self.state = np.zeros(2)                      # stage_step's (factor key, factors usable)
        self.no_slope = np.zeros(L.size)
        self.has_factors = False
        self.init_workspace = self.structure.workspace()   # the initialisation's factors: the kept ones stay
        self.init_info = np.zeros(5)
        st = self.structure
        # kernel arguments that do not change from call to call, bound once (the kernels run every step)
        self._structure_args = (L.n_nodes, L.n_fe, L.n_traps, L.n_exchange, model._column_constants, st.kind,
                                st.row, st.col, st.row_original, st.position, st.kl, st.ku, st.pairs,
                                st.local_columns, st.local_rows)
        self._evaluation_args = (self.f, rows, cols, vals, model._r, model._ab)

    def newton(self, t, guess, c, b, w, newton_tol, max_iter, use_factors, reuse):
        """Solve the stage from ``guess``; returns (y, status, info) (status: :data:`STATUS` codes)."""
        m, L = self.model, self.model.layout
        y = np.array(guess, dtype=float)
        status = stage_newton(y, np.ascontiguousarray(c, dtype=float), np.ascontiguousarray(b, dtype=float),
                              m.mass, np.ascontiguousarray(w, dtype=float), float(newton_tol), int(max_iter),
                              bool(use_factors and self.has_factors), bool(reuse), L.n_nodes, L.n_fe, L.n_traps,
                              L.n_exchange, m.es.kernel_constants(float(m.bias_V(t))), *self._structure_args[4:],
                              *self.workspace, *self._evaluation_args, self.info)
        if self.info[1] > 0:                           # refactored: keep unless the factors are unusable
            self.has_factors = status != SINGULAR
        return y, status, self.info

    def step(self, t_g, t1, y, h, f_n, slope, rtol, atol, newton_tol, max_iter, reuse, lu_key, same_rtol,
             filter_error, estimate):
        """One TR-BDF2 step with stage times t_g = t + gamma h and t1 (:func:`solvers.column_newton.stage_step`).
        ``lu_key``: the coefficient of the kept factors (None: none); kept factors serve a stage whose
        coefficient matches it to ``same_rtol``. Returns (y1, y_g, f1, est, status, info, lu_key after)."""
        m = self.model
        pc_g = m.es.kernel_constants(float(m.bias_V(t_g)))
        pc_1 = m.es.kernel_constants(float(m.bias_V(t1)))
        self.state[0] = np.nan if lu_key is None else lu_key
        self.state[1] = 1.0 if self.has_factors else 0.0
        size = y.size
        y_g, y1, f1, est = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
        status = stage_step(y, float(h), f_n, self.no_slope if slope is None else slope, slope is not None,
                            pc_g, pc_1, m.mass, float(rtol), atol, float(newton_tol), int(max_iter), bool(reuse),
                            float(same_rtol), bool(filter_error), bool(estimate), self.state, *self._structure_args,
                            *self.workspace, *self._evaluation_args, y_g, y1, f1, est, self.step_info)
        self.has_factors = bool(self.state[1] > 0.0)
        key = float(self.state[0])
        return y1, y_g, f1, est, status, self.step_info, (None if np.isnan(key) else key)

    def initialize(self, t, y, rtol, atol, init_tol, max_iter):
        """Consistent initialisation at t from y (:func:`solvers.column_newton.consistent_newton`), in its own
        factor storage; returns (y, status, info) (a new y; status: :data:`STATUS` codes)."""
        m = self.model
        y = np.array(y, dtype=float)
        status = consistent_newton(y, m.mass, float(rtol), atol, float(init_tol), int(max_iter),
                                   m.es.kernel_constants(float(m.bias_V(t))), *self._structure_args,
                                   *self.init_workspace, *self._evaluation_args, self.init_info)
        return y, status, self.init_info

    def limit_update(self, y, dy):
        """The compiled twin of :meth:`ColumnModel.limit_update` (on a copy of ``dy``)."""
        L = self.model.layout
        out = np.array(dy, dtype=float)
        limit_update(np.ascontiguousarray(y, dtype=float), out, L.n_nodes, L.P, L.theta.start, self.model.Vt)
        return out

    def solve(self, rhs):
        ab, ipiv, u, v, z, corner, lvals = self.workspace
        st = self.structure
        out = np.empty(st.n)
        arrow_solve(ab, st.kl, st.ku, ipiv, v, z, corner, st.position, st.local_columns, st.local_rows, lvals,
                    np.ascontiguousarray(rhs, dtype=float), out)
        return out

    @staticmethod
    def describe(status: int) -> str:
        return STATUS[status]
