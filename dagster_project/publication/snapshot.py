"""The analyst snapshots: two DuckDB files holding what analysts may see, published atomically.

- The **default tier** (`VERU_ANALYST_SNAPSHOT`, `warehouse/analyst.duckdb`): the cohort tables
  with their quasi-identifiers coarsened until every person and every event hides among at
  least k (`dagster_project.publication.anonymise`), the protected aggregates and the reference
  geography. Published only when its measured k-anonymity holds.
- The **restricted tier** (`VERU_RESTRICTED_SNAPSHOT`, `warehouse/analyst_restricted.duckdb`):
  the same with the cohort tables in full detail (dates, hours, ages, neighbourhoods), for
  named analysts.

Neither holds a token, a record key or a staging table. Each is written in full under a
temporary name (`.<name>.<uuid>.tmp`, created owner-only: the process's umask is 077 while it
is written), checked, given mode 0640 and the analysts' group (`VERU_ANALYST_GROUP`), and moved
over the previous one in one `rename`. An analyst who has the old file open keeps reading it
undisturbed; the next connection opens the new one. The pipeline never waits for an analyst,
and an analyst never sees a half-written table. If either tier fails a check, neither is
replaced, so the two always come from the same run.

Publications are serialised by a lock on each snapshot's directory (`flock`, released by the
kernel when a publisher dies), and whoever holds it removes the temporary files a killed
publisher left behind (`.<name>.<uuid>.tmp` and its `.wal`).
"""

from __future__ import annotations

import fcntl
import grp
import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.clock import utcnow
from dagster_project.pseudonymise.encode import TOKEN_SCHEMA
from dagster_project.publication import anonymise
from dagster_project.settings import ANALYST_GROUP_VAR, ANALYST_SNAPSHOT_VAR, RESTRICTED_SNAPSHOT_VAR

logger = logging.getLogger(__name__)

PUBLISHED_SCHEMAS = ("cohorts", "aggregates")
PUBLISHED_REFERENCE = ("reference.lsoa", "reference.population")
FORBIDDEN_COLUMNS = frozenset({"record_key", "record_id", "record_key_l", "record_key_r", *TOKEN_SCHEMA})
SNAPSHOT_MODE = 0o640


class SnapshotError(RuntimeError):
    """The snapshot would contain something analysts must not get, or cannot be published as configured."""


class KAnonymityError(SnapshotError):
    """The default tier breaks its promised k-anonymity, or publishes a column its published events
    do not give (a quasi-identifier the k measurement cannot see): it is not published."""

    def __init__(
        self,
        figures: list[anonymise.Figure],
        recoding: anonymise.Recoding,
        k: int,
        underivable: list[anonymise.Underivable] | None = None,
    ):
        self.figures = figures
        self.recoding = recoding
        self.k = k
        self.underivable = list(underivable or [])
        failing = anonymise.breaches(figures)
        reasons = [f"{f.spec.description}: {f.below_k:,} of {f.units:,} in groups below k={k}" for f in failing]
        if self.underivable:
            more = len(self.underivable) - 5
            reasons.append(
                f"{len(self.underivable)} column(s) say more than the published events: "
                + "; ".join(str(u) for u in self.underivable[:5])
                + (f"; and {more} more" if more > 0 else "")
            )
        super().__init__("Refusing to publish the default analyst tier: " + "; ".join(reasons))


@dataclass(frozen=True)
class Publication:
    """What was published: rows per table of each tier, and the default tier's generalisation, k-anonymity
    and the columns its published events do not give (empty: it was published only so)."""

    default_counts: dict[str, int]
    restricted_counts: dict[str, int]
    recoding: anonymise.Recoding
    figures: list[anonymise.Figure]
    underivable: list[anonymise.Underivable]


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.sql(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        f"WHERE table_catalog = current_database() AND table_schema IN {PUBLISHED_SCHEMAS} "
        "AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return [t for (t,) in rows] + [t for t in PUBLISHED_REFERENCE if warehouse.table_exists(con, t)]


def check(path: Path) -> list[str]:
    """Forbidden columns or schemas in a snapshot file of either tier (empty when it is safe)."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.sql(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database()"
        ).fetchall()
    problems = [f"{s}.{t}.{c}" for s, t, c in columns if c in FORBIDDEN_COLUMNS]
    problems += sorted({f"schema {s}" for s, _, _ in columns if s in ("staging", "tokens", "linkage", "quality")})
    return problems


def check_default_tier(path: Path) -> list[str]:
    """Detail the default tier must not hold: a detail column, a date or time column, or a
    cohort table that is not one of the coarsened ones (empty when it holds none)."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.sql(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'cohorts'"
        ).fetchall()
    problems = [f"cohorts.{t}.{c}" for t, c, _ in columns if c in anonymise.DETAIL_COLUMNS]
    problems += [f"cohorts.{t}.{c} ({d})" for t, c, d in columns if d.startswith(("DATE", "TIME"))]
    problems += sorted(
        {f"cohorts.{t} (not a default-tier table)" for t, _, _ in columns if t not in anonymise.DEFAULT_TABLES}
    )
    return problems


def resolve_group(group: str) -> int | None:
    """The group id the snapshots are given (None: keep the owner's group)."""
    if not group:
        return None
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise SnapshotError(
            f"{ANALYST_GROUP_VAR} names the group {group!r}, which does not exist on this machine: create it "
            f"(groupadd), name an existing group, or leave {ANALYST_GROUP_VAR} empty to keep the owner's group. "
            "Nothing was published."
        ) from None


_STALE = r"^\.{name}\.[0-9a-f]{{32}}\.tmp(\.wal)?$"


def stale_temporaries(target: Path) -> list[Path]:
    """Temporary snapshots of `target` left in its directory (`.<name>.<uuid>.tmp` and their `.wal`)."""
    pattern = re.compile(_STALE.format(name=re.escape(target.name)))
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.iterdir() if pattern.match(p.name))


@contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive flock on `directory` (the kernel drops it if the process dies)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def _owner_only_files() -> Iterator[None]:
    """Files created meanwhile (the temporary snapshot and its WAL, made by DuckDB) are 0600 from
    the start. The umask is per process: held only while the snapshots are written."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def _write(con: duckdb.DuckDBPyConnection, path: Path, sources: dict[str, str], about: dict) -> dict[str, int]:
    """Create `path` holding each published table (name → source query) and main.about."""
    counts: dict[str, int] = {}
    warehouse.run(con, f"ATTACH '{path}' AS snapshot")
    try:
        for table, source in sources.items():
            schema, name = table.split(".")
            warehouse.run(con, f"CREATE SCHEMA IF NOT EXISTS snapshot.{schema}")
            warehouse.run(con, f"CREATE TABLE snapshot.{schema}.{name} AS {source}")
            counts[table] = con.sql(f"SELECT count(*) FROM snapshot.{schema}.{name}").fetchall()[0][0]
        con.register("__about", pl.DataFrame([{**about, "tables": len(sources)}]).to_arrow())
        try:
            warehouse.run(con, "CREATE TABLE snapshot.main.about AS SELECT * FROM __about")
        finally:
            con.unregister("__about")
    finally:
        warehouse.run(con, "DETACH snapshot")
    return counts


def _finish(tmp: Path, gid: int | None) -> None:
    """Flush the finished temporary file and give it the analysts' group and mode 0640."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    if gid is not None:
        try:
            os.chown(tmp, -1, gid)
        except PermissionError:
            raise SnapshotError(
                f"Cannot give the snapshots to the group named by {ANALYST_GROUP_VAR}: the pipeline's user is not "
                "a member of it. Add the user to the group or change the variable. Nothing was published."
            ) from None
    os.chmod(tmp, SNAPSHOT_MODE)


def _rename(tmp: Path, target: Path) -> None:
    os.replace(tmp, target)  # atomic: readers see the old file or the new, never a mix
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def publish(
    warehouse_path: Path,
    default_path: Path,
    restricted_path: Path,
    about: dict,
    *,
    group: str = "",
    k: int = anonymise.K,
) -> Publication:
    """Build both tiers from the warehouse, check them, and move each into place atomically.

    Raises SnapshotError (KAnonymityError when the default tier breaks k) before anything is
    replaced: the previous snapshots of both tiers stay.
    """
    default_path, restricted_path = Path(default_path), Path(restricted_path)
    if default_path.resolve() == restricted_path.resolve():
        raise SnapshotError(
            f"{ANALYST_SNAPSHOT_VAR} and {RESTRICTED_SNAPSHOT_VAR} name the same file; the two tiers need two files."
        )
    gid = resolve_group(group)
    targets = {"restricted": restricted_path, "default": default_path}
    for target in targets.values():
        target.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        for directory in sorted({t.parent.resolve() for t in targets.values()}):
            stack.enter_context(_directory_lock(directory))
        for target in targets.values():  # under the lock: no other publisher is writing these
            for leftover in stale_temporaries(target):
                logger.warning("Removing %s, left by a publication that did not finish", leftover.name)
                leftover.unlink()
        temporaries = {tier: _temporary(target) for tier, target in targets.items()}
        try:
            with _owner_only_files(), warehouse.connect(warehouse_path) as con:
                tables = published_tables(con)
                restricted_counts = _write(
                    con,
                    temporaries["restricted"],
                    {t: f"SELECT * FROM {t}" for t in tables},
                    {**about, "tier": "restricted"},
                )
                recoding = anonymise.build_default_tier(con, k)
                span = anonymise.published_span(con)
                sources = {
                    t: (
                        f"SELECT * FROM default_{t.split('.')[1]}" if t.startswith("cohorts.") else f"SELECT * FROM {t}"
                    )
                    for t in tables
                    if not t.startswith("cohorts.") or t.split(".")[1] in anonymise.DEFAULT_TABLES
                }
                default_counts = _write(
                    con,
                    temporaries["default"],
                    sources,
                    {
                        **default_about(about, span),
                        "tier": "default",
                        "k": k,
                        "persons": recoding.persons,
                        "persons_withheld": recoding.persons_withheld,
                    },
                )
            problems = [f"{tier}: {p}" for tier, tmp in temporaries.items() for p in check(tmp)]
            problems += [f"default: {p}" for p in check_default_tier(temporaries["default"])]
            if problems:
                raise SnapshotError(f"Refusing to publish: the snapshots would hold {', '.join(problems[:5])}")
            figures = anonymise.measure_file(temporaries["default"], k)
            underivable = anonymise.derivation_problems(temporaries["default"])
            if anonymise.breaches(figures) or underivable:
                raise KAnonymityError(figures, recoding, k, underivable)
            for tmp in temporaries.values():
                _finish(tmp, gid)
            for tier, tmp in temporaries.items():
                _rename(tmp, targets[tier])
        finally:
            for tmp in temporaries.values():
                for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                    if leftover.exists():
                        leftover.unlink()
    return Publication(default_counts, restricted_counts, recoding, figures, underivable)


def about(run_id: str, con: duckdb.DuckDBPyConnection) -> dict:
    period = con.sql(
        "SELECT min(event_date), max(event_date), count(DISTINCT person_id) FROM cohorts.events"
    ).fetchall()[0]
    return {
        "published_at": utcnow(),
        "run_id": run_id,
        "events_from": period[0],
        "events_to": period[1],
        "persons": period[2],
    }


def default_about(about: dict, span: tuple[str | None, str | None]) -> dict:
    """The default tier's `about`: the period covered as the first and last month of the published
    events' periods (`anonymise.published_span`), not the months of the first and last event's
    exact dates (an event published with no period would show in them)."""
    return {**about, "events_from": span[0], "events_to": span[1]}
