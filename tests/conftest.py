"""``--runslow`` runs the tests marked ``slow``: the acceptance checks of the full results of ``make all``."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the slow tests (acceptance checks of the full results in results/)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="full-result check: run with --runslow (make test-full) after make all")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
