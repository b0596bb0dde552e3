"""Compact-model files and exports: round trips, CrossSim tables, aihwkit vectors, NeuroSim arrays, an ngspice
batch run of the SPICE subcircuit, and the ``compact`` scenario on synthetic physics results."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import types

import h5py
import numpy as np
import pytest

from ftjphys.compact_fit import FitSettings, simulate_trains
from ftjphys.compact_model import CompactModel, StdpWindow, Variability
from scenarios import exports
from scenarios.cli import main
from scenarios.compact import CompactModelError, load_compact_model, model_result, write_model
from scenarios.store import Quantity, RunResult, read_result, write_result

P = 150
QUICK_FIT = {"fit": dataclasses.asdict(FitSettings(mc_devices=12, mc_device_cycles=24, bisection_steps=8))}


def _model(nl=0.15, sigma=0.3, n_pulses=P) -> CompactModel:
    m = CompactModel.synthetic(name="syn", nl_potentiation=nl, nl_depression=nl, n_pulses=n_pulses,
                               variability=Variability(0.05, 0.08, "c2c def", "d2d def", sigma, 0.1))
    return dataclasses.replace(m, read_voltage_V=0.1,
                               pulse={"pulse_width_s": 1e-3, "amplitude_up_V": np.linspace(2, 5, n_pulses).tolist(),
                                      "amplitude_down_V": (-np.linspace(2, 5, n_pulses)).tolist()})


@pytest.fixture
def model_file(tmp_path):
    h5, _ = write_model(tmp_path / "compact_model.h5", _model(), {"source": "test"})
    return h5


# ------------------------------------------------------------------------------ round trips


def test_export_load_identical(model_file, tmp_path):
    m = load_compact_model(model_file)
    assert m.to_dict() == _model().to_dict()
    twin = model_file.with_suffix(".json")
    assert twin.read_text() == read_result(model_file).data["/model/json"].values
    (path,) = exports.export_model(model_file, "json", tmp_path / "exported")
    assert load_compact_model(path).to_dict() == m.to_dict()
    assert main(["inspect", str(model_file)]) == 0


def test_wrong_version_missing_field_and_edited_file_refused(model_file, tmp_path):
    d = json.loads(model_file.with_suffix(".json").read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**d, "schema_version": "2.0"}))
    with pytest.raises(CompactModelError, match=r"bad.json: compact model: schema_version = '2.0' is not supported"):
        load_compact_model(bad)
    del d["potentiation"]["norm_A"]
    bad.write_text(json.dumps(d))
    with pytest.raises(CompactModelError, match="missing field 'potentiation.norm_A'"):
        load_compact_model(bad)
    bad.write_text("{not json")
    with pytest.raises(CompactModelError, match="not a JSON compact model"):
        load_compact_model(bad)
    edited = tmp_path / "edited.h5"
    shutil.copy(model_file, edited)
    with h5py.File(edited, "r+") as f:
        f["/model/G_max_S"][()] = 1e-4
    with pytest.raises(CompactModelError, match="/model/G_max_S disagrees with /model/json"):
        load_compact_model(edited)
    other = write_result(tmp_path / "other.h5", RunResult("fig5", {}, None, {"/derived/x": Quantity(1.0, "1", "x")}))
    with pytest.raises(CompactModelError, match="not a compact-model file"):
        load_compact_model(other)
    assert main(["export", "--format", "json", "--model", str(bad)]) == 2


# -------------------------------------------------------------------------------- CrossSim


def test_crosssim_tables_layout_and_mean(model_file, tmp_path):
    m = load_compact_model(model_file)
    paths = exports.export_model(model_file, "crosssim", tmp_path / "cs")
    names = {p.name for p in paths}
    assert {"dG_increasing.txt", "dG_decreasing.txt", "set.csv", "reset.csv", "crosssim_analytic.json"} <= names
    inc, dec = tmp_path / "cs" / "dG_increasing.txt", tmp_path / "cs" / "dG_decreasing.txt"
    assert inc.read_text().splitlines()[0] == exports.CROSSSIM_TITLE
    G_i, cdf_i, dG_i = exports.read_crosssim_table(inc)          # CrossSim v2's own genfromtxt calls
    G_d, cdf_d, dG_d = exports.read_crosssim_table(dec)
    assert G_i.shape == cdf_i.shape == (501,) and dG_i.shape == dG_d.shape == (501, 501)
    np.testing.assert_array_equal(G_i, G_d)
    np.testing.assert_array_equal(cdf_i, cdf_d)
    np.testing.assert_allclose(np.diff(G_i), np.diff(G_i)[0], rtol=1e-9)    # uniform grid: CrossSim's fast path
    np.testing.assert_allclose(cdf_i, np.linspace(0, 1, 501))
    assert (G_i[0], G_i[-1]) == pytest.approx((m.G_min_S, m.G_max_S), rel=1e-15)
    np.testing.assert_allclose(exports.crosssim_mean_dG(cdf_i, dG_i), m.potentiation.step(m.to_g(G_i)) * m.window_S,
                               rtol=1e-9)
    np.testing.assert_allclose(exports.crosssim_mean_dG(cdf_d, dG_d), m.depression.step(m.to_g(G_d)) * m.window_S,
                               rtol=1e-9)
    assert np.all(dG_i[:, 250] > 0) and np.all(dG_d[:, 250] < 0) and np.all(np.diff(dG_i[:, 250]) >= 0)
    # spread across the CDF: the per-pulse noise sigma |dG|
    spread = np.std(dG_i[:-1, 250]) / exports.crosssim_mean_dG(cdf_i, dG_i)[250]
    assert spread == pytest.approx(m.variability.pulse_sigma_rel, rel=0.02)
    header = (tmp_path / "cs" / "set.csv").read_text().splitlines()[0]
    assert header == ",".join(f"rmp{k}" for k in range(1, 9))
    ramps = np.genfromtxt(tmp_path / "cs" / "set.csv", delimiter=",", skip_header=1)
    assert ramps.shape == (P, 8) and np.all(ramps > 0)
    analytic = json.loads((tmp_path / "cs" / "crosssim_analytic.json").read_text())
    assert analytic["numeric_params.nonlinearity.alpha"] == pytest.approx(0.6046, abs=1e-3)


# --------------------------------------------------------------------------------- aihwkit


def test_aihwkit_piecewise_vectors_and_snippet(model_file, tmp_path, monkeypatch):
    m = load_compact_model(model_file)
    exports.export_model(model_file, "aihwkit", tmp_path / "ai")
    config = json.loads((tmp_path / "ai" / "aihwkit_device.json").read_text())
    dev = config["PiecewiseStepDevice"]
    n = len(dev["piecewise_up"])
    assert n == len(dev["piecewise_down"]) and n < 64
    g = np.linspace(0.0, 1.0, n)                             # nodes over [w_min, w_max] = [-1, 1], w = 2g - 1
    dG_up = dev["dw_min"] * np.asarray(dev["piecewise_up"]) / 2 * m.window_S
    dG_down = -dev["dw_min"] * np.asarray(dev["piecewise_down"]) / 2 * m.window_S
    np.testing.assert_allclose(dG_up, m.potentiation.step(g) * m.window_S, rtol=1e-12)
    np.testing.assert_allclose(dG_down, m.depression.step(g) * m.window_S, rtol=1e-12)
    assert (dev["w_min"], dev["w_max"], dev["up_down"]) == (-1.0, 1.0, 0.0)
    assert dev["dw_min_std"] == m.variability.pulse_sigma_rel and dev["dw_min_dtod"] == m.variability.device_sigma_rel
    assert config["LinearStepDevice"]["gamma_up"] == pytest.approx(0.2934, abs=1e-3)
    # the snippet builds the same devices (aihwkit replaced by recorders)
    built = {}
    fake = types.ModuleType("aihwkit.simulator.configs")
    for cls in ("PiecewiseStepDevice", "LinearStepDevice", "SingleRPUConfig"):
        setattr(fake, cls, lambda _cls=cls, **kw: built.setdefault(_cls, kw) and (_cls, kw))
    for name in ("aihwkit", "aihwkit.simulator"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "aihwkit.simulator.configs", fake)
    exec(compile((tmp_path / "ai" / "aihwkit_device.py").read_text(), "aihwkit_device.py", "exec"), {})
    assert built["PiecewiseStepDevice"] == dev
    assert built["LinearStepDevice"] == config["LinearStepDevice"]
    # example 21's two-column file reads back through our own fit
    out = tmp_path / "refit.h5"
    assert main(["fit", "--data", str(tmp_path / "ai" / "up_down.csv"), "--out", str(out)]) == 0
    assert load_compact_model(out).potentiation.norm_A == pytest.approx(m.potentiation.norm_A, rel=1e-4)


# -------------------------------------------------------------------------------- NeuroSim


@pytest.mark.parametrize("nl", [0.0, 0.15, 0.63, 0.9])
def test_neurosim_raw_arrays_pass_neurosim_checks(nl):
    m = _model(nl=nl, n_pulses=60)
    ltp, ltd = exports.neurosim_arrays(m)
    assert np.all(np.diff(ltp) > 0), "LTP conductance should be monotonically increasing"
    assert np.all(np.diff(ltd) < 0), "LTD conductance should be monotonically decreasing"
    assert ltp[-1] == ltd[0] and ltp[0] == ltd[-1], "Conductance range of LTP and LTD are not consistent"
    assert (ltp[0], ltp[-1]) == (m.G_min_S, m.G_max_S)
    up, _ = m.mean_train()
    np.testing.assert_allclose(ltp[1:], m.to_G_S(up), atol=0.01 * m.window_S)


def test_neurosim_parameters(model_file, tmp_path):
    exports.export_model(model_file, "neurosim", tmp_path / "ns")
    p = json.loads((tmp_path / "ns" / "neurosim_device.json").read_text())
    real = p["RealDevice"]
    assert (real["NL_LTP"], real["NL_LTD"]) == (0.76, -0.76)
    assert (real["maxNumLevelLTP"], real["maxConductance"], real["readVoltage"]) == (P, 90e-6, 0.1)
    assert real["nonIdenticalPulse"] and real["VinitLTP"] == 2.0 and real["VstepLTP"] == pytest.approx(3 / (P - 1))
    assert 0 < real["sigmaCtoC_fraction"] < 0.3 * 0.01
    cpp = (tmp_path / "ns" / "RealDevice.cpp").read_text()
    assert "NL_LTP = 0.76;" in cpp and "sigmaCtoC = " in cpp and "(maxConductance - minConductance)" in cpp
    measured = (tmp_path / "ns" / "MeasuredDevice.cpp").read_text()
    ltp = [float(x) for x in measured.split("rawDataConductanceLTP[] = {")[1].split("}")[0].split(",")]
    assert len(ltp) == P + 1 and np.all(np.diff(ltp) > 0)
    assert p["DNN_NeuroSim_V2.1_train_args"]["--nonlinearityLTD"] == 0.76


# ------------------------------------------------------------------------------------ SPICE


def _ngspice():
    exe = shutil.which("ngspice")
    if exe is None:
        if os.environ.get("FTJPHYS_REQUIRE_NGSPICE") or os.environ.get("CI"):
            pytest.fail("ngspice is required here (.ci/run installs it: apt-get install ngspice)")
        pytest.skip("ngspice not installed (apt-get install ngspice)")
    return exe


@pytest.mark.parametrize("nl", [0.15, 0.63])
def test_spice_subcircuit_reproduces_the_model_in_ngspice(tmp_path, nl):
    exe = _ngspice()
    m = _model(nl=nl)
    (tmp_path / "ftj_synapse.lib").write_text(exports.spice_subcircuit(m))
    bench, reads = exports.spice_testbench(m, data_file="train.dat")
    (tmp_path / "bench.cir").write_text(bench)
    run = subprocess.run([exe, "-b", "bench.cir"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    t, s, current = np.loadtxt(tmp_path / "train.dat", unpack=True)
    up, down = m.mean_train()
    expected_G = m.to_G_S(np.concatenate([up, down]))
    G_state = m.to_G_S(np.interp(reads, t, s))
    G_read = -np.interp(reads, t, current) / m.read_voltage_V     # source current is negative into the device
    assert np.max(np.abs(G_state - expected_G)) / m.window_S < 0.02
    assert np.max(np.abs(G_read - expected_G)) / m.window_S < 0.02
    # reads do not write: the state is flat over each read window
    tw = m.pulse["pulse_width_s"]
    before, after = np.interp(reads - 0.45 * tw, t, s), np.interp(reads + 0.45 * tw, t, s)
    assert np.max(np.abs(after - before)) < 1e-6


def test_spice_export_files(model_file, tmp_path):
    paths = exports.export_model(model_file, "spice", tmp_path / "sp")
    lib = (tmp_path / "sp" / "ftj_synapse.lib").read_text()
    assert ".subckt ftj_syn p n params:" in lib and ".ends ftj_syn" in lib
    assert ".include ftj_synapse.lib" in (tmp_path / "sp" / "ftj_pulse_train.cir").read_text()
    assert len(paths) == 2


# ------------------------------------------------------------------------- the scenario


def _physics_results(root, reference=True):
    """Small stand-ins for the physics results in the layout the fig2d/figS4/fig4a/figS5 scenarios write."""
    (root / "results").mkdir(exist_ok=True)
    device = _model(nl=0.15, sigma=0.0, n_pulses=40)
    noisy = dataclasses.replace(device, variability=Variability(pulse_sigma_rel=0.4, device_sigma_rel=0.1))
    n = 40

    def train_file(name, model):
        G = simulate_trains(model, 1, 5, n, n, np.random.default_rng(0))[0]
        amps = np.concatenate([np.linspace(2, 5, n), -np.linspace(2, 5, n)])
        write_result(root / "results" / f"{name}.h5", RunResult(name, {"parameter_set": "yang2022"}, None, {
            "/derived/G_pulse_S": Quantity(G, "S", "conductance after each pulse"),
            "/derived/pulse_amplitude_V": Quantity(amps, "V", "amplitudes"),
            "/derived/read_voltage_V": Quantity(0.1, "V", "read voltage"),
            "/derived/pulse_width_s": Quantity(1e-3, "s", "pulse width")}))

    train_file("fig2d", device)
    if reference:
        train_file("figS5", _model(nl=0.63, sigma=0.0, n_pulses=40))
    c2c = simulate_trains(noisy, 1, 10, n, n, np.random.default_rng(1))[0]
    d2d = simulate_trains(noisy, 5, 5, n, n, np.random.default_rng(2),
                          noisy.variability.draw_device_scales(np.random.default_rng(3), 5))
    write_result(root / "results" / "figS4.h5", RunResult("figS4", {}, 1, {
        "/derived/G_c2c_S": Quantity(c2c, "S", "c2c record"), "/derived/G_d2d_S": Quantity(d2d, "S", "d2d record"),
        "/derived/c2c": Quantity(0.05, "1", "c2c"), "/derived/d2d": Quantity(0.08, "1", "d2d")}))
    dt = np.concatenate([-np.geomspace(1e-4, 8e-3, 8)[::-1], np.geomspace(1e-4, 8e-3, 8)])
    write_result(root / "results" / "fig4a.h5", RunResult("fig4a", {}, None, {
        "/derived/dt_s": Quantity(dt, "s", "delay"),
        "/derived/dW_percent": Quantity(StdpWindow.paper().dW_percent(dt), "%", "weight change")}))
    return device


def test_compact_scenario_from_physics_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    device = _physics_results(tmp_path)
    fit = [f"fit.{k}={v}" for k, v in QUICK_FIT["fit"].items()]
    args = ["run", "compact", "--quiet"] + sum((["--set", a] for a in fit), [])
    assert main(args + ["--out", "results/compact_model.h5"]) == 0
    assert main(args + ["--set", "model=reference", "--out", "results/compact_model_reference.h5", "--no-plot"]) == 0
    for name in ("compact_model", "compact_model_reference"):
        assert (tmp_path / "results" / f"{name}.json").is_file()
    assert (tmp_path / "results" / "compact_model.png").is_file()
    m = load_compact_model("results/compact_model.h5")
    ref = load_compact_model("results/compact_model_reference.h5")
    assert m.fit_report["reproduction_rms_rel"] < 0.02 and ref.fit_report["reproduction_rms_rel"] < 0.02
    assert m.potentiation.norm_A == pytest.approx(device.potentiation.norm_A, rel=1e-6)
    assert ref.summary()["potentiation"]["NL"] == pytest.approx(0.63, abs=1e-6)
    assert m.stdp.A_plus == pytest.approx(50.01, rel=1e-6) and ref.stdp is None
    assert m.variability.c2c > 0 and m.variability.pulse_sigma_rel > 0 and m.variability.device_sigma_rel > 0
    assert m.read_voltage_V == 0.1 and m.pulse["pulse_width_s"] == 1e-3
    assert m.provenance["train"]["file"] == "results/fig2d.h5" and m.provenance["variability"]["source_values"]
    assert ref.name == "yang2022-reference" and ref.variability == Variability()
    derived = read_result("results/compact_model.h5").data
    assert derived["/derived/neurosim_label_up"].values == pytest.approx(0.7595, abs=1e-3)


def test_compact_scenario_stops_when_results_are_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _physics_results(tmp_path, reference=False)
    (tmp_path / "results" / "figS4.h5").unlink()
    (tmp_path / "results" / "fig4a.h5").unlink()
    assert main(["run", "compact", "--quiet", "--out", "results/compact_model.h5"]) == 2
    err = capsys.readouterr().err
    assert "results/figS4.h5" in err and "results/fig4a.h5" in err and "make figS4 fig4a" in err
    assert not (tmp_path / "results" / "compact_model.h5").exists()
    assert main(["run", "compact", "--quiet", "--set", "model=reference", "--out", "results/ref.h5"]) == 2
    assert "make figS5" in capsys.readouterr().err
    # a result file without the pulse trains (an older figS5) is named with the dataset it lacks
    write_result(tmp_path / "results" / "figS5.h5", RunResult("figS5", {}, None, {"/derived/x": Quantity(1, "1", "x")}))
    assert main(["run", "compact", "--quiet", "--set", "model=reference", "--out", "results/ref.h5"]) == 2
    assert "lacks /derived/G_pulse_S" in capsys.readouterr().err
    # allow_missing: the train alone gives a model without variability or STDP
    assert main(["run", "compact", "--quiet", "--no-plot", "--set", "allow_missing=true",
                 "--out", "results/compact_model.h5"]) == 0
    m = load_compact_model("results/compact_model.h5")
    assert m.stdp is None and m.variability.c2c == 0.0


def test_model_result_is_a_store_result(tmp_path):
    r = model_result(_model(), {"source": "test"})
    assert r.scenario == "compact" and "/model/json" in r.data
    assert all(q.units for q in r.data.values())
