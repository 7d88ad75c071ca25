"""Shared fixtures: small fixed data, temporary paths, a throwaway key, and one materialised world.

Helpers that are not fixtures live in helpers.py (`from helpers import ...`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import SharedWorld, build_shared_world, copy_golden, fingerprint

from dagster_project.pseudonymise.keys import HashKey


def _clear_veru_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith("VERU_"):
            monkeypatch.delenv(var, raising=False)


@pytest.fixture
def key() -> HashKey:
    return HashKey(secret=bytes(range(32)), source="test")


@pytest.fixture
def other_key() -> HashKey:
    return HashKey(secret=bytes(range(1, 33)), source="test-other")


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for feed in ("police", "social_care", "health", "yos"):
        (root / feed).mkdir(parents=True)
    return root


@pytest.fixture
def golden_landing(landing: Path) -> Path:
    """A temporary landing zone holding the golden delivery of every feed (tests/golden/)."""
    copy_golden(landing)
    return landing


@pytest.fixture(autouse=True)
def _no_ambient_env(monkeypatch):
    """Tests never see the developer's own environment variables."""
    _clear_veru_environment(monkeypatch)


def pytest_collection_modifyitems(config, items):
    """`make test` runs two workers (`pytest -n 2 --dist loadgroup`): the tests of one file stay
    in one worker, so its module fixtures are built once, and every test of the shared world
    runs in one worker, so the world is built once."""
    for item in items:
        group = "shared_world" if "shared_world" in item.fixturenames else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def shared_world(tmp_path_factory) -> SharedWorld:
    """One synthetic world (helpers.SHARED_PEOPLE people), every asset and check materialised once
    per session, for every test that only reads a whole world: end to end, cohort patterns, the
    agency's tool against the plaintext run, the linkage charts in a browser.

    Read it, never write to it: a test that changes a world copies the files it changes into its
    own tmp_path (`SharedWorld.copy_files`) or builds its own. `_shared_world_untouched` fails
    the test that wrote to it."""
    with pytest.MonkeyPatch.context() as monkeypatch:  # built before any test's own environment
        _clear_veru_environment(monkeypatch)
        return build_shared_world(tmp_path_factory.mktemp("shared_world"))


@pytest.fixture(autouse=True)
def _shared_world_untouched(request):
    """After each test that used the shared world: not one of its files was added, removed or changed."""
    if "shared_world" not in request.fixturenames:
        yield
        return
    world: SharedWorld = request.getfixturevalue("shared_world")
    before = fingerprint(world.root)
    yield
    after = fingerprint(world.root)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == [], f"{request.node.nodeid} wrote to the shared world: {changed[:10]}"
