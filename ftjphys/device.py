"""The junction as parallel domain columns driven by one protocol.

Each column (:class:`ftjphys.column.ColumnModel`) is a full 1D problem with its own polarization and
vacancy profile; the columns share only the applied bias. Column i has the Merz activation field
E_a,i (log-normal quantiles of the ensemble) and area fraction 1/K. The current at any output time is the
area-weighted sum of the column currents, I = sum_i I_i / K, each from the Tsu-Esaki/WKB transport
through that column's self-consistent band profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers.integrators import IntegratorStats, integrate

from .column import ColumnModel, lognormal_quantiles
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


@dataclass(frozen=True)
class ColumnRunSettings:
    """Integrator settings of a column run (those of :meth:`Device.run`)."""

    rtol: float = 1e-4
    atol_density_m3: float = 1e16
    h_after_breakpoint_s: float = 1e-9
    keep_states: bool = False


@dataclass
class ColumnRun:
    """One column's run: current, polarization and vacancy count at the outputs, and its final state."""

    I_A: np.ndarray
    P_C_per_m2: np.ndarray
    vacancy_count_m2: np.ndarray
    final_state: np.ndarray
    stats: IntegratorStats
    states_out: np.ndarray | None = None


def run_column(params: DeviceParameters, waveform: Waveform, activation_field_V_per_m: float, y0,
               output_times_s, settings: ColumnRunSettings = ColumnRunSettings()) -> ColumnRun:
    """Integrate one column (Merz activation field ``activation_field_V_per_m``) from ``y0`` over
    ``waveform``; a pure function of its arguments, so columns can run in separate processes."""
    model = ColumnModel(params, waveform.V_at, activation_field_V_per_m)
    t_out = np.asarray(output_times_s, dtype=float)
    V_out = np.asarray(waveform.V_at(t_out), dtype=float) if t_out.size else np.empty(0)
    atol = np.where(model.mass > 0, settings.atol_density_m3, 1e-30)
    # A floor for the potential: with weights rtol |psi| alone, a node where psi crosses zero makes
    # the Newton update test of the consistent initialisation unreachable at rounding level.
    atol[model.layout.psi] = PSI_ATOL_V
    atol[model.layout.P] = 1e-5
    res = integrate(model, 0.0, np.asarray(y0, dtype=float), waveform.duration_s, rtol=settings.rtol, atol=atol,
                    breakpoints=waveform.breakpoints_s, output_times=t_out,
                    h_after_breakpoint=settings.h_after_breakpoint_s)
    tr = Transport(model.es)
    n = t_out.size
    I, P, count = np.zeros(n), np.zeros(n), np.zeros(n)
    for j, (y, V) in enumerate(zip(res.y_out, V_out)):
        I[j] = tr.current(model.band_profile(y, V)).I_A if V != 0 else 0.0
        P[j] = y[model.layout.P]
        count[j] = model.vacancy_count_m2(y)
    return ColumnRun(I, P, count, res.y, res.stats, np.array(res.y_out) if settings.keep_states else None)


class Device:
    """A parameter set as an ensemble of domain columns."""

    def __init__(self, params: DeviceParameters, activation_fields_V_per_m=None):
        """``activation_fields_V_per_m`` (one per column) replaces the ensemble's log-normal quantiles, e.g.
        with the fields of one cycle's stochastic nucleation (:mod:`ftjphys.variability`)."""
        self.params = params
        d = params.domains
        self.activation_fields = lognormal_quantiles(d.activation_field_V_per_m, d.activation_spread, d.columns)
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
            atol_density_m3=1e16, h_after_breakpoint_s=1e-9, progress=None, keep_states=False,
            map_columns=map) -> DeviceRun:
        """Integrate every column over ``waveform``; currents at ``output_times_s``. ``states`` (a list of
        column states from a previous run's ``final_states``) continues a history instead of ``initial``;
        ``keep_states`` keeps every column's state at the output times (``DeviceRun.states_out``).
        ``map_columns(func, *iterables)``: how the independent column runs are mapped (builtin ``map``:
        one after another; a process pool's ``map`` runs them in parallel, results in column order)."""
        if states is not None:
            y0s = [np.array(s, dtype=float) for s in states]
        else:
            _, y0s = self.initial_states(waveform, initial)
        t_out = np.asarray(output_times_s, dtype=float)
        V_out = np.asarray(waveform.V_at(t_out), dtype=float) if t_out.size else np.empty(0)
        K = len(y0s)
        settings = ColumnRunSettings(rtol, atol_density_m3, h_after_breakpoint_s, keep_states)
        I_col = np.zeros((K, t_out.size))
        P_col = np.zeros((K, t_out.size))
        count = np.zeros((K, t_out.size))
        finals, stats, kept = [], [], []
        results = map_columns(run_column, [self.params] * K, [waveform] * K, list(self.activation_fields), y0s,
                              [t_out] * K, [settings] * K)
        for i, col in enumerate(results):
            I_col[i], P_col[i], count[i] = col.I_A, col.P_C_per_m2, col.vacancy_count_m2
            finals.append(col.final_state)
            stats.append(col.stats)
            if keep_states:
                kept.append(col.states_out)
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
