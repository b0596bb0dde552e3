"""Benchmark of the MLP runner (``make bench``): one device-aware epoch against one floating-point epoch.

Same network (784×300×10), same 6,000 training images, batch size 1, one thread
(``NUMBA_NUM_THREADS=1``); the device-aware epoch uses the pulse-faithful update through an
exponential-family compact model with the paper's FTJ numbers (40–90 µS, 150 pulses, NL 0.15). JIT
compilation (or loading from numba's cache) is done first on a few samples and reported separately.
For scale on this kind of machine: IBM aihwkit takes 5–7 s per such epoch with a PiecewiseStep device,
and CrossSim v2's lookup-table update about 19 ms per sample (research/mlp.md §4). ``--quick`` uses 600
samples and is a smoke test.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _images(n: int) -> tuple[np.ndarray, np.ndarray, str]:
    """n training digits (cycled if the pool is smaller) and where they came from."""
    from ftjphys.datasets import split_digits

    from .data import DataUnavailableError, load_mnist

    try:
        pool = load_mnist()
    except DataUnavailableError as exc:
        raise SystemExit(f"bench_mlp: {exc}") from exc
    split = split_digits(pool, min(n, pool.labels.size - 1), 1, 0)
    reps = -(-n // split.n_train)
    return np.tile(split.train_images, (reps, 1))[:n], np.tile(split.train_labels, reps)[:n], split.source


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarios.bench_mlp", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 samples instead of 6,000")
    parser.add_argument("--samples", type=int, default=None, help="training samples per epoch (default 6000)")
    args = parser.parse_args(argv)
    # one thread at run time (below); the environment is left alone: numba reads it once, at its first launch
    import numba

    from ftjphys.compact_model import CompactModel
    from ftjphys.mlp import DeviceUpdate, SparseImages, TrainingConfig, train

    n = args.samples or (600 if args.quick else 6000)
    images, labels, source = _images(n)
    data = SparseImages.from_bytes(images, labels)
    small = SparseImages.from_bytes(images[:20], labels[:20])
    model = CompactModel.synthetic("FTJ (paper numbers)", 40e-6, 90e-6, 150, 0.15, 0.15)
    one = TrainingConfig(epochs=1)
    try:
        numba.set_num_threads(1)
    except (ValueError, RuntimeError):
        pass

    t0 = time.perf_counter()
    train(small, small, one, 0)
    train(small, small, one, 0, model, DeviceUpdate())
    jit_s = time.perf_counter() - t0

    float_run = train(data, small, one, 1)
    device_run = train(data, small, one, 1, model, DeviceUpdate())
    t_float = float(float_run.epoch_wall_s[0])
    t_dev = float(device_run.epoch_wall_s[0])
    print(f"MLP 784x300x10, {n} samples ({source}), batch 1, {numba.get_num_threads()} numba thread(s):")
    print(f"  JIT compile / cache load      : {jit_s:8.3f} s (excluded below)")
    print(f"  floating-point epoch          : {t_float:8.3f} s  ({1e6 * t_float / n:7.1f} us/sample)")
    print(f"  device-aware epoch (pulses)   : {t_dev:8.3f} s  ({1e6 * t_dev / n:7.1f} us/sample)  target <= 1.5 s "
          f"per 6000 samples")
    print(f"  device / float                : {t_dev / t_float:8.1f} x")
    print(f"  pulses per sample             : {device_run.pulses_per_sample[0]:8.1f}  "
          f"(updates firing >= 1 pulse: {device_run.events_per_sample[0]:.1f} per sample)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
