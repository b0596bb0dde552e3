"""Physical sources of cycle-to-cycle and device-to-device variation (Fig. S4).

Cycle to cycle: domain nucleation is a stochastic, thermally activated event at defect sites; which sites
nucleate first differs from one switching cycle to the next. Each column's Merz activation field is
redrawn every cycle as E_a,i · exp(σ_nuc ξ), ξ ~ N(0, 1) (log-normal, so it stays positive), around the
column's ensemble value (:func:`cycle_activation_fields`).

Device to device: devices of one wafer differ in film thickness, vacancy inventory and domain population;
each device draws d = d₀(1 + σ_d ξ₁), N_V = N_V0 exp(σ_N ξ₂), E_a = E_a0(1 + σ_E ξ₃)
(:func:`draw_device`). No noise is added to a conductance: the spread comes out of the device physics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .parameters import DeviceParameters
from .validation import require_range


@dataclass(frozen=True)
class DeviceSpread:
    """Relative device-to-device spreads: film thickness, vacancy inventory (log-normal σ), mean Merz
    activation field.

    Defaults: the proportions 3 % : 10 % : 3 % scaled by one factor (0.322) fitted to the paper's d2d of
    8.3 % (Fig. S4) by ``python -m scenarios.calibrate_variability`` (d2d 7.78 % at 0.30 and 11.24 % at
    0.45 on 10 devices x 3 cycles of other draws, interpolated in log-log): about 1 % in the mean thickness
    of the 4-unit-cell film (16 pm, against the paper's 113 pm local roughness, which a junction averages).
    """

    thickness_rel: float = 0.00966
    vacancy_inventory_log: float = 0.0322
    activation_field_rel: float = 0.00966

    def __post_init__(self):
        for name in ("thickness_rel", "vacancy_inventory_log", "activation_field_rel"):
            require_range(f"DeviceSpread.{name}", getattr(self, name), 0.0, 0.5)


def cycle_activation_fields(base_fields_V_per_m, nucleation_spread: float, rng: np.random.Generator) -> np.ndarray:
    """One cycle's activation fields: E_a,i · exp(σ_nuc ξ_i), ξ_i ~ N(0, 1)."""
    require_range("nucleation_spread", nucleation_spread, 0.0, 1.0)
    base = np.asarray(base_fields_V_per_m, dtype=float)
    return base * np.exp(nucleation_spread * rng.standard_normal(base.shape))


def draw_device(params: DeviceParameters, spread: DeviceSpread, rng: np.random.Generator) -> DeviceParameters:
    """One device of the population around ``params`` (module docstring)."""
    xi = rng.standard_normal(3)
    return params.replace(**{
        "ferroelectric_thickness_m": params.ferroelectric_thickness_m * max(1.0 + spread.thickness_rel * xi[0], 0.5),
        "vacancy_sheet_density_m2": params.vacancy_sheet_density_m2 * float(np.exp(spread.vacancy_inventory_log * xi[1])),
        "domains.activation_field_V_per_m": params.domains.activation_field_V_per_m
        * max(1.0 + spread.activation_field_rel * xi[2], 0.5),
    })
