"""The root finder of the device-spread calibration on functions with known roots."""

import numpy as np
import pytest

from scenarios.calibrate_variability import BASE_SPREAD, scaled_spread, solve_increasing


@pytest.mark.parametrize("power", [0.5, 0.9, 1.0, 2.0])
def test_power_laws_are_solved_in_one_step_from_any_bracket(power):
    calls = []

    def f(x):
        calls.append(x)
        return 0.26 * x**power

    for lo, hi in ((0.3, 0.45), (0.05, 0.1), (1.0, 3.0)):     # root inside, above and below the bracket
        calls.clear()
        x, fx = solve_increasing(f, 0.083, lo, hi, 1e-9, 4, report=lambda line: None)
        assert x == pytest.approx((0.083 / 0.26) ** (1 / power), rel=1e-9) and len(calls) == 3


def test_a_curved_increasing_function_converges_and_a_flat_one_is_refused():
    x, fx = solve_increasing(lambda s: 0.02 + 0.2 * s + 0.3 * s**2, 0.083, 0.3, 0.45, 1e-6, 10,
                             report=lambda line: None)
    assert abs(fx - 0.083) <= 1e-6 and 0.02 + 0.2 * x + 0.3 * x**2 == pytest.approx(0.083, abs=1e-6)
    with pytest.raises(RuntimeError, match="not increasing"):
        solve_increasing(lambda s: 0.05, 0.083, 0.3, 0.45, 1e-6, 4, report=lambda line: None)
    with pytest.raises(RuntimeError, match="in 1 evaluations"):
        solve_increasing(lambda s: np.exp(10 * s), 3.0, 0.01, 0.02, 1e-9, 1, report=lambda line: None)


def test_the_spread_keeps_its_proportions_and_the_default_is_the_calibrated_scale():
    from ftjphys.variability import DeviceSpread
    default = DeviceSpread()
    assert scaled_spread(1.0) == BASE_SPREAD
    for k, v in scaled_spread(0.322).items():
        assert getattr(default, k) == pytest.approx(v, rel=1e-3)


def test_the_command_fits_c2c_or_d2d_and_refuses_another_target(capsys):
    from scenarios.calibrate_variability import TARGET_C2C, TARGET_D2D, main

    assert (TARGET_C2C, TARGET_D2D) == (0.054, 0.083)          # the paper's Fig. S4 numbers
    with pytest.raises(SystemExit):
        main(["--target", "c3c"])
    assert "--target" in capsys.readouterr().err
