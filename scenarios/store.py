"""HDF5 results store: one self-describing file per scenario run.

Layout of a result file::

    /                 root attributes: schema, schema_version, scenario, provenance
                      (package_version, git_commit, git_dirty, created_utc, command,
                      seed, config_hash, library_versions) and ``complete``
    /config           the full configuration as canonical JSON (scalar string)
    /solver           group whose attributes are the solver settings
    /<any>/<path>     one dataset per :class:`Quantity`, with ``units`` and
                      ``long_name`` attributes; ``dims`` become HDF5 dimension scales

Files are written atomically (temporary file + ``os.replace``) and the root
attribute ``complete = True`` is the last thing written, so a file under its final
name is always whole.  Readers raise :class:`ResultFileError` for anything that is
not a complete result file of a supported schema version.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import platform
import secrets
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Mapping

import h5py
import numpy as np

import ftjphys

SCHEMA = "ftjphys-result"
SCHEMA_VERSION = 1

#: Root attributes written by :func:`write_result`; ``attrs["/"]`` may not set them.
RESERVED_ROOT_ATTRS = frozenset(
    {
        "schema",
        "schema_version",
        "scenario",
        "package_version",
        "git_commit",
        "git_dirty",
        "created_utc",
        "command",
        "seed",
        "config_hash",
        "library_versions",
        "complete",
    }
)

#: Dataset attributes managed by HDF5 dimension scales; hidden from listings.
_SCALE_ATTRS = frozenset({"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST", "DIMENSION_LABELS"})
_VALUE_KINDS = frozenset("biufcU")
_COMPRESS_MIN_SIZE = 4096


class ResultFileError(Exception):
    """A file that is missing, unreadable, foreign, incomplete or of a newer schema."""


# --------------------------------------------------------------------------- values


def _normalise_values(values: Any) -> Any:
    """Return ``str``, a numpy scalar, or an ndarray (ndim >= 1) of a supported kind."""
    if isinstance(values, str):
        if "\x00" in values:
            raise ValueError("strings may not contain NUL characters")
        return str(values)
    arr = np.asarray(values)
    if arr.dtype == object:
        flat = arr.ravel().tolist()
        if not all(isinstance(x, str) for x in flat):
            raise TypeError("object arrays are only supported when every element is a str")
        arr = arr.astype(str) if flat else np.zeros(arr.shape, dtype="<U1")
    if arr.dtype.kind == "U" and any("\x00" in v for v in arr.ravel().tolist()):
        raise ValueError("strings may not contain NUL characters")
    if arr.dtype.kind not in _VALUE_KINDS:
        raise TypeError(f"unsupported dtype {arr.dtype} (use bool, integer, float, complex or str)")
    if arr.ndim == 0:
        scalar = arr[()]
        return str(scalar) if arr.dtype.kind == "U" else scalar
    return arr


@dataclass(frozen=True, eq=False)
class Quantity:
    """A value with physical units, a description and optional dimension names.

    ``values`` is normalised on construction: ``str`` stays ``str``, scalars and
    0-d arrays become numpy scalars (``np.float64``, ``np.int64``, ``np.bool_``...),
    everything else an ndarray (string arrays as ``<U`` arrays).  ``units`` is
    ``"1"`` for dimensionless values.  ``dims`` names, per array axis, another
    dataset in the same HDF5 group that is the coordinate of that axis (a 1-D
    coordinate may name itself).  Equality is identity (arrays have no truth value).
    """

    values: Any
    units: str
    long_name: str
    dims: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for attr in ("units", "long_name"):
            text = getattr(self, attr)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"Quantity.{attr} must be a non-empty string, got {text!r}")
        values = _normalise_values(self.values)
        object.__setattr__(self, "values", values)
        dims = self.dims
        if isinstance(dims, str) or not all(isinstance(d, str) for d in dims):
            raise TypeError(f"Quantity.dims must be a tuple of str, got {dims!r}")
        dims = tuple(dims)
        for name in dims:
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"invalid dimension name {name!r} in dims {dims!r}")
        ndim = np.ndim(values) if not isinstance(values, str) else 0
        if dims and len(dims) != ndim:
            raise ValueError(f"dims {dims!r} give {len(dims)} names for an array with {ndim} axes")
        object.__setattr__(self, "dims", dims)


@dataclass
class RunResult:
    """Everything one scenario run produces.

    ``data`` maps absolute HDF5 dataset paths (``/derived/R_HRS_ohm``) to
    :class:`Quantity`; ``solver`` becomes the attributes of ``/solver``; ``attrs``
    maps group paths to extra group attributes.
    """

    scenario: str
    config: dict
    seed: int | None
    data: dict[str, Quantity]
    solver: dict[str, float | int | str] = field(default_factory=dict)
    attrs: dict[str, dict] = field(default_factory=dict)


@dataclass
class StoredResult(RunResult):
    """A :class:`RunResult` read back from a file.

    ``provenance`` holds the root attributes (schema, versions, git commit, command,
    creation time, config hash...) as Python values; ``path`` is the file read.
    The config is the parsed JSON (tuples come back as lists).
    """

    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


# ------------------------------------------------------------------------ provenance


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"config value of type {type(obj).__name__} is not JSON-serialisable")


def canonical_json(config: Mapping) -> str:
    """Canonical JSON text of ``config`` (sorted keys, no whitespace)."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=_json_default)


def config_hash(config: Mapping) -> str:
    """SHA-256 hex digest of :func:`canonical_json` of ``config``."""
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()


def _package_source_dir() -> Path:
    return Path(ftjphys.__file__).resolve().parent


def git_provenance(src_dir: Path | None = None) -> tuple[str, bool | str]:
    """``(commit, dirty)`` of the git work tree holding ``src_dir``; ``"unknown"`` on failure."""
    src = Path(src_dir) if src_dir is not None else _package_source_dir()
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", "-C", str(src), *args],
            capture_output=True,
            text=True,
            timeout=20,
            env=env,
            stdin=subprocess.DEVNULL,
        )

    try:
        # An installed copy inside an ignored folder (e.g. a venv in a work tree)
        # does not belong to the enclosing repository.
        if git("check-ignore", "-q", str(src)).returncode == 0:
            return "unknown", "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown", "unknown"
    commit: str = "unknown"
    dirty: bool | str = "unknown"
    try:
        out = git("rev-parse", "HEAD")
        if out.returncode == 0 and out.stdout.strip():
            commit = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        out = git("status", "--porcelain")
        if out.returncode == 0:
            dirty = bool(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return commit, dirty


def library_versions() -> dict[str, str]:
    """Versions of Python and of the numerical libraries the results depend on."""
    versions = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "numba", "h5py", "matplotlib"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


# --------------------------------------------------------------------------- writing


def _check_path(path: Any, what: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"{what} {path!r} must be an absolute HDF5 path such as '/derived/x'")
    if path == "/":
        return path
    parts = path[1:].split("/")
    if path.endswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{what} {path!r} is not a normalised HDF5 path")
    return path


def _check_attr_value(value: Any, where: str) -> Any:
    if isinstance(value, (str, bool, int, float, np.generic)):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf":
            return arr
        if arr.dtype.kind == "U" and arr.ndim:
            return arr
    raise TypeError(f"attribute {where} has unsupported value {value!r} (use str, number, bool or array)")


def _validate(result: RunResult) -> str:
    """Check the structure of ``result``; return the canonical config JSON."""
    if not isinstance(result, RunResult):
        raise TypeError(f"expected a RunResult, got {type(result).__name__}")
    if not isinstance(result.scenario, str) or not result.scenario:
        raise ValueError("RunResult.scenario must be a non-empty string")
    if not isinstance(result.config, dict):
        raise TypeError("RunResult.config must be a dict")
    seed = result.seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"RunResult.seed must be an int or None, got {seed!r}")
    config_text = canonical_json(result.config)

    paths = set(result.data)
    groups: set[str] = set()
    for path, q in result.data.items():
        _check_path(path, "dataset path")
        if path == "/" or path == "/config":
            raise ValueError(f"dataset path {path!r} is reserved")
        if not isinstance(q, Quantity):
            raise TypeError(f"{path}: expected a Quantity, got {type(q).__name__}")
        parts = path.split("/")
        groups.update("/".join(parts[:i]) for i in range(2, len(parts)))
        parent = path.rsplit("/", 1)[0]
        for name in q.dims:
            if f"{parent}/{name}" not in paths:
                raise ValueError(
                    f"{path}: dimension {name!r} needs a dataset {parent}/{name} in the same group"
                )
    clash = sorted(paths & groups)
    if clash:
        raise ValueError(f"{clash[0]} is used both as a dataset and as a group")
    if "/solver" in paths:
        raise ValueError("dataset path '/solver' is reserved for the solver group")

    for key, value in result.solver.items():
        _check_attr_value(value, f"/solver:{key}")
    for gpath, attrs in result.attrs.items():
        _check_path(gpath, "attribute group")
        if gpath == "/solver":
            raise ValueError("set solver attributes through RunResult.solver, not attrs['/solver']")
        if gpath in paths:
            raise ValueError(f"attrs key {gpath!r} is a dataset, not a group")
        if not isinstance(attrs, dict):
            raise TypeError(f"attrs[{gpath!r}] must be a dict")
        for key, value in attrs.items():
            if gpath == "/" and key in RESERVED_ROOT_ATTRS:
                raise ValueError(f"root attribute {key!r} is reserved")
            _check_attr_value(value, f"{gpath}:{key}")
    return config_text


def _set_attr(obj: h5py.Group | h5py.Dataset, key: str, value: Any, where: str) -> None:
    value = _check_attr_value(value, where)
    if isinstance(value, np.ndarray) and value.dtype.kind == "U":
        obj.attrs.create(key, value.astype(object), dtype=h5py.string_dtype())
    else:
        obj.attrs[key] = value


def _write_dataset(f: h5py.File, path: str, q: Quantity) -> h5py.Dataset:
    values = q.values
    if isinstance(values, str):
        ds = f.create_dataset(path, data=values, dtype=h5py.string_dtype())
    else:
        arr = np.asarray(values)
        kwargs: dict[str, Any] = {}
        if arr.ndim and arr.size >= _COMPRESS_MIN_SIZE and arr.dtype.kind != "U":
            kwargs = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
        if arr.dtype.kind == "U":
            ds = f.create_dataset(path, data=arr.astype(object), dtype=h5py.string_dtype())
        else:
            ds = f.create_dataset(path, data=arr, **kwargs)
    ds.attrs["units"] = q.units
    ds.attrs["long_name"] = q.long_name
    return ds


def _attach_scales(f: h5py.File, data: Mapping[str, Quantity]) -> None:
    for path, q in data.items():
        if not q.dims:
            continue
        ds = f[path]
        parent = path.rsplit("/", 1)[0]
        for axis, name in enumerate(q.dims):
            scale = f[f"{parent}/{name}"]
            if scale.shape != (ds.shape[axis],):
                raise ValueError(
                    f"{path}: axis {axis} has length {ds.shape[axis]} but its scale "
                    f"{scale.name} has shape {scale.shape}"
                )
            if not scale.is_scale:
                scale.make_scale(name)
            ds.dims[axis].label = name
            if scale.name != ds.name:
                ds.dims[axis].attach_scale(scale)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_result(path: str | os.PathLike, result: RunResult, command: str | None = None) -> Path:
    """Write ``result`` to ``path`` atomically and return the path.

    The file is built under a temporary name in the target directory and moved onto
    ``path`` only when complete; on any exception (KeyboardInterrupt included) the
    temporary file is removed and the exception re-raised, leaving an existing file
    at ``path`` untouched.  ``command`` defaults to ``" ".join(sys.argv)``.
    """
    target = Path(path)
    config_text = _validate(result)
    commit, dirty = git_provenance()
    provenance = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "scenario": result.scenario,
        "package_version": ftjphys.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else " ".join(sys.argv),
        "seed": -1 if result.seed is None else int(result.seed),
        "config_hash": hashlib.sha256(config_text.encode("utf-8")).hexdigest(),
        "library_versions": json.dumps(library_versions(), sort_keys=True),
    }

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp.h5"
    try:
        with h5py.File(tmp, "x") as f:
            for key, value in provenance.items():
                f.attrs[key] = value
            cfg = f.create_dataset("config", data=config_text, dtype=h5py.string_dtype())
            cfg.attrs["units"] = "1"
            cfg.attrs["long_name"] = "full configuration as JSON"
            solver = f.create_group("solver")
            for key, value in result.solver.items():
                _set_attr(solver, key, value, f"/solver:{key}")
            for dpath, q in result.data.items():
                _write_dataset(f, dpath, q)
            _attach_scales(f, result.data)
            for gpath, attrs in result.attrs.items():
                group = f.require_group(gpath) if gpath != "/" else f
                for key, value in attrs.items():
                    _set_attr(group, key, value, f"{gpath}:{key}")
            f.flush()
            f.attrs["complete"] = True
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync(target.parent)
    return target


# --------------------------------------------------------------------------- reading


def _decode(value: Any) -> Any:
    """HDF5 attribute value -> plain Python where scalar."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.array([_decode(v) for v in value.ravel()]).reshape(value.shape)
    return value


@contextmanager
def _open_result(path: str | os.PathLike) -> Iterator[h5py.File]:
    """Open a result file read-only after checking it; errors -> ResultFileError."""
    p = Path(path)
    if not p.exists():
        raise ResultFileError(f"{p}: no such file")
    if p.is_dir():
        raise ResultFileError(f"{p}: is a directory, not a result file")
    try:
        is_hdf5 = h5py.is_hdf5(p)
    except OSError as exc:
        raise ResultFileError(f"{p}: cannot be read: {exc}") from exc
    if not is_hdf5:
        raise ResultFileError(f"{p}: not an HDF5 file")
    try:
        f = h5py.File(p, "r")
    except (OSError, ValueError, KeyError) as exc:
        raise ResultFileError(f"{p}: truncated or corrupt HDF5 file ({exc})") from exc
    try:
        schema = _decode(f.attrs.get("schema"))
        if schema != SCHEMA:
            found = "no 'schema' attribute" if schema is None else f"schema {schema!r}"
            raise ResultFileError(
                f"{p}: not an ftjphys result file ({found}; expected schema {SCHEMA!r}): foreign HDF5 file"
            )
        version = _decode(f.attrs.get("schema_version"))
        if not isinstance(version, int) or isinstance(version, bool):
            raise ResultFileError(f"{p}: missing or invalid schema_version {version!r}")
        if version > SCHEMA_VERSION:
            raise ResultFileError(
                f"{p}: schema_version {version} is newer than the supported version "
                f"{SCHEMA_VERSION}; upgrade ftjphys to read it"
            )
        if _decode(f.attrs.get("complete")) is not True:
            raise ResultFileError(f"{p}: incomplete result file (no 'complete' flag; interrupted write?)")
        yield f
    except ResultFileError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ResultFileError(f"{p}: corrupt or malformed result file ({exc})") from exc
    finally:
        f.close()


def _read_values(ds: h5py.Dataset) -> Any:
    if h5py.check_string_dtype(ds.dtype) is not None:
        raw = ds.asstr()[()]
        return raw if ds.ndim == 0 else np.asarray(raw, dtype=object).astype(str)
    return ds[()]


def _read_dims(ds: h5py.Dataset) -> tuple[str, ...]:
    names = []
    for dim in ds.dims:
        if len(dim):
            names.append(dim[0].name.rsplit("/", 1)[-1])
        else:
            names.append(dim.label)
    return tuple(names) if any(names) else ()


def _read_quantity(ds: h5py.Dataset) -> Quantity:
    try:
        units = _decode(ds.attrs["units"])
        long_name = _decode(ds.attrs["long_name"])
    except KeyError as exc:
        raise ResultFileError(f"{ds.file.filename}: dataset {ds.name} lacks units/long_name") from exc
    return Quantity(_read_values(ds), units, long_name, _read_dims(ds))


def _visit(f: h5py.File) -> list[tuple[str, h5py.Group | h5py.Dataset]]:
    items: list[tuple[str, Any]] = []
    f.visititems(lambda name, obj: items.append(("/" + name, obj)))
    return items


def read_result(path: str | os.PathLike) -> StoredResult:
    """Read a result file back into a :class:`StoredResult`.

    Datasets come back as :class:`Quantity` (dims from the attached scales), the
    config as the parsed JSON dict, the seed as ``None`` when stored as -1, and the
    root attributes in ``provenance``.  Raises :class:`ResultFileError`.
    """
    with _open_result(path) as f:
        provenance = {k: _decode(v) for k, v in f.attrs.items()}
        config = json.loads(_read_values(f["config"]))
        solver = {k: _decode(v) for k, v in f["solver"].attrs.items()} if "solver" in f else {}
        data: dict[str, Quantity] = {}
        attrs: dict[str, dict] = {}
        for name, obj in _visit(f):
            if isinstance(obj, h5py.Dataset):
                if name != "/config":
                    data[name] = _read_quantity(obj)
            elif name != "/solver" and len(obj.attrs):
                attrs[name] = {k: _decode(v) for k, v in obj.attrs.items()}
        extra_root = {k: v for k, v in provenance.items() if k not in RESERVED_ROOT_ATTRS}
        if extra_root:
            attrs["/"] = extra_root
        seed = provenance.get("seed", -1)
        return StoredResult(
            scenario=str(provenance.get("scenario", "")),
            config=config,
            seed=None if seed == -1 else seed,
            data=data,
            solver=solver,
            attrs=attrs,
            provenance=provenance,
            path=Path(path),
        )


def derived_quantities(result: RunResult) -> dict[str, Quantity]:
    """The ``/derived`` quantities of ``result``, keyed by path relative to ``/derived``."""
    prefix = "/derived/"
    return {k[len(prefix):]: q for k, q in sorted(result.data.items()) if k.startswith(prefix)}


def load_derived(path: str | os.PathLike) -> dict[str, Any]:
    """``/derived`` values of a result file keyed by path relative to ``/derived``.

    Scalars come back as Python ``float``/``int``/``bool``/``str``, arrays as ndarray;
    nested groups give keys such as ``"literature/R_ohm"``.
    """
    out: dict[str, Any] = {}
    for key, q in derived_quantities(read_result(path)).items():
        v = q.values
        out[key] = v.item() if isinstance(v, np.generic) else v
    return out


# -------------------------------------------------------------------------- printing


def _format_value(values: Any) -> str:
    if isinstance(values, str):
        return repr(values)
    if isinstance(values, np.ndarray):
        with np.printoptions(precision=6, threshold=20, edgeitems=3, linewidth=100):
            return np.array2string(values, separator=", ").replace("\n", " ")
    if isinstance(values, (np.floating, float)):
        v = float(values)
        return f"{v:.6g}" if math.isfinite(v) else str(v)
    return str(values.item() if isinstance(values, np.generic) else values)


def format_quantity(name: str, q: Quantity) -> str:
    """One line ``name = value units  (long_name)``; units ``"1"`` are omitted."""
    units = "" if q.units == "1" else f" {q.units}"
    return f"{name} = {_format_value(q.values)}{units}  ({q.long_name})"


def format_derived(result: RunResult, scalars_only: bool = False) -> list[str]:
    """Lines for the ``/derived`` quantities of ``result`` (optionally scalars only)."""
    lines = []
    for key, q in derived_quantities(result).items():
        if scalars_only and isinstance(q.values, np.ndarray):
            continue
        lines.append(format_quantity(key, q))
    return lines


def _dtype_text(ds: h5py.Dataset) -> str:
    return "str" if h5py.check_string_dtype(ds.dtype) is not None else str(ds.dtype)


def inspect_text(path: str | os.PathLike) -> str:
    """Human-readable listing: root attributes, tree with shapes/units, derived values."""
    result = read_result(path)
    lines = [f"file: {Path(path)}", "", "root attributes:"]
    for key, value in sorted(result.provenance.items()):
        lines.append(f"  {key} = {value}")
    if result.solver:
        lines += ["", "solver:"]
        lines += [f"  {k} = {v}" for k, v in sorted(result.solver.items())]
    lines += ["", "tree:"]
    with _open_result(path) as f:
        for name, obj in _visit(f):
            depth = name.count("/")
            indent = "  " * depth
            base = name.rsplit("/", 1)[-1]
            if isinstance(obj, h5py.Group):
                extra = {k: _decode(v) for k, v in obj.attrs.items()} if name != "/solver" else {}
                note = "".join(f"  {k}={_format_value(v)}" for k, v in extra.items())
                lines.append(f"{indent}{base}/{note}")
                continue
            shape = "scalar" if obj.ndim == 0 else str(obj.shape)
            units = _decode(obj.attrs.get("units", "?"))
            note = ""
            dims = _read_dims(obj)
            if dims:
                note += f"  dims={dims}"
            if obj.is_scale:
                note += "  [scale]"
            lines.append(f"{indent}{base:<28} {shape:<14} {_dtype_text(obj):<9} [{units}]{note}")
    derived = format_derived(result)
    lines += ["", "derived:"]
    lines += [f"  {line}" for line in derived] if derived else ["  (none)"]
    return "\n".join(lines) + "\n"
