"""Switching window, asymmetry and I-V switching on synthetic curves with known answers."""

import numpy as np
import pytest

from ftjphys.switching_analysis import (
    asymmetry,
    branch_switching,
    iv_switching,
    loop_branches,
    loop_switching,
)

R_HRS, R_LRS = 5e4, 1e3


def _logistic(x, centre, width):
    return 1.0 / (1.0 + np.exp(-(x - centre) / width))


def _sigmoid_branch(V_max, centre, width, h, lo, hi):
    """ln R from ln lo to ln hi along |V| in [0, V_max], a logistic normalised to hit both ends exactly,
    and the exact |V| where it passes 10 % and 90 % of the swing."""
    x = np.linspace(0.0, V_max, int(round(V_max / h)) + 1)
    s0, s1 = _logistic(0.0, centre, width), _logistic(V_max, centre, width)
    s = (_logistic(x, centre, width) - s0) / (s1 - s0)
    lnR = np.log(lo) + (np.log(hi) - np.log(lo)) * s

    def inverse(f):
        target = s0 + f * (s1 - s0)
        return centre - width * np.log(1.0 / target - 1.0)

    return x, np.exp(lnR), inverse(0.1), inverse(0.9)


def test_sigmoid_branch_window_matches_the_exact_10_90_width():
    """A dense sigmoid: the interpolated window agrees with the exact one to 1e-6 V."""
    x, R, v10, v90 = _sigmoid_branch(4.0, 1.7, 0.15, 1e-4, R_HRS, R_LRS)
    b = branch_switching(x, R, -1)
    assert b.switched
    assert b.V10_V == pytest.approx(v10, abs=1e-6)
    assert b.V90_V == pytest.approx(v90, abs=1e-6)
    assert b.window_V == pytest.approx(v90 - v10, abs=1e-6)
    assert b.V50_V == pytest.approx(1.7, abs=1e-3)
    assert b.ratio == pytest.approx(R_LRS / R_HRS, rel=1e-12)


def test_piecewise_linear_branch_is_exact_on_a_coarse_grid():
    """ln R linear in |V| between 1 and 3 V: linear interpolation is exact, window = 0.8 * 2 V."""
    V = -np.arange(0.0, 4.01, 0.5)                      # given as applied on the negative branch
    x = np.abs(V)
    frac = np.clip((x - 1.0) / 2.0, 0.0, 1.0)
    R = np.exp(np.log(R_LRS) + frac * (np.log(R_HRS) - np.log(R_LRS)))
    b = branch_switching(V, R, +1)
    assert b.V10_V == pytest.approx(1.2, abs=1e-12)
    assert b.V90_V == pytest.approx(2.8, abs=1e-12)
    assert b.window_V == pytest.approx(1.6, abs=1e-12)


def test_swing_goes_to_the_extreme_not_the_last_point():
    """R falls to 1 kOhm at 2 V and relaxes back to 2 kOhm: the swing is to the minimum."""
    x = np.arange(0.0, 4.01, 0.5)
    lnR = np.interp(x, [0, 1, 2, 4], np.log([R_HRS, R_HRS, R_LRS, 2 * R_LRS]))
    b = branch_switching(x, np.exp(lnR), -1)
    assert b.V10_V == pytest.approx(1.1, abs=1e-12)
    assert b.V90_V == pytest.approx(1.9, abs=1e-12)


@pytest.mark.parametrize("R", [np.full(9, R_HRS), np.geomspace(R_HRS, 0.6 * R_HRS, 9),
                               np.geomspace(R_LRS, R_HRS, 9)])
def test_branch_that_does_not_switch_gives_nan(R):
    """Flat, a change below the factor 2, or a change in the wrong direction: not switched."""
    b = branch_switching(np.linspace(0, 4, 9), R, -1)
    assert not b.switched
    assert np.isnan([b.window_V, b.V10_V, b.V90_V, b.V50_V]).all()
    assert b.ratio == pytest.approx(R.min() / R[0], rel=1e-12)      # how far it got, still reported


def test_asymmetry():
    assert asymmetry(1.0, 1.0) == 0.0
    assert asymmetry(1.0, 3.0) == pytest.approx(1.0, abs=1e-12)
    assert asymmetry(3.0, 1.0) == pytest.approx(1.0, abs=1e-12)
    assert np.isnan(asymmetry(np.nan, 1.0))
    assert np.isnan(asymmetry(0.0, 0.0))


def _synthetic_loop(V_max=4.0, step=0.1, w_pos=0.2, w_neg=0.1, c_pos=1.5, c_neg=2.0):
    """A loop 0 -> +V_max -> -V_max -> 0 with logistic switching in ln R on both branches."""
    n = int(round(V_max / step))
    up = np.linspace(0.0, V_max, n + 1)
    down = np.linspace(V_max, -V_max, 2 * n + 1)[1:]
    back = np.linspace(-V_max, 0.0, n + 1)[1:]
    V = np.concatenate((up, down, back))
    lnH, lnL = np.log(R_HRS), np.log(R_LRS)
    lnR = np.empty_like(V)
    k = up.size
    lnR[:k] = lnH + (lnL - lnH) * _logistic(up, c_pos, w_pos)
    lnR[k:] = lnL + (lnH - lnL) * _logistic(-V[k:], c_neg, w_neg) * (V[k:] <= 0)
    i_min = k + n * 2 - 1
    lnR[i_min + 1:] = lnR[i_min]                           # stays in HRS on the way back
    return V, np.exp(lnR)


def test_loop_branches_and_loop_switching():
    V, R = _synthetic_loop()
    pos, neg = loop_branches(V)
    assert V[pos][0] == 0.0 and V[pos][-1] == 4.0
    assert V[neg][0] == pytest.approx(0.0, abs=1e-12) and V[neg][-1] == -4.0
    assert np.all(np.diff(V[pos]) > 0) and np.all(np.diff(V[neg]) < 0)
    s = loop_switching(V, R)
    # logistic 10-90 width = 2 w ln 9 (saturated ends; the finite ends shift it by < 1e-3 V here,
    # plus the interpolation error of the 0.1 V grid)
    assert s.positive.window_V == pytest.approx(2 * 0.2 * np.log(9), abs=0.02)
    assert s.negative.window_V == pytest.approx(2 * 0.1 * np.log(9), abs=0.03)
    assert s.asymmetry == pytest.approx(asymmetry(*s.windows_V), abs=1e-15)
    assert s.R_LRS_ohm == pytest.approx(R.min()) and s.R_HRS_ohm == pytest.approx(R.max())
    assert s.windows_V.shape == (2,)


def test_loop_without_negative_switching():
    V, R = _synthetic_loop()
    k = int(np.argmax(V))
    R = R.copy()
    R[k:] = R[k]                                            # never leaves the LRS
    s = loop_switching(V, R)
    assert s.positive.switched and not s.negative.switched
    assert np.isnan(s.negative.window_V) and np.isnan(s.asymmetry)


def test_loop_branches_rejects_unipolar():
    with pytest.raises(ValueError, match="bipolar"):
        loop_branches([0.0, 1.0, 2.0, 1.0, 0.0])


def test_iv_switching_on_a_synthetic_bipolar_sweep():
    """Ohmic HRS/LRS with the set at 1.5 V on the up-sweep and the reset at -2.0 V on the way down."""
    G_H, G_L = 1.0 / R_HRS, 1.0 / R_LRS
    seg = np.linspace(0.0, 3.0, 31)
    V = np.concatenate((seg, seg[::-1][1:], -seg[1:], -seg[::-1][1:]))
    G = np.empty_like(V)
    state_low = False
    for i, v in enumerate(V):
        if v >= 1.5 - 1e-9 and i < 31:
            state_low = True
        if v <= -2.0 + 1e-9:
            state_low = False
        G[i] = G_L if state_low else G_H
    # a mild nonlinearity that must not win over the switching jump
    I = G * V * (1.0 + 0.1 * V**2)
    res = iv_switching(V, I, 0.1)
    assert res.V_set_V == pytest.approx(1.45, abs=1e-12)
    assert res.V_reset_V == pytest.approx(-1.95, abs=1e-12)
    assert res.set_jump_ratio == pytest.approx(R_HRS / R_LRS * (1 + 0.1 * 1.5**2) / (1 + 0.1 * 1.4**2), rel=1e-9)
    assert res.on_off_ratio == pytest.approx(R_HRS / R_LRS, rel=1e-9)


def test_iv_without_switching_gives_nan_voltages():
    V = np.concatenate((np.linspace(0, 2, 11), np.linspace(2, -2, 21)[1:], np.linspace(-2, 0, 11)[1:]))
    I = V / 1e3
    res = iv_switching(V, I, 0.1)
    assert np.isnan(res.V_set_V) and np.isnan(res.V_reset_V)
    assert res.on_off_ratio == pytest.approx(1.0, rel=1e-12)


def test_reversal_voltage():
    from ftjphys.switching_analysis import reversal_voltage

    V = np.linspace(0.0, 3.0, 31)
    P = np.tanh((V - 1.23) / 0.2) * 0.2                     # crosses 0 at 1.23 V
    assert reversal_voltage(V, P, +1) == pytest.approx(1.23, abs=2e-3)
    assert np.isnan(reversal_voltage(V, P - 0.5, +1))       # never positive
    assert np.isnan(reversal_voltage(V, P, -1))             # never becomes negative after being positive
    assert reversal_voltage(V, -P, -1) == pytest.approx(1.23, abs=2e-3)


def test_extremes_are_written_states_not_the_pristine_read():
    """The read before any write (pristine state) is excluded from R_HRS: the HRS is what negative writes
    leave, the LRS what positive writes leave."""
    from ftjphys.switching_analysis import loop_switching

    V = np.array([0.0, 1.0, 2.0, 1.0, 0.0, -1.0, -2.0, -1.0, 0.0])
    R = np.array([9e4, 5e3, 1e3, 1e3, 1.1e3, 2e4, 3e4, 3e4, 2.9e4])
    sw = loop_switching(V, R)
    assert sw.R_HRS_ohm == 3e4
    assert sw.R_LRS_ohm == 1e3
