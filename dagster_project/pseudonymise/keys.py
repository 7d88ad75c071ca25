"""The secret that keys every pseudonymous token.

The key lives in a file whose path comes from `VERU_HASH_KEY_FILE`; it is never in the
repository. Each purpose (a field's exact token, a field's Bloom filter, ...) gets its own
subkey derived with HKDF, so tokens of one field cannot be compared with another's and a
leaked subkey exposes one field only. The key id is a one-way fingerprint that travels with
every token so the pipeline can refuse to compare tokens made under different keys.

A key file is refused unless it is a regular file owned by the user running the pipeline and
readable by that user only (mode 0600 or 0400), and a key is refused when its bytes are
obviously not random (see `randomness_problem`). No message ever quotes the key or any part
of it: they name the file, the problem and the command that fixes it.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import shlex
import stat
import sys
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dagster_project.settings import HASH_KEY_FILE_VAR, Environment

logger = logging.getLogger(__name__)

MIN_KEY_BYTES = 32
KEY_FILE_HEADER = "# VERU pseudonymisation key (hex). Keep secret; never commit.\n"
# A key file is one line of hex and a comment; anything larger is not a key file.
MAX_KEY_FILE_BYTES = 64 * 1024
# Each randomness rule below refuses a truly random key with probability at most this
# (a union bound; for a 32-byte key the exact rates are far lower, see `randomness_problem`).
FALSE_ALARM_BOUND = 1e-12
_FIX_HINT = (
    f"Set {HASH_KEY_FILE_VAR} to the path of the secret key file (production keys come from the "
    "environment's secret store; `python -m dagster_project.keys new <path>` writes a new random "
    "key, `python -m dagster_project.keys ensure-dev-key <path>` a local development key)."
)


class MissingKeyError(RuntimeError):
    """The pseudonymisation key is missing or unusable."""


class UnsafeKeyError(MissingKeyError):
    """The key file could be read or changed by someone else, or the key is not random."""


@cache
def max_distinct_refused(n: int) -> int:
    """The largest number of distinct byte values that `n` random bytes show with
    probability at most FALSE_ALARM_BOUND. The probability that all n bytes fall in some set
    of d values is at most C(256, d) * (d/256)**n (union bound over the sets), so refusing
    keys with d or fewer distinct values refuses a random key at most that often."""
    refused = 0
    for d in range(1, 257):
        log_bound = math.lgamma(257) - math.lgamma(d + 1) - math.lgamma(257 - d) + n * math.log(d / 256)
        if log_bound > math.log(FALSE_ALARM_BOUND):
            break
        refused = d
    return refused


def smallest_period(data: bytes) -> int:
    """The smallest p with data[i] == data[i + p] for every i (len(data) if none is shorter),
    from the Knuth-Morris-Pratt failure function, in linear time."""
    border = [0] * len(data)
    k = 0
    for i in range(1, len(data)):
        while k and data[i] != data[k]:
            k = border[k - 1]
        if data[i] == data[k]:
            k += 1
        border[i] = k
    return len(data) - (border[-1] if data else 0)


def randomness_problem(secret: bytes) -> str | None:
    """Why `secret` is obviously not random bytes, or None. Never quotes a byte.

    Rates at which a truly random 32-byte key (as `write_new_key` makes) is refused:
    - every byte the same, or a repeated pattern of at most half the key's length: at most
      256**-16 in all (about 3e-39);
    - every byte printable ASCII (a password or phrase hex-encoded): (95/256)**32, 1.7e-14;
    - 16 or fewer distinct byte values (32 random bytes show 30 on average): exactly 2.2e-15
      (bound 3.0e-14).
    Together: below 1e-13, one key in ten trillion. For any longer key, each rule at most 1e-12.
    A counting sequence such as bytes(range(32)) passes: these rules catch careless keys
    (zeros, repeats, text), not every non-random one.
    """
    n = len(secret)
    if n == 0:
        return "it is empty"
    if len(set(secret)) == 1:
        return "every byte has the same value"
    period = smallest_period(secret)
    if period <= n // 2:
        return f"it repeats a {period}-byte pattern"
    if all(0x20 <= b < 0x7F for b in secret):
        return "every byte is printable text (a password or phrase encoded as hex, not random bytes)"
    distinct, most = len(set(secret)), max_distinct_refused(n)
    if distinct <= most:
        return (
            f"it uses only {distinct} distinct byte values, where {n} random bytes use more than {most} "
            "(fewer than one random key in a trillion uses so few)"
        )
    return None


@dataclass(frozen=True)
class HashKey:
    """A loaded secret key. `repr` never shows the secret."""

    secret: bytes = field(repr=False)
    source: str = "memory"

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise MissingKeyError(
                f"Pseudonymisation key from {self.source} is {len(self.secret)} bytes; "
                f"at least {MIN_KEY_BYTES} random bytes are required."
            )
        problem = randomness_problem(self.secret)
        if problem:
            raise UnsafeKeyError(
                f"Pseudonymisation key from {self.source} is not a random key: {problem}. "
                "Make a new one with `python -m dagster_project.keys new <path>`."
            )

    @cached_property
    def key_id(self) -> str:
        """Public fingerprint of the key: 8 hex characters, safe to store and log."""
        return self.subkey("veru/key-id").hex()[:8]

    def subkey(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose, derived from the secret with HKDF-SHA256."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return hkdf.derive(self.secret)

    def hmac_template(self, purpose: str) -> hmac.HMAC:
        """A keyed HMAC-SHA256 to `.copy()` per value (cheaper than re-keying)."""
        return hmac.HMAC(self.subkey(purpose), hashes.SHA256())

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> HashKey:
        """Load the key file at `path` (see the module docstring for what is refused)."""
        path = Path(path)
        text = read_key_file(path)
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if len(lines) != 1:
            raise MissingKeyError(
                f"Pseudonymisation key file {str(path)!r} must hold exactly one line of hex; "
                f"found {len(lines)} non-comment lines."
            )
        try:
            secret = bytes.fromhex(lines[0])
        except ValueError:
            raise MissingKeyError(f"Pseudonymisation key file {str(path)!r} is not hexadecimal.") from None
        return cls(secret=secret, source=str(path))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> HashKey:
        """The key named by `VERU_HASH_KEY_FILE` (`settings.Environment`)."""
        path = Environment.from_env(environ).hash_key_file
        if not path:
            raise MissingKeyError(
                f"No pseudonymisation key: {HASH_KEY_FILE_VAR} is not set. The pipeline "
                "refuses to run without a secret key; set it to the key file's path."
            )
        return cls.from_file(path)


def read_key_file(path: Path) -> str:
    """The text of the key file at `path`, after checking what kind of file it is, who owns
    it and who may read it. The checks are made on the open file (fstat), so they describe
    exactly the bytes that are read.

    A symbolic link is followed and its target must pass every check: secret stores present
    keys through links (Kubernetes and Docker secret volumes), and what protects the key is
    the owner and mode of the file that holds it (a link's own mode means nothing on Linux).
    The owner must be the user running the pipeline: whoever owns the file can read it, and
    can change its mode or replace the key with one they know, whatever the mode is today.
    """
    name = repr(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if path.is_symlink():
            raise MissingKeyError(
                f"Pseudonymisation key file {name} is a symbolic link to a file that does not exist. {_FIX_HINT}"
            ) from None
        raise MissingKeyError(f"Pseudonymisation key file {name} does not exist. {_FIX_HINT}") from None
    except NotADirectoryError:
        raise MissingKeyError(
            f"Pseudonymisation key file {name} does not exist (a part of its path is not a directory). {_FIX_HINT}"
        ) from None
    except PermissionError:
        raise MissingKeyError(
            f"Pseudonymisation key file {name} cannot be read by this user (permission denied). The key "
            f"file must belong to the user that runs the pipeline: `chown {_current_user()} "
            f"{shlex.quote(str(path))}` and `chmod 600 {shlex.quote(str(path))}`."
        ) from None
    except OSError as exc:
        raise MissingKeyError(f"Pseudonymisation key file {name} cannot be opened ({exc.strerror}).") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise MissingKeyError(f"Pseudonymisation key file {name} is a directory, not a key file. {_FIX_HINT}")
        if not stat.S_ISREG(info.st_mode):
            raise MissingKeyError(
                f"Pseudonymisation key file {name} is not a regular file (a device, pipe or socket). {_FIX_HINT}"
            )
        problems = _access_problems(path, info)
        if problems:
            raise UnsafeKeyError(f"Pseudonymisation key file {name} is not private: " + " ".join(problems))
        if info.st_size > MAX_KEY_FILE_BYTES:
            raise MissingKeyError(
                f"Pseudonymisation key file {name} is {info.st_size:,} bytes; a key file holds one line of hex."
            )
        data = b""
        while len(data) <= MAX_KEY_FILE_BYTES:
            chunk = os.read(fd, MAX_KEY_FILE_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE_BYTES:
        raise MissingKeyError(f"Pseudonymisation key file {name} is larger than a key file; it holds one line of hex.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # its message would quote a byte of the file
        raise MissingKeyError(f"Pseudonymisation key file {name} is not text (one line of hex).") from None


def _current_user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return "<the pipeline's user>"


def _access_problems(path: Path, info: os.stat_result) -> list[str]:
    """What lets someone other than the current user read or change the key file."""
    quoted = shlex.quote(str(path))
    problems = []
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        problems.append(
            f"it is owned by uid {info.st_uid}, not by the user running the pipeline (uid {os.geteuid()}), "
            f"and its owner can read it and replace the key. Fix: `chown {_current_user()} {quoted}`."
        )
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if loose:
        who = " and ".join(w for w, bits in (("its group", 0o070), ("every other user", 0o007)) if loose & bits)
        what = "/".join(a for a, bits in (("read", 0o044), ("write", 0o022), ("execute", 0o011)) if loose & bits)
        problems.append(
            f"its mode {stat.S_IMODE(info.st_mode):04o} lets {who} {what} it; a key file must be "
            f"readable by its owner only. Fix: `chmod 600 {quoted}`."
        )
    return problems


def _new_secret() -> bytes:
    """32 random bytes that pass `randomness_problem` (all but one draw in 10**13 do)."""
    while True:
        secret = secrets.token_bytes(MIN_KEY_BYTES)
        if randomness_problem(secret) is None:
            return secret


def write_new_key(path: str | os.PathLike[str]) -> HashKey:
    """Create a new random key file readable by its owner only. Refuses to overwrite."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise FileExistsError(f"Key file {str(path)!r} already exists; refusing to overwrite it.")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = HashKey(secret=_new_secret(), source=str(path))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(KEY_FILE_HEADER)
        fh.write(key.secret.hex() + "\n")
    return key


def ensure_dev_key(path: str | os.PathLike[str]) -> HashKey:
    """Load the development key at `path`, creating it if absent (with a warning)."""
    path = Path(path)
    if path.exists():
        key = HashKey.from_file(path)
        logger.info("Using existing key %s (key id %s).", path, key.key_id)
        return key
    key = write_new_key(path)
    logger.warning(
        "Created a LOCAL DEVELOPMENT key at %s (key id %s). It is git-ignored and fine for "
        "synthetic data only: production keys come from the environment's secret store via %s.",
        path,
        key.key_id,
        HASH_KEY_FILE_VAR,
    )
    return key


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dagster_project.keys")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("ensure-dev-key", help="create a local development key if none exists")
    dev.add_argument("path")
    new = sub.add_parser("new", help="write a new random key file (refuses to overwrite)")
    new.add_argument("path")
    show = sub.add_parser("id", help="print the key id (fingerprint) of a key file")
    show.add_argument("path")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        if args.command == "ensure-dev-key":
            ensure_dev_key(args.path)
        elif args.command == "new":
            key = write_new_key(args.path)
            logger.info("Wrote new key %s (key id %s).", args.path, key.key_id)
        else:
            sys.stdout.write(HashKey.from_file(args.path).key_id + "\n")
    except (MissingKeyError, FileExistsError) as exc:
        logger.error("%s", exc)
        return 2
    return 0
