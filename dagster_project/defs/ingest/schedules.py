"""The weekly refresh: everything is re-materialised even when no file arrived."""

import dagster as dg


def build_weekly_schedule(job) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="weekly_refresh",
        job=job,
        cron_schedule="0 6 * * 1",  # every Monday at 06:00
        execution_timezone="Europe/London",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every Monday at 06:00 (UK time), re-run the whole pipeline.",
    )
