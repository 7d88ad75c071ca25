"""Name-variant groups: nicknames and transliterations that name the same person.

A name's groups are the name itself, every canonical name it is a nickname of (the
`nicknames` package, a maintained, hand-curated dataset of English names), and every group
of the reviewed list in `data/name_variants.csv` (South Asian, Arabic, Somali, Eastern
European and West African variants, written for this platform). Two names are variants of
each other when their groups intersect: BOB {BOB, ROBERT, BERT, BOBBY} and ROBERT {ROBERT}
share ROBERT; MOHAMMED and MUHAMMAD share MUHAMMAD. Surnames also get the masculine form of
Slavic and Baltic gendered surnames (KOWALSKA → KOWALSKI, NOVAKOVA → NOVAK).

Every entry is standardised with the same code as the data, so a list entry and a record's
name meet exactly. The groups are encoded as keyed tokens; no plaintext name leaves here.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from nicknames import NickNamer

from dagster_project.pseudonymise.standardise import standard_name_text

REVIEWED_LIST = "name_variants.csv"

# Gendered surname endings → the forms they vary with (first matching ending wins).
SURNAME_FORM_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DZKA", ("DZKI",)),  # Polish KOWALSKA → KOWALSKI
    ("SKA", ("SKI",)),
    ("CKA", ("CKI",)),
    ("OVA", ("", "OV")),  # Czech/Slovak NOVAKOVA → NOVAK; Russian/Bulgarian IVANOVA → IVANOV
    ("EVA", ("EV",)),  # ALEKSEEVA → ALEKSEEV
    ("INA", ("IN",)),  # PUTINA → PUTIN
    ("IENE", ("AS", "IS")),  # Lithuanian married forms: KAZLAUSKIENE → KAZLAUSKAS
    ("AITE", ("AS", "IS")),  # Lithuanian unmarried forms
    ("YTE", ("AS", "IS")),
)


def _standard(value: str) -> str:
    return standard_name_text(value)


@lru_cache(maxsize=1)
def reviewed_groups() -> dict[str, dict[str, frozenset[str]]]:
    """kind ("forename" / "surname") → standardised name → the reviewed groups holding it."""
    groups: dict[str, dict[str, set[str]]] = {"forename": defaultdict(set), "surname": defaultdict(set)}
    text = resources.files("dagster_project.pseudonymise").joinpath("data", REVIEWED_LIST).read_text("utf-8")
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        kind = row["kind"].strip()
        kinds = ("forename", "surname") if kind == "both" else (kind,)
        if any(k not in groups for k in kinds):
            raise ValueError(f"{REVIEWED_LIST} line {line}: kind must be forename, surname or both; found {kind!r}")
        group = _standard(row["group"])
        for variant in [group, *row["variants"].split(" ")]:
            name = _standard(variant)
            if name:
                for k in kinds:
                    groups[k][name].add(group)
    return {k: {name: frozenset(g) for name, g in v.items()} for k, v in groups.items()}


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=200_000)
def forename_groups(name: str) -> list[str]:
    """Groups of a standardised forename (sorted, always including the name itself)."""
    out = {name}
    out |= {_standard(c) for c in _nicknamer().canonicals_of(name.lower())}
    out |= reviewed_groups()["forename"].get(name, frozenset())
    return sorted(g for g in out if g)


@lru_cache(maxsize=200_000)
def surname_groups(name: str) -> list[str]:
    """Groups of a standardised surname: itself, reviewed groups of it and of its parts,
    and the other gender's form of a gendered Slavic or Baltic surname."""
    reviewed = reviewed_groups()["surname"]
    out = {name} | reviewed.get(name, frozenset())
    for part in name.split(" "):
        out |= reviewed.get(part, frozenset())
        out |= _gendered_forms(part)
    return sorted(g for g in out if g)


def _gendered_forms(part: str) -> set[str]:
    for ending, replacements in SURNAME_FORM_RULES:
        if part.endswith(ending) and len(part) > len(ending) + 2:
            return {part[: -len(ending)] + r for r in replacements}
    return set()
