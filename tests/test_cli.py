"""Command line: list, run (with a throwaway scenario), --set parsing, inspect, summary."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import h5py
import numpy as np
import pytest

from scenarios import registry
from scenarios.cli import UsageError, apply_overrides, main, parse_value
from scenarios.store import Quantity, RunResult, load_derived, read_result, write_result

REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------- a throwaway scenario


def _tiny_config(quick: bool = False) -> dict:
    return {"n_points": 5 if quick else 50, "junction": {"area_m2": 1e-12, "R_ohm": 2e3}, "label": "tiny"}


def _tiny_run(config: dict, progress: bool = True) -> RunResult:
    V = np.linspace(-1.0, 1.0, config["n_points"])
    R = config["junction"]["R_ohm"]
    return RunResult(
        scenario="tiny",
        config=config,
        seed=None,
        data={
            "/states/ohmic/V_V": Quantity(V, "V", "applied bias", ("V_V",)),
            "/states/ohmic/I_A": Quantity(V / R, "A", "current", ("V_V",)),
            "/derived/R_ohm": Quantity(float(R), "ohm", "resistance"),
            "/derived/J_at_1V_A_m2": Quantity(1.0 / R / config["junction"]["area_m2"], "A/m^2", "current density at 1 V"),
        },
        solver={"method": "closed form"},
    )


def _tiny_plot(h5_path, png_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with h5py.File(h5_path, "r") as f:
        V = f["/states/ohmic/V_V"][()]
        current_A = f["/states/ohmic/I_A"][()]
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(V, current_A)
    fig.savefig(png_path)
    plt.close(fig)


@pytest.fixture
def tiny(monkeypatch):
    """Register a scenario 'tiny' backed by an in-memory module."""
    module = types.ModuleType("ftjphys_test_tiny_scenario")
    module.NAME = "tiny"
    module.DESCRIPTION = "throwaway ohmic junction for CLI tests"
    module.config = _tiny_config
    module.run = _tiny_run
    module.plot = _tiny_plot
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(registry.SCENARIOS, "tiny", module.__name__)
    return module


# ------------------------------------------------------------------------ registry


def test_registry_lists_fig5():
    assert registry.SCENARIOS["fig5"] == "scenarios.fig5"
    assert "fig5" in registry.names()


def test_registry_unknown_name():
    with pytest.raises(ValueError, match=r"unknown scenario 'nope'.*fig5"):
        registry.get("nope")


def test_registry_broken_module(monkeypatch):
    monkeypatch.setitem(registry.SCENARIOS, "broken", "scenarios.does_not_exist_xyz")
    with pytest.raises(ImportError):
        registry.get("broken")
    assert registry.describe("broken").startswith("(unavailable")


def test_registry_incomplete_module(monkeypatch):
    module = types.ModuleType("ftjphys_test_incomplete")
    module.NAME = "half"
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(registry.SCENARIOS, "half", module.__name__)
    with pytest.raises(TypeError, match="DESCRIPTION"):
        registry.get("half")


# ------------------------------------------------------------------------------ list


def test_list_prints_fig5(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("fig5") for line in out.splitlines())


def test_list_with_tiny(tiny, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "throwaway ohmic junction" in out


def test_python_dash_m_works():
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.cli", "list"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "fig5" in proc.stdout


# ------------------------------------------------------------------------------- run


def test_run_end_to_end(tiny, tmp_path, capsys):
    out = tmp_path / "tiny.h5"
    assert main(["run", "tiny", "--out", str(out), "--set", "junction.R_ohm=4000"]) == 0
    stdout = capsys.readouterr().out
    assert out.exists() and out.with_suffix(".png").exists()
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "R_ohm = 4000 ohm" in stdout
    assert "J_at_1V_A_m2 = 2.5e+08 A/m^2" in stdout
    result = read_result(out)
    assert result.config["junction"]["R_ohm"] == 4000.0
    assert isinstance(result.config["junction"]["R_ohm"], float)
    assert result.provenance["command"] == f"ftjphys run tiny --out {out} --set junction.R_ohm=4000"
    assert result.data["/states/ohmic/I_A"].dims == ("V_V",)
    assert load_derived(out) == {"R_ohm": 4000.0, "J_at_1V_A_m2": pytest.approx(2.5e8)}


def test_run_quick_default_out(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "tiny", "--quick", "--quiet", "--no-plot"]) == 0
    assert capsys.readouterr().out == ""
    out = tmp_path / "results" / "tiny_quick.h5"
    assert out.exists() and not out.with_suffix(".png").exists()
    assert read_result(out).config["n_points"] == 5
    assert main(["run", "tiny", "--quiet"]) == 0
    full = tmp_path / "results" / "tiny.h5"
    assert read_result(full).config["n_points"] == 50
    assert full.with_suffix(".png").exists()
    assert not list((tmp_path / "results").glob(".*"))


def test_run_progress_flag(tiny, tmp_path, monkeypatch):
    seen = []

    def run(config, progress=True):
        seen.append(progress)
        return _tiny_run(config, progress)

    monkeypatch.setattr(tiny, "run", run)
    main(["run", "tiny", "--out", str(tmp_path / "a.h5"), "--no-plot"])
    main(["run", "tiny", "--out", str(tmp_path / "b.h5"), "--no-plot", "--quiet"])
    assert seen == [True, False]


def test_run_unknown_scenario(capsys):
    assert main(["run", "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "fig5" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("junction.bogus=1", "known keys: R_ohm, area_m2"),
        ("nothing=1", "known keys: junction, label, n_points"),
        ("junction=3", "section"),
        ("n_points", "KEY=VALUE"),
        ("n_points=many", "expects a number"),
        ("label.x=1", "not a section"),
    ],
)
def test_run_bad_set_exits_2(tiny, tmp_path, capsys, assignment, message):
    out = tmp_path / "x.h5"
    assert main(["run", "tiny", "--out", str(out), "--set", assignment]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_argparse_errors_return_2(capsys):
    assert main([]) == 2
    assert main(["run"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["--help"]) == 0


def test_run_interrupted_returns_130(tiny, tmp_path, monkeypatch, capsys):
    def run(config, progress=True):
        raise KeyboardInterrupt

    monkeypatch.setattr(tiny, "run", run)
    assert main(["run", "tiny", "--out", str(tmp_path / "x.h5")]) == 130
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- --set parsing


@pytest.mark.parametrize(
    "text, value",
    [
        ("1", 1),
        ("2.5e-9", 2.5e-9),
        ("true", True),
        ("null", None),
        ("[1, 2]", [1, 2]),
        ('{"a": 1}', {"a": 1}),
        ('"quoted"', "quoted"),
        ("newton", "newton"),
        ("1 nm", "1 nm"),
        ("", ""),
    ],
)
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_apply_overrides_nested_and_copy():
    config = {"a": {"b": {"c": 1.0}, "flag": False}, "name": "x", "n": 3, "opt": None}
    out = apply_overrides(config, ["a.b.c=2", "a.flag=true", "name=123", "n=4", "opt=[1,2]", "name=a=b"])
    assert out == {"a": {"b": {"c": 2.0}, "flag": True}, "name": "a=b", "n": 4, "opt": [1, 2]}
    assert isinstance(out["a"]["b"]["c"], float)
    assert config["a"]["b"]["c"] == 1.0  # input untouched
    assert apply_overrides(config, ["name=123"])["name"] == "123"


def test_apply_overrides_reaches_dotted_keys_of_a_section():
    # the parameter overrides of a scenario are keyed by dotted parameter names
    config = {"overrides": {"domains.columns": 4, "vacancies.migration": True}, "n": 1}
    out = apply_overrides(config, ["overrides.domains.columns=32", "overrides.vacancies.migration=false"])
    assert out["overrides"] == {"domains.columns": 32, "vacancies.migration": False}
    with pytest.raises(UsageError, match="unknown config key 'overrides.domains.spread'"):
        apply_overrides(config, ["overrides.domains.spread=0.1"])


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("a.x=1", r"unknown config key 'a.x'.*known keys: b, flag"),
        ("zzz=1", r"known keys: a, n, name"),
        ("a=1", "section"),
        ("name.sub=1", "not a section"),
        ("=1", "KEY=VALUE"),
        ("a.flag=1", "true or false"),
        ("n=true", "number"),
    ],
)
def test_apply_overrides_errors(assignment, message):
    config = {"a": {"b": {"c": 1.0}, "flag": False}, "name": "x", "n": 3}
    with pytest.raises(UsageError, match=message):
        apply_overrides(config, [assignment])


# --------------------------------------------------------------------------- summary


def test_summary(tiny, tmp_path, capsys):
    main(["run", "tiny", "--out", str(tmp_path / "tiny.h5"), "--quiet", "--no-plot"])
    (tmp_path / "garbage.h5").write_bytes(b"not hdf5 at all")
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = 1
    (tmp_path / ".tiny.123.abcd.tmp.h5").write_bytes(b"partial")
    (tmp_path / "notes.txt").write_text("ignored")
    capsys.readouterr()
    assert main(["summary", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "tiny" in out and "R_ohm = 2000 ohm" in out and "J_at_1V_A_m2" in out
    assert "V_V" not in out  # arrays are not summarised
    warnings = [line for line in err.splitlines() if line.startswith("warning")]
    assert len(warnings) == 2
    assert any("garbage.h5" in w for w in warnings) and any("foreign.h5" in w for w in warnings)


def test_summary_bad_directory(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "none")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_summary_empty_directory(tmp_path, capsys):
    assert main(["summary", str(tmp_path)]) == 0
    assert "no result files" in capsys.readouterr().out


def test_inspect_ok(tiny, tmp_path, capsys):
    path = write_result(tmp_path / "t.h5", _tiny_run(_tiny_config(quick=True)))
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "scenario = tiny" in out and "R_ohm = 2000 ohm" in out and "[A]" in out
