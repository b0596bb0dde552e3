"""Electron transport through the self-consistent band profile.

Current density by Tsu-Esaki with WKB transmission through the composite barrier U(x) = E_c(x)
(ferroelectric plus semiconductor depletion or accumulation region), see :mod:`solvers.tunneling`.
Energies below the barrier top give direct tunnelling and Fowler-Nordheim tunnelling (one integral);
energies above it, where T = 1, give the thermionic current. Electrode Fermi levels: mu_L = -qV (top
metal), mu_R = 0 (semiconductor). Energies start at the bulk conduction-band edge of the semiconductor
(no states below it on that side). I = J x area x conducting-area fraction; I > 0 for V > 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import constants as sc

from solvers import tunneling

from .electrostatics import BandProfile, Electrostatics


@dataclass(frozen=True)
class Current:
    bias_V: float
    J_A_per_m2: float           # total
    J_tunnel_A_per_m2: float    # energies below the barrier top (DT + FN)
    J_thermionic_A_per_m2: float  # energies above the barrier top
    I_A: float
    barrier_top_J: float


class Transport:
    """Tsu-Esaki/WKB current for the profiles of one :class:`Electrostatics` solver."""

    def __init__(self, electrostatics: Electrostatics, kernel: str = "numba"):
        if kernel not in ("numba", "numpy"):
            raise ValueError(f"kernel = {kernel!r}; allowed: ['numba', 'numpy']")
        self.es = electrostatics
        p = electrostatics.params
        self.spec = p.transport
        self.kT_J = electrostatics.kT_J
        self.prefactor = tunneling.tsu_esaki_prefactor(self.spec.supply_mass_ratio * sc.m_e, self.kT_J)
        self.effective_area_m2 = p.area_m2 * self.spec.conducting_area_fraction
        self._wkb = tunneling.wkb_exponent_numba if kernel == "numba" else tunneling.wkb_exponent_numpy

    def current(self, profile: BandProfile) -> Current:
        m = self.es.mesh
        mu_L, mu_R = -sc.e * profile.bias_V, 0.0
        E_bottom = float(profile.Ec_right_J[-1])           # semiconductor bulk band edge
        top = profile.barrier_top_J
        E, w = tunneling.energy_grid(E_bottom, top, self.kT_J,
                                     span_kT=self.spec.energy_span_kT + max(0.0, (max(mu_L, mu_R) - top) / self.kT_J),
                                     panel_kT=self.spec.energy_panel_kT, nodes=self.spec.energy_nodes)
        theta = self._wkb(E, profile.Ec_left_J, profile.Ec_right_J, m.h_m, m.tunnelling_mass_kg)
        integrand = w * np.exp(-2.0 * theta) * tunneling.supply_function(E, mu_L, mu_R, self.kT_J)
        below = E < top
        J_tun = self.prefactor * float(integrand[below].sum())
        J_th = self.prefactor * float(integrand[~below].sum())
        J = J_tun + J_th
        return Current(profile.bias_V, J, J_tun, J_th, J * self.effective_area_m2, top)


@dataclass(frozen=True)
class IVCurve:
    V_V: np.ndarray
    I_A: np.ndarray
    J_tunnel_A_per_m2: np.ndarray
    J_thermionic_A_per_m2: np.ndarray
    barrier_top_J: np.ndarray
    newton_iterations: np.ndarray


def iv_curve(es: Electrostatics, tr: Transport, V_V, polarization_C_per_m2, vacancy_m3) -> IVCurve:
    """I-V of a frozen state (fixed P and vacancy profile), continued outward from the bias nearest 0."""
    V = np.asarray(V_V, dtype=float)
    order = np.argsort(np.abs(V), kind="stable")
    out = {k: np.empty(V.size) for k in ("I", "Jt", "Jth", "top", "it")}
    guess_pos = guess_neg = None
    for idx in order:
        guess = guess_pos if V[idx] >= 0 else guess_neg
        prof = es.solve(V[idx], polarization_C_per_m2, vacancy_m3, guess=guess)
        if V[idx] >= 0:
            guess_pos = prof.psi_V
        if V[idx] <= 0:
            guess_neg = prof.psi_V
        cur = tr.current(prof)
        out["I"][idx], out["Jt"][idx], out["Jth"][idx] = cur.I_A, cur.J_tunnel_A_per_m2, cur.J_thermionic_A_per_m2
        out["top"][idx], out["it"][idx] = cur.barrier_top_J, prof.iterations
    return IVCurve(V, out["I"], out["Jt"], out["Jth"], out["top"], out["it"].astype(int))


def resistance_ohm(es: Electrostatics, tr: Transport, V_read_V, polarization_C_per_m2, vacancy_m3) -> float:
    """Static read resistance R = V/I at ``V_read_V``."""
    prof = es.solve(V_read_V, polarization_C_per_m2, vacancy_m3)
    return V_read_V / tr.current(prof).I_A
