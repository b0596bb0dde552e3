"""Compact model: the nonlinearity conversions of research/analog-tools.md §7, NeuroSim's label table,
paper eq. (1), and strict serialisation."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftjphys.compact_model import (
    LINEAR_NORM_A,
    SCHEMA_VERSION,
    BranchTable,
    CompactModel,
    StdpWindow,
    Variability,
    aihwkit_gamma,
    crosssim_alpha,
    exponential_curve,
    neurosim_label_from_norm_A,
    norm_A_from_neurosim_label,
    norm_A_from_paper_nl,
    paper_nl_from_norm_A,
    paper_nl_of_train,
)

# research/analog-tools.md §7: paper NL -> NeuroSim label, normA, CrossSim alpha, aihwkit gamma (as printed,
# alpha computed there from the rounded normA)
TABLE_S7 = [
    (0.05, 0.25, 5.05, 0.20, 0.099),
    (0.10, 0.51, 2.47, 0.40, 0.200),
    (0.13, 0.66, 1.91, 0.52, 0.256),
    (0.15, 0.76, 1.65, 0.61, 0.294),
    (0.17, 0.86, 1.46, 0.69, 0.330),
    (0.30, 1.53, 0.81, 1.24, 0.550),
    (0.61, 3.24, 0.353, 2.84, 0.889),
    (0.63, 3.36, 0.337, 2.96, 0.902),
    (0.65, 3.48, 0.323, 3.10, 0.914),
]


@pytest.mark.parametrize("nl, label, norm_A, alpha, gamma", TABLE_S7)
def test_conversions_match_analog_tools_table(nl, label, norm_A, alpha, gamma):
    # from the table's normA (3 significant digits) to the other columns (2-3 decimals)
    assert paper_nl_from_norm_A(norm_A) == pytest.approx(nl, abs=0.005)
    assert neurosim_label_from_norm_A(norm_A) == pytest.approx(label, abs=0.01)
    assert crosssim_alpha(norm_A) == pytest.approx(alpha, abs=0.01)
    assert aihwkit_gamma(norm_A) == pytest.approx(gamma, abs=0.0015)
    # and from the printed NL back: normA within the NL's rounding (0.005 of NL at NL 0.05 is 1 % of normA)
    a = norm_A_from_paper_nl(nl)
    assert a == pytest.approx(norm_A, rel=0.012)
    assert paper_nl_from_norm_A(a) == pytest.approx(nl, abs=1e-10)


@pytest.mark.parametrize("nl, norm_A, alpha, gamma", [(0.15, 1.65, 0.61, 0.294), (0.63, 0.337, 2.96, 0.902)])
def test_headline_conversions(nl, norm_A, alpha, gamma):
    # the device (NL 0.15) and the reference device (NL 0.63) of the paper
    a = norm_A_from_paper_nl(nl)
    assert a == pytest.approx(norm_A, rel=3e-3)
    assert crosssim_alpha(a) == pytest.approx(alpha, abs=0.007)
    assert aihwkit_gamma(a) == pytest.approx(gamma, abs=0.001)


@pytest.mark.parametrize("label, norm_A", [(0.01, 126.269), (1.00, 1.2517), (1.51, 0.8195), (2.40, 0.4992),
                                           (3.01, 0.3853), (4.88, 0.2003), (7.51, 0.0702), (9.00, 0.0228)])
def test_neurosim_label_reproduces_neurosim_normA_table(label, norm_A):
    # MLP_NeuroSim_V3.0 documents/Nonlinearity-NormA.htm, 4-5 significant digits
    assert norm_A_from_neurosim_label(label) == pytest.approx(norm_A, rel=1.5e-3)
    assert norm_A_from_neurosim_label(-label) == norm_A_from_neurosim_label(label)


@pytest.mark.parametrize("label, nl", [(1, 0.197), (2, 0.389), (2.4, 0.463), (3, 0.569), (4, 0.73), (5, 0.862),
                                       (6, 0.951)])
def test_label_to_paper_nl(label, nl):
    assert paper_nl_from_norm_A(norm_A_from_neurosim_label(label)) == pytest.approx(nl, abs=2e-3)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.03, 200.0))
def test_inverse_conversions(norm_A):
    assert norm_A_from_paper_nl(paper_nl_from_norm_A(norm_A)) == pytest.approx(norm_A, rel=1e-6)
    assert norm_A_from_neurosim_label(neurosim_label_from_norm_A(norm_A)) == pytest.approx(norm_A, rel=1e-6)
    x = np.linspace(0.0, 1.0, 20001)
    deviation = np.max(np.abs(exponential_curve(x, norm_A) - x))
    assert neurosim_label_from_norm_A(norm_A) == pytest.approx(deviation / 0.099, rel=1e-6)


def test_linear_limit():
    assert neurosim_label_from_norm_A(LINEAR_NORM_A) == 0.0
    assert norm_A_from_neurosim_label(0.0) == LINEAR_NORM_A
    assert crosssim_alpha(LINEAR_NORM_A) == 0.0 and aihwkit_gamma(LINEAR_NORM_A) == 0.0


def test_paper_nl_of_train_and_model_summary():
    m = CompactModel.synthetic(nl_potentiation=0.63, nl_depression=0.63, n_pulses=150)
    up, down = m.mean_train()
    assert up[-1] == pytest.approx(1.0, abs=1e-12) and down[-1] == pytest.approx(0.0, abs=1e-12)
    s = m.summary()
    # eq. (1) on the discrete train (reads after pulses 1..150) is the continuous NL plus about one step
    assert s["NL_paper"] == pytest.approx(paper_nl_of_train(m.to_G_S(up), m.to_G_S(down)))
    assert 0.63 < s["NL_paper"] < 0.66
    assert s["potentiation"]["neurosim_label"] == pytest.approx(3.36, abs=0.006)
    assert s["depression"]["neurosim_label"] == pytest.approx(-3.36, abs=0.006)
    assert s["potentiation"]["A_pulses"] == pytest.approx(0.337 * 150, rel=2e-3)
    with pytest.raises(ValueError, match="same length"):
        paper_nl_of_train(up, down[:-1])


# ---------------------------------------------------------------------------- serialisation


def _model() -> CompactModel:
    m = CompactModel.synthetic(name="t", nl_potentiation=0.15, nl_depression=0.3,
                               variability=Variability(0.054, 0.083, "c2c def", "d2d def", 0.4, 0.1),
                               stdp=StdpWindow.paper())
    return CompactModel(m.name, m.G_min_S, m.G_max_S, m.potentiation, m.depression, m.variability, m.stdp, 0.1,
                        {"amplitude_up_V": np.linspace(2, 5, 4), "width_s": 1e-3}, {"source": {"seed": np.int64(3)}},
                        fit_report={"rms": np.float64(0.01), "nan": float("nan")})


def test_round_trip_identical():
    m = _model()
    d = m.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = CompactModel.from_dict(json.loads(text))
    assert back.to_dict() == d
    np.testing.assert_array_equal(back.potentiation.step_mean, m.potentiation.step_mean)
    assert back.stdp == m.stdp and back.variability == m.variability
    assert back.pulse["amplitude_up_V"] == [2.0, 3.0, 4.0, 5.0] and back.fit_report["nan"] is None
    no_vr = CompactModel.from_dict({**d, "read_voltage_V": None, "stdp": None})
    assert math.isnan(no_vr.read_voltage_V) and no_vr.stdp is None


def test_wrong_schema_version_refused():
    d = _model().to_dict()
    d["schema_version"] = "0.9"
    with pytest.raises(ValueError, match=r"schema_version = '0.9' is not supported; allowed: '1.0'"):
        CompactModel.from_dict(d)
    del d["schema_version"]
    with pytest.raises(ValueError, match="missing field 'schema_version'"):
        CompactModel.from_dict(d)
    assert SCHEMA_VERSION == "1.0"


@pytest.mark.parametrize("path", ["name", "G_max_S", "variability", "stdp", "fit_report", "potentiation.step_std",
                                  "depression.norm_A", "variability.pulse_sigma_rel", "stdp.tau_minus_s"])
def test_missing_field_refused(path):
    d = _model().to_dict()
    node = d
    *parents, leaf = path.split(".")
    for p in parents:
        node = node[p]
    del node[leaf]
    with pytest.raises(ValueError, match=f"missing field '{path}'"):
        CompactModel.from_dict(d)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(extra=1), "unknown field 'extra'"),
    (lambda d: d["potentiation"].update(table=[1]), "unknown field 'potentiation.table'"),
    (lambda d: d.update(G_min_S="40e-6"), "'G_min_S' = '40e-6' is not a number"),
    (lambda d: d["depression"].update(n_pulses=1.5), "'depression.n_pulses' = 1.5 is not an integer"),
    (lambda d: d["potentiation"].update(step_mean=["a"] * 101), "'potentiation.step_mean' is not a list of numbers"),
    (lambda d: d.update(schema="other"), "schema = 'other'"),
    (lambda d: d.update(G_max_S=1e-6), "G_max_S"),
])
def test_bad_fields_refused(change, message):
    d = copy.deepcopy(_model().to_dict())
    change(d)
    with pytest.raises(ValueError, match=message):
        CompactModel.from_dict(d)


def test_branch_table_validation():
    with pytest.raises(ValueError, match="uniform grid"):
        BranchTable(np.array([0.0, 0.3, 1.0]), np.ones(3), np.zeros(3), 10, 1.0)
    with pytest.raises(ValueError, match="steps ≥ 0"):
        m = CompactModel.synthetic()
        CompactModel("x", 1e-5, 2e-5, m.depression, m.potentiation)
