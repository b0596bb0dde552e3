"""Fig. 4 and Fig. S9 on the real pipeline (quick variants, synthetic compact model): the named datasets,
their shapes and ranges, and the figures drawn from the files."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.cli import main
from scenarios.store import load_derived, read_result


@pytest.fixture(scope="module")
def fig4_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig4") / "fig4_quick.h5"
    assert main(["run", "fig4", "--quick", "--quiet", "--set", "model=synthetic", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def figS9_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("figS9") / "figS9_quick.h5"
    assert main(["run", "figS9", "--quick", "--quiet", "--set", "model=synthetic", "--out", str(out)]) == 0
    return out


def test_fig4_writes_the_acceptance_datasets(fig4_file):
    d = load_derived(fig4_file)
    levels = np.asarray(d["noise_level"])
    assert levels[0] == 0.0 and levels.size == np.asarray(d["recognition_mean"]).size
    rec = np.asarray(d["recognition_mean"])
    assert np.all((rec >= 0) & (rec <= 1)) and np.all(np.asarray(d["recognition_std"]) >= 0)
    assert 0 <= d["specialists"] <= 5 and 0.0 <= d["bimodal_fraction"] <= 1.0
    r = read_result(fig4_file)
    epochs = np.asarray(r.data["/weights/epoch"].values)
    maps = np.asarray(r.data["/weights/snapshots"].values)
    assert maps.shape == (epochs.size, 5, 5, 5) and np.all((maps >= 0) & (maps <= 1))
    hist = np.asarray(r.data["/training/weight_histogram"].values)
    assert hist.shape[0] == r.config["epochs"] + 1 and np.all(hist.sum(axis=1) == hist.sum(axis=1)[0])
    assert fig4_file.with_suffix(".png").stat().st_size > 10_000


def test_fig4_quick_run_learns(fig4_file):
    """Even 10 epochs separate the clean letters well above chance (0.2)."""
    d = load_derived(fig4_file)
    assert np.asarray(d["recognition_mean"])[0] >= 0.6
    assert d["specialists_mean"] >= 3


def test_figS9_writes_the_acceptance_datasets(figS9_file):
    d = load_derived(figS9_file)
    ratio, rate = np.asarray(d["ratio"]), np.asarray(d["background_rate"])
    assert np.any(np.isclose(ratio, d["balanced_ratio"])) and rate[0] == 0.0
    for key in ("clean_recognition", "weight_mean", "bimodal_fraction", "background_drift_per_win"):
        v = np.asarray(d[key])
        assert v.shape == (ratio.size, rate.size), key
        assert np.all(np.isfinite(v)), key
    assert np.all(np.asarray(d["background_drift_per_win"])[:, 0] == 0.0)     # no background, no drift
    drift = np.asarray(d["background_drift_per_win"])[:, -1]
    assert drift[0] < 0 < drift[-1]                                            # sign of the window integral
    assert np.asarray(d["control/clean_recognition"]).shape == ratio.shape
    assert figS9_file.with_suffix(".png").stat().st_size > 10_000


def test_model_default_is_the_compact_model_file():
    from scenarios import fig4

    assert fig4.config()["model"] == "results/compact_model.h5"


def test_bench_snn_quick_prints_finite_timings(capsys):
    from scenarios import bench_snn

    assert bench_snn.main(["--quick", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for key in ("JIT compile, cold", "run, compile excluded", "numpy twin", "speed-up"):
        assert key in out, key


def test_model_from_a_compact_model_file(tmp_path):
    """``model`` = a compact-model file goes through ``scenarios.compact.load_compact_model``."""
    compact = pytest.importorskip("scenarios.compact")
    from ftjphys.compact_model import CompactModel, StdpWindow

    model = CompactModel.synthetic(name="from-file", nl_potentiation=0.3, stdp=StdpWindow.paper())
    path = compact.write_json_twin(model, tmp_path / "model.json")
    out = tmp_path / "fig4.h5"
    assert main(["run", "fig4", "--quick", "--quiet", "--no-plot", "--set", f"model={path}", "--set", "n_seeds=1",
                 "--out", str(out)]) == 0
    r = read_result(out)
    assert r.data["/model/name"].values == "from-file"
    assert float(r.data["/model/nl_potentiation"].values) == pytest.approx(0.3, abs=1e-6)
