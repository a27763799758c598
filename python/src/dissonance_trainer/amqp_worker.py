"""The RabbitMQ worker (pika), speaking ``@dissonance/adapter-amqp``'s topology and wire format.

- Topic ``t`` is the durable fanout exchange ``<prefix>.t``; group ``g`` its durable queue ``<prefix>.t.g``.
- Messages are persistent wire frames (``content-type: application/vnd.dissonance.frame``), published with
  confirms.
- One job at a time (prefetch 1), acked only after its answer is confirmed: a worker killed mid-job leaves it
  unacked and RabbitMQ redelivers it to another worker.
- A job that fails outside the handler is republished to the group queue with ``attempt + 1`` (then acked), and
  dead-lettered to the exchange of ``<jobs topic>.dlq`` once ``attempt`` reaches ``max_attempts``; an
  undecodable body is dead-lettered at once — as the TypeScript subscriber does.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

from .broker_jobs import JobRunner, NotAJob
from .broker_settings import BrokerSettings, run_beside
from .wire import DEAD_LETTER_TYPE, INVALID_MESSAGE_TYPE, WIRE_CONTENT_TYPE, WireError, decode_frame, encode_frame, envelope, trace_of

log = logging.getLogger("dissonance_trainer.amqp")


def _publish(channel: BlockingChannel, exchange: str, routing_key: str, env: dict[str, Any]) -> None:
    channel.basic_publish(
        exchange,
        routing_key,
        encode_frame(env),
        pika.BasicProperties(
            delivery_mode=2,
            content_type=WIRE_CONTENT_TYPE,
            message_id=env["id"],
            type=env["type"],
            timestamp=int(time.time()),
        ),
    )


def run_amqp(runner: JobRunner, settings: BrokerSettings, stop: threading.Event) -> None:
    """Consumes jobs until ``stop`` is set."""
    prefix = settings.prefix
    exchange = f"{prefix}.{settings.jobs_topic}"
    queue = f"{exchange}.{settings.group}"
    dead_letters = f"{prefix}.{settings.dlq}"
    connection = pika.BlockingConnection(pika.URLParameters(settings.url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_qos(prefetch_count=1)
    channel.exchange_declare(exchange, "fanout", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, "")
    declared: set[str] = set()

    def publish_to_topic(topic: str, env: dict[str, Any]) -> None:
        name = f"{prefix}.{topic}"
        if name not in declared:
            channel.exchange_declare(name, "fanout", durable=True)
            declared.add(name)
        _publish(channel, name, "", env)

    def dead_letter(original: Any, error: str) -> None:
        letter = {"envelope": original, "error": error, "topic": settings.jobs_topic}
        publish_to_topic(settings.dlq, envelope(DEAD_LETTER_TYPE, letter, trace=trace_of(original)))

    settings.on_ready(f"amqp queue {queue}")
    try:
        for method, _properties, body in channel.consume(queue, inactivity_timeout=0.5):
            if stop.is_set():
                break
            if method is None:
                continue
            try:
                env = decode_frame(body)
            except WireError as error:
                dead_letter(envelope(INVALID_MESSAGE_TYPE, {"body": body[:65536].decode("utf-8", "replace")}), str(error))
                channel.basic_ack(method.delivery_tag)
                continue
            try:
                # Services the connection (heartbeats) while the job runs; the job's end wakes it at once.
                answer = run_beside(
                    lambda: runner.answer(env),
                    lambda: None,
                    1.0,
                    wait=lambda done, seconds: connection.process_data_events(time_limit=seconds),
                    wake=lambda: connection.add_callback_threadsafe(lambda: None),
                )
                if answer is not None:
                    publish_to_topic(answer.topic, answer.envelope)
            except NotAJob as error:
                dead_letter(env, str(error))
            except Exception as error:  # noqa: BLE001 - a failed attempt: retried, then dead-lettered
                log.exception("job %s: attempt %s failed", env.get("id"), env.get("attempt"))
                if env["attempt"] >= settings.max_attempts:
                    dead_letter(env, f"{type(error).__name__}: {error}")
                else:
                    _publish(channel, "", queue, {**env, "attempt": env["attempt"] + 1})
            channel.basic_ack(method.delivery_tag)
    finally:
        try:
            channel.cancel()
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass
