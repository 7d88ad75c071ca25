"""Scan every table of a warehouse for plaintext identifiers taken from the landing files.

Used by tests to prove principle 1 of DESIGN.md ("no plaintext identifier ever lands").
Identifiers are collected from every delivery's identifier columns, in every text form the
platform could plausibly write them (raw, normalised, re-formatted), and looked for in every
column of every table: text and list columns by extracting candidates with regexes (so any
embedding, e.g. inside an error message, is found), binary columns by decoding their bytes,
date columns by value.

Three deliberate exclusions keep the scan free of coincidences: dates of birth on or after
2020-01-01 (event and delivery dates legitimately fall on them); name words that also occur in
the platform's own source and documentation (e.g. "WHITE" is a surname and an ethnic group;
"MAY" a name and a month); and values that are whole keyed tokens (lower-case hex, 16+
characters, the shape of every HMAC output the platform writes). A random 24-character hex
token contains a run of 8 digits that reads as a date between 1920 and 2019 about once in
50,000 tokens, and the linkage zone holds hundreds of thousands of tokens, so without the
third exclusion about one run in twenty "found" a date of birth that was pure chance. Only a value
that is nothing but 16+ lower-case hex characters is skipped: an identifier as the agencies
export it is never that (dates, NHS and PNC numbers are shorter or punctuated; names and
postcodes are upper case), and the same digits anywhere else are still found.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from unidecode import unidecode

from dagster_project.feeds import FEEDS

REPO = Path(__file__).resolve().parent.parent
DOB_CUTOFF = dt.date(2020, 1, 1)
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

NAME_COLUMNS = {"surname", "forenames", "first_name", "last_name", "forename", "full_name"}
DOB_COLUMNS = {"dob", "date_of_birth"}

NHS_RE = re.compile(r"(?<!\d)(\d{3}) ?(\d{3}) ?(\d{4})(?!\d)")
PNC_RE = re.compile(r"(?<!\d)(\d{2}|\d{4})/(\d{1,7})([A-Z])(?![A-Z])")
POSTCODE_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?![A-Z0-9])")
DATE_RES = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{2})/(\d{2})/(\d{4})(?!\d)"), "dmy"),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})-([A-Z]{3})-(\d{2})(?!\d)"), "dMy"),
]
WORD_RE = re.compile(r"[A-Z]+")
HEX_TOKEN_RE = re.compile(r"^[0-9a-f]{16,}$")


@dataclass
class Identifiers:
    nhs: set[str] = field(default_factory=set)  # 10 digits
    pnc: set[tuple[str, str]] = field(default_factory=set)  # (yy, serial without leading zeros + letter)
    postcodes: set[str] = field(default_factory=set)  # compact upper case
    dobs: set[dt.date] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # upper-case ASCII words
    local_ids: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Finding:
    table: str
    column: str
    kind: str
    occurrences: int


def _parse_date(text: str) -> dt.date | None:
    text = text.strip().upper()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{1,2})-([A-Z]{3})-(\d{2})", text)
    if m and m.group(2) in MONTHS:
        return _two_digit_dates(int(m.group(1)), MONTHS.index(m.group(2)) + 1, int(m.group(3)))[0]
    return None


def _two_digit_dates(day: int, month: int, yy: int) -> list[dt.date]:
    out = []
    for century in (1900, 2000):
        with contextlib.suppress(ValueError):
            out.append(dt.date(century + yy, month, day))
    return out


def _words(text: str) -> set[str]:
    return set(WORD_RE.findall(unidecode(text).upper()))


def platform_vocabulary() -> set[str]:
    """Every word in the platform's own source, suites, SQL and documentation."""
    words: set[str] = set()
    for pattern in (
        "dagster_project/**/*.py",
        "dagster_project/expectations/*.json",
        "dagster_project/sql/**/*.sql",
        "*.md",
    ):
        for path in REPO.glob(pattern):
            if "synthetic" in path.parts:  # the generator's name lists are the identifiers
                continue
            words |= _words(path.read_text(encoding="utf-8"))
    for doc in (REPO.parent / "shared").glob("*.md"):
        words |= _words(doc.read_text(encoding="utf-8"))
    return words


def collect_identifiers(landing: Path) -> Identifiers:
    ids = Identifiers()
    for spec in FEEDS.values():
        for path in sorted((landing / spec.name).glob("*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for row in csv.DictReader(fh):
                    for column in spec.identifiers:
                        value = (row.get(column) or "").strip()
                        if value:
                            _add(ids, column, value)
    vocabulary = platform_vocabulary()
    ids.names = {n for n in ids.names if len(n) >= 3 and n not in vocabulary}
    ids.dobs = {d for d in ids.dobs if d < DOB_CUTOFF}
    return ids


def _add(ids: Identifiers, column: str, value: str) -> None:
    upper = value.upper()
    if column in NAME_COLUMNS:
        ids.names |= _words(value)
    elif column in DOB_COLUMNS:
        parsed = _parse_date(value)
        if parsed:
            ids.dobs.add(parsed)
    elif column == "postcode":
        ids.postcodes.add(re.sub(r"\s", "", upper))
    elif column == "nhs_number":
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 10:
            ids.nhs.add(digits)
    elif column in ("pnc_id", "pnc_number"):
        m = PNC_RE.fullmatch(upper.replace(" ", ""))
        if m:
            ids.pnc.add((m.group(1)[-2:], m.group(2).lstrip("0") + m.group(3)))
    elif column == "child_id":
        ids.local_ids.add(upper)


def _findings_in_text(text: str, ids: Identifiers, *, names: bool) -> list[str]:
    if names and HEX_TOKEN_RE.match(text):  # a keyed token: any digit run in it is chance
        return []
    upper = text.upper()
    kinds = []
    if any(a + b + c in ids.nhs for a, b, c in NHS_RE.findall(upper)):
        kinds.append("nhs_number")
    if any((y[-2:], s.lstrip("0") + letter) in ids.pnc for y, s, letter in PNC_RE.findall(upper)):
        kinds.append("pnc")
    if any(out + inward in ids.postcodes for out, inward in POSTCODE_RE.findall(upper)):
        kinds.append("postcode")
    for regex, order in DATE_RES:
        for groups in regex.findall(upper):
            if _date_from(groups, order) & ids.dobs:
                kinds.append("date_of_birth")
                break
    if upper in ids.local_ids:
        kinds.append("local_id")
    if names and _words(text) & ids.names:
        kinds.append("name")
    return kinds


def _date_from(groups: tuple[str, ...], order: str) -> set[dt.date]:
    try:
        if order == "ymd":
            return {dt.date(int(groups[0]), int(groups[1]), int(groups[2]))}
        if order == "dmy":
            return {dt.date(int(groups[2]), int(groups[1]), int(groups[0]))}
        if groups[1] in MONTHS:
            return set(_two_digit_dates(int(groups[0]), MONTHS.index(groups[1]) + 1, int(groups[2])))
    except ValueError:
        pass
    return set()


def scan_warehouse(path: Path, ids: Identifiers) -> list[Finding]:
    """Every (table, column, kind) where a plaintext identifier was found."""
    findings: list[Finding] = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.sql(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() ORDER BY ALL"
        ).fetchall()
        for schema, table, column, dtype in columns:
            name = f"{schema}.{table}"
            quoted = f'"{schema}"."{table}"'
            counts: dict[str, int] = {}
            if dtype in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
                values = con.sql(f'SELECT DISTINCT CAST("{column}" AS DATE) FROM {quoted}').fetchall()
                hits = sum(1 for (v,) in values if v in ids.dobs)
                if hits:
                    counts["date_of_birth"] = hits
            elif dtype in ("VARCHAR", "BLOB") or dtype.endswith("[]"):
                expr = f'"{column}"'
                if dtype.endswith("[]"):
                    expr = f'unnest("{column}")'
                values = con.sql(f"SELECT DISTINCT {expr} FROM {quoted}").fetchall()
                for (value,) in values:
                    if value is None:
                        continue
                    if isinstance(value, (bytes, bytearray)):
                        text, names = bytes(value).decode("latin-1"), False
                    else:
                        text, names = str(value), True
                    for kind in _findings_in_text(text, ids, names=names):
                        counts[kind] = counts.get(kind, 0) + 1
            findings += [Finding(name, column, kind, n) for kind, n in counts.items()]
    finally:
        con.close()
    return findings
