"""The switching scenarios (fig2a, fig2b, fig2c, figS5, pt_electrode) on their quick configurations,
run through the command line: the named /derived datasets with units, and physical invariants of the
stored time series (vacancy count conserved, |P| bounded, passive currents).

The switching dynamics are not calibrated, so no paper numbers are asserted. A switching window may be
NaN only when its branch genuinely did not switch: the stored loop then changes R by less than the
configured factor in the switching direction.
"""

import numpy as np
import pytest

from ftjphys.switching_analysis import loop_branches
from scenarios import registry
from scenarios.cli import main
from scenarios.common import device_parameters, parameter_quantities
from scenarios.store import load_derived, read_result

SCENARIOS = ("fig2a", "fig2b", "fig2c", "figS5", "pt_electrode")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """name -> StoredResult of the quick run (each scenario runs once per module)."""
    cache = {}

    def get(name):
        if name not in cache:
            out = tmp_path_factory.mktemp(name) / f"{name}_quick.h5"
            assert main(["run", name, "--quick", "--quiet", "--out", str(out)]) == 0
            assert out.with_suffix(".png").stat().st_size > 10_000
            cache[name] = read_result(out)
        return cache[name]

    return get


def _values(r, path):
    return np.asarray(r.data[path].values)


def _check_units(r, expected: dict, prefix="/derived"):
    for key, units in expected.items():
        q = r.data[f"{prefix}/{key}"]
        assert q.units == units, key
        assert q.long_name, key


def _check_columns(r, group, params_vacancies_m2):
    """Vacancy count of every column at every output equals the initial inventory; |P| <= 1 C/m^2."""
    count = _values(r, f"{group}/vacancy_count_m2")
    assert np.all(np.isfinite(count))
    assert count == pytest.approx(params_vacancies_m2, rel=1e-9)
    P = _values(r, f"{group}/P_C_per_m2")
    assert np.all(np.isfinite(P)) and np.all(np.abs(P) <= 1.0)


def _inventory(r, literature=False):
    if literature:
        return device_parameters(dict(r.config, parameter_set="literature")).vacancy_sheet_density_m2
    return float(r.data["/parameters/vacancy_sheet_density_m2"].values)


def _check_loop_windows(r, loops, derived, width_axis: bool):
    """Every window finite, or NaN with a stored loop that did not switch by the configured factor."""
    min_ratio = r.config["min_switching_ratio"]
    V = _values(r, f"{loops}/V_write_V")
    R_all = np.atleast_2d(_values(r, f"{loops}/R_ohm"))
    win = np.atleast_2d(_values(r, f"{derived}/switching_window_V"))
    asym = np.atleast_1d(_values(r, f"{derived}/asymmetry"))
    assert win.shape == (R_all.shape[0], 2)
    assert r.data[f"{derived}/switching_window_V"].dims == (("pulse_width_s", "polarity") if width_axis
                                                            else ("polarity",))
    pos, neg = loop_branches(V)
    for R, w, a in zip(R_all, win, asym):
        assert np.all(np.isfinite(R) & (R > 0))              # reads at +V_read: passive, positive current
        for k, (branch, direction) in enumerate(((pos, -1), (neg, +1))):
            Rb = R[branch]
            if np.isnan(w[k]):
                extreme = Rb.min() if direction < 0 else Rb.max()
                assert direction * np.log(extreme / Rb[0]) < np.log(min_ratio), (derived, k)
            else:
                assert 0.0 <= w[k] <= r.config["V_max_V"]
        if np.all(np.isfinite(w)) and w.sum() > 0:
            assert a == pytest.approx(abs(w[0] - w[1]) / w.mean(), rel=1e-12)
        else:
            assert np.isnan(a)


# ------------------------------------------------------------------------------------ registry


@pytest.mark.parametrize("name", SCENARIOS)
def test_registered_with_the_interface(name):
    module = registry.get(name)
    for quick_flag in (False, True):
        cfg = module.config(quick=quick_flag)
        assert cfg["parameter_set"] == "yang2022"
        assert isinstance(cfg["overrides"], dict) and isinstance(cfg["literature_comparison"], bool)
        device_parameters(cfg)                                 # the overrides are valid parameter keys


# ------------------------------------------------------------------------------------ fig2a


def test_fig2a_iv_sweep(quick):
    r = quick("fig2a")
    d = load_derived(r.path)
    _check_units(r, {"V_set_V": "V", "V_reset_V": "V", "on_off_ratio": "1", "G_HRS_S": "S", "G_LRS_S": "S",
                     "V_read_V": "V", "set_jump_ratio": "1", "reset_jump_ratio": "1",
                     "polarization_reversal_V": "V"})
    Vm = r.config["V_max_V"]
    for prefix in ("", "literature/"):
        assert np.isfinite(d[f"{prefix}on_off_ratio"]) and d[f"{prefix}on_off_ratio"] > 0
        assert d[f"{prefix}on_off_ratio"] == pytest.approx(d[f"{prefix}G_LRS_S"] / d[f"{prefix}G_HRS_S"])
        # a set/reset voltage is NaN only if no jump reached the configured factor
        for key, ratio, lo, hi in (("V_set_V", "set_jump_ratio", 0.0, Vm), ("V_reset_V", "reset_jump_ratio", -Vm, 0.0)):
            v = d[f"{prefix}{key}"]
            if np.isnan(v):
                assert d[f"{prefix}{ratio}"] < r.config["min_switching_ratio"]
            else:
                assert lo < v < hi
        assert d[f"{prefix}polarization_reversal_V"].shape == (2,)
    for g, lit in (("/iv", False), ("/iv/literature", True)):
        V, I, t = _values(r, f"{g}/V_V"), _values(r, f"{g}/I_A"), _values(r, f"{g}/t_s")
        assert r.data[f"{g}/I_A"].dims == ("t_s",) and r.data[f"{g}/I_A"].units == "A"
        assert np.all(np.diff(t) > 0)
        n = r.config["n_samples"]
        assert V.size == 4 * r.config["cycles"] * (n - 1) + 1
        assert V.max() == pytest.approx(Vm) and V.min() == pytest.approx(-Vm)
        assert np.all(np.isfinite(I)) and np.all(I * V >= 0)  # a passive junction: current follows the bias
        _check_columns(r, g, _inventory(r, lit))


# ------------------------------------------------------------------------------------ fig2b


def test_fig2b_loops_per_width(quick):
    r = quick("fig2b")
    widths = r.config["pulse_widths_s"]
    for prefix in ("/derived", "/derived/literature"):
        _check_units(r, {"pulse_width_s": "s", "R_LRS_ohm": "ohm", "R_HRS_ohm": "ohm", "switching_window_V": "V",
                         "asymmetry": "1", "V_read_V": "V"}, prefix)
        assert _values(r, f"{prefix}/pulse_width_s").tolist() == widths
        assert r.data[f"{prefix}/R_LRS_ohm"].dims == ("pulse_width_s",)
        assert _values(r, f"{prefix}/switching_window_V").shape == (len(widths), 2)
        assert float(_values(r, f"{prefix}/V_read_V")) == r.config["V_read_V"]
    for loops, derived, lit in (("/loops", "/derived", False), ("/loops/literature", "/derived/literature", True)):
        _check_loop_windows(r, loops, derived, width_axis=True)
        R = _values(r, f"{loops}/R_ohm")
        # Written states: LRS = lowest read before the negative branch, HRS = highest read from it on.
        from ftjphys.switching_analysis import loop_branches

        neg = loop_branches(_values(r, f"{loops}/V_write_V"))[1]
        assert _values(r, f"{derived}/R_LRS_ohm") == pytest.approx(R[:, : neg.start].min(axis=1), rel=1e-12)
        assert _values(r, f"{derived}/R_HRS_ohm") == pytest.approx(R[:, neg.start:].max(axis=1), rel=1e-12)
        _check_columns(r, loops, _inventory(r, lit))
    V = _values(r, "/loops/V_write_V")
    step, Vm = r.config["step_V"], r.config["V_max_V"]
    assert V[0] == 0.0 and V[-1] == 0.0 and V.max() == Vm and V.min() == -Vm
    assert np.abs(np.diff(V)) == pytest.approx(step)


# ------------------------------------------------------------------------------------ fig2c


def test_fig2c_retention(quick):
    r = quick("fig2c")
    names = [s["name"] for s in r.config["states"]]
    for prefix, g, lit in (("/derived", "/retention", False), ("/derived/literature", "/retention/literature", True)):
        _check_units(r, {"retention_drift": "1", "state_names": "1", "R_first_ohm": "ohm", "R_last_ohm": "ohm",
                         "V_read_V": "V"}, prefix)
        assert list(_values(r, f"{prefix}/state_names")) == names
        drift = _values(r, f"{prefix}/retention_drift")
        assert drift.shape == (3,) and np.all(np.isfinite(drift)) and np.all(drift >= 0)
        R = _values(r, f"{g}/R_ohm")
        assert r.data[f"{g}/R_ohm"].dims == ("state", "t_s")
        assert np.all(np.isfinite(R) & (R > 0))
        assert drift == pytest.approx(np.max(np.abs(R / R[:, :1] - 1), axis=1), rel=1e-12)
        t = _values(r, f"{g}/t_s")
        assert t[0] == pytest.approx(r.config["t_first_read_s"]) and t[-1] == pytest.approx(r.config["t_hold_s"])
        assert _values(r, f"{g}/t_since_write_s") == pytest.approx(np.broadcast_to(t, R.shape), rel=1e-9)
        _check_columns(r, g, _inventory(r, lit))


# ------------------------------------------------------------------------------------ figS5 / Pt


def test_figS5_reference_device(quick):
    r = quick("figS5")
    for prefix in ("/derived", "/derived/device"):
        _check_units(r, {"switching_window_V": "V", "asymmetry": "1", "R_LRS_ohm": "ohm", "R_HRS_ohm": "ohm",
                         "pulse_width_s": "s"}, prefix)
        assert _values(r, f"{prefix}/switching_window_V").shape == (2,)
        assert _values(r, f"{prefix}/asymmetry").shape == ()
    _check_loop_windows(r, "/loops", "/derived", width_axis=False)
    _check_loop_windows(r, "/loops/device", "/derived/device", width_axis=False)
    for g in ("/loops", "/loops/device"):
        _check_columns(r, g, _inventory(r))
    # the reference is the configured set with migration off and nothing else changed
    expected = parameter_quantities(device_parameters(r.config).replace(**{"vacancies.migration": False}))
    for path, q in expected.items():
        assert np.all(np.asarray(r.data[path].values) == np.asarray(q.values)), path
    assert not bool(r.data["/parameters/vacancies/migration"].values)


def test_pt_electrode_beside_cr(quick):
    r = quick("pt_electrode")
    for prefix in ("/derived", "/derived/cr"):
        _check_units(r, {"switching_window_V": "V", "asymmetry": "1", "R_LRS_ohm": "ohm", "R_HRS_ohm": "ohm"},
                     prefix)
        assert _values(r, f"{prefix}/switching_window_V").shape == (2,)
    _check_loop_windows(r, "/loops", "/derived", width_axis=False)
    _check_loop_windows(r, "/loops/cr", "/derived/cr", width_axis=False)
    for g in ("/loops", "/loops/cr"):
        _check_columns(r, g, _inventory(r))
    assert str(r.data["/parameters/top_electrode/name"].values) == "Pt"
    # the Cr numbers are those of the same configuration with a Cr electrode (figS5's "device" run)
    s5 = quick("figS5")
    if s5.config["overrides"] == r.config["overrides"] and s5.config["pulse_width_s"] == r.config["pulse_width_s"]:
        assert _values(r, "/loops/cr/R_ohm") == pytest.approx(_values(s5, "/loops/device/R_ohm"), rel=1e-9)
