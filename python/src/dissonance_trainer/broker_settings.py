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


def run_beside(work: Callable[[], T], beat: Callable[[float], None], interval: float) -> T:
    """Runs ``work`` in a thread and calls ``beat(interval)`` (which waits about that long) until it is done."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = error

    thread = threading.Thread(target=target, name="dissonance-trainer-job", daemon=True)
    thread.start()
    while thread.is_alive():
        beat(interval)
        thread.join(0)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
