"""Compact synapse model: the scenario ``compact`` and the files of a model.

The scenario fits :class:`~ftjphys.compact_model.CompactModel` (``ftjphys.compact_fit``) to the
physics results of one device and writes it as an HDF5 result file (``results/compact_model.h5``)
with a JSON twin beside it (same name, ``.json``):

* ``model = "device"``: the pulse train of ``results/fig2d.h5`` (``/derived/G_pulse_S`` [cycle, 2P],
  P potentiation then P depression reads, with ``pulse_amplitude_V``, ``read_voltage_V``,
  ``pulse_width_s``), the cycle-to-cycle and device-to-device records of ``results/figS4.h5``
  (``/derived/G_c2c_S`` [cycle, 2P], ``/derived/G_d2d_S`` [device, cycle, 2P]) and the STDP points of
  ``results/fig4a.h5`` (``/derived/dt_s``, ``/derived/dW_percent``). All three are required unless
  ``allow_missing`` (then a missing figS4 gives no variability and a missing fig4a no STDP window).
* ``model = "reference"``: the reference device's train in ``results/figS5.h5`` (same datasets as
  fig2d); the paper gives no variability or STDP data for it.

Layout of a model file: ``/model/json`` holds the model as JSON (:meth:`CompactModel.to_dict`), the
one source read back by :func:`load_compact_model`; ``/model/**`` repeats its numbers as datasets with
units, ``/derived`` the conversions (NL, NeuroSim A and label, CrossSim alpha, aihwkit gamma), c2c/d2d
and the fit quality, ``/source`` the cycle-mean train beside the model's and the STDP points.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import secrets
from pathlib import Path

import numpy as np

from ftjphys.compact_fit import FitSettings, fit_compact_model, fit_stdp_window, reproduce_train
from ftjphys.compact_model import CompactModel, exponential_curve

from .common import open_result_for_plot, save_figure
from .store import Quantity, ResultFileError, RunResult, read_result, write_result

NAME = "compact"
DESCRIPTION = "Compact model: dG(G) tables, exponential fit (NL/A/alpha/gamma), c2c/d2d, STDP, from fig2d/figS4/fig4a"

#: result files each model is fitted to (paths relative to the working directory; "" = not used)
SOURCES = {
    "device": {"train": "results/fig2d.h5", "variability": "results/figS4.h5", "stdp": "results/fig4a.h5"},
    "reference": {"train": "results/figS5.h5", "variability": "", "stdp": ""},
}
_REQUIRED = {
    "train": ("G_pulse_S", "read_voltage_V", "pulse_width_s"),
    "variability": ("G_c2c_S", "G_d2d_S"),
    "stdp": ("dt_s", "dW_percent"),
}
_WHAT = {"train": "pulse trains", "variability": "cycle-to-cycle and device-to-device records", "stdp": "STDP window"}


class CompactModelError(ResultFileError):
    """A compact-model file or a source result file that cannot be used (missing, wrong schema, fields)."""


def config(quick: bool = False) -> dict:
    settings = FitSettings(mc_devices=16, mc_device_cycles=64, bisection_steps=10) if quick else FitSettings()
    return {"model": "device", "sources": copy.deepcopy(SOURCES), "allow_missing": False,
            "fit": dataclasses.asdict(settings)}


# ----------------------------------------------------------------------------- sources


def _make_hint(path: str) -> str:
    return f"make {Path(path).stem}"


def _load_sources(cfg: dict) -> dict:
    """The /derived values and provenance of each source named for ``cfg["model"]``; a clear error for any
    missing file or dataset, naming the make targets that produce them."""
    model = cfg["model"]
    if model not in cfg["sources"]:
        raise CompactModelError(f"unknown model {model!r}; configured: {', '.join(sorted(cfg['sources']))}")
    wanted = {role: path for role, path in cfg["sources"][model].items() if path}
    if "train" not in wanted:
        raise CompactModelError(f"model {model!r}: no pulse-train source configured (sources.{model}.train)")
    missing = [(role, path) for role, path in wanted.items() if not Path(path).is_file()]
    if missing and not (cfg.get("allow_missing") and all(role != "train" for role, _ in missing)):
        lines = [f"  {path} ({_WHAT[role]}): make it with `{_make_hint(path)}`" for role, path in missing]
        targets = " ".join(_make_hint(p).split()[1] for _, p in missing)
        raise CompactModelError(f"the compact model {model!r} needs physics results that are missing:\n"
                                + "\n".join(lines) + f"\nrun `make {targets}` first, then `make compact`")
    out = {}
    for role, path in wanted.items():
        if not Path(path).is_file():
            continue
        stored = read_result(path)
        derived = {k[len("/derived/"):]: q.values for k, q in stored.data.items() if k.startswith("/derived/")}
        absent = [name for name in _REQUIRED[role] if name not in derived]
        if absent:
            raise CompactModelError(f"{path} lacks /derived/{', /derived/'.join(absent)} ({_WHAT[role]}); it was "
                                    f"written by a scenario that does not produce them: re-run `{_make_hint(path)}`")
        prov = {k: stored.provenance.get(k) for k in ("scenario", "git_commit", "git_dirty", "created_utc",
                                                      "config_hash", "seed", "package_version")}
        out[role] = {"path": path, "derived": derived, "config": stored.config, "provenance": {"file": path, **prov}}
    return out


def _split(G, name: str) -> tuple[np.ndarray, np.ndarray]:
    G = np.asarray(G, dtype=float)
    if G.ndim < 2 or G.shape[-1] < 4 or G.shape[-1] % 2:
        raise CompactModelError(f"{name} must be [..., 2P] with P potentiation then P depression reads; "
                                f"got shape {G.shape}")
    P = G.shape[-1] // 2
    return G[..., :P], G[..., P:]


def build_model(cfg: dict) -> tuple[CompactModel, dict]:
    """The compact model of ``cfg["model"]`` from its sources, and the source arrays used (for the file)."""
    src = _load_sources(cfg)
    settings = FitSettings(**cfg["fit"])
    train = src["train"]["derived"]
    up, down = _split(train["G_pulse_S"], f"{src['train']['path']}:/derived/G_pulse_S")
    P = up.shape[-1]
    amps = np.asarray(train.get("pulse_amplitude_V", np.full(2 * P, np.nan)), dtype=float).reshape(-1)
    pulse = {"scheme": src["train"]["config"].get("scheme", "see source"), "n_pulses_up": P, "n_pulses_down": P,
             "pulse_width_s": float(train["pulse_width_s"]),
             "amplitude_up_V": amps[:P].tolist() if amps.size == 2 * P else None,
             "amplitude_down_V": amps[P:].tolist() if amps.size == 2 * P else None}
    provenance = {role: s["provenance"] for role, s in src.items()}
    c2c = d2d = None
    if "variability" in src:
        v = src["variability"]["derived"]
        c2c, d2d = np.asarray(v["G_c2c_S"], dtype=float), np.asarray(v["G_d2d_S"], dtype=float)
        provenance["variability"]["source_values"] = {k: float(v[k]) for k in ("c2c", "d2d") if k in v}
    stdp = None
    stdp_points = None
    if "stdp" in src:
        s = src["stdp"]["derived"]
        stdp, rms = fit_stdp_window(s["dt_s"], s["dW_percent"])
        stdp_points = (np.asarray(s["dt_s"], dtype=float), np.asarray(s["dW_percent"], dtype=float))
        provenance["stdp"]["fit_rms_percent"] = rms
        provenance["stdp"]["source_values"] = {k: float(s[k]) for k in ("A_plus", "A_minus", "tau_plus_s",
                                                                        "tau_minus_s", "dW0_plus", "dW0_minus")
                                               if k in s}
    param_set = src["train"]["config"].get("parameter_set", "device")
    name = param_set if cfg["model"] == "device" else f"{param_set}-{cfg['model']}"
    model = fit_compact_model(up, down, name=name, alternating=True, read_voltage_V=float(train["read_voltage_V"]),
                              pulse=pulse, provenance=provenance, c2c_trains_S=c2c, d2d_trains_S=d2d, stdp=stdp,
                              settings=settings)
    return model, {"G_up_S": up, "G_down_S": down, "alternating": True, "stdp_points": stdp_points}


# --------------------------------------------------------------------------- the file


def model_json(model: CompactModel) -> str:
    """The model's JSON text: the HDF5 ``/model/json`` dataset and the JSON twin hold exactly this."""
    return json.dumps(model.to_dict(), indent=1, allow_nan=False) + "\n"


def _units(name: str) -> str:
    for suffix, units in (("_S", "S"), ("_V", "V"), ("_s", "s"), ("_percent", "%")):
        if name.endswith(suffix):
            return units
    return "1"


def model_quantities(model: CompactModel, sources: dict | None = None) -> dict:
    """Datasets of a model file (module docstring); ``sources`` from :func:`build_model` adds /source."""
    d = model.to_dict()
    data = {"/model/json": Quantity(model_json(model), "1", "the compact model as JSON (CompactModel.to_dict)")}
    for key in ("G_min_S", "G_max_S"):
        data[f"/model/{key}"] = Quantity(d[key], "S", f"{key[:5]} of the conductance window")
    data["/model/read_voltage_V"] = Quantity(model.read_voltage_V, "V", "read voltage of the source data")
    for branch in ("potentiation", "depression"):
        b = d[branch]
        g = f"/model/{branch}"
        data[f"{g}/g_nodes"] = Quantity(np.asarray(b["g_nodes"]), "1", "normalised conductance nodes", ("g_nodes",))
        data[f"{g}/step_mean"] = Quantity(np.asarray(b["step_mean"]), "1",
                                          f"mean change of g per {branch} pulse", ("g_nodes",))
        data[f"{g}/step_std"] = Quantity(np.asarray(b["step_std"]), "1",
                                         f"spread of the change of g per {branch} pulse", ("g_nodes",))
        data[f"{g}/n_pulses"] = Quantity(b["n_pulses"], "1", f"pulses per {branch} branch of the source")
        data[f"{g}/norm_A"] = Quantity(b["norm_A"], "1", f"exponential-family A/P of the {branch} branch")
    for key, value in d["variability"].items():
        data[f"/model/variability/{key}"] = Quantity(value, "1", key.replace("_", " "))
    if d["stdp"] is not None:
        for key, value in d["stdp"].items():
            data[f"/model/stdp/{key}"] = Quantity(value, _units(key), f"STDP window (paper eq. 2): {key}")
    s = d["derived"]
    derived = {"G_min_S": (s["G_min_S"], "lower end of the conductance window"),
               "G_max_S": (s["G_max_S"], "upper end of the conductance window"),
               "NL_paper": (s["NL_paper"], "paper eq. (1) on the model's mean train from G_min"),
               "dw_min_aihwkit": (s["dw_min_aihwkit"], "aihwkit dw_min: 2 |dg| at the window centre (w in [-1, 1])"),
               "c2c": (model.variability.c2c, "cycle-to-cycle variation (definition: /model/variability)"),
               "d2d": (model.variability.d2d, "device-to-device variation (definition: /model/variability)"),
               "pulse_sigma_rel": (model.variability.pulse_sigma_rel, "per-pulse relative noise of the update rule"),
               "device_sigma_rel": (model.variability.device_sigma_rel, "per-device relative step spread")}
    for branch, short in (("potentiation", "up"), ("depression", "down")):
        b = s[branch]
        derived.update({
            f"norm_A_{short}": (b["norm_A"], f"{branch}: exponential-family A/P (NeuroSim normalised A)"),
            f"A_pulses_{short}": (b["A_pulses"], f"{branch}: NeuroSim A in pulses"),
            f"NL_{short}": (b["NL"], f"{branch}: paper NL of the mirrored exponential pair"),
            f"neurosim_label_{short}": (b["neurosim_label"], f"{branch}: NeuroSim NL label"),
            f"crosssim_alpha_{short}": (b["crosssim_alpha"], f"{branch}: CrossSim v2 analytic alpha"),
            f"aihwkit_gamma_{short}": (b["aihwkit_gamma"], f"{branch}: aihwkit LinearStep gamma"),
        })
    report = model.fit_report
    if "reproduction_rms_rel" in report:
        derived["reproduction_rms_rel"] = (report["reproduction_rms_rel"],
                                           "rms of model minus cycle-mean train, fraction of the window")
    if report.get("NL_paper_data") is not None:
        derived["NL_paper_data"] = (report["NL_paper_data"], "paper eq. (1) on the source's cycle-mean train")
    for key, (value, text) in derived.items():
        data[f"/derived/{key}"] = Quantity(float("nan") if value is None else value, _units(key), text)
    if sources is not None:
        G_model, G_data, _ = reproduce_train(model, sources["G_up_S"], sources["G_down_S"], sources["alternating"])
        n = np.arange(G_data.size)
        data["/source/pulse_index"] = Quantity(n, "1", "pulse number (potentiation, then depression)", ("pulse_index",))
        data["/source/G_mean_S"] = Quantity(G_data, "S", "cycle-mean conductance after each pulse", ("pulse_index",))
        data["/source/G_model_S"] = Quantity(G_model, "S", "the model's noise-free train from the same start",
                                             ("pulse_index",))
        if sources.get("stdp_points") is not None:
            dt, dw = sources["stdp_points"]
            data["/source/stdp/dt_s"] = Quantity(dt, "s", "STDP delay t_post - t_pre", ("dt_s",))
            data["/source/stdp/dW_percent"] = Quantity(dw, "%", "STDP weight change", ("dt_s",))
    return data


def model_result(model: CompactModel, cfg: dict, sources: dict | None = None) -> RunResult:
    """A :class:`RunResult` of the model (scenario ``compact``)."""
    seed = cfg.get("fit", {}).get("seed") if isinstance(cfg.get("fit"), dict) else None
    return RunResult(scenario=NAME, config=cfg, seed=seed, data=model_quantities(model, sources),
                     attrs={"/model": {"schema": model.to_dict()["schema"], "schema_version": model.schema_version,
                                       "note": "/model/json is the model; the datasets repeat its numbers"}})


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_model(path: str | os.PathLike, model: CompactModel, cfg: dict, sources: dict | None = None,
                command: str | None = None) -> tuple[Path, Path]:
    """Write the model file and its JSON twin (``.json`` beside it); returns both paths."""
    h5 = write_result(path, model_result(model, cfg, sources), command=command)
    return h5, write_json_twin(model, Path(path).with_suffix(".json"))


def write_json_twin(model: CompactModel, path: str | os.PathLike) -> Path:
    return atomic_write_text(path, model_json(model))


def load_compact_model(path: str | os.PathLike) -> CompactModel:
    """The compact model stored in ``path`` (an HDF5 model file or its JSON twin), validated.

    Raises :class:`CompactModelError` (a ResultFileError) for a missing or foreign file, another schema
    version, a missing or unknown field, or an HDF5 file whose datasets disagree with its ``/model/json``.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        if not p.is_file():
            raise CompactModelError(f"{p}: no such file")
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CompactModelError(f"{p}: not a JSON compact model ({exc})") from None
        datasets = {}
    else:
        stored = read_result(p)
        if "/model/json" not in stored.data:
            raise CompactModelError(f"{p}: not a compact-model file (no /model/json; scenario "
                                    f"{stored.scenario!r})")
        try:
            d = json.loads(stored.data["/model/json"].values)
        except json.JSONDecodeError as exc:
            raise CompactModelError(f"{p}: /model/json is not valid JSON ({exc})") from None
        datasets = stored.data
    try:
        model = CompactModel.from_dict(d)
    except ValueError as exc:
        raise CompactModelError(f"{p}: {exc}") from None
    # the datasets are a readable copy of the JSON: refuse a file where they were changed
    for key, q in datasets.items():
        if not key.startswith("/model/") or key == "/model/json":
            continue
        node = d
        for part in key[len("/model/"):].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        expected = model.read_voltage_V if key == "/model/read_voltage_V" else node
        value = q.values
        if isinstance(expected, str) or isinstance(value, str):
            same = str(expected) == str(value)
        else:
            same = np.allclose(np.asarray(value, dtype=float), np.asarray(expected, dtype=float), rtol=1e-12,
                               atol=0.0, equal_nan=True)
        if not same:
            raise CompactModelError(f"{p}: dataset {key} disagrees with /model/json; the file was edited")
    return model


# ------------------------------------------------------------------------ measured data


def default_fit_output(data_path) -> Path:
    return Path("results") / f"compact_model_{Path(data_path).stem}.h5"


def fit_measured(data_path, fmt: str | None = None, read_voltage_V: float | None = None, name: str | None = None,
                 out=None, settings: FitSettings = FitSettings(), command: str | None = None) -> tuple[Path, Path]:
    """Fit a compact model to a measured CSV (``scenarios.measured_csv``) and write it with its JSON twin.

    Cycles of one device give the c2c record, several devices the d2d record. Raises MeasuredDataError
    for a file that cannot be used; nothing is written then.
    """
    import hashlib

    from .measured_csv import MeasuredDataError, read_pulse_csv

    path = Path(data_path)
    trains = read_pulse_csv(path, fmt, read_voltage_V)
    up, down = trains.G_up_S, trains.G_down_S
    record = np.concatenate([up, down], axis=-1)
    pulse = {"scheme": "measured", "n_pulses_up": int(up.shape[-1]), "n_pulses_down": int(down.shape[-1]),
             "amplitude_up_V": None if trains.amplitude_up_V is None else trains.amplitude_up_V.tolist(),
             "amplitude_down_V": None if trains.amplitude_down_V is None else trains.amplitude_down_V.tolist()}
    provenance = {"train": {**trains.source, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}}
    try:
        model = fit_compact_model(up, down, name=name or path.stem, alternating=trains.alternating,
                                  read_voltage_V=trains.read_voltage_V, pulse=pulse, provenance=provenance,
                                  c2c_trains_S=record if up.shape[1] >= 2 else None,
                                  d2d_trains_S=record if up.shape[0] >= 2 else None, settings=settings)
    except ValueError as exc:
        raise MeasuredDataError(f"{path}: cannot fit a compact model: {exc}") from None
    cfg = {"source": "measured CSV", "data": str(path), "format": trains.source["format"],
           "read_voltage_V": None if read_voltage_V is None else float(read_voltage_V), "name": model.name,
           "fit": dataclasses.asdict(settings)}
    sources = {"G_up_S": up, "G_down_S": down, "alternating": trains.alternating, "stdp_points": None}
    return write_model(out if out is not None else default_fit_output(path), model, cfg, sources, command)


# ----------------------------------------------------------------------------- scenario


def run(cfg: dict, progress: bool = True) -> RunResult:
    model, sources = build_model(cfg)
    return model_result(model, cfg, sources)


def companions(h5_path) -> list[Path]:
    """The JSON twin of a model file written by ``ftjphys run compact`` (called by the command line)."""
    return [write_json_twin(load_compact_model(h5_path), Path(h5_path).with_suffix(".json"))]


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    model = load_compact_model(h5_path)
    d = r.data
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.6))
    W = model.window_S
    if "/source/G_mean_S" in d:
        G = np.asarray(d["/source/G_mean_S"].values)
        ax[0].plot(G * 1e6, ".", ms=3, color="0.4", label="source (cycle mean)")
        ax[0].plot(np.asarray(d["/source/G_model_S"].values) * 1e6, "-", color="tab:blue", label="compact model")
        exp = model.fit_report.get("exponential", {})
        for branch, offset, sign in (("potentiation", 0, 1.0), ("depression", model.potentiation.n_pulses, -1.0)):
            if branch in exp:
                e = exp[branch]
                n = model.branch(int(sign)).n_pulses
                x = np.arange(1, n + 1) / n
                g = e["c0"] + sign * e["c1"] * exponential_curve(x, e["norm_A"])
                ax[0].plot(offset + np.arange(n), model.to_G_S(g) * 1e6, "--", color="tab:orange",
                           label="exponential fit" if sign > 0 else None)
        rms = model.fit_report.get("reproduction_rms_rel", math.nan)
        ax[0].set_title(f"train: model rms {100 * rms:.2f} % of window")
    ax[0].set(xlabel="pulse", ylabel="G (uS)")
    ax[0].legend(fontsize=8)
    for table, color in ((model.potentiation, "tab:red"), (model.depression, "tab:blue")):
        G_nodes = model.to_G_S(table.g_nodes) * 1e6
        mean, std = table.step_mean * W * 1e6, table.step_std * W * 1e6
        ax[1].plot(G_nodes, mean, color=color, label=f"{'LTP' if table.direction > 0 else 'LTD'} NL {table.nl:.3f}")
        ax[1].fill_between(G_nodes, mean - std, mean + std, color=color, alpha=0.2)
    ax[1].axhline(0.0, color="k", lw=0.5)
    ax[1].set(xlabel="G (uS)", ylabel="dG per pulse (uS)", title="dG(G) tables (band: spread)")
    ax[1].legend(fontsize=8)
    if model.stdp is not None:
        dt = np.linspace(-8e-3, 8e-3, 401)
        ax[2].plot(dt * 1e3, model.stdp.dW_percent(dt), color="tab:green", label="eq. (2) fit")
        if "/source/stdp/dt_s" in d:
            ax[2].plot(np.asarray(d["/source/stdp/dt_s"].values) * 1e3, d["/source/stdp/dW_percent"].values, "o",
                       ms=3, color="0.3", label="source")
        ax[2].legend(fontsize=8)
    else:
        ax[2].text(0.5, 0.5, "no STDP data", ha="center", va="center", transform=ax[2].transAxes)
    ax[2].set(xlabel="dt (ms)", ylabel="dW (%)", title="STDP window")
    v = model.variability
    title = (f"compact model {model.name}: G {model.G_min_S * 1e6:.1f}-{model.G_max_S * 1e6:.1f} uS, "
             f"c2c {100 * v.c2c:.2f} %, d2d {100 * v.d2d:.2f} % (sigma_pulse {v.pulse_sigma_rel:.3f}, "
             f"sigma_device {v.device_sigma_rel:.3f})")
    save_figure(fig, png_path, title)
