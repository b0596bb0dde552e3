"""Parallel map for parameter sweeps: local worker processes, or a Dask cluster when a scheduler is given.

    results = parallel_map(func, tasks, shared=..., workers=2)                 # local processes
    results = parallel_map(func, tasks, shared=..., scheduler="tcp://host:8786")  # dask.distributed

``func`` is a module-level function (picklable) called as ``func(task)`` or, with ``shared``, as
``func(task, shared)``; ``tasks`` is a list of dicts, each carrying everything its run needs, its seed
included, so a result never depends on which worker ran it or in which order. ``shared`` (e.g. a dataset)
is sent once per worker process (Dask: scattered to every worker) instead of once per task. Results come
back in the order of ``tasks``; the caller gathers them into one HDF5 file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any


def default_workers() -> int:
    """Local worker processes when none are requested: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _call(func: Callable, task: dict, shared: Any) -> Any:
    return func(task) if shared is None else func(task, shared)


def single_thread_worker() -> None:
    """Initializer of a worker process: one numerical thread and no nested column pool (the pool of
    workers is the parallelism)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ["FTJPHYS_WORKERS"] = "1"     # no nested pools: a worker runs its device's columns in turn


def parallel_map(func: Callable, tasks: Sequence[dict], *, shared: Any = None, workers: int | None = None,
                 scheduler: str | None = None, progress: bool = True, desc: str = "tasks",
                 timeout_s: float = 30.0) -> list:
    """``[func(task[, shared]) for task in tasks]``, computed in parallel (module docstring).

    workers: local processes (None or 0: :func:`default_workers`; 1 runs in this process, for debugging
    and tests). scheduler: address of a running ``dask.distributed`` scheduler (e.g. ``tcp://10.0.0.5:8786``);
    when given, ``workers`` is ignored; ``timeout_s`` bounds the connection attempt. A failing task raises
    its exception here, naming the task.
    """
    from tqdm.auto import tqdm

    tasks = list(tasks)
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if any(not isinstance(t, dict) for t in tasks):
        raise TypeError("tasks must be a list of dicts")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise ValueError(f"workers = {workers!r} is not allowed; allowed: integers >= 0 (0: one per CPU)")
    results: list = [None] * len(tasks)
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress)
    try:
        if scheduler:
            _run_dask(func, tasks, shared, scheduler, results, bar, timeout_s)
        else:
            n = min(workers or default_workers(), max(len(tasks), 1))
            if n <= 1:
                for i, task in enumerate(tasks):
                    results[i] = _call(func, task, shared)
                    bar.update()
            else:
                _run_local(func, tasks, shared, n, results, bar)
    finally:
        bar.close()
    return results


def _describe(task: dict) -> str:
    items = [f"{k}={v!r}" for k, v in task.items() if isinstance(v, (str, int, float, bool))]
    return "{" + ", ".join(items[:6]) + "}"


def _run_local(func, tasks, shared, n, results, bar) -> None:
    import multiprocessing as mp

    # "spawn": a clean interpreter per worker (no forked locks or JIT state from the parent).
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=single_thread_worker) as pool:
        futures = {pool.submit(_call, func, task, shared): i for i, task in enumerate(tasks)}
        try:
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except Exception as exc:
                    raise RuntimeError(f"task {i} {_describe(tasks[i])} failed: {exc}") from exc
                bar.update()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _run_dask(func, tasks, shared, address, results, bar, timeout_s) -> None:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is an install requirement
        raise RuntimeError("scheduler given but dask.distributed is not installed (pip install 'dask[distributed]')") \
            from exc
    try:
        client = Client(address, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError) as exc:
        raise RuntimeError(f"scheduler = {address!r}: cannot connect to a Dask scheduler ({exc})") from exc
    try:
        # A list of one element scatters the object whole (a dict alone would be scattered value by value).
        shared_ref = client.scatter([shared], broadcast=True)[0] if shared is not None else None
        run = uuid.uuid4().hex[:12]
        futures = [client.submit(_call, func, task, shared_ref, pure=False, key=f"ftjphys-task-{run}-{i}")
                   for i, task in enumerate(tasks)]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in dask_completed(futures):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as exc:
                raise RuntimeError(f"task {i} {_describe(tasks[i])} failed on the Dask cluster: {exc}") from exc
            bar.update()
    finally:
        client.close()
