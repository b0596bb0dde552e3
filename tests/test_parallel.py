"""The sweep map: serial, local worker processes and a local two-worker Dask cluster give the same results in
task order; failures name their task."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

from scenarios.parallel import parallel_map


def square_plus(task: dict, shared: dict | None = None) -> dict:
    time.sleep(task.get("sleep", 0.0))
    offset = 0.0 if shared is None else float(np.sum(shared["offset"]))
    rng = np.random.default_rng(task["seed"])
    return {"i": task["i"], "value": task["i"] ** 2 + offset, "draw": float(rng.random()), "pid": os.getpid()}


def failing(task: dict) -> dict:
    if task["i"] == 2:
        raise ValueError("task two is broken")
    return {"i": task["i"]}


TASKS = [{"i": i, "seed": 100 + i} for i in range(6)]
SHARED = {"offset": np.array([0.25, 0.25])}


def _expected():
    return [square_plus(t, SHARED) for t in TASKS]


def _strip(results):
    return [{k: v for k, v in r.items() if k != "pid"} for r in results]


def test_serial_and_local_processes_agree_in_task_order():
    serial = parallel_map(square_plus, TASKS, shared=SHARED, workers=1, progress=False)
    assert _strip(serial) == _strip(_expected())
    assert {r["pid"] for r in serial} == {os.getpid()}
    local = parallel_map(square_plus, [dict(t, sleep=0.05) for t in TASKS], shared=SHARED, workers=2, progress=False)
    assert _strip(local) == _strip(serial)
    assert os.getpid() not in {r["pid"] for r in local}


def test_failures_name_the_task_and_bad_arguments_are_refused():
    with pytest.raises(RuntimeError, match=r"task 2 \{i=2\} failed: task two is broken"):
        parallel_map(failing, [{"i": i} for i in range(4)], workers=2, progress=False)
    with pytest.raises(ValueError, match="workers = -1"):
        parallel_map(failing, [{"i": 0}], workers=-1, progress=False)
    with pytest.raises(TypeError, match="list of dicts"):
        parallel_map(failing, [1, 2], workers=1, progress=False)
    assert parallel_map(failing, [], workers=2, progress=False) == []


def _fig3_tasks():
    from ftjphys.compact_model import CompactModel, Variability
    from ftjphys.mlp import SparseImages

    rng = np.random.default_rng(0)
    images = ((rng.random((60, 784)) < 0.15) * rng.integers(1, 256, (60, 784))).astype(np.uint8)
    labels = rng.integers(0, 10, 60)
    shared = {"train": SparseImages.from_bytes(images[:40], labels[:40]),
              "test": SparseImages.from_bytes(images[40:], labels[40:])}
    model = CompactModel.synthetic("t", 40e-6, 90e-6, 150, 0.3, 0.3, Variability(pulse_sigma_rel=1.0,
                                                                                    device_sigma_rel=0.3))
    training = {"n_hidden": 10, "epochs": 2, "learning_rate": 0.1, "lr_decay": 1.0, "lr_step_epochs": 0}
    update = {"mode": "pulse", "pair": "differential", "rounding": "stochastic", "weight_max": 1.0, "c2c": True,
              "d2d": True}
    tasks = [{"seed": s, "model": model, "update": update, "training": training} for s in (0, 1)]
    return tasks + [{"seed": 0, "model": None, "update": {}, "training": training}], shared


def test_two_worker_dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    import cloudpickle

    # the workers cannot import this test module: ship its functions by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      host="127.0.0.1") as cluster:
            tasks = [dict(t, sleep=0.2) for t in TASKS]
            results = parallel_map(square_plus, tasks, shared=SHARED, scheduler=cluster.scheduler_address,
                                   progress=False)
            assert _strip(results) == _strip(_expected())
            assert len({r["pid"] for r in results}) == 2  # both workers took tasks
            assert os.getpid() not in {r["pid"] for r in results}
            with pytest.raises(RuntimeError, match="task 2 .* failed on the Dask cluster: task two is broken"):
                parallel_map(failing, [{"i": i} for i in range(4)], scheduler=cluster.scheduler_address,
                             progress=False)
            # the fig3 worker function itself, with its shared dataset and compact models, on the cluster
            from scenarios import fig3

            tasks, shared = _fig3_tasks()
            on_dask = parallel_map(fig3.run_task, tasks, shared=shared, scheduler=cluster.scheduler_address,
                                   progress=False)
            here = parallel_map(fig3.run_task, tasks, shared=shared, workers=1, progress=False)
            for a, b in zip(on_dask, here):
                np.testing.assert_array_equal(a["test_accuracy"], b["test_accuracy"])
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("dask.distributed")
    with pytest.raises(RuntimeError, match="cannot connect to a Dask scheduler"):
        parallel_map(square_plus, TASKS[:1], scheduler="tcp://127.0.0.1:9", progress=False, timeout_s=2.0)


def test_device_columns_in_worker_processes_equal_the_serial_run(monkeypatch):
    """A device run whose columns go to a pool of worker processes returns the same currents,
    polarizations and final states as the run in this process (the columns are independent)."""
    from ftjphys.device import InitialState
    from ftjphys.parameters import yang2022
    from ftjphys.protocols import Protocol, Pulse, Read
    from scenarios.switching import DeviceRunner, device_workers

    p = yang2022().replace(**{"domains.columns": 3, "mesh.ferroelectric_cells": 8})
    wf = Protocol((Pulse(3.5, 1e-5), Read(0.1, 1e-6), Pulse(-3.5, 1e-5), Read(0.1, 1e-6))).compile()
    t = [w.t_end_s for w in wf.read_windows]
    runs = []
    for workers in (1, 2):
        runner = DeviceRunner(p.domains.columns, "test", progress=False, workers=workers)
        try:
            runs.append(runner.run(p, wf, t, InitialState()))
        finally:
            runner.close()
    serial, pooled = runs
    assert np.array_equal(serial.I_A, pooled.I_A)
    assert np.array_equal(serial.P_columns_C_per_m2, pooled.P_columns_C_per_m2)
    assert all(np.array_equal(a, b) for a, b in zip(serial.final_states, pooled.final_states))
    assert serial.I_A[0] > 1.5 * serial.I_A[1]               # the pulses switched: the check is not vacuous
    monkeypatch.setenv("FTJPHYS_WORKERS", "2")
    assert device_workers() == 2
    monkeypatch.setenv("FTJPHYS_WORKERS", "-1")
    with pytest.raises(ValueError, match="FTJPHYS_WORKERS"):
        device_workers()
