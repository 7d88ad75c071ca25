"""Deliveries built to attack ingest, and an independent account of what a delivery holds.

`records` makes rows that are valid per FEEDS.md for any of the four feeds, each with a record
key the test can recognise. `Delivery` assembles a file from segments (the header, records,
blank lines), each record possibly corrupted, and remembers which physical lines came from
which record. `Account` counts the file the way a person would (split on `\\n`; a line of
spaces, tabs and carriage returns is blank; the first non-blank line is the header; every
other non-blank line is a row, numbered from 1) without using any of the reader's code, so the
tests can hold the reader to it.

The identifier values (names, dates of birth, postcodes, NHS, PNC and case numbers) are
drawn from small fixed lists of distinctive values so that a test can look for any of them in
every message the platform writes.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass, field

from dagster_project.pseudonymise.standardise import pnc_check_letter

# Distinctive on purpose: none of these occurs inside an English word a message might use.
SURNAMES = (
    "OKONKWO",
    "WOJCIK",
    "ABERNETHY",
    "MARCHETTI",
    "NAKAMURA",
    "FERREIRA",
    "THISTLEWOOD",
    "KOWALCZYK",
    "OYELARAN",
    "O'SULLIVAN",
    "SMYTHE-QUAYLE",
    "VAN DER BERG",
    "McGONIGLE",
    "ZBIGNIEW",
)
FORENAMES = (
    "Leontyne",
    "Oluwaseun",
    "Bartholomew",
    "Ximena",
    "Caoimhe",
    "Ignatius",
    "Rhiannon",
    "Thaddeus",
    "Mohammed",
    "Zainab",
    "Siobhan",
    "Anne-Marie",
    "Jean Paul",
)
LATIN1_NAMES = ("Zoë", "Chloé", "Renée", "José", "Müller", "Bjørn")  # valid UTF-8 here; Latin-1 when corrupted
POSTCODE_AREAS = ("LU1", "LU4", "MK40", "MK42", "SG17", "SG5", "LU7", "MK45")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
POLICE_ETHNICITY = (
    "W1",
    "W2",
    "W3",
    "W9",
    "M1",
    "M2",
    "M3",
    "M9",
    "A1",
    "A2",
    "A3",
    "A4",
    "A9",
    "B1",
    "B2",
    "B9",
    "O1",
    "O9",
    "NS",
)
DFE_ETHNICITY = (
    "WBRI",
    "WIRI",
    "WOTH",
    "WIRT",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)
OFFENCE_GROUPS = (
    "Violence with injury",
    "Violence without injury",
    "Stalking and harassment",
    "Rape",
    "Other sexual offences",
    "Homicide",
    "Robbery",
    "Possession of weapons",
    "Drug offences",
    "Public order",
)


def nhs_number(rng: random.Random) -> str:
    """Ten digits that pass the modulus-11 check."""
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def postcode(rng: random.Random) -> str:
    return f"{rng.choice(POSTCODE_AREAS)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


@dataclass
class Record:
    """One generated source record: its fields in the feed's column order, its key, and the
    identifier values a message must never quote."""

    feed: str
    key: str
    fields: list[str]
    identifiers: set[str]


def _ymd(rng: random.Random, first_year: int, last_year: int) -> tuple[int, int, int]:
    return rng.randrange(first_year, last_year + 1), rng.randrange(1, 13), rng.randrange(1, 29)


def record(feed: str, index: int, rng: random.Random, *, key_base: int = 0) -> Record:
    """A row of `feed` valid per FEEDS.md; its key encodes `key_base + index`."""
    n = key_base + index
    surname, forename = rng.choice(SURNAMES), rng.choice(FORENAMES + LATIN1_NAMES)
    pc = postcode(rng) if rng.random() < 0.9 else ""
    ey, em, ed = _ymd(rng, 2022, 2023)
    yn = lambda: rng.choice("YN")  # noqa: E731
    if feed == "police":
        by, bm, bd = _ymd(rng, 1950, 2008)
        dob = f"{bd:02d}/{bm:02d}/{by}"
        yy, serial = rng.randrange(0, 24), rng.randrange(1, 1_000_000)
        pnc = f"{yy:02d}/{serial:06d}{pnc_check_letter(yy, serial)}" if rng.random() < 0.5 else ""
        key = f"NL{n:09d}"
        fields = [
            key,
            f"43/{rng.randrange(10**6):06d}/{ey % 100:02d}",
            rng.choice(("VICTIM", "SUSPECT", "OFFENDER", "WITNESS")),
            surname,
            forename,
            dob,
            rng.choice("MFU"),
            rng.choice(POLICE_ETHNICITY),
            pc,
            pnc,
            f"{rng.randrange(1, 999):03d}/{rng.randrange(100):02d}",
            rng.choice(OFFENCE_GROUPS),
            f"{ey}-{em:02d}-{ed:02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}",
            f"E01{rng.randrange(10**6):06d}",
            yn(),
            yn(),
            yn(),
        ]
        identifiers = {surname, forename, dob, pc, pnc}
    elif feed == "social_care":
        by, bm, bd = _ymd(rng, 2006, 2020)
        dob = f"{by}-{bm:02d}-{bd:02d}"
        nhs = nhs_number(rng) if rng.random() < 0.7 else ""
        if nhs and rng.random() < 0.3:
            nhs = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
        child = f"C{rng.randrange(10**6):06d}"
        key = f"{rng.choice(('BED', 'CBC', 'LUT'))}-R{n:07d}"
        fields = [
            key,
            child,
            rng.choice(("Bedford", "Central Bedfordshire", "Luton")),
            forename,
            surname,
            dob,
            rng.choice(("Male", "Female", "Unknown")),
            rng.choice(DFE_ETHNICITY),
            nhs,
            pc,
            f"{ey}-{em:02d}-{ed:02d}",
            rng.choice(("Police", "School", "Health", "Self", "Other")),
            f"N{rng.randrange(1, 10)}",
            yn(),
            yn(),
            str(rng.randrange(0, 12)),
            yn(),
            yn(),
        ]
        identifiers = {surname, forename, dob, nhs, pc, child}
    elif feed == "health":
        by, bm, bd = _ymd(rng, 1940, 2010)
        dob = f"{by}{bm:02d}{bd:02d}"
        nhs = nhs_number(rng) if rng.random() < 0.9 else ""
        key = f"ED{n:010d}"
        fields = [
            key,
            rng.choice(("Luton and Dunstable", "Bedford")),
            nhs,
            forename,
            surname,
            dob,
            rng.choice("1290"),
            rng.choice("ABCDEFGHJKLMNPRSZ"),
            pc,
            f"{ey}-{em:02d}-{ed:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
            rng.choice(("Home", "Street", "Licensed premises", "School", "Other")),
            rng.choice(("None", "Knife or blade", "Blunt object", "Firearm", "Other", "Unknown")),
            yn(),
        ]
        identifiers = {surname, forename, dob, nhs, pc}
    elif feed == "yos":
        by, bm, bd = _ymd(rng, 2000, 2009)
        dob = f"{bd:02d}-{MONTHS[bm - 1]}-{by % 100:02d}"
        year, serial = rng.randrange(2010, 2024), rng.randrange(1, 10**7)
        pnc = f"{year}/{serial:07d}{pnc_check_letter(year % 100, serial)}" if rng.random() < 0.6 else ""
        full_name = f"{surname}, {forename}"
        key = f"YOS{n:08d}"
        fields = [
            key,
            rng.choice(("Bedfordshire", "Luton")),
            full_name,
            dob,
            rng.choice(("Male", "Female")),
            rng.choice(DFE_ETHNICITY),
            pnc,
            pc,
            f"{ed:02d}/{em:02d}/{ey}",
            rng.choice(
                (
                    "Community Resolution",
                    "Youth Caution",
                    "Youth Conditional Caution",
                    "Referral Order",
                    "Youth Rehabilitation Order",
                    "Custody",
                )
            ),
            rng.choice(("Violence against the person", "Robbery", "Drugs", "Weapons", "Sexual", "Other")),
            yn(),
            yn(),
        ]
        identifiers = {surname, forename, full_name, dob, pnc, pc}
    else:  # pragma: no cover - the four feeds only
        raise ValueError(feed)
    return Record(feed, key, fields, {v for v in identifiers if v})


def quote(value: str, always: bool = False) -> str:
    if always or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def render(fields: list[str], quote_all: bool = False) -> str:
    return ",".join(quote(f, quote_all) for f in fields)


# --- corruptions -------------------------------------------------------------------------------
# Each takes the record's fields and a random source and returns the line's bytes (without its
# line ending). All of them break the record as a CSV line or as UTF-8, or leave it parseable
# with damaged values; which one happened is for the reader to find, not for the test to assume.


def _pick(rng: random.Random, fields: list[str]) -> int:
    return rng.randrange(len(fields))


def _insert(text: str, what: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    return text[:at] + what + text[at:]


def stray_quote(fields: list[str], rng: random.Random) -> bytes:
    f = [quote(v) for v in fields]
    i = _pick(rng, f)
    if rng.random() < 0.5:
        f[i] = f'"{fields[i]}" Jr'  # the issue's `"Willis" Jr`: text after a closing quote
    else:
        f[i] = _insert(fields[i], '"', rng)  # a bare quote inside an unquoted field
    return ",".join(f).encode()


def unclosed_quote(fields: list[str], rng: random.Random) -> bytes:
    f = [quote(v) for v in fields]
    i = _pick(rng, f)
    f[i] = '"' + fields[i].replace('"', '""')
    return ",".join(f).encode()


def doubled_quote(fields: list[str], rng: random.Random) -> bytes:
    f = [quote(v) for v in fields]
    i = _pick(rng, f)
    f[i] = rng.choice((f'""{fields[i]}', f'{fields[i]}""', f'"{fields[i]}""', f'""{fields[i]}""', '""""'))
    return ",".join(f).encode()


def extra_delimiter(fields: list[str], rng: random.Random) -> bytes:
    return _insert(render(fields), ",", rng).encode()


def missing_delimiter(fields: list[str], rng: random.Random) -> bytes:
    line = render(fields)
    commas = [i for i, c in enumerate(line) if c == ","]
    at = rng.choice(commas)
    return (line[:at] + line[at + 1 :]).encode()


def embedded_newline(fields: list[str], rng: random.Random) -> bytes:
    f = [quote(v) for v in fields]
    i = _pick(rng, f)
    broken = _insert(fields[i], rng.choice(("\r", "\n", "\r\n")), rng)
    f[i] = quote(broken, always=True) if rng.random() < 0.5 else broken
    return ",".join(f).encode()


def truncated(fields: list[str], rng: random.Random) -> bytes:
    line = render(fields).encode()
    return line[: rng.randrange(1, len(line))]


def latin1(fields: list[str], rng: random.Random) -> bytes:
    f = list(fields)
    i = _pick(rng, f)
    f[i] = rng.choice(LATIN1_NAMES)
    return render(f).encode("latin-1")


def cp1252_quotes(fields: list[str], rng: random.Random) -> bytes:
    f = list(fields)
    i = _pick(rng, f)
    f[i] = "\u201c" + f[i] + "\u201d"  # curly quotes, as Excel on Windows writes them
    return render(f).encode("cp1252", errors="replace")


def nul_byte(fields: list[str], rng: random.Random) -> bytes:
    return _insert(render(fields), "\x00", rng).encode()


def invalid_utf8(fields: list[str], rng: random.Random) -> bytes:
    line = render(fields).encode()
    at = rng.randrange(len(line) + 1)
    return line[:at] + rng.choice((b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf")) + line[at:]


CORRUPTIONS = {
    "stray_quote": stray_quote,
    "unclosed_quote": unclosed_quote,
    "doubled_quote": doubled_quote,
    "extra_delimiter": extra_delimiter,
    "missing_delimiter": missing_delimiter,
    "embedded_newline": embedded_newline,
    "truncated": truncated,
    "latin1": latin1,
    "cp1252_quotes": cp1252_quotes,
    "nul_byte": nul_byte,
    "invalid_utf8": invalid_utf8,
}

# Encoding faults make the whole file unreadable (quarantined), so they come up less often
# than the faults a reader can resync after.
ENCODING_FAULTS = ("latin1", "cp1252_quotes", "invalid_utf8")
WEIGHTED_CORRUPTIONS = tuple(
    sorted([name for name in CORRUPTIONS if name not in ENCODING_FAULTS] * 4 + list(ENCODING_FAULTS))
)


# Harmless variations: the record stays valid and must be staged.
def quoted_everywhere(fields: list[str], rng: random.Random) -> bytes:
    return render(fields, quote_all=True).encode()


def spaced_key(fields: list[str], rng: random.Random) -> bytes:
    return render([f" {fields[0]} ", *fields[1:]]).encode()


def accented_name(fields: list[str], rng: random.Random) -> bytes:
    return render(fields).encode("utf-8")


HARMLESS = {"quoted_everywhere": quoted_everywhere, "spaced_key": spaced_key, "plain": accented_name}

# Blank lines: what a person would call blank (spaces, tabs, a stray carriage return).
BLANKS = (b"", b" ", b"\t", b"   \t ", b"\r")


@dataclass
class Segment:
    data: bytes  # ends with b"\n" unless it is the last segment of the file
    owner: str  # "header", "blank", or "record:<i>"


@dataclass
class Delivery:
    """A generated delivery: the bytes the reader will see (decompressed), the bytes on disk,
    and where every physical line came from."""

    feed: str
    name: str
    segments: list[Segment]
    records: list[Record]
    corrupted: dict[int, str] = field(default_factory=dict)  # record index -> corruption
    duplicates: dict[int, int] = field(default_factory=dict)  # copy index -> original index
    bom: bool = False
    file_mode: str = "plain"  # plain | gzip_csv_gz | gzip_as_csv | utf16 | utf16_nobom | empty | blank_only

    @property
    def content(self) -> bytes:
        """What the reader sees after decompression."""
        return b"".join(s.data for s in self.segments)

    @property
    def on_disk(self) -> bytes:
        data = self.content
        if self.file_mode in ("gzip_csv_gz", "gzip_as_csv"):
            return gzip.compress(data, mtime=0)
        if self.file_mode == "utf16":
            return data.decode("utf-8", errors="replace").encode("utf-16")
        if self.file_mode == "utf16_nobom":
            return data.decode("utf-8", errors="replace").encode("utf-16-le")
        return data

    def identifiers(self) -> set[str]:
        return {v for r in self.records for v in r.identifiers}


def build(
    feed: str,
    columns: tuple[str, ...],
    rng: random.Random,
    *,
    n_records: int,
    corrupt_share: float,
    blank_share: float,
    crlf: str,  # "lf" | "crlf" | "mixed"
    last_unterminated: bool,
    bom: bool,
    duplicates: int,
    repeated_header: bool,
    leading_blanks: int,
    file_mode: str,
    key_base: int,
    date: str = "2024-03-01",
) -> Delivery:
    """A delivery of `n_records` valid records of `feed`, some corrupted, with blank lines,
    duplicated keys and the given line endings and file form."""

    def ending() -> bytes:
        if crlf == "lf":
            return b"\n"
        if crlf == "crlf":
            return b"\r\n"
        return rng.choice((b"\n", b"\r\n"))

    records = [record(feed, i, rng, key_base=key_base) for i in range(n_records)]
    order: list[int] = list(range(n_records))
    copies: dict[int, int] = {}
    if n_records and duplicates:
        for _ in range(duplicates):
            original = rng.randrange(n_records)
            copies[len(records)] = original
            records.append(records[original])
            order.insert(rng.randrange(len(order) + 1), len(records) - 1)
    corrupted: dict[int, str] = {}
    for i in range(n_records):  # copies stay exact copies
        if i not in copies.values() and rng.random() < corrupt_share:
            corrupted[i] = rng.choice(WEIGHTED_CORRUPTIONS)

    segments = [Segment(blank + ending(), "blank") for blank in (rng.choice(BLANKS) for _ in range(leading_blanks))]
    segments.append(Segment(",".join(columns).encode() + ending(), "header"))
    for i in order:
        if rng.random() < blank_share:
            segments.append(Segment(rng.choice(BLANKS) + ending(), "blank"))
        fields = records[i].fields
        if i in corrupted:
            line = CORRUPTIONS[corrupted[i]](fields, rng)
        else:
            line = HARMLESS[rng.choice(sorted(HARMLESS))](fields, rng)
        segments.append(Segment(line + ending(), f"record:{i}"))
    if rng.random() < blank_share:
        segments.append(Segment(rng.choice(BLANKS) + ending(), "blank"))
    if repeated_header:  # two exports concatenated: the header again, mid-file
        at = rng.randrange(leading_blanks + 1, len(segments) + 1)
        segments.insert(at, Segment(",".join(columns).encode() + ending(), "repeated_header"))
    if last_unterminated and segments:
        last = segments[-1]
        for end in (b"\r\n", b"\n"):
            if last.data.endswith(end):
                last.data = last.data[: -len(end)]
                break
    if file_mode == "blank_only":
        segments = [Segment(rng.choice(BLANKS) + ending(), "blank") for _ in range(rng.randrange(1, 4))]
    if file_mode == "empty":
        segments = []
    if bom:  # a byte-order mark before the first line (the whole file, if it is empty)
        if segments:
            segments[0].data = b"\xef\xbb\xbf" + segments[0].data
        else:
            segments = [Segment(b"\xef\xbb\xbf", "blank")]
    suffix = ".csv.gz" if file_mode == "gzip_csv_gz" else ".csv"
    return Delivery(feed, f"{feed}_{date}{suffix}", segments, records, corrupted, copies, bom, file_mode)


# --- the independent account -------------------------------------------------------------------


@dataclass
class Line:
    number: int  # physical line number, from 1
    data: bytes
    owner: str
    blank: bool
    row: int | None = None  # row number for a data row


@dataclass
class Account:
    lines: list[Line]
    header: Line | None

    @property
    def physical_lines(self) -> int:
        return len(self.lines)

    @property
    def blank_lines(self) -> int:
        return sum(line.blank for line in self.lines)

    @property
    def rows(self) -> list[Line]:
        return [line for line in self.lines if line.row is not None]

    def by_row(self) -> dict[int, Line]:
        return {line.row: line for line in self.rows}


def count(delivery: Delivery) -> Account:
    """Physical lines as a person counts them: split on `\\n` (a final line break does not
    start another line); blank = nothing but spaces, tabs and carriage returns."""
    lines: list[Line] = []
    number = 0
    bom = delivery.bom
    for segment in delivery.segments:
        parts = segment.data.split(b"\n")
        if parts and parts[-1] == b"":
            parts.pop()
        for part in parts:
            number += 1
            text = part[3:] if (number == 1 and bom and part.startswith(b"\xef\xbb\xbf")) else part
            lines.append(Line(number, part, segment.owner, blank=text.strip(b" \t\r") == b""))
    header = next((line for line in lines if not line.blank), None)
    row = 0
    for line in lines:
        if header is not None and line.number > header.number and not line.blank:
            row += 1
            line.row = row
    return Account(lines, header)


def own_count(data: bytes) -> int:
    """Physical lines of `data`: split on b"\\n", the empty piece after a final break not counted."""
    if not data:
        return 0
    return len(data.split(b"\n")) - (1 if data.endswith(b"\n") else 0)
