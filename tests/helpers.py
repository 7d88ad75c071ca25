"""Helpers the tests share (no fixtures: those are in conftest.py).

Imported as `from helpers import ...`, like `plaintext_scan`: pytest puts `tests/` on sys.path
because `tests/` has a conftest.py and no __init__.py.

- `write_delivery`, `golden_text`, `copy_golden`: small fixed deliveries into a landing zone;
  the golden ones are committed in `tests/golden/` (see its README).
- `materialise_everything`: every asset and check, in-process, against given paths.
- `build_shared_world`, `SharedWorld`, `fingerprint`: the one synthetic world materialised
  once per session (the `shared_world` fixture) and the check that no test changed it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_project.pseudonymise.keys import HashKey, write_new_key

if TYPE_CHECKING:  # Dagster is imported when a world is materialised, not by every test module
    import dagster as dg

GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_DATE = "2024-01-01"


def write_delivery(landing: Path, feed: str, date: str, text: str, *, bom: bool = False) -> Path:
    path = landing / feed / f"{feed}_{date}.csv"
    data = text.lstrip("\n").encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def golden_text(feed: str) -> str:
    """The golden delivery of `feed` (tests/golden/<feed>_2024-01-01.csv), header included."""
    return (GOLDEN / f"{feed}_{GOLDEN_DATE}.csv").read_bytes().decode("utf-8")


def copy_golden(landing: Path, feeds: tuple[str, ...] = ("police", "social_care", "health", "yos")) -> list[Path]:
    """Copy the golden deliveries of `feeds` into `landing/<feed>/`, as an agency would drop them."""
    copied = []
    for feed in feeds:
        (landing / feed).mkdir(parents=True, exist_ok=True)
        copied.append(Path(shutil.copy(GOLDEN / f"{feed}_{GOLDEN_DATE}.csv", landing / feed)))
    return copied


def materialise_everything(
    *,
    warehouse: Path,
    zone: Path,
    landing: Path,
    key_file: Path,
    models: Path,
    reference: Path | None = None,
    analyst: Path | None = None,
    quarantine: Path | None = None,
    dashboard: Path | None = None,
    as_of: str = "2025-01-12",
    truth: Path | None = None,
):
    """Materialise every asset (with their checks) in-process against these paths."""
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.resources import resources_for
    from dagster_project.settings import Environment

    snapshot = Path(analyst or Path(warehouse).with_name("analyst.duckdb"))
    env = Environment(
        landing_dir=Path(landing),
        warehouse=Path(warehouse),
        hash_key_file=Path(key_file),
        model_dir=Path(models),
        linkage_zone=Path(zone),
        reference_dir=Path(reference or Path(landing).parent / "reference"),
        analyst_snapshot=snapshot,
        restricted_snapshot=snapshot.with_name("analyst_restricted.duckdb"),
        truth_dir=truth,
        quarantine_dir=Path(quarantine or Path(warehouse).with_name("quarantine")),
        dashboard_dir=Path(dashboard or Path(warehouse).with_name("quality_site")),
        as_of=as_of,
        linkage_reports=Path(zone).with_name("linkage_reports"),
    )
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], resources=resources_for(env), instance=dg.DagsterInstance.ephemeral()
    )


# --- the shared world ----------------------------------------------------------------------

# 4,000 people: the size the cohort-pattern tolerances were set at (tests/test_cohort_patterns.py).
# Seed 11, the end-to-end world's seed: at 4,000 people seed 31 (the cohort tests' old seed) has a
# health delivery with 6.3% of dates of birth missing, over the suite's 5% warning, and the
# end-to-end tests require every check to pass. Seeds 1, 2, 3 and 11 pass every feed suite.
SHARED_PEOPLE = 4000
SHARED_SEED = 11


@dataclass(frozen=True)
class BlankedEvent:
    """The one police victim record whose event date the shared world blanks."""

    delivery: str  # file name
    record_key: str


@dataclass(frozen=True)
class SharedWorld:
    """A synthetic world, generated and materialised once; tests read it and never write to it."""

    root: Path
    landing: Path  # what the pipeline read: as generated, with one event date blanked
    as_generated: Path  # the landing zone exactly as the generator wrote it
    truth: Path
    reference: Path
    key_file: Path
    key: HashKey
    warehouse: Path
    zone: Path
    analyst: Path
    restricted: Path
    models: Path
    linkage_reports: Path
    dashboard: Path
    blanked: BlankedEvent
    result: dg.ExecuteInProcessResult

    def copy_files(self, target: Path, *names: str) -> Path:
        """Copy these files of `root/warehouse/` into `target` (for a test that writes); return `target`."""
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(self.warehouse.parent / name, target / name)
        return target


def blank_one_event_date(landing: Path) -> BlankedEvent:
    """Issue 10, finding 4: one victimisation with an empty event date in an otherwise healthy
    delivery (an A&E attendance with no arrival_datetime, there) once failed the publication and
    the run. The shared world carries one: a police victim record delivered only once (a re-sent
    record would keep its earlier date, as blanks never erase), in the largest police delivery
    (one blank stays within the 2% the suite tolerates, so the feed stays healthy)."""
    files = sorted((landing / "police").glob("police_*.csv"))
    texts = {path: path.read_bytes().decode("utf-8") for path in files}
    keys: dict[str, int] = {}
    for text in texts.values():
        for line in text.split("\n")[1:]:
            if line.strip():
                keys[line.split(",")[0]] = keys.get(line.split(",")[0], 0) + 1
    path = max(files, key=lambda p: texts[p].count("\n"))
    lines = texts[path].split("\n")
    header = lines[0].lstrip("\ufeff").rstrip("\r").split(",")
    column, role = header.index("occurrence_datetime"), header.index("role")
    index = next(
        i
        for i, line in enumerate(lines[1:], 1)
        if line.strip()
        and keys[line.split(",")[0]] == 1
        and len(line.split(",")) == len(header)
        and line.split(",")[role] == "VICTIM"
    )
    fields = lines[index].split(",")
    blanked = BlankedEvent(path.name, fields[0])
    fields[column] = ""
    lines[index] = ",".join(fields)
    path.write_bytes("\n".join(lines).encode("utf-8"))
    return blanked


def build_shared_world(root: Path, *, people: int = SHARED_PEOPLE, seed: int = SHARED_SEED) -> SharedWorld:
    """Generate the synthetic feeds under `root`, blank one event date, write a key, materialise."""
    from dagster_project.synthetic import SyntheticConfig, generate

    generate(
        SyntheticConfig(
            landing=root / "as_generated",
            truth=root / "truth",
            reference=root / "reference",
            people=people,
            seed=seed,
            progress=False,
        )
    )
    shutil.copytree(root / "as_generated", root / "landing")
    blanked = blank_one_event_date(root / "landing")
    key = write_new_key(root / "secrets" / "test.key")
    db = root / "warehouse" / "veru.duckdb"
    result = materialise_everything(
        warehouse=db,
        zone=db.with_name("linkage_zone.duckdb"),
        landing=root / "landing",
        key_file=root / "secrets" / "test.key",
        models=root / "models",
        reference=root / "reference",
    )
    return SharedWorld(
        root=root,
        landing=root / "landing",
        as_generated=root / "as_generated",
        truth=root / "truth",
        reference=root / "reference",
        key_file=root / "secrets" / "test.key",
        key=key,
        warehouse=db,
        zone=db.with_name("linkage_zone.duckdb"),
        analyst=db.with_name("analyst.duckdb"),
        restricted=db.with_name("analyst_restricted.duckdb"),
        models=root / "models",
        linkage_reports=db.with_name("linkage_reports"),
        dashboard=db.with_name("quality_site"),
        blanked=blanked,
        result=result,
    )


def fingerprint(root: Path) -> dict[str, tuple[int, int, int]]:
    """(size, modification time, mode) of every file and folder under `root`: any write shows."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            found[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return found
