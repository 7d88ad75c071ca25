"""Start a pipeline run when a new delivery file lands."""

import hashlib
import json
import stat
from pathlib import Path

import dagster as dg

from dagster_project.feeds import FEED_NAMES
from dagster_project.feeds.delivery import mask_name
from dagster_project.resources import LandingZoneResource


def delivery_fingerprints(root: Path) -> dict[str, str]:
    """`<feed>/<file>` → size and modification time, for every file in a feed folder.

    The cursor is kept by Dagster and shown in its UI, so a name that does not follow the
    delivery pattern (it may hold a person's name) is stored masked, told apart from other
    masked names by its inode: `<feed>/<masked name>@<device>:<inode>`."""
    prints: dict[str, str] = {}
    for feed in FEED_NAMES:
        folder = root / feed
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.startswith("."):
                continue
            info = path.lstat()  # a link is noticed (and refused by the run), never followed here
            if stat.S_ISDIR(info.st_mode):
                continue
            masked = mask_name(path.name, feed)
            name = masked if masked == path.name else f"{masked}@{info.st_dev}:{info.st_ino}"
            prints[f"{feed}/{name}"] = f"{info.st_size}:{info.st_mtime_ns}"
    return prints


def build_landing_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_zone_sensor",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Every minute, look for delivery files that are new or changed since the last "
            "look; if there are any, request one pipeline run for all of them."
        ),
    )
    def landing_zone_sensor(context: dg.SensorEvaluationContext, landing: LandingZoneResource):
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        current = delivery_fingerprints(landing.root)
        new = {name: fp for name, fp in current.items() if seen.get(name) != fp}
        if not new:
            return dg.SkipReason("No new delivery files in the landing zone.")
        # The run key names exactly these file versions, so each is processed once even if
        # the cursor were lost.
        run_key = hashlib.sha256(json.dumps(sorted(new.items())).encode("utf-8")).hexdigest()[:32]
        context.update_cursor(json.dumps({**seen, **new}, sort_keys=True))
        files = sorted(new)
        context.log.info("New delivery files: %s", ", ".join(name.split("@")[0] for name in files))  # masked
        return dg.RunRequest(
            run_key=run_key,
            tags={"veru/trigger": "new_delivery", "veru/new_files": str(len(files))},
        )

    return landing_zone_sensor
