"""Acceptance checks of the full scenario runs in ``results/`` (written by ``make all``): the paper's targets
for the switching figures (Figs. 2b, 2c, S5, the Pt device), the variability of Fig. S4, the width and onset sweeps
(nl_width, nl_onset), the STDP window (Fig. 4a) and both learning runners on the compact model (Figs. 3, 4, S9), each
with the tolerance of its target. Marked slow: ``make test-full`` runs them (on ``$FTJPHYS_RESULTS`` if set); a
missing result file is an error."""

import os
from pathlib import Path

import numpy as np
import pytest

from scenarios.store import read_result

RESULTS = Path(os.environ.get("FTJPHYS_RESULTS", Path(__file__).resolve().parents[1] / "results"))
pytestmark = pytest.mark.slow


def _result(name):
    path = RESULTS / f"{name}.h5"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make {name}` (or `make all`) first")
    return read_result(path)


def _v(r, key):
    return np.asarray(r.data[key].values)


def test_fig2b_resistances_and_windows_meet_the_paper():
    r = _result("fig2b")
    widths, R_LRS, R_HRS = _v(r, "/derived/pulse_width_s"), _v(r, "/derived/R_LRS_ohm"), _v(r, "/derived/R_HRS_ohm")
    short = widths <= 1e-4
    assert np.all((R_LRS[short] >= 500) & (R_LRS[short] <= 2000))           # ~1 kOhm for 1-100 us
    assert np.all((R_LRS[~short] >= 200) & (R_LRS[~short] <= 800))          # ~0.4 kOhm at 1 ms
    assert np.all(R_HRS > R_LRS)
    w = _v(r, "/derived/switching_window_V")                                  # [width, polarity]
    assert np.all((w >= 1.5) & (w <= 2.5))
    assert np.all(np.abs(w[:, 0] - w[:, 1]) / w.mean(axis=1) <= 0.30)       # polarities within 30 %
    assert "/derived/literature/switching_window_V" in r.data
    assert float(_v(r, "/derived/V_read_V")) > 0                             # stored with the figure


@pytest.mark.xfail(strict=True, reason="tension with Fig. 2d / S5 (README, Calibration): at the activation field "
                   "that puts both NLs in range (200 MV/cm), 1 us writes to 4 V leave more columns unset, so the "
                   "1 us HRS is 4 % above the 10 us one (14.5 / 13.9 / 14.5 / 14.4 kOhm for 1 / 10 / 100 us / 1 ms); "
                   "at 186 MV/cm the 1 us / 10 us / 1 ms values grow (14.1 / 14.2 / 16.2 kOhm)")
def test_fig2b_hrs_grows_with_the_write_width():
    r = _result("fig2b")
    widths, R_HRS = _v(r, "/derived/pulse_width_s"), _v(r, "/derived/R_HRS_ohm")
    assert np.all(np.diff(R_HRS[np.argsort(widths)]) > 0)


def test_fig2d_and_figS5_nl_meet_the_paper_and_the_vacancies_linearize():
    # the paper's central claim: the device's NL 0.13-0.17 (accept 0.10-0.20, mean of 5 cycles) against the
    # reference device's 0.61-0.65 (accept 0.50-0.75), the only difference being vacancy migration
    nl = float(_v(_result("fig2d"), "/derived/NL"))
    s5 = _result("figS5")
    ref, dev = float(_v(s5, "/derived/NL")), float(_v(s5, "/derived/device/NL"))
    assert 0.10 <= nl <= 0.20
    assert 0.50 <= ref <= 0.75
    assert dev < 0.5 * ref


def test_fig2c_retention_holds_with_traps_and_not_without():
    r = _result("fig2c")
    drift = _v(r, "/derived/retention_drift")
    assert drift.size >= 3 and np.all(drift <= 0.10)
    assert np.max(_v(r, "/derived/literature/retention_drift")) > 0.10     # what the trapping buys


def test_figS5_reference_window_is_narrower_and_pt_is_more_asymmetric():
    s5 = _result("figS5")
    ratio = _v(s5, "/derived/window_ratio_to_device")
    assert ratio.shape == (2,) and np.all(ratio < 1.0)
    assert np.allclose(ratio, _v(s5, "/derived/switching_window_V") / _v(s5, "/derived/device/switching_window_V"))
    pt = _result("pt_electrode")
    assert float(_v(pt, "/derived/asymmetry")) > 2.0 * float(_v(pt, "/derived/cr/asymmetry"))


@pytest.mark.xfail(strict=True, reason="the late Cr/BaTiO3 exchange amplifies the nucleation noise (c2c 13.9 %, "
                   "d2d 14.1 %), and the cycle-to-cycle drift of the trains keeps c2c at 7.9 % even at a "
                   "nucleation spread of 0.0025 (README, figS4); met at the previous calibration (5.0 % / 7.4 %)")
def test_figS4_variability_is_in_the_paper_range():
    r = _result("figS4")
    assert 0.027 <= float(_v(r, "/derived/c2c")) <= 0.081                   # paper 5.4 %
    assert 0.04 <= float(_v(r, "/derived/d2d")) <= 0.125                    # paper 8.3 %


def test_nl_width_the_ramp_linearizes_at_short_writes_and_the_vacancies_linearize_at_long_ones():
    # the README's reading of nl_width: NL rises with the write width for both devices, the device (vacancy
    # migration on) is below the reference from 100 ns up and in the paper's 0.10-0.20 at the paper's 1 ms
    r = _result("nl_width")
    w, nl, ref = _v(r, "/derived/width_s"), _v(r, "/derived/NL"), _v(r, "/derived/reference/NL")
    order = np.argsort(w)
    assert np.all(np.diff(nl[order]) > 0) and np.all(np.diff(ref[order]) > 0)
    assert 0.10 <= float(nl[np.isclose(w, 1e-3)][0]) <= 0.20
    assert np.all(nl[w >= 1e-7] < ref[w >= 1e-7])
    share = _v(r, "/derived/first_step_share_depression")
    assert np.all(np.diff(share[order]) > 0)                 # the first -2 V pulse takes more of the swing
    assert np.all(share[w >= 1e-7] < _v(r, "/derived/reference/first_step_share_depression")[w >= 1e-7])


def test_nl_onset_a_later_onset_centres_the_domains_and_the_exchange_linearizes_at_every_field():
    # the README's reading of nl_onset: raising the domains' activation field moves the set threshold up and
    # lowers the reference device's NL (its ramp starts below more of the ensemble); the device stays below
    # the reference at every field, with a smaller first-pulse depression share; the loops lose Fig. 2b's
    # LRS above the calibrated field, where both NLs are in the paper's ranges
    r = _result("nl_onset")
    Ea = _v(r, "/derived/activation_field_V_per_m")
    order = np.argsort(Ea)
    nl, ref = _v(r, "/derived/NL")[order], _v(r, "/derived/reference/NL")[order]
    short = int(np.argmin(_v(r, "/derived/loop_width_s")))
    V50_set = _v(r, "/derived/switching_V50_V")[order, short, 0]
    switched = np.isfinite(V50_set)                          # the 1 us loop to 4 V may not switch at all
    assert switched[0] and np.all(np.diff(V50_set[switched]) > 0)
    assert np.all(np.diff(ref) < 0)
    assert np.all(nl < ref)
    share, share_ref = (_v(r, f"/derived/{g}first_step_share_depression")[order] for g in ("", "reference/"))
    assert np.all(share < share_ref)
    meets = {k: _v(r, f"/derived/meets_{k}")[order] for k in ("fig2b", "fig2d", "figS5")}
    assert meets["fig2b"][0] and meets["fig2d"][0] and meets["figS5"][0]     # the calibrated field meets all
    assert not meets["fig2b"][-1]
    # ablations at 1.1x: without the Cr/BaTiO3 exchange, or without the band lowering through which its
    # vacancies thin the barrier, the device's NL rises most of the way to the reference's
    names = list(_v(r, "/derived/ablation/ablation"))
    at = int(np.flatnonzero(np.isclose(_v(r, "/derived/activation_scale"), r.config["ablation_scale"]))[0])
    for name in ("no exchange", "no band lowering", "no exchange, no band lowering"):
        k = names.index(name)
        assert _v(r, "/derived/ablation/NL")[k] > 0.5 * _v(r, "/derived/reference/NL")[at] > _v(r, "/derived/NL")[at]


def test_fig4a_stdp_window_is_balanced_from_every_initial_state():
    # paper eq. (2) fit: A+/A- 0.96 (accept 0.8-1.2), tau+/tau- 0.90 (accept 0.7-1.3), and Fig. S8's state
    # independence: A+/A- of the three initial states within 15 % of each other
    r = _result("fig4a")
    assert 0.8 <= float(_v(r, "/derived/A_ratio")) <= 1.2
    assert 0.7 <= float(_v(r, "/derived/tau_ratio")) <= 1.3
    ratios = _v(r, "/derived/A_ratio_states")
    assert ratios.size == 3 and (ratios.max() - ratios.min()) / ratios.mean() < 0.15
    # the window comes from the overlap: each spike alone writes less than 1 % of the fitted amplitudes
    lone = np.abs(np.concatenate([_v(r, f"/derived/dW_lone_{w}_percent_states") for w in ("pre", "post")]))
    assert np.max(lone) < 0.01 * min(np.min(_v(r, "/derived/A_plus_states")), np.min(_v(r, "/derived/A_minus_states")))


def test_fig4_the_device_window_learns_the_letters_robustly():
    # paper Fig. 4e, 10-seed means: 100 % at noise 0, >= 95 % up to noise 0.5, >= 80 % at 0.8; five
    # specialists; bimodal weights (>= 90 % within 0.1 of a bound) after 100 epochs
    r = _result("fig4")
    assert r.config["model"] == "results/compact_model.h5" and r.config["epochs"] == 100
    noise, rec = _v(r, "/derived/noise_level"), _v(r, "/derived/recognition_mean")
    assert rec[np.isclose(noise, 0.0)][0] == 1.0
    assert np.all(rec[noise <= 0.5 + 1e-9] >= 0.95)
    assert rec[np.isclose(noise, 0.8)][0] >= 0.80
    assert int(_v(r, "/derived/specialists")) == 5
    assert float(_v(r, "/derived/bimodal_fraction")) >= 0.9


@pytest.mark.xfail(strict=True, reason="the device's compact model turns the balanced window (in % of G) into "
                   "state-dependent pulse counts: relative to g = 0.5 the potentiation/depression step ratio is "
                   "0.5-0.8 below g = 0.5 and 2-4 above 0.6, so background pairings push weights apart like an "
                   "unbalanced window; clean recognition of the balanced window 0.99 / 0.83 / 0.65 at 0 / 0.2 / 0.5 "
                   "per tau+, A+/A- = 2 at 0.2: 0.68. With both steps held at their g = 0.5 values (network.step_shape="
                   "constant, noise kept) it is met: 0.80 / 0.00 / 0.41 for 0.96 / 0.5 / 2 at 0.5 (README, figS9)")
def test_figS9_background_input_separates_the_balanced_window_from_unbalanced_ones():
    # at the stated background rate the balanced window keeps >= 80 % clean recognition, while A+/A- = 0.5
    # and 2 lose it (<= 60 %) or run away (weight mean within 10 % of a bound)
    r = _result("figS9")
    rates, ratios = _v(r, "/derived/background_rate"), _v(r, "/derived/ratio")
    j = int(np.flatnonzero(np.isclose(rates, float(_v(r, "/derived/stated_background_rate"))))[0])
    clean, mean = _v(r, "/derived/clean_recognition")[:, j], _v(r, "/derived/weight_mean")[:, j]
    own = int(np.argmin(np.abs(ratios - float(_v(r, "/derived/balanced_ratio")))))
    assert clean[own] >= 0.80
    for ratio in (0.5, 2.0):
        k = int(np.flatnonzero(np.isclose(ratios, ratio))[0])
        assert clean[k] <= 0.60 or mean[k] <= 0.1 or mean[k] >= 0.9


def test_fig3_ideal_and_reference_meet_the_targets():
    # 6,000 / 1,000 images, mean of epochs 16-20 and 3 seeds: ideal >= 95 %; the reference device at least
    # 1.5 points below the FTJ (paper: 96.7 vs 93.9 %)
    r = _result("fig3")
    assert r.config["train_size"] == 6000 and r.config["test_size"] == 1000 and r.config["n_seeds"] == 3
    assert float(_v(r, "/derived/accuracy_ideal")) >= 95.0
    assert float(_v(r, "/derived/accuracy_reference")) <= float(_v(r, "/derived/accuracy_ftj")) - 1.5


@pytest.mark.xfail(strict=True, reason="FTJ 94.11 % against ideal 95.65 %: 1.54 points (README, Fig. 3); the compact "
                   "model's depression branch (NL 0.52 as an exponential pair, first step 26x the mean)")
def test_fig3_ftj_is_within_1p5_points_of_ideal():
    r = _result("fig3")
    assert float(_v(r, "/derived/gap_ideal_ftj")) <= 1.5


@pytest.mark.xfail(strict=True, reason="NL 0 -> 0.1 rises by 0.56 points (95.05 -> 95.61 %, every seed), beyond the "
                   "0.5 slack, with the per-layer weight ranges (README, Fig. 3)")
def test_fig3_accuracy_does_not_rise_with_nl():
    r = _result("fig3")
    assert _v(r, "/derived/nl_sweep_NL").size >= 7
    assert float(_v(r, "/derived/nl_sweep_max_rise")) <= 0.5


@pytest.mark.xfail(strict=True, reason="stochastic rounding averages the per-pulse noise out: the FTJ with c2c and "
                   "d2d is level with the FTJ without (94.13 vs 94.11 %; paper 92.1 vs 96.7 %)")
def test_fig3_variation_costs_accuracy():
    r = _result("fig3")
    assert float(_v(r, "/derived/accuracy_variation")) < float(_v(r, "/derived/accuracy_ftj"))
