"""Device parameters: the stack, geometry, temperature, numerics, and the two named parameter sets.

``literature``: literature values only, each with its source (see :mod:`ftjphys.materials`).
``yang2022``: the same plus a small set of calibrated values, each documented by :class:`Calibrated`
(what it is fitted to, and its physical reading). The fitted numbers are produced by
``scenarios/calibrate_transport.py``; the values here are its last result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .materials import Ferroelectric, Metal, Semiconductor, barium_titanate, material, niobium_strontium_titanate
from .validation import require_integer, require_positive, require_range


@dataclass(frozen=True)
class MeshSpec:
    """Graded finite-volume mesh: uniform in the ferroelectric, geometric in the semiconductor."""

    ferroelectric_cells: int = 32
    semiconductor_first_cell_m: float = 0.02e-9
    semiconductor_growth: float = 1.15
    semiconductor_max_cell_m: float = 1.0e-9

    def __post_init__(self):
        require_integer("mesh.ferroelectric_cells", self.ferroelectric_cells, 4, 2000)
        require_range("mesh.semiconductor_first_cell_m", self.semiconductor_first_cell_m, 1e-12, 1e-9)
        require_range("mesh.semiconductor_growth", self.semiconductor_growth, 1.0, 2.0)
        require_range("mesh.semiconductor_max_cell_m", self.semiconductor_max_cell_m,
                      self.semiconductor_first_cell_m, 1e-7)


@dataclass(frozen=True)
class TransportSpec:
    """Tsu-Esaki/WKB settings.

    supply_mass_ratio: the mass in the Tsu-Esaki supply function (the NSTO DOS mass, 1.3 m0).
    conducting_area_fraction: fraction of the pad that carries the tunnelling current (1 = uniform).
    Energy quadrature: Gauss-Legendre panels ``energy_panel_kT`` kT wide with ``energy_nodes`` nodes,
    up to ``energy_span_kT`` kT above the barrier top or the higher Fermi level.
    """

    supply_mass_ratio: float = 1.3
    conducting_area_fraction: float = 1.0
    energy_panel_kT: float = 0.5
    energy_nodes: int = 4
    energy_span_kT: float = 30.0

    def __post_init__(self):
        require_range("transport.supply_mass_ratio", self.supply_mass_ratio, 0.01, 50.0)
        require_range("transport.conducting_area_fraction", self.conducting_area_fraction, 0.0, 1.0, lo_open=True)
        require_range("transport.energy_panel_kT", self.energy_panel_kT, 0.01, 5.0)
        require_integer("transport.energy_nodes", self.energy_nodes, 1, 20)
        require_range("transport.energy_span_kT", self.energy_span_kT, 5.0, 200.0)


#: where a vacancy made by the top-interface reaction goes (:class:`VacancyKinetics`)
EXCHANGE_VACANCY_SITES = ("film", "interface")


@dataclass(frozen=True)
class VacancyKinetics:
    """Oxygen-vacancy hopping in the ferroelectric and trapping with distributed release energies.

    Hopping (sinh law, :mod:`solvers.hopping`): hop distance a, attempt frequency nu0, migration energy
    Ea; D = a^2 nu0 exp(-Ea/kT). The paper's mobility (1e-11-1e-12 cm^2/Vs, switching fields) is the
    calibration point of Ea. Traps: ``trap_classes`` classes with release energies spread as Gaussian
    quantiles (centre, standard deviation); capture at nu0 exp(-E_capture/kT) into free sites,
    field-assisted release nu0 exp(-E_r/kT) cosh(z q a_r E / 2kT); the sites fill the film, or with
    ``trap_layer_thickness_m`` > 0 only the layers of that thickness at its two interfaces (interfacial
    defect complexes: misfit dislocations, cation non-stoichiometry). ``migration`` = False freezes the
    vacancies (the reference device, BTO grown at 0.5 Torr). The semiconductor side is blocking; the top
    interface is blocking unless ``exchange_site_density_m2`` > 0: then Butler-Volmer exchange with an
    oxygen reservoir in the electrode (Cr getters oxygen) over ``exchange_classes`` site classes with
    Gaussian-distributed barriers, driven by the potential drop across the first
    ``exchange_layer_thickness_m`` of the film (see :mod:`ftjphys.column`). ``exchange_vacancy_site``:
    "film", the vacancy the reaction makes enters the film and the back reaction consumes mobile vacancies
    at the interface; "interface", it stays on its site in the interface plane (the oxygen moved into the
    Cr getter layer; its charge is a sheet at the interface) and the back reaction refills that site.
    """

    migration: bool = True
    hop_distance_m: float = 0.28e-9
    attempt_frequency_Hz: float = 1.0e13
    migration_energy_J: float = 0.70 * 1.602176634e-19
    trap_site_density_m3: float = 0.0
    trap_classes: int = 5
    trap_release_energy_J: float = 1.1 * 1.602176634e-19
    trap_release_spread_J: float = 0.1 * 1.602176634e-19
    trap_capture_energy_J: float = 0.70 * 1.602176634e-19
    trap_activation_length_m: float = 0.28e-9
    trap_layer_thickness_m: float = 0.0
    exchange_site_density_m2: float = 0.0
    exchange_classes: int = 5
    exchange_barrier_J: float = 1.5 * 1.602176634e-19
    exchange_barrier_spread_J: float = 0.25 * 1.602176634e-19
    exchange_transfer_coefficient: float = 0.5
    exchange_layer_thickness_m: float = 0.2e-9
    exchange_vacancy_site: str = "film"

    def __post_init__(self):
        require_range("vacancies.hop_distance_m", self.hop_distance_m, 0.05e-9, 2e-9)
        require_range("vacancies.attempt_frequency_Hz", self.attempt_frequency_Hz, 1e9, 1e16)
        require_range("vacancies.migration_energy_J", self.migration_energy_J, 0.0, 5 * 1.602176634e-19)
        require_range("vacancies.trap_site_density_m3", self.trap_site_density_m3, 0.0, 1e29)
        require_integer("vacancies.trap_classes", self.trap_classes, 1, 50)
        require_range("vacancies.trap_release_energy_J", self.trap_release_energy_J, 0.0, 5 * 1.602176634e-19)
        require_range("vacancies.trap_release_spread_J", self.trap_release_spread_J, 0.0, 1.602176634e-19)
        require_range("vacancies.trap_capture_energy_J", self.trap_capture_energy_J, 0.0, 5 * 1.602176634e-19)
        require_range("vacancies.trap_activation_length_m", self.trap_activation_length_m, 0.0, 5e-9)
        require_range("vacancies.trap_layer_thickness_m", self.trap_layer_thickness_m, 0.0, 5e-9)
        require_range("vacancies.exchange_site_density_m2", self.exchange_site_density_m2, 0.0, 1e20)
        require_integer("vacancies.exchange_classes", self.exchange_classes, 1, 50)
        require_range("vacancies.exchange_barrier_J", self.exchange_barrier_J, 0.0, 5 * 1.602176634e-19)
        require_range("vacancies.exchange_barrier_spread_J", self.exchange_barrier_spread_J, 0.0,
                      1.602176634e-19)
        require_range("vacancies.exchange_transfer_coefficient", self.exchange_transfer_coefficient, 0.0, 1.0)
        require_range("vacancies.exchange_layer_thickness_m", self.exchange_layer_thickness_m, 0.0, 2e-9,
                      lo_open=True)
        if self.exchange_vacancy_site not in EXCHANGE_VACANCY_SITES:
            raise ValueError(f"vacancies.exchange_vacancy_site = {self.exchange_vacancy_site!r} is unknown; "
                             f"allowed: {', '.join(map(repr, EXCHANGE_VACANCY_SITES))}")


@dataclass(frozen=True)
class DomainEnsemble:
    """Polarization as parallel columns (domains), each with Landau-Khalatnikov dynamics whose
    viscosity follows Merz's law: rho(E) = rho0 exp(E_a/|E|) (Merz, Phys. Rev. 95, 690 (1954)); the
    activation fields E_a of the columns are log-normal quantiles (median E_a, standard deviation
    ``activation_spread`` of ln E_a); equal areas.

    Defaults: E_a = 1e10 V/m, the order implied by Merz's law with switching in 1e-7-1e-4 s at
    ~6-11 MV/cm (research/feasibility.md §3); rho0 = 100 Ohm m, inside 38-3.8e4 Ohm m that gives the
    paper's 1e-7-1e-4 s switching times (research/physics.md §2.4). Both await the switching calibration.

    ``nucleation_asymmetry`` delta: the two switching directions nucleate at different interfaces, so their
    activation fields differ, E_a (1 + delta sgn E) (smoothed, :mod:`ftjphys.column`); delta > 0 makes the
    reversal towards P pointing at the top electrode (negative writes) the easier one. 0: symmetric."""

    columns: int = 32
    lk_viscosity_ohm_m: float = 100.0
    activation_field_V_per_m: float = 1.0e10
    activation_spread: float = 0.15
    nucleation_asymmetry: float = 0.0

    def __post_init__(self):
        require_integer("domains.columns", self.columns, 1, 512)
        require_range("domains.lk_viscosity_ohm_m", self.lk_viscosity_ohm_m, 1e-6, 1e9)
        require_range("domains.activation_field_V_per_m", self.activation_field_V_per_m, 0.0, 1e12)
        require_range("domains.activation_spread", self.activation_spread, 0.0, 0.9)
        require_range("domains.nucleation_asymmetry", self.nucleation_asymmetry, -0.9, 0.9)


@dataclass(frozen=True)
class Calibrated:
    """A calibrated value: its number, units, what it was fitted to, and its physical reading."""

    value: float | str
    units: str
    literature_value: float | str
    fitted_to: str
    reading: str


@dataclass(frozen=True)
class DeviceParameters:
    """The FTJ: top electrode / ferroelectric / semiconductor, area, temperature and the film state
    variables that the switching dynamics act on (remanent polarization, vacancy inventory)."""

    name: str
    top_electrode: Metal
    ferroelectric: Ferroelectric
    semiconductor: Semiconductor
    ferroelectric_thickness_m: float = 1.6e-9
    semiconductor_thickness_m: float = 30e-9
    area_m2: float = 30e-6 * 30e-6
    temperature_K: float = 300.0
    remanent_polarization_C_per_m2: float = 0.2
    vacancy_sheet_density_m2: float = 1.0e17
    vacancy_charge_number: int = 2
    interface_charge_C_per_m2: float = 0.0
    mesh: MeshSpec = field(default_factory=MeshSpec)
    transport: TransportSpec = field(default_factory=TransportSpec)
    vacancies: VacancyKinetics = field(default_factory=VacancyKinetics)
    domains: DomainEnsemble = field(default_factory=DomainEnsemble)
    calibrated: tuple = ()

    def __post_init__(self):
        require_positive("ferroelectric_thickness_m", self.ferroelectric_thickness_m, 1e-7)
        require_range("semiconductor_thickness_m", self.semiconductor_thickness_m, 2e-9, 1e-6)
        require_positive("area_m2", self.area_m2, 1e-2)
        require_range("temperature_K", self.temperature_K, 1.0, 1000.0)
        require_range("remanent_polarization_C_per_m2", self.remanent_polarization_C_per_m2, 0.0, 1.0)
        require_range("vacancy_sheet_density_m2", self.vacancy_sheet_density_m2, 0.0, 1e20)
        require_integer("vacancy_charge_number", self.vacancy_charge_number, 1, 2)
        for role, kind in (("top_electrode", Metal), ("ferroelectric", Ferroelectric),
                           ("semiconductor", Semiconductor)):
            value = getattr(self, role)
            if not isinstance(value, kind):
                raise ValueError(f"{role} = {getattr(value, 'name', value)!r} is a {type(value).__name__}; "
                                 f"allowed: a {kind.__name__}")
        require_range("interface_charge_C_per_m2", self.interface_charge_C_per_m2, -1.0, 1.0)
        if self.mesh.semiconductor_first_cell_m * 4 > self.semiconductor_thickness_m:
            raise ValueError(f"mesh.semiconductor_first_cell_m = {self.mesh.semiconductor_first_cell_m!r} "
                             f"too coarse for semiconductor_thickness_m = {self.semiconductor_thickness_m!r}; "
                             f"allowed: <= thickness/4")

    def replace(self, **changes) -> "DeviceParameters":
        """A copy with ``changes``; dotted keys reach into nested dataclasses ("mesh.ferroelectric_cells")."""
        return _replace_nested(self, changes)

    def calibrated_dict(self) -> dict:
        return dict(self.calibrated)

    def to_dict(self) -> dict:
        """JSON-ready description (energies stay in J, all SI)."""
        return dataclasses.asdict(self)


def _replace_nested(obj, changes: dict, prefix: str = ""):
    direct, nested = {}, {}
    for key, value in changes.items():
        head, _, rest = key.partition(".")
        if not any(f.name == head for f in dataclasses.fields(obj)):
            known = sorted(f.name for f in dataclasses.fields(obj))
            raise ValueError(f"parameter {prefix + key!r} is unknown for {type(obj).__name__}; allowed: {known}")
        if rest:
            nested.setdefault(head, {})[rest] = value
        elif head in ("top_electrode", "ferroelectric", "semiconductor") and isinstance(value, str):
            try:
                direct[head] = material(value)
            except ValueError as err:
                raise ValueError(f"{head}: {err}") from None
        else:
            direct[head] = value
    for head, sub in nested.items():
        direct[head] = _replace_nested(getattr(obj, head), sub, prefix=f"{prefix}{head}.")
    return dataclasses.replace(obj, **direct)


# --- named parameter sets ---------------------------------------------------------------------

def literature(top_electrode: str = "Cr") -> DeviceParameters:
    """Literature values only (materials from :mod:`ftjphys.materials`), the device of Yang et al. 2022:
    BTO 1.6 nm on 0.7 wt% Nb:SrTiO3, 30x30 um^2, 300 K. Film state: P_r = 0.2 C/m^2 (1.6 nm BTO films,
    0.1-0.3 C/m^2, research/physics.md §2.3); V_O inventory 1e13 cm^-2 (~6e19 cm^-3 over 1.6 nm)."""
    return DeviceParameters(
        name="literature",
        top_electrode=material(top_electrode),
        ferroelectric=barium_titanate(),
        semiconductor=niobium_strontium_titanate(0.7),
    )


# Calibrated values of yang2022, written by ``python -m scenarios.calibrate_transport`` (objective in its
# docstring: R_LRS1, R_LRS2, R_HRS of Fig. 2b and the DT/TE barriers of Fig. 5a,b). README: "Calibration".
YANG2022_CALIBRATION = {
    "ferroelectric.tunnelling_mass_ratio": Calibrated(
        value=2.367, units="1", literature_value=1.0,
        fitted_to="R_LRS1 ~ 1 kOhm (Fig. 2b) together with the DT barriers 0.577/0.164 eV (Fig. 5a)",
        reading="effective mass of the evanescent state that carries the current through 4 u.c. of BaTiO3: "
                "the complex-band decay of the gap states is faster than a free-electron band with the same "
                "barrier height (Velev et al., PRL 95, 216601 (2005)); single-band fits give 0.3-1 m0"),
    "interface_charge_C_per_m2": Calibrated(
        value=-0.1719, units="C/m^2", literature_value=0.0,
        fitted_to="R_HRS >= 25 kOhm and the Schottky barrier 0.59 eV of the HRS (Fig. 5b) with R_LRS1 ~ 1 kOhm",
        reading="negative charge in acceptor-like states at the BaTiO3/Nb:SrTiO3 interface (1.07e14 e/cm^2, "
                "~0.16 e per interface unit cell): it depletes the Nb:SrTiO3 surface independently of P, so "
                "the depletion survives in the LRS and deepens in the HRS"),
    "top_electrode.screening_length_m": Calibrated(
        value=1.109e-11, units="m", literature_value=0.0,
        fitted_to="the Cr/BTO DT barrier 0.577 eV (Fig. 5a)",
        reading="effective Thomas-Fermi screening length lambda/eps_e of Cr: the screening charge sits "
                "0.011 nm inside the metal, an interface dipole that raises the Cr/BTO barrier when P points "
                "away from Cr (metals: 0.05-0.1 nm with eps_e ~ 5-10)"),
    "remanent_polarization_C_per_m2": Calibrated(
        value=0.1454, units="C/m^2", literature_value=0.2,
        fitted_to="the LRS/HRS contrast (Fig. 2b) and the DT/TE barriers (Fig. 5)",
        reading="switchable polarization of the 1.6 nm film; 0.1-0.3 C/m^2 for 4-10 u.c. BaTiO3"),
    "vacancy_sheet_density_m2": Calibrated(
        value=1.887e16, units="m^-2", literature_value=1.0e17,
        fitted_to="R_LRS2 ~ 0.4 kOhm after 1 ms pulses (Fig. 2b)",
        reading="oxygen-vacancy inventory of the film grown at low oxygen pressure, 1.9e12 cm^-2 "
                "(1.2e19 cm^-3 when spread over 1.6 nm)"),
    "ferroelectric.vacancy_band_lowering_J": Calibrated(
        value=0.4274 * 1.602176634e-19, units="J", literature_value=0.0,
        fitted_to="R_LRS1 / R_LRS2 ~ 2.5 (Fig. 2b, 1 ms vs 1-100 us pulses)",
        reading="conduction-band lowering of a vacancy-rich BaTiO3 layer that has crossed the insulator-metal "
                "transition (n_c ~ 1e20 cm^-3, Kolodiazhnyi et al., PRL 104, 147602 (2010)): a vacancy pile "
                "at BTO/NSTO thins the tunnel barrier; spread vacancies stay below the threshold"),
    # Switching dynamics, written by ``python -m scenarios.calibrate_switching`` (objective in its docstring:
    # R_LRS at 10 us / 1 ms, switching windows, HRS growth and retention of Fig. 2b/2c, reduced runs).
    "ferroelectric.landau_a2_shift_J_m_per_C2": Calibrated(
        value=3.7357e8, units="J m/C^2", literature_value=0.0,
        fitted_to="Fig. 2b/2c: R_LRS and switching windows (calibrate_switching; held in its current objective)",
        reading="size effect of the 4 u.c. film: the quadratic Landau coefficient rises by 3.7e8 J m/C^2 "
                "(interfacial dead layers, surface extrapolation length), so Ps of the film is 0.18 C/m^2 "
                "instead of 0.37 for strained bulk (ultrathin BaTiO3: 0.1-0.3 C/m^2)"),
    "domains.activation_field_V_per_m": Calibrated(
        value=2.0e10, units="V/m", literature_value=1.0e10,
        fitted_to="Fig. 2b: R_LRS and switching windows vs pulse width, Fig. 2c retention (calibrate_switching); "
                  "refitted with the exchange on reduced Fig. 2d / S5 trains (--stage plasticity: 1.856e10), "
                  "then raised to 2.0e10 because the 20 mV trains of fig2d / figS5 give NL 0.07 above the "
                  "stage's 0.1 V trains for both devices (reference 0.78 at 1.856e10, 0.69 at 2.0e10)",
        reading="median Merz activation field of nucleation-limited reversal, 200 MV/cm (the 130-230 MV/cm that "
                "ps attempt times and ms switching at 6-11 MV/cm imply, research/feasibility.md §3)"),
    "domains.activation_spread": Calibrated(
        value=0.4322, units="1", literature_value=0.15,
        fitted_to="Fig. 2b: width of the switching windows (calibrate_switching --stage domains), refitted with "
                  "the Cr/BaTiO3 exchange in place and the Fig. S5 reference-window term (--stage spread)",
        reading="standard deviation of ln E_a over the domains (defects, local thickness and strain): a "
                "gradual multilevel response instead of a single abrupt switch; its low tail is bounded by "
                "retention, since the LRS carries a depolarizing field at zero bias"),
    "domains.nucleation_asymmetry": Calibrated(
        value=0.0865, units="1", literature_value=0.0,
        fitted_to="Fig. 2b: symmetric switching windows and an HRS that grows with pulse width "
                  "(calibrate_switching)",
        reading="the two reversal directions nucleate at different interfaces (Cr/BaTiO3 vs BaTiO3/Nb:SrTiO3), so "
                "the reversal towards P pointing at Cr needs a 16 % lower activation field than the opposite one; "
                "it offsets the Nb:SrTiO3 depletion that clamps the film field under negative bias"),
    "domains.lk_viscosity_ohm_m": Calibrated(
        value=1.0656, units="Ohm m", literature_value=100.0,
        fitted_to="Fig. 2b: switching vs pulse width (calibrate_switching)",
        reading="Landau-Khalatnikov viscosity of free relaxation (beyond Ps); inside the wells the Merz factor "
                "exp(E_a/|E|) ~ 1e5-1e9 at write fields makes the effective viscosity 1e5-1e9 Ohm m, i.e. "
                "switching in 1e-7-1e-3 s"),
    "vacancies.migration_energy_J": Calibrated(
        value=1.3496024357005755e-19, units="J", literature_value=0.70 * 1.602176634e-19,
        fitted_to="the paper's vacancy mobility, 1e-11 cm^2/Vs at switching fields (10 MV/cm), through the "
                  "sinh law (ftjphys.vacancy_mobility.migration_energy_for_mobility_J): not a free fit",
        reading="0.84 eV migration barrier of V_O in the film (MD for bulk BaTiO3: 0.70-0.76 eV)"),
    "vacancies.trap_site_density_m3": Calibrated(
        value=1e27, units="m^-3", literature_value=0.0,
        fitted_to="Fig. 2c retention (research/mechanisms.md, mechanism 1); fixed in calibrate_switching",
        reading="vacancy trap sites (2 % of the oxygen sites): defect complexes that hold vacancies at 0 V"),
    "vacancies.trap_capture_energy_J": Calibrated(
        value=0.35 * 1.602176634e-19, units="J", literature_value=0.70 * 1.602176634e-19,
        fitted_to="Fig. 2c retention: capture within a write pulse; fixed in calibrate_switching",
        reading="barrier of a hop into a neighbouring trap site, lower than the free-migration barrier"),
    # Cr/BaTiO3 exchange, written by ``python -m scenarios.calibrate_switching --stage plasticity`` with the
    # domains' median activation field (objective: the domain stage's, a reference-device window narrower than
    # the device's, and the NL and smoothness of reduced Fig. 2d / S5 trains)
    "vacancies.exchange_vacancy_site": Calibrated(
        value="interface", units="1", literature_value="film",
        fitted_to="model choice, fixed in calibrate_switching (research/mechanisms.md, mechanism 2)",
        reading="Cr getters oxygen: an O ion that leaves BaTiO3 for the Cr layer leaves its vacancy in the "
                "interface unit cells, and the reverse reaction refills it; the vacancy does not enter the film"),
    "vacancies.exchange_layer_thickness_m": Calibrated(
        value=0.8e-9, units="m", literature_value=0.2e-9,
        fitted_to="model choice, fixed in calibrate_switching",
        reading="the two BaTiO3 unit cells next to Cr: they hold the exchanged vacancies and carry the "
                "reaction's driving potential drop (a vacancy-rich layer there turns metallic and thins the "
                "tunnel barrier)"),
    "vacancies.exchange_site_density_m2": Calibrated(
        value=3.9335e16, units="m^-2", literature_value=0.0,
        fitted_to="Fig. 2d: NL and smoothness of the pulse trains, Fig. S5: the reference device's NL, with "
                  "Fig. 2b / 2c: R_LRS vs pulse width, switching windows, retention, a reference window "
                  "narrower than the device's (calibrate_switching --stage plasticity)",
        reading="oxygen sites of the two interface unit cells that the Cr layer can empty, "
                "~0.1 % of their 3.8e19 m^-2 oxygen sites"),
    "vacancies.exchange_barrier_J": Calibrated(
        value=1.9726 * 1.602176634e-19, units="J", literature_value=1.5 * 1.602176634e-19,
        fitted_to="as exchange_site_density_m2, and the retention of Fig. 2c",
        reading="median activation energy of O transfer from BaTiO3 into Cr: the exchange of 1 ms writes "
                "starts in the upper part of the 2-5 V ramps, after the domains' onset, in both polarities, "
                "and a written state holds 1e4 s at 0 V"),
    "vacancies.exchange_barrier_spread_J": Calibrated(
        value=0.1024 * 1.602176634e-19, units="J", literature_value=0.25 * 1.602176634e-19,
        fitted_to="as exchange_site_density_m2",
        reading="standard deviation of the barriers over interface sites (local Cr-O coordination, steps, "
                "strain): the exchange proceeds gradually over the write amplitudes, not in one jump"),
    "vacancies.exchange_transfer_coefficient": Calibrated(
        value=0.45265, units="1", literature_value=0.5,
        fitted_to="as exchange_site_density_m2",
        reading="Butler-Volmer symmetry factor: the fraction of the driving drop that lowers the forward "
                "(O into Cr) barrier"),
}


def yang2022(top_electrode: str = "Cr") -> DeviceParameters:
    """``literature`` plus the calibrated values of :data:`YANG2022_CALIBRATION`."""
    base = literature(top_electrode)
    changes = {key: cal.value for key, cal in YANG2022_CALIBRATION.items()}
    return dataclasses.replace(base.replace(**changes), name="yang2022",
                               calibrated=tuple(YANG2022_CALIBRATION.items()))


PARAMETER_SETS = {"literature": literature, "yang2022": yang2022}


def parameter_set(name: str, top_electrode: str = "Cr") -> DeviceParameters:
    try:
        return PARAMETER_SETS[name](top_electrode)
    except KeyError:
        raise ValueError(f"parameter_set = {name!r} is unknown; allowed: {sorted(PARAMETER_SETS)}") from None
