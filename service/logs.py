"""Structured JSON logs; we log ids and counts, never transcript text, keys or secrets."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_RESERVED = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class AccessLogRedaction(logging.Filter):
    """Rewrites uvicorn's access-log line so it carries no query string (keys sent as `?api_key=`, customer
    ids in filters) and no path ids (customer ids, run and persona ids): each path segment that is not a
    fixed word of one of the app's routes becomes `:id`, and a query string becomes `?[redacted]`."""

    def __init__(self) -> None:
        super().__init__()
        self.known_segments: set[str] = set()

    def learn(self, route_paths: list[str]) -> None:
        for path in route_paths:
            self.known_segments.update(s for s in path.split("/") if s and "{" not in s)

    def redact(self, full_path: str) -> str:
        path, has_query, _ = full_path.partition("?")
        segments = [s if not s or s in self.known_segments else ":id" for s in path.split("/")]
        return "/".join(segments) + ("?[redacted]" if has_query else "")

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn.access logs '%s - "%s %s HTTP/%s" %d' with (client, method, full path, version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], self.redact(args[2]), args[3], args[4])
        return True


ACCESS_LOG_REDACTION = AccessLogRedaction()


def redact_access_log(route_paths: list[str]) -> None:
    """Have uvicorn's access log redact paths and query strings (once per process; each app adds its routes)."""
    ACCESS_LOG_REDACTION.learn(route_paths)
    access = logging.getLogger("uvicorn.access")
    if ACCESS_LOG_REDACTION not in access.filters:
        access.addFilter(ACCESS_LOG_REDACTION)
