"""Output directories (guarded by a marker file) and CSV writing."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

MARKER = ".veru-synthetic"
MARKER_TEXT = "Created by veru-synth (dagster_project.synthetic). veru-synth --replace may delete this directory.\n"


class OutputDirectoryError(RuntimeError):
    """An output directory holds files the generator did not make, or --replace is missing."""


def prepare_output_dirs(dirs: Sequence[Path], replace: bool) -> None:
    """Make sure every directory is empty and carries the marker.

    All directories are checked before any is deleted: a refusal leaves everything as it was.
    A non-empty directory is refused without ``replace``; with ``replace`` it is deleted only if
    the generator created it (it holds the marker file).
    """
    to_delete = []
    for d in dirs:
        d = Path(d)
        if d.exists() and not d.is_dir():
            raise OutputDirectoryError(f"Output path {str(d)!r} exists and is not a directory.")
        if d.is_dir() and any(d.iterdir()):
            if not replace:
                raise OutputDirectoryError(
                    f"Output directory {str(d)!r} already contains files. Pass --replace to overwrite "
                    "a directory created by veru-synth, or choose an empty directory."
                )
            if not (d / MARKER).is_file():
                raise OutputDirectoryError(
                    f"Refusing to delete {str(d)!r}: it was not created by veru-synth (no {MARKER} marker file)."
                )
            _refuse_dangerous(d)
            to_delete.append(d)
    for d in to_delete:
        shutil.rmtree(d)
    for d in dirs:
        d = Path(d)
        d.mkdir(parents=True, exist_ok=True)
        (d / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


def _refuse_dangerous(d: Path) -> None:
    resolved = d.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve() or resolved == Path.cwd().resolve():
        raise OutputDirectoryError(f"Refusing to delete {str(d)!r}: it is the root, home or working directory.")


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    bom: bool = False,
    crlf: bool = False,
) -> int:
    """Write a CSV atomically (temporary file, then rename); quote only where needed.

    Fields are quoted with ``"`` only when they contain a comma, a quote or a line break.
    Returns the number of data rows.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)
    return len(rows)
