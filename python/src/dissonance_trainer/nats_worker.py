"""The NATS JetStream worker (nats-py), speaking ``@dissonance/adapter-nats``'s names and wire format.

- Topic ``t`` is the file-backed stream ``<stream prefix>_<t encoded>`` capturing subject ``<prefix>.t``
  (names encoded as the TypeScript side does: ``_`` → ``__``, ``.`` → ``_d``); group ``g`` its durable pull
  consumer ``<g encoded>`` (explicit ack, deliver all, unlimited ``max_deliver``, ``max_ack_pending`` 1).
- Publishes carry ``Nats-Msg-Id`` = the envelope id (JetStream deduplicates a repeat).
- The attempt is the server's delivery count. While a job runs the worker tells the server it is still working;
  it acks only after the answer is stored, so a worker killed mid-job leaves the job to be redelivered after
  the consumer's ack wait (``--ack-wait-ms``).
- A job that fails outside the handler is nak'd (redelivered, attempt + 1), and dead-lettered (published to
  ``<prefix>.<jobs topic>.dlq``, then terminated) once its attempt reaches ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from .broker_jobs import JobRunner, NotAJob
from .broker_settings import BrokerSettings
from .wire import DEAD_LETTER_TYPE, WireError, decode_frame, encode_frame, envelope, trace_of

log = logging.getLogger("dissonance_trainer.nats")


def encode_name(name: str) -> str:
    """A topic or group as a stream or consumer name token: ``_`` → ``__``, ``.`` → ``_d``."""
    return "".join("__" if c == "_" else "_d" if c == "." else c for c in name)


def run_nats(runner: JobRunner, settings: BrokerSettings, stop: threading.Event) -> None:
    """Consumes jobs until ``stop`` is set."""
    asyncio.run(_run(runner, settings, stop))


async def _run(runner: JobRunner, settings: BrokerSettings, stop: threading.Event) -> None:
    prefix = settings.prefix
    stream_prefix = encode_name(prefix)
    nc = await nats.connect(settings.url)
    js = nc.jetstream()
    ready: set[str] = set()

    async def ensure_stream(topic: str) -> str:
        name = f"{stream_prefix}_{encode_name(topic)}"
        if name not in ready:
            try:
                await js.stream_info(name)
            except NotFoundError:
                config = StreamConfig(
                    name=name, subjects=[f"{prefix}.{topic}"], storage=StorageType.FILE, retention=RetentionPolicy.LIMITS
                )
                try:
                    await js.add_stream(config)
                except Exception:  # noqa: BLE001 - another process may have created it in between
                    await js.stream_info(name)
            ready.add(name)
        return name

    async def publish(topic: str, env: dict[str, Any]) -> None:
        await ensure_stream(topic)
        await js.publish(f"{prefix}.{topic}", encode_frame(env), headers={"Nats-Msg-Id": env["id"]})

    stream = await ensure_stream(settings.jobs_topic)
    durable = encode_name(settings.group)
    try:
        await js.consumer_info(stream, durable)
    except NotFoundError:
        await js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=settings.ack_wait_ms / 1000,
                max_deliver=-1,
                max_ack_pending=1,
            ),
        )
    subscription = await js.pull_subscribe_bind(durable, stream)
    settings.on_ready(f"nats stream {stream} consumer {durable}")

    async def dead_letter(msg: Any, original: Any, error: str) -> None:
        letter = {"envelope": original, "error": error, "topic": settings.jobs_topic}
        await publish(settings.dlq, envelope(DEAD_LETTER_TYPE, letter, trace=trace_of(original)))
        await msg.term()

    try:
        while not stop.is_set():
            try:
                messages = await subscription.fetch(1, timeout=0.5)
            except (asyncio.TimeoutError, nats.errors.TimeoutError):
                continue
            for msg in messages:
                attempt = msg.metadata.num_delivered
                try:
                    env = decode_frame(msg.data)
                except WireError as error:
                    await dead_letter(msg, msg.data[:65536].decode("utf-8", "replace"), str(error))
                    continue
                env = {**env, "attempt": attempt}
                if attempt > settings.max_attempts:
                    await dead_letter(msg, env, f"delivered {attempt} times without settling (maxAttempts {settings.max_attempts})")
                    continue
                work = asyncio.get_running_loop().run_in_executor(None, runner.answer, env)
                while True:
                    done, _ = await asyncio.wait({work}, timeout=max(0.2, settings.ack_wait_ms / 3000))
                    if done:
                        break
                    await msg.in_progress()
                try:
                    answer = work.result()
                    if answer is not None:
                        await publish(answer.topic, answer.envelope)
                except NotAJob as error:
                    await dead_letter(msg, env, str(error))
                    continue
                except Exception as error:  # noqa: BLE001 - a failed attempt: redelivered, then dead-lettered
                    log.exception("job %s: attempt %s failed", env.get("id"), attempt)
                    if attempt >= settings.max_attempts:
                        await dead_letter(msg, env, f"{type(error).__name__}: {error}")
                    else:
                        await msg.nak()
                    continue
                await msg.ack_sync()
    finally:
        await nc.drain()
