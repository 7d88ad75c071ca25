"""Finding deliveries in the landing zone, which is treated as hostile, without reading them.

A delivery is `landing/<feed>/<feed>_<YYYY-MM-DD>.csv` (plaintext, as the agency's system
exports it), the same gzip-compressed as `.csv.gz`, or `<feed>_<YYYY-MM-DD>.pseudo.csv`
(pseudonymised at the agency's site by `veru-pseudonymise`).

What sits in a feed's folder is not trusted, and `discover` never opens it:

- a name that does not follow the pattern is reported (masked to the characters the pattern
  allows, so a person's name in a file name never reaches a log), not read;
- a symbolic link, anything that is not a regular file, or a folder that resolves outside the
  landing zone is refused unread.

Size and hard links are recorded here and judged by the caller, which knows earlier verdicts
(a file with other hard links is refused unless an earlier run accepted it); the file is
opened, checked and read by `dagster_project.feeds.delivery`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

DELIVERY_NAME = re.compile(r"^(?P<feed>[a-z_]+)_(?P<date>\d{4}-\d{2}-\d{2})(?P<pseudo>\.pseudo)?\.csv(?P<gz>\.gz)?$")


@dataclass(frozen=True)
class Delivery:
    feed: str
    path: Path
    extract_date: dt.date
    pseudonymised: bool = False  # `<feed>_<date>.pseudo.csv`, made by `veru-pseudonymise`
    compressed: bool = False  # `<feed>_<date>.csv.gz`
    size_bytes: int | None = None  # as found by `discover`
    inode: tuple[int, int] | None = None  # (device, inode) as found by `discover`
    links: int = 1  # hard links: more than one may make it another file of this machine

    def hard_link_problem(self) -> str:
        return (
            f"has {self.links} hard links (it may be another file of this machine); deliveries must be "
            "plain copies; not read"
        )

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class UnrecognisedFile:
    """A file in a feed's folder that is not read: `status` is `unrecognised_name` (the name
    does not follow the pattern) or `refused` (a link, not a regular file, outside the landing
    zone). `masked_name` is safe to log and store; `path` is not."""

    feed: str
    path: Path
    masked_name: str
    status: str
    problem: str
    size_bytes: int | None = None


def mask_name(name: str, feed: str) -> str:
    """`name` with every character the delivery pattern would not put there replaced by `*`.

    Kept: a leading `<feed>_`, then a `YYYY-MM-DD`, then a `.pseudo`/`.csv`/`.gz` ending;
    everything else (letters of a person's name, spaces, digits outside the date) becomes `*`.
    `health_2025-07-08 (1).csv` → `health_2025-07-08****.csv`.
    """
    head = f"{feed}_" if name.startswith(f"{feed}_") else ""
    rest = name[len(head) :]
    date = re.match(r"\d{4}-\d{2}-\d{2}", rest) if head else None
    middle_start = len(head) + (date.end() if date else 0)
    ending = re.search(r"(\.pseudo)?\.csv(\.gz)?$", name[middle_start:])
    middle_end = middle_start + ending.start() if ending else len(name)
    masked = name[:middle_start] + "*" * (middle_end - middle_start) + name[middle_end:]
    return masked[:120]


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def discover(landing_dir: Path, feed: str) -> tuple[list[Delivery], list[UnrecognisedFile]]:
    """Deliveries of `feed` in extract-date order, plus files that are not read (and why).

    Nothing here reads a file's content or follows a link. Names starting with `.` are files
    still being written by a transfer (write to `.name`, then rename) and are skipped; a folder
    is reported (nothing in it is read). Size and hard links are not judged here: the caller
    decides, knowing earlier verdicts (an accepted delivery stays served if a backup tool
    later hard-links it).
    """
    root = Path(landing_dir)
    folder = root / feed
    if not folder.is_dir():
        return [], []
    real_root = root.resolve()
    deliveries: list[Delivery] = []
    unread: list[UnrecognisedFile] = []
    if folder.is_symlink() or not _inside(folder.resolve(), real_root):
        unread.append(
            UnrecognisedFile(
                feed,
                folder,
                f"{feed}/",
                "refused",
                f"the {feed} folder is a link or resolves outside the landing zone; nothing in it is read",
            )
        )
        return [], unread
    with os.scandir(folder) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        masked = mask_name(entry.name, feed)
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            unread.append(
                UnrecognisedFile(
                    feed,
                    path,
                    f"{masked}/",
                    "unrecognised_name",
                    f"is a folder: deliveries must sit directly in landing/{feed}/; nothing in it is read",
                )
            )
            continue
        if stat.S_ISLNK(info.st_mode):
            unread.append(
                UnrecognisedFile(
                    feed,
                    path,
                    masked,
                    "refused",
                    "is a symbolic link; deliveries must be regular files (the link is not followed)",
                )
            )
            continue
        if not stat.S_ISREG(info.st_mode):
            unread.append(
                UnrecognisedFile(
                    feed,
                    path,
                    masked,
                    "refused",
                    "is not a regular file (a pipe, socket or device); not read",
                )
            )
            continue
        match = DELIVERY_NAME.match(entry.name)
        if not match or match.group("feed") != feed:
            unread.append(
                UnrecognisedFile(
                    feed,
                    path,
                    masked,
                    "unrecognised_name",
                    f"file name is not {feed}_<YYYY-MM-DD>.csv (or .csv.gz or .pseudo.csv); not read until renamed",
                    info.st_size,
                )
            )
            continue
        try:
            extract = dt.date.fromisoformat(match.group("date"))
        except ValueError:
            unread.append(
                UnrecognisedFile(
                    feed,
                    path,
                    masked,
                    "unrecognised_name",
                    "file name holds an impossible date; not read until renamed",
                    info.st_size,
                )
            )
            continue
        deliveries.append(
            Delivery(
                feed,
                path,
                extract,
                pseudonymised=bool(match.group("pseudo")),
                compressed=bool(match.group("gz")),
                size_bytes=info.st_size,
                inode=(info.st_dev, info.st_ino),
                links=info.st_nlink,
            )
        )
    deliveries.sort(key=lambda d: (d.extract_date, d.file_name))
    return deliveries, unread
