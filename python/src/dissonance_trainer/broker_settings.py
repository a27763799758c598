"""Settings every broker worker shares, and running a job beside the broker's heartbeat."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from .broker_jobs import DEFAULT_GROUP, DEFAULT_JOBS_TOPIC, DEFAULT_RESULTS_TOPIC

T = TypeVar("T")


@dataclass(frozen=True)
class BrokerSettings:
    """Where a worker consumes jobs and how it settles them: the TypeScript transports' names and defaults."""

    url: str
    jobs_topic: str = DEFAULT_JOBS_TOPIC
    #: Where answers go when a job does not name its ``replyTo``.
    results_topic: str = DEFAULT_RESULTS_TOPIC
    #: Consumer group of the workers (they share the jobs).
    group: str = DEFAULT_GROUP
    #: First segment of every broker name (the transports' ``prefix``, default ``dissonance``).
    prefix: str = "dissonance"
    #: Deliveries before a job that keeps failing is dead-lettered (the port's ``maxAttempts``, default 5).
    max_attempts: int = 5
    #: Dead-letter topic (default ``<jobs topic>.dlq``).
    dead_letter_topic: str = ""
    #: NATS: the consumer's ack wait in ms (a killed worker's job is redelivered after it; default 30 000).
    ack_wait_ms: int = 30_000
    #: Redis: idle time in ms after which a dead consumer's job is claimed (default 30 000).
    claim_idle_ms: int = 30_000
    #: Called once the worker consumes, with a line saying where.
    on_ready: Callable[[str], None] = field(default=lambda line: None)

    @property
    def dlq(self) -> str:
        return self.dead_letter_topic or f"{self.jobs_topic}.dlq"


def run_beside(
    work: Callable[[], T],
    heartbeat: Callable[[], None],
    interval: float,
    *,
    wait: Callable[[threading.Event, float], None] | None = None,
    wake: Callable[[], None] | None = None,
) -> T:
    """Runs ``work`` in a thread; every ``interval`` seconds until it is done, calls ``heartbeat``.

    ``wait(done, seconds)`` waits for ``done`` or the interval (default ``done.wait``): a client that must keep
    servicing its connection waits its own way, and ``wake`` (called from the thread once ``work`` returned)
    cuts that wait short, so the answer goes out at once.
    """
    box: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = error
        finally:
            done.set()
            if wake is not None:
                wake()

    thread = threading.Thread(target=target, name="dissonance-trainer-job", daemon=True)
    thread.start()
    while not done.is_set():
        if wait is None:
            done.wait(interval)
        else:
            wait(done, interval)
        if not done.is_set():
            heartbeat()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
