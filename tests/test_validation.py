"""Input validation: invalid parameters raise ValueError naming the parameter and its value
(ftjphys/validation.py contract: "every error names the parameter, its value and the allowed range")."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftjphys import materials, parameters
from ftjphys.validation import require_finite, require_increasing, require_positive, require_range

BASE = parameters.literature()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _numeric_keys(obj, prefix=""):
    """Dotted keys of every float/int field reachable from ``obj`` (nested dataclasses included)."""
    keys = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            keys += _numeric_keys(value, f"{prefix}{f.name}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            keys.append(f"{prefix}{f.name}")
    return keys


NUMERIC_KEYS = _numeric_keys(BASE)


def _raises_naming(key, value, make=None):
    """Assert that setting ``key`` to ``value`` raises ValueError naming the field and showing the value."""
    with pytest.raises(ValueError) as info:
        (make or (lambda: BASE.replace(**{key: value})))()
    msg = str(info.value)
    field_name = key.rsplit(".", 1)[-1]
    assert field_name in msg, msg
    assert repr(value) in msg, msg
    return msg


def test_every_numeric_field_is_covered():
    # The enumeration must reach the stack's materials and the numerics (a guard for the NaN test).
    for key in ("ferroelectric_thickness_m", "temperature_K", "top_electrode.work_function_J",
                "ferroelectric.band_gap_J", "semiconductor.donor_density_m3", "mesh.semiconductor_growth",
                "transport.supply_mass_ratio", "semiconductor.eps_field_scale_V_per_m"):
        assert key in NUMERIC_KEYS
    assert len(NUMERIC_KEYS) > 30


@pytest.mark.parametrize("key", NUMERIC_KEYS)
def test_nan_anywhere_is_rejected(key):
    _raises_naming(key, math.nan)


@pytest.mark.parametrize("key", ["ferroelectric_thickness_m", "semiconductor_thickness_m", "area_m2",
                                 "temperature_K"])
@FAST
@given(value=st.floats(max_value=0.0, allow_nan=False))
def test_non_positive_geometry_and_temperature(key, value):
    _raises_naming(key, value)
    # also through dataclasses.replace (validation lives in __post_init__, not in .replace)
    _raises_naming(key, value, make=lambda: dataclasses.replace(BASE, **{key: value}))


@FAST
@given(value=st.floats(min_value=1e-7, allow_nan=False, exclude_min=True))
def test_too_thick_ferroelectric(value):
    # 1.6 nm film; validation caps it at 100 nm (the model is a tunnel barrier)
    _raises_naming("ferroelectric_thickness_m", value)


@FAST
@given(value=st.floats(max_value=0.0, allow_nan=False))
def test_non_positive_material_values(value):
    for key in ("semiconductor.donor_density_m3", "ferroelectric.eps_r_background",
                "semiconductor.dos_mass_ratio", "ferroelectric.tunnelling_mass_ratio"):
        _raises_naming(key, value)


def test_valid_values_are_accepted():
    # the checks are not over-eager: the literature values and nearby ones pass
    p = BASE.replace(ferroelectric_thickness_m=2e-9, temperature_K=77.0, area_m2=1e-10,
                     **{"semiconductor.donor_density_m3": 1e25, "mesh.ferroelectric_cells": 16})
    assert p.ferroelectric_thickness_m == 2e-9 and p.semiconductor.donor_density_m3 == 1e25
    assert BASE.replace(**{"semiconductor.eps_field_scale_V_per_m": math.inf}).semiconductor.eps_field_scale_V_per_m \
        == math.inf   # documented: inf = field-independent permittivity


UNKNOWN = st.text(min_size=0, max_size=12).filter(lambda s: s not in materials.MATERIALS)


@FAST
@given(name=UNKNOWN)
def test_unknown_material(name):
    with pytest.raises(ValueError) as info:
        materials.material(name)
    assert "material" in str(info.value) and repr(name) in str(info.value)


@FAST
@given(name=st.text(max_size=12).filter(lambda s: s not in parameters.PARAMETER_SETS))
def test_unknown_parameter_set(name):
    with pytest.raises(ValueError) as info:
        parameters.parameter_set(name)
    assert "parameter_set" in str(info.value) and repr(name) in str(info.value)


@FAST
@given(name=UNKNOWN)
def test_unknown_top_electrode_value(name):
    with pytest.raises(ValueError) as info:
        BASE.replace(top_electrode=name)
    assert repr(name) in str(info.value)


def test_unknown_top_electrode_names_the_parameter():
    with pytest.raises(ValueError, match="top_electrode"):
        BASE.replace(top_electrode="Xx")


@pytest.mark.parametrize("slot, name", [("top_electrode", "BaTiO3"), ("semiconductor", "Cr"),
                                        ("ferroelectric", "Nb:SrTiO3")])
def test_wrong_kind_of_material_is_rejected(slot, name):
    with pytest.raises(ValueError, match=slot):
        BASE.replace(**{slot: name})


@pytest.mark.parametrize("key, value", [("mesh.ferroelectric_cells", 10.5), ("transport.energy_nodes", 4.5),
                                        ("vacancy_charge_number", 1.5)])
def test_non_integer_counts_are_rejected(key, value):
    _raises_naming(key, value)


def test_unknown_parameter_key():
    with pytest.raises(ValueError, match="no_such_field"):
        BASE.replace(no_such_field=1.0)
    with pytest.raises(ValueError, match="'mesh.nope' is unknown for MeshSpec"):
        BASE.replace(**{"mesh.nope": 1.0})


# ------------------------------------------------------------------ validation helpers

@FAST
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30, unique=True),
       data=st.data())
def test_non_monotonic_mesh(values, data):
    x = np.sort(np.asarray(values))
    require_increasing("mesh.x_m", x)            # strictly increasing: accepted
    # break monotonicity: swap a neighbour pair or repeat a node
    k = data.draw(st.integers(0, x.size - 2))
    bad = x.copy()
    if data.draw(st.booleans()):
        bad[k], bad[k + 1] = bad[k + 1], bad[k]
    else:
        bad[k + 1] = bad[k]
    with pytest.raises(ValueError) as info:
        require_increasing("mesh.x_m", bad)
    msg = str(info.value)
    j = int(np.argmin(np.diff(bad)))             # the reported offending pair
    assert "mesh.x_m" in msg
    assert f"{bad[j]:g}" in msg and f"{bad[j + 1]:g}" in msg
    assert bad[j + 1] <= bad[j]


def test_mesh_validation_rejects_nan_and_shape():
    with pytest.raises(ValueError, match=r"mesh\.x_m.*nan"):
        require_increasing("mesh.x_m", [0.0, math.nan, 1.0])
    with pytest.raises(ValueError, match="mesh.x_m"):
        require_increasing("mesh.x_m", [[0.0, 1.0]])
    with pytest.raises(ValueError, match="mesh.x_m"):
        require_increasing("mesh.x_m", [0.0])


@FAST
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True)),
       lo=st.floats(-10, 0), hi=st.floats(1, 10))
def test_require_range_contract(value, lo, hi):
    # accepted exactly when lo <= value <= hi and finite; otherwise the message names parameter and value
    ok = math.isfinite(value) and lo <= value <= hi
    if ok:
        require_range("thing_x", value, lo, hi)
    else:
        with pytest.raises(ValueError) as info:
            require_range("thing_x", value, lo, hi)
        assert "thing_x" in str(info.value) and repr(value) in str(info.value)


def test_require_positive_and_finite():
    with pytest.raises(ValueError, match=r"area = 0\.0"):
        require_positive("area", 0.0)
    with pytest.raises(ValueError, match=r"v = .*inf"):
        require_finite("v", [1.0, math.inf])
    with pytest.raises(ValueError, match="not a real number"):
        require_range("w", "abc")
    require_positive("area", 1e-30)


def test_geometric_mesh_arguments_named():
    from solvers.mesh import geometric_nodes, uniform_nodes
    with pytest.raises(ValueError, match=r"growth \(0\.9\)"):
        geometric_nodes(30e-9, 0.02e-9, 0.9, 1e-9)
    with pytest.raises(ValueError, match="n_cells = 0"):
        uniform_nodes(1e-9, 0)
    # and a valid geometric mesh is strictly increasing, ends at the length (round-off) and grades
    x = geometric_nodes(30e-9, 0.02e-9, 1.15, 1e-9)
    require_increasing("x", x)
    assert x[0] == 0.0 and x[-1] == pytest.approx(30e-9, rel=1e-14)
    h = np.diff(x)
    assert np.max(h) / np.min(h) == pytest.approx(1e-9 / 0.02e-9, rel=0.1)
