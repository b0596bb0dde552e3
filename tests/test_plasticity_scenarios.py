"""Pulse-train, variability and STDP scenarios (fig2d, figS5 trains, figS6, figS4, fig4a) on their quick
configurations through the command line, the consistency report, and the train analysis functions.

The switching dynamics of the quick runs use one or two domain columns, so the paper's numbers are not
asserted here (the full runs are judged by ``make consistency``); the tests check the stored layout,
units and physical invariants: conductance positive and finite, the NL of eq. (1) as recomputed from the
stored train, the pulse scheme, deterministic Monte Carlo for a seed.
"""

import numpy as np
import pytest

from ftjphys.compact_model import CompactModel, apply_pulses
from ftjphys.plasticity import paper_nl, split_branches, step_statistics
from scenarios.cli import main
from scenarios.consistency import report
from scenarios.store import read_result


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    cache = {}

    def get(name, *sets):
        key = (name,) + sets
        if key not in cache:
            out = tmp_path_factory.mktemp(name) / f"{name}.h5"
            args = ["run", name, "--quick", "--quiet", "--out", str(out)]
            for s in sets:
                args += ["--set", s]
            assert main(args) == 0
            assert out.with_suffix(".png").stat().st_size > 10_000
            cache[key] = (read_result(out), out)
        return cache[key][0]

    get.path = lambda name, *sets: cache[(name,) + sets][1]
    return get


def _v(r, path):
    return np.asarray(r.data[path].values)


# ------------------------------------------------------------------------------- analysis functions


def test_paper_nl_of_an_exponential_train_matches_the_closed_form():
    m = CompactModel.synthetic(nl_potentiation=0.3, nl_depression=0.3, n_pulses=150)
    g = [0.0]
    for d in [1] * 150 + [-1] * 150:
        g.append(float(apply_pulses(m, [g[-1]], 1, d)[0]))
    G = m.to_G_S(np.array(g[1:]))
    # eq. (1) on 150 discrete pulses vs 2 g(1/2) - 1 of the continuous curve: within a pulse's worth
    assert paper_nl(G) == pytest.approx(0.3, abs=0.015)
    assert np.allclose(paper_nl(np.stack([G, G])), paper_nl(G))


def test_paper_nl_is_zero_for_a_linear_mirrored_train_and_rejects_odd_lengths():
    up = np.linspace(1.0, 2.0, 10)
    # eq. (1) pairs G_p(n) with G_D(P+1-n): the mirrored linear train has G_D(m) = G_p(P+1-m)
    assert paper_nl(np.concatenate([up, up[::-1]])) == pytest.approx(0.0, abs=1e-12)
    assert paper_nl(np.concatenate([up, up[::-1] - 0.1])) == pytest.approx(0.1, abs=1e-12)
    with pytest.raises(ValueError, match="even number"):
        split_branches(np.ones(7))


def test_step_statistics_of_a_staircase():
    G = np.concatenate([np.arange(1, 6), np.arange(4, -1, -1)]).astype(float)   # +1 steps, then -1 steps
    pot, dep = step_statistics(np.stack([G, G]))
    assert pot.mean_S == pytest.approx(1.0) and dep.mean_S == pytest.approx(-1.0)
    assert pot.smoothness == pytest.approx(1.0) and dep.std_S == pytest.approx(0.0)


# ------------------------------------------------------------------------------------- scenarios


def test_fig2d_quick(quick):
    r = quick("fig2d")
    G = _v(r, "/derived/G_pulse_S")
    amps = _v(r, "/derived/pulse_amplitude_V")
    P = G.shape[1] // 2
    assert G.shape == (r.config["cycles"], amps.size) and np.all(np.isfinite(G)) and np.all(G > 0)
    assert np.all(amps[:P] > 0) and np.all(amps[P:] < 0) and np.all(np.diff(amps[:P]) > 0)
    assert r.data["/derived/G_pulse_S"].units == "S"
    assert float(_v(r, "/derived/NL")) == pytest.approx(np.mean(paper_nl(G)), rel=1e-12)
    assert float(_v(r, "/derived/G_max_S")) == pytest.approx(G.mean(axis=0).max())
    # potentiation raises G over the branch, depression lowers it
    assert np.all(G[:, P - 1] > G[:, 0]) and np.all(G[:, -1] < G[:, P])
    Gp = _v(r, "/derived/G_polarization_only_S")
    assert Gp.shape == (amps.size,) and np.all(Gp > 0)
    assert np.isfinite(float(_v(r, "/derived/polarization_share")))
    # the switched fraction lies in [0, 1], rises on potentiation and falls on depression; its NL is eq. (1)
    Pcol = _v(r, "/trains/P_C_per_m2")
    Ps = float(np.max(np.abs(Pcol)))                 # written columns sit at the film's Ps
    s = np.clip((Pcol / Ps + 1.0) / 2.0, 0.0, 1.0).mean(axis=1)
    assert np.all(s[:, P - 1] > s[:, 0]) and np.all(s[:, -1] < s[:, P])
    assert float(_v(r, "/derived/NL_switched_fraction")) == pytest.approx(np.mean(paper_nl(s)), abs=0.02)


def test_figS5_quick_has_trains_for_reference_and_device(quick):
    r = quick("figS5")
    for g in ("/derived", "/derived/device"):
        G = _v(r, f"{g}/G_pulse_S")
        assert np.all(G > 0) and float(_v(r, f"{g}/NL")) == pytest.approx(np.mean(paper_nl(G)))
    ratio = _v(r, "/derived/window_ratio_to_device")
    assert ratio.shape == (2,)


def test_figS6_quick_identical_scheme(quick):
    r = quick("figS6")
    amps = _v(r, "/derived/identical/pulse_amplitude_V")
    P = amps.size // 2
    assert np.all(amps[:P] == r.config["identical_amplitude_V"]) and np.all(amps[P:] == -r.config["identical_amplitude_V"])
    for s in ("stepped", "identical"):
        assert float(_v(r, f"/derived/NL_{s}")) == pytest.approx(np.mean(paper_nl(_v(r, f"/derived/{s}/G_pulse_S"))))


def test_first_step_shares_of_a_linear_staircase_and_a_front_loaded_one():
    from scenarios.nl_width import first_step_shares

    P = 10
    up = np.arange(1, P + 1, dtype=float)                  # from 0 (the previous cycle's end) to P
    cycle = np.concatenate((up, up[::-1] - 1.0))           # back down to 0
    assert first_step_shares(np.stack((cycle, cycle))) == pytest.approx((1.0 / P, 1.0 / P))
    dropped = cycle.copy()
    dropped[P:] = [1.0] * (P - 1) + [0.0]                  # depression: 9 of 10 units at the first pulse
    assert first_step_shares(np.stack((cycle, dropped)))[1] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="2 cycles"):
        first_step_shares(cycle[None, :])


def test_nl_width_quick_depression_is_front_loaded_at_long_pulses(quick):
    r = quick("nl_width")
    widths = list(r.config["widths_s"])
    assert widths == sorted(widths) and len(widths) == 2
    for i, w in enumerate(widths):
        G = _v(r, f"/trains/width_{w:g}s/G_pulse_S")
        assert float(_v(r, "/derived/NL")[i]) == pytest.approx(np.mean(paper_nl(G)))
        assert float(_v(r, "/derived/NL_last_cycle")[i]) == pytest.approx(paper_nl(G[-1]))
    # 1 ms writes let the LRS's depolarizing field reset part of the swing at the first -2 V pulse; 100 ns
    # writes leave it for later pulses (quick run, two columns: measured shares 7e-5 and 0.18)
    share = _v(r, "/derived/first_step_share_depression")
    assert share[0] < 0.01 and share[1] > 0.1, share


def test_nl_onset_quick_a_later_onset_centres_the_ramp_and_loses_the_lrs(quick):
    r = quick("nl_onset")
    scales = list(r.config["activation_scales"])
    assert scales == sorted(scales) and len(scales) == 2
    Ea = _v(r, "/derived/activation_field_V_per_m")
    assert Ea[1] / Ea[0] == pytest.approx(scales[1] / scales[0])
    for label in ("", "reference/"):
        for i, s in enumerate(scales):
            G = _v(r, f"/trains/{label}scale_{s:g}/G_pulse_S")
            assert float(_v(r, f"/derived/{label}NL")[i]) == pytest.approx(np.mean(paper_nl(G)))
    # Merz: a doubled activation field moves every threshold up, so the 1 ms ramp starts below more of the
    # ensemble (the reference device's NL falls) and the 1 ms loop to 3 V no longer reaches the LRS
    # (quick run, two columns: reference NL 0.42 -> 1e-4, R_LRS after 1 ms writes 0.93 -> 32 kOhm)
    ref_nl = _v(r, "/derived/reference/NL")
    assert ref_nl[1] < 0.5 * ref_nl[0], ref_nl
    long = int(np.argmax(_v(r, "/derived/loop_width_s")))
    R = _v(r, "/derived/R_LRS_ohm")[:, long]
    assert R[1] > 5.0 * R[0], R
    assert _v(r, "/derived/meets_fig2b").dtype == bool and _v(r, "/derived/meets_figS5").shape == (2,)
    # ablations: each run's NL is eq. (1) of its trains; without the exchange sites and the band lowering of
    # the pile (the two that raise the LRS conductance) the train peaks lowest
    names = list(r.config["ablations"])
    assert list(_v(r, "/derived/ablation/ablation")) == names
    for i in range(len(names)):
        G = _v(r, f"/trains/ablation_{i}/G_pulse_S")
        assert float(_v(r, "/derived/ablation/NL")[i]) == pytest.approx(np.mean(paper_nl(G)))
    G_max = _v(r, "/derived/ablation/G_max_S")
    assert int(np.argmin(G_max)) == names.index("no exchange, no band lowering"), G_max


def test_nl_onset_rejects_bad_sweeps_by_name():
    from scenarios import nl_onset

    for key, value in (("activation_scales", []), ("ablation_scale", 0.0), ("cycles", 1)):
        with pytest.raises(ValueError, match=key):
            nl_onset.run(dict(nl_onset.config(True), **{key: value}), progress=False)


def test_figS4_quick_is_deterministic_for_a_seed(quick, tmp_path):
    r = quick("figS4", "workers=1")
    Gc, Gd = _v(r, "/derived/G_c2c_S"), _v(r, "/derived/G_d2d_S")
    assert Gc.shape[0] == r.config["c2c_cycles"] and Gd.shape[:2] == (r.config["d2d_devices"], r.config["d2d_cycles"])
    assert 0 < float(_v(r, "/derived/c2c")) < 1 and 0 < float(_v(r, "/derived/d2d")) < 1
    # the devices differ (parameter spread), and the same seed gives the same trains in another process layout
    assert not np.allclose(Gd[0], Gd[1])
    out = tmp_path / "again.h5"
    assert main(["run", "figS4", "--quick", "--quiet", "--set", "workers=2", "--out", str(out)]) == 0
    assert np.array_equal(_v(read_result(out), "/derived/G_c2c_S"), Gc)


def test_fig4a_quick_window_is_antisymmetric(quick):
    r = quick("fig4a")
    dt, dW = _v(r, "/derived/dt_s"), _v(r, "/derived/dW_percent")
    assert np.all(np.isfinite(dW)) and dt.size == 2 * len(r.config["delays_s"])
    # post after pre potentiates, post before pre depresses (at the shortest delays of each sign)
    assert dW[dt > 0][0] > 0 and np.min(dW[dt < 0]) < 0
    for name in ("A_plus", "A_minus", "tau_plus_s", "tau_minus_s", "dW0_plus", "dW0_minus"):
        assert np.isfinite(float(_v(r, f"/derived/{name}")))
    # a tau at its bound is flagged (the side's A is then set by the bound, not by the data)
    cap = 10.0 * np.max(np.abs(dt))
    flags = _v(r, "/derived/tau_minus_at_bound_states")
    assert np.array_equal(flags, _v(r, "/derived/tau_minus_s_states") >= (1 - 1e-6) * cap)
    # the controls: after the conditioning pulse each spike alone is sub-threshold (|dW| under 1 % of the
    # window's largest change), so the window comes from the overlap
    lone = np.concatenate([_v(r, "/derived/dW_lone_pre_percent_states"), _v(r, "/derived/dW_lone_post_percent_states")])
    assert lone.size == 2 * len(r.config["prepare_V"]) and np.all(np.isfinite(lone))
    assert np.max(np.abs(lone)) < 0.01 * np.max(np.abs(dW))
    # both branches write comparably (the post spike's swapped amplitudes balance the set/reset asymmetry)
    assert 0.5 < dW[dt > 0][0] / -dW[dt < 0][-1] < 2.0


def test_fig4a_spike_shapes_and_initial_states_from_the_configuration():
    from scenarios import fig4a
    from ftjphys.protocols import SpikePair

    cfg = fig4a.config(False)
    pre, post = (np.array(c) for c in fig4a.pre_post_corners(cfg))
    # exponential tail: tail_V e^(-t/tau) from the end of the peak, then back to 0 V; times strictly increasing
    spike = cfg["spike"]
    t0 = 2 * spike["edge_s"] + spike["peak_width_s"]
    tail = pre[3:-1]
    assert tail.shape[0] == fig4a.EXPONENTIAL_TAIL_CORNERS
    np.testing.assert_allclose(tail[:, 1], spike["tail_V"] * np.exp(-(tail[:, 0] - t0) / spike["tail_tau_s"]))
    assert pre[-1, 1] == 0.0 and np.all(np.diff(pre[:, 0]) > 0)
    # the post spike takes the pre spike's shape with its own amplitudes
    assert post[1, 1] == cfg["post_spike"]["peak_V"] and post[3, 1] == cfg["post_spike"]["tail_V"]
    np.testing.assert_array_equal(post[:, 0], pre[:, 0])
    SpikePair(pre.tolist(), post.tolist(), 1e-3)                      # a valid protocol step
    # without post_spike both spikes have one shape; without a tail time constant the tail is linear
    same = fig4a.pre_post_corners(dict(cfg, post_spike=None))
    assert same[0] == same[1]
    linear = fig4a.spike_corners(dict(spike, tail_tau_s=None))
    assert len(linear) == 5 and linear[3][1] == spike["tail_V"] and linear[4] == (t0 + spike["tail_s"], 0.0)
    # conditioning: one value for every state, or one per state
    assert fig4a.condition_voltages(cfg) == [cfg["condition_V"]] * len(cfg["prepare_V"])
    assert fig4a.condition_voltages(dict(cfg, condition_V=[-1.0, None, -1.4])) == [-1.0, None, -1.4]


def test_consistency_report_names_missing_files_and_judges_present_ones(quick, tmp_path):
    import shutil

    r = quick("fig2d")
    assert "not run (`make fig2d`)" in report(tmp_path)
    shutil.copy(quick.path("fig2d"), tmp_path / "fig2d.h5")
    text = report(tmp_path)
    row = next(line for line in text.splitlines() if "NL (eq. 1)" in line and "Fig. 2d" in line)
    assert f"{float(_v(r, '/derived/NL')):.3g}" in row and ("yes" in row or "**no**" in row)
    assert "not run (`make nl_width`)" in text
    w = quick("nl_width")
    shutil.copy(quick.path("nl_width"), tmp_path / "nl_width.h5")
    text = report(tmp_path)
    row = next(line for line in text.splitlines() if line.startswith("| device: NL (eq. 1)"))
    assert row.count("|") == 2 + len(w.config["widths_s"])
    assert all(f"{v:.3g}" in row for v in _v(w, "/derived/NL"))
    assert "not run (`make nl_onset`)" in text
    o = quick("nl_onset")
    shutil.copy(quick.path("nl_onset"), tmp_path / "nl_onset.h5")
    lines = report(tmp_path).splitlines()
    row = next(line for line in lines if line.startswith("| reference device: NL (eq. 1) |"))
    assert row.count("|") == 2 + len(o.config["activation_scales"])
    assert all(f"{v:.3g}" in row for v in _v(o, "/derived/reference/NL"))
    both = np.asarray(_v(o, "/derived/meets_fig2b")) & np.asarray(_v(o, "/derived/meets_fig2d"))
    assert any(line.startswith("Activation fields where Fig. 2b and Fig. 2d are both met: "
                               + ("none" if not both.any() else "")) for line in lines)


def test_consistency_refuses_a_missing_directory(tmp_path, capsys):
    from scenarios.consistency import main as consistency_main

    with pytest.raises(SystemExit):
        consistency_main(["--dir", str(tmp_path / "absent")])
    assert "--dir" in capsys.readouterr().err and not (tmp_path / "absent").exists()


def test_fig2ef_bins_the_steps_of_a_fig2d_file(quick, tmp_path):
    r = quick("fig2d")
    out = tmp_path / "fig2ef.h5"
    assert main(["run", "fig2ef", "--quiet", "--set", f"source={quick.path('fig2d')}", "--set", "bins=4",
                 "--out", str(out)]) == 0
    e = read_result(out)
    G = _v(r, "/derived/G_pulse_S")
    P = G.shape[1] // 2
    # every step of the trains is binned once: (P - 1) potentiation and P depression steps per cycle
    assert _v(e, "/derived/potentiation_steps_per_bin").sum() == G.shape[0] * (P - 1)
    assert _v(e, "/derived/depression_steps_per_bin").sum() == G.shape[0] * P
    n, m = _v(e, "/derived/potentiation_steps_per_bin"), _v(e, "/derived/dG_potentiation_binned_mean_S")
    assert np.nansum(n * m) / n.sum() == pytest.approx(np.diff(G[:, :P], axis=1).mean(), rel=1e-9)
    assert float(_v(e, "/derived/dG_potentiation_mean_S")) == pytest.approx(step_statistics(G)[0].mean_S)
    assert main(["run", "fig2ef", "--quiet", "--set", f"source={tmp_path / 'missing.h5'}",
                 "--out", str(tmp_path / "x.h5")]) == 2
    assert not (tmp_path / "x.h5").exists()
