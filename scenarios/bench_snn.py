"""Benchmark of the spiking-network runner (``make bench``): the Fig. 4 workload of one seed.

Workload: 100 training epochs of the five letters (500 presentations with learning), labelling (50
clean presentations) and the full noise test (11 noise levels × 5 letters × 200 presentations), on the
synthetic compact model with the paper's STDP window, one thread. JIT compilation is reported
separately: a cold compile in a fresh interpreter with an empty numba cache, and the first call of
this process (compile or load from the cache). The numpy twin runs a slice of the same work for the
speed ratio. For scale (research/snn.md §3.2, this kind of 2-core machine): Brian2's C++ standalone
mode runs the same workload in about 1 s after about 60 s of code generation and compiling; its
Cython runtime needs about 180 s. ``--quick`` shortens every part to a smoke test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

TARGET_S = 1.0

_COLD = """
import time, numpy as np
t0 = time.perf_counter()
from ftjphys import snn
from ftjphys.compact_model import CompactModel, StdpWindow
net = snn.Network(CompactModel.synthetic(stdp=StdpWindow.paper()))
rng = np.random.default_rng(0)
state = snn.initial_state(net, rng)
snn.present(net, state, snn.letter_patterns(), rng, learn=True)
print(time.perf_counter() - t0)
"""


def _cold_compile_s() -> float:
    """Wall time of the first presentation in a fresh interpreter with an empty numba cache (imports included)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS="1")
        out = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _setup(cfg: dict, seed: int):
    from ftjphys import snn
    from ftjphys.compact_model import CompactModel, StdpWindow

    net = snn.Network(CompactModel.synthetic(stdp=StdpWindow.paper()), snn.SnnParameters(**cfg["network"]))
    rng = np.random.default_rng(seed)
    return snn, net, snn.letter_patterns(), rng, snn.initial_state(net, rng)


def _workload(cfg: dict, seed: int):
    """Seconds of one seed's training, labelling and noise test; recognition per noise level."""
    snn, net, patterns, rng, state = _setup(cfg, seed)
    t0 = time.perf_counter()
    snn.train(net, state, patterns, cfg["epochs"], rng, cfg["train_noise"])
    labels = snn.assign_labels(net, state, patterns, rng, cfg["label_presentations_per_letter"])
    rec = [snn.recognition_rate(net, state, patterns, labels, s, cfg["test_presentations_per_letter"], rng)[0]
           for s in cfg["noise_levels"]]
    return time.perf_counter() - t0, rec


def _slice(cfg: dict, kernel: str) -> float:
    """Seconds of ``twin_presentations`` noisy presentations with learning through ``kernel``."""
    snn, net, patterns, rng, state = _setup(cfg, 0)
    images = snn.noisy_images(patterns[np.arange(cfg["twin_presentations"]) % 5], 0.3, rng)
    t0 = time.perf_counter()
    snn.present(net, state, images, rng, learn=True, kernel=kernel)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarios.bench_snn", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 epochs, 20 test presentations per letter and level")
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions (median reported)")
    args = parser.parse_args(argv)
    # one thread at run time; the environment is left alone (numba reads it once, at its first launch)
    import numba

    numba.set_num_threads(1)
    from . import fig4

    cfg = fig4.config(quick=False)
    if args.quick:
        cfg.update(epochs=10, test_presentations_per_letter=20)
    cfg["twin_presentations"] = 20 if args.quick else 100
    n_train = cfg["epochs"] * 5
    n_test = 5 * (cfg["label_presentations_per_letter"]
                  + len(cfg["noise_levels"]) * cfg["test_presentations_per_letter"])

    cold = _cold_compile_s()
    t0 = time.perf_counter()
    _workload(dict(cfg, epochs=1, test_presentations_per_letter=1), 0)
    first = time.perf_counter() - t0
    times, rec = [], None
    for k in range(max(1, args.repeats)):
        t, rec = _workload(cfg, k)
        times.append(t)
    t_run = float(np.median(times))
    t_twin = _slice(cfg, "numpy")
    t_slice = min(_slice(cfg, "numba") for _ in range(5))

    print("SNN runner: Fig. 4 workload of one seed (synthetic compact model, paper STDP, one thread)")
    print(f"  presentations: {n_train} with learning + {n_test} frozen (labels, {len(cfg['noise_levels'])} noise "
          f"levels x 5 letters x {cfg['test_presentations_per_letter']})")
    print(f"  JIT compile, cold (fresh interpreter, empty cache, imports included): {cold:8.2f} s")
    print(f"  first call of this process (compile or numba cache load):          {first:8.2f} s")
    print(f"  run, compile excluded (median of {len(times)}): {t_run:8.3f} s   (target <= {TARGET_S:.0f} s)")
    print(f"  per presentation of the whole run: {1e6 * t_run / (n_train + n_test):8.1f} us")
    print(f"  {cfg['twin_presentations']} presentations with learning: numba {1e3 * t_slice:8.3f} ms, "
          f"numpy twin {1e3 * t_twin:8.1f} ms, speed-up {t_twin / t_slice:.0f}x")
    print("  recognition of the timed seed at noise 0 / 0.5 / 1.0: "
          + " / ".join(f"{r:.3f}" for r, s in zip(rec, cfg["noise_levels"]) if s in (0.0, 0.5, 1.0)))
    print("  for scale: Brian2 cpp_standalone ~1 s run after ~60 s code generation + compile; "
          "Cython runtime ~180 s (research/snn.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
