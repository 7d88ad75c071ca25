"""The one-way house (issue 11): the layering contracts hold, and would catch a breach.

`make lint` runs the contracts on the package; these tests show they are not vacuous (a
planted import that runs back up is reported) and check what import-linter cannot see.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dagster_project"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Source files allowed over 500 lines, and why.
LONG_FILES: dict[str, str] = {}


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "dagster_project", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, planted, contract",
    [
        ("quality/health.py", "from dagster_project.tools import drill", "One-way house"),
        ("feeds/spec.py", "from dagster_project.staging import ingest", "One-way house"),
        ("publication/aggregates.py", "import dagster_project.resources", "One-way house"),
        ("staging/store.py", "from dagster_project.synthetic import generate", "One-way house"),
        ("linkage/clusters.py", "from dagster_project.pseudonymise import standardise", "Linkage sees tokens only"),
    ],
)
def test_an_import_that_runs_back_up_breaks_a_contract(tmp_path, module, planted, contract):
    root = _copy(tmp_path)
    path = root / "dagster_project" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{planted}  # planted by the test\n", encoding="utf-8")
    result = _lint(root)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert any(contract in line for line in broken), result.stdout[-3000:]


def _nested_project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("dagster_project"):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} from {inner.module}")
                elif isinstance(inner, ast.Import) and any(a.name.startswith("dagster_project") for a in inner.names):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} import")
    return found


def test_no_import_of_the_package_is_deferred_into_a_function():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _nested_project_imports(path)]
    assert found == []


def test_no_source_file_is_over_500_lines_unless_the_reason_is_written_down():
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in sorted(PACKAGE.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert set(long) <= set(LONG_FILES), long


def _environment_reads(path: Path) -> list[str]:
    """Reads of the process environment (os.environ / os.getenv), as file:line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv", "environb")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_settings_reads_the_environment():
    reads = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _environment_reads(path)]
    # the package root *sets* GX_ANALYTICS_ENABLED before Great Expectations can be imported (it reads nothing)
    allowed = {"dagster_project/settings.py", "dagster_project/__init__.py"}
    assert [hit for hit in reads if hit.split(":")[0] not in allowed] == []


def test_every_veru_variable_the_code_names_is_in_the_readme_table():
    import re

    named = set()
    for path in PACKAGE.rglob("*.py"):
        named |= set(re.findall(r'"(VERU_[A-Z_]+)"', path.read_text(encoding="utf-8")))
    table = set(re.findall(r"^\| `(VERU_[A-Z_]+)` \|", (ROOT / "README.md").read_text(encoding="utf-8"), re.M))
    assert named and named == table, (named - table, table - named)
