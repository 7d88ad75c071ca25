"""The secret that keys every pseudonymous token.

The key lives in a file whose path comes from `VERU_HASH_KEY_FILE`; it is never in the
repository. Each purpose (a field's exact token, a field's Bloom filter, ...) gets its own
subkey derived with HKDF, so tokens of one field cannot be compared with another's and a
leaked subkey exposes one field only. The key id is a one-way fingerprint that travels with
every token so the pipeline can refuse to compare tokens made under different keys.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dagster_project.settings import HASH_KEY_FILE_VAR

logger = logging.getLogger(__name__)

MIN_KEY_BYTES = 32
KEY_FILE_HEADER = "# VERU pseudonymisation key (hex). Keep secret; never commit.\n"


class MissingKeyError(RuntimeError):
    """The pseudonymisation key is missing or unusable."""


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
    def from_file(cls, path: str | os.PathLike[str]) -> "HashKey":
        path = Path(path)
        if not path.is_file():
            raise MissingKeyError(
                f"Pseudonymisation key file {str(path)!r} does not exist. Set "
                f"{HASH_KEY_FILE_VAR} to the path of the secret key file (production keys "
                "come from the environment's secret store; `python -m dagster_project.keys "
                "ensure-dev-key <path>` creates a local development key)."
            )
        lines = [
            ln.strip()
            for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")
        ]
        if len(lines) != 1:
            raise MissingKeyError(
                f"Pseudonymisation key file {str(path)!r} must hold exactly one line of hex; "
                f"found {len(lines)} non-comment lines."
            )
        try:
            secret = bytes.fromhex(lines[0])
        except ValueError as exc:
            raise MissingKeyError(
                f"Pseudonymisation key file {str(path)!r} is not hexadecimal."
            ) from exc
        return cls(secret=secret, source=str(path))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "HashKey":
        env = os.environ if environ is None else environ
        path = env.get(HASH_KEY_FILE_VAR)
        if not path:
            raise MissingKeyError(
                f"No pseudonymisation key: {HASH_KEY_FILE_VAR} is not set. The pipeline "
                "refuses to run without a secret key; set it to the key file's path."
            )
        return cls.from_file(path)


def write_new_key(path: str | os.PathLike[str]) -> HashKey:
    """Create a new random key file readable by its owner only. Refuses to overwrite."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"Key file {str(path)!r} already exists; refusing to overwrite it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(MIN_KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(KEY_FILE_HEADER)
        fh.write(secret.hex() + "\n")
    return HashKey(secret=secret, source=str(path))


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
