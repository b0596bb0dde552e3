"""Compact synapse model: the device's pulse response reduced to tables and a few fitted numbers.

This is the only device description the learning runners read. The state is the normalised
conductance g = (G − G_min)/(G_max − G_min) ∈ [0, 1]. Each branch (potentiation, depression)
stores the mean change of g per pulse on a uniform grid of g nodes and its spread, so a
measured or simulated ΔG(G) scatter (the paper's Fig. 2e,f) is kept as data, not only as a fit.

Per-pulse update used by every consumer (numpy reference :func:`apply_pulses`; numba twins in
``solvers``):

    Δg = s_dev · step(g) · (1 + σ_pulse · ξ),   ξ ~ N(0, 1),   g ← clip(g + Δg, 0, 1)

with ``step`` linearly interpolated on the node grid, σ_pulse the per-pulse relative noise that
reproduces the model's cycle-to-cycle statistic, and s_dev a per-device factor drawn once from
the device-to-device statistic (:meth:`Variability.draw_device_scales`).

The parametric family is the exponential potentiation curve of Chen et al. (NeuroSim, IEEE TCAD
2018; the paper's ref. 39 convention):

    G(p) = B (1 − exp(−p/A)) + G_min,   B = (G_max − G_min) / (1 − exp(−P/A)),

with P pulses per branch; depression is its mirror image. Its normalised A (A/P) converts to the
paper's NL (eq. 1), the CrossSim v2 alpha and the aihwkit gamma by :func:`paper_nl_from_norm_A`,
:func:`crosssim_alpha`, :func:`aihwkit_gamma` (research/analog-tools.md §7), and to NeuroSim's
nonlinearity label by :func:`neurosim_label_from_norm_A`.

Serialisation: :meth:`CompactModel.to_dict` gives plain JSON values (schema ``MODEL_SCHEMA``,
version ``SCHEMA_VERSION``); :meth:`CompactModel.from_dict` refuses another version, a missing or an
unknown field with a ValueError naming it. Fitting lives in :mod:`ftjphys.compact_fit`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.optimize import brentq

from .validation import require_finite, require_integer, require_positive, require_range

SCHEMA_VERSION = "1.0"
#: the ``schema`` entry of a serialised model
MODEL_SCHEMA = "ftjphys-compact-model"

#: normalised A above which the exponential curve is treated as linear (NL < 1e-6)
LINEAR_NORM_A = 1.0e6


def exponential_curve(p, norm_A: float):
    """Normalised potentiation curve g(p/P) = (1 − e^{−x/a}) / (1 − e^{−1/a}), x = p/P, a = A/P.

    Chen et al., IEEE TCAD 37, 3067 (2018), eq. (1), normalised to g(0) = 0, g(1) = 1.
    ``norm_A`` ≥ LINEAR_NORM_A gives the linear limit g = x.
    """
    x = np.asarray(p, dtype=float)
    if norm_A >= LINEAR_NORM_A:
        return x
    return -np.expm1(-x / norm_A) / -math.expm1(-1.0 / norm_A)


def paper_nl_from_norm_A(norm_A: float) -> float:
    """Paper eq. (1) NL = max_n |G_p(n) − G_d(P+1−n)| / ΔG for mirrored exponential branches.

    For the symmetric, mirrored family the maximum sits at mid-train: NL = 2 g(½) − 1
    (research/analog-tools.md §7).
    """
    require_positive("norm_A", norm_A)
    return float(2.0 * exponential_curve(0.5, norm_A) - 1.0)


def norm_A_from_paper_nl(nl: float) -> float:
    """Inverse of :func:`paper_nl_from_norm_A` (bisection); NL = 0 maps to LINEAR_NORM_A."""
    require_range("NL", nl, 0.0, 1.0, hi_open=True)
    if nl < 1e-6:
        return LINEAR_NORM_A
    return float(brentq(lambda a: paper_nl_from_norm_A(a) - nl, 1e-3, LINEAR_NORM_A, xtol=1e-12, rtol=1e-12))


def crosssim_alpha(norm_A: float) -> float:
    """CrossSim v2 analytic nonlinearity alpha = P/A (equal-size pulses give identical trajectories)."""
    return 0.0 if norm_A >= LINEAR_NORM_A else 1.0 / norm_A


def aihwkit_gamma(norm_A: float) -> float:
    """aihwkit LinearStepDevice gamma with w ∈ [−1, 1]: (1−γ)/(1+γ) = e^{−P/A}, so γ = tanh(P/(2A))."""
    return 0.0 if norm_A >= LINEAR_NORM_A else math.tanh(0.5 / norm_A)


#: NeuroSim nonlinearity label per unit of the largest deviation of the normalised curve from a straight line
NEUROSIM_LABEL_PER_DEVIATION = 1.0 / 0.099


def max_deviation_from_linear(norm_A: float) -> float:
    """max_x |g(x) − x| of :func:`exponential_curve`, at x* = −a ln(a(1 − e^{−1/a})) where g'(x*) = 1."""
    require_positive("norm_A", norm_A)
    if norm_A >= LINEAR_NORM_A:
        return 0.0
    a = norm_A
    x_star = -a * math.log(-a * math.expm1(-1.0 / a))
    return float(exponential_curve(x_star, a) - x_star)


def neurosim_label_from_norm_A(norm_A: float) -> float:
    """NeuroSim's nonlinearity label of normalised A: label = max_x |g(x) − x| / 0.099.

    NeuroSim (MLP_NeuroSim_V3.0 ``getParamA``) maps the label to A/Pmax through the 900-entry table
    ``documents/Nonlinearity-NormA.htm``; that table is this relation (it reproduces 0.01 → 126.269,
    1.00 → 1.2517, 2.40 → 0.4992, 4.88 → 0.2003, 9.00 → 0.0228 to the table's rounding). The label is
    positive for a concave potentiation curve; NeuroSim gives a mirrored depression branch the
    negative label (its default NL_LTD = −NL_LTP).
    """
    return NEUROSIM_LABEL_PER_DEVIATION * max_deviation_from_linear(norm_A)


def norm_A_from_neurosim_label(label: float) -> float:
    """Inverse of :func:`neurosim_label_from_norm_A` for |label| in [0, 9.9); label 0 is linear."""
    magnitude = abs(float(label))
    require_range("NeuroSim label", magnitude, 0.0, 9.9, hi_open=True)
    if magnitude < 1e-6:
        return LINEAR_NORM_A
    return float(brentq(lambda a: neurosim_label_from_norm_A(a) - magnitude, 1e-3, LINEAR_NORM_A,
                        xtol=1e-14, rtol=1e-13))


def paper_nl_of_train(G_up_S, G_down_S) -> float:
    """Paper eq. (1) for one potentiation and one depression train of equal length P:

        NL = max_n {G_p(n) − G_d(P+1−n)} / (G_p(P) − G_p(1)),   n = 1 … P,

    G_p(n), G_d(n) the conductance after the n-th potentiation/depression pulse (Yang et al., Adv.
    Funct. Mater. 2022, eq. 1; ref. 39 of the paper). The maximum is signed, as printed.
    """
    up = np.asarray(G_up_S, dtype=float)
    down = np.asarray(G_down_S, dtype=float)
    if up.ndim != 1 or up.shape != down.shape or up.size < 2:
        raise ValueError(f"paper NL needs two 1D trains of the same length >= 2; got {up.shape} and {down.shape}")
    span = up[-1] - up[0]
    if span == 0:
        raise ValueError("paper NL is undefined for a potentiation train with G_p(P) = G_p(1)")
    return float(np.max(up - down[::-1]) / span)


@dataclasses.dataclass(frozen=True)
class BranchTable:
    """Mean and spread of the normalised conductance change per pulse on a uniform grid of g.

    g_nodes: uniform grid on [0, 1]; step_mean: mean Δg per pulse (≥ 0 for potentiation, ≤ 0
    for depression); step_std: standard deviation of Δg per pulse measured at each node
    (zero where unknown); n_pulses: pulses per branch of the source train; norm_A: the
    exponential-family fit of this branch (A/P).
    """

    g_nodes: np.ndarray
    step_mean: np.ndarray
    step_std: np.ndarray
    n_pulses: int
    norm_A: float

    def __post_init__(self):
        for name in ("g_nodes", "step_mean", "step_std"):
            arr = np.asarray(getattr(self, name), dtype=float)
            require_finite(f"BranchTable.{name}", arr)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        n = self.g_nodes.size
        if n < 2 or self.step_mean.shape != (n,) or self.step_std.shape != (n,):
            raise ValueError(f"BranchTable arrays must share one 1D shape of ≥ 2 nodes; got g_nodes {self.g_nodes.shape}, "
                             f"step_mean {self.step_mean.shape}, step_std {self.step_std.shape}")
        if not np.allclose(self.g_nodes, np.linspace(0.0, 1.0, n), atol=1e-12):
            raise ValueError("BranchTable.g_nodes must be the uniform grid linspace(0, 1, n)")
        if np.any(self.step_std < 0):
            raise ValueError("BranchTable.step_std must be ≥ 0")
        require_integer("BranchTable.n_pulses", self.n_pulses, 1, 10**9)
        require_positive("BranchTable.norm_A", self.norm_A)

    @property
    def direction(self) -> int:
        """+1 for a potentiation table, −1 for a depression table."""
        return 1 if np.sum(self.step_mean) >= 0 else -1

    def step(self, g):
        """Mean Δg per pulse at state(s) g, linear interpolation on the node grid."""
        return np.interp(np.clip(g, 0.0, 1.0), self.g_nodes, self.step_mean)

    @property
    def nl(self) -> float:
        return paper_nl_from_norm_A(self.norm_A)

    @classmethod
    def exponential(cls, norm_A: float, n_pulses: int, direction: int, n_nodes: int = 101) -> "BranchTable":
        """Table of the exponential family: dg/dp = (b − g)/a per pulse (potentiation), mirrored for depression.

        The exact one-pulse change from state g is Δg = (b − g)(1 − e^{−1/(aP)}) with
        b = 1/(1 − e^{−1/a}) and a = A/P (Chen et al. 2018); depression mirrors g → 1 − g.
        """
        g = np.linspace(0.0, 1.0, n_nodes)
        if norm_A >= LINEAR_NORM_A:
            step = np.full(n_nodes, 1.0 / n_pulses)
        else:
            b = 1.0 / -math.expm1(-1.0 / norm_A)
            shrink = -math.expm1(-1.0 / (norm_A * n_pulses))
            step = (b - (g if direction > 0 else 1.0 - g)) * shrink
        return cls(g, direction * step, np.zeros(n_nodes), n_pulses, norm_A)


@dataclasses.dataclass(frozen=True)
class Variability:
    """Cycle-to-cycle and device-to-device variation and the noise parameters that reproduce them.

    c2c, d2d: the statistics as measured on the source data (fractions, e.g. 0.054), with their
    definitions in words. pulse_sigma_rel: per-pulse relative noise σ_pulse of the update rule
    (module docstring) chosen so that simulated trains reproduce ``c2c``. device_sigma_rel:
    relative spread of the per-device step factor s_dev, chosen so that simulated devices
    reproduce ``d2d``.
    """

    c2c: float = 0.0
    d2d: float = 0.0
    c2c_definition: str = ""
    d2d_definition: str = ""
    pulse_sigma_rel: float = 0.0
    device_sigma_rel: float = 0.0

    def __post_init__(self):
        for name in ("c2c", "d2d", "pulse_sigma_rel", "device_sigma_rel"):
            require_range(f"Variability.{name}", getattr(self, name), 0.0, 10.0)

    def draw_device_scales(self, rng: np.random.Generator, shape) -> np.ndarray:
        """Per-device step factors s_dev = max(1 + device_sigma_rel·N(0,1), 0.05), drawn once per device."""
        return np.maximum(1.0 + self.device_sigma_rel * rng.standard_normal(shape), 0.05)


@dataclasses.dataclass(frozen=True)
class StdpWindow:
    """The paper's eq. (2), ΔW in % of the weight:

        ΔW(Δt) = A₊ exp(−Δt/τ₊) + ΔW₀₊   (Δt > 0),     −A₋ exp(Δt/τ₋) + ΔW₀₋   (Δt < 0),

    Δt = t_post − t_pre. Paper best fit: A± = 50.01/52.18 %, τ± = 1.00/1.11 ms, ΔW₀± = 0.20/2.14 %.
    """

    A_plus: float
    A_minus: float
    tau_plus_s: float
    tau_minus_s: float
    dW0_plus: float = 0.0
    dW0_minus: float = 0.0

    def __post_init__(self):
        for name in ("A_plus", "A_minus", "tau_plus_s", "tau_minus_s"):
            require_positive(f"StdpWindow.{name}", getattr(self, name))
        for name in ("dW0_plus", "dW0_minus"):
            require_finite(f"StdpWindow.{name}", getattr(self, name))

    def dW_percent(self, dt_s):
        """ΔW(Δt) in % (eq. 2); zero at Δt = 0."""
        dt = np.asarray(dt_s, dtype=float)
        pos = self.A_plus * np.exp(-np.abs(dt) / self.tau_plus_s) + self.dW0_plus
        neg = -self.A_minus * np.exp(-np.abs(dt) / self.tau_minus_s) + self.dW0_minus
        return np.where(dt > 0, pos, np.where(dt < 0, neg, 0.0))

    @classmethod
    def paper(cls) -> "StdpWindow":
        """The paper's fit of Fig. 4a."""
        return cls(50.01, 52.18, 1.00e-3, 1.11e-3, 0.20, 2.14)


@dataclasses.dataclass(frozen=True)
class CompactModel:
    """A synapse's conductance window, pulse response, variability and STDP window.

    name: what it describes (e.g. "yang2022", "reference", or the CSV file's stem);
    read_voltage_V and pulse (amplitudes, width, scheme as a dict of plain values) say how the
    source data were taken; provenance records the source results (file, commit, seed, ...).
    """

    name: str
    G_min_S: float
    G_max_S: float
    potentiation: BranchTable
    depression: BranchTable
    variability: Variability = Variability()
    stdp: StdpWindow | None = None
    read_voltage_V: float = float("nan")
    pulse: dict = dataclasses.field(default_factory=dict)
    provenance: dict = dataclasses.field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION
    #: how the model was fitted and how well it reproduces its source (plain values; see compact_fit)
    fit_report: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        require_positive("CompactModel.G_min_S", self.G_min_S, hi=1.0)
        require_range("CompactModel.G_max_S", self.G_max_S, self.G_min_S, 1.0, lo_open=True)
        if self.potentiation.direction != 1 or self.depression.direction != -1:
            raise ValueError("CompactModel.potentiation must have steps ≥ 0 and depression steps ≤ 0")
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(f"CompactModel.schema_version = {self.schema_version!r} is not supported; "
                             f"allowed: {SCHEMA_VERSION!r}")

    @property
    def window_S(self) -> float:
        return self.G_max_S - self.G_min_S

    def to_g(self, G_S):
        """Normalised state of conductance G."""
        return (np.asarray(G_S, dtype=float) - self.G_min_S) / self.window_S

    def to_G_S(self, g):
        """Conductance of normalised state g."""
        return self.G_min_S + np.asarray(g, dtype=float) * self.window_S

    def branch(self, direction: int) -> BranchTable:
        return self.potentiation if direction > 0 else self.depression

    def kernel_arrays(self) -> dict:
        """Plain float64 arrays and scalars for numba update kernels (see module docstring).

        Keys: g_nodes, step_up, step_down (signed), pulse_sigma_rel, device_sigma_rel.
        Both tables share the grid g_nodes.
        """
        if self.potentiation.g_nodes.size != self.depression.g_nodes.size:
            raise ValueError("potentiation and depression tables must share one node grid")
        return dict(g_nodes=np.array(self.potentiation.g_nodes), step_up=np.array(self.potentiation.step_mean),
                    step_down=np.array(self.depression.step_mean),
                    pulse_sigma_rel=float(self.variability.pulse_sigma_rel),
                    device_sigma_rel=float(self.variability.device_sigma_rel))

    def mean_train(self, n_up: int | None = None, n_down: int | None = None, g0: float = 0.0):
        """Noise-free states after each of ``n_up`` potentiation then ``n_down`` depression pulses from g0.

        Defaults: the tables' pulses per branch. Returns (g_up, g_down), the state read after each pulse.
        """
        n_up = self.potentiation.n_pulses if n_up is None else n_up
        n_down = self.depression.n_pulses if n_down is None else n_down
        require_integer("n_up", n_up, 1, 10**7)
        require_integer("n_down", n_down, 1, 10**7)
        require_range("g0", g0, 0.0, 1.0)
        g = np.array([float(g0)])
        up = np.empty(n_up)
        down = np.empty(n_down)
        for k in range(n_up):
            g = apply_pulses(self, g, 1, +1)
            up[k] = g[0]
        for k in range(n_down):
            g = apply_pulses(self, g, 1, -1)
            down[k] = g[0]
        return up, down

    def summary(self) -> dict:
        """The model's numbers in the parameterisations of other tools (research/analog-tools.md §7).

        Per branch: norm_A (A/P), A_pulses (NeuroSim's A = norm_A·P), NL (paper eq. 1 of the mirrored
        exponential pair), NeuroSim label (negative for depression, NeuroSim's sign convention),
        CrossSim alpha and aihwkit gamma. ``NL_paper`` is eq. (1) on the model's own mean train from
        g = 0; ``dw_min_aihwkit`` = 2·|Δg(½)|, the mean step at the centre with w ∈ [−1, 1].
        """
        out = {"G_min_S": self.G_min_S, "G_max_S": self.G_max_S, "window_S": self.window_S,
               "on_off_ratio": self.G_max_S / self.G_min_S}
        for key, table, sign in (("potentiation", self.potentiation, 1.0), ("depression", self.depression, -1.0)):
            a = table.norm_A
            out[key] = {"norm_A": a, "A_pulses": a * table.n_pulses, "n_pulses": table.n_pulses,
                        "NL": paper_nl_from_norm_A(a), "neurosim_label": sign * neurosim_label_from_norm_A(a),
                        "crosssim_alpha": crosssim_alpha(a), "aihwkit_gamma": aihwkit_gamma(a),
                        "mean_step_g": float(np.mean(np.abs(table.step_mean)))}
        up, down = self.mean_train()
        n = min(up.size, down.size)
        try:
            out["NL_paper"] = paper_nl_of_train(self.to_G_S(up[:n]), self.to_G_S(down[:n]))
        except ValueError:
            out["NL_paper"] = None
        out["dw_min_aihwkit"] = float(2.0 * max(abs(self.potentiation.step(0.5)), abs(self.depression.step(0.5))))
        return out

    def to_dict(self) -> dict:
        """Plain JSON values of every field, plus an informative ``derived`` section (:meth:`summary`)
        that :meth:`from_dict` ignores. NaN read voltage becomes None."""
        def branch(t: BranchTable) -> dict:
            return {"g_nodes": t.g_nodes.tolist(), "step_mean": t.step_mean.tolist(), "step_std": t.step_std.tolist(),
                    "n_pulses": int(t.n_pulses), "norm_A": float(t.norm_A)}

        return {
            "schema": MODEL_SCHEMA,
            "schema_version": self.schema_version,
            "name": self.name,
            "G_min_S": float(self.G_min_S),
            "G_max_S": float(self.G_max_S),
            "potentiation": branch(self.potentiation),
            "depression": branch(self.depression),
            "variability": _plain(dataclasses.asdict(self.variability)),
            "stdp": None if self.stdp is None else _plain(dataclasses.asdict(self.stdp)),
            "read_voltage_V": None if not math.isfinite(self.read_voltage_V) else float(self.read_voltage_V),
            "pulse": _plain(self.pulse),
            "provenance": _plain(self.provenance),
            "fit_report": _plain(self.fit_report),
            "derived": _plain(self.summary()),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "CompactModel":
        """Rebuild a model from :meth:`to_dict` output, strictly.

        Raises ValueError naming the field for: another schema or schema_version, a missing field, an
        unknown field, a value of the wrong type; then the dataclasses' own range checks apply.
        """
        if not isinstance(d, dict):
            raise ValueError(f"compact model: expected a JSON object, got {type(d).__name__}")
        if "schema_version" not in d:
            raise ValueError("compact model: missing field 'schema_version'")
        if d["schema_version"] != SCHEMA_VERSION:
            raise ValueError(f"compact model: schema_version = {d['schema_version']!r} is not supported; "
                             f"allowed: {SCHEMA_VERSION!r}")
        _require_fields(d, "", _TOP_FIELDS, optional=("derived",))
        if d["schema"] != MODEL_SCHEMA:
            raise ValueError(f"compact model: schema = {d['schema']!r}; expected {MODEL_SCHEMA!r}")
        name = _typed(d, "", "name", str)
        branches = {}
        for key in ("potentiation", "depression"):
            b = _typed(d, "", key, dict)
            _require_fields(b, key + ".", _BRANCH_FIELDS)
            branches[key] = BranchTable(_number_list(b, key + ".", "g_nodes"), _number_list(b, key + ".", "step_mean"),
                                        _number_list(b, key + ".", "step_std"), _integer(b, key + ".", "n_pulses"),
                                        _number(b, key + ".", "norm_A"))
        v = _typed(d, "", "variability", dict)
        _require_fields(v, "variability.", [f.name for f in dataclasses.fields(Variability)])
        variability = Variability(**{f.name: (_typed(v, "variability.", f.name, str) if f.type in ("str", str)
                                              else _number(v, "variability.", f.name))
                                     for f in dataclasses.fields(Variability)})
        stdp = None
        if d["stdp"] is not None:
            w = _typed(d, "", "stdp", dict)
            _require_fields(w, "stdp.", [f.name for f in dataclasses.fields(StdpWindow)])
            stdp = StdpWindow(**{f.name: _number(w, "stdp.", f.name) for f in dataclasses.fields(StdpWindow)})
        vr = d["read_voltage_V"]
        read_voltage_V = float("nan") if vr is None else _number(d, "", "read_voltage_V")
        return cls(name, _number(d, "", "G_min_S"), _number(d, "", "G_max_S"), branches["potentiation"],
                   branches["depression"], variability, stdp, read_voltage_V, _typed(d, "", "pulse", dict),
                   _typed(d, "", "provenance", dict), d["schema_version"], _typed(d, "", "fit_report", dict))

    @classmethod
    def synthetic(cls, name: str = "synthetic", G_min_S: float = 40e-6, G_max_S: float = 90e-6, n_pulses: int = 150,
                  nl_potentiation: float = 0.15, nl_depression: float = 0.15, variability: Variability = Variability(),
                  stdp: StdpWindow | None = None, n_nodes: int = 101) -> "CompactModel":
        """An exponential-family model from the paper's headline numbers (tests, NL sweeps)."""
        pot = BranchTable.exponential(norm_A_from_paper_nl(nl_potentiation), n_pulses, +1, n_nodes)
        dep = BranchTable.exponential(norm_A_from_paper_nl(nl_depression), n_pulses, -1, n_nodes)
        return cls(name, G_min_S, G_max_S, pot, dep, variability, stdp if stdp is not None else StdpWindow.paper(),
                   pulse=dict(scheme="exponential family", n_pulses=n_pulses),
                   provenance=dict(source="CompactModel.synthetic"))


def apply_pulses(model: CompactModel, g, n_pulses, direction: int, rng: np.random.Generator | None = None,
                 device_scale=1.0):
    """Apply ``n_pulses`` (array, ≥ 0) pulses of one polarity to states ``g``; numpy reference of the update rule.

    Returns the new normalised states (clipped to [0, 1]). With ``rng`` None the update is the
    noise-free mean response.
    """
    table = model.branch(direction)
    g = np.array(g, dtype=float, copy=True)
    n = np.broadcast_to(np.asarray(n_pulses), g.shape)
    scale = np.broadcast_to(np.asarray(device_scale, dtype=float), g.shape)
    sigma = model.variability.pulse_sigma_rel
    for k in range(int(n.max(initial=0))):
        active = n > k
        step = table.step(g[active]) * scale[active]
        if rng is not None and sigma > 0:
            step = step * (1.0 + sigma * rng.standard_normal(step.shape))
        g[active] = np.clip(g[active] + step, 0.0, 1.0)
    return g


_TOP_FIELDS = ("schema", "schema_version", "name", "G_min_S", "G_max_S", "potentiation", "depression", "variability",
               "stdp", "read_voltage_V", "pulse", "provenance", "fit_report")
_BRANCH_FIELDS = ("g_nodes", "step_mean", "step_std", "n_pulses", "norm_A")


def _plain(obj):
    """JSON-safe copy: numpy scalars and arrays to Python numbers and lists, tuples to lists, non-finite
    floats to None, keys to str."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_plain(v) for v in (obj.tolist() if isinstance(obj, np.ndarray) else obj)]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"value {obj!r} of type {type(obj).__name__} has no JSON form")


def _require_fields(d: dict, prefix: str, required, optional=()) -> None:
    for key in required:
        if key not in d:
            raise ValueError(f"compact model: missing field {prefix + key!r}")
    for key in d:
        if key not in required and key not in optional:
            raise ValueError(f"compact model: unknown field {prefix + key!r}")


def _typed(d: dict, prefix: str, key: str, kind):
    value = d[key]
    if not isinstance(value, kind):
        raise ValueError(f"compact model: field {prefix + key!r} = {value!r} is not a {kind.__name__}")
    return value


def _number(d: dict, prefix: str, key: str) -> float:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"compact model: field {prefix + key!r} = {value!r} is not a number")
    return float(value)


def _integer(d: dict, prefix: str, key: str) -> int:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"compact model: field {prefix + key!r} = {value!r} is not an integer")
    return value


def _number_list(d: dict, prefix: str, key: str) -> np.ndarray:
    value = d[key]
    if not isinstance(value, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        raise ValueError(f"compact model: field {prefix + key!r} is not a list of numbers")
    return np.asarray(value, dtype=float)
