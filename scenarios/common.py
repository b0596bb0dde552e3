"""Shared pieces of the scenario modules: parameter sets from a configuration, and the
``/parameters`` group of the HDF5 file."""

from __future__ import annotations

import dataclasses
import json

from ftjphys.parameters import DeviceParameters, parameter_set

from .store import Quantity

# Units from the identifier's suffix (the code's naming convention).
_SUFFIX_UNITS = (("_C_per_m2", "C/m^2"), ("_V_per_m", "V/m"), ("_F_per_m", "F/m"), ("_m2", "m^2"),
                 ("_m3", "m^-3"), ("_kg", "kg"), ("_J", "J"), ("_K", "K"), ("_m", "m"), ("_s", "s"),
                 ("_V", "V"), ("_ohm", "ohm"))


def units_of(name: str) -> str:
    for suffix, units in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return units
    return "1"


def device_parameters(config: dict) -> DeviceParameters:
    """The parameter set named in ``config["parameter_set"]`` with ``config["overrides"]`` applied."""
    params = parameter_set(config["parameter_set"], config.get("top_electrode", "Cr"))
    overrides = config.get("overrides") or {}
    return params.replace(**overrides) if overrides else params


def parameter_quantities(params: DeviceParameters, prefix: str = "/parameters") -> dict:
    """Every scalar parameter as a Quantity (units from its name), nested groups for sub-dataclasses,
    and the calibrated values with what they were fitted to and their reading."""
    out = {}

    def walk(obj, path):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.name in ("calibrated", "sources"):
                continue
            if dataclasses.is_dataclass(value):
                walk(value, f"{path}/{f.name}")
            elif isinstance(value, (int, float, str)):
                out[f"{path}/{f.name}"] = Quantity(value, units_of(f.name), f.name.replace("_", " "))
        sources = getattr(obj, "sources", None)
        if sources:
            out[f"{path}/sources"] = Quantity(json.dumps(sources), "1", "sources of the values (JSON)")

    walk(params, prefix)
    for key, cal in params.calibrated:
        name = key.replace(".", "__")
        out[f"{prefix}/calibrated/{name}"] = Quantity(cal.value, cal.units, f"calibrated {key}")
        out[f"{prefix}/calibrated/{name}__literature"] = Quantity(cal.literature_value, cal.units,
                                                                   f"literature value of {key}")
        out[f"{prefix}/calibrated/{name}__reading"] = Quantity(
            f"fitted to: {cal.fitted_to}; reading: {cal.reading}", "1", f"what {key} is fitted to and means")
    return out


def open_result_for_plot(h5_path):
    """(pyplot with the Agg backend, the stored result): every figure is drawn from its HDF5 file alone."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .store import read_result

    return plt, read_result(h5_path)


def print_calibration(values: dict, cost: float) -> None:
    """The fitted values in the form of ``YANG2022_CALIBRATION`` entries (copying them there is a
    deliberate, reviewed step)."""
    print(f"final cost {cost:.4g}")
    for name, value in values.items():
        print(f"    {name!r}: {float(value)!r},")
