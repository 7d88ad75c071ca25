"""The Dagster definitions load, and the sensor requests a run once per new file."""

import json

import dagster as dg
from helpers import copy_golden

from dagster_project.resources import LandingZoneResource


def test_definitions_load_with_every_asset_check_schedule_and_sensor():
    from dagster_project.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "reference/geography",
        "staging/police",
        "staging/social_care",
        "staging/health",
        "staging/yos",
        "linkage/person_records",
        "cohorts/person_summary",
    } <= keys
    assert defs.resolve_job_def("veru_pipeline") is not None
    assert defs.resolve_schedule_def("weekly_refresh").cron_schedule == "0 6 * * 1"
    assert defs.resolve_sensor_def("landing_zone_sensor") is not None
    checks = {c.name for c in defs.resolve_asset_graph().asset_check_keys}
    assert {
        "feed_expectations",
        "person_records_expectations",
        "every_record_linked",
        "warehouse_holds_no_tokens",
    } <= checks


def _evaluate(sensor, landing, cursor):
    context = dg.build_sensor_context(cursor=cursor, resources={"landing": LandingZoneResource(path=str(landing))})
    result = sensor(context)
    return result, context.cursor


def test_sensor_processes_each_delivery_file_once(landing):
    from dagster_project.definitions import defs

    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    first, cursor = _evaluate(sensor, landing, None)
    assert isinstance(first, dg.SkipReason)

    copy_golden(landing, ("police",))  # police/police_2024-01-01.csv
    run, cursor = _evaluate(sensor, landing, cursor)
    assert isinstance(run, dg.RunRequest)
    assert "police/police_2024-01-01.csv" in json.loads(cursor)

    again, cursor = _evaluate(sensor, landing, cursor)
    assert isinstance(again, dg.SkipReason)

    copy_golden(landing, ("health",))
    second, cursor = _evaluate(sensor, landing, cursor)
    assert isinstance(second, dg.RunRequest)
    assert second.run_key != run.run_key


def test_a_run_without_a_key_fails_with_a_clear_message_and_writes_nothing(landing, tmp_path):
    from dagster_project.defs.ingest.assets import staging_assets
    from dagster_project.resources import HashKeyResource, LinkageZoneResource, QualityResource, WarehouseResource

    copy_golden(landing, ("yos",))
    db = tmp_path / "w.duckdb"
    result = dg.materialize(
        staging_assets,
        resources={
            "warehouse_db": WarehouseResource(path=str(db)),
            "linkage_zone": LinkageZoneResource(path=str(tmp_path / "zone.duckdb")),
            "landing": LandingZoneResource(path=str(landing)),
            "hash_key": HashKeyResource(),
            "quality": QualityResource(quarantine_dir=str(tmp_path / "q"), dashboard_dir=str(tmp_path / "site")),
        },
        raise_on_error=False,
    )
    assert not result.success
    messages = " ".join(e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure)
    assert "No pseudonymisation key: VERU_HASH_KEY_FILE is not set" in messages
    assert not db.exists() and not (tmp_path / "zone.duckdb").exists()


def test_resources_take_the_key_file_from_the_environment_or_from_code(tmp_path, monkeypatch):
    from dagster_project.pseudonymise.keys import write_new_key
    from dagster_project.resources import resources_for
    from dagster_project.settings import HASH_KEY_FILE_VAR, Environment

    from_env, in_code = write_new_key(tmp_path / "env.key"), write_new_key(tmp_path / "code.key")
    monkeypatch.setenv(HASH_KEY_FILE_VAR, str(tmp_path / "env.key"))
    monkeypatch.setenv("VERU_LANDING_DIR", str(tmp_path / "landing"))
    env = Environment.from_env()
    resource = resources_for(env)["hash_key"]
    assert isinstance(resource.key_file, dg.EnvVar)  # the path is never shown as plain config
    assert resource.key_file.get_value() == str(tmp_path / "env.key")

    # an Environment built in code names its own key, even with a different one in the environment
    own = Environment(**{**env.__dict__, "hash_key_file": tmp_path / "code.key"})
    assert resources_for(own)["hash_key"].load().key_id == in_code.key_id != from_env.key_id
    monkeypatch.delenv(HASH_KEY_FILE_VAR)
    assert resources_for(own)["hash_key"].load().key_id == in_code.key_id
