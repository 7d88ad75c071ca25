"""The Dagster instance in deploy/dagster.yaml marks a run whose process was killed as FAILED.

The instance is loaded from the file itself (in a temporary DAGSTER_HOME), and a real run is
killed with SIGKILL; the monitoring daemon's own iteration then judges it, with the clock moved
past the configured maximum run time rather than waiting two hours.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.storage.dagster_run import DagsterRunStatus
from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration
from dagster._time import get_current_timestamp

DEPLOYED = Path(__file__).resolve().parent.parent / "deploy" / "dagster.yaml"
MAX_RUNTIME = 7200


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOYED, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_the_deployed_instance_turns_run_monitoring_on_with_settings_dagster_accepts(home):
    settings = yaml.safe_load(DEPLOYED.read_text())["run_monitoring"]
    with dg.DagsterInstance.get() as instance:  # an unknown key or a bad value fails here
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_runtime_seconds == settings["max_runtime_seconds"] == MAX_RUNTIME
        assert instance.run_monitoring_start_timeout_seconds == 300
        assert instance.run_monitoring_cancel_timeout_seconds == 300
        assert instance.run_monitoring_poll_interval_seconds == 60
        # The default launcher cannot resume runs: asking it to would make the instance refuse to load.
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert not instance.run_launcher.supports_resume_run


def test_asking_the_default_launcher_to_resume_runs_is_refused_so_the_zero_matters(home):
    text = (home / "dagster.yaml").read_text().replace("max_resume_run_attempts: 0", "max_resume_run_attempts: 3")
    (home / "dagster.yaml").write_text(text)
    with pytest.raises(Exception, match="does not support resuming runs"):
        dg.DagsterInstance.get()


SLOW_RUN = """
import time
import dagster as dg

@dg.asset
def slow():
    time.sleep(600)

with dg.DagsterInstance.get() as instance:
    dg.materialize([slow], instance=instance)
"""


def _wait_for_started_run(instance: dg.DagsterInstance, deadline: float) -> dg.DagsterRun:
    while time.time() < deadline:
        runs = instance.get_runs()
        if runs and runs[0].status == DagsterRunStatus.STARTED:
            return runs[0]
        time.sleep(0.2)
    raise AssertionError("the run never started")


def _monitor_once(instance: dg.DagsterInstance) -> None:
    with create_test_daemon_workspace_context(EmptyWorkspaceTarget(), instance) as context:
        list(execute_run_monitoring_iteration(context, logging.getLogger("run_monitoring_test")))


def test_a_run_killed_with_sigkill_is_marked_failed_once_it_outlives_the_maximum_run_time(home, tmp_path):
    script = tmp_path / "slow_run.py"
    script.write_text(SLOW_RUN)
    worker = subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with dg.DagsterInstance.get() as instance:
            run = _wait_for_started_run(instance, time.time() + 120)
            os.killpg(worker.pid, signal.SIGKILL)  # the run's own process, and anything it started
            worker.wait(timeout=30)
            time.sleep(1)
            assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED  # nobody said it died

            started = instance.get_run_record_by_id(run.run_id).start_time
            with freeze_time(started + 60):  # a minute in: a run may still be working
                _monitor_once(instance)
            assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED

            with freeze_time(started + MAX_RUNTIME + 1):
                _monitor_once(instance)
            assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
            messages = [e.message for e in instance.all_logs(run.run_id) if e.message]
            assert any("maximum runtime of 7200 seconds" in m for m in messages), messages[-5:]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)


def test_the_clock_used_by_the_test_is_the_one_the_daemon_reads():
    """freeze_time must move the daemon's clock, or the test above would prove nothing."""
    with freeze_time(1_000_000.0):
        assert get_current_timestamp() == 1_000_000.0
