"""``dissonance-trainer --handler module:function (--http PORT | --broker URL)``: the worker command."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .handler import load_handler
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
    where.add_argument("--broker", metavar="URL", help="amqp://…, nats://… or redis://… (not yet supported in this release)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind with --http (default 127.0.0.1)")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Parses ``argv`` and runs the worker until interrupted; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.broker is not None:
        print(
            f"dissonance-trainer: --broker is not yet supported in this release ({args.broker}); use --http PORT",
            file=sys.stderr,
        )
        return 2
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
