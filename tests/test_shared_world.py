"""The guard around the session's shared world (conftest.py `_shared_world_untouched`) sees
every kind of write a test could make: a changed, added, removed or re-permissioned file."""

import os

from helpers import fingerprint


def test_the_fingerprint_changes_with_every_kind_of_write(tmp_path):
    world = tmp_path / "world"
    (world / "warehouse").mkdir(parents=True)
    db = world / "warehouse" / "veru.duckdb"
    db.write_bytes(b"one")
    db.chmod(0o600)
    before = fingerprint(world)
    assert fingerprint(world) == before  # reading changes nothing

    # the same size, new content: seen by the modification time, which a test's write moves on
    # (here set a second on: a write within the same clock tick as the build cannot happen)
    db.write_bytes(b"two")
    later = before["warehouse/veru.duckdb"][1] + 10**9
    os.utime(db, ns=(later, later))
    assert fingerprint(world) != before
    for change in (
        lambda: db.write_bytes(b"longer"),
        lambda: (world / "warehouse" / "veru.duckdb.wal").write_bytes(b""),
        lambda: db.chmod(0o640),
        lambda: db.unlink(),
    ):
        seen = fingerprint(world)
        change()
        assert fingerprint(world) != seen
