"""The platform's one clock: timestamps as the warehouse stores them (naive UTC)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, in UTC, without a time zone (DuckDB TIMESTAMP columns)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
