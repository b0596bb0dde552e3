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


def save_figure(fig, png_path, title: str) -> None:
    """Title, lay out, write (120 dpi) and close a figure of :func:`open_result_for_plot`."""
    import matplotlib.pyplot as plt

    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)


def print_calibration(values: dict, cost: float) -> None:
    """The fitted values in the form of ``YANG2022_CALIBRATION`` entries (copying them there is a
    deliberate, reviewed step)."""
    print(f"final cost {cost:.4g}")
    for name, value in values.items():
        print(f"    {name!r}: {getattr(value, 'item', lambda: value)()!r},")


def bounded_least_squares(residuals_of_x, x0, lo, hi, n_residuals: int, *, diff_step: float,
                          max_evaluations: int, verbose: bool, describe=lambda x: ""):
    """scipy ``least_squares`` within bounds, where a model run that fails counts as a bad point (every
    residual 20) instead of ending the fit. Returns the scipy result."""
    import sys

    import numpy as np
    from scipy.optimize import least_squares

    def fun(x):
        try:
            r = np.asarray(residuals_of_x(x), dtype=float)
        except Exception as err:  # a failed run is a bad point, not a crash of the fit
            if verbose:
                print(f"  run failed: {err}", file=sys.stderr)
            return np.full(n_residuals, 20.0)
        if verbose:
            print(f"  cost {0.5 * float(r @ r):9.4f}  {describe(x)}", flush=True)
        return r

    return least_squares(fun, np.clip(x0, lo, hi), bounds=(lo, hi), diff_step=diff_step,
                         max_nfev=max_evaluations)
