"""Prescribed device states: a polarization direction and a vacancy arrangement.

The switching dynamics produce these states in time; here they are set directly, as in the band
diagrams of the paper's Fig. 5c:
- HRS: P toward the top electrode, vacancies piled at the metal/BaTiO3 interface;
- LRS1: P toward Nb:SrTiO3, vacancies spread through the film (after a short positive pulse);
- LRS2: P toward Nb:SrTiO3, vacancies piled at the BaTiO3/Nb:SrTiO3 interface (after a 1 ms pulse).
"""

from __future__ import annotations

from dataclasses import dataclass


from .electrostatics import DeviceMesh, vacancy_profile_m3
from .parameters import DeviceParameters
from .validation import require_positive


@dataclass(frozen=True)
class StateSpec:
    name: str
    polarization_sign: int      # +1: toward the semiconductor (down), -1: toward the top electrode (up)
    vacancy_shape: str          # "uniform", "top" or "bottom" (see vacancy_profile_m3)
    vacancy_width_m: float = 0.3e-9
    description: str = ""

    def __post_init__(self):
        if self.polarization_sign not in (-1, 0, 1):
            raise ValueError(f"polarization_sign = {self.polarization_sign!r}; allowed: -1, 0, 1")
        if self.vacancy_shape not in ("uniform", "top", "bottom"):
            raise ValueError(f"vacancy_shape = {self.vacancy_shape!r}; allowed: ['uniform', 'top', 'bottom']")
        require_positive("vacancy_width_m", self.vacancy_width_m, 1e-7)

    def realise(self, params: DeviceParameters, mesh: DeviceMesh):
        """(polarization in C/m^2, vacancy density per node in m^-3) of this state."""
        P = self.polarization_sign * params.remanent_polarization_C_per_m2
        NV = vacancy_profile_m3(params, mesh, params.vacancy_sheet_density_m2, self.vacancy_shape,
                                self.vacancy_width_m)
        return P, NV


PRESCRIBED_STATES = {
    "HRS": StateSpec("HRS", -1, "top", description="P toward Cr, vacancies piled at Cr/BTO"),
    "LRS1": StateSpec("LRS1", +1, "uniform", description="P toward NSTO, vacancies spread through BTO"),
    "LRS2": StateSpec("LRS2", +1, "bottom", description="P toward NSTO, vacancies piled at BTO/NSTO"),
}


def state_spec(name: str, width_m: float | None = None) -> StateSpec:
    try:
        spec = PRESCRIBED_STATES[name]
    except KeyError:
        raise ValueError(f"state = {name!r} is unknown; allowed: {sorted(PRESCRIBED_STATES)}") from None
    if width_m is None:
        return spec
    return StateSpec(spec.name, spec.polarization_sign, spec.vacancy_shape, width_m, spec.description)
