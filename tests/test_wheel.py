"""The package installs as a wheel (not editable) and finds its SQL, suites and data there.

A wheel is built from the checkout and installed into a fresh directory; a Python that
processes no `.pth` files (so the checkout's editable install is not on its path) imports the
installed package, with the environment's other packages beside it, and loads the Dagster
definitions, a SQL file, every suite and the packaged data. Nothing is read from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys
from pathlib import Path
import duckdb
import dagster_project
from dagster_project import warehouse
from dagster_project.definitions import defs
from dagster_project.quality.suites import SUITE_NAMES, expectations_dir, load_suite
from dagster_project.quality.datadocs import VENDOR_DIR
from dagster_project.pseudonymise.name_variants import reviewed_groups
con = duckdb.connect()
warehouse.define_macros(con)
suites = sorted(p.stem for p in expectations_dir().glob("*.json"))
for name in suites:
    load_suite(name)
print(json.dumps({
    "package": dagster_project.__file__,
    "sql_dir": str(warehouse.sql_dir()),
    "suites": suites,
    "assets": len(list(defs.assets)),
    "checks": len(list(defs.asset_checks)),
    "cohort_sql": len(list((warehouse.sql_dir() / "cohorts").glob("*.sql"))),
    "vendor": sorted(p.name for p in VENDOR_DIR.iterdir()),
    "variants": len(reviewed_groups()),
}))
"""


def _clean_checkout(target: Path) -> Path:
    """The checkout's files as a fresh clone has them (tracked and new, never ignored build
    output such as an editable install's egg-info, which would smuggle files into the wheel)."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
        .stdout.decode("utf-8")
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_the_installed_wheel_loads_its_definitions_sql_and_suites(tmp_path):
    source = _clean_checkout(tmp_path / "checkout")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("veru_linked_data-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert not (site / "dagster_project" / "sql").is_symlink()
    elsewhere = tmp_path / "elsewhere"  # not the checkout, so `import dagster_project` cannot find it by accident
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERU_", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    (tmp_path / "dagster_home").mkdir()
    probe = subprocess.run(
        [sys.executable, "-S", "-c", PROBE],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert probe.returncode == 0, probe.stderr[-4000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert Path(found["package"]).is_relative_to(site), found["package"]
    assert Path(found["sql_dir"]).is_relative_to(site)
    shipped = sorted(p.stem for p in (ROOT / "dagster_project" / "expectations").glob("*.json"))
    assert found["suites"] == shipped and "police" in shipped
    assert found["cohort_sql"] == len(list((ROOT / "dagster_project" / "sql" / "cohorts").glob("*.sql"))) > 0
    assert found["assets"] >= 20 and found["checks"] >= 1
    assert {"bootstrap-4.3.1", "jquery-3.7.1"} <= set(found["vendor"]) and found["variants"] > 0
