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
