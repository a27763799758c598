"""The Redis Streams worker (redis-py), speaking ``@dissonance/adapter-redis``'s keys, scripts and wire format.

- Topic ``t`` is the stream ``<prefix>:t`` (field ``envelope``: a wire frame); group ``g`` a consumer group on
  it (created at ``$``) and on the group's retry stream ``<prefix>:t:g:retry`` (at ``0``); delayed retries wait
  in the sorted set ``<prefix>:t:g:delayed``.
- The attempt is the envelope's ``attempt`` plus the entry's deliveries minus one.
- While a job runs the worker keeps its entry fresh (``XCLAIM … JUSTID``), and acks only after the answer is
  added, so a worker killed mid-job leaves the entry pending: another worker claims it (``XAUTOCLAIM``) once it
  has been idle ``--claim-idle-ms``.
- Settlement uses the TypeScript side's Lua scripts: ack (``XACK``, and ``XDEL`` on the retry stream), retry
  (attempt + 1 onto the retry stream) and dead-letter (onto ``<prefix>:<jobs topic>.dlq``) atomically.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import redis

from .broker_jobs import JobRunner, NotAJob
from .broker_settings import BrokerSettings, run_beside
from .wire import DEAD_LETTER_TYPE, WireError, decode_frame, encode_frame, envelope, trace_of

log = logging.getLogger("dissonance_trainer.redis")

# The settlement scripts of packages/adapters/redis/src/scripts.ts, verbatim.
ACK_SCRIPT = """
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
return acked
"""
RETRY_SCRIPT = """
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[6] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
if acked == 0 then return 0 end
local delay = tonumber(ARGV[3])
if delay <= 0 then
  redis.call('XADD', KEYS[3], '*', 'envelope', ARGV[5])
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[2], now + delay, ARGV[4] .. ' ' .. ARGV[5])
end
return 1
"""
DEAD_LETTER_SCRIPT = """
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
if acked == 0 then return 0 end
if ARGV[5] == '' then
  redis.call('XADD', KEYS[2], '*', 'envelope', ARGV[3])
else
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'envelope', ARGV[3])
end
return 1
"""
MOVE_DUE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local sep = string.find(member, ' ', 1, true)
  if sep then redis.call('XADD', KEYS[2], '*', 'envelope', string.sub(member, sep + 1)) end
  redis.call('ZREM', KEYS[1], member)
end
return #due
"""


def _create_group(client: redis.Redis, key: str, group: str, start: str) -> None:
    try:
        client.xgroup_create(key, group, id=start, mkstream=True)
    except redis.ResponseError as error:
        if not str(error).startswith("BUSYGROUP"):
            raise


def run_redis(runner: JobRunner, settings: BrokerSettings, stop: threading.Event) -> None:
    """Consumes jobs until ``stop`` is set."""
    client = redis.Redis.from_url(settings.url)
    prefix, group = settings.prefix, settings.group
    stream = f"{prefix}:{settings.jobs_topic}"
    retry = f"{stream}:{group}:retry"
    delayed = f"{stream}:{group}:delayed"
    dead_letters = f"{prefix}:{settings.dlq}"
    consumer = uuid.uuid4().hex
    _create_group(client, stream, group, "$")
    _create_group(client, retry, group, "0")
    settings.on_ready(f"redis stream {stream} group {group}")
    claim_every = max(0.01, settings.claim_idle_ms / 3000)
    next_claim = 0.0

    def entries_of(reply: Any) -> list[tuple[str, bytes, bytes | None, int]]:
        found = []
        for key, items in reply or []:
            for entry_id, fields in items:
                found.append((key.decode() if isinstance(key, bytes) else key, entry_id, (fields or {}).get(b"envelope"), 1))
        return found

    def claim() -> list[tuple[str, bytes, bytes | None, int]]:
        for key in (stream, retry):
            reply = client.xautoclaim(key, group, consumer, settings.claim_idle_ms, start_id="0-0", count=1)
            items = reply[1] if isinstance(reply, (list, tuple)) and len(reply) > 1 else []
            for entry_id, fields in items:
                pending = client.xpending_range(key, group, min=entry_id, max=entry_id, count=1, consumername=consumer)
                deliveries = int(pending[0]["times_delivered"]) if pending else 2
                return [(key, entry_id, (fields or {}).get(b"envelope"), deliveries)]
        return []

    def dead_letter(key: str, entry_id: bytes, original: Any, error: str) -> None:
        letter = {"envelope": original, "error": error, "topic": settings.jobs_topic}
        body = encode_frame(envelope(DEAD_LETTER_TYPE, letter, trace=trace_of(original)))
        client.eval(DEAD_LETTER_SCRIPT, 2, key, dead_letters, group, entry_id, body, "1" if key == retry else "0", "")

    while not stop.is_set():
        client.eval(MOVE_DUE_SCRIPT, 2, delayed, retry, "100")
        entries: list[tuple[str, bytes, bytes | None, int]] = []
        if time.monotonic() >= next_claim:
            next_claim = time.monotonic() + claim_every
            entries = claim()
        if not entries:
            entries = entries_of(client.xreadgroup(group, consumer, {stream: ">", retry: ">"}, count=1, block=500))
        for key, entry_id, raw, deliveries in entries:
            is_retry = "1" if key == retry else "0"
            try:
                env = decode_frame(raw if raw is not None else b"")
            except WireError as error:
                dead_letter(key, entry_id, (raw or b"")[:65536].decode("utf-8", "replace"), str(error))
                continue
            attempt = env["attempt"] + deliveries - 1
            env = {**env, "attempt": attempt}
            if attempt > settings.max_attempts:
                dead_letter(key, entry_id, env, f"delivered {deliveries} times without being settled; attempt {attempt} exceeds maxAttempts {settings.max_attempts}")
                continue

            def beat(key: str = key, entry_id: bytes = entry_id) -> None:
                client.xclaim(key, group, consumer, 0, [entry_id], justid=True)

            try:
                answer = run_beside(lambda: runner.answer(env), beat, claim_every)
                if answer is not None:
                    client.xadd(f"{prefix}:{answer.topic}", {"envelope": encode_frame(answer.envelope)})
            except NotAJob as error:
                dead_letter(key, entry_id, env, str(error))
                continue
            except Exception as error:  # noqa: BLE001 - a failed attempt: retried, then dead-lettered
                log.exception("job %s: attempt %s failed", env.get("id"), attempt)
                if attempt >= settings.max_attempts:
                    dead_letter(key, entry_id, env, f"{type(error).__name__}: {error}")
                else:
                    body = encode_frame({**env, "attempt": attempt + 1})
                    client.eval(RETRY_SCRIPT, 3, key, delayed, retry, group, entry_id, "0", uuid.uuid4().hex, body, is_retry)
                continue
            client.eval(ACK_SCRIPT, 1, key, group, entry_id, is_retry)
    client.close()
