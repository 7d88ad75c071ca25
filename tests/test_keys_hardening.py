"""Key files and keys the pipeline must refuse, tried the way a careless or hostile user would.

Every refusal names the file and the fix, and never quotes the key or any piece of it.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.pseudonymise.keys import (
    KEY_FILE_HEADER,
    HashKey,
    MissingKeyError,
    UnsafeKeyError,
    ensure_dev_key,
    main,
    max_distinct_refused,
    randomness_problem,
    write_new_key,
)

ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")


def key_file(path: Path, secret: bytes, mode: int = 0o600) -> Path:
    path.write_text(KEY_FILE_HEADER + secret.hex() + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(MissingKeyError) as caught:
        HashKey.from_file(path)
    return str(caught.value)


def assert_no_piece_of(secret: bytes, message: str) -> None:
    """No 4-byte piece of the key, in hex of either case or as raw text, is in the message."""
    text = secret.hex()
    for i in range(0, len(text) - 7):
        piece = text[i : i + 8]
        assert piece not in message.lower(), "a piece of the key is in the message"
    assert secret.decode("latin-1") not in message


RANDOM_SECRET = bytes.fromhex("9f1c3a7be2d54086c1f07e93ab4d2c685e0bd9a31f7c62e48a95d0b3c7e1f426")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666, 0o610, 0o601, 0o777])
def test_a_key_file_others_may_read_or_write_is_refused_with_the_chmod_that_fixes_it(tmp_path, mode):
    path = key_file(tmp_path / "veru.key", RANDOM_SECRET, mode)
    with pytest.raises(UnsafeKeyError) as caught:
        HashKey.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"chmod 600 {path}" in message
    assert f"{mode:04o}" in message
    assert_no_piece_of(RANDOM_SECRET, message)
    path.chmod(0o600)
    assert HashKey.from_file(path).key_id == HashKey(RANDOM_SECRET).key_id


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_a_key_file_only_its_owner_can_touch_is_accepted(tmp_path, mode):
    path = key_file(tmp_path / "veru.key", RANDOM_SECRET, mode)
    assert HashKey.from_file(path).secret == RANDOM_SECRET


def test_the_refusal_says_which_of_group_and_others_can_do_what(tmp_path):
    message = refusal(key_file(tmp_path / "k", RANDOM_SECRET, 0o624))
    assert "its group and every other user" in message and "read/write" in message


@ROOT_ONLY
def test_a_key_file_owned_by_another_user_is_refused_even_when_its_mode_is_0600(tmp_path):
    path = key_file(tmp_path / "theirs.key", RANDOM_SECRET, 0o600)
    os.chown(path, 65534, -1)  # nobody: root could read it, but its owner could swap the key
    message = refusal(path)
    assert "owned by uid 65534" in message and f"chown root {path}" in message
    assert "chmod" not in message  # the mode was fine: only the fix that applies
    assert_no_piece_of(RANDOM_SECRET, message)


@ROOT_ONLY
def test_wrong_owner_and_loose_mode_are_both_reported_with_both_fixes(tmp_path):
    path = key_file(tmp_path / "theirs.key", RANDOM_SECRET, 0o644)
    os.chown(path, 65534, 65534)
    message = refusal(path)
    assert f"chown root {path}" in message and f"chmod 600 {path}" in message


NON_RANDOM = {
    "all zero": (bytes(32), "every byte has the same value"),
    "one repeated byte": (b"\xab" * 48, "every byte has the same value"),
    "a repeated 8-byte pattern": (bytes.fromhex("0f1e2d3c4b5a6978") * 4, "repeats a 8-byte pattern"),
    "a pattern repeated with a partial tail": ((b"\x91\x02\xe3" * 12)[:33], "repeats a 3-byte pattern"),
    "a hex-encoded passphrase": (b"correct horse battery staple 2025", "printable text"),
    "a hex string written as hex": (secrets.token_hex(16).encode(), "printable text"),
    "sixteen values shuffled": (bytes(random.Random(7).choices(range(0, 256, 16), k=32)), "only 1"),
}


@pytest.mark.parametrize("case", sorted(NON_RANDOM))
def test_an_obviously_non_random_key_file_is_refused_without_quoting_the_key(tmp_path, case):
    secret, reason = NON_RANDOM[case]
    path = key_file(tmp_path / "veru.key", secret)
    with pytest.raises(UnsafeKeyError) as caught:
        HashKey.from_file(path)
    message = str(caught.value)
    assert reason in message and str(path) in message
    assert "python -m dagster_project.keys new" in message
    assert_no_piece_of(secret, message)


@pytest.mark.parametrize("case", sorted(NON_RANDOM))
def test_an_obviously_non_random_key_is_refused_in_memory_too(case):
    with pytest.raises(UnsafeKeyError):
        HashKey(NON_RANDOM[case][0], source="memory")


def test_the_keys_the_test_suite_builds_in_memory_stay_valid():
    for secret in (bytes(range(32)), bytes(range(1, 33)), bytes(range(100, 132)), bytes(range(33))):
        assert randomness_problem(secret) is None
        HashKey(secret)


def test_ten_thousand_random_keys_are_all_accepted():
    # Each is refused with probability below 1e-13, so this fails by chance once in 1e9 runs.
    refused = [p for p in (randomness_problem(os.urandom(32)) for _ in range(10_000)) if p]
    assert refused == []


def _exact_rate_of_few_distinct(n: int, at_most: int) -> Fraction:
    """P(n uniform random bytes take at most `at_most` distinct values), exactly."""
    dist = {0: Fraction(1)}
    for _ in range(n):
        step: dict[int, Fraction] = {}
        for d, p in dist.items():
            step[d] = step.get(d, 0) + p * Fraction(d, 256)
            step[d + 1] = step.get(d + 1, 0) + p * Fraction(256 - d, 256)
        dist = step
    return sum((p for d, p in dist.items() if d <= at_most), Fraction(0))


def test_the_distinct_byte_rule_refuses_a_random_32_byte_key_as_rarely_as_its_comment_says():
    assert max_distinct_refused(32) == 16
    rate = _exact_rate_of_few_distinct(32, 16)
    assert 2.1e-15 < float(rate) < 2.3e-15  # the comment in keys.py says 2.2e-15
    assert float(_exact_rate_of_few_distinct(32, 17)) < 1e-12  # one more is still rare: the bound is safe
    assert float(Fraction(95, 256) ** 32) < 1.8e-14  # printable-text rule
    for n in (33, 48, 64, 128, 256):
        assert float(_exact_rate_of_few_distinct(n, max_distinct_refused(n))) <= 1e-12, n


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=24), st.integers(min_value=32, max_value=96))
def test_any_key_that_repeats_a_pattern_at_most_half_its_length_is_refused(pattern, length):
    secret = (pattern * (length // len(pattern) + 1))[:length]
    if len(pattern) > length // 2:
        return
    assert randomness_problem(secret) is not None


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=64), st.sampled_from([0o644, 0o600, 0o640, 0o606]))
def test_no_refusal_of_a_key_file_ever_quotes_a_piece_of_the_key(secret, mode):
    with tempfile.TemporaryDirectory() as folder:
        path = key_file(Path(folder) / "k.key", secret, mode)
        try:
            HashKey.from_file(path)
        except MissingKeyError as exc:
            assert_no_piece_of(secret, str(exc))
            assert exc.__cause__ is None


def test_a_directory_is_called_a_directory_and_a_missing_file_missing(tmp_path):
    folder = tmp_path / "secrets"
    folder.mkdir(mode=0o700)
    message = refusal(folder)
    assert "is a directory" in message and "does not exist" not in message and str(folder) in message
    missing = refusal(tmp_path / "absent.key")
    assert "does not exist" in missing and "is a directory" not in missing


def test_a_symlink_to_a_private_key_file_is_followed(tmp_path):
    target = key_file(tmp_path / "real.key", RANDOM_SECRET)
    link = tmp_path / "current.key"
    link.symlink_to(target)
    assert HashKey.from_file(link).secret == RANDOM_SECRET


def test_a_symlink_is_judged_by_its_target_and_refused_under_its_own_name(tmp_path):
    target = key_file(tmp_path / "real.key", RANDOM_SECRET, 0o644)
    link = tmp_path / "current.key"
    link.symlink_to(target)  # the link itself is 0777 on Linux: only the target's mode counts
    message = refusal(link)
    assert f"chmod 600 {link}" in message


def test_a_dangling_symlink_and_a_symlink_to_a_directory_say_so(tmp_path):
    dangling = tmp_path / "dangling.key"
    dangling.symlink_to(tmp_path / "gone.key")
    assert "symbolic link to a file that does not exist" in refusal(dangling)
    to_dir = tmp_path / "to_dir.key"
    to_dir.symlink_to(tmp_path)
    assert "is a directory" in refusal(to_dir)


def test_a_fifo_or_device_is_refused_without_blocking_on_it(tmp_path):
    fifo = tmp_path / "veru.key"
    os.mkfifo(fifo, 0o600)
    outcome: list[str] = []
    reader = threading.Thread(target=lambda: outcome.append(refusal(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a FIFO with no writer blocked"
    assert "not a regular file" in outcome[0]
    assert "not a regular file" in refusal(Path("/dev/zero"))


def test_a_key_file_that_is_not_text_or_not_hex_is_refused_without_quoting_it(tmp_path):
    binary = tmp_path / "binary.key"
    binary.write_bytes(b"\xff\xfe" + RANDOM_SECRET)
    binary.chmod(0o600)
    with pytest.raises(MissingKeyError) as caught:
        HashKey.from_file(binary)
    assert "not text" in str(caught.value) and "0xff" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    not_hex = key_file(tmp_path / "nothex.key", RANDOM_SECRET)
    not_hex.write_text("zz" + RANDOM_SECRET.hex() + "\n")
    message = refusal(not_hex)
    assert "not hexadecimal" in message
    assert_no_piece_of(RANDOM_SECRET, message)


def test_a_huge_file_is_refused_unread(tmp_path):
    big = tmp_path / "big.key"
    with open(big, "wb") as fh:
        fh.truncate(10 * 1024 * 1024)
    big.chmod(0o600)
    assert "one line of hex" in refusal(big)


def test_new_keys_pass_every_check_and_their_folder_is_private(tmp_path):
    path = tmp_path / "new" / "veru.key"
    created = write_new_key(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert HashKey.from_file(path).key_id == created.key_id


def test_write_new_key_never_writes_through_a_symlink(tmp_path):
    link = tmp_path / "veru.key"
    link.symlink_to(tmp_path / "elsewhere.key")
    with pytest.raises(FileExistsError):
        write_new_key(link)
    assert not (tmp_path / "elsewhere.key").exists()


def test_an_existing_dev_key_made_world_readable_is_refused_not_reused(tmp_path):
    path = tmp_path / "dev.key"
    write_new_key(path)
    path.chmod(0o644)
    with pytest.raises(UnsafeKeyError, match="chmod 600"):
        ensure_dev_key(path)


def test_the_keys_command_exits_2_and_logs_the_fix(tmp_path, caplog):
    path = key_file(tmp_path / "veru.key", RANDOM_SECRET, 0o640)
    with caplog.at_level(logging.ERROR):
        assert main(["id", str(path)]) == 2
    assert f"chmod 600 {path}" in caplog.text
    assert_no_piece_of(RANDOM_SECRET, caplog.text)
