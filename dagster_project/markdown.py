"""Markdown tables of frames, for Dagster metadata and reports."""

from __future__ import annotations

import polars as pl


def markdown_table(frame: pl.DataFrame, *, digits: int | None = None, empty: str = "_none_") -> str:
    """`frame` as a markdown table (`empty` when it has no rows); floats to `digits` places
    when given, missing values as blanks."""
    if frame.is_empty():
        return empty

    def cell(value: object) -> str:
        if value is None:
            return ""
        if digits is not None and isinstance(value, float):
            return f"{value:.{digits}f}"
        return str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])
