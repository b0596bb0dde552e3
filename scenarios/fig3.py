"""Fig. 3: supervised learning of MNIST by a 784×300×10 crossbar MLP with FTJ synapses.

Cases, each trained from the same seeds (same initial weights and sample order per seed):

- ``ideal``: floating-point SGD, the baseline (paper: 98 %; about 96 % is the ceiling with 6,000 training
  images, see README);
- ``ftj``: pulse-faithful updates through the FTJ's compact model (paper: 96.7 %);
- ``reference``: the reference device's compact model (NL 0.61–0.65; paper: 93.9 %);
- ``variation``: the FTJ with its cycle-to-cycle and device-to-device variation (paper: 92.1 %);
- optional ``ftj_lut``/``reference_lut``: the same devices through CrossSim v2's lookup-table update.

NL sweep (Fig. 3c): exponential-family devices with the FTJ model's conductance window and pulse count,
NL from 0 to 0.9. Accuracy = test accuracy averaged over the last ``accuracy_epochs`` epochs (16–20 of
20), then over seeds. Models come from ``ftj_model``/``reference_model``: ``yang2022`` and ``reference``
name the compact-model files in ``results_dir``; ``synthetic:NL=0.15[,key=value...]`` builds an
exponential-family model (keys :data:`SYNTHETIC_KEYS`); anything else is a path to a compact-model file.
Runs are spread over local worker processes, or over a Dask cluster when ``scheduler`` is set
(``ftjphys run fig3 --scheduler tcp://HOST:8786``).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from ftjphys.compact_model import CompactModel, Variability
from ftjphys.datasets import split_digits
from ftjphys.mlp import (
    DeviceUpdate,
    SparseImages,
    TrainingConfig,
    last_epochs_mean,
    mean_step,
    train,
)

from .common import open_result_for_plot, save_figure
from .store import Quantity, RunResult

NAME = "fig3"
DESCRIPTION = "Fig. 3: MNIST 784x300x10 MLP with FTJ synapses, accuracy vs epoch and vs nonlinearity"

PAPER = {"accuracy_ideal": 98.0, "accuracy_ftj": 96.7, "accuracy_reference": 93.9, "accuracy_variation": 92.1,
         "accuracy_epoch2_ftj": 90.0}
CASES = ("ideal", "ftj", "reference", "variation", "ftj_lut", "reference_lut")
_CASE_LABEL = {"ideal": "ideal (floating point)", "ftj": "FTJ", "reference": "reference device",
               "variation": "FTJ with c2c + d2d variation", "ftj_lut": "FTJ, CrossSim v2 LUT update",
               "reference_lut": "reference, CrossSim v2 LUT update"}
MODEL_FILES = {"yang2022": "compact_model.h5", "reference": "compact_model_reference.h5"}
#: keys of a ``synthetic:`` model spec and their CompactModel.synthetic / Variability arguments
SYNTHETIC_KEYS = ("NL", "NL_p", "NL_d", "G_min_S", "G_max_S", "n_pulses", "c2c", "d2d", "pulse_sigma_rel",
                  "device_sigma_rel")


def config(quick: bool = False) -> dict:
    return {
        "seed": 0,
        "n_seeds": 1 if quick else 3,
        "mnist_path": "",
        "split_seed": 0,
        "train_size": 300 if quick else 6000,
        "test_size": 100 if quick else 1000,
        "training": dataclasses.asdict(TrainingConfig(epochs=2 if quick else 20)),
        "update": {k: v for k, v in dataclasses.asdict(DeviceUpdate()).items() if k not in ("c2c", "d2d")},
        "ftj_model": "yang2022",
        "reference_model": "reference",
        "results_dir": "results",
        "cases": ["ideal", "ftj", "reference", "variation"] + ([] if quick else ["ftj_lut", "reference_lut"]),
        "nl_sweep": [0.0, 0.63] if quick else [0.0, 0.1, 0.15, 0.3, 0.45, 0.63, 0.75, 0.9],
        "accuracy_epochs": 5,
        "workers": 1 if quick else 0,
        "scheduler": "",
    }


# ---------------------------------------------------------------------------------------- models


def parse_synthetic(spec: str) -> CompactModel:
    """``synthetic:NL=0.15,G_min_S=40e-6,...`` → :meth:`CompactModel.synthetic` (paper defaults elsewhere)."""
    body = spec.split(":", 1)[1]
    values = {}
    for item in filter(None, (s.strip() for s in body.split(","))):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in SYNTHETIC_KEYS:
            raise ValueError(f"model spec {spec!r}: unknown entry {item!r}; allowed keys: {', '.join(SYNTHETIC_KEYS)}")
        try:
            values[key] = float(raw)
        except ValueError:
            raise ValueError(f"model spec {spec!r}: {key} = {raw!r} is not a number") from None
    nl = values.get("NL", 0.15)
    n_pulses = values.get("n_pulses", 150)
    if n_pulses != int(n_pulses):
        raise ValueError(f"model spec {spec!r}: n_pulses = {n_pulses} is not an integer")
    var = Variability(c2c=values.get("c2c", 0.0), d2d=values.get("d2d", 0.0),
                      c2c_definition="given in the model spec" if "c2c" in values else "",
                      d2d_definition="given in the model spec" if "d2d" in values else "",
                      pulse_sigma_rel=values.get("pulse_sigma_rel", 0.0),
                      device_sigma_rel=values.get("device_sigma_rel", 0.0))
    return CompactModel.synthetic(spec, values.get("G_min_S", 40e-6), values.get("G_max_S", 90e-6), int(n_pulses),
                                  values.get("NL_p", nl), values.get("NL_d", nl), var)


def resolve_model(spec: str, results_dir: str = "results") -> CompactModel:
    """The compact model named by ``spec`` (module docstring); clear errors for unknown names and bad files."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"model = {spec!r}: expected a device name, a synthetic: spec or a file path")
    spec = spec.strip()
    if spec.startswith("synthetic:"):
        return parse_synthetic(spec)
    if spec in MODEL_FILES:
        path = Path(results_dir) / MODEL_FILES[spec]
        if not path.exists():
            raise FileNotFoundError(f"model {spec!r}: {path} does not exist; run `make compact` first, or use "
                                    f"--set ftj_model=synthetic:NL=0.15 for the paper's numbers")
    else:
        path = Path(spec)
        if not path.exists():
            if path.suffix or "/" in spec:
                raise FileNotFoundError(f"model file {spec!r} does not exist")
            raise ValueError(f"unknown device {spec!r}; allowed: {', '.join(MODEL_FILES)}, "
                             "synthetic:NL=<value>[,key=value...], or the path of a compact-model file")
    try:
        from .compact import load_compact_model
    except ImportError as exc:
        raise RuntimeError(f"model {spec!r}: the compact-model loader (scenarios.compact) is unavailable ({exc})") \
            from exc
    return load_compact_model(path)


def _model_nl(model: CompactModel) -> float:
    """Paper NL of a model: mean of its two branches' exponential-family NL."""
    return 0.5 * (model.potentiation.nl + model.depression.nl)


# ------------------------------------------------------------------------------------------ runs


def run_task(task: dict, shared: dict) -> dict:
    """One training run (a worker's unit of work): returns the per-epoch record as plain arrays."""
    model = task["model"]
    update = DeviceUpdate(**task["update"]) if model is not None else None
    history = train(shared["train"], shared["test"], TrainingConfig(**task["training"]), task["seed"], model, update)
    return {k: getattr(history, k) for k in ("test_accuracy", "train_accuracy", "train_loss", "pulses_per_sample",
                                             "events_per_sample", "epoch_wall_s")}


def _case_setup(case: str, ftj: CompactModel, reference: CompactModel, base: dict):
    """(model, update dict) of a case."""
    if case == "ideal":
        return None, {}
    model = reference if case.startswith("reference") else ftj
    upd = dict(base, c2c=case == "variation", d2d=case == "variation")
    if case.endswith("_lut"):
        upd["mode"] = "lut"
    if case == "variation" and model.variability.pulse_sigma_rel == 0 and model.variability.device_sigma_rel == 0:
        raise ValueError(f"case 'variation': the FTJ model {model.name!r} has no variability "
                         "(pulse_sigma_rel = device_sigma_rel = 0)")
    return model, upd


def _check(cfg: dict) -> None:
    unknown = [c for c in cfg["cases"] if c not in CASES]
    if unknown:
        raise ValueError(f"cases = {cfg['cases']!r}: unknown {unknown}; allowed: {', '.join(CASES)}")
    for key in ("n_seeds", "accuracy_epochs"):
        if isinstance(cfg[key], bool) or not isinstance(cfg[key], int) or cfg[key] < 1:
            raise ValueError(f"{key} = {cfg[key]!r} is not allowed; allowed: integers >= 1")
    nl = np.asarray(cfg["nl_sweep"], dtype=float)
    if nl.ndim != 1 or np.any(nl < 0) or np.any(nl >= 1):
        raise ValueError(f"nl_sweep = {cfg['nl_sweep']!r}: NL values must lie in [0, 1)")


def run(cfg: dict, progress: bool = True) -> RunResult:
    from .data import load_mnist
    from .parallel import parallel_map

    _check(cfg)
    training = TrainingConfig(**cfg["training"])
    DeviceUpdate(**cfg["update"])  # validate before any work
    ftj = resolve_model(cfg["ftj_model"], cfg["results_dir"])
    reference = resolve_model(cfg["reference_model"], cfg["results_dir"]) \
        if any(c.startswith("reference") for c in cfg["cases"]) else None

    pool = load_mnist(cfg["mnist_path"] or None)
    split = split_digits(pool, cfg["train_size"], cfg["test_size"], cfg["split_seed"])
    if split.note:
        print(f"fig3: {split.note}", file=sys.stderr)
    shared = {"train": SparseImages.from_bytes(split.train_images, split.train_labels),
              "test": SparseImages.from_bytes(split.test_images, split.test_labels)}

    seeds = [cfg["seed"] + i for i in range(cfg["n_seeds"])]
    tasks = []
    for case in cfg["cases"]:
        model, upd = _case_setup(case, ftj, reference, cfg["update"])
        tasks += [dict(kind="case", case=case, seed=s, model=model, update=upd, training=cfg["training"])
                  for s in seeds]
    sweep_models = [CompactModel.synthetic(f"exponential NL={nl:g}", ftj.G_min_S, ftj.G_max_S,
                                           ftj.potentiation.n_pulses, float(nl), float(nl))
                    for nl in cfg["nl_sweep"]]
    sweep_update = dict(cfg["update"], c2c=False, d2d=False)
    tasks += [dict(kind="nl", index=i, nl=float(nl), seed=s, model=m, update=sweep_update, training=cfg["training"])
              for i, (nl, m) in enumerate(zip(cfg["nl_sweep"], sweep_models)) for s in seeds]
    # Device runs first: the floating-point runs are short and fill the gaps at the end.
    order = sorted(range(len(tasks)), key=lambda i: tasks[i]["model"] is None)
    out = parallel_map(run_task, [tasks[i] for i in order], shared=shared, workers=cfg["workers"] or None,
                       scheduler=cfg["scheduler"] or None, progress=progress, desc="fig3 runs")
    results = [None] * len(tasks)
    for i, r in zip(order, out):
        results[i] = r
    return _result(cfg, training, split, seeds, tasks, results, ftj, reference)


# ---------------------------------------------------------------------------------------- output


def _stack(records: list[dict], key: str) -> np.ndarray:
    return np.stack([np.asarray(r[key], dtype=float) for r in records])


def _model_quantities(prefix: str, model: CompactModel, spec: str) -> dict:
    k = model.kernel_arrays()
    v = model.variability
    q = {
        "spec": Quantity(spec, "1", "model as named in the configuration"),
        "name": Quantity(model.name, "1", "model name"),
        "G_min_S": Quantity(model.G_min_S, "S", "lower end of the conductance window"),
        "G_max_S": Quantity(model.G_max_S, "S", "upper end of the conductance window"),
        "n_pulses": Quantity(model.potentiation.n_pulses, "1", "pulses per potentiation branch"),
        "NL_potentiation": Quantity(model.potentiation.nl, "1", "paper eq. (1) NL of the potentiation branch fit"),
        "NL_depression": Quantity(model.depression.nl, "1", "paper eq. (1) NL of the depression branch fit"),
        "mean_step": Quantity(mean_step(model), "1", "mean |dg| per pulse over the window (sets dW per pulse)"),
        "c2c": Quantity(v.c2c, "1", f"cycle-to-cycle statistic: {v.c2c_definition or 'n/a'}"),
        "d2d": Quantity(v.d2d, "1", f"device-to-device statistic: {v.d2d_definition or 'n/a'}"),
        "pulse_sigma_rel": Quantity(v.pulse_sigma_rel, "1", "per-pulse relative noise of the step (c2c)"),
        "device_sigma_rel": Quantity(v.device_sigma_rel, "1", "relative spread of the per-device step factor (d2d)"),
        "g_nodes": Quantity(k["g_nodes"], "1", "normalised conductance nodes", ("g_nodes",)),
        "step_up": Quantity(k["step_up"], "1", "mean dg per potentiating pulse", ("g_nodes",)),
        "step_down": Quantity(k["step_down"], "1", "mean dg per depressing pulse", ("g_nodes",)),
        "provenance": Quantity(json.dumps(model.provenance, default=str), "1", "source of the model (JSON)"),
    }
    return {f"{prefix}/{name}": value for name, value in q.items()}


def _result(cfg, training, split, seeds, tasks, results, ftj, reference) -> RunResult:
    n_last = cfg["accuracy_epochs"]
    epochs = np.arange(1, training.epochs + 1)
    data = {"/derived/epoch": Quantity(epochs, "1", "training epoch", ("epoch",)),
            "/runs/seed": Quantity(np.asarray(seeds), "1", "seeds of the runs", ("seed",)),
            "/runs/epoch": Quantity(epochs, "1", "training epoch", ("epoch",))}
    e2 = min(2, training.epochs) - 1
    for case in cfg["cases"]:
        recs = [r for t, r in zip(tasks, results) if t["kind"] == "case" and t["case"] == case]
        acc = _stack(recs, "test_accuracy")
        label = _CASE_LABEL[case]
        per_seed = np.array([last_epochs_mean(a, n_last) for a in acc])
        d = "/derived"
        data[f"{d}/accuracy_{case}"] = Quantity(float(per_seed.mean()), "%",
                                                f"{label}: test accuracy, mean of the last {n_last} epochs and seeds")
        data[f"{d}/accuracy_std_{case}"] = Quantity(float(per_seed.std(ddof=1)) if per_seed.size > 1 else 0.0, "%",
                                                    f"{label}: seed-to-seed standard deviation of that accuracy")
        data[f"{d}/accuracy_last_{case}"] = Quantity(float(acc[:, -1].mean()), "%",
                                                     f"{label}: test accuracy after the last epoch, mean of seeds")
        data[f"{d}/accuracy_epoch2_{case}"] = Quantity(float(acc[:, e2].mean()), "%",
                                                       f"{label}: test accuracy after epoch {e2 + 1}, mean of seeds")
        data[f"{d}/accuracy_vs_epoch_{case}"] = Quantity(acc.mean(axis=0), "%", f"{label}: test accuracy per epoch, "
                                                         "mean of seeds", ("epoch",))
        g = f"/runs/{case}"
        for key, units, text in (("test_accuracy", "%", "test accuracy"), ("train_accuracy", "%", "training accuracy"),
                                 ("train_loss", "1", "mean cross-entropy on the training set"),
                                 ("pulses_per_sample", "1", "pulses per training sample (all devices)"),
                                 ("events_per_sample", "1", "updates that fired at least one pulse, per sample"),
                                 ("epoch_wall_s", "s", "wall time per epoch")):
            data[f"{g}/{key}"] = Quantity(_stack(recs, key), units, f"{label}: {text}", ("seed", "epoch"))
        data[f"{g}/seed"] = Quantity(np.asarray(seeds), "1", "seeds", ("seed",))
        data[f"{g}/epoch"] = Quantity(epochs, "1", "training epoch", ("epoch",))
    d = "/derived"
    if "ideal" in cfg["cases"] and "ftj" in cfg["cases"]:
        data[f"{d}/gap_ideal_ftj"] = Quantity(data[f"{d}/accuracy_ideal"].values - data[f"{d}/accuracy_ftj"].values,
                                              "%", "ideal minus FTJ accuracy (paper: 1.3 points)")
    if "ftj" in cfg["cases"] and "reference" in cfg["cases"]:
        data[f"{d}/gap_ftj_reference"] = Quantity(
            data[f"{d}/accuracy_ftj"].values - data[f"{d}/accuracy_reference"].values, "%",
            "FTJ minus reference-device accuracy (paper: 2.8 points)")
    if "ftj" in cfg["cases"] and "variation" in cfg["cases"]:
        data[f"{d}/variation_gap"] = Quantity(
            data[f"{d}/accuracy_ftj"].values - data[f"{d}/accuracy_variation"].values, "%",
            "FTJ minus FTJ-with-variation accuracy (paper: 4.6 points)")
    nl = np.asarray(cfg["nl_sweep"], dtype=float)
    if nl.size:
        acc = np.stack([_stack([r for t, r in zip(tasks, results) if t["kind"] == "nl" and t["index"] == i],
                               "test_accuracy") for i in range(nl.size)])
        per = np.array([[last_epochs_mean(a, n_last) for a in row] for row in acc])
        mean = per.mean(axis=1)
        data[f"{d}/nl_sweep_NL"] = Quantity(nl, "1", "paper eq. (1) NL of the exponential-family devices",
                                            ("nl_sweep_NL",))
        data[f"{d}/nl_sweep_accuracy"] = Quantity(mean, "%", f"test accuracy (mean of the last {n_last} epochs and "
                                                  "seeds) vs NL", ("nl_sweep_NL",))
        data[f"{d}/nl_sweep_accuracy_std"] = Quantity(per.std(axis=1, ddof=1) if per.shape[1] > 1 else 0 * mean, "%",
                                                      "seed-to-seed standard deviation vs NL", ("nl_sweep_NL",))
        order = np.argsort(nl)
        rise = float(np.max(np.diff(mean[order]))) if nl.size > 1 else 0.0
        data[f"{d}/nl_sweep_max_rise"] = Quantity(rise, "%", "largest rise of the mean accuracy from one NL to the "
                                                  "next larger NL (<= 0.5 counts as non-increasing)")
        data["/nl_sweep/NL"] = Quantity(nl, "1", "NL of the sweep", ("NL",))
        data["/nl_sweep/seed"] = Quantity(np.asarray(seeds), "1", "seeds", ("seed",))
        data["/nl_sweep/epoch"] = Quantity(epochs, "1", "training epoch", ("epoch",))
        data["/nl_sweep/test_accuracy"] = Quantity(acc, "%", "test accuracy per NL, seed and epoch",
                                                   ("NL", "seed", "epoch"))
    data[f"{d}/nl_ftj"] = Quantity(_model_nl(ftj), "1", "NL of the FTJ model (mean of its branches)")
    data.update(_model_quantities("/models/ftj", ftj, cfg["ftj_model"]))
    if reference is not None:
        data[f"{d}/nl_reference"] = Quantity(_model_nl(reference), "1", "NL of the reference model")
        data.update(_model_quantities("/models/reference", reference, cfg["reference_model"]))
    for key, value in PAPER.items():
        data[f"/paper/{key}"] = Quantity(value, "%", f"paper value: {key.replace('_', ' ')}")
    split_attrs = {"n_train": split.n_train, "n_test": split.n_test, "requested_train": split.requested_train,
                   "requested_test": split.requested_test, "split_seed": split.seed, "dataset_source": split.source,
                   "split_note": split.note or "none"}
    wall = sum(float(np.sum(r["epoch_wall_s"])) for r in results)
    return RunResult(scenario=NAME, config=cfg, seed=cfg["seed"], data=data,
                     solver={"training_wall_s_total": wall, "runs": len(tasks)},
                     attrs={"/": dict(split_attrs), "/derived": dict(split_attrs)})


# ------------------------------------------------------------------------------------------ plot


def plot(h5_path, png_path) -> None:
    plt, r = open_result_for_plot(h5_path)
    d = {k: q.values for k, q in r.data.items()}
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.6))
    colors = {"ideal": "k", "ftj": "tab:red", "reference": "tab:blue", "variation": "tab:orange",
              "ftj_lut": "tab:pink", "reference_lut": "tab:cyan"}
    epochs = np.asarray(d["/derived/epoch"])
    for case in CASES:
        key = f"/derived/accuracy_vs_epoch_{case}"
        if key in d:
            ax[0].plot(epochs, d[key], "o-", ms=3, color=colors[case],
                       label=f"{_CASE_LABEL[case]}: {float(d[f'/derived/accuracy_{case}']):.1f} %")
    ax[0].axhline(90.0, color="0.6", ls=":", lw=0.8)
    n_train = r.attrs.get("/derived", {}).get("n_train", "?")
    n_test = r.attrs.get("/derived", {}).get("n_test", "?")
    ax[0].set(xlabel="epoch", ylabel="test accuracy (%)", title=f"(b) accuracy vs epoch ({n_train}/{n_test} images)")
    lo = min(float(np.min(d[f"/derived/accuracy_vs_epoch_{c}"])) for c in CASES
             if f"/derived/accuracy_vs_epoch_{c}" in d)
    ax[0].set_ylim(max(0.0, lo - 2.0), 100.0)
    ax[0].legend(fontsize=8, loc="lower right")
    if "/derived/nl_sweep_NL" in d:
        nl = np.asarray(d["/derived/nl_sweep_NL"])
        ax[1].errorbar(nl, d["/derived/nl_sweep_accuracy"], yerr=d["/derived/nl_sweep_accuracy_std"], fmt="s-",
                       color="0.3", capsize=3, label="exponential-family devices")
    for case, key in (("ftj", "/derived/nl_ftj"), ("reference", "/derived/nl_reference")):
        if key in d and f"/derived/accuracy_{case}" in d:
            ax[1].plot(float(d[key]), float(d[f"/derived/accuracy_{case}"]), "*", ms=14, color=colors[case],
                       label=f"{_CASE_LABEL[case]} (NL {float(d[key]):.2f})")
    for case, key in (("ftj", "/derived/nl_ftj"), ("reference", "/derived/nl_reference")):
        paper = f"/paper/accuracy_{case}"
        if key in d and paper in d:
            ax[1].plot(float(d[key]), float(d[paper]), "*", ms=14, mfc="none", color=colors[case],
                       label=f"paper: {_CASE_LABEL[case]} ({float(d[paper]):.1f} %)")
    if "/derived/accuracy_ideal" in d:
        ax[1].axhline(float(d["/derived/accuracy_ideal"]), color="k", ls="--", lw=0.8, label="ideal")
    ax[1].set(xlabel="nonlinearity NL (paper eq. 1)", ylabel="test accuracy (%), last epochs",
              title="(c) accuracy vs nonlinearity")
    ax[1].legend(fontsize=8, loc="lower left")
    save_figure(fig, png_path, "Fig. 3: 784x300x10 MLP on MNIST with pulse-faithful device updates")
