"""Materials of the Au/Cr/BaTiO3/Nb:SrTiO3 stack as frozen, validated dataclasses in SI units.

Energies are stored in joules; the named materials below take eV only at this input boundary via
:func:`eV`. Every value carries its source in ``sources``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy import constants as sc

from .validation import require_positive, require_range

# Molar mass of Nb (g/mol) and density of SrTiO3 (g/cm^3) for the wt% -> donor density conversion.
_NB_MOLAR_MASS_G_PER_MOL = 92.906
_STO_DENSITY_G_PER_CM3 = 5.12


def eV(value: float) -> float:
    """Convert an energy in eV to joules (the only place eV enters the code)."""
    return value * sc.electron_volt


def nb_wt_percent_to_donor_density_m3(wt_percent: float) -> float:
    """Donor density of Nb:SrTiO3 from the Nb weight fraction, assuming full ionisation.

    N_D = (w / M_Nb) * rho_STO * N_A, with M_Nb = 92.906 g/mol and rho_STO = 5.12 g/cm^3
    (0.7 wt% -> 2.3e20 cm^-3, research/physics.md §6).
    """
    require_range("nb_wt_percent", wt_percent, 0.0, 10.0, lo_open=True)
    per_cm3 = wt_percent / 100.0 / _NB_MOLAR_MASS_G_PER_MOL * _STO_DENSITY_G_PER_CM3 * sc.Avogadro
    return per_cm3 * 1e6


@dataclass(frozen=True)
class Metal:
    """A metallic electrode: work function and optional Thomas-Fermi screening.

    The screening enters as a Robin condition psi(0) = psi_bulk - (lambda/(eps0 eps_e)) D(0)
    (Zhuravlev et al., PRL 94, 246802 (2005)); lambda = 0 is an ideal metal.
    """

    name: str
    work_function_J: float
    screening_length_m: float = 0.0
    eps_r_electrode: float = 1.0
    sources: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        require_range(f"{self.name}.work_function_J", self.work_function_J, eV(2.0), eV(7.0))
        require_range(f"{self.name}.screening_length_m", self.screening_length_m, 0.0, 1e-9)
        require_positive(f"{self.name}.eps_r_electrode", self.eps_r_electrode, 1e3)


@dataclass(frozen=True)
class Ferroelectric:
    """The ferroelectric barrier (strained BaTiO3): band alignment, dielectric and tunnelling data."""

    name: str
    electron_affinity_J: float
    band_gap_J: float
    eps_r_background: float
    eps_r_optical: float
    tunnelling_mass_ratio: float
    misfit_strain: float
    vacancy_band_lowering_J: float = 0.0
    metallization_vacancy_density_m3: float = 0.5e26
    landau_a2_shift_J_m_per_C2: float = 0.0
    sources: dict = field(default_factory=dict, compare=False)

    def vacancy_band_shift_J(self, vacancy_m3):
        """Conduction-band-edge shift of vacancy-rich BaTiO3 (<= 0).

            dE_c(N_V) = -Delta s(N_V),   s = N_V^4 / (N_V^4 + N_c^4)

        Oxygen vacancies dope BaTiO3 with electrons; above n_c ~ 1e20 cm^-3 (N_c = n_c/2 for V_O^2+)
        BaTiO3-d is metallic (Kolodiazhnyi et al., PRL 104, 147602 (2010)). A vacancy-rich layer thus
        stops being part of the tunnel barrier: its band edge falls by up to Delta. The fourth power
        makes the insulator-metal crossover sharp around N_c. Delta = 0 switches the effect off.
        """
        if self.vacancy_band_lowering_J == 0.0:
            return 0.0 * vacancy_m3
        r4 = (vacancy_m3 / self.metallization_vacancy_density_m3) ** 4
        return -self.vacancy_band_lowering_J * r4 / (1.0 + r4)

    def __post_init__(self):
        require_range(f"{self.name}.electron_affinity_J", self.electron_affinity_J, eV(1.0), eV(6.0))
        require_range(f"{self.name}.band_gap_J", self.band_gap_J, eV(0.5), eV(10.0))
        require_range(f"{self.name}.eps_r_background", self.eps_r_background, 1.0, 1e4)
        require_range(f"{self.name}.eps_r_optical", self.eps_r_optical, 1.0, 100.0)
        require_range(f"{self.name}.tunnelling_mass_ratio", self.tunnelling_mass_ratio, 0.01, 50.0)
        require_range(f"{self.name}.misfit_strain", self.misfit_strain, -0.1, 0.1)
        require_range(f"{self.name}.vacancy_band_lowering_J", self.vacancy_band_lowering_J, 0.0, eV(3.0))
        require_range(f"{self.name}.landau_a2_shift_J_m_per_C2", self.landau_a2_shift_J_m_per_C2, -1e10, 1e10)
        require_range(f"{self.name}.metallization_vacancy_density_m3", self.metallization_vacancy_density_m3,
                      1e22, 1e29)


@dataclass(frozen=True)
class Semiconductor:
    """The n-type oxide electrode (Nb:SrTiO3), solved as a semiconductor with Fermi-Dirac electrons.

    Permittivity: eps(E) = eps(0) / [1 + (E/E0)^2]^(1/3) (Devonshire-type field suppression,
    research/physics.md §1.6 after Hikita et al., cond-mat/0703358); E0 = inf gives a constant eps(0).
    """

    name: str
    electron_affinity_J: float
    band_gap_J: float
    eps_r_low_field: float
    eps_field_scale_V_per_m: float
    donor_density_m3: float
    dos_mass_ratio: float
    tunnelling_mass_ratio: float
    eps_r_optical: float
    sources: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        require_range(f"{self.name}.electron_affinity_J", self.electron_affinity_J, eV(1.0), eV(6.0))
        require_range(f"{self.name}.band_gap_J", self.band_gap_J, eV(0.5), eV(10.0))
        require_range(f"{self.name}.eps_r_low_field", self.eps_r_low_field, 1.0, 1e5)
        if not (math.isinf(self.eps_field_scale_V_per_m) and self.eps_field_scale_V_per_m > 0):
            require_range(f"{self.name}.eps_field_scale_V_per_m", self.eps_field_scale_V_per_m, 1e5, 1e12)
        require_range(f"{self.name}.donor_density_m3", self.donor_density_m3, 1e20, 1e28)
        require_range(f"{self.name}.dos_mass_ratio", self.dos_mass_ratio, 0.01, 50.0)
        require_range(f"{self.name}.tunnelling_mass_ratio", self.tunnelling_mass_ratio, 0.01, 50.0)
        require_range(f"{self.name}.eps_r_optical", self.eps_r_optical, 1.0, 100.0)


# --- named materials ----------------------------------------------------------------------------

def chromium() -> Metal:
    return Metal("Cr", eV(4.5), sources={"work_function_J": "Yang et al., Adv. Funct. Mater. 2022 (paper)"})


def platinum() -> Metal:
    return Metal("Pt", eV(5.6), sources={"work_function_J": "Yang et al. 2022 (paper); 5.65 eV in Xi et al., "
                                                             "Nat. Commun. 8, 15217 (2017)"})


def gold() -> Metal:
    """Au cap: electrically passive above Cr; kept for stacks where Au touches the oxide."""
    return Metal("Au", eV(5.1), sources={"work_function_J": "Michaelson, JAP 48, 4729 (1977): 5.1 eV"})


def barium_titanate(misfit_strain: float = -0.022) -> Ferroelectric:
    """BaTiO3 coherently strained on SrTiO3 (u_m = (3.905 - 4.00)/3.905 ~ -2.2 %)."""
    return Ferroelectric(
        "BaTiO3",
        electron_affinity_J=eV(3.9),
        band_gap_J=eV(3.2),
        eps_r_background=34.0,
        eps_r_optical=5.5,
        tunnelling_mass_ratio=1.0,
        misfit_strain=misfit_strain,
        sources={
            "electron_affinity_J": "Xi et al., Nat. Commun. 8, 15217 (2017), Fig. 2",
            "band_gap_J": "Wemple, PRB 2, 2679 (1970)",
            "eps_r_background": "small-signal permittivity at P_s of BaTiO3 at u_m = -2.2 %: 34 from the Landau "
                                "coefficients of Li, Cross & Chen, JAP 98, 064101 (2005) with the misfit "
                                "renormalisation of Pertsev et al., PRL 80, 1988 (1998) (research/physics.md §2.3)",
            "eps_r_optical": "n = 2.3-2.4, eps_inf = n^2 ~ 5.5",
            "tunnelling_mass_ratio": "free-electron mass; single-band fits give 0.3-1 m0",
            "misfit_strain": "a_STO = 3.905 A, a_BTO(cubic) = 4.00 A",
            "vacancy_band_lowering_J": "0: no band-edge change from vacancies (electrostatics only)",
            "landau_a2_shift_J_m_per_C2": "0: the film has the Landau coefficients of strained bulk BaTiO3",
            "metallization_vacancy_density_m3": "n_c ~ 1e20 cm^-3 electrons (Kolodiazhnyi et al., PRL 104, "
                                                "147602 (2010)) over 2 electrons per V_O",
        },
    )


def niobium_strontium_titanate(nb_wt_percent: float = 0.7) -> Semiconductor:
    """Nb-doped SrTiO3, degenerate n-type electrode."""
    return Semiconductor(
        "Nb:SrTiO3",
        electron_affinity_J=eV(4.08),
        band_gap_J=eV(3.2),
        eps_r_low_field=300.0,
        eps_field_scale_V_per_m=math.inf,
        donor_density_m3=nb_wt_percent_to_donor_density_m3(nb_wt_percent),
        dos_mass_ratio=1.3,
        tunnelling_mass_ratio=1.3,
        eps_r_optical=5.2,
        sources={
            "electron_affinity_J": "Xi et al., Nat. Commun. 8, 15217 (2017), Fig. 2",
            "band_gap_J": "van Benthem et al., JAP 90, 6156 (2001): 3.25 eV indirect",
            "eps_r_low_field": "SrTiO3 at 300 K, ~300 (Neville et al., JAP 43, 2124 (1972))",
            "donor_density_m3": f"{nb_wt_percent} wt% Nb, full ionisation",
            "dos_mass_ratio": "Sroubek, PRB 2, 3170 (1970)",
            "tunnelling_mass_ratio": "taken equal to the DOS mass",
            "eps_r_optical": "n ~ 2.3",
        },
    )


MATERIALS = {"Cr": chromium, "Pt": platinum, "Au": gold, "BaTiO3": barium_titanate,
             "Nb:SrTiO3": niobium_strontium_titanate}


def material(name: str):
    """Look up a named material; unknown names raise ValueError listing the known ones."""
    try:
        return MATERIALS[name]()
    except KeyError:
        raise ValueError(f"material = {name!r} is unknown; allowed: {sorted(MATERIALS)}") from None
