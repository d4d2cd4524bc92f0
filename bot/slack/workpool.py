"""Where the Slack listeners' work runs after the ack: few tasks at once, none stuck behind a
slow one.

Acks and the work share one interpreter lock. Measured with benchmarks/ack_latency.py (20
concurrent senders on PostgreSQL), eight tasks running at once put the ack's p99 at 64 ms and
two at 40 ms. But a task can also wait for seconds (Slack's 429 Retry-After, a slow cluster,
a database failover), and two lanes held that way would stop every other reply. So a task
holds one of the ``lanes`` only while it is fresh: once it has run for ``stall_after``
seconds it is presumed to be waiting on something, and the next task starts beside it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

LANES = 2
STALL_AFTER_SECONDS = 0.1
MAX_THREADS = 16


class WorkPool(Executor):
    def __init__(
        self,
        *,
        lanes: int = LANES,
        stall_after: float = STALL_AFTER_SECONDS,
        max_threads: int = MAX_THREADS,
        name: str = "releasebot-slack",
    ) -> None:
        if not 1 <= lanes <= max_threads:
            raise ValueError(f"lanes must be 1..{max_threads}, got {lanes}")
        self._lanes = lanes
        self._stall_after = stall_after
        self._threads = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix=name)
        self._changed = threading.Condition()
        self._queue: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._fresh: dict[int, float] = {}
        self._tokens = itertools.count()
        self._closing = False
        self._dispatcher = threading.Thread(target=self._dispatch, name=f"{name}-dispatch")
        self._dispatcher.daemon = True
        self._dispatcher.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._changed:
            if self._closing:
                raise RuntimeError("cannot take work after shutdown")
            self._queue.append((future, lambda: fn(*args, **kwargs)))
            self._changed.notify_all()
        return future

    def queued(self) -> int:
        """Tasks accepted but not started yet."""
        with self._changed:
            return len(self._queue)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Every task accepted before this still runs (unless ``cancel_futures``): an acked
        request owes its author a reply."""
        with self._changed:
            self._closing = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[0].cancel()
            self._changed.notify_all()
        if wait:
            self._dispatcher.join()
        self._threads.shutdown(wait=wait)

    def _dispatch(self) -> None:
        with self._changed:
            while self._queue or not self._closing:
                now = time.monotonic()
                for token, started in list(self._fresh.items()):
                    if now - started >= self._stall_after:
                        del self._fresh[token]
                if self._queue and len(self._fresh) < self._lanes:
                    future, work = self._queue.popleft()
                    if future.set_running_or_notify_cancel():
                        token = next(self._tokens)
                        self._fresh[token] = now
                        self._threads.submit(self._run, token, future, work)
                    continue
                timeout = None
                if self._queue and self._fresh:
                    timeout = min(self._fresh.values()) + self._stall_after - now
                self._changed.wait(timeout)

    def _run(self, token: int, future: Future[Any], work: Callable[[], Any]) -> None:
        try:
            result = work()
        except BaseException as err:
            future.set_exception(err)
        else:
            future.set_result(result)
        finally:
            with self._changed:
                self._fresh.pop(token, None)
                self._changed.notify_all()
