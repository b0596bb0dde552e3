"""The switching calibration's stages: what each fits, what it holds, where it starts."""

import numpy as np
import pytest

from ftjphys.parameters import YANG2022_CALIBRATION, yang2022
from scenarios.calibrate_switching import START, STAGES, _values


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_each_stage_starts_inside_its_bounds_and_maps_to_valid_parameters(stage):
    fixed, free = STAGES[stage]
    x0 = START[stage]
    assert x0.size == len(free)
    for (name, (scale, lo, hi)), x in zip(free.items(), x0):
        assert lo <= x * scale <= hi, name
    yang2022().replace(**_values(x0, stage))           # validated on construction


def test_the_domain_stage_fits_without_exchange_and_the_exchange_stage_holds_the_domains():
    domains = _values(START["domains"], "domains")
    assert domains["vacancies.exchange_site_density_m2"] == 0.0
    exchange = _values(START["exchange"], "exchange")
    assert not any(k.startswith(("domains.", "ferroelectric.")) for k in exchange)
    # every value the exchange stage sets is a calibrated value of yang2022, with its reading
    for key in exchange:
        assert key in YANG2022_CALIBRATION, key
    assert exchange["vacancies.exchange_vacancy_site"] == yang2022().vacancies.exchange_vacancy_site
    assert np.isclose(exchange["vacancies.exchange_layer_thickness_m"],
                      yang2022().vacancies.exchange_layer_thickness_m)


def test_the_spread_stage_brackets_the_calibrated_spread_and_is_a_stage_of_the_command():
    from scenarios.calibrate_switching import SPREAD_BOUNDS, main

    lo, hi = SPREAD_BOUNDS
    spread = yang2022().domains.activation_spread
    assert lo < spread < hi and YANG2022_CALIBRATION["domains.activation_spread"].value == spread
    # the domain stage's own bounds hold it too: the refit stays inside the fitted family
    _, lower, upper = STAGES["domains"][1]["domains.activation_spread"]
    assert lower <= spread <= upper
    with pytest.raises(SystemExit):
        main(["--stage", "unknown"])


def test_the_plasticity_stage_scores_nl_and_smoothness_of_the_trains():
    from scenarios.calibrate_switching import (NL_SCALE, NL_TARGET, REFERENCE_NL_SCALE, REFERENCE_NL_TARGET,
                                               train_residuals)

    P = 30
    up = np.linspace(10e-6, 100e-6, P)
    linear = np.concatenate((up, up[::-1]))[None, :]          # mirror-symmetric: eq. (1) gives 0
    r = train_residuals(linear, linear)
    assert r[0] == pytest.approx(-NL_TARGET / NL_SCALE) and r[1] == pytest.approx(-REFERENCE_NL_TARGET
                                                                                  / REFERENCE_NL_SCALE)
    assert r[2:] == [0.0, 0.0]
    # an abrupt device switching mid-ramp: eq. (1) is low by mirror coincidence, the smoothness terms catch it
    step = np.concatenate((np.full(P // 2, 10e-6), np.full(P - P // 2, 100e-6)))
    r = train_residuals(np.concatenate((step, step[::-1]))[None, :], linear)
    assert r[0] == pytest.approx(-NL_TARGET / NL_SCALE) and r[2] > 10 and r[3] > 10
    # a device that switches early in each branch (saturating in ~P/10 pulses): eq. (1) is near 1
    rise = (1 - np.exp(-np.arange(1, P + 1) / (P / 10))) / (1 - np.exp(-10.0))
    early = np.concatenate((10e-6 + 90e-6 * rise, 100e-6 - 90e-6 * rise))[None, :]
    assert train_residuals(early, linear)[0] > (0.8 - NL_TARGET) / NL_SCALE
    # the stage fits the exchange and the domains' activation field, all calibrated values of yang2022
    for key in _values(START["plasticity"], "plasticity"):
        assert key in YANG2022_CALIBRATION, key
