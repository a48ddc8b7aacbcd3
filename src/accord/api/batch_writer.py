"""Group commit for `POST /v1/events`: many requests, one transaction.

Each request hands its event to the `BatchWriter` and awaits the answer; one writer
thread takes every event waiting (up to `max_batch`), gives them to
`EventIntake.submit_many` — one store transaction for all — and answers each request
only after that transaction committed. Under load the batches grow by themselves (the
events that arrive while one batch commits form the next), so a commit's cost is shared;
with one client a batch is one event and nothing waits. The event loop never blocks on
the store: it only queues and awaits.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass

from accord.engine.intake import EventIntake, IntakeResult, Submission
from accord.errors import AccordError, StoreError

__all__ = ["BatchWriter"]

log = logging.getLogger("uvicorn.error")  # configured by uvicorn: the server log


@dataclass(frozen=True)
class _Waiting:
    item: Submission
    future: asyncio.Future[IntakeResult | AccordError]
    loop: asyncio.AbstractEventLoop


def _settle(future: asyncio.Future[IntakeResult | AccordError],
            result: IntakeResult | AccordError) -> None:
    if not future.done():
        future.set_result(result)


class BatchWriter:
    """The server's one writer thread over an `EventIntake` (module docstring)."""

    def __init__(self, intake: EventIntake, *, max_batch: int = 256,
                 linger: float = 0.002) -> None:
        self.intake = intake
        self.max_batch = max_batch
        self.linger = linger
        self.batches = 0
        self.events = 0
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="accord-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Answer what is queued, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)
        if self.batches:
            log.info("accord serve: %d events stored in %d transactions (%.1f per "
                     "transaction)", self.events, self.batches, self.events / self.batches)

    async def submit(self, item: Submission) -> IntakeResult | AccordError:
        """The event's answer (or its error) once it is stored."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IntakeResult | AccordError] = loop.create_future()
        self._queue.put(_Waiting(item, future, loop))
        return await future

    def _run(self) -> None:
        stopping = False
        last = 0
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            # Under load, linger a moment for the requests already on their way (the ones
            # answered with the last batch come back together); alone, never wait.
            deadline = time.monotonic() + (self.linger if last > 1 else 0.0)
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic())) \
                        if time.monotonic() < deadline else self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
            try:
                results = self.intake.submit_many([w.item for w in batch])
            except Exception as exc:  # the intake answers errors; this is a last guard
                error = StoreError(f"events could not be stored: {type(exc).__name__}")
                results = [error] * len(batch)
            self.batches += 1
            self.events += len(batch)
            last = len(batch)
            for waiting, result in zip(batch, results, strict=True):
                waiting.loop.call_soon_threadsafe(_settle, waiting.future, result)
