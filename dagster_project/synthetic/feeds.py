"""Render the true events as the four agencies' extracts, exactly in the FEEDS.md formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from . import codes
from .errors import DAY_1900, PersonNameFacts, mistype_postcode, render_identity
from .geography import COUNCILS, County
from .identifiers import pnc_police_format, pnc_yos_format
from .names import ORIGINS
from .population import EPOCH
from .scenario import MINUTES_PER_DAY, ROLES, World, stream

FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "police": (
        "nominal_link_id",
        "occurrence_ref",
        "role",
        "surname",
        "forenames",
        "dob",
        "sex",
        "ethnicity",
        "postcode",
        "pnc_id",
        "offence_code",
        "offence_group",
        "occurrence_datetime",
        "location_lsoa",
        "domestic_abuse",
        "knife_or_sharp",
        "drugs_or_alcohol",
    ),
    "social_care": (
        "referral_id",
        "child_id",
        "local_authority",
        "first_name",
        "last_name",
        "dob",
        "gender",
        "ethnicity",
        "nhs_number",
        "postcode",
        "referral_date",
        "referral_source",
        "primary_need",
        "cse_concern",
        "cce_concern",
        "missing_episodes",
        "child_protection_plan",
        "looked_after",
    ),
    "health": (
        "attendance_id",
        "site",
        "nhs_number",
        "forename",
        "surname",
        "date_of_birth",
        "sex",
        "ethnic_category",
        "postcode",
        "arrival_datetime",
        "assault_location_type",
        "weapon",
        "admitted",
    ),
    "yos": (
        "yos_outcome_id",
        "service",
        "full_name",
        "dob",
        "gender",
        "ethnicity",
        "pnc_number",
        "postcode",
        "outcome_date",
        "outcome_type",
        "offence_type",
        "first_time_entrant",
        "exploitation_concern",
    ),
}
KEY_COLUMN = {
    "police": "nominal_link_id",
    "social_care": "referral_id",
    "health": "attendance_id",
    "yos": "yos_outcome_id",
}
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
YN = np.array(["N", "Y"], dtype=object)


@dataclass
class FeedTable:
    """One feed's records (final versions), in key order."""

    feed: str
    data: dict[str, np.ndarray]  # column -> object array of str
    person: np.ndarray
    created: np.ndarray  # day the record was created (decides its delivery)
    errors: list[tuple[np.ndarray, str]]

    @property
    def keys(self) -> np.ndarray:
        return self.data[KEY_COLUMN[self.feed]]

    @property
    def size(self) -> int:
        return int(self.person.size)


class DayFormat:
    """Vectorised date formatting through a lookup table of every day in range."""

    def __init__(self, first_day: int, last_day: int):
        self.first = first_day
        days = [EPOCH + dt.timedelta(days=d) for d in range(first_day, last_day + 1)]
        self.y = np.array([d.year for d in days])
        self.m = np.array([d.month for d in days])
        self.d = np.array([d.day for d in days])
        self._cache: dict[str, np.ndarray] = {}

    def table(self, fmt: str) -> np.ndarray:
        if fmt not in self._cache:
            y, m, d = self.y, self.m, self.d
            if fmt == "iso":
                out = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d, strict=True)]
            elif fmt == "dmy/":
                out = [f"{c:02d}/{b:02d}/{a:04d}" for a, b, c in zip(y, m, d, strict=True)]
            elif fmt == "ymd":
                out = [f"{a:04d}{b:02d}{c:02d}" for a, b, c in zip(y, m, d, strict=True)]
            elif fmt == "dMy":
                out = [f"{c:02d}-{MONTH_ABBR[b - 1]}-{a % 100:02d}" for a, b, c in zip(y, m, d, strict=True)]
            else:
                raise ValueError(f"unknown date format {fmt!r}")
            self._cache[fmt] = np.array(out, dtype=object)
        return self._cache[fmt]

    def __call__(self, day: np.ndarray, fmt: str, missing: np.ndarray | None = None) -> np.ndarray:
        out = self.table(fmt)[np.asarray(day) - self.first]
        if missing is not None:
            out = np.where(missing, "", out)
        return out.astype(object)


_HHMM = np.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], dtype=object)
_SS = np.array([f"{s:02d}" for s in range(60)], dtype=object)


def _join(*parts: np.ndarray | str) -> np.ndarray:
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return np.asarray(out, dtype=object)


def _sequence_ids(rng: np.random.Generator, n: int, start_low: int, start_high: int, max_step: int) -> np.ndarray:
    start = int(rng.integers(start_low, start_high))
    return start + np.cumsum(rng.integers(1, max_step + 1, n))


def _zero_pad(values: np.ndarray, width: int) -> np.ndarray:
    return np.array([f"{v:0{width}d}" for v in values.tolist()], dtype=object)


class FeedRenderer:
    def __init__(self, world: World, county: County, seed: int):
        self.world = world
        self.county = county
        self.seed = seed
        self.pop = world.population
        self.facts = PersonNameFacts(self.pop)
        self.days = DayFormat(DAY_1900 - 1, world.end_day + 400)

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, f"feed:{name}")

    # --- shared pieces ------------------------------------------------------------------------
    def _postcodes(self, rng, ident, style: str) -> np.ndarray:
        pc = self.county.postcode[ident.postcode_index].astype(object)
        typo_idx = np.flatnonzero(ident.postcode_typo)
        pc[typo_idx] = [
            mistype_postcode(p, u) for p, u in zip(pc[typo_idx], rng.random((typo_idx.size, 2)), strict=True)
        ]
        n = pc.size
        if style == "police":  # spacing and case vary
            kind = rng.choice(5, size=n, p=[0.72, 0.12, 0.08, 0.03, 0.05])
        elif style == "loose":
            kind = np.where(rng.random(n) < 0.08, 1, 0)
        else:
            kind = np.zeros(n, dtype=np.int64)
        for k, fn in (
            (1, lambda s: s.replace(" ", "")),
            (2, str.lower),
            (3, lambda s: s.replace(" ", "").lower()),
            (4, lambda s: s.replace(" ", "  ")),
        ):
            idx = np.flatnonzero(kind == k)
            pc[idx] = [fn(s) for s in pc[idx]]
        pc[ident.postcode_missing] = ""
        return pc

    def _ethnicity(self, rng, feed: str, person: np.ndarray) -> np.ndarray:
        """Index into codes.ETHNICITIES as recorded, -1 for not stated."""
        eth = self.pop.eth[person].copy()
        n = eth.size
        # a few recorded as another category of the same group (observed, not self-defined)
        other = np.flatnonzero(rng.random(n) < 0.03)
        for i in other:
            same = np.flatnonzero(codes.ETH_GROUP[eth[i]] == codes.ETH_GROUP)
            eth[i] = same[int(rng.integers(0, same.size))]
        eth[rng.random(n) < codes.NOT_STATED_RATE[feed]] = -1
        return eth

    def _dfe(self, rng, eth: np.ndarray, person: np.ndarray) -> np.ndarray:
        out = np.where(eth >= 0, codes.ETH_DFE[np.maximum(eth, 0)], "").astype(object)
        roma = (eth == 2) & (self.pop.origin[person] == ORIGINS.index("romanian"))
        out[roma] = "WROM"
        ns = eth < 0
        out[ns] = np.where(rng.random(int(ns.sum())) < 0.6, "REFU", "NOBT")
        return out

    def _forenames_field(self, rng, ident, p_middle: float) -> np.ndarray:
        with_middle = (ident.middle != "") & ~ident.swapped & (rng.random(ident.middle.size) < p_middle)
        out = ident.forename.copy()
        out[with_middle] = _join(ident.forename[with_middle], " ", ident.middle[with_middle])
        return out

    # --- feeds --------------------------------------------------------------------------------
    def police(self) -> FeedTable:
        rng = self.rng("police")
        w, pop = self.world, self.pop
        occ, nom = w.occurrences, w.police
        order = np.lexsort((nom.role, nom.occ, occ.minute[nom.occ]))
        person, occ_i, role = nom.person[order], nom.occ[order], nom.role[order]
        day = occ.minute[occ_i] // MINUTES_PER_DAY
        ident = render_identity(rng, "police", pop, self.facts, person, day, police_role=role)
        n = person.size
        # occurrence references: 43/NNNNNN/YY, numbered in time order within each year
        occ_order = np.argsort(occ.minute, kind="stable")
        occ_year = (occ.minute // MINUTES_PER_DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(
            np.int64
        ) + 1970
        ref_num = np.zeros(occ.minute.size, dtype=np.int64)
        for y in np.unique(occ_year):
            m = occ_order[occ_year[occ_order] == y]
            ref_num[m] = _sequence_ids(rng, m.size, 1_000, 9_000, 25)
        refs = np.array([f"43/{r:06d}/{y % 100:02d}" for r, y in zip(ref_num, occ_year, strict=True)], dtype=object)
        offence_code = np.empty(occ.minute.size, dtype=object)
        for g, options in codes.OFFENCE_CODES.items():
            m = np.flatnonzero(occ.group == g)
            w_ = np.array([o[1] for o in options])
            offence_code[m] = np.array([o[0] for o in options], dtype=object)[
                rng.choice(len(options), size=m.size, p=w_ / w_.sum())
            ]
        surname = ident.surname.copy()
        upper = rng.random(n) < 0.65
        surname[upper] = [s.upper() for s in surname[upper]]
        forenames = self._forenames_field(rng, ident, 0.5)
        f_upper = upper & (rng.random(n) < 0.35)
        forenames[f_upper] = [s.upper() for s in forenames[f_upper]]
        eth = self._ethnicity(rng, "police", person)
        pnc_year, pnc_serial, pnc_letter = pop.pnc_year[person], pop.pnc_serial[person], pop.pnc_letter[person]
        has_pnc = (pnc_year > 0) & ~ident.pnc_missing
        pnc = np.full(n, "", dtype=object)
        idx = np.flatnonzero(has_pnc)
        pnc[idx] = [
            pnc_police_format(y, s, c) for y, s, c in zip(pnc_year[idx], pnc_serial[idx], pnc_letter[idx], strict=True)
        ]
        minute = occ.minute[occ_i]
        data = {
            "nominal_link_id": _join("NL", _zero_pad(_sequence_ids(rng, n, 100_000_000, 150_000_000, 3), 9)),
            "occurrence_ref": refs[occ_i],
            "role": np.array(ROLES, dtype=object)[role],
            "surname": surname,
            "forenames": forenames,
            "dob": self.days(ident.dob, "dmy/", ident.dob_missing),
            "sex": np.array(["F", "M", "U"], dtype=object)[ident.sex],
            "ethnicity": np.where(eth >= 0, codes.ETH_POLICE[np.maximum(eth, 0)], "NS").astype(object),
            "postcode": self._postcodes(rng, ident, "police"),
            "pnc_id": pnc,
            "offence_code": offence_code[occ_i],
            "offence_group": np.array(codes.OFFENCE_GROUPS, dtype=object)[occ.group[occ_i]],
            "occurrence_datetime": _join(self.days(day, "iso"), " ", _HHMM[minute % MINUTES_PER_DAY]),
            "location_lsoa": self.county.lsoa_code[occ.lsoa[occ_i]].astype(object),
            "domestic_abuse": YN[occ.domestic[occ_i].astype(np.int64)],
            "knife_or_sharp": YN[occ.knife[occ_i].astype(np.int64)],
            "drugs_or_alcohol": YN[occ.substance[occ_i].astype(np.int64)],
        }
        # recorded within a few days of the occurrence
        created = day + rng.integers(0, 4, n)
        return FeedTable("police", data, person, created, ident.errors)

    def social_care(self) -> FeedTable:
        rng = self.rng("social_care")
        w, pop = self.world, self.pop
        r = w.referrals
        order = np.lexsort((r.person, r.day))
        person, day, council = r.person[order], r.day[order], r.council[order]
        n = person.size
        ident = render_identity(rng, "social_care", pop, self.facts, person, day)
        # keys: one sequence per council; child_id: one case number per child per council
        keys = np.empty(n, dtype=object)
        child_id = np.empty(n, dtype=object)
        widths = {"Bedford": 6, "Central Bedfordshire": 7, "Luton": 6}
        for ci, c in enumerate(COUNCILS):
            m = np.flatnonzero(council == ci)
            keys[m] = _join(f"{c.la_code}-R", _zero_pad(_sequence_ids(rng, m.size, 10_000, 90_000, 4), 7))
            kids, inv = np.unique(person[m], return_inverse=True)
            width = widths[c.name]
            numbers = rng.choice(9 * 10 ** (width - 1), size=kids.size, replace=False) + 10 ** (width - 1)
            child_id[m] = _zero_pad(numbers, width)[inv]
        nhs = ident.nhs.copy()
        spaced = np.flatnonzero((nhs != "") & (rng.random(n) < 0.3))
        nhs[spaced] = [f"{s[:3]} {s[3:6]} {s[6:]}" for s in nhs[spaced]]
        eth = self._ethnicity(rng, "social_care", person)
        data = {
            "referral_id": keys,
            "child_id": child_id,
            "local_authority": np.array([c.name for c in COUNCILS], dtype=object)[council],
            "first_name": self._forenames_field(rng, ident, 0.25),
            "last_name": ident.surname,
            "dob": self.days(ident.dob, "iso", ident.dob_missing),
            "gender": np.array(["Female", "Male", "Unknown"], dtype=object)[ident.sex],
            "ethnicity": self._dfe(rng, eth, person),
            "nhs_number": nhs,
            "postcode": self._postcodes(rng, ident, "loose"),
            "referral_date": self.days(day, "iso"),
            "referral_source": np.array(codes.REFERRAL_SOURCES, dtype=object)[r.source[order]],
            "primary_need": np.array(codes.PRIMARY_NEEDS, dtype=object)[r.need[order]],
            "cse_concern": YN[r.cse[order].astype(np.int64)],
            "cce_concern": YN[r.cce[order].astype(np.int64)],
            "missing_episodes": np.array([str(x) for x in r.missing[order]], dtype=object),
            "child_protection_plan": YN[r.cpp[order].astype(np.int64)],
            "looked_after": YN[r.lac[order].astype(np.int64)],
        }
        # keys are numbered per council; deliver in date order
        return FeedTable("social_care", data, person, day, ident.errors)

    def health(self) -> FeedTable:
        rng = self.rng("health")
        w, pop = self.world, self.pop
        a = w.attendances
        order = np.argsort(a.second, kind="stable")
        person, second = a.person[order], a.second[order]
        day = second // 86_400
        n = person.size
        ident = render_identity(rng, "health", pop, self.facts, person, day)
        sex = np.array(["2", "1", "0"], dtype=object)[ident.sex]
        sex[(ident.sex == 2) & (rng.random(n) < 0.3)] = "9"
        eth = self._ethnicity(rng, "health", person)
        surname = ident.surname.copy()
        upper = rng.random(n) < 0.03
        surname[upper] = [s.upper() for s in surname[upper]]
        minute_of_day = (second % 86_400) // 60
        data = {
            "attendance_id": _join("ED", _zero_pad(_sequence_ids(rng, n, 1_000_000_000, 1_500_000_000, 60), 10)),
            "site": np.array(codes.SITES, dtype=object)[a.site[order]],
            "nhs_number": ident.nhs,
            "forename": ident.forename,
            "surname": surname,
            "date_of_birth": self.days(ident.dob, "ymd", ident.dob_missing),
            "sex": sex,
            "ethnic_category": np.where(eth >= 0, codes.ETH_NHS[np.maximum(eth, 0)], "Z").astype(object),
            "postcode": self._postcodes(rng, ident, "standard"),
            "arrival_datetime": _join(self.days(day, "iso"), "T", _HHMM[minute_of_day], ":", _SS[second % 60]),
            "assault_location_type": np.array(codes.LOCATION_TYPES, dtype=object)[a.location[order]],
            "weapon": np.array(codes.WEAPONS_ED, dtype=object)[a.weapon[order]],
            "admitted": YN[a.admitted[order].astype(np.int64)],
        }
        return FeedTable("health", data, person, day, ident.errors)

    def yos(self) -> FeedTable:
        rng = self.rng("yos")
        w, pop = self.world, self.pop
        o = w.outcomes
        order = np.lexsort((o.person, o.day))
        person, day = o.person[order], o.day[order]
        n = person.size
        ident = render_identity(rng, "yos", pop, self.facts, person, day)
        given = self._forenames_field(rng, ident, 0.6)
        full_name = np.array([f"{s.upper()}, {g}" for s, g in zip(ident.surname, given, strict=True)], dtype=object)
        eth = self._ethnicity(rng, "yos", person)
        pnc_year, pnc_serial, pnc_letter = pop.pnc_year[person], pop.pnc_serial[person], pop.pnc_letter[person]
        pnc = np.full(n, "", dtype=object)
        idx = np.flatnonzero((pnc_year > 0) & ~ident.pnc_missing)
        pnc[idx] = [
            pnc_yos_format(y, s, c) for y, s, c in zip(pnc_year[idx], pnc_serial[idx], pnc_letter[idx], strict=True)
        ]
        sex = np.where(ident.sex == 2, pop.male[person].astype(np.int64), ident.sex)
        data = {
            "yos_outcome_id": _join("YOS", _zero_pad(_sequence_ids(rng, n, 10_000_000, 20_000_000, 9), 8)),
            "service": np.array(["Bedfordshire", "Luton"], dtype=object)[o.service[order]],
            "full_name": full_name,
            "dob": self.days(ident.dob, "dMy", ident.dob_missing),
            "gender": np.array(["Female", "Male"], dtype=object)[sex],
            "ethnicity": self._dfe(rng, eth, person),
            "pnc_number": pnc,
            "postcode": self._postcodes(rng, ident, "standard"),
            "outcome_date": self.days(day, "dmy/"),
            "outcome_type": np.array(codes.OUTCOME_TYPES, dtype=object)[o.outcome[order]],
            "offence_type": o.offence_type[order].astype(object),
            "first_time_entrant": YN[o.fte[order].astype(np.int64)],
            "exploitation_concern": YN[o.exploitation[order].astype(np.int64)],
        }
        return FeedTable("yos", data, person, day, ident.errors)

    def all(self) -> dict[str, FeedTable]:
        return {"police": self.police(), "social_care": self.social_care(), "health": self.health(), "yos": self.yos()}
