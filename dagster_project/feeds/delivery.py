"""Finding and reading delivery files in the landing zone.

A delivery is `landing/<feed>/<feed>_<YYYY-MM-DD>.csv` (plaintext, as the agency's system
exports it) or `<feed>_<YYYY-MM-DD>.pseudo.csv` (pseudonymised at the agency's site by
`veru-pseudonymise`). Reading never crashes on a bad file
and never loses a row silently: a file that cannot be read at all raises `DeliveryError`
(the caller quarantines it), and a row with the wrong number of fields is returned as a
reject with its row and line number. Error texts name the feed, file, row and problem but
never quote a value from the file, because the file holds plaintext identifiers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

DELIVERY_NAME = re.compile(r"^(?P<feed>[a-z_]+)_(?P<date>\d{4}-\d{2}-\d{2})(?P<pseudo>\.pseudo)?\.csv$")


class DeliveryError(Exception):
    """A delivery file that cannot be read as a CSV of its feed."""

    def __init__(self, feed: str, path: Path, problem: str):
        self.feed, self.path, self.problem = feed, path, problem
        super().__init__(f"{feed} delivery {path.name}: {problem}")


@dataclass(frozen=True)
class Delivery:
    feed: str
    path: Path
    extract_date: dt.date
    pseudonymised: bool = False  # `<feed>_<date>.pseudo.csv`, made by `veru-pseudonymise`

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class UnrecognisedFile:
    feed: str
    path: Path
    problem: str


def discover(landing_dir: Path, feed: str) -> tuple[list[Delivery], list[UnrecognisedFile]]:
    """Deliveries of `feed` in extract-date order, plus files that do not follow the naming."""
    folder = Path(landing_dir) / feed
    if not folder.is_dir():
        return [], []
    deliveries, unrecognised = [], []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        match = DELIVERY_NAME.match(path.name)
        if not match or match.group("feed") != feed:
            unrecognised.append(
                UnrecognisedFile(feed, path, f"file name is not {feed}_<YYYY-MM-DD>.csv or .pseudo.csv")
            )
            continue
        try:
            extract = dt.date.fromisoformat(match.group("date"))
        except ValueError:
            unrecognised.append(UnrecognisedFile(feed, path, "file name holds an impossible date"))
            continue
        deliveries.append(Delivery(feed, path, extract, pseudonymised=bool(match.group("pseudo"))))
    deliveries.sort(key=lambda d: (d.extract_date, d.file_name))
    return deliveries, unrecognised


@dataclass
class RawDelivery:
    """A delivery read as strings: `frame` has the header's columns plus `row_number`."""

    delivery: Delivery
    header: list[str]
    frame: pl.DataFrame
    rejects: pl.DataFrame  # row_number, line_number, reason
    sha256: str
    size_bytes: int
    notes: list[str] = field(default_factory=list)


REJECT_SCHEMA = {"row_number": pl.Int64, "line_number": pl.Int64, "reason": pl.String}


def _delimiter_hint(header: list[str]) -> str:
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header[0]:
                return f"; the header looks separated by {name}, not commas"
    return ""


def read_delivery(delivery: Delivery) -> RawDelivery:
    """Read one delivery as all-string columns; empty strings become null."""
    path = delivery.path
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise DeliveryError(delivery.feed, path, "file is empty (no header row)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeliveryError(
            delivery.feed, path, f"not UTF-8: undecodable byte at offset {exc.start} (line {line})"
        ) from None

    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise DeliveryError(delivery.feed, path, f"header row is not valid CSV ({exc})") from None
    header = [h.strip() for h in header]
    width = len(header)
    rows: list[list[str]] = []
    row_numbers: list[int] = []
    rejects: list[tuple[int, int, str]] = []
    notes: list[str] = []
    row_number = 0
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_number += 1
            rejects.append((row_number, start_line, f"malformed CSV row ({exc})"))
            notes.append(f"reading stopped at line {start_line}: malformed CSV ({exc})")
            break
        row_number += 1
        if not row or (len(row) == 1 and row[0] == ""):
            row_number -= 1  # a blank line is not a record
            continue
        if len(row) != width:
            rejects.append(
                (row_number, start_line, f"row has {len(row)} fields, the header has {width}")
            )
            continue
        rows.append(row)
        row_numbers.append(row_number)

    if len(set(header)) != len(header):
        raise DeliveryError(delivery.feed, path, "header repeats a column name")
    columns = list(zip(*rows)) if rows else [() for _ in header]
    frame = pl.DataFrame(
        [pl.Series(name, col, dtype=pl.String) for name, col in zip(header, columns)]
    )
    frame = frame.with_columns(
        [pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c)).alias(c) for c in header]
    ).insert_column(0, pl.Series("row_number", row_numbers, dtype=pl.Int64))
    hint = _delimiter_hint(header)
    if hint:
        notes.append(hint.lstrip("; "))
    last = rejects[-1] if rejects else None
    if last is not None and last[0] == row_number and "fields, the header has" in last[2] and not text.endswith(("\n", "\r")):
        notes.append(f"the file ends mid-row: its last line (line {last[1]}) looks cut short in transfer")
    return RawDelivery(
        delivery=delivery,
        header=header,
        frame=frame,
        rejects=pl.DataFrame(rejects, schema=REJECT_SCHEMA, orient="row"),
        sha256=digest,
        size_bytes=len(data),
        notes=notes,
    )
