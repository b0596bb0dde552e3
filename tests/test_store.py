"""HDF5 results store: round trips, provenance, atomic writes, unreadable files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ftjphys
from scenarios import store
from scenarios.cli import main
from scenarios.store import (
    Quantity,
    ResultFileError,
    RunResult,
    config_hash,
    inspect_text,
    load_derived,
    read_result,
    write_result,
)

CONFIG = {"bto_thickness_m": 2e-9, "states": {"HRS": {"P_C_m2": -0.26}, "LRS1": {"P_C_m2": 0.1}}, "n": 3}


def _sample_result(seed: int | None = 7) -> RunResult:
    V = np.linspace(-1.0, 1.0, 11)
    x = np.linspace(0.0, 5e-9, 4)
    return RunResult(
        scenario="fig5",
        config=CONFIG,
        seed=seed,
        data={
            "/parameters/bto_thickness_m": Quantity(2e-9, "m", "BaTiO3 barrier thickness"),
            "/derived/R_HRS_ohm": Quantity(np.float64(1.5e9), "ohm", "HRS resistance at the read voltage"),
            "/derived/on_off_ratio": Quantity(120.0, "1", "HRS/LRS resistance ratio"),
            "/derived/literature/R_HRS_ohm": Quantity(2e9, "ohm", "published HRS resistance"),
            "/states/HRS/iv/V_V": Quantity(V, "V", "applied bias", ("V_V",)),
            "/states/HRS/iv/I_A": Quantity(1e-9 * V**3, "A", "current", ("V_V",)),
            "/states/HRS/band/x_m": Quantity(x, "m", "position"),
            "/states/HRS/band/E_eV": Quantity(
                np.ones((3, 4)), "eV", "conduction band edge", ("bias_V", "x_m")
            ),
            "/states/HRS/band/bias_V": Quantity(np.array([-0.5, 0.0, 0.5]), "V", "bias of each profile"),
        },
        solver={"tol_V": 1e-9, "method": "newton", "max_iter": 50},
        attrs={"/derived": {"V_read_definition": "smallest |V| with |I| > 1 pA"}},
    )


@pytest.fixture
def result_file(tmp_path: Path) -> Path:
    return write_result(tmp_path / "fig5.h5", _sample_result(), command="ftjphys run fig5")


# ------------------------------------------------------------------------ round trip

VALUES = [
    ("py_float", 1.25, np.float64),
    ("py_int", 42, np.int64),
    ("py_bool", True, np.bool_),
    ("py_false", False, np.bool_),
    ("np_float32", np.float32(3.5), np.float32),
    ("np_int16", np.int16(-7), np.int16),
    ("np_bool", np.bool_(False), np.bool_),
    ("np_complex", np.complex128(1 - 2j), np.complex128),
    ("zero_d", np.array(2.5e-3), np.float64),
    ("zero_d_int", np.array(9, dtype=np.uint8), np.uint8),
    ("vector", np.array([1.0, np.nan, -np.inf]), np.float64),
    ("matrix_int", np.arange(12, dtype=np.int32).reshape(3, 4), np.int32),
    ("bool_array", np.array([True, False, True]), np.bool_),
    ("empty", np.zeros((0, 3)), np.float64),
    ("large", np.random.default_rng(0).normal(size=(80, 90)), np.float64),
    ("string", "Brinkman direct tunnelling", str),
    ("unicode", "ε_r, Φ/eV — µm", str),
    ("str_array", np.array(["HRS", "LRS1", "LRS2"]), np.str_),
    ("str_matrix", np.array([["a", "bb"], ["ccc", ""]]), np.str_),
]


@pytest.mark.parametrize("name, value, kind", VALUES, ids=[v[0] for v in VALUES])
def test_round_trip_every_kind(tmp_path, name, value, kind):
    q = Quantity(value, "1" if kind is str else "V", f"test value {name}")
    path = write_result(tmp_path / "r.h5", RunResult("t", {}, None, {f"/values/{name}": q}))
    back = read_result(path).data[f"/values/{name}"]
    assert back.units == q.units and back.long_name == q.long_name and back.dims == ()
    if kind is str:
        assert isinstance(back.values, str) and back.values == value
    elif kind is np.str_:
        assert back.values.dtype.kind == "U" and back.values.shape == np.shape(value)
        np.testing.assert_array_equal(back.values, value)
    elif np.ndim(value) == 0:
        assert isinstance(back.values, np.generic) and back.values.dtype == kind
        assert back.values == value
    else:
        assert isinstance(back.values, np.ndarray) and back.values.dtype == kind
        np.testing.assert_array_equal(back.values, value)


_dtypes = st.one_of(
    hnp.floating_dtypes(endianness="="),
    hnp.integer_dtypes(endianness="="),
    hnp.unsigned_integer_dtypes(endianness="="),
    hnp.boolean_dtypes(),
    hnp.complex_number_dtypes(endianness="="),
    hnp.unicode_string_dtypes(endianness="=", max_len=6),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arr=hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
def test_round_trip_random_arrays(arr):
    # HDF5 variable-length strings end at the first NUL; Quantity rejects them.
    assume(not (arr.dtype.kind == "U" and any("\x00" in v for v in arr.ravel().tolist())))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_result(Path(tmp) / "r.h5", RunResult("t", {}, None, {"/a": Quantity(arr, "m", "x")}))
        back = read_result(path).data["/a"].values
    if arr.ndim == 0:
        expected = arr[()]
        assert back == expected or (expected != expected and back != back)
    else:
        assert back.shape == arr.shape
        if arr.dtype.kind != "U":
            assert back.dtype == arr.dtype
        np.testing.assert_array_equal(back, arr)


def test_units_long_name_dims_and_scales(result_file):
    back = read_result(result_file)
    original = _sample_result()
    assert set(back.data) == set(original.data)
    for key, q in original.data.items():
        b = back.data[key]
        assert (b.units, b.long_name, b.dims) == (q.units, q.long_name, q.dims), key
        np.testing.assert_array_equal(b.values, q.values)
    with h5py.File(result_file, "r") as f:
        V = f["/states/HRS/iv/V_V"]
        I = f["/states/HRS/iv/I_A"]
        assert V.is_scale and not I.is_scale
        assert I.dims[0][0].name == "/states/HRS/iv/V_V"
        E = f["/states/HRS/band/E_eV"]
        assert [E.dims[i][0].name for i in range(2)] == [
            "/states/HRS/band/bias_V",
            "/states/HRS/band/x_m",
        ]
        for name, obj in _all_datasets(f):
            assert obj.attrs["units"] and obj.attrs["long_name"], name


def _all_datasets(f):
    out = []
    f.visititems(lambda n, o: out.append((n, o)) if isinstance(o, h5py.Dataset) else None)
    return out


def test_config_solver_attrs_seed_round_trip(result_file, tmp_path):
    back = read_result(result_file)
    assert back.scenario == "fig5" and back.seed == 7
    assert back.config == CONFIG
    assert back.solver == {"tol_V": 1e-9, "method": "newton", "max_iter": 50}
    assert back.attrs["/derived"] == {"V_read_definition": "smallest |V| with |I| > 1 pA"}
    with h5py.File(result_file, "r") as f:
        assert json.loads(f["config"].asstr()[()]) == CONFIG
        assert f["config"].attrs["units"] == "1"
        assert f["config"].attrs["long_name"] == "full configuration as JSON"
        assert f.attrs["seed"] == 7
    no_seed = write_result(tmp_path / "noseed.h5", _sample_result(seed=None))
    assert read_result(no_seed).seed is None
    with h5py.File(no_seed, "r") as f:
        assert f.attrs["seed"] == -1


def test_load_derived(result_file):
    derived = load_derived(result_file)
    assert derived == {
        "R_HRS_ohm": 1.5e9,
        "on_off_ratio": 120.0,
        "literature/R_HRS_ohm": 2e9,
    }
    assert all(type(v) is float for v in derived.values())


# ------------------------------------------------------------------------ provenance


def test_provenance_attributes(result_file):
    with h5py.File(result_file, "r") as f:
        attrs = dict(f.attrs)
    assert attrs["schema"] == "ftjphys-result"
    assert attrs["schema_version"] == 1
    assert attrs["scenario"] == "fig5"
    assert attrs["package_version"] == ftjphys.__version__
    assert isinstance(attrs["git_commit"], str) and attrs["git_commit"]
    assert attrs["git_dirty"] in (True, False, "unknown")
    created = dt.datetime.fromisoformat(attrs["created_utc"])
    assert created.utcoffset() == dt.timedelta(0)
    assert attrs["command"] == "ftjphys run fig5"
    canonical = json.dumps(CONFIG, sort_keys=True, separators=(",", ":"))
    assert attrs["config_hash"] == hashlib.sha256(canonical.encode()).hexdigest()
    versions = json.loads(attrs["library_versions"])
    assert set(versions) == {"python", "numpy", "scipy", "numba", "h5py", "matplotlib"}
    assert versions["numpy"] == np.__version__ and versions["h5py"] == h5py.__version__
    assert bool(attrs["complete"]) is True


def test_default_command_is_argv(tmp_path):
    path = write_result(tmp_path / "r.h5", _sample_result())
    assert read_result(path).provenance["command"] == " ".join(sys.argv)


def test_config_hash_stable():
    reordered = {"n": 3, "states": {"LRS1": {"P_C_m2": 0.1}, "HRS": {"P_C_m2": -0.26}}, "bto_thickness_m": 2e-9}
    assert config_hash(CONFIG) == config_hash(reordered)
    assert config_hash(CONFIG) == config_hash(json.loads(json.dumps(CONFIG)))
    changed = {**CONFIG, "n": 4}
    assert config_hash(changed) != config_hash(CONFIG)
    assert len(config_hash(CONFIG)) == 64


def test_config_hash_same_in_two_files(tmp_path):
    a = write_result(tmp_path / "a.h5", _sample_result())
    b = write_result(tmp_path / "b.h5", _sample_result())
    assert read_result(a).provenance["config_hash"] == read_result(b).provenance["config_hash"]


def test_git_failure_gives_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git executable
    assert store.git_provenance() == ("unknown", "unknown")
    monkeypatch.undo()
    commit, dirty = store.git_provenance(tmp_path)  # not a work tree
    assert commit == "unknown" and dirty == "unknown"
    monkeypatch.setenv("PATH", str(tmp_path))
    path = write_result(tmp_path / "r.h5", _sample_result())
    prov = read_result(path).provenance
    assert prov["git_commit"] == "unknown" and prov["git_dirty"] == "unknown"


# ------------------------------------------------------------------------ validation


def test_quantity_validation():
    with pytest.raises(ValueError, match="units"):
        Quantity(1.0, "", "x")
    with pytest.raises(ValueError, match="long_name"):
        Quantity(1.0, "m", " ")
    with pytest.raises(ValueError, match="dims"):
        Quantity(np.zeros((2, 3)), "m", "x", ("a",))
    with pytest.raises(ValueError, match="dims"):
        Quantity(1.0, "m", "x", ("a",))
    with pytest.raises(TypeError):
        Quantity(np.array([object()]), "m", "x")
    with pytest.raises(TypeError):
        Quantity(np.zeros(2), "m", "x", "V_V")
    with pytest.raises(ValueError, match="NUL"):
        Quantity(np.array(["a\x00b"]), "1", "x")
    with pytest.raises(ValueError, match="NUL"):
        Quantity("a\x00b", "1", "x")


@pytest.mark.parametrize(
    "data, match",
    [
        ({"derived/x": Quantity(1.0, "m", "x")}, "absolute"),
        ({"/a//b": Quantity(1.0, "m", "x")}, "normalised"),
        ({"/config": Quantity(1.0, "m", "x")}, "reserved"),
        ({"/a": Quantity(np.zeros(3), "m", "x", ("V_V",))}, "same group"),
        ({"/a": Quantity(1.0, "m", "x"), "/a/b": Quantity(1.0, "m", "x")}, "both"),
        (
            {"/g/V_V": Quantity(np.zeros(4), "V", "v"), "/g/I_A": Quantity(np.zeros(3), "A", "i", ("V_V",))},
            "length",
        ),
    ],
)
def test_invalid_results_write_nothing(tmp_path, data, match):
    with pytest.raises(ValueError, match=match):
        write_result(tmp_path / "r.h5", RunResult("t", {}, None, data))
    assert list(tmp_path.iterdir()) == []


def test_unserialisable_config(tmp_path):
    with pytest.raises(TypeError):
        write_result(tmp_path / "r.h5", RunResult("t", {"f": object()}, None, {}))
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- atomic writing


class _ExplodingArray:
    """Array-like whose conversion is interrupted, as by Ctrl-C in mid-write."""

    def __array__(self, dtype=None, copy=None):
        raise KeyboardInterrupt


def _interrupted_result() -> RunResult:
    result = _sample_result()
    bad = Quantity(np.zeros(3), "m", "interrupted")
    object.__setattr__(bad, "values", _ExplodingArray())
    data = dict(result.data)
    keys = list(data)
    data = {**{k: data[k] for k in keys[:3]}, "/derived/zz_bad": bad, **{k: data[k] for k in keys[3:]}}
    result.data = data
    return result


def test_interrupted_write_leaves_no_file(tmp_path):
    target = tmp_path / "fig5.h5"
    with pytest.raises(KeyboardInterrupt):
        write_result(target, _interrupted_result())
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_keeps_older_file(tmp_path, result_file):
    before = result_file.read_bytes()
    mtime = result_file.stat().st_mtime_ns
    with pytest.raises(KeyboardInterrupt):
        write_result(result_file, _interrupted_result())
    assert sorted(p.name for p in tmp_path.iterdir()) == [result_file.name]
    assert result_file.read_bytes() == before and result_file.stat().st_mtime_ns == mtime
    assert read_result(result_file).seed == 7


def test_failure_while_writing_cleans_up(tmp_path, monkeypatch, result_file):
    calls = []
    original = store._write_dataset

    def failing(f, path, q):
        calls.append(path)
        if len(calls) == 4:
            assert any(p.name.endswith(".tmp.h5") for p in tmp_path.iterdir())
            raise OSError("disk full")
        return original(f, path, q)

    monkeypatch.setattr(store, "_write_dataset", failing)
    before = result_file.read_bytes()
    with pytest.raises(OSError, match="disk full"):
        write_result(result_file, _sample_result(seed=1))
    assert len(calls) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [result_file.name]
    assert result_file.read_bytes() == before


def test_overwrite_replaces_file(tmp_path, result_file):
    write_result(result_file, _sample_result(seed=99))
    assert read_result(result_file).seed == 99
    assert sorted(p.name for p in tmp_path.iterdir()) == [result_file.name]


def test_creates_parent_directory(tmp_path):
    path = write_result(tmp_path / "results" / "sub" / "r.h5", _sample_result())
    assert path.exists()


# ---------------------------------------------------------------- unreadable files


def _foreign(tmp_path: Path) -> Path:
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(10)
    return path


def _random_bytes(tmp_path: Path) -> Path:
    path = tmp_path / "noise.h5"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    return path


def _truncated(tmp_path: Path) -> Path:
    good = write_result(tmp_path / "good.h5", _sample_result())
    path = tmp_path / "truncated.h5"
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "missing.h5"


def _incomplete(tmp_path: Path) -> Path:
    path = write_result(tmp_path / "incomplete.h5", _sample_result())
    with h5py.File(path, "a") as f:
        del f.attrs["complete"]
    return path


def _newer(tmp_path: Path) -> Path:
    path = write_result(tmp_path / "newer.h5", _sample_result())
    with h5py.File(path, "a") as f:
        f.attrs["schema_version"] = store.SCHEMA_VERSION + 1
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "dir.h5"
    path.mkdir()
    return path


BAD_FILES = [
    (_foreign, "foreign"),
    (_random_bytes, "not an HDF5 file"),
    (_truncated, "truncated"),
    (_missing, "no such file"),
    (_incomplete, "incomplete"),
    (_newer, "newer"),
    (_directory, "directory"),
]


@pytest.mark.parametrize("make, message", BAD_FILES, ids=[m.__name__.strip("_") for m, _ in BAD_FILES])
def test_bad_files_raise(tmp_path, make, message):
    path = make(tmp_path)
    for reader in (read_result, load_derived, inspect_text):
        with pytest.raises(ResultFileError, match=message) as info:
            reader(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("make, message", BAD_FILES, ids=[m.__name__.strip("_") for m, _ in BAD_FILES])
def test_bad_files_inspect_exit_code(tmp_path, capsys, make, message):
    path = make(tmp_path)
    assert main(["inspect", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert str(path) in err and message in err
    assert "Traceback" not in err


def test_truncated_at_many_lengths(tmp_path):
    good = write_result(tmp_path / "good.h5", _sample_result())
    data = good.read_bytes()
    for i, n in enumerate([0, 8, 100, 1000, len(data) // 3, len(data) - 1]):
        path = tmp_path / f"cut{i}.h5"
        path.write_bytes(data[:n])
        with pytest.raises(ResultFileError):
            read_result(path)


# ------------------------------------------------------------------------- inspect


def test_inspect_text(result_file):
    text = inspect_text(result_file)
    for expected in [
        "schema = ftjphys-result",
        "config_hash = ",
        "git_commit = ",
        "library_versions = ",
        "R_HRS_ohm",
        "(11,)",
        "float64",
        "[ohm]",
        "[scale]",
        "dims=('V_V',)",
        "R_HRS_ohm = 1.5e+09 ohm",
        "literature/R_HRS_ohm = 2e+09 ohm",
        "on_off_ratio = 120  (HRS/LRS resistance ratio)",
        "V_read_definition",
        "method = newton",
    ]:
        assert expected in text, expected


def test_inspect_prints_tree(result_file, capsys):
    assert main(["inspect", str(result_file)]) == 0
    out = capsys.readouterr().out
    assert "states/" in out and "literature/" in out


def test_copy_keeps_readable(tmp_path, result_file):
    copy = tmp_path / "copy.h5"
    shutil.copy(result_file, copy)
    assert read_result(copy).config == CONFIG
    assert os.path.getsize(copy) == os.path.getsize(result_file)
