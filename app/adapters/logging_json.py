"""Structured logs: one JSON object per line, with the request id of the request being served.

:data:`request_id` is set by the API's request middleware (``app/api/observability.py``) for
the duration of a request; every record logged meanwhile, by any module, carries it. The
formatter writes only the record's message and the ``extra`` fields a caller passes on
purpose (:data:`FIELDS`): headers, query strings and bodies are never logged, so neither are
API keys, tokens or personal data.

``configure(level, fmt)`` sets up the root logger (and uvicorn's) for ``passerelle serve`` and
``passerelle worker``; ``fmt="text"`` keeps a human-readable line for local runs.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import logging.config
from typing import Any, Literal

#: The id of the request being served (``None`` outside a request).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "passerelle_request_id", default=None
)

#: ``extra={...}`` fields a log call may attach (anything else passed is ignored).
FIELDS = (
    "method",
    "route",
    "status",
    "duration_ms",
    "organisation",
    "job_id",
    "model",
    "client",
)


class RequestIdFilter(logging.Filter):
    """Attach the current request id to every record (``record.request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id", ...FIELDS, "exc"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            out["request_id"] = rid
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The human-readable line, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None) or request_id.get()
        extras = " ".join(
            f"{name}={getattr(record, name)}"
            for name in FIELDS
            if getattr(record, name, None) is not None
        )
        return " ".join(part for part in (line, extras, f"[{rid}]" if rid else "") if part)


def logging_config(level: str = "info", fmt: Literal["json", "text"] = "json") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service (and uvicorn's loggers)."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"()": TextFormatter, "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": upper},
        "loggers": {
            # uvicorn's own access line is replaced by passerelle.access (route, not raw path)
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure(level: str = "info", fmt: Literal["json", "text"] = "json") -> None:
    logging.config.dictConfig(logging_config(level, fmt))
