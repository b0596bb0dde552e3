"""Electrostatics of the metal / ferroelectric / semiconductor stack.

Unknown: the electrostatic potential psi(x) (V, vacuum-level convention E_vac = -q psi) on a graded
finite-volume mesh over the ferroelectric (x in [0, d]) and the semiconductor (x in [d, d + L]).
Equation and discretisation: :mod:`solvers.poisson`. Energies are measured from the semiconductor
Fermi level (E_F = 0); the conduction-band edge is E_c(x) = -q psi(x) - chi(x).

Boundary conditions:
- metal at x = 0 with bias V (top electrode; V > 0 = top positive): E_F,metal = -qV and, with the
  Schottky-Mott alignment, psi(0) = V - W/q (+ the Thomas-Fermi screening term of the Robin row);
- neutral semiconductor bulk at x = d + L: n = N_D with Fermi-Dirac statistics, psi = (eta_0 kT - chi)/q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import constants as sc

from solvers import fermi, poisson
from solvers.errors import SolverError
from solvers.mesh import geometric_nodes, uniform_nodes

from .parameters import DeviceParameters
from .validation import require_increasing


@dataclass(frozen=True)
class DeviceMesh:
    """Mesh and per-cell material arrays (SI) for one parameter set."""

    x_m: np.ndarray            # nodes
    h_m: np.ndarray            # cell widths
    eps_F_per_m: np.ndarray    # absolute low-field permittivity per cell
    eps_field_scale_V_per_m: np.ndarray
    semiconductor: np.ndarray  # 1.0 in semiconductor cells
    ferroelectric: np.ndarray  # 1.0 in ferroelectric cells (host P and vacancies)
    chi_J: np.ndarray          # electron affinity per cell
    donor_m3: np.ndarray
    Nc_m3: np.ndarray
    tunnelling_mass_kg: np.ndarray
    interface_index: int       # node at the ferroelectric/semiconductor interface
    node_volume_fe_m: np.ndarray  # ferroelectric share of each node's control volume (per area)

    @property
    def n_nodes(self) -> int:
        return self.x_m.size

    @property
    def ferroelectric_nodes(self) -> slice:
        return slice(0, self.interface_index + 1)


def build_mesh(p: DeviceParameters) -> DeviceMesh:
    """Mesh of the stack: ``mesh.ferroelectric_cells`` uniform cells in the ferroelectric, then a
    geometric grading from the interface into the semiconductor."""
    d = p.ferroelectric_thickness_m
    x_fe = uniform_nodes(d, p.mesh.ferroelectric_cells)
    x_sc = geometric_nodes(p.semiconductor_thickness_m, p.mesh.semiconductor_first_cell_m,
                           p.mesh.semiconductor_growth, p.mesh.semiconductor_max_cell_m)
    x = np.concatenate((x_fe, d + x_sc[1:]))
    require_increasing("mesh nodes x_m", x)
    h = np.diff(x)
    n_fe = p.mesh.ferroelectric_cells
    fe = np.zeros(h.size)
    fe[:n_fe] = 1.0
    sc_ = 1.0 - fe
    f, s = p.ferroelectric, p.semiconductor
    eps = sc.epsilon_0 * np.where(fe > 0, f.eps_r_background, s.eps_r_low_field)
    E0 = np.where(fe > 0, np.inf, s.eps_field_scale_V_per_m)
    chi = np.where(fe > 0, f.electron_affinity_J, s.electron_affinity_J)
    Nd = sc_ * s.donor_density_m3
    Nc = sc_ * fermi.effective_dos_m3(s.dos_mass_ratio * sc.m_e, p.temperature_K)
    mass = sc.m_e * np.where(fe > 0, f.tunnelling_mass_ratio, s.tunnelling_mass_ratio)
    vol = np.zeros(x.size)
    vol[:-1] += 0.5 * h * fe
    vol[1:] += 0.5 * h * fe
    return DeviceMesh(x, h, eps, E0, sc_, fe, chi, Nd, Nc, mass, n_fe, vol)


def bulk_reduced_fermi_level(p: DeviceParameters) -> float:
    """eta_0 = (E_F - E_c)/kT of the neutral semiconductor: N_c F_1/2(eta_0) = N_D."""
    Nc = fermi.effective_dos_m3(p.semiconductor.dos_mass_ratio * sc.m_e, p.temperature_K)
    return fermi.solve_eta_for_density(p.semiconductor.donor_density_m3 / Nc)


def vacancy_profile_m3(p: DeviceParameters, mesh: DeviceMesh, sheet_density_m2: float, shape: str,
                       width_m: float = 0.3e-9) -> np.ndarray:
    """Vacancy density on the nodes (zero outside the ferroelectric), normalised so that the discrete
    integral sum(N_i V_i) equals ``sheet_density_m2``.

    shape: "uniform" (spread through the film), "top" (exp(-x/w) piled at the metal/ferroelectric
    interface) or "bottom" (exp(-(d-x)/w) piled at the ferroelectric/semiconductor interface).
    """
    if sheet_density_m2 < 0 or not np.isfinite(sheet_density_m2):
        raise ValueError(f"sheet_density_m2 = {sheet_density_m2!r}; allowed: [0, inf)")
    if width_m <= 0:
        raise ValueError(f"width_m = {width_m!r}; allowed: (0, inf)")
    x = mesh.x_m
    d = p.ferroelectric_thickness_m
    if shape == "uniform":
        w = np.ones_like(x)
    elif shape == "top":
        w = np.exp(-x / width_m)
    elif shape == "bottom":
        w = np.exp(-(d - np.minimum(x, d)) / width_m)
    else:
        raise ValueError(f"shape = {shape!r} is unknown; allowed: ['uniform', 'top', 'bottom']")
    w = np.where(mesh.node_volume_fe_m > 0, w, 0.0)
    total = float(np.sum(w * mesh.node_volume_fe_m))
    return w * (sheet_density_m2 / total) if sheet_density_m2 > 0 else np.zeros_like(x)


@dataclass(frozen=True)
class BandProfile:
    """A converged electrostatic solution."""

    bias_V: float
    x_m: np.ndarray
    psi_V: np.ndarray
    Ec_left_J: np.ndarray     # E_c at the left end of each cell (band offsets are steps at nodes)
    Ec_right_J: np.ndarray
    electron_m3: np.ndarray   # per node, semiconductor side (0 in the ferroelectric)
    vacancy_m3: np.ndarray
    field_V_per_m: np.ndarray  # per cell
    polarization_C_per_m2: np.ndarray  # per cell
    iterations: int
    residual_C_per_m2: float

    @property
    def barrier_top_J(self) -> float:
        return float(max(self.Ec_left_J.max(), self.Ec_right_J.max()))


class Electrostatics:
    """Nonlinear Poisson solver for one parameter set; ``solve`` returns a :class:`BandProfile`."""

    def __init__(self, params: DeviceParameters, kernel: str = "numba"):
        if kernel not in ("numba", "numpy"):
            raise ValueError(f"kernel = {kernel!r}; allowed: ['numba', 'numpy']")
        self.params = params
        self.mesh = build_mesh(params)
        self.kT_J = sc.k * params.temperature_K
        self.eta_bulk = bulk_reduced_fermi_level(params)
        self.psi_bulk_V = (self.eta_bulk * self.kT_J - params.semiconductor.electron_affinity_J) / sc.e
        self.table = fermi.table()
        self._assemble = poisson.assemble_numba if kernel == "numba" else poisson.assemble_numpy
        m = params.top_electrode
        self.robin_c = m.screening_length_m / (sc.epsilon_0 * m.eps_r_electrode)
        self.sheet_charge_C_per_m2 = np.zeros(self.mesh.n_nodes)
        self.sheet_charge_C_per_m2[self.mesh.interface_index] = params.interface_charge_C_per_m2

    def psi_left_V(self, bias_V: float) -> float:
        return bias_V - self.params.top_electrode.work_function_J / sc.e

    def polarization_cells(self, polarization_C_per_m2) -> np.ndarray:
        """Per-cell polarization from a scalar (uniform in the ferroelectric) or a per-cell array."""
        P = np.asarray(polarization_C_per_m2, dtype=float)
        if P.ndim == 0:
            return self.mesh.ferroelectric * float(P)
        if P.shape != self.mesh.h_m.shape:
            raise ValueError(f"polarization has shape {P.shape}; allowed: scalar or {self.mesh.h_m.shape}")
        return P * self.mesh.ferroelectric

    def initial_guess(self, bias_V: float) -> np.ndarray:
        x, d = self.mesh.x_m, self.params.ferroelectric_thickness_m
        psi0 = self.psi_left_V(bias_V)
        return np.where(x < d, psi0 + (self.psi_bulk_V - psi0) * x / d, self.psi_bulk_V)

    def solve(self, bias_V: float, polarization_C_per_m2=0.0, vacancy_m3=None, guess=None,
              tol_V: float = 1e-10) -> BandProfile:
        """Solve for psi at ``bias_V`` with the given polarization and vacancy density (per node).

        Without a guess, or if Newton fails from it, the solve is continued from zero bias and zero
        polarization in steps; a failure of the continuation raises SolverError with diagnostics."""
        if not np.isfinite(bias_V):
            raise ValueError(f"bias_V = {bias_V!r} is not finite")
        mesh = self.mesh
        P = self.polarization_cells(polarization_C_per_m2)
        NV = np.zeros(mesh.n_nodes) if vacancy_m3 is None else np.asarray(vacancy_m3, dtype=float)
        if NV.shape != (mesh.n_nodes,) or np.any(NV < 0) or not np.all(np.isfinite(NV)):
            raise ValueError(f"vacancy_m3 must be {mesh.n_nodes} finite values >= 0")
        if guess is not None:
            try:
                return self._newton(bias_V, P, NV, guess, tol_V)
            except SolverError:
                pass
        return self._continuation(bias_V, P, NV, tol_V)

    def kernel_constants(self, bias_V) -> tuple:
        """The arguments of :func:`solvers.poisson.assemble_numba` that are not state (everything but psi,
        the cell polarization and the vacancy density), in its order, at ``bias_V``."""
        m = self.mesh
        return (m.h_m, m.eps_F_per_m, m.eps_field_scale_V_per_m, m.semiconductor, m.chi_J, m.donor_m3, m.Nc_m3,
                m.ferroelectric, self.sheet_charge_C_per_m2, float(self.params.vacancy_charge_number), self.kT_J,
                float(self.psi_left_V(bias_V)), float(self.robin_c), float(self.psi_bulk_V), *self.table)

    def _args(self, bias_V, P, NV):
        c = self.kernel_constants(bias_V)
        return (*c[:3], P, *c[3:8], NV, *c[8:])

    def _newton(self, bias_V, P, NV, guess, tol_V):
        psi, it, res = poisson.newton(guess, self._args(bias_V, P, NV), kT=self.kT_J, tol_V=tol_V,
                                      kernel=self._assemble, context={"bias_V": float(bias_V)})
        return self._profile(bias_V, psi, P, NV, it, res)

    def _continuation(self, bias_V, P, NV, tol_V):
        psi = self.initial_guess(0.0)
        steps = max(4, int(np.ceil(abs(bias_V) / 0.1)))
        total_it = 0
        for s in np.linspace(0.0, 1.0, steps + 1)[1:]:
            prof = self._newton(s * bias_V, s * P, s * NV, psi, tol_V)
            psi = prof.psi_V
            total_it += prof.iterations
        return prof

    def _profile(self, bias_V, psi, P, NV, iterations, residual) -> BandProfile:
        m = self.mesh
        # Band edges per cell end; in the ferroelectric, vacancy-rich layers lower the edge.
        shift = self.params.ferroelectric.vacancy_band_shift_J(NV)
        Ec_l = -sc.e * psi[:-1] - m.chi_J + m.ferroelectric * shift[:-1]
        Ec_r = -sc.e * psi[1:] - m.chi_J + m.ferroelectric * shift[1:]
        n = np.zeros(m.n_nodes)
        # Electron density on the semiconductor side of each node (the interface node included).
        sc_nodes = slice(m.interface_index, None)
        eta = (sc.e * psi[sc_nodes] + self.params.semiconductor.electron_affinity_J) / self.kT_J
        F, _ = fermi.fermi_half_numpy(eta, *self.table)
        n[sc_nodes] = m.Nc_m3[-1] * F
        return BandProfile(float(bias_V), m.x_m, psi, Ec_l, Ec_r, n, NV, (psi[:-1] - psi[1:]) / m.h_m, P,
                           iterations, residual)
