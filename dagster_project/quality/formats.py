"""Name the format a column is in, when it is not the agreed one.

When most of a delivery's values in a column break the agreed format, the export has
probably changed format (dates written yyyy-mm-dd instead of dd/mm/yyyy, sex as Male/Female
instead of M/F). The delivery is then refused, and the reason should say what was found:
"dob is yyyy-mm-dd in 100.0% of filled-in rows, expected dd/mm/yyyy".

`describe` returns a label from the fixed vocabularies below, never a value, so the reason is
safe to log and store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

from dagster_project.quality.results import UNKNOWN_FORMAT

_D = r"(?:0[1-9]|[12][0-9]|3[01])"
_M = r"(?:0[1-9]|1[0-2])"
_Y4 = r"(?:1[89]|20)[0-9]{2}"
_MON = r"(?:[Jj]an|[Ff]eb|[Mm]ar|[Aa]pr|[Mm]ay|[Jj]un|[Jj]ul|[Aa]ug|[Ss]ep|[Oo]ct|[Nn]ov|[Dd]ec)"
_T = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"

# Shapes of dates and times, most specific first (ties go to the earlier entry).
SHAPES: tuple[tuple[str, str], ...] = (
    ("yyyy-mm-ddTHH:MM:SS", rf"^{_Y4}-{_M}-{_D}T{_T}:[0-5][0-9]$"),
    (
        "yyyy-mm-ddTHH:MM:SS with a time zone",
        rf"^{_Y4}-{_M}-{_D}T{_T}(?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|[+-][0-9]{{2}}:?[0-9]{{2}})$",
    ),
    ("yyyy-mm-dd HH:MM:SS", rf"^{_Y4}-{_M}-{_D} {_T}:[0-5][0-9]$"),
    ("yyyy-mm-dd HH:MM", rf"^{_Y4}-{_M}-{_D} {_T}$"),
    ("yyyy-mm-ddTHH:MM", rf"^{_Y4}-{_M}-{_D}T{_T}$"),
    ("dd/mm/yyyy HH:MM", rf"^{_D}/{_M}/{_Y4} {_T}(?::[0-5][0-9])?$"),
    ("yyyy-mm-dd", rf"^{_Y4}-{_M}-{_D}$"),
    ("dd/mm/yyyy", rf"^{_D}/{_M}/{_Y4}$"),
    ("mm/dd/yyyy", rf"^{_M}/{_D}/{_Y4}$"),
    ("d/m/yyyy (no leading zeros)", rf"^[0-3]?[0-9]/[01]?[0-9]/{_Y4}$"),
    ("dd/mm/yy", rf"^{_D}/{_M}/[0-9]{{2}}$"),
    ("dd-mm-yyyy", rf"^{_D}-{_M}-{_Y4}$"),
    ("dd.mm.yyyy", rf"^{_D}\.{_M}\.{_Y4}$"),
    ("yyyy/mm/dd", rf"^{_Y4}/{_M}/{_D}$"),
    ("yyyymmdd", rf"^{_Y4}{_M}{_D}$"),
    ("ddmmyyyy", rf"^{_D}{_M}{_Y4}$"),
    ("dd-Mon-yy", rf"^{_D}-{_MON}-[0-9]{{2}}$"),
    ("dd-Mon-yyyy", rf"^{_D}-{_MON}-{_Y4}$"),
    ("dd Mon yyyy", rf"^{_D} {_MON}[a-z]* {_Y4}$"),
    ("a spreadsheet date serial number", r"^[1-6][0-9]{4}(?:\.[0-9]+)?$"),
    ("a Unix timestamp", r"^1[0-9]{9}$"),
    ("UK postcode format", r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"),
    ("10 digits", r"^[0-9]{10}$"),
    ("digits only", r"^[0-9]+$"),
    ("letters only", r"^[A-Za-z]+$"),
)
_SHAPES = tuple((label, re.compile(pattern)) for label, pattern in SHAPES)

# Code vocabularies agencies use for the same things.
VOCABULARIES: tuple[tuple[str, frozenset[str]], ...] = (
    ("M/F/U letters", frozenset({"M", "F", "U"})),
    ("Male/Female/Unknown words", frozenset({"Male", "Female", "Unknown", "Not known", "Indeterminate", "Other"})),
    ("lower-case male/female words", frozenset({"male", "female", "unknown"})),
    ("upper-case MALE/FEMALE words", frozenset({"MALE", "FEMALE", "UNKNOWN"})),
    ("ECDS sex digits (1, 2, 9, 0)", frozenset({"1", "2", "9", "0"})),
    ("Y/N", frozenset({"Y", "N"})),
    ("Yes/No words", frozenset({"Yes", "No", "YES", "NO", "yes", "no"})),
    ("True/False words", frozenset({"True", "False", "TRUE", "FALSE", "true", "false"})),
    ("1/0 digits", frozenset({"1", "0"})),
)

SAMPLE = 20_000


def describe(values: pl.Series, agreed_codes: Iterable[str] | None = None) -> tuple[str, float | None]:
    """(label, percent of filled-in values in it) of the format most filled-in values are in.

    For a coded column (`agreed_codes` given) the vocabularies are tried first, then the same
    codes in another letter case; otherwise (or if none fits) the date and number shapes.
    Returns (`UNKNOWN_FORMAT`, None) when no label covers at least half the values.
    """
    stripped = values.cast(pl.String).str.strip_chars().drop_nulls()
    filled = stripped.filter(stripped != "")
    if filled.len() == 0:
        return UNKNOWN_FORMAT, None
    if filled.len() > SAMPLE:
        filled = filled.sample(SAMPLE, seed=0)
    texts = filled.to_list()
    n = len(texts)
    candidates: list[tuple[str, int]] = []
    if agreed_codes is not None:
        agreed = {str(c) for c in agreed_codes}
        for label, vocabulary in VOCABULARIES:
            if vocabulary == agreed or vocabulary <= agreed:
                continue
            candidates.append((label, sum(t in vocabulary for t in texts)))
        folded = {c.casefold() for c in agreed}
        candidates.append(
            ("the agreed codes in another letter case", sum(t not in agreed and t.casefold() in folded for t in texts))
        )
    for label, pattern in _SHAPES:
        candidates.append((label, sum(bool(pattern.match(t)) for t in texts)))
    best_label, best = max(candidates, key=lambda c: c[1])  # max keeps the first of equal counts
    if best * 2 < n:
        return UNKNOWN_FORMAT, None
    return best_label, 100.0 * best / n
