import polars as pl

from dagster_project.linkage.person_ids import assign_person_ids


def clusters(mapping: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame({"record_id": list(mapping), "cluster_id": list(mapping.values())})


def ids(frame: pl.DataFrame) -> dict[str, str]:
    return dict(frame.select("record_id", "person_id").iter_rows())


def test_first_run_numbers_persons_in_record_order():
    assigned, lineage = assign_person_ids(clusters({"a": "x", "b": "x", "c": "c"}), None)
    assert ids(assigned) == {"a": "P000000001", "b": "P000000001", "c": "P000000002"}
    assert lineage.is_empty()


def test_untouched_persons_keep_their_ids_when_new_records_arrive():
    first, _ = assign_person_ids(clusters({"a": "a", "b": "a", "c": "c", "d": "d"}), None)
    # new record e joins c's cluster; a new person f appears; Splink's cluster ids changed.
    second, lineage = assign_person_ids(
        clusters({"a": "b", "b": "b", "c": "c", "e": "c", "d": "d", "f": "f"}),
        first.select("record_id", "person_id"),
    )
    before, after = ids(first), ids(second)
    for record in "abcd":
        assert after[record] == before[record]
    assert after["e"] == before["c"]
    assert after["f"] == "P000000004"  # numbering continues after the highest old id
    assert lineage.is_empty()


def test_merges_and_splits_are_recorded_and_ids_are_never_reused_twice():
    first, _ = assign_person_ids(clusters({"a": "a", "b": "b", "c": "c", "d": "c"}), None)
    # a and b merge; c and d split.
    second, lineage = assign_person_ids(
        clusters({"a": "m", "b": "m", "c": "c", "d": "d"}), first.select("record_id", "person_id")
    )
    after = ids(second)
    assert after["a"] == after["b"]
    assert after["c"] != after["d"]
    assert len(set(after.values())) == 3
    events = {row["event"]: row for row in lineage.iter_rows(named=True)}
    assert set(events) == {"merge", "split"}
    assert events["merge"]["related_person_ids"] == sorted([ids(first)["a"], ids(first)["b"]])
    assert events["split"]["person_id"] == ids(first)["c"]
