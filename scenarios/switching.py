"""Shared pieces of the switching scenarios (fig2a, fig2b, fig2c, figS5, pt_electrode).

- configuration blocks common to them (parameter set, overrides, initial state, read settings);
- :class:`DeviceRunner`: runs a :class:`ftjphys.device.Device` over a waveform with one tqdm bar over all
  column integrations of a scenario (``progress=False`` silences it) and sums the solver statistics;
- R-V loops: the stepped write train 0 -> +V_max -> -V_max -> 0 with a read after every write
  (:func:`loop_amplitudes`, :func:`rv_loop_protocol`, :func:`run_rv_loop`), their analysis
  (:mod:`ftjphys.switching_analysis`) and their HDF5 layout (:func:`loop_quantities`,
  :func:`switching_quantities`);
- the R-V loop panel of the figures (:func:`plot_loops`), drawn from a result file's data.

The switching parameters of ``yang2022`` (Landau-Khalatnikov/Merz polarization, vacancy hopping and
trapping) come from ``scenarios/calibrate_switching``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import numpy as np

from ftjphys.device import Device, DeviceRun, InitialState, total_stats
from ftjphys.parameters import DeviceParameters
from ftjphys.protocols import Protocol, PulseTrain, Read
from ftjphys.switching_analysis import DEFAULT_MIN_RATIO, LoopSwitching, loop_switching

from .common import device_parameters, parameter_quantities
from .store import Quantity

#: Quick runs: two domain columns (the ensemble's two Gaussian quantiles) instead of eight; the R-V loop
#: scenarios (tens of write pulses per loop) use one column (the ensemble mean) to stay within seconds.
QUICK_OVERRIDES = {"domains.columns": 2}
QUICK_LOOP_OVERRIDES = {"domains.columns": 1}
POLARITIES = ("positive", "negative")


# --------------------------------------------------------------------------- configuration


def base_config(quick: bool, quick_overrides: dict | None = None) -> dict:
    """Keys every switching scenario has: parameter set, overrides (``quick_overrides``, default
    :data:`QUICK_OVERRIDES`, in the quick variant; none in the full one), initial state, read, analysis."""
    return {
        "parameter_set": "yang2022",
        "top_electrode": "Cr",
        "overrides": dict(QUICK_OVERRIDES if quick_overrides is None else quick_overrides) if quick else {},
        "literature_comparison": True,
        "initial_state": dataclasses.asdict(InitialState()),
        "V_read_V": 0.1,
        "read_width_s": 1e-6,
        "min_switching_ratio": DEFAULT_MIN_RATIO,
    }


def loop_config(quick: bool) -> dict:
    """Write-train settings of an R-V loop: amplitudes 0 -> +V_max -> -V_max -> 0 in steps of step_V,
    ``interval_s`` at 0 V between each write and its read."""
    return {"V_max_V": 3.0 if quick else 4.0, "step_V": 0.5 if quick else 0.2, "interval_s": 1e-6}


def initial_state(cfg: dict) -> InitialState:
    return InitialState(**cfg.get("initial_state", {}))


def parameter_sets(cfg: dict, **extra) -> list[tuple[str, DeviceParameters]]:
    """[("", the configured set), ("literature", the literature set)] (the second only with
    ``literature_comparison`` and when the configured set is not already ``literature``). ``extra``:
    config keys changed for both (e.g. ``top_electrode``); ``extra_overrides`` adds parameter overrides
    on top of the configured ones."""
    more = extra.pop("extra_overrides", {})
    base = dict(cfg, **extra)
    base["overrides"] = {**(cfg.get("overrides") or {}), **more}
    params = device_parameters(base)
    sets = [("", params)]
    if cfg.get("literature_comparison", True) and params.name != "literature":
        sets.append(("literature", device_parameters(dict(base, parameter_set="literature"))))
    return sets


def join(*parts: str) -> str:
    """'/derived' + 'literature' + 'device' -> '/derived/literature/device' (empty parts dropped)."""
    return "/" + "/".join(p.strip("/") for p in parts if p and p.strip("/"))


# --------------------------------------------------------------------------- running a device


class DeviceRunner:
    """Device runs of one scenario behind one progress bar (one tick per column integration).

    The columns of a device run are independent given the waveform: with ``workers`` > 1 they run in a
    pool of worker processes kept for the runner's lifetime (results in column order, the same numbers
    as one after another). ``workers`` None: the ``FTJPHYS_WORKERS`` environment variable (0: one per
    CPU), else 1."""

    def __init__(self, total_columns: int, desc: str, progress: bool = True, workers: int | None = None):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total_columns, desc=desc, unit="column", disable=not progress)
        self.stats: list = []
        self.n_runs = 0
        self.workers = device_workers() if workers is None else int(workers)
        self._pool = None

    def _map(self):
        if self.workers <= 1:
            return map
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            from .parallel import single_thread_worker

            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=single_thread_worker)
        return self._pool.map

    def run(self, params: DeviceParameters, waveform, output_times_s, initial: InitialState,
            label: str = "", states=None, keep_states: bool = False) -> DeviceRun:
        """One device run (``states``: continue from a previous run's final states)."""
        if label:
            self.bar.set_postfix_str(label)
        result = Device(params).run(waveform, output_times_s, initial, states,
                                    progress=lambda i, K: self.bar.update(), keep_states=keep_states,
                                    map_columns=self._map())
        self.stats += result.stats
        self.n_runs += 1
        return result

    def solver(self) -> dict:
        out = total_stats(self.stats) if self.stats else {}
        out["device_runs"] = self.n_runs
        out["column_integrations"] = len(self.stats)
        out["workers"] = self.workers
        return out

    def close(self) -> None:
        self.bar.close()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def device_workers() -> int:
    """Worker processes for the columns of a device run: ``FTJPHYS_WORKERS`` (0: one per CPU), else 1."""
    from .parallel import default_workers

    raw = os.environ.get("FTJPHYS_WORKERS", "1")
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"FTJPHYS_WORKERS = {raw!r}; allowed: an integer >= 0 (0: one per CPU)") from None
    if n < 0:
        raise ValueError(f"FTJPHYS_WORKERS = {raw!r}; allowed: an integer >= 0 (0: one per CPU)")
    return n or default_workers()


def read_times(waveform) -> np.ndarray:
    """The end of every read window: the time the read current is taken."""
    return np.array([w.t_end_s for w in waveform.read_windows])


def column_quantities(prefix: str, run: DeviceRun, params: DeviceParameters, axis: str) -> dict:
    """Per-column polarization and vacancy count of a run along the output axis ``axis``."""
    K = run.P_columns_C_per_m2.shape[0]
    Ea = Device(params).activation_fields
    return {
        f"{prefix}/column": Quantity(np.arange(K), "1", "domain column (Gaussian quantile of E_a)", ("column",)),
        f"{prefix}/activation_field_V_per_m": Quantity(Ea, "V/m", "Merz activation field of the column", ("column",)),
        f"{prefix}/P_C_per_m2": Quantity(run.P_columns_C_per_m2, "C/m^2", "polarization of each column",
                                         ("column", axis)),
        f"{prefix}/vacancy_count_m2": Quantity(run.vacancy_count_m2, "m^-2",
                                               "areal vacancy count (mobile + trapped) of each column",
                                               ("column", axis)),
    }


# --------------------------------------------------------------------------- R-V loops


def loop_amplitudes(V_max_V: float, step_V: float) -> np.ndarray:
    """Write amplitudes 0 -> +V_max -> -V_max -> 0 in steps of ``step_V`` (V_max/step a whole number)."""
    if not (V_max_V > 0 and step_V > 0):
        raise ValueError(f"V_max_V = {V_max_V!r}, step_V = {step_V!r}; allowed: both > 0")
    ratio = V_max_V / step_V
    n = int(round(ratio))
    if n < 1 or abs(ratio - n) > 1e-6 * ratio:
        raise ValueError(f"V_max_V / step_V = {ratio:g}; allowed: a whole number >= 1")
    up = np.linspace(0.0, V_max_V, n + 1)
    down = np.linspace(V_max_V, -V_max_V, 2 * n + 1)[1:]
    back = np.linspace(-V_max_V, 0.0, n + 1)[1:]
    return np.round(np.concatenate((up, down, back)), 12) + 0.0     # + 0.0: no -0.0


def rv_loop_protocol(amplitudes_V, width_s: float, V_read_V: float, read_width_s: float,
                     interval_s: float) -> Protocol:
    """One write pulse per amplitude (flat top ``width_s``), each followed by ``interval_s`` at 0 V and a
    read at ``V_read_V`` (flat top ``read_width_s``)."""
    train = PulseTrain(tuple(float(a) for a in amplitudes_V), float(width_s), interval_s=float(interval_s),
                       read=Read(float(V_read_V), float(read_width_s)), label="write")
    return Protocol((train,), name=f"R-V loop, {width_s:g} s writes")


@dataclass
class RVLoop:
    """An R-V loop: the read resistance after every write, and its switching analysis."""

    width_s: float
    V_write_V: np.ndarray
    R_ohm: np.ndarray
    t_read_s: np.ndarray
    run: DeviceRun
    switching: LoopSwitching


def run_rv_loop(runner: DeviceRunner, params: DeviceParameters, width_s: float, cfg: dict,
                label: str = "") -> RVLoop:
    """Run the R-V loop of ``cfg`` (V_max_V, step_V, interval_s, V_read_V, read_width_s, initial_state,
    min_switching_ratio) with writes of flat top ``width_s``, from the configured initial state."""
    amps = loop_amplitudes(cfg["V_max_V"], cfg["step_V"])
    wf = rv_loop_protocol(amps, width_s, cfg["V_read_V"], cfg["read_width_s"], cfg["interval_s"]).compile()
    t = read_times(wf)
    run = runner.run(params, wf, t, initial_state(cfg), label or f"{params.name} {width_s:g} s")
    R = np.asarray(run.R_ohm, dtype=float)
    sw = loop_switching(amps, R, cfg.get("min_switching_ratio", DEFAULT_MIN_RATIO))
    return RVLoop(float(width_s), amps, R, t, run, sw)


def loop_quantities(prefix: str, loops: list[RVLoop], params: DeviceParameters) -> dict:
    """The loops as datasets under ``prefix``: V_write (pulse_index), R, t_read (pulse_width_s,
    pulse_index), P and vacancy count (pulse_width_s, column, pulse_index)."""
    n = loops[0].V_write_V.size
    K = loops[0].run.P_columns_C_per_m2.shape[0]
    Ea = Device(params).activation_fields
    out = {
        f"{prefix}/pulse_width_s": Quantity(np.array([lp.width_s for lp in loops]), "s",
                                            "write-pulse width (flat top)", ("pulse_width_s",)),
        f"{prefix}/pulse_index": Quantity(np.arange(n), "1", "write pulse number in the loop", ("pulse_index",)),
        f"{prefix}/column": Quantity(np.arange(K), "1", "domain column (Gaussian quantile of E_a)", ("column",)),
        f"{prefix}/activation_field_V_per_m": Quantity(Ea, "V/m", "Merz activation field of the column",
                                                       ("column",)),
        f"{prefix}/V_write_V": Quantity(loops[0].V_write_V, "V", "write-pulse amplitude (top electrode positive)",
                                        ("pulse_index",)),
        f"{prefix}/R_ohm": Quantity(np.array([lp.R_ohm for lp in loops]), "ohm",
                                    "read resistance V_read/I after the write", ("pulse_width_s", "pulse_index")),
        f"{prefix}/t_read_s": Quantity(np.array([lp.t_read_s for lp in loops]), "s",
                                       "time of the read (end of its flat top) from the start of the loop",
                                       ("pulse_width_s", "pulse_index")),
        f"{prefix}/P_C_per_m2": Quantity(np.array([lp.run.P_columns_C_per_m2 for lp in loops]), "C/m^2",
                                         "polarization of each column at the read",
                                         ("pulse_width_s", "column", "pulse_index")),
        f"{prefix}/vacancy_count_m2": Quantity(np.array([lp.run.vacancy_count_m2 for lp in loops]), "m^-2",
                                               "areal vacancy count (mobile + trapped) of each column at the read",
                                               ("pulse_width_s", "column", "pulse_index")),
    }
    return out


def switching_quantities(prefix: str, loops: list[RVLoop], V_read_V: float, per_width: bool = True) -> dict:
    """Switching numbers of ``loops`` under ``prefix`` (e.g. /derived): with ``per_width`` one row per
    width along ``pulse_width_s``; without, the single loop's numbers (window along ``polarity`` only)."""
    if not per_width and len(loops) != 1:
        raise ValueError("per_width=False needs exactly one loop")
    sw = [lp.switching for lp in loops]

    def branch(attr):
        return np.array([[getattr(s.positive, attr), getattr(s.negative, attr)] for s in sw])

    def shape(a):
        return a if per_width else a[0]

    wdim = ("pulse_width_s",) if per_width else ()
    pdims = wdim + ("polarity",)
    out = {
        f"{prefix}/polarity": Quantity(np.array(POLARITIES), "1",
                                       "write polarity: positive = HRS->LRS up-sweep 0..+V_max, "
                                       "negative = LRS->HRS sweep 0..-V_max", ("polarity",)),
        f"{prefix}/switching_window_V": Quantity(
            shape(branch("window_V")), "V",
            "|V_write| range over which ln R moves from 10 % to 90 % of its swing (NaN: branch did not switch)",
            pdims),
        f"{prefix}/switching_V10_V": Quantity(shape(branch("V10_V")), "V", "|V_write| at 10 % of the ln R swing",
                                              pdims),
        f"{prefix}/switching_V50_V": Quantity(shape(branch("V50_V")), "V", "|V_write| at 50 % of the ln R swing",
                                              pdims),
        f"{prefix}/switching_V90_V": Quantity(shape(branch("V90_V")), "V", "|V_write| at 90 % of the ln R swing",
                                              pdims),
        f"{prefix}/switching_ratio": Quantity(shape(branch("ratio")), "1",
                                              "R at the branch extreme / R at the branch start", pdims),
        f"{prefix}/asymmetry": Quantity(shape(np.array([s.asymmetry for s in sw])), "1",
                                        "|w+ - w-| / mean(w+, w-) of the switching windows", wdim),
        f"{prefix}/R_LRS_ohm": Quantity(shape(np.array([s.R_LRS_ohm for s in sw])), "ohm",
                                        "lowest read resistance after positive writes", wdim),
        f"{prefix}/R_HRS_ohm": Quantity(shape(np.array([s.R_HRS_ohm for s in sw])), "ohm",
                                        "highest read resistance after negative writes", wdim),
        f"{prefix}/V_read_V": Quantity(float(V_read_V), "V", "read voltage"),
    }
    if per_width:
        out[f"{prefix}/pulse_width_s"] = Quantity(np.array([lp.width_s for lp in loops]), "s",
                                                  "write-pulse width (flat top)", ("pulse_width_s",))
    return out


# --------------------------------------------------------------------------- plotting


def plot_loops(ax, data: dict, loops_prefix: str, derived_prefix: str, label: str = "", style: str = "-o",
               per_width: bool = True, color=None) -> None:
    """R(V_write) of every loop under ``loops_prefix`` on ``ax`` (log R), labelled with the windows."""
    V = np.asarray(data[f"{loops_prefix}/V_write_V"].values)
    R = np.atleast_2d(np.asarray(data[f"{loops_prefix}/R_ohm"].values))
    widths = np.asarray(data[f"{loops_prefix}/pulse_width_s"].values)
    win = np.atleast_2d(np.asarray(data[f"{derived_prefix}/switching_window_V"].values))
    for k, (w, r) in enumerate(zip(widths, R)):
        wk = win[k] if per_width else win[0]
        text = f"{label}{' ' if label else ''}{w * 1e6:g} us: w+ {wk[0]:.2f} V, w- {wk[1]:.2f} V"
        ax.semilogy(V, r, style, ms=3, lw=1, label=text, color=color)
    ax.set(xlabel="write amplitude (V)", ylabel="R at read (ohm)")
    ax.legend(fontsize=7)


# --------------------------------------------------------------------------- one loop, several devices


def compare_loops(cfg: dict, progress: bool, desc: str, variants: list[tuple[str, dict]]):
    """One R-V loop (write width ``cfg["pulse_width_s"]``) per device variant.

    ``variants``: (group, changes) pairs; ``changes`` go to :func:`parameter_sets` (config keys such as
    ``top_electrode``, or ``extra_overrides``). The first variant's numbers go to ``/derived`` and its
    loop to ``/loops``; the others' to ``/derived/<group>`` and ``/loops/<group>``; with the literature
    comparison the same again under ``/derived/literature`` and ``/loops/literature``. Returns
    (data, runner) with the runner closed; ``/parameters`` holds the first variant's parameter set."""
    runs = []
    for group, changes in variants:
        for label, params in parameter_sets(cfg, **dict(changes)):
            runs.append((label, group, params))
    runner = DeviceRunner(sum(p.domains.columns for _, _, p in runs), desc, progress)
    data = {}
    width = float(cfg["pulse_width_s"])
    try:
        for label, group, params in runs:
            loop = run_rv_loop(runner, params, width, cfg, " ".join(x for x in (label, group or "main") if x))
            data.update(loop_quantities(join("/loops", label, group), [loop], params))
            data.update(switching_quantities(join("/derived", label, group), [loop], cfg["V_read_V"],
                                             per_width=False))
            data[join("/derived", label, group, "pulse_width_s")] = Quantity(width, "s",
                                                                             "write-pulse width (flat top)")
            if not label and group == variants[0][0]:
                data.update(parameter_quantities(params))
    finally:
        runner.close()
    return data, runner
