"""Device-level transport (ftjphys/transport.py): Tsu-Esaki/WKB current through synthetic band profiles
against the closed-form laws (BDR, Fowler-Nordheim, Richardson), symmetry, and real Junction solves."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
from scipy import constants as sc

from ftjphys import parameters
from ftjphys.electrostatics import BandProfile
from ftjphys.junction import Junction
from ftjphys.parameters import TransportSpec
from ftjphys.states import PRESCRIBED_STATES
from ftjphys.transport import Transport

EV = sc.electron_volt
Q = sc.e
M0 = sc.m_e
HBAR = sc.hbar
EF_ELECTRODE = 5.0 * EV     # free-electron electrodes: band bottoms 5 eV below their Fermi levels


def _transport(x_nodes, mass_kg, T_K=300.0, supply_mass_ratio=1.0, kernel="numba"):
    """Transport on a synthetic mesh: Transport only reads mesh.h_m, mesh.tunnelling_mass_kg,
    params.transport, params.area_m2 and kT_J from its Electrostatics."""
    h = np.diff(x_nodes)
    es = types.SimpleNamespace(
        mesh=types.SimpleNamespace(h_m=h, tunnelling_mass_kg=np.full(h.size, mass_kg)),
        params=types.SimpleNamespace(transport=TransportSpec(supply_mass_ratio=supply_mass_ratio), area_m2=1e-12),
        kT_J=sc.k * T_K)
    return Transport(es, kernel=kernel)


def _profile(V, x, Ec_left, Ec_right):
    n = x.size
    z = np.zeros(n)
    return BandProfile(float(V), x, z, np.asarray(Ec_left), np.asarray(Ec_right), z, z, np.zeros(n - 1),
                       np.zeros(n - 1), 0, 0.0)


def _biased_barrier(V, phi_left, phi_right, d, n_cells=16):
    """Metal / trapezoid / metal, energies from mu_R = 0 (mu_L = -qV): barrier edge phi_left above mu_L at
    x = 0 and phi_right above mu_R at x = d, linear in between (the applied field); one electrode cell on
    each side (band bottom EF_ELECTRODE below its Fermi level)."""
    xb = np.linspace(0.0, d, n_cells + 1)
    U = (phi_left - Q * V) + (phi_right - phi_left + Q * V) * xb / d
    x = np.concatenate(([-1e-9], xb, [d + 1e-9]))
    left = -EF_ELECTRODE - Q * V
    right = -EF_ELECTRODE
    Ecl = np.concatenate(([left], U[:-1], [right]))
    Ecr = np.concatenate(([left], U[1:], [right]))
    return x, Ecl, Ecr


def _J(V, phi_left, phi_right, d, mass=M0, T_K=300.0, kernel="numba"):
    x, Ecl, Ecr = _biased_barrier(V, phi_left, phi_right, d)
    return _transport(x, mass, T_K, kernel=kernel).current(_profile(V, x, Ecl, Ecr))


def _G0(phi, d, T_K, dV=1e-3):
    """Zero-bias conductance per area from a symmetric difference (the J-V cubic term is ~1e-7 here)."""
    return (_J(dV, phi, phi, d, T_K=T_K).J_A_per_m2 - _J(-dV, phi, phi, d, T_K=T_K).J_A_per_m2) / (2 * dV)


# ------------------------------------------------------------------ BDR low-bias conductance

PHI, D = 1.0 * EV, 1.6e-9


def _bdr_classic_S_per_m2(phi_J, d_m):
    """Brinkman-Dynes-Rowell (JAP 41, 1915 (1970)) numbers for m = m0:
    G(0) = 3.16e10 sqrt(phibar)/d exp(-1.025 d sqrt(phibar)) Ohm^-1 cm^-2, d in Angstrom, phibar in V."""
    dA, pb = d_m * 1e10, phi_J / EV
    return 3.16e10 * math.sqrt(pb) / dA * math.exp(-1.025 * dA * math.sqrt(pb)) * 1e4


def test_low_bias_conductance_vs_bdr():
    # Rectangular 1 eV, 1.6 nm barrier, m = m0 in barrier and supply, 300 K. BDR keep only the leading
    # term of the energy integral and take T = 0; the simulation has (a) the next term,
    # 1 + 1/(a sqrt(phi)) with a = 2 d sqrt(2m)/hbar (+6.1 %), and (b) thermal smearing of the Fermi edge
    # against T(E) ~ exp(c E), pi c kT / sin(pi c kT) with c = a/(2 sqrt(phi)) (+7.8 %). Both are real
    # physics that the formula drops, so the agreement is to ~15 % (measured +14.6 %) -> tolerance 30 %.
    G = _G0(PHI, D, 300.0)
    G_bdr = _bdr_classic_S_per_m2(PHI, D)
    assert G == pytest.approx(G_bdr, rel=0.30)
    # With both corrections applied the residual is BDR's rounding of 3.158e10 and 1.0246 (0.55 %) and
    # the non-exponential part of T(E) in the thermal factor: 2 % (measured 0.21 %).
    a = 2 * D * math.sqrt(2 * M0) / HBAR
    c = a / (2 * math.sqrt(PHI))
    ckT = c * sc.k * 300.0
    assert G == pytest.approx(G_bdr * (1 + 1 / (a * math.sqrt(PHI))) * math.pi * ckT / math.sin(math.pi * ckT),
                              rel=0.02)


def test_low_bias_conductance_exact_wkb_integral_at_low_T():
    # At 4 K thermal smearing is gone (c kT = 2.8e-3: factor 1 + 1.3e-5) and the Tsu-Esaki integral of
    # exp(-a sqrt(phi - E)) over E < 0 has the closed form
    # G = (q^2 m / (2 pi^2 hbar^3)) 2 e^{-a sqrt phi} (sqrt(phi)/a + 1/a^2).
    # The simulation must reproduce it to 1e-3 (quadrature ~1e-10, finite-difference in V ~1e-7, the
    # thermal factor 1.3e-5, the 5 eV band-bottom cut-off e^-a(sqrt(6eV)-sqrt(1eV)) ~ 0).
    G = _G0(PHI, D, 4.0)
    a = 2 * D * math.sqrt(2 * M0) / HBAR
    exact = Q**2 * M0 / (2 * math.pi**2 * HBAR**3) * 2 * math.exp(-a * math.sqrt(PHI)) * (
        math.sqrt(PHI) / a + 1 / a**2)
    assert G == pytest.approx(exact, rel=1e-3)


def test_bdr_against_barrier_models_if_available():
    # ftjphys.barrier_models is being written in parallel: use it only if it imports.
    bm = pytest.importorskip("ftjphys.barrier_models")
    if not hasattr(bm, "bdr_G0_S_per_m2"):
        pytest.skip("barrier_models has no bdr_G0_S_per_m2")
    # SI leading-term formula vs BDR's rounded numbers: 1 % (3.158 vs 3.16, 1.0246 vs 1.025 -> 0.55 %)
    assert bm.bdr_G0_S_per_m2(PHI, PHI, D, M0) == pytest.approx(_bdr_classic_S_per_m2(PHI, D), rel=0.01)
    # simulated G(0) at 4 K exceeds the leading term by exactly the 1/(a sqrt phi) term (1e-3, see above)
    a = 2 * D * math.sqrt(2 * M0) / HBAR
    assert _G0(PHI, D, 4.0) == pytest.approx(bm.bdr_G0_S_per_m2(PHI, PHI, D, M0) * (1 + 1 / (a * math.sqrt(PHI))),
                                             rel=1e-3)


# ------------------------------------------------------------------ Fowler-Nordheim


def test_fowler_nordheim_slope():
    # Triangular barrier at the emitter Fermi level (qV > phi): ln(J/V^2) vs 1/V has slope
    # -8 pi sqrt(2m) phi^1.5 d / (3 h q) (Lenzlinger & Snow 1969). The FN law is a T = 0 result with the
    # exponent linearised in energy over the supply window, so: T = 30 K (at 300 K the factor
    # pi c kT/sin(pi c kT) varies with V and shifts the slope by 6-9 %), and a barrier with exponents
    # B d/V = 7..14 over the fit window. The remaining deviation is the curvature of (phi - E)^1.5 over
    # the supply window, O(1/(6 B d/V)) ~ 1-2 % -> tolerance 3 % (the 5 % asked holds; measured 0.86 %).
    phi, d = 1.0 * EV, 3e-9
    V = np.linspace(1.5, 3.0, 7)
    J = np.array([_J(v, phi, phi, d, T_K=30.0).J_A_per_m2 for v in V])
    slope = np.polyfit(1.0 / V, np.log(J / V**2), 1)[0]
    expected = -8 * math.pi * math.sqrt(2 * M0) * phi**1.5 * d / (3 * sc.h * Q)
    assert slope == pytest.approx(expected, rel=0.03)
    # and it is FN, not direct tunnelling: the plot is a straight line (residual < 1 % of its span)
    fit = np.polyval(np.polyfit(1.0 / V, np.log(J / V**2), 1), 1.0 / V)
    assert np.max(np.abs(fit - np.log(J / V**2))) < 0.01 * abs(expected) * (1 / V[0] - 1 / V[-1])


# ------------------------------------------------------------------ thermionic emission


@pytest.mark.parametrize("phi_eV", [0.3, 0.5])
@pytest.mark.parametrize("V", [0.01, 0.05, 0.2, -0.1])
def test_thermionic_current_richardson(phi_eV, V):
    # 50 nm flat barrier of height phi above mu_R: tunnelling is exp(-2 d kappa) ~ e^-80 one kT below the
    # top, so the current is thermionic: J = A* T^2 exp(-phi/kT) (1 - exp(-qV/kT)), A* = 4 pi q m k^2/h^3
    # from the supply mass. The only differences are the Boltzmann approximation of ln(1 + e^x)
    # (e^-(phi - max(mu))/kT / 2 <= 2.3e-4 for phi = 0.3 eV, V = -0.1 V) and WKB tunnelling within
    # ~4 ueV of the top (~1e-7): tolerance 1e-3 (measured <= 1.1e-4; the 1 % asked holds).
    T = 300.0
    kT = sc.k * T
    phi, d = phi_eV * EV, 50e-9
    x = np.concatenate(([-1e-9], np.linspace(0.0, d, 11), [d + 1e-9]))
    Ec = np.concatenate(([-EF_ELECTRODE - Q * V], np.full(10, phi), [-EF_ELECTRODE]))
    tr = _transport(x, M0, T, supply_mass_ratio=1.3)
    cur = tr.current(_profile(V, x, Ec, Ec))
    A = 4 * math.pi * Q * 1.3 * M0 * sc.k**2 / sc.h**3
    J_rich = A * T**2 * math.exp(-phi / kT) * -math.expm1(-Q * V / kT)
    assert cur.J_A_per_m2 == pytest.approx(J_rich, rel=1e-3)
    # split by energy: essentially all of it above the barrier top
    assert abs(cur.J_tunnel_A_per_m2) < 1e-6 * abs(cur.J_A_per_m2)
    assert cur.I_A == pytest.approx(cur.J_A_per_m2 * 1e-12, rel=1e-15)


# ------------------------------------------------------------------ symmetry and sign


@pytest.mark.parametrize("V", [0.05, 0.3, 0.8])
def test_symmetric_barrier_odd_current(V):
    # Symmetric barrier (phi above each electrode's Fermi level, field drop linear): mirroring x and
    # shifting energies by qV maps -V onto V, so I(-V) = -I(V). Numerically the energy grids differ
    # (anchored at E_bottom and the barrier top) and the code integrates from the RIGHT electrode's band
    # bottom even where the left one has no states (at e^-huge transmission); and where E crosses the
    # lower barrier edge theta(E) has a (U_min - E)^1.5 kink that falls inside a panel, at a different
    # place for +V and -V: 1e-6 relative (measured 2e-12 at 0.05 V, 9e-8 at 0.8 V).
    phi, d = 0.8 * EV, 1.6e-9
    Jp = _J(V, phi, phi, d).J_A_per_m2
    Jm = _J(-V, phi, phi, d).J_A_per_m2
    assert Jp > 0 > Jm
    assert Jm == pytest.approx(-Jp, rel=1e-6)


def test_asymmetric_barrier_rectifies_the_right_way():
    # Trapezoid with the higher edge on the right (phi_R > phi_L). At V > 0 the left edge drops by qV and
    # the mean barrier seen at the Fermi level is lower than at -V: |J(+V)| > |J(-V)| (the sign of BDR's
    # asymmetry term in this project's convention); a factor > 1.05 at 0.3 V (measured 1.19).
    d = 1.6e-9
    Jp = _J(0.3, 0.5 * EV, 1.0 * EV, d).J_A_per_m2
    Jm = _J(-0.3, 0.5 * EV, 1.0 * EV, d).J_A_per_m2
    assert Jp / -Jm > 1.05


# ------------------------------------------------------------------ the real device


@pytest.fixture(scope="module")
def junctions():
    p = parameters.yang2022()
    return Junction(p), Junction(p, kernel="numpy")


@pytest.mark.parametrize("state", sorted(PRESCRIBED_STATES))
def test_zero_current_at_zero_bias(junctions, state):
    # mu_L = mu_R: the supply function vanishes identically, whatever the (asymmetric) band profile:
    # |I(0)| < 1e-12 |I(0.1 V)|.
    j, _ = junctions
    spec = PRESCRIBED_STATES[state]
    I0 = j.current(spec, 0.0).I_A
    I1 = j.current(spec, 0.1).I_A
    assert I1 > 0
    assert abs(I0) < 1e-12 * abs(I1)


@pytest.mark.parametrize("state", sorted(PRESCRIBED_STATES))
def test_current_sign_and_kernel_twins(junctions, state):
    # Current flows with the bias: I > 0 for V > 0, I < 0 for V < 0.
    # Numba and numpy transport on the same profile: same formulas, round-off only; theta ~ 10 so
    # exp(-2 theta) keeps ~1e-14 relative: 1e-10 asked.
    # Full numpy path (electrostatics too): the Newton solutions agree to ~1e-15 V here (both converge to
    # 1e-10 V with quadratic convergence), so the currents agree to 1e-10 as well (measured 7e-16).
    j, jn = junctions
    spec = PRESCRIBED_STATES[state]
    for V in (-0.5, -0.1, 0.1, 0.5):
        prof = j.band_profile(spec, V)
        c = j.transport.current(prof)
        assert np.sign(c.I_A) == np.sign(V)
        c_np = Transport(j.electrostatics, kernel="numpy").current(prof)
        assert c_np.I_A == pytest.approx(c.I_A, rel=1e-10)
        assert c_np.J_tunnel_A_per_m2 == pytest.approx(c.J_tunnel_A_per_m2, rel=1e-10, abs=1e-30)
        prof_np = jn.band_profile(spec, V)
        assert np.max(np.abs(prof_np.psi_V - prof.psi_V)) < 1e-9
        assert jn.transport.current(prof_np).I_A == pytest.approx(c.I_A, rel=1e-10)


def test_transport_rejects_unknown_kernel(junctions):
    with pytest.raises(ValueError, match="kernel"):
        Transport(junctions[0].electrostatics, kernel="fortran")


def test_read_resistance_converges_under_mesh_refinement():
    """Halving every cell of the production mesh twice: the read resistances converge at second order
    (successive-difference ratio 3-5.5) and the production mesh is within 2 % of the finest one."""
    from ftjphys.junction import Junction
    from ftjphys.parameters import yang2022
    from ftjphys.states import PRESCRIBED_STATES

    meshes = [{}, {"mesh.ferroelectric_cells": 64, "mesh.semiconductor_first_cell_m": 0.01e-9,
                   "mesh.semiconductor_growth": 1.07, "mesh.semiconductor_max_cell_m": 0.5e-9},
              {"mesh.ferroelectric_cells": 128, "mesh.semiconductor_first_cell_m": 0.005e-9,
               "mesh.semiconductor_growth": 1.035, "mesh.semiconductor_max_cell_m": 0.25e-9}]
    R = np.array([[Junction(yang2022().replace(**m)).resistance_ohm(s, 0.1) for s in PRESCRIBED_STATES.values()]
                  for m in meshes])
    ratio = np.abs(R[1] - R[0]) / np.abs(R[2] - R[1])
    assert np.all((ratio > 3.0) & (ratio < 5.5)), ratio
    assert np.all(np.abs(R[0] / R[2] - 1) < 0.02), R
