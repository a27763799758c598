"""``dissonance-trainer --handler module:function (--http PORT | --broker URL)``: the worker command."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Sequence

from .broker_jobs import DEFAULT_GROUP, DEFAULT_JOBS_TOPIC, DEFAULT_RESULTS_TOPIC, JobRunner
from .broker_settings import BrokerSettings
from .handler import Handler, load_handler
from .http_worker import serve_http
from .object_store import DEFAULT_UPLOAD_OVER_BYTES, configure


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dissonance-trainer",
        description="Run a training handler on the jobs the dissonance engine sends.",
    )
    parser.add_argument("--handler", required=True, help="module:function taking a TrainingJob, returning a TrainingResult")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--http", type=int, metavar="PORT", help="serve POST /jobs and GET /healthz on this port (0: any free one)")
    where.add_argument("--broker", metavar="URL", help="consume jobs from amqp://…, nats://… or redis://…")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind with --http (default 127.0.0.1)")
    broker = parser.add_argument_group("with --broker (names and defaults as the TypeScript transports')")
    broker.add_argument("--jobs-topic", default=DEFAULT_JOBS_TOPIC, help=f"topic of the jobs (default {DEFAULT_JOBS_TOPIC})")
    broker.add_argument(
        "--results-topic",
        default=DEFAULT_RESULTS_TOPIC,
        help=f"topic of the answers when a job names none (default {DEFAULT_RESULTS_TOPIC}; jobs name theirs)",
    )
    broker.add_argument("--group", default=DEFAULT_GROUP, help=f"consumer group the workers share (default {DEFAULT_GROUP})")
    broker.add_argument("--prefix", default="dissonance", help="the transports' prefix (default dissonance)")
    broker.add_argument("--max-attempts", type=int, default=5, help="deliveries before a failing job is dead-lettered (default 5)")
    broker.add_argument("--ack-wait-ms", type=int, default=30_000, help="NATS: the consumer's ack wait (default 30000)")
    broker.add_argument("--claim-idle-ms", type=int, default=30_000, help="Redis: claim a dead worker's job after this idle time (default 30000)")
    parser.add_argument(
        "--s3-endpoint",
        metavar="URL",
        help="S3 endpoint for snapshots and uploads (default $AWS_ENDPOINT_URL, else AWS), e.g. http://127.0.0.1:5055 for moto",
    )
    upload = parser.add_mutually_exclusive_group()
    upload.add_argument(
        "--upload-over",
        type=int,
        metavar="BYTES",
        default=DEFAULT_UPLOAD_OVER_BYTES,
        help=f"upload a candidate larger than this to the job's result_uri (default {DEFAULT_UPLOAD_OVER_BYTES}); "
        "jobs from an engine without an object store are always answered inline",
    )
    upload.add_argument("--upload-always", action="store_true", help="upload every candidate to the job's result_uri")
    return parser


def _run_broker(handler: Handler, args: argparse.Namespace, upload_over: int) -> int:
    url: str = args.broker
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("amqp", "amqps", "nats", "tls", "redis", "rediss"):
        print(f"dissonance-trainer: --broker {url}: expected amqp://, nats:// or redis://", file=sys.stderr)
        return 2
    for flag, value in (("--max-attempts", args.max_attempts), ("--ack-wait-ms", args.ack_wait_ms), ("--claim-idle-ms", args.claim_idle_ms)):
        if value < 1:
            print(f"dissonance-trainer: {flag} must be at least 1, got {value}", file=sys.stderr)
            return 2
    settings = BrokerSettings(
        url=url,
        jobs_topic=args.jobs_topic,
        results_topic=args.results_topic,
        group=args.group,
        prefix=args.prefix,
        max_attempts=args.max_attempts,
        ack_wait_ms=args.ack_wait_ms,
        claim_idle_ms=args.claim_idle_ms,
        # The one line a supervisor (or a test) waits for.
        on_ready=lambda where: print(f"dissonance-trainer: consuming {where}", flush=True),
    )
    runner = JobRunner(handler, args.results_topic, upload_over=upload_over)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if scheme.startswith("amqp"):
            from .amqp_worker import run_amqp

            run_amqp(runner, settings, stop)
        elif scheme.startswith("redis"):
            from .redis_worker import run_redis

            run_redis(runner, settings, stop)
        else:
            from .nats_worker import run_nats

            run_nats(runner, settings, stop)
    except KeyboardInterrupt:
        pass
    except ImportError as error:
        print(f"dissonance-trainer: --broker {scheme}: {error} (pip install 'dissonance-trainer[brokers]')", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parses ``argv`` and runs the worker until interrupted; returns the exit status."""
    args = _parser().parse_args(argv)
    # As `python -m` does (and uvicorn, gunicorn): a handler module in the working directory is importable,
    # also from the installed console script, whose sys.path[0] is its bin directory.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        handler = load_handler(args.handler)
    except (ValueError, ImportError, AttributeError) as error:
        print(f"dissonance-trainer: cannot load --handler {args.handler}: {error}", file=sys.stderr)
        return 2
    if args.upload_over < 0:
        print("dissonance-trainer: --upload-over must be ≥ 0", file=sys.stderr)
        return 2
    if args.s3_endpoint is not None:
        configure(endpoint=args.s3_endpoint)
    upload_over = 0 if args.upload_always else args.upload_over
    if args.broker is not None:
        return _run_broker(handler, args, upload_over)
    server = serve_http(handler, args.http, host=args.host, name=args.handler, upload_over=upload_over)
    host, port = server.server_address[:2]
    # The one line a supervisor (or a test) waits for: the bound address.
    print(f"dissonance-trainer: listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
