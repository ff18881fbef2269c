"""Where trials run: in this process, on a local process pool, or on a Ray cluster.

Every executor takes the list of pending trials and yields ``(trial, outcome)`` pairs as trials
finish, in completion order; outcomes come from :func:`rnnchaos.sweep.worker.execute_trial`, so a
trial that raises becomes an ``"error"`` outcome and the others go on. Results never depend on the
executor: each trial's parameters, seed included, are fixed before it is scheduled.

* ``run_serial``: one trial after another in this process (``workers=1``).
* ``run_local``: ``concurrent.futures.ProcessPoolExecutor`` over the ``forkserver`` start method
  (workers are forked from a clean server, never from a parent holding threads), one BLAS thread per
  worker, at most ``workers`` trials in flight. If a worker process dies (killed, out of memory,
  segfault), the pool is rebuilt and each trial that was in flight is retried once, alone (nothing else
  in flight), so that the one that kills its worker is found; a trial that dies alone is recorded as failed.
* ``run_ray``: Ray tasks (``num_cpus=1``) on the cluster at ``address``; ``"auto"`` starts a local
  instance with ``workers`` CPUs (``ray.init(address="local", num_cpus=..., include_dashboard=False,
  log_to_driver=False)``). If Ray is already initialised in this process (a notebook, a test
  fixture) that connection is reused and left open. Ray is an optional dependency, imported lazily.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from rnnchaos.sweep.grid import Trial
from rnnchaos.sweep.worker import execute_trial, failure, pin_threads

__all__ = ["default_workers", "run_local", "run_ray", "run_serial"]

Outcome = dict[str, Any]


def default_workers() -> int:
    """Number of CPUs this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_serial(trials: Sequence[Trial], function: str, python_path: Sequence[str] = ()
               ) -> Iterator[tuple[Trial, Outcome]]:
    """Run ``trials`` one after another in this process."""
    for trial in trials:
        yield trial, execute_trial(function, trial.params, python_path)


def run_local(trials: Sequence[Trial], function: str, python_path: Sequence[str] = (), workers: int = 1
              ) -> Iterator[tuple[Trial, Outcome]]:
    """Run ``trials`` on a local process pool of ``workers`` processes (see the module docstring).

    When a worker dies, every trial in flight fails with the broken pool, and which of them killed it is
    unknown; so each of them is retried *alone* (nothing else in flight) before the queue goes on. A trial
    that dies alone is recorded as failed; the innocent trials beside it finish normally.
    """
    queue: deque[Trial] = deque(trials)
    suspects: deque[Trial] = deque()  # in flight at a death: each is retried with nothing beside it
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    n = max(1, min(workers, len(trials)))
    while queue or suspects:
        pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=pin_threads)
        in_flight: dict[Future[Outcome], Trial] = {}
        alone: set[str] = set()  # ids of trials submitted as the only one in flight
        broken = False
        clean_exit = False
        try:
            while queue or suspects or in_flight:
                while not broken and (suspects or queue):
                    if suspects:
                        if in_flight:
                            break
                        trial = suspects.popleft()
                        alone.add(trial.id)
                    elif len(in_flight) < n:
                        trial = queue.popleft()
                    else:
                        break
                    try:
                        in_flight[pool.submit(execute_trial, function, trial.params, tuple(python_path))] = trial
                    except BrokenProcessPool:
                        (suspects if trial.id in alone else queue).appendleft(trial)
                        alone.discard(trial.id)
                        broken = True
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in done:
                    trial = in_flight.pop(fut)
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if trial.id in alone:
                            yield trial, failure("the worker process running this trial died twice, the second "
                                                 "time with no other trial beside it (killed, out of memory or "
                                                 "crashed)")
                        else:
                            suspects.append(trial)
                        continue
                    except Exception as exc:  # pickling errors and the like
                        outcome = failure(f"{type(exc).__name__}: {exc}")
                    yield trial, outcome
                if broken and not in_flight:
                    break
            clean_exit = True
        finally:
            # on an interrupt, do not wait for the running trials: they are not journaled anyway
            pool.shutdown(wait=clean_exit, cancel_futures=True)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError("--ray needs the optional dependency 'ray' (pip install 'rnnchaos[ray]'); "
                         "without --ray the sweep runs on local processes") from None
    return ray


def run_ray(trials: Sequence[Trial], function: str, python_path: Sequence[str] = (), address: str = "auto",
            workers: int | None = None) -> Iterator[tuple[Trial, Outcome]]:
    """Run ``trials`` as Ray tasks on the cluster at ``address`` (``"auto"``: a new local instance)."""
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": logging.ERROR}
        try:
            if address == "auto":
                ray.init(address="local", num_cpus=workers or default_workers(), **kwargs)
            else:
                ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ValueError(f"cannot start or connect to Ray at {address!r}: {exc}") from None
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(execute_trial)
        refs: dict[Any, Trial] = {task.remote(function, trial.params, tuple(python_path)): trial
                                  for trial in trials}
        try:
            while refs:
                done, _ = ray.wait(list(refs), num_returns=1)
                for ref in done:
                    trial = refs.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except Exception as exc:  # worker crash, node loss, cancellation
                        outcome = failure(f"Ray task failed: {type(exc).__name__}: {exc}")
                    yield trial, outcome
        finally:
            for ref in refs:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - best effort on the way out
                    pass
    finally:
        if started:
            ray.shutdown()
