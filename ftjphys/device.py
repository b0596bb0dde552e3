"""The junction as parallel domain columns driven by one protocol.

Each column (:class:`ftjphys.column.ColumnModel`) is a full 1D problem with its own polarization and
vacancy profile; the columns share only the applied bias. Column i has the Merz activation field
E_a,i (Gaussian quantiles of the ensemble) and area fraction 1/K. The current at any output time is the
area-weighted sum of the column currents, I = sum_i I_i / K, each from the Tsu-Esaki/WKB transport
through that column's self-consistent band profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers.integrators import IntegratorStats, integrate

from .column import ColumnModel, gaussian_quantiles
from .electrostatics import vacancy_profile_m3
from .parameters import DeviceParameters
from .protocols import Waveform
from .transport import Transport


#: absolute tolerance of the electrostatic potential (V), far below rtol x |psi| of any node away from zero
PSI_ATOL_V = 1e-9


@dataclass(frozen=True)
class InitialState:
    """Polarization sign (+1 toward the semiconductor) and vacancy arrangement at t = 0."""

    polarization_sign: int = -1
    vacancy_shape: str = "top"
    vacancy_width_m: float = 0.3e-9


@dataclass
class DeviceRun:
    t_s: np.ndarray                 # output times
    V_V: np.ndarray                 # bias at the output times
    I_A: np.ndarray                 # device current
    I_columns_A: np.ndarray         # (columns, outputs)
    P_columns_C_per_m2: np.ndarray  # (columns, outputs)
    vacancy_count_m2: np.ndarray    # (columns, outputs)
    final_states: list
    stats: list = field(default_factory=list)
    states_out: list | None = None  # per column, the state at each output time (``keep_states=True``)

    @property
    def R_ohm(self):
        with np.errstate(divide="ignore"):
            return self.V_V / self.I_A


class Device:
    """A parameter set as an ensemble of domain columns."""

    def __init__(self, params: DeviceParameters, activation_fields_V_per_m=None):
        """``activation_fields_V_per_m`` (one per column) replaces the ensemble's Gaussian quantiles, e.g.
        with the fields of one cycle's stochastic nucleation (:mod:`ftjphys.variability`)."""
        self.params = params
        d = params.domains
        self.activation_fields = gaussian_quantiles(d.activation_field_V_per_m,
                                                    d.activation_spread * d.activation_field_V_per_m, d.columns)
        if activation_fields_V_per_m is not None:
            fields = np.asarray(activation_fields_V_per_m, dtype=float)
            if fields.shape != (d.columns,) or np.any(~np.isfinite(fields)) or np.any(fields < 0):
                raise ValueError(f"activation_fields_V_per_m must be {d.columns} finite values >= 0 (one per "
                                 f"column); got {activation_fields_V_per_m!r}")
            self.activation_fields = fields
        self.weights = np.full(d.columns, 1.0 / d.columns)

    def initial_states(self, waveform: Waveform, initial: InitialState):
        models = [ColumnModel(self.params, waveform.V_at, Ea) for Ea in self.activation_fields]
        p = self.params
        mesh = models[0].es.mesh
        NV = vacancy_profile_m3(p, mesh, p.vacancy_sheet_density_m2, initial.vacancy_shape, initial.vacancy_width_m)
        P0 = initial.polarization_sign * p.remanent_polarization_C_per_m2
        return models, [m.initial_state(P0, NV, float(waveform.V_at(0.0))) for m in models]

    def run(self, waveform: Waveform, output_times_s, initial=InitialState(), states=None, *, rtol=1e-4,
            atol_density_m3=1e16, h_after_breakpoint_s=1e-9, progress=None, keep_states=False) -> DeviceRun:
        """Integrate every column over ``waveform``; currents at ``output_times_s``. ``states`` (a list of
        column states from a previous run's ``final_states``) continues a history instead of ``initial``;
        ``keep_states`` keeps every column's state at the output times (``DeviceRun.states_out``)."""
        models, y0s = self.initial_states(waveform, initial)
        if states is not None:
            y0s = [np.array(s, dtype=float) for s in states]
        t_out = np.asarray(output_times_s, dtype=float)
        V_out = np.asarray(waveform.V_at(t_out), dtype=float) if t_out.size else np.empty(0)
        K = len(models)
        I_col = np.zeros((K, t_out.size))
        P_col = np.zeros((K, t_out.size))
        count = np.zeros((K, t_out.size))
        finals, stats, kept = [], [], []
        for i, (model, y0) in enumerate(zip(models, y0s)):
            atol = np.where(model.mass > 0, atol_density_m3, 1e-30)
            # A floor for the potential: with weights rtol |psi| alone, a node where psi crosses zero makes
            # the Newton update test of the consistent initialisation unreachable at rounding level.
            atol[model.layout.psi] = PSI_ATOL_V
            atol[model.layout.P] = 1e-5
            res = integrate(model, 0.0, y0, waveform.duration_s, rtol=rtol, atol=atol,
                            breakpoints=waveform.breakpoints_s, output_times=t_out,
                            h_after_breakpoint=h_after_breakpoint_s)
            tr = Transport(model.es)
            for j, (y, V) in enumerate(zip(res.y_out, V_out)):
                I_col[i, j] = tr.current(model.band_profile(y, V)).I_A if V != 0 else 0.0
                P_col[i, j] = y[model.layout.P]
                count[i, j] = model.vacancy_count_m2(y)
            finals.append(res.y)
            stats.append(res.stats)
            if keep_states:
                kept.append(np.array(res.y_out))
            if progress:
                progress(i + 1, K)
        return DeviceRun(t_out, V_out, self.weights @ I_col, I_col, P_col, count, finals, stats,
                         kept if keep_states else None)

    def frozen_vacancy_currents_A(self, states_out, vacancy_states, V: float) -> np.ndarray:
        """Device current at bias ``V`` for each output state of a run (``states_out``: per column, the
        states at the outputs) with the column's vacancy profile (mobile + trapped) replaced by the one of
        ``vacancy_states`` (one state per column): the polarization channel alone, the vacancies held
        where ``vacancy_states`` had them (Poisson re-solved, then Tsu-Esaki/WKB)."""
        I = np.zeros(len(states_out[0]))
        for w, Ea, ys, yv in zip(self.weights, self.activation_fields, states_out, vacancy_states):
            model = ColumnModel(self.params, lambda t: V, Ea)
            NV = model.total_vacancy_nodes(yv)
            tr = Transport(model.es)
            for j, y in enumerate(ys):
                prof = model.es.solve(V, float(y[model.layout.P]), NV, guess=np.array(y[model.layout.psi]))
                I[j] += w * tr.current(prof).I_A
        return I


def total_stats(stats: list[IntegratorStats]) -> dict:
    keys = ("n_steps", "n_rejected", "n_newton_failures", "n_newton_iterations", "n_lu", "wall_time")
    return {k: float(sum(getattr(s, k) for s in stats)) for k in keys}
