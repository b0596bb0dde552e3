"""Protocols as data: a tuple of steps that compiles to a piecewise-linear bias waveform V(t).

Conventions
-----------
- SI units; identifiers carry them (``width_s``, ``amplitude_V``, ``rate_V_per_s``).
- V is the bias of the top electrode with respect to the bottom electrode (top electrode positive).
- A compiled :class:`Waveform` is a list of corners ``(t_s[i], V_V[i])`` with strictly increasing times,
  linear in between. A vertical jump is not representable: every edge has a finite rise/fall time > 0,
  and consecutive steps must meet at the same voltage (``Protocol`` checks this on construction; use a
  :class:`DCSweep` to ramp between levels).
- Time starts at 0 at the onset of the first step; each step starts where the previous one ends.
- Pulses and reads are numbered from 0 across the whole protocol, in time order (stand-alone
  :class:`Pulse` steps and the pulses of :class:`PulseTrain` share one counter; likewise reads).
- Edge defaults: an unspecified rise/fall time is ``min(10 ns, flat_time / 10)``
  (:func:`default_edge_s`), so edges never dominate a short pulse.

Steps: :class:`Hold`, :class:`Pulse`, :class:`Read`, :class:`DCSweep`, :class:`PulseTrain`,
:class:`SpikePair`; :class:`Protocol` holds them and :meth:`Protocol.compile` returns a :class:`Waveform`.

Allowed ranges (errors name the parameter, its value and the range; see :mod:`ftjphys.validation`):
voltages |V| <= ``MAX_ABS_V`` (20 V: beyond breakdown of any oxide FTJ, and catches mV-for-V slips);
durations in ``(0, MAX_TIME_S]`` (1e6 s), delays/intervals in ``[0, MAX_TIME_S]``; sweep rates in
``(0, 1e12]`` V/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple, Optional, Sequence

import numpy as np

from .validation import require_finite, require_increasing, require_integer, require_positive, require_range

MAX_ABS_V = 20.0
MAX_TIME_S = 1.0e6
MAX_RATE_V_PER_S = 1.0e12
DEFAULT_EDGE_S = 10e-9
#: Two step boundary voltages closer than this are the same level (float round-off in user arithmetic).
CONTINUITY_TOL_V = 1e-9


def default_edge_s(flat_s: float) -> float:
    """Default rise/fall time for an edge next to a flat part of duration ``flat_s``: min(10 ns, flat/10)."""
    return min(DEFAULT_EDGE_S, flat_s / 10.0)


# --- validation helpers -----------------------------------------------------------------------

def _voltage(name: str, value) -> None:
    require_range(name, value, -MAX_ABS_V, MAX_ABS_V)


def _duration(name: str, value) -> None:
    require_positive(name, value, MAX_TIME_S)


def _delay(name: str, value) -> None:
    require_range(name, value, 0.0, MAX_TIME_S)


def _voltage_array(name: str, values) -> np.ndarray:
    """Finite 1D float array with every |V| <= MAX_ABS_V; the error names the first bad element."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {values!r} is not a sequence of real numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1D sequence of voltages; got shape {arr.shape}")
    bad = ~(np.isfinite(arr) & (np.abs(arr) <= MAX_ABS_V))
    if np.any(bad):
        k = int(np.argmax(bad))
        _voltage(f"{name}[{k}]", values[k])
    return arr


def _label(name: str, value) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} = {value!r} is not a non-empty string; allowed: a non-empty str")


def _fmt_V(v: float) -> str:
    """'+2.34' for values with at most two decimals, more digits otherwise."""
    s = f"{v:+.2f}"
    if abs(float(s) - v) > 1e-9 * max(1.0, abs(v)):
        s = f"{v:+.6g}"
    return s


# --- compiled pieces --------------------------------------------------------------------------

class ReadWindow(NamedTuple):
    """The flat top of a read pulse: where the read current is evaluated."""

    t_start_s: float
    t_end_s: float
    label: str
    index: int


class Span(NamedTuple):
    """Start/end time of one step (or of one pulse period of a train) with its label and step index."""

    t_start_s: float
    t_end_s: float
    label: str
    step: int


class _Counter:
    """Running pulse/read numbers while a protocol compiles."""

    def __init__(self):
        self.pulses = 0
        self.reads = 0


@dataclass
class _Piece:
    """A step's corners relative to its own start (t[0] == 0, strictly increasing), and its annotations
    as corner indices (so that windows and spans coincide exactly with corner times)."""

    t: np.ndarray
    V: np.ndarray
    reads: list = field(default_factory=list)           # (i_start, i_end, index)
    spans: list = field(default_factory=list)           # (i_start, i_end, label)
    sample_seg: Optional[np.ndarray] = None           # sweep samples: segment (start corner) index ...
    sample_frac: Optional[np.ndarray] = None          # ... and fraction of that segment, in [0, 1)


def _corners_from_durations(durations, values_after, V0: float = 0.0):
    """Corners from a flat sequence of segment durations (zero durations dropped) and the value reached at
    the end of each segment. Times are a cumulative sum, so equal times are exactly equal."""
    d = np.asarray(durations, dtype=float)
    v = np.asarray(values_after, dtype=float)
    t = np.concatenate(([0.0], np.cumsum(d)))
    V = np.concatenate(([V0], v))
    keep = np.concatenate(([True], d > 0))
    return t[keep], V[keep]


# --- steps ------------------------------------------------------------------------------------

class Step:
    """Base class of protocol steps: ``total_s``, ``V_start_V``, ``V_end_V`` and ``_compile``."""

    @property
    def total_s(self) -> float:  # pragma: no cover - every step overrides
        raise NotImplementedError

    @property
    def V_start_V(self) -> float:
        return 0.0

    @property
    def V_end_V(self) -> float:
        return 0.0

    def _compile(self, counter: _Counter) -> _Piece:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class Hold(Step):
    """Constant bias ``V_V`` for ``duration_s`` (0 V by default). A non-zero level must be reached by the
    previous step (e.g. a :class:`DCSweep` ramp): vertical jumps are not allowed."""

    duration_s: float
    V_V: float = 0.0

    def __post_init__(self):
        _duration("duration_s", self.duration_s)
        _voltage("V_V", self.V_V)

    @property
    def total_s(self) -> float:
        return float(self.duration_s)

    @property
    def V_start_V(self) -> float:
        return float(self.V_V)

    @property
    def V_end_V(self) -> float:
        return float(self.V_V)

    def _compile(self, counter):
        t = np.array([0.0, float(self.duration_s)])
        V = np.array([float(self.V_V)] * 2)
        return _Piece(t, V, spans=[(0, 1, f"hold ({_fmt_V(self.V_V)} V)")])


@dataclass(frozen=True)
class Pulse(Step):
    """Trapezoidal pulse 0 -> ``amplitude_V`` -> 0.

    ``width_s`` is the **flat top** (``width_definition == "flat_top"``): the pulse lasts
    ``rise_s + width_s + fall_s``, its full width at half maximum is ``width_s + (rise_s + fall_s)/2`` and
    its area is ``amplitude_V * fwhm_s``. ``rise_s``/``fall_s`` default to ``min(10 ns, width_s/10)``;
    after construction the fields hold the resolved numbers. ``label`` names the pulse in step spans
    ("write 3 (+2.00 V)"; the number is the pulse number in the protocol).
    """

    width_definition: ClassVar[str] = "flat_top"

    amplitude_V: float
    width_s: float
    rise_s: Optional[float] = None
    fall_s: Optional[float] = None
    label: str = "write"

    def __post_init__(self):
        _voltage("amplitude_V", self.amplitude_V)
        _duration("width_s", self.width_s)
        for name in ("rise_s", "fall_s"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default_edge_s(float(self.width_s)))
            _duration(name, getattr(self, name))
        _label("label", self.label)

    @property
    def total_s(self) -> float:
        return float(self.rise_s + self.width_s + self.fall_s)

    @property
    def fwhm_s(self) -> float:
        return float(self.width_s + 0.5 * (self.rise_s + self.fall_s))

    @property
    def area_V_s(self) -> float:
        """Integral of V over the pulse: amplitude * (width + (rise + fall)/2)."""
        return float(self.amplitude_V) * self.fwhm_s

    def _compile(self, counter):
        A = float(self.amplitude_V)
        t1 = float(self.rise_s)
        t2 = t1 + float(self.width_s)
        t = np.array([0.0, t1, t2, t2 + float(self.fall_s)])     # the same sums as a cumsum
        V = np.array([0.0, A, A, 0.0])
        k = counter.pulses
        counter.pulses += 1
        return _Piece(t, V, spans=[(0, 3, f"{self.label} {k} ({_fmt_V(A)} V)")])


@dataclass(frozen=True)
class Read(Step):
    """Read pulse: ``delay_s`` at 0 V, a rise to ``V_read_V``, a flat top of ``duration_s`` (the read
    window, label "read", numbered from 0 in the protocol) and a fall back to 0 V.

    ``rise_s`` defaults to ``min(10 ns, duration_s/10)``; ``fall_s`` defaults to ``rise_s``.
    ``V_read_V`` must be non-zero (|V_read| <= 20 V); 0.1 V is the read voltage of Yang et al. 2022.
    """

    V_read_V: float = 0.1
    duration_s: float = 1e-6
    rise_s: Optional[float] = None
    delay_s: float = 0.0
    fall_s: Optional[float] = None

    def __post_init__(self):
        _voltage("V_read_V", self.V_read_V)
        if float(self.V_read_V) == 0.0:
            raise ValueError(f"V_read_V = {self.V_read_V!r} is out of range; allowed: "
                             f"[{-MAX_ABS_V:g}, 0) or (0, {MAX_ABS_V:g}] (a read needs a non-zero bias)")
        _duration("duration_s", self.duration_s)
        if self.rise_s is None:
            object.__setattr__(self, "rise_s", default_edge_s(float(self.duration_s)))
        _duration("rise_s", self.rise_s)
        if self.fall_s is None:
            object.__setattr__(self, "fall_s", self.rise_s)
        _duration("fall_s", self.fall_s)
        _delay("delay_s", self.delay_s)

    @property
    def total_s(self) -> float:
        return float(self.delay_s + self.rise_s + self.duration_s + self.fall_s)

    def _pattern(self):
        R = float(self.V_read_V)
        return ([float(self.delay_s), float(self.rise_s), float(self.duration_s), float(self.fall_s)],
                [0.0, R, R, 0.0])

    def _compile(self, counter):
        d, v = self._pattern()
        t, V = _corners_from_durations(d, v)
        n = len(t)
        k = counter.reads
        counter.reads += 1
        return _Piece(t, V, reads=[(n - 3, n - 2, k)],
                      spans=[(0, n - 1, f"read {k} ({_fmt_V(self.V_read_V)} V)")])


@dataclass(frozen=True)
class DCSweep(Step):
    """Voltage sweep through the corners ``V_points_V`` (e.g. ``(0, 2, 0, -2, 0)``), passing through each.

    Linear form (``rate_V_per_s``): straight ramps at ``rate_V_per_s``; corner k is reached at
    ``sum_{j<k} |V_{j+1} - V_j| / rate``. Sample times (for I-V): on every segment ``n_samples``
    equally spaced voltages, both ends included, a corner shared by two segments counted once:
    ``(len(V_points_V) - 1) * (n_samples - 1) + 1`` samples.

    Stair form (``step_V`` and ``step_time_s``, no rate): along each segment the levels
    ``V_j, V_j + step, ...`` (the last level of a segment is its end corner, so the final stair of a
    segment may be shorter), each held for ``step_time_s`` and joined by ramps of ``step_rise_s``
    (default ``min(10 ns, step_time_s/10)``). One sample per level, at the end of its hold.
    ``step_V`` is a magnitude (> 0); the direction follows each segment.

    The sweep starts at ``V_points_V[0]``: the previous step must end there.
    """

    V_points_V: Sequence[float]
    rate_V_per_s: Optional[float] = None
    n_samples: int = 101
    step_V: Optional[float] = None
    step_time_s: Optional[float] = None
    step_rise_s: Optional[float] = None

    def __post_init__(self):
        arr = _voltage_array("V_points_V", self.V_points_V)
        if arr.size < 2:
            raise ValueError(f"V_points_V = {self.V_points_V!r} has {arr.size} corners; allowed: >= 2 corners")
        same = np.diff(arr) == 0
        if np.any(same):
            k = int(np.argmax(same)) + 1
            raise ValueError(f"V_points_V[{k}] = {arr[k]!r} equals V_points_V[{k - 1}]; allowed: "
                             f"consecutive corners that differ (use Hold for a constant level)")
        object.__setattr__(self, "V_points_V", tuple(float(v) for v in arr))
        stair = self.step_V is not None or self.step_time_s is not None
        if stair:
            if self.rate_V_per_s is not None:
                raise ValueError(f"rate_V_per_s = {self.rate_V_per_s!r} given together with step_V/step_time_s; "
                                 f"allowed: either rate_V_per_s (linear) or step_V and step_time_s (stair)")
            if self.step_V is None or self.step_time_s is None:
                raise ValueError(f"step_V = {self.step_V!r}, step_time_s = {self.step_time_s!r}: the stair form "
                                 f"needs both; allowed: step_V in (0, {2 * MAX_ABS_V:g}] and step_time_s > 0")
            require_positive("step_V", self.step_V, 2 * MAX_ABS_V)
            _duration("step_time_s", self.step_time_s)
            if self.step_rise_s is None:
                object.__setattr__(self, "step_rise_s", default_edge_s(float(self.step_time_s)))
            _duration("step_rise_s", self.step_rise_s)
        else:
            if self.rate_V_per_s is None:
                raise ValueError("rate_V_per_s = None; allowed: a rate in (0, 1e+12] V/s, or step_V and "
                                 "step_time_s for a stair sweep")
            require_positive("rate_V_per_s", self.rate_V_per_s, MAX_RATE_V_PER_S)
            if self.step_rise_s is not None:
                raise ValueError(f"step_rise_s = {self.step_rise_s!r} is only used by the stair form; "
                                 f"allowed: None with rate_V_per_s")
            require_integer("n_samples", self.n_samples, 2, 1_000_000)

    @property
    def is_stair(self) -> bool:
        return self.step_V is not None

    @property
    def V_start_V(self) -> float:
        return self.V_points_V[0]

    @property
    def V_end_V(self) -> float:
        return self.V_points_V[-1]

    def _stair_levels(self) -> np.ndarray:
        pts = np.asarray(self.V_points_V)
        s = float(self.step_V)
        levels = [pts[:1]]
        for a, b in zip(pts[:-1], pts[1:]):
            n = max(1, int(math.ceil(abs(b - a) / s - 1e-9)))
            lv = a + np.sign(b - a) * s * np.arange(1, n, dtype=float)
            levels += [lv, [b]]
        return np.concatenate(levels)

    @property
    def total_s(self) -> float:
        if self.is_stair:
            m = self._stair_levels().size
            return float(m * self.step_time_s + (m - 1) * self.step_rise_s)
        return float(np.sum(np.abs(np.diff(self.V_points_V))) / self.rate_V_per_s)

    def _compile(self, counter):
        label = "sweep " + " -> ".join(f"{v:g}" for v in self.V_points_V) + " V"
        if self.is_stair:
            L = self._stair_levels()
            m = L.size
            d = np.empty(2 * m - 1)
            d[0::2] = float(self.step_time_s)
            d[1::2] = float(self.step_rise_s)
            v = np.empty(2 * m - 1)
            v[0::2] = L
            v[1::2] = L[1:]
            t, V = _corners_from_durations(d, v, V0=L[0])
            # end of hold i is corner 2i+1: segment 2i+1 at fraction 0
            seg = 2 * np.arange(m, dtype=np.int64) + 1
            frac = np.zeros(m)
        else:
            pts = np.asarray(self.V_points_V)
            d = np.abs(np.diff(pts)) / float(self.rate_V_per_s)
            t, V = _corners_from_durations(d, pts[1:], V0=pts[0])
            nseg, n = pts.size - 1, int(self.n_samples)
            seg = np.concatenate((np.repeat(np.arange(nseg, dtype=np.int64), n - 1), [nseg]))
            frac = np.concatenate((np.tile(np.arange(n - 1) / (n - 1), nseg), [0.0]))
        return _Piece(t, V, spans=[(0, len(t) - 1, label)], sample_seg=seg, sample_frac=frac)


@dataclass(frozen=True)
class PulseTrain(Step):
    """Pulses of amplitudes ``amplitudes_V`` (trapezoids as :class:`Pulse`: ``width_s`` is the flat top),
    each followed by ``interval_s`` at 0 V and then, if ``read`` is given, by that read (its ``delay_s``
    adds to the interval). Period k: pulse k, interval, read k; the next pulse starts when the read (or
    the interval) ends. ``rise_s``/``fall_s`` default to ``min(10 ns, width_s/10)``.

    Step spans: one per period, labelled "<label> <n> (<amplitude> V)" with n the pulse number in the
    protocol. Constructors: :meth:`stepped` and :meth:`identical`.
    """

    width_definition: ClassVar[str] = "flat_top"

    amplitudes_V: Sequence[float]
    width_s: float
    rise_s: Optional[float] = None
    fall_s: Optional[float] = None
    interval_s: float = 1e-6
    read: Optional[Read] = None
    label: str = "pulse"

    def __post_init__(self):
        arr = _voltage_array("amplitudes_V", self.amplitudes_V)
        if arr.size < 1:
            raise ValueError(f"amplitudes_V = {self.amplitudes_V!r} is empty; allowed: >= 1 pulse")
        object.__setattr__(self, "amplitudes_V", tuple(arr.tolist()))
        _duration("width_s", self.width_s)
        for name in ("rise_s", "fall_s"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default_edge_s(float(self.width_s)))
            _duration(name, getattr(self, name))
        _delay("interval_s", self.interval_s)
        if self.read is not None and not isinstance(self.read, Read):
            raise ValueError(f"read = {self.read!r} is not a Read; allowed: a Read or None")
        _label("label", self.label)

    @classmethod
    def stepped(cls, start_V: float, stop_V: float, step_V: Optional[float] = None, n: Optional[int] = None,
                **kwargs) -> "PulseTrain":
        """Amplitudes ``start_V + k * step`` for k = 0 .. n-1; ``stop_V`` is excluded (as ``range``).

        Give either ``n`` (step = (stop - start)/n) or ``step_V`` (signed, same sign as stop - start;
        (stop - start)/step must be a whole number). ``stepped(2.0, 5.0, n=150)`` and
        ``stepped(2.0, 5.0, step_V=0.02)`` both give the 150 potentiation pulses of Yang et al. 2022:
        2.00, 2.02, ..., 4.98 V. Other keyword arguments go to :class:`PulseTrain`.
        """
        _voltage("start_V", start_V)
        _voltage("stop_V", stop_V)
        if float(stop_V) == float(start_V):
            raise ValueError(f"stop_V = {stop_V!r} equals start_V; allowed: stop_V != start_V")
        span = float(stop_V) - float(start_V)
        if (step_V is None) == (n is None):
            raise ValueError(f"step_V = {step_V!r}, n = {n!r}: give exactly one of them")
        if n is not None:
            require_integer("n", n, 1, 10_000_000)
            step = span / n
        else:
            require_range("step_V", step_V, -2 * MAX_ABS_V, 2 * MAX_ABS_V)
            step = float(step_V)
            if step == 0.0 or math.copysign(1.0, step) != math.copysign(1.0, span):
                raise ValueError(f"step_V = {step_V!r} does not lead from start_V = {start_V!r} to "
                                 f"stop_V = {stop_V!r}; allowed: a non-zero step with the sign of stop_V - start_V")
            ratio = span / step
            n = int(round(ratio))
            if abs(ratio - n) > 1e-6 * max(1.0, abs(ratio)) or n > 10_000_000:
                raise ValueError(f"step_V = {step_V!r} does not divide stop_V - start_V = {span!r} "
                                 f"({ratio:g} steps); allowed: a whole number of steps (<= 1e7)")
        amps = np.round(float(start_V) + step * np.arange(n), 12)
        return cls(tuple(amps.tolist()), **kwargs)

    @classmethod
    def identical(cls, amplitude_V: float, n: int, **kwargs) -> "PulseTrain":
        """``n`` identical pulses of ``amplitude_V``; other keyword arguments go to :class:`PulseTrain`."""
        _voltage("amplitude_V", amplitude_V)
        require_integer("n", n, 1, 10_000_000)
        return cls((float(amplitude_V),) * n, **kwargs)

    @property
    def n_pulses(self) -> int:
        return len(self.amplitudes_V)

    @property
    def period_s(self) -> float:
        read = self.read.total_s if self.read is not None else 0.0
        return float(self.rise_s + self.width_s + self.fall_s + self.interval_s + read)

    @property
    def total_s(self) -> float:
        return self.n_pulses * self.period_s

    def _compile(self, counter):
        A = np.asarray(self.amplitudes_V, dtype=float)
        n = A.size
        dur = [float(self.rise_s), float(self.width_s), float(self.fall_s), float(self.interval_s)]
        zeros = np.zeros(n)
        vals = [A, A, zeros, zeros]
        if self.read is not None:
            rd, rv = self.read._pattern()
            dur += rd
            vals += [np.full(n, x) for x in rv]
        keep_col = np.array(dur) > 0
        dur = np.array(dur)[keep_col]
        V_cols = np.column_stack([v for v, k in zip(vals, keep_col) if k])
        ncol = dur.size                                   # corners per period (after the shared start)
        d = np.tile(dur, n)
        t, V = _corners_from_durations(d, V_cols.ravel())
        starts = ncol * np.arange(n)                       # corner index of each period start
        p0 = counter.pulses
        counter.pulses += n
        spans = [(int(i), int(i) + ncol, f"{self.label} {p0 + k} ({_fmt_V(a)} V)")
                 for k, (i, a) in enumerate(zip(starts, A.tolist()))]
        reads = []
        if self.read is not None:
            r0 = counter.reads
            counter.reads += n
            # the read's flat top: third- and second-to-last corners of each period
            reads = [(int(i) + ncol - 2, int(i) + ncol - 1, r0 + k) for k, i in enumerate(starts)]
        return _Piece(t, V, reads=reads, spans=spans)


def _spike_corners(name: str, waveform):
    try:
        arr = np.asarray(waveform, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {waveform!r} is not a sequence of (t_s, V_V) corners") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 2:
        raise ValueError(f"{name} has shape {arr.shape}; allowed: >= 2 corners (t_s, V_V), shape (n, 2)")
    t, v = arr[:, 0], arr[:, 1]
    bad = ~(np.isfinite(t) & (np.abs(t) <= MAX_TIME_S))
    if np.any(bad):
        k = int(np.argmax(bad))
        require_range(f"{name}[{k}] t_s", t[k], -MAX_TIME_S, MAX_TIME_S)
    require_increasing(f"{name} t_s", t)
    v = _voltage_array(f"{name} V_V", v)
    for k in (0, -1):
        if v[k] != 0.0:
            raise ValueError(f"{name}[{k}] V_V = {float(v[k])!r} is out of range; allowed: 0 "
                             f"(a spike starts and ends at 0 V)")
    return tuple((float(a), float(b)) for a, b in zip(t, v))


@dataclass(frozen=True)
class SpikePair(Step):
    """A pre-synaptic spike on the top electrode and a post-synaptic spike on the bottom electrode.

    Each waveform is a sequence of ``(t_s, V_V)`` corners relative to its own spike onset (strictly
    increasing times, first and last V = 0; zero outside). The post spike is applied ``delay_s`` after the
    pre spike (negative: before). The junction sees ``V(tau) = V_pre(tau) - V_post(tau - delay_s)``,
    with tau measured from the pre onset; the compiled corners are the union of both corner sets.

    The step starts at the earliest corner of either spike: tau = ``tau_start_s`` is step time 0, so the
    pre onset is at step time ``pre_onset_s = -tau_start_s``.
    """

    pre_waveform: Sequence
    post_waveform: Sequence
    delay_s: float

    def __post_init__(self):
        object.__setattr__(self, "pre_waveform", _spike_corners("pre_waveform", self.pre_waveform))
        object.__setattr__(self, "post_waveform", _spike_corners("post_waveform", self.post_waveform))
        require_range("delay_s", self.delay_s, -MAX_TIME_S, MAX_TIME_S)

    def _arrays(self):
        pre = np.asarray(self.pre_waveform)
        post = np.asarray(self.post_waveform)
        return pre[:, 0], pre[:, 1], post[:, 0] + float(self.delay_s), post[:, 1]

    @property
    def tau_start_s(self) -> float:
        tp, _, tq, _ = self._arrays()
        return float(min(tp[0], tq[0]))

    @property
    def tau_end_s(self) -> float:
        tp, _, tq, _ = self._arrays()
        return float(max(tp[-1], tq[-1]))

    @property
    def pre_onset_s(self) -> float:
        return -self.tau_start_s

    @property
    def total_s(self) -> float:
        return self.tau_end_s - self.tau_start_s

    def V_device(self, tau_s):
        """Exact V_pre(tau) - V_post(tau - delay) at times ``tau_s`` from the pre onset (0 outside)."""
        tp, vp, tq, vq = self._arrays()
        tau = np.asarray(tau_s, dtype=float)
        return np.interp(tau, tp, vp, left=0.0, right=0.0) - np.interp(tau, tq, vq, left=0.0, right=0.0)

    def _compile(self, counter):
        tp, _, tq, _ = self._arrays()
        tau = np.unique(np.concatenate((tp, tq)))
        # merge corners that differ only by the round-off of the delay shift; keep both ends
        tol = 16 * np.finfo(float).eps * float(np.max(np.abs(tau)))
        keep = np.concatenate(([True], np.diff(tau) > tol))
        if not keep[-1]:
            j = int(np.flatnonzero(keep)[-1])
            if j > 0:
                keep[j] = False
            keep[-1] = True
        tau = tau[keep]
        V = self.V_device(tau)
        V[0] = 0.0
        V[-1] = 0.0
        t = tau - tau[0]
        label = f"spike pair (delay {self.delay_s:+.6g} s)"
        return _Piece(t, V, spans=[(0, len(t) - 1, label)])


STEP_TYPES = (Hold, Pulse, Read, DCSweep, PulseTrain, SpikePair)


# --- the compiled waveform --------------------------------------------------------------------

def _readonly(a, dtype=float) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Waveform:
    """Piecewise-linear V(t): corners ``(t_s, V_V)`` (strictly increasing times, linear in between).

    ``read_windows``: :class:`ReadWindow` (t_start_s, t_end_s, label, index) for every read flat top;
    ``sample_times_s``: I-V sample times of the sweeps (sorted); ``step_spans``: :class:`Span`
    (t_start_s, t_end_s, label, step) for every step, one per pulse period for trains. Arrays are
    read-only copies. ``breakpoints_s`` is every corner time (the same values as ``t_s``): an ODE
    integrator must not step across one.
    """

    t_s: np.ndarray
    V_V: np.ndarray
    read_windows: tuple = ()
    sample_times_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    step_spans: tuple = ()

    def __post_init__(self):
        t = _readonly(self.t_s)
        V = _readonly(self.V_V)
        require_increasing("t_s", t)
        require_finite("V_V", V)
        if V.shape != t.shape:
            raise ValueError(f"V_V has shape {V.shape}, t_s has shape {t.shape}; allowed: the same shape")
        s = _readonly(self.sample_times_s)
        if s.ndim != 1:
            raise ValueError(f"sample_times_s must be 1D; got shape {s.shape}")
        require_finite("sample_times_s", s)
        if s.size and (s[0] < t[0] or s[-1] > t[-1] or np.any(np.diff(s) < 0)):
            raise ValueError(f"sample_times_s spans [{s.min():g}, {s.max():g}] s; allowed: sorted times in "
                             f"[{t[0]:g}, {t[-1]:g}] s")
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "V_V", V)
        object.__setattr__(self, "_t_first_s", float(t[0]))
        object.__setattr__(self, "_t_last_s", float(t[-1]))
        object.__setattr__(self, "sample_times_s", s)
        reads = tuple(ReadWindow(*w) for w in self.read_windows)
        for w in reads:
            if not (t[0] <= w.t_start_s < w.t_end_s <= t[-1]):
                raise ValueError(f"read window {w!r} is out of range; allowed: t_start_s < t_end_s within "
                                 f"[{t[0]:g}, {t[-1]:g}] s")
        object.__setattr__(self, "read_windows", reads)
        object.__setattr__(self, "step_spans", tuple(Span(*sp) for sp in self.step_spans))

    @property
    def breakpoints_s(self) -> np.ndarray:
        return self.t_s

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0])

    def V_at(self, t):
        """V at time(s) ``t`` (scalar or array): the corner value at a corner, exact linear interpolation
        between corners. ValueError for NaN or for times outside [t_s[0], t_s[-1]]."""
        if isinstance(t, float):               # the integrator's calls: one float per stage, the fast path
            if not (self._t_first_s <= t <= self._t_last_s):
                raise self._outside(t)
            return float(np.interp(t, self.t_s, self.V_V))
        tt = np.asarray(t, dtype=float)
        bad = ~((tt >= self.t_s[0]) & (tt <= self.t_s[-1]))
        if np.any(bad):
            raise self._outside(float(tt[bad].flat[0] if tt.ndim else tt))
        out = np.interp(tt, self.t_s, self.V_V)
        return float(out) if tt.ndim == 0 else out

    def _outside(self, t: float) -> ValueError:
        return ValueError(f"t = {t!r} s is outside the waveform; allowed: [{self._t_first_s:g}, {self._t_last_s:g}] s")

    def next_breakpoint(self, t: float) -> Optional[float]:
        """The first corner time strictly after ``t``; None at or after the last corner."""
        require_finite("t", t)
        i = int(np.searchsorted(self.t_s, float(t), side="right"))
        return float(self.t_s[i]) if i < self.t_s.size else None

    def segments(self) -> np.ndarray:
        """Array of shape (n_corners - 1, 4): rows (t_start_s, t_end_s, V_start_V, V_end_V)."""
        return np.column_stack((self.t_s[:-1], self.t_s[1:], self.V_V[:-1], self.V_V[1:]))

    def read_window_array(self) -> np.ndarray:
        """Read windows as an array of shape (n_reads, 2): rows (t_start_s, t_end_s)."""
        return np.array([(w.t_start_s, w.t_end_s) for w in self.read_windows], dtype=float).reshape(-1, 2)


# --- the protocol -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Protocol:
    """A named, non-empty tuple of steps, executed one after the other from t = 0.

    Consecutive steps must meet at the same voltage (within 1 nV): ``Hold(.., V_V=1)`` after a pulse
    is rejected; ramp there with ``DCSweep([0, 1], rate)``.
    """

    steps: tuple
    name: str = ""

    def __post_init__(self):
        try:
            steps = tuple(self.steps)
        except TypeError:
            raise ValueError(f"steps = {self.steps!r} is not a sequence of steps; allowed: a non-empty "
                             f"tuple of {', '.join(c.__name__ for c in STEP_TYPES)}") from None
        if not steps:
            raise ValueError(f"steps = {self.steps!r} is empty; allowed: at least one step")
        for k, s in enumerate(steps):
            if not isinstance(s, Step):
                raise ValueError(f"steps[{k}] = {s!r} is not a step; allowed: "
                                 f"{', '.join(c.__name__ for c in STEP_TYPES)}")
        for k in range(1, len(steps)):
            v0, v1 = steps[k - 1].V_end_V, steps[k].V_start_V
            if abs(v1 - v0) > CONTINUITY_TOL_V:
                raise ValueError(f"steps[{k}] ({type(steps[k]).__name__}) starts at V = {v1!r} but steps[{k - 1}] "
                                 f"({type(steps[k - 1]).__name__}) ends at V = {v0!r}; allowed: equal voltages "
                                 f"(no vertical jumps; ramp with a DCSweep)")
        if not isinstance(self.name, str):
            raise ValueError(f"name = {self.name!r} is not a string; allowed: a str")
        object.__setattr__(self, "steps", steps)

    @property
    def duration_s(self) -> float:
        return float(sum(s.total_s for s in self.steps))

    def compile(self) -> Waveform:
        """Concatenate the steps into one :class:`Waveform` (vectorised with numpy: 1e4 pulses take ~50 ms)."""
        counter = _Counter()
        pieces = [s._compile(counter) for s in self.steps]
        n = np.array([p.t.size for p in pieces])
        totals = np.array([p.t[-1] for p in pieces])
        offsets = np.concatenate(([0.0], np.cumsum(totals)[:-1]))
        # offsets[k] + t_k[-1] == offsets[k+1] exactly (cumsum adds sequentially), so the first corner
        # of every later step coincides with the last of the previous one and is dropped.
        base = np.concatenate(([0], np.cumsum(n - 1)[:-1]))         # global index of each piece's corner 0
        t_all = np.concatenate([p.t for p in pieces]) + np.repeat(offsets, n)
        V_all = np.concatenate([p.V for p in pieces])
        keep = np.ones(t_all.size, dtype=bool)
        keep[np.cumsum(n)[:-1]] = False
        t, V = t_all[keep], V_all[keep]
        reads, spans, segs, fracs = [], [], [], []
        for k, p in enumerate(pieces):
            b = int(base[k])
            reads += [ReadWindow(float(t[b + i0]), float(t[b + i1]), "read", idx) for i0, i1, idx in p.reads]
            spans += [Span(float(t[b + i0]), float(t[b + i1]), lab, k) for i0, i1, lab in p.spans]
            if p.sample_seg is not None:
                segs.append(p.sample_seg + b)
                fracs.append(p.sample_frac)
        if segs:
            j = np.concatenate(segs)
            f = np.concatenate(fracs)
            t_lo = t[j]
            t_hi = t[np.minimum(j + 1, t.size - 1)]
            samples = np.where(f == 0.0, t_lo, t_lo + f * (t_hi - t_lo))
        else:
            samples = np.zeros(0)
        # A duration below the float resolution at its time (e.g. 1e-20 s at 1 ms) leaves two corners at
        # the same time: harmless at the same voltage (dropped), a vertical jump otherwise (rejected).
        dup = np.concatenate(([False], np.diff(t) <= 0))
        if np.any(dup):
            jump = dup & np.concatenate(([False], V[1:] != V[:-1]))
            if np.any(jump):
                i = int(np.argmax(jump)) - 1
                k = int(np.searchsorted(base, i, side="right") - 1)
                raise ValueError(f"steps[{k}] ({type(self.steps[k]).__name__}) has an edge shorter than the time "
                                 f"resolution at t = {float(t[i])!r} s: V jumps from {float(V[i])!r} to "
                                 f"{float(V[i + 1])!r} V at one time; allowed: rise/fall times resolvable "
                                 f"at that time (no vertical jumps)")
            t, V = t[~dup], V[~dup]
        return Waveform(t, V, read_windows=tuple(reads), sample_times_s=samples, step_spans=tuple(spans))
