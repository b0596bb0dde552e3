"""Registry of scenarios: one module per figure, imported lazily by name.

A scenario module exposes ``NAME: str``, ``DESCRIPTION: str``,
``config(quick: bool = False) -> dict``, ``run(config: dict, progress: bool = True)
-> RunResult`` and ``plot(h5_path, png_path) -> None`` (reads the HDF5 file only).
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Scenario name -> importable module path.
SCENARIOS: dict[str, str] = {
    "fig5": "scenarios.fig5",
    "fig2a": "scenarios.fig2a",
    "fig2b": "scenarios.fig2b",
    "fig2c": "scenarios.fig2c",
    "figS5": "scenarios.figS5",
    "pt_electrode": "scenarios.pt_electrode",
    "fig3": "scenarios.fig3",
    "fig2d": "scenarios.fig2d",
    "fig2ef": "scenarios.fig2ef",
    "fig4a": "scenarios.fig4a",
    "figS6": "scenarios.figS6",
    "figS4": "scenarios.figS4",
    "fig4": "scenarios.fig4",
    "figS9": "scenarios.figS9",
    "compact": "scenarios.compact",
    "nl_width": "scenarios.nl_width",
    "nl_onset": "scenarios.nl_onset",
}

REQUIRED_ATTRIBUTES = ("NAME", "DESCRIPTION", "config", "run", "plot")


class UnknownScenarioError(ValueError):
    """No scenario is registered under the requested name."""


def names() -> list[str]:
    """Registered scenario names, sorted."""
    return sorted(SCENARIOS)


def _check_known(name: str) -> None:
    if name not in SCENARIOS:
        known = ", ".join(names()) or "(none)"
        raise UnknownScenarioError(f"unknown scenario {name!r}; known scenarios: {known}")


def get(name: str) -> ModuleType:
    """Import and return the scenario module registered as ``name``.

    Raises UnknownScenarioError (a ValueError) for an unknown name (listing the known ones) and TypeError
    when the module lacks part of the scenario interface; import errors propagate.
    """
    _check_known(name)
    module = importlib.import_module(SCENARIOS[name])
    missing = [attr for attr in REQUIRED_ATTRIBUTES if not hasattr(module, attr)]
    if missing:
        raise TypeError(f"scenario module {module.__name__} lacks {', '.join(missing)}")
    if module.NAME != name:
        raise TypeError(f"scenario module {module.__name__} has NAME {module.NAME!r}, registered as {name!r}")
    return module


def describe(name: str) -> str:
    """The scenario's DESCRIPTION, or a note saying why its module is unavailable."""
    _check_known(name)
    try:
        return str(get(name).DESCRIPTION)
    except Exception as exc:  # a broken module must not break the listing
        return f"(unavailable: {type(exc).__name__}: {exc})"
