"""The transport analysis of the paper's Fig. 5 applied to simulated states.

For each prescribed state (HRS, LRS1, LRS2): the read resistance, the I-V curve over a range that
shows direct tunnelling and Fowler-Nordheim tunnelling, the band profile; then the same closed-form
fits an experimentalist applies to measured curves: the trapezoid DT fit of the LRS1 I-V -> (phi_top,
phi_bottom), the FN plot of the LRS1 positive branch -> transition voltage, and the Schottky-emission
fit of the HRS reverse branch (electrons injected from the top metal) -> thermionic barrier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import constants as sc

from . import iv_fitting
from .junction import Junction
from .parameters import DeviceParameters
from .states import PRESCRIBED_STATES, state_spec
from .transport import IVCurve
from .validation import require_range


@dataclass(frozen=True)
class AnalysisSettings:
    V_read_V: float = 0.1
    iv_V_max_V: float = 1.2
    iv_points: int = 241
    # The trapezoid formula needs both barrier edges above the Fermi levels: |V| < 2 phi_bottom/q.
    dt_fit_V_max_V: float = 0.25
    schottky_window_V: tuple = (0.1, 0.6)
    vacancy_pile_width_m: float = 0.3e-9

    def __post_init__(self):
        require_range("V_read_V", self.V_read_V, 1e-3, 1.0)
        require_range("iv_V_max_V", self.iv_V_max_V, 0.2, 5.0)
        require_range("iv_points", self.iv_points, 11, 10001)
        require_range("dt_fit_V_max_V", self.dt_fit_V_max_V, 0.05, self.iv_V_max_V)
        lo, hi = self.schottky_window_V
        require_range("schottky_window_V[0]", lo, 0.0, self.iv_V_max_V)
        require_range("schottky_window_V[1]", hi, lo, self.iv_V_max_V, lo_open=True)


@dataclass
class StateResult:
    name: str
    R_read_ohm: float
    iv: IVCurve
    band_x_m: np.ndarray        # cell end points, two per cell (band offsets show as steps)
    band_Ec_J: np.ndarray
    polarization_C_per_m2: float
    vacancy_m3: np.ndarray


@dataclass
class TransportAnalysis:
    params: DeviceParameters
    settings: AnalysisSettings
    states: dict = field(default_factory=dict)
    dt_fit: object = None
    fn_transition_V: float = float("nan")
    schottky_fit: object = None
    fit_failures: dict = field(default_factory=dict)   # fit name -> reason (its numbers are NaN)

    def summary(self) -> dict:
        """The figure's numbers (the /derived group)."""
        s = self.states
        nan = float("nan")
        dt = self.dt_fit
        return {
            "V_read_V": self.settings.V_read_V,
            "R_HRS_ohm": s["HRS"].R_read_ohm,
            "R_LRS1_ohm": s["LRS1"].R_read_ohm,
            "R_LRS2_ohm": s["LRS2"].R_read_ohm,
            "phi_DT_top_eV": dt.phi1_J / sc.eV if dt else nan,
            "phi_DT_bottom_eV": dt.phi2_J / sc.eV if dt else nan,
            "m_DT_fit_ratio": dt.mass_kg / sc.m_e if dt else nan,
            "phi_TE_eV": self.schottky_fit.phi_J / sc.eV if self.schottky_fit else nan,
            "V_transition_V": self.fn_transition_V,
        }


def bias_grid(settings: AnalysisSettings) -> np.ndarray:
    """Symmetric bias grid without V = 0 (R = V/I and the fits need V != 0)."""
    V = np.linspace(-settings.iv_V_max_V, settings.iv_V_max_V, settings.iv_points)
    return V[V != 0.0]


def analyse(params: DeviceParameters, settings: AnalysisSettings = AnalysisSettings(),
            band_bias_V: float = 0.0, progress=None) -> TransportAnalysis:
    """Run the Fig. 5 analysis for one parameter set. ``progress`` is an optional callable(str)."""
    junction = Junction(params)
    V = bias_grid(settings)
    out = TransportAnalysis(params, settings)
    for name in PRESCRIBED_STATES:
        spec = state_spec(name, settings.vacancy_pile_width_m)
        P, NV = junction.state_arrays(spec)
        iv = junction.iv(spec, V)
        prof = junction.band_profile(spec, band_bias_V)
        x = np.column_stack((prof.x_m[:-1], prof.x_m[1:])).ravel()
        Ec = np.column_stack((prof.Ec_left_J, prof.Ec_right_J)).ravel()
        out.states[name] = StateResult(name, junction.resistance_ohm(spec, settings.V_read_V), iv, x, Ec, P, NV)
        if progress:
            progress(name)
    area = params.area_m2 * params.transport.conducting_area_fraction
    lrs = out.states["LRS1"].iv
    hrs = out.states["HRS"].iv
    dt, pos, neg = np.abs(lrs.V_V) <= settings.dt_fit_V_max_V, lrs.V_V > 0, hrs.V_V < 0
    fits = {
        "dt_fit": lambda: iv_fitting.fit_trapezoid_dt(lrs.V_V[dt], lrs.I_A[dt], area,
                                                      params.ferroelectric_thickness_m),
        "fn_transition_V": lambda: iv_fitting.transition_voltage(lrs.V_V[pos], lrs.I_A[pos]),
        "schottky_fit": lambda: iv_fitting.fit_schottky(
            hrs.V_V[neg], hrs.I_A[neg], area, params.temperature_K, params.transport.supply_mass_ratio * sc.m_e,
            V_window=(-settings.schottky_window_V[1], -settings.schottky_window_V[0])),
    }
    # A curve a closed form cannot describe is a finding, not a crash: its numbers become NaN.
    for name, fit in fits.items():
        try:
            setattr(out, name, fit())
        except ValueError as err:
            out.fit_failures[name] = str(err)
    return out
