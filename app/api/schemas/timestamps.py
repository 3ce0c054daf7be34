"""Timestamps in API output: always RFC 3339 ``date-time`` with an offset (issue 12).

The service writes every timestamp in UTC, but SQLite keeps no offset, so a ``DateTime`` column
reads back naive there (PostgreSQL's ``timestamptz`` reads back aware). :data:`Timestamp` puts
UTC back on a naive value as the API serialises it; :data:`TimestampText` declares the format of
timestamps that the service stores as text (decision records hash that exact text).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


Timestamp = Annotated[dt.datetime, AfterValidator(_aware)]
TimestampText = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
