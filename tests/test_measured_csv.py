"""Measured pulse trains from CSV: both layouts, ``ftjphys fit``, and bad input (named line, nothing written)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftjphys.compact_fit import simulate_trains
from ftjphys.compact_model import CompactModel, Variability
from scenarios.cli import main
from scenarios.compact import load_compact_model
from scenarios.measured_csv import MeasuredDataError, detect_format, read_pulse_csv
from scenarios.store import read_result

P = 40


def _long_csv(G_up, G_down, current_V=None, devices=("",), header=None) -> str:
    """A long table from [device, cycle, pulse] arrays (file order: each cycle up then down)."""
    cols = header or (["device"] if devices != ("",) else []) + ["cycle", "pulse", "direction",
                                                                 "I_A" if current_V else "G_S"]
    lines = [",".join(cols)]
    for d, name in enumerate(devices):
        for c in range(G_up.shape[1]):
            for direction, G in (("up", G_up), ("down", G_down)):
                for p in range(G.shape[2]):
                    value = float(G[d, c, p]) * (current_V or 1.0)
                    lines.append(",".join(([name] if name else []) + [str(c), str(p + 1), direction, repr(value)]))
    return "\n".join(lines) + "\n"


def _trains(devices=1, cycles=3, sigma=0.0):
    model = CompactModel.synthetic(n_pulses=P, nl_potentiation=0.3, nl_depression=0.3,
                                   variability=Variability(pulse_sigma_rel=sigma, device_sigma_rel=0.2 * bool(sigma)))
    scales = model.variability.draw_device_scales(np.random.default_rng(1), devices)
    G = simulate_trains(model, devices, cycles, P, P, np.random.default_rng(2), scales)
    return model, G[..., :P], G[..., P:]


def test_long_table_read_back(tmp_path):
    _, up, down = _trains(devices=2, cycles=3, sigma=0.2)
    f = tmp_path / "m.csv"
    f.write_text("# measured at 0.1 V\n\n" + _long_csv(up, down, devices=("A", "B")))
    assert detect_format(f) == "long"
    t = read_pulse_csv(f)
    np.testing.assert_array_equal(t.G_up_S, up)
    np.testing.assert_array_equal(t.G_down_S, down)
    assert t.alternating and t.source["devices"] == 2 and t.source["cycles"] == 3
    # currents at a stated read voltage
    f.write_text(_long_csv(up, down, current_V=0.2, devices=("A", "B")))
    t = read_pulse_csv(f, read_voltage_V=0.2)
    np.testing.assert_allclose(t.G_up_S, up, rtol=1e-12)
    assert t.read_voltage_V == 0.2 and t.source["quantity"] == "current"


def test_long_table_in_any_row_order_is_not_alternating(tmp_path):
    _, up, down = _trains()
    lines = _long_csv(up, down).splitlines()
    f = tmp_path / "shuffled.csv"
    f.write_text("\n".join([lines[0]] + lines[1:][::-1]) + "\n")
    t = read_pulse_csv(f)
    np.testing.assert_array_equal(t.G_up_S, up)                 # pulses sorted by their index
    assert not t.alternating


def test_updown_format_as_aihwkit_example(tmp_path):
    model, up, down = _trains(cycles=1)
    up_list, down_list = up[0, 0].tolist(), down[0, 0][:-5].tolist()
    rows = [f"{a!r},{b!r}" for a, b in zip(up_list, down_list)] + [f"{a!r}," for a in up_list[-5:]]
    for header in ("", "up_data,down_data\n"):
        f = tmp_path / "gong.csv"
        f.write_text(header + "\n".join(rows) + "\n")
        assert detect_format(f) == "updown"
        t = read_pulse_csv(f)
        np.testing.assert_array_equal(t.G_up_S[0, 0], up[0, 0])
        np.testing.assert_array_equal(t.G_down_S[0, 0], down[0, 0][:-5])
        assert not t.alternating


def test_fit_command_writes_model_and_twin(tmp_path, capsys):
    model, up, down = _trains(cycles=4)
    f = tmp_path / "dev.csv"
    f.write_text(_long_csv(up, down))
    out = tmp_path / "out" / "dev_model.h5"
    assert main(["fit", "--data", str(f), "--out", str(out), "--name", "mydev", "--read-voltage", "0.1"]) == 0
    assert out.is_file() and out.with_suffix(".json").is_file()
    m = load_compact_model(out)
    assert m.name == "mydev" and m.read_voltage_V == 0.1
    assert m.potentiation.norm_A == pytest.approx(model.potentiation.norm_A, rel=1e-6)
    assert m.fit_report["reproduction_rms_rel"] < 0.02
    assert m.provenance["train"]["file"] == str(f) and len(m.provenance["train"]["sha256"]) == 64
    assert json.loads(out.with_suffix(".json").read_text()) == json.loads(read_result(out).data["/model/json"].values)
    assert main(["inspect", str(out)]) == 0
    assert "neurosim_label_up" in capsys.readouterr().out


BAD_INPUTS = [
    # (file content, expected words in the message)
    ("cycle,pulse,G_S\n0,1,1e-5\n", ["line 1", "missing column(s) direction"]),
    ("cycle,pulse,direction\n0,1,up\n", ["line 1", "G_S (or I_A)"]),
    ("cycle,pulse,direction,G_S\n0,1,up,1e-5\n0,2,up,abc\n0,1,down,2e-5\n0,2,down,1e-5\n",
     ["line 3", "'abc' is not a number"]),
    ("cycle,pulse,direction,G_S\n0,1,up,1e-5\n0,2,up,-2e-5\n0,1,down,2e-5\n0,2,down,1e-5\n",
     ["line 3", "conductance -2e-05 is negative"]),
    ("cycle,pulse,direction,G_S\n0,1,up,0\n0,2,up,2e-5\n0,1,down,2e-5\n0,2,down,1e-5\n", ["line 2", "is zero"]),
    ("cycle,pulse,direction,G_S\n0,1,up,1e-5\n0,2,up,nan\n", ["line 3", "not a finite number"]),
    ("cycle,pulse,direction,G_S\n0,1,up,1e-5\n0,1,down,2e-5\n0,2,down,1e-5\n", ["line 2", "a single pulse"]),
    ("cycle,pulse,direction,G_S\n0,1,up,1e-5\n0,2,up,2e-5\n", ["line 2", "no down branch"]),
    ("cycle,pulse,direction,G_S\n0,1,up,1e-5\n0,1,up,2e-5\n", ["line 3", "repeats line 2"]),
    ("cycle,pulse,direction,G_S\n0,1,sideways,1e-5\n", ["line 2", "'sideways' is not a direction"]),
    ("cycle,pulse,direction,G_S\n0,1,up\n", ["line 2", "expected 4 fields"]),
    ("cycle,pulse,direction,G_S\n0.5,1,up,1e-5\n", ["line 2", "not a whole number"]),
    ("cycle,pulse,direction,I_A\n0,1,up,1e-6\n", ["line 1", "--read-voltage"]),
    ("cycle,pulse,direction,G_S\n0,1,up,1e-5\n0,2,up,2e-5\n0,1,down,2e-5\n0,2,down,1e-5\n"
     "1,1,up,1e-5\n1,2,up,2e-5\n1,3,up,3e-5\n1,1,down,2e-5\n1,2,down,1e-5\n", ["line 6", "has 3 pulses"]),
    ("up_data,down_data\n1e-5,2e-5\n", ["column 'up_data' holds 1 value(s)", "a single pulse"]),
    ("up_data,down_data\n1e-5,2e-5\n2e-5,-1e-5\n", ["line 3", "negative"]),
    ("1e-5,2e-5,3e-5\n", ["line 1", "cannot tell the layout"]),
    ("", ["the file is empty"]),
    ("# only a comment\n\n", ["no data rows"]),
]


@pytest.mark.parametrize("content, words", BAD_INPUTS, ids=[w[-1][:30] for _, w in BAD_INPUTS])
def test_bad_input_named_and_nothing_written(tmp_path, capsys, content, words):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    with pytest.raises(MeasuredDataError) as err:
        read_pulse_csv(f)
    for w in words:
        assert w in str(err.value)
    assert str(f) in str(err.value)
    out = tmp_path / "out" / "model.h5"
    assert main(["fit", "--data", str(f), "--out", str(out)]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_files_that_are_not_csv(tmp_path):
    h5 = tmp_path / "result.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00binary")
    with pytest.raises(MeasuredDataError, match="not a CSV text file"):
        read_pulse_csv(h5)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("cycle,pulse,direction,G_S\n0,1,up,1e-5 \xb5S\n".encode("latin-1"))
    with pytest.raises(MeasuredDataError, match="line 2: not a CSV text file"):
        read_pulse_csv(latin)
    with pytest.raises(MeasuredDataError, match="no such file"):
        read_pulse_csv(tmp_path / "missing.csv")
    with pytest.raises(MeasuredDataError, match="unknown format"):
        read_pulse_csv(latin, fmt="wide")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(0, 2 * 2 * P - 1), token=st.sampled_from(["x", "1e-5S", "--", "0x10", "NaN", "-3e-6", "0"]))
def test_any_corrupted_cell_is_reported_at_its_line(tmp_path, row, token):
    _, up, down = _trains(cycles=2)
    lines = _long_csv(up, down).splitlines()
    fields = lines[1 + row].split(",")
    fields[-1] = token
    lines[1 + row] = ",".join(fields)
    f = tmp_path / "corrupt.csv"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(MeasuredDataError, match=f"line {row + 2}:"):
        read_pulse_csv(f)
