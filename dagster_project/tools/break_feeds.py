"""Broken deliveries, made from a good one, as agency extracts break in ordinary ways.

`veru-break --landing landing --feed police --scenario renamed_column` writes the feed's next
delivery (dated one cadence after its latest) broken in the named way; `--list` lists them.
Each scenario states the dashboard status it must produce and words its reason must contain;
the tests use the same table. `late` writes nothing: the feed simply stops delivering, so the
dashboard must be judged as of a later date (`late_as_of`).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import discover
from dagster_project.quality.health import cadences

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    status: str  # what the dashboard must say
    reason_words: tuple[str, ...]  # words the reason must contain (lower case)
    make: Callable[[str, bytes, Path], bytes | None]  # (feed, previous delivery bytes, its path) -> new file
    # the name the broken file is written under (default `<feed>_<date>.csv`)
    file_name: Callable[[str, dt.date], str] | None = None
    # what a data engineer does about it when a later good delivery alone does not clear the flag
    remedy: Callable[[Path], None] | None = None


def _rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = next(reader)
    return header, [r for r in reader if r]


def _csv(header: list[str], rows: list[list[str]], *, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _dob(feed: str) -> str:
    return FEEDS[feed].checked_dates[1][0]


def _event(feed: str) -> str:
    return FEEDS[feed].checked_dates[0][0]


def missing_column(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    drop = header.index("postcode")
    return _csv(
        [h for i, h in enumerate(header) if i != drop], [[v for i, v in enumerate(r) if i != drop] for r in rows]
    )


def renamed_column(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    return _csv([("post_code" if h == "postcode" else h) for h in header], rows)


def empty_file(feed: str, data: bytes, _: Path) -> bytes:
    return b""


def header_only(feed: str, data: bytes, _: Path) -> bytes:
    header, _rows_ = _rows(data)
    return _csv(header, [])


def truncated_last_line(feed: str, data: bytes, _: Path) -> bytes:
    text = data.decode("utf-8").rstrip("\r\n")
    cut = text.rfind(",", 0, len(text) - 1)
    cut = text.rfind(",", 0, cut)  # lose the last few fields of the last row, as a cut-off transfer does
    return text[: max(cut, text.rfind("\n") + 2)].encode("utf-8")


def wrong_delimiter(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    return _csv(header, rows, delimiter=";")


def non_utf8(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    surname = next(h for h in header if h in ("surname", "last_name"))
    column = header.index(surname)
    rows[0][column] = "Bront\u00eb"  # exported as Windows-1252, not UTF-8
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("cp1252")


def dob_all_empty(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    column = header.index(_dob(feed))
    for r in rows:
        r[column] = ""
    return _csv(header, rows)


def future_dates(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    column = header.index(_event(feed))
    fmt = dict(FEEDS[feed].checked_dates)[_event(feed)]
    for r in rows:
        try:
            when = dt.datetime.strptime(r[column], fmt)
        except ValueError:
            continue
        r[column] = when.replace(
            year=when.year + 10 if not (when.month == 2 and when.day == 29) else when.year + 12
        ).strftime(fmt)
    return _csv(header, rows)


def duplicated_keys(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    repeated = rows[::20]  # 5% of records exported twice (a join fan-out in the extract)
    return _csv(header, rows + [list(r) for r in repeated])


def much_smaller(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    return _csv(header, rows[: max(1, int(len(rows) * 0.3))])


def delivered_twice(feed: str, data: bytes, _: Path) -> bytes:
    return data


def late(feed: str, data: bytes, _: Path) -> None:
    return None


def bad_quote_mid_file(feed: str, data: bytes, _: Path) -> bytes:
    """Row 6's surname written `"Willis" Jr`: a stray quote a strict CSV reader stops at."""
    header, rows = _rows(data)
    column = header.index(next(h for h in header if h in ("surname", "last_name", "full_name")))
    text = _csv(header, rows).decode("utf-8")
    lines = text.split("\r\n")
    row = rows[min(5, len(rows) - 1)]
    row[column] = "STRAYQUOTE"  # placeholder, replaced below by the unquoted stray-quote field
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    lines[min(6, len(rows))] = out.getvalue().replace("STRAYQUOTE", '"Willis" Jr')
    return "\r\n".join(lines).encode("utf-8")


def _reformat_dates(feed: str, data: bytes, column: str, new_format: str) -> bytes:
    header, rows = _rows(data)
    index = header.index(column)
    fmt = dict(FEEDS[feed].checked_dates)[column]
    for r in rows:
        try:
            r[index] = dt.datetime.strptime(r[index], fmt).strftime(new_format)
        except ValueError:
            continue
    return _csv(header, rows)


def dob_format_changed(feed: str, data: bytes, _: Path) -> bytes:
    return _reformat_dates(feed, data, _dob(feed), "%Y-%m-%d" if feed != "social_care" else "%d/%m/%Y")


def sex_as_words(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    column = header.index("sex")
    words = {"M": "Male", "F": "Female", "U": "Unknown", "1": "Male", "2": "Female", "9": "Unknown", "0": "Unknown"}
    for r in rows:
        r[column] = words.get(r[column], r[column])
    return _csv(header, rows)


def added_column(feed: str, data: bytes, _: Path) -> bytes:
    header, rows = _rows(data)
    return _csv(header + ["case_worker_team"], [r + ["Team B"] for r in rows])


def misnamed_copy(feed: str, data: bytes, _: Path) -> bytes:
    return data


def _browser_copy_name(feed: str, when: dt.date) -> str:
    return f"{feed}_{when.isoformat()} (1).csv"


def _remove_misnamed(path: Path) -> None:
    path.unlink()


def gzip_named_csv(feed: str, data: bytes, _: Path) -> bytes:

    return gzip.compress(data, mtime=0)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "missing_column",
            "the postcode column is missing",
            "broken",
            ("quarantined", "postcode missing"),
            missing_column,
        ),
        Scenario(
            "renamed_column",
            "a system upgrade renamed postcode to post_code",
            "broken",
            ("quarantined", "postcode missing", "renamed?", "unexpected column"),
            renamed_column,
        ),
        Scenario("empty_file", "the file is empty (0 bytes)", "broken", ("quarantined", "empty"), empty_file),
        Scenario("header_only", "the file has a header and no rows", "broken", ("quarantined", "no rows"), header_only),
        Scenario(
            "truncated_last_line",
            "the transfer cut the last line short",
            "degraded",
            ("rejected", "fields, the header has"),
            truncated_last_line,
        ),
        Scenario(
            "wrong_delimiter",
            "semicolons instead of commas",
            "broken",
            ("quarantined", "semicolons", "none of the"),
            wrong_delimiter,
        ),
        Scenario("non_utf8", "exported as Windows-1252, not UTF-8", "broken", ("quarantined", "not utf-8"), non_utf8),
        Scenario(
            "dob_all_empty",
            "every date of birth is empty",
            "broken",
            ("quarantined", "100.0% of", "missing"),
            dob_all_empty,
        ),
        Scenario(
            "future_dates",
            "event dates ten years in the future",
            "broken",
            ("quarantined", "in the future"),
            future_dates,
        ),
        Scenario(
            "duplicated_keys",
            "5% of records appear twice with the same key",
            "degraded",
            ("rejected", "appears more than once"),
            duplicated_keys,
        ),
        Scenario(
            "much_smaller",
            "70% fewer rows than usual",
            "degraded",
            ("rows, fewer than the usual minimum",),
            much_smaller,
        ),
        Scenario("late", "no delivery for longer than the feed's cadence", "late", ("no delivery for", "days"), late),
        Scenario(
            "delivered_twice",
            "the previous file delivered again under a new date",
            "degraded",
            ("delivered twice",),
            delivered_twice,
        ),
        Scenario(
            "bad_quote_mid_file",
            'a surname written "Willis" Jr in row 6 (a stray quote)',
            "degraded",
            ("1 row(s) rejected", "stray quote"),
            bad_quote_mid_file,
        ),
        Scenario(
            "dob_format_changed",
            "dates of birth exported in another format",
            "broken",
            ("quarantined", "is yyyy-mm-dd in 100.0% of filled-in rows", "expected dd/mm/yyyy"),
            dob_format_changed,
        ),
        Scenario(
            "sex_as_words",
            "sex exported as Male/Female words instead of codes",
            "broken",
            ("quarantined", "sex is male/female/unknown words in"),
            sex_as_words,
        ),
        Scenario(
            "added_column",
            "a new column appended to the export",
            "degraded",
            ("added column case_worker_team",),
            added_column,
        ),
        Scenario(
            "misnamed_copy",
            "a browser-downloaded copy named '<feed>_<date> (1).csv'",
            "degraded",
            ("not read", "file name is not"),
            misnamed_copy,
            file_name=_browser_copy_name,
            remedy=_remove_misnamed,
        ),
        Scenario(
            "gzip_named_csv",
            "a gzip-compressed file named .csv",
            "broken",
            ("quarantined", "gzip-compressed"),
            gzip_named_csv,
        ),
    )
}


def next_date(landing: Path, feed: str, every_days: int) -> tuple[dt.date, Path]:
    deliveries, _ = discover(landing, feed)
    plain = [d for d in deliveries if not d.pseudonymised]
    if not plain:
        raise SystemExit(f"{feed}: no delivery in {landing / feed} to break (need a good one first)")
    latest = plain[-1]
    return latest.extract_date + dt.timedelta(days=every_days), latest.path


def late_as_of(landing: Path, feed: str) -> dt.date:
    """A date on which the feed is late: its cadence plus grace plus a week after its latest delivery."""

    cadence = cadences()[feed]
    deliveries, _ = discover(landing, feed)
    return deliveries[-1].extract_date + dt.timedelta(days=cadence.max_days + 7)


def break_feed(landing: Path, feed: str, scenario: str, *, date: dt.date | None = None) -> Path | None:
    """Write the feed's next delivery broken as `scenario`; returns its path (None for `late`)."""

    if feed not in FEEDS:
        raise ValueError(f"Unknown feed {feed!r}; feeds are {', '.join(FEEDS)}.")
    if scenario not in SCENARIOS:
        raise ValueError(f"Unknown scenario {scenario!r}; scenarios are {', '.join(SCENARIOS)}.")
    when, previous = next_date(landing, feed, cadences()[feed].every_days)
    data = SCENARIOS[scenario].make(feed, previous.read_bytes(), previous)
    if data is None:
        return None
    name = SCENARIOS[scenario].file_name
    path = landing / feed / (name(feed, date or when) if name else f"{feed}_{(date or when).isoformat()}.csv")
    path.write_bytes(data)
    logger.info("%s: wrote %s (%s)", feed, path, SCENARIOS[scenario].description)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="veru-break", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--landing", type=Path, default=Path("landing"))
    parser.add_argument("--feed", choices=list(FEEDS))
    parser.add_argument("--scenario", choices=list(SCENARIOS))
    parser.add_argument("--date", type=dt.date.fromisoformat, help="extract date of the broken delivery")
    parser.add_argument("--list", action="store_true", help="list the scenarios and what the dashboard must say")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.list or not (args.feed and args.scenario):
        for s in SCENARIOS.values():
            sys.stdout.write(f"{s.name:<22} {s.status:<9} {s.description}\n")
        return 0
    path = break_feed(args.landing, args.feed, args.scenario, date=args.date)
    if path is None:
        sys.stdout.write(
            f"{args.feed} stops delivering: judge it as of {late_as_of(args.landing, args.feed)} "
            f"(VERU_AS_OF) to see it late\n"
        )
    else:
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
