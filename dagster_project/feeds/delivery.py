"""Reading delivery files found in the landing zone, which is treated as hostile.

Deliveries are found (and names, links and other non-files refused unread) by
`dagster_project.feeds.landing`, whose names are re-exported here. What is found is still not
trusted:

- a file above the size limit is refused unread, and a compressed file may not decompress
  beyond it;
- the file is opened without following links, checked to be the file that was found, and
  read as a stream (a bounded batch of rows in memory at a time, besides the result).

Every row is accounted for. Each physical line is one record: a line that is not a
complete, well-formed CSV record of the header's width (a stray or unclosed quote, a line
break inside a field, a NUL byte, the wrong number of fields) is rejected with its row and
line number and reading goes on at the next line, so one bad quote never swallows or drops
the rows after it. Blank lines are counted. So for every delivery that can be read at all:
data lines = rows read + blank lines, and rows read = rows kept + rows rejected. A file that
cannot be read at all (empty, not UTF-8, compressed under a `.csv` name, too large) raises
`DeliveryError` and the caller quarantines it whole.

Error texts name the feed, file, row and problem but never quote a value from the file,
because the file holds plaintext identifiers.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import stat
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project.feeds.landing import DELIVERY_NAME, Delivery, UnrecognisedFile, discover, mask_name
from dagster_project.tables import REJECT_COLUMNS

__all__ = [
    "BATCH_ROWS",
    "CHUNK_BYTES",
    "DEFAULT_MAX_BYTES",
    "DELIVERY_NAME",
    "MAX_LINE_BYTES",
    "READER_COLUMNS",
    "TOO_LONG",
    "Delivery",
    "DeliveryError",
    "RawDelivery",
    "UnrecognisedFile",
    "discover",
    "mask_name",
    "read_delivery",
]

# How many rows are parsed into Python lists before they become a column batch.
BATCH_ROWS = 50_000
CHUNK_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_BYTES = 2 * 1024**3

# Leading bytes of formats that are not a CSV text file.
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed"),
    (b"PK\x03\x04", "a zip archive (or an Excel .xlsx workbook)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (OLE2)"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text (little-endian), not UTF-8"),
    (b"\xfe\xff", "UTF-16 text (big-endian), not UTF-8"),
)
_BOM = b"\xef\xbb\xbf"
# Columns the reader adds to every frame; a header column of the same name is an added column
# like any other (dropped, with a note), never a crash or a clash.
READER_COLUMNS = ("row_number", "line_number")


class DeliveryError(Exception):
    """A delivery file that cannot be read as a CSV of its feed.

    `status` says what becomes of it: `quarantined` (the file itself is unusable), `refused`
    (not read: a link or not a regular file, found when opening it) or `held` (it changed or
    went while the run looked at it; left for the next run)."""

    def __init__(self, feed: str, path: Path, problem: str, status: str = "quarantined"):
        self.feed, self.path, self.problem, self.status = feed, path, problem, status
        super().__init__(f"{feed} delivery {path.name}: {problem}")


@dataclass
class RawDelivery:
    """A delivery read as strings: `frame` has `row_number` (1, 2, ... over the non-blank lines
    after the header) and `line_number` (the physical line), then the header's columns."""

    delivery: Delivery
    header: list[str]
    frame: pl.DataFrame
    rejects: pl.DataFrame  # row_number, line_number, reason
    sha256: str
    size_bytes: int
    notes: list[str] = field(default_factory=list)
    blank_lines: int = 0  # blank lines anywhere (before the header too): not records
    lines: int = 0  # physical lines in the file: 1 (header) + blank_lines + rows_read

    @property
    def rows_read(self) -> int:
        return self.frame.height + self.rejects.height


def _rejects_frame(rows: array, lines: array, codes: array, reasons: dict[str, int]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=REJECT_COLUMNS)
    texts = pl.Series("reason", list(reasons), dtype=pl.String)
    return pl.DataFrame(
        {
            "row_number": pl.Series(rows, dtype=pl.Int64),
            "line_number": pl.Series(lines, dtype=pl.Int64),
            "reason": texts.gather(pl.Series(codes, dtype=pl.Int64)),
        }
    )


def _delimiter_hint(header: list[str]) -> str:
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header[0]:
                return f"the header looks separated by {name}, not commas"
    return ""


def _open_checked(delivery: Delivery) -> int:
    """Open the delivery without following a link and check it is the file `discover` found."""
    path = delivery.path
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise DeliveryError(delivery.feed, path, "is a symbolic link; not followed", "refused") from None
        if exc.errno == errno.ENOENT:
            raise DeliveryError(
                delivery.feed, path, "went from the landing zone while the run looked at it", "held"
            ) from None
        raise DeliveryError(delivery.feed, path, f"cannot be opened ({type(exc).__name__})") from None
    info = os.fstat(fd)
    problem, status = None, "quarantined"
    if not stat.S_ISREG(info.st_mode):
        problem, status = "is not a regular file; not read", "refused"
    elif delivery.inode is not None and (info.st_dev, info.st_ino) != delivery.inode:
        problem, status = (
            "was replaced by another file while the run looked at it; it will be read at the next run",
            "held",
        )
    if problem:
        os.close(fd)
        raise DeliveryError(delivery.feed, path, problem, status)
    return fd


def _raw_chunks(fd: int) -> Iterator[bytes]:
    with os.fdopen(fd, "rb", buffering=0) as fh:
        while chunk := fh.read(CHUNK_BYTES):
            yield chunk


def _decompressed(delivery: Delivery, chunks: Iterator[bytes], max_bytes: int) -> Iterator[bytes]:
    """Gunzip a stream, refusing output beyond `max_bytes` (a gzip bomb) or a corrupt stream."""
    inflater = zlib.decompressobj(wbits=31)  # gzip header and trailer
    produced = 0
    started = False
    for chunk in chunks:
        if not started:
            if not chunk.startswith(b"\x1f\x8b"):
                raise DeliveryError(delivery.feed, delivery.path, "is named .csv.gz but is not gzip-compressed")
            started = True
        data = chunk
        while data:
            try:
                out = inflater.decompress(data, CHUNK_BYTES)
            except zlib.error:
                raise DeliveryError(delivery.feed, delivery.path, "gzip stream is corrupt") from None
            produced += len(out)
            if produced > max_bytes:
                raise DeliveryError(
                    delivery.feed,
                    delivery.path,
                    f"decompresses to more than the limit of {max_bytes:,} bytes (VERU_MAX_DELIVERY_BYTES); not read",
                )
            if out:
                yield out
            data = inflater.unconsumed_tail
            if inflater.eof:
                if inflater.unused_data.strip(b"\x00"):
                    # several gzip members one after another are legal; start the next one
                    data = inflater.unused_data
                    inflater = zlib.decompressobj(wbits=31)
                else:
                    data = b""
    if not started:
        return
    if not inflater.eof:
        raise DeliveryError(delivery.feed, delivery.path, "gzip stream ends early (the file is cut short)")


class _Hashing:
    """Wrap a byte stream, hashing and counting what passes through."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.digest, self.size = chunks, hashlib.sha256(), 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk


MAX_LINE_BYTES = 1024 * 1024
TOO_LONG = "\x00TOO_LONG"  # stands for a line over MAX_LINE_BYTES (a real line never holds NUL: rejected)


def _lines(delivery: Delivery, chunks: Iterator[bytes]) -> Iterator[tuple[int, str, bool]]:
    """(physical line number, text, ended by a line break) for every line: `\\n` ends a line
    and a `\\r` before it is dropped; a byte-order mark before the first line is dropped.
    A line longer than MAX_LINE_BYTES (no CSV record of these feeds is) is not kept: it comes
    back as TOO_LONG, and memory never holds more than one such line's first megabyte.
    Undecodable UTF-8 raises DeliveryError naming the line and byte offset."""
    pieces: list[bytes] = []  # the current line's bytes so far (joined once, at its end)
    held = 0  # bytes in `pieces`
    length = 0  # bytes of the current line, kept or not
    too_long = False
    line_number = 0
    offset = 0  # byte offset, in the (decompressed) stream, of the start of the current line
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            part = chunk[start:] if end < 0 else chunk[start:end]
            length += len(part)
            if not too_long:
                if held + len(part) > MAX_LINE_BYTES:
                    too_long, pieces, held = True, [], 0
                else:
                    pieces.append(part)
                    held += len(part)
            if end < 0:
                break
            line_number += 1
            if too_long:
                yield line_number, TOO_LONG, True
            else:
                yield line_number, _decode(delivery, b"".join(pieces), line_number, offset), True
            offset += length + 1
            pieces, held, length, too_long = [], 0, 0, False
            start = end + 1
    if length:  # bytes after the last line break: a last line without one
        line_number += 1
        if too_long:
            yield line_number, TOO_LONG, False
        else:
            yield line_number, _decode(delivery, b"".join(pieces), line_number, offset), False


def _decode(delivery: Delivery, part: bytes, line_number: int, offset: int) -> str:
    if line_number == 1 and part.startswith(_BOM):
        part, offset = part[len(_BOM) :], offset + len(_BOM)
    if part.endswith(b"\r"):
        part = part[:-1]
    try:
        return part.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeliveryError(
            delivery.feed,
            delivery.path,
            f"not UTF-8: undecodable byte at offset {offset + exc.start} (line {line_number})",
        ) from None


def _parse(line: str) -> list[str]:
    """One physical line as one CSV record; raises csv.Error when it is not a complete record."""
    if "\x00" in line:
        raise csv.Error("NUL byte in the line")
    if '"' not in line and "\r" not in line:
        return line.split(",")
    reader = csv.reader([line], strict=True)
    row = next(reader, [])
    if next(reader, None) is not None:  # pragma: no cover - one line in, one record out
        raise csv.Error("more than one record on a line")
    return row


def _field_break_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return "malformed CSV row: a quoted field is not closed on its line (a stray quote, or a line break inside a field)"
    if "expected after" in text:
        return "malformed CSV row: a stray quote inside a field (text after a closing quote)"
    if "new-line character" in text or "newline" in text:
        return "malformed CSV row: a carriage return inside a field"
    if "NUL" in text:
        return "malformed CSV row: a NUL byte in the line"
    return "malformed CSV row"


def read_delivery(delivery: Delivery, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDelivery:
    """Read one delivery as all-string columns (empty strings become null), streaming.

    Rows are parsed a physical line at a time and gathered in column batches of `BATCH_ROWS`,
    so memory holds the result plus one batch, never the file's text.
    """
    path = delivery.path
    fd = _open_checked(delivery)
    size = os.fstat(fd).st_size
    if size > max_bytes:
        os.close(fd)
        raise DeliveryError(
            delivery.feed,
            path,
            f"is {size:,} bytes, above the limit of {max_bytes:,} (VERU_MAX_DELIVERY_BYTES); not read",
        )
    raw = _Hashing(_raw_chunks(fd))
    stream: Iterator[bytes] = iter(raw)
    first = next(stream, b"")
    if not first.strip():
        # the rest (if any) is still hashed, so an all-blank file still gets its digest
        rest = b"".join(stream)
        if not (first + rest).strip():
            raise DeliveryError(delivery.feed, path, "file is empty (no header row)")
        first = first + rest
        stream = iter(())
    if not delivery.compressed:
        for magic, what in _MAGIC:
            if first.startswith(magic):
                hint = "; deliver it as .csv.gz or uncompressed" if what == "gzip-compressed" else ""
                raise DeliveryError(delivery.feed, path, f"is {what}, not a CSV text file, although named .csv{hint}")

    def restored() -> Iterator[bytes]:
        yield first
        yield from stream

    chunks: Iterator[bytes] = restored()
    if delivery.compressed:
        chunks = _decompressed(delivery, chunks, max_bytes)
    lines = _lines(delivery, chunks)

    header_line = None
    leading_blank = 0
    for line_number, text, _ in lines:
        if text.strip():
            header_line = (line_number, text)
            break
        leading_blank += 1
    if header_line is None:
        raise DeliveryError(delivery.feed, path, "file is empty (no header row)")
    if header_line[1] == TOO_LONG:
        raise DeliveryError(
            delivery.feed,
            path,
            f"its first line is longer than {MAX_LINE_BYTES:,} bytes: no header (line breaks missing, or not a CSV file)",
        )
    try:
        header = [h.strip() for h in _parse(header_line[1])]
    except csv.Error as exc:
        raise DeliveryError(delivery.feed, path, f"header row is not valid CSV ({_field_break_reason(exc)})") from None
    if len(set(header)) != len(header):
        raise DeliveryError(delivery.feed, path, "header repeats a column name")
    if any(not h for h in header):
        raise DeliveryError(delivery.feed, path, "header has a column with no name")
    width = len(header)
    kept = [i for i, h in enumerate(header) if h not in READER_COLUMNS]
    clashing = [h for h in header if h in READER_COLUMNS]
    header = [header[i] for i in kept]
    every_column = len(kept) == width

    batches: list[pl.DataFrame] = []
    columns: list[list[str]] = [[] for _ in header]
    row_numbers: list[int] = []
    line_numbers: list[int] = []
    # rejected rows, compactly (a file of a million bad lines must not cost a tuple each)
    reject_rows, reject_lines, reject_codes = array("q"), array("q"), array("l")
    reasons: dict[str, int] = {}

    def add_reject(row: int, line: int, reason: str) -> None:
        reject_rows.append(row)
        reject_lines.append(line)
        reject_codes.append(reasons.setdefault(reason, len(reasons)))

    row_number = 0
    blank = leading_blank
    last_line_number = header_line[0]
    last_rejected_short = False
    last_terminated = True

    def flush() -> None:
        if not row_numbers:
            return
        batch = pl.DataFrame(
            [
                pl.Series("row_number", row_numbers, dtype=pl.Int64),
                pl.Series("line_number", line_numbers, dtype=pl.Int64),
            ]
            + [pl.Series(name, values, dtype=pl.String) for name, values in zip(header, columns, strict=True)]
        )
        batches.append(
            batch.with_columns([pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c)).alias(c) for c in header])
        )
        row_numbers.clear()
        line_numbers.clear()
        for values in columns:
            values.clear()

    for line_number, text, terminated in lines:
        last_line_number, last_terminated = line_number, terminated
        if not text.strip():
            blank += 1
            continue
        row_number += 1
        last_rejected_short = False
        if text == TOO_LONG:
            add_reject(row_number, line_number, f"line longer than {MAX_LINE_BYTES:,} bytes (line breaks missing?)")
            continue
        try:
            row = _parse(text)
        except csv.Error as exc:
            add_reject(row_number, line_number, _field_break_reason(exc))
            continue
        if len(row) != width:
            add_reject(row_number, line_number, f"row has {len(row)} fields, the header has {width}")
            last_rejected_short = len(row) < width
            continue
        row_numbers.append(row_number)
        line_numbers.append(line_number)
        for values, value in zip(columns, row if every_column else [row[i] for i in kept], strict=True):
            values.append(value)
        if len(row_numbers) >= BATCH_ROWS:
            flush()
    flush()

    if batches:
        frame = pl.concat(batches, rechunk=False)
    else:
        frame = pl.DataFrame(
            [pl.Series(name, [], dtype=pl.Int64) for name in READER_COLUMNS]
            + [pl.Series(h, [], dtype=pl.String) for h in header]
        )
    notes: list[str] = []
    if clashing:
        notes.append(
            f"added column {', '.join(clashing)} dropped, not stored (a name the platform uses for row numbering)"
        )
    hint = _delimiter_hint(header)
    if hint:
        notes.append(hint)
    if reject_lines and last_rejected_short and reject_lines[-1] == last_line_number and not last_terminated:
        notes.append(f"the file ends mid-row: its last line (line {last_line_number}) looks cut short in transfer")
    return RawDelivery(
        delivery=delivery,
        header=header,
        frame=frame,
        rejects=_rejects_frame(reject_rows, reject_lines, reject_codes, reasons),
        sha256=raw.digest.hexdigest(),
        size_bytes=raw.size,
        notes=notes,
        blank_lines=blank,
        lines=last_line_number,
    )
