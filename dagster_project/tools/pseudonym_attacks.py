"""Re-identification attacks on the encodings, to measure what the hardening buys.

The attacker holds the linkage zone (tokens, no key) and, as the strongest case, the true
frequency of each plaintext name in the same population. Two attacks:

- **frequency alignment** (the simple attack): rank the encoded values by how often they
  occur, rank the plaintext names the same way, and guess that the r-th most frequent
  encoded value is the r-th most frequent name. Deterministic tokens fall to it for every
  common name; the Bloom filters' per-record noise leaves nothing to rank.
- **cluster then align**: group noisy Bloom filters by similarity first (greedy, Dice at or
  above a threshold), then align the groups by size. It shows what noise does not protect
  against: an attacker who can compare filters can regroup a name's records. The remaining
  defences there are the key (no filter can be computed for a guessed name) and access to
  the linkage zone.

Scores count records: the share of encoded records whose guessed name is their true name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import discover, read_delivery
from dagster_project.feeds.spec import key_rejects
from dagster_project.pseudonymise.encode import encode_identity
from dagster_project.staging.pseudonymised import record_ids


@dataclass(frozen=True)
class AttackResult:
    records: int
    reidentified: int
    top_values: int  # how many of the most frequent encoded values (or groups) were scored
    top_values_correct: int

    @property
    def rate(self) -> float:
        return self.reidentified / self.records if self.records else 0.0

    def __str__(self) -> str:
        return (
            f"{self.rate:.1%} of {self.records:,} records re-identified; "
            f"{self.top_values_correct} of the {self.top_values} most frequent encoded values named correctly"
        )


def _align(groups: pl.Series, plain: pl.Series, top: int) -> AttackResult:
    """Guess for each group (encoded value or cluster) the name of equal frequency rank."""
    frame = pl.DataFrame({"group": groups, "plain": plain}).drop_nulls()
    names = frame.group_by("plain").len().sort(["len", "plain"], descending=[True, False])
    ranked = (
        frame.group_by("group")
        .len()
        .sort(["len", "group"], descending=[True, False])
        .with_row_index("rank")
        .join(names.with_row_index("rank").select("rank", pl.col("plain").alias("guess")), on="rank", how="left")
    )
    scored = frame.join(ranked.select("group", "guess", "rank"), on="group", how="left")
    correct = scored.filter(pl.col("guess") == pl.col("plain"))
    top_groups = ranked.head(top)
    top_correct = (
        scored.filter(pl.col("rank") < top)
        .group_by("group")
        .agg((pl.col("guess") == pl.col("plain")).mean().alias("share"))
        .filter(pl.col("share") > 0.5)
        .height
    )
    return AttackResult(frame.height, correct.height, top_groups.height, top_correct)


def frequency_attack(plain: pl.Series, encoded: pl.Series, top: int = 20) -> AttackResult:
    """The simple attack: align encoded values with plaintext names by frequency rank."""
    if encoded.dtype == pl.Binary:
        encoded = encoded.bin.encode("hex")
    return _align(encoded, plain, top)


def cluster_attack(plain: pl.Series, blooms: pl.Series, threshold: float = 0.8, top: int = 20) -> AttackResult:
    """Group Bloom filters whose Dice similarity to a group's first member is at least
    `threshold`, then align groups with names by frequency rank."""
    keep = blooms.is_not_null() & plain.is_not_null()
    raw = np.frombuffer(b"".join(blooms.filter(keep).to_list()), dtype=np.uint8).reshape(int(keep.sum()), -1)
    bits = np.unpackbits(raw, axis=1).astype(np.float32)
    weights = bits.sum(axis=1)
    labels = np.full(bits.shape[0], -1, dtype=np.int64)
    leaders: list[int] = []
    # Heaviest filters lead; ties broken by the filters' bytes, so the grouping (and the score)
    # does not depend on the order the records arrive in.
    order = np.lexsort((*raw.T[::-1], -weights))
    for i in order:
        if leaders:
            lead = np.asarray(leaders)
            dice = 2 * (bits[lead] @ bits[i]) / (weights[lead] + weights[i])
            best = int(np.argmax(dice))
            if dice[best] >= threshold:
                labels[i] = labels[lead[best]]
                continue
        labels[i] = len(leaders)
        leaders.append(int(i))
    return _align(pl.Series("group", labels), plain.filter(keep), top)


def encoded_names(landing, key) -> pl.DataFrame:
    """Every record's standardised surname and forename beside their encodings.

    This pairs plaintext with tokens on purpose, to score attacks on synthetic data; it is
    for measurement only and nothing it returns is ever written anywhere.
    """

    frames = []
    for spec in FEEDS.values():
        deliveries, _ = discover(landing, spec.name)
        for delivery in deliveries:
            if delivery.pseudonymised:
                continue
            good, _ = key_rejects(read_delivery(delivery).frame, spec)
            event = next(a for a in spec.attributes if a.target == "event_at")
            std = spec.identity(
                event.kind.apply(good, event.source, "__e").with_columns(event_date=pl.col("__e").dt.date())
            )
            ids = record_ids(spec.name, std.get_column("record_key"))
            tokens = encode_identity(std, key, ids)
            frames.append(
                pl.concat(
                    [std.select("forename", "surname"), tokens.select("fn_tok", "fn_bf", "sn_tok", "sn_bf")],
                    how="horizontal",
                )
                .with_columns(record_id=ids)
                .unique("record_id", keep="last")
            )
    return pl.concat(frames).unique("record_id", keep="last")
