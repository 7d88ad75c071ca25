"""Tests of the synthetic feed generator (dagster_project.synthetic).

The format checks are written from FEEDS.md, independently of the generator's own code.
Assertions are on counts and shares only: no identifier is ever printed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from dagster_project.synthetic import OutputDirectoryError, SyntheticConfig, generate
from dagster_project.synthetic.cli import main

FEEDS = ("police", "social_care", "health", "yos")

POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}"
POSTCODE_ANY_CASE_SPACING = r"\s*[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\s*"
DFE = [
    "WBRI",
    "WIRI",
    "WOTH",
    "WIRT",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
]
POLICE_ETH = [
    "W1",
    "W2",
    "W3",
    "W9",
    "M1",
    "M2",
    "M3",
    "M9",
    "A1",
    "A2",
    "A3",
    "A4",
    "A9",
    "B1",
    "B2",
    "B9",
    "O1",
    "O9",
    "NS",
]
OFFENCE_GROUPS = [
    "Violence with injury",
    "Violence without injury",
    "Stalking and harassment",
    "Rape",
    "Other sexual offences",
    "Homicide",
    "Robbery",
    "Possession of weapons",
    "Drug offences",
    "Public order",
]
VSO = set(OFFENCE_GROUPS[:6])
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"


def one_of(values) -> str:
    return "(?:" + "|".join(re.escape(v) for v in values) + ")"


YN = "[YN]"
TEXT = r"\S(?:.*\S)?"  # non-empty, no surrounding spaces
SPEC: dict[str, dict[str, str]] = {
    "police": {
        "nominal_link_id": r"NL\d{9}",
        "occurrence_ref": r"43/\d{6}/\d{2}",
        "role": one_of(["VICTIM", "SUSPECT", "OFFENDER", "WITNESS"]),
        "surname": TEXT,
        "forenames": TEXT,
        "dob": r"(?:\d{2}/\d{2}/\d{4})?",
        "sex": "[MFU]",
        "ethnicity": one_of(POLICE_ETH),
        "postcode": f"(?:{POSTCODE_ANY_CASE_SPACING})?",
        "pnc_id": r"(?:\d{2}/\d{6}[A-Z])?",
        "offence_code": r"\d{3}/\d{2}",
        "offence_group": one_of(OFFENCE_GROUPS),
        "occurrence_datetime": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
        "location_lsoa": r"E01\d{6}",
        "domestic_abuse": YN,
        "knife_or_sharp": YN,
        "drugs_or_alcohol": YN,
    },
    "social_care": {
        "referral_id": r"(?:BED|CBC|LUT)-R\d{7}",
        "child_id": TEXT,
        "local_authority": one_of(["Bedford", "Central Bedfordshire", "Luton"]),
        "first_name": TEXT,
        "last_name": TEXT,
        "dob": r"(?:\d{4}-\d{2}-\d{2})?",
        "gender": one_of(["Male", "Female", "Unknown"]),
        "ethnicity": one_of(DFE),
        "nhs_number": r"(?:\d{10}|\d{3} \d{3} \d{4})?",
        "postcode": f"(?:{POSTCODE}|[A-Z]{{1,2}}\\d[A-Z\\d]?\\d[A-Z]{{2}})?",
        "referral_date": r"\d{4}-\d{2}-\d{2}",
        "referral_source": one_of(["Police", "School", "Health", "Self", "Other"]),
        "primary_need": r"N[1-9]",
        "cse_concern": YN,
        "cce_concern": YN,
        "missing_episodes": r"\d+",
        "child_protection_plan": YN,
        "looked_after": YN,
    },
    "health": {
        "attendance_id": r"ED\d{10}",
        "site": one_of(["Luton and Dunstable", "Bedford"]),
        "nhs_number": r"(?:\d{10})?",
        "forename": TEXT,
        "surname": TEXT,
        "date_of_birth": r"(?:\d{8})?",
        "sex": "[1290]",
        "ethnic_category": "[A-HJ-NPRSZ]",
        "postcode": f"(?:{POSTCODE})?",
        "arrival_datetime": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
        "assault_location_type": one_of(["Home", "Street", "Licensed premises", "School", "Other"]),
        "weapon": one_of(["None", "Knife or blade", "Blunt object", "Firearm", "Other", "Unknown"]),
        "admitted": YN,
    },
    "yos": {
        "yos_outcome_id": r"YOS\d{8}",
        "service": one_of(["Bedfordshire", "Luton"]),
        "full_name": r"[^a-z,]+, [^,]+",
        "dob": rf"\d{{2}}-(?:{MONTHS})-\d{{2}}",
        "gender": one_of(["Male", "Female"]),
        "ethnicity": one_of(DFE),
        "pnc_number": r"(?:\d{4}/\d{7}[A-Z])?",
        "postcode": f"(?:{POSTCODE})?",
        "outcome_date": r"\d{2}/\d{2}/\d{4}",
        "outcome_type": one_of(
            [
                "Community Resolution",
                "Youth Caution",
                "Youth Conditional Caution",
                "Referral Order",
                "Youth Rehabilitation Order",
                "Custody",
            ]
        ),
        "offence_type": one_of(["Violence against the person", "Robbery", "Drugs", "Weapons", "Sexual", "Other"]),
        "first_time_entrant": YN,
        "exploitation_concern": YN,
    },
}
KEY = {"police": "nominal_link_id", "social_care": "referral_id", "health": "attendance_id", "yos": "yos_outcome_id"}
DATE_FORMATS = {
    ("police", "dob"): "%d/%m/%Y",
    ("police", "occurrence_datetime"): "%Y-%m-%d %H:%M",
    ("social_care", "dob"): "%Y-%m-%d",
    ("social_care", "referral_date"): "%Y-%m-%d",
    ("health", "date_of_birth"): "%Y%m%d",
    ("health", "arrival_datetime"): "%Y-%m-%dT%H:%M:%S",
    ("yos", "dob"): "%d-%b-%y",
    ("yos", "outcome_date"): "%d/%m/%Y",
}
KNOWN_ERRORS = {
    "typo_forename",
    "typo_surname",
    "nickname",
    "transliteration",
    "diacritics_dropped",
    "swapped_names",
    "surname_part_only",
    "middle_name_as_forename",
    "dob_day_month_swap",
    "dob_year_typo",
    "dob_default_1900",
    "dob_missing",
    "postcode_missing",
    "postcode_stale",
    "postcode_typo",
    "nhs_missing",
    "nhs_mistyped",
    "sex_unknown",
    "pnc_missing",
    "dob_estimated",
    "forename_placeholder",
}


# --- helpers ------------------------------------------------------------------------------------
def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def deliveries(landing: Path, feed: str) -> list[tuple[str, Path]]:
    """(extract date, path) in date order."""
    out = []
    for p in (landing / feed).glob(f"{feed}_*.csv"):
        m = re.fullmatch(rf"{feed}_(\d{{4}}-\d{{2}}-\d{{2}})\.csv", p.name)
        assert m, "unexpected file name in a landing feed directory"
        out.append((m.group(1), p))
    return sorted(out)


def latest(landing: Path, feed: str) -> dict[str, dict[str, str]]:
    """Latest version of each record: a later delivery replaces an earlier one."""
    rows: dict[str, dict[str, str]] = {}
    for _, path in deliveries(landing, feed):
        for row in read_csv(path)[1]:
            rows[row[KEY[feed]]] = row
    return rows


def nhs_valid(number: str) -> bool:
    digits = number.replace(" ", "")
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def pnc_letter_ok(year2: int, serial: int, letter: str) -> bool:
    return "ZABCDEFGHJKLMNPQRTUVWXY"[int(f"{year2:02d}{serial:07d}") % 23] == letter


def make(base: Path, people: int, seed: int = 7, **kw) -> tuple[SyntheticConfig, object]:
    config = SyntheticConfig(
        landing=base / "landing",
        truth=base / "truth",
        reference=base / "reference",
        people=people,
        seed=seed,
        progress=False,
        **kw,
    )
    return config, generate(config)


@pytest.fixture(scope="module")
def run3000(tmp_path_factory):
    base = tmp_path_factory.mktemp("synth3000")
    config, summary = make(base, 3000, seed=2024)
    return config, summary


@pytest.fixture(scope="module")
def truth3000(run3000):
    config, _ = run3000
    person_of = {}
    for row in read_csv(config.truth / "ground_truth.csv")[1]:
        person_of[(row["source_feed"], row["record_key"])] = row["person_id"]
    persons = {r["person_id"]: r for r in read_csv(config.truth / "persons.csv")[1]}
    errors = defaultdict(set)
    for r in read_csv(config.truth / "errors.csv")[1]:
        errors[(r["source_feed"], r["record_key"])].add(r["error"])
    return person_of, persons, errors


# --- formats ------------------------------------------------------------------------------------
def test_every_column_matches_feeds_md(run3000):
    config, _ = run3000
    for feed in FEEDS:
        files = deliveries(config.landing, feed)
        assert len(files) == 4
        for _, path in files:
            header, rows = read_csv(path)
            assert header == list(SPEC[feed]), f"{feed}: header differs from FEEDS.md"
            assert rows, f"{feed}: empty delivery"
            keys = [r[KEY[feed]] for r in rows]
            duplicates = len(keys) - len(set(keys))
            assert duplicates == 0, f"{feed}: duplicate key within one delivery"
            bad = Counter()
            for row in rows:
                assert None not in row, f"{feed}: row with extra fields"
                for col, pattern in SPEC[feed].items():
                    value = row[col]
                    if not re.fullmatch(pattern, value):
                        bad[col] += 1
                    elif value and (feed, col) in DATE_FORMATS:
                        dt.datetime.strptime(value, DATE_FORMATS[(feed, col)])  # a real date
            assert not bad, f"{feed}: columns with values off-format: {dict(bad)}"


def test_csv_quirks(run3000):
    config, _ = run3000
    for feed in FEEDS:
        for _, path in deliveries(config.landing, feed):
            raw = path.read_bytes()
            if feed == "health":
                has_bom = raw[:3] == b"\xef\xbb\xbf"
                assert has_bom, "health files carry a byte-order mark"
            text = raw.decode("utf-8-sig")
            if feed == "yos":
                # full_name always holds a comma, so it is always quoted; nothing else is
                odd = sum(line.count('"') != 2 for line in text.splitlines()[1:])
                assert odd == 0, "yos: full_name not quoted, or other fields quoted"
            else:
                quotes = text.count('"')
                assert quotes == 0, f"{feed}: fields quoted without a comma"
    police = latest(config.landing, "police")
    surnames = [r["surname"] for r in police.values()]
    upper_share = sum(s.isupper() for s in surnames) / len(surnames)
    assert upper_share > 0.4
    names = [r["surname"] + r["forenames"] for r in police.values()]
    names += [r["last_name"] + r["first_name"] for r in latest(config.landing, "social_care").values()]
    apostrophes = sum("'" in n for n in names)
    hyphens = sum("-" in n for n in names)
    accents = sum(not n.isascii() for n in names)
    assert apostrophes and hyphens and accents, "names lack apostrophes, hyphens or accents"
    sc = latest(config.landing, "social_care").values()
    spaced = sum(bool(re.fullmatch(r"\d{3} \d{3} \d{4}", r["nhs_number"])) for r in sc)
    plain = sum(bool(re.fullmatch(r"\d{10}", r["nhs_number"])) for r in sc)
    assert spaced and plain, "social care NHS numbers not written both ways"


def test_local_authority_matches_referral_prefix_and_child_ids(run3000):
    config, _ = run3000
    prefix = {"Bedford": "BED", "Central Bedfordshire": "CBC", "Luton": "LUT"}
    rows = latest(config.landing, "social_care").values()
    wrong = sum(not r["referral_id"].startswith(prefix[r["local_authority"]] + "-R") for r in rows)
    assert wrong == 0


def test_reference_files(run3000):
    config, summary = run3000
    ref = config.reference
    header, lsoas = read_csv(ref / "lsoa_lookup.csv")
    assert header == ["lsoa21cd", "lsoa21nm", "lad22cd", "lad22nm", "imd_decile"]
    counts = Counter(r["lad22nm"] for r in lsoas)
    assert (
        95 <= counts["Bedford"] <= 125
        and 150 <= counts["Central Bedfordshire"] <= 190
        and 115 <= counts["Luton"] <= 145
    )
    malformed = sum(
        not (
            re.fullmatch(r"E01\d{6}", r["lsoa21cd"])
            and re.fullmatch(r"(Bedford|Central Bedfordshire|Luton) \d{3}[A-E]", r["lsoa21nm"])
        )
        for r in lsoas
    )
    assert malformed == 0
    decile = defaultdict(list)
    for r in lsoas:
        decile[r["lad22nm"]].append(int(r["imd_decile"]))
    mean = {k: sum(v) / len(v) for k, v in decile.items()}
    assert mean["Luton"] < mean["Bedford"] < mean["Central Bedfordshire"]
    assert min(decile["Bedford"]) <= 2 and min(decile["Central Bedfordshire"]) <= 3
    header, postcodes = read_csv(ref / "postcode_lookup.csv")
    assert header == ["pcds", "lsoa21cd"]
    malformed = sum(not re.fullmatch(POSTCODE, r["pcds"]) for r in postcodes)
    assert malformed == 0
    lad_of = {r["lsoa21cd"]: r["lad22nm"] for r in lsoas}
    districts = {
        "Luton": {"LU1", "LU2", "LU3", "LU4"},
        "Central Bedfordshire": {"LU5", "LU6", "LU7", "MK17", "MK45", "SG5", "SG15", "SG16", "SG17", "SG18", "SG19"},
        "Bedford": {"MK40", "MK41", "MK42", "MK43", "MK44"},
    }
    misplaced = sum(r["pcds"].split(" ")[0] not in districts[lad_of[r["lsoa21cd"]]] for r in postcodes)
    assert misplaced == 0
    header, pop = read_csv(ref / "lsoa_population.csv")
    assert header == ["lsoa21cd", "sex", "age_band", "residents"]
    bands = {"0-9", "10-14", "15-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"}
    assert {r["age_band"] for r in pop} == bands
    residents = Counter()
    for r in pop:
        residents[lad_of[r["lsoa21cd"]]] += int(r["residents"])
    scale = 3000 / 60_000  # documented: people / 60,000 of the real county
    for lad, real in (("Bedford", 185_761), ("Central Bedfordshire", 295_541), ("Luton", 224_826)):
        assert abs(residents[lad] - real * scale) <= 2
    # every postcode used in the landing files is in the lookup (after normalising)
    known = {r["pcds"] for r in postcodes}
    police = latest(config.landing, "police").values()
    used = {re.sub(r"\s+", "", r["postcode"].upper()) for r in police if r["postcode"]}
    compact = {p.replace(" ", "") for p in known}
    unknown_share = len(used - compact) / len(used)
    assert unknown_share < 0.02  # only the logged postcode typos fall outside


# --- truth --------------------------------------------------------------------------------------
def test_ground_truth_covers_every_record_once(run3000, truth3000):
    config, summary = run3000
    gt_rows = read_csv(config.truth / "ground_truth.csv")[1]
    pairs = [(r["source_feed"], r["record_key"]) for r in gt_rows]
    duplicates = len(pairs) - len(set(pairs))
    assert duplicates == 0
    landed = set()
    for feed in FEEDS:
        for _, path in deliveries(config.landing, feed):
            landed |= {(feed, r[KEY[feed]]) for r in read_csv(path)[1]}
    assert len(landed ^ set(pairs)) == 0, "ground truth and landing keys differ"
    malformed = sum(not re.fullmatch(r"T\d{7}", r["person_id"]) for r in gt_rows)
    assert malformed == 0
    _, persons, _ = truth3000
    assert len(persons) == 3000 == summary.people
    assert len({r["person_id"] for r in gt_rows} ^ set(persons)) == 0, "every person appears in some feed"
    assert sum(summary.records.values()) == sum(
        len(read_csv(p)[1]) for f in FEEDS for _, p in deliveries(config.landing, f)
    )


def test_persons_and_errors_files(run3000, truth3000):
    config, _ = run3000
    header, persons = read_csv(config.truth / "persons.csv")
    for col in (
        "person_id",
        "sex",
        "dob",
        "ethnic_group",
        "ethnicity",
        "name_origin",
        "council",
        "lsoa21cd",
        "is_da_victim",
        "exploitation_risk_cse",
        "exploitation_risk_cce",
    ):
        assert col in header
    assert {r["sex"] for r in persons} == {"M", "F"}
    assert {r["ethnic_group"] for r in persons} <= {"White", "Mixed", "Asian", "Black", "Other"}
    origins = {r["name_origin"] for r in persons}
    assert {"white_british", "pakistani", "bangladeshi", "indian", "polish", "black_african", "chinese"} <= origins
    person_of, _, errors = truth3000
    unknown_names = len(set().union(*errors.values()) - KNOWN_ERRORS)
    assert unknown_names == 0, "unknown error names in errors.csv"
    orphans = sum(key not in person_of for key in errors)
    assert orphans == 0, "errors.csv keys missing from the ground truth"
    counts = Counter(e for es in errors.values() for e in es)
    for name in (
        "typo_forename",
        "typo_surname",
        "nickname",
        "transliteration",
        "swapped_names",
        "dob_day_month_swap",
        "dob_missing",
        "postcode_missing",
        "postcode_stale",
        "nhs_mistyped",
        "nhs_missing",
    ):
        assert counts[name] > 0, f"no {name} errors"
    police_total = sum(1 for f, _ in person_of if f == "police")
    typo_share = counts["typo_surname"] / len(person_of)
    missing_share = counts["postcode_missing"] / len(person_of)
    assert 0.02 < typo_share < 0.07
    assert 0.03 < missing_share < 0.09
    assert (config.truth / "README.txt").read_text().strip()
    assert police_total > 0


def test_resent_keys_reappear_in_a_later_delivery(run3000):
    config, summary = run3000
    resent = read_csv(config.truth / "resent.csv")[1]
    assert resent, "no corrected re-sends"
    for feed in FEEDS:
        seen: dict[str, list[str]] = defaultdict(list)
        for date, path in deliveries(config.landing, feed):
            for r in read_csv(path)[1]:
                seen[r[KEY[feed]]].append(date)
        multiple = {k: v for k, v in seen.items() if len(v) > 1}
        logged = {(r["record_key"]): r for r in resent if r["source_feed"] == feed}
        assert len(set(multiple) ^ set(logged)) == 0, f"{feed}: re-sent keys differ from resent.csv"
        wrong = sum(
            not (
                dates == sorted(dates)
                and len(set(dates)) == len(dates)
                and dates[0] == logged[key]["first_delivery"]
                and dates[-1] == logged[key]["resent_delivery"]
            )
            for key, dates in multiple.items()
        )
        assert wrong == 0, f"{feed}: {wrong} re-sent records not in a later delivery"
        share = len(multiple) / len(seen)
        assert 0.01 < share < 0.05, f"{feed}: re-sent share off"


def test_nhs_numbers_valid_unless_logged_mistyped(run3000, truth3000):
    config, _ = run3000
    _, _, errors = truth3000
    checked = invalid = unlogged = 0
    for feed in ("social_care", "health"):
        for _, path in deliveries(config.landing, feed):
            for r in read_csv(path)[1]:
                if not r["nhs_number"]:
                    continue
                checked += 1
                if not nhs_valid(r["nhs_number"]):
                    invalid += 1
                    unlogged += "nhs_mistyped" not in errors[(feed, r[KEY[feed]])]
    assert unlogged == 0, "invalid NHS numbers not logged as nhs_mistyped"
    assert checked > 500 and 0 < invalid < 0.03 * checked
    present = [bool(r["nhs_number"]) for r in latest(config.landing, "health").values()]
    health_share = sum(present) / len(present)
    present = [bool(r["nhs_number"]) for r in latest(config.landing, "social_care").values()]
    social_care_share = sum(present) / len(present)
    assert 0.85 < health_share < 0.95
    assert 0.62 < social_care_share < 0.78


def test_pnc_numbers_agree_between_police_and_yos(run3000, truth3000):
    config, _ = run3000
    person_of, _, errors = truth3000
    police_pnc: dict[str, set] = defaultdict(set)
    unlogged_missing: set[str] = set()
    bad_letters = 0
    for key, r in latest(config.landing, "police").items():
        person = person_of[("police", key)]
        if r["pnc_id"]:
            m = re.fullmatch(r"(\d{2})/(\d{6})([A-Z])", r["pnc_id"])
            unified = (int(m.group(1)), int(m.group(2)), m.group(3))
            bad_letters += not pnc_letter_ok(*unified)
            police_pnc[person].add(unified)
        elif r["role"] in ("SUSPECT", "OFFENDER") and "pnc_missing" not in errors[("police", key)]:
            unlogged_missing.add(person)
    assert bad_letters == 0, "police PNC check letters wrong"
    several = sum(len(v) != 1 for v in police_pnc.values())
    assert several == 0, "one PNC number per person"
    matched = mismatched = only_logged_missing = unexplained = 0
    for key, r in latest(config.landing, "yos").items():
        if not r["pnc_number"]:
            continue
        m = re.fullmatch(r"(\d{4})/(\d{7})([A-Z])", r["pnc_number"])
        unified = (int(m.group(1)) % 100, int(m.group(2)), m.group(3))
        bad_letters += not pnc_letter_ok(*unified)
        person = person_of[("yos", key)]
        if person in police_pnc:
            matched += police_pnc[person] == {unified}
            mismatched += police_pnc[person] != {unified}
        else:
            # the police records of this person all lost the PNC number (logged as pnc_missing)
            only_logged_missing += 1
            unexplained += person in unlogged_missing
    assert unexplained == 0, "YOS people without a PNC in police data"
    assert bad_letters == 0, "YOS PNC check letters wrong"
    assert mismatched == 0, f"{mismatched} YOS PNC numbers differ from the police ones"
    assert matched > 20 and only_logged_missing <= 0.1 * matched


def test_yos_people_are_young_police_suspects(run3000, truth3000):
    config, _ = run3000
    person_of, persons, _ = truth3000
    suspects = {
        person_of[("police", k)]
        for k, r in latest(config.landing, "police").items()
        if r["role"] in ("SUSPECT", "OFFENDER")
    }
    not_suspect = wrong_age = 0
    for key, r in latest(config.landing, "yos").items():
        person = person_of[("yos", key)]
        not_suspect += person not in suspects
        dob = dt.date.fromisoformat(persons[person]["dob"])
        outcome = dt.datetime.strptime(r["outcome_date"], "%d/%m/%Y").date()
        age = (outcome - dob).days / 365.25
        wrong_age += not 10 <= age < 18
    assert not_suspect == 0 and wrong_age == 0


# --- population patterns ------------------------------------------------------------------------
def test_victims_peak_at_15_to_34_and_are_more_often_female(run3000, truth3000):
    config, _ = run3000
    person_of, persons, _ = truth3000
    bands = Counter()
    female = victims = male_suspects = suspects = 0
    for key, r in latest(config.landing, "police").items():
        p = persons[person_of[("police", key)]]
        if r["role"] == "VICTIM" and r["offence_group"] in VSO:
            when = dt.date.fromisoformat(r["occurrence_datetime"][:10])
            age = (when - dt.date.fromisoformat(p["dob"])).days / 365.25
            band = (
                "0-14" if age < 15 else "15-24" if age < 25 else "25-34" if age < 35 else "35-44" if age < 45 else "45+"
            )
            bands[band] += 1
            victims += 1
            female += p["sex"] == "F"
        elif r["role"] in ("SUSPECT", "OFFENDER"):
            suspects += 1
            male_suspects += p["sex"] == "M"
    peak = bands.most_common(1)[0][0]
    share_15_34 = (bands["15-24"] + bands["25-34"]) / victims
    female_share = female / victims
    male_share = male_suspects / suspects
    assert peak in ("15-24", "25-34")
    assert share_15_34 > 0.5
    assert female_share > 0.5
    assert 0.7 < male_share < 0.9


def test_about_four_in_ten_violence_and_sexual_offences_are_domestic(run3000):
    config, _ = run3000
    occ: dict[str, tuple[str, str]] = {}
    for r in latest(config.landing, "police").values():
        if r["offence_group"] in VSO:
            prev = occ.get(r["occurrence_ref"], ("N", ""))
            occ[r["occurrence_ref"]] = (max(prev[0], r["domestic_abuse"]), r["offence_group"])
    share = sum(v[0] == "Y" for v in occ.values()) / len(occ)
    assert 0.33 < share < 0.47


def test_seasonal_and_night_time_patterns(run3000):
    config, _ = run3000
    months = Counter()
    weekend_night = total = 0
    refs = {}
    for r in latest(config.landing, "police").values():
        if r["offence_group"] in VSO:
            refs[r["occurrence_ref"]] = dt.datetime.strptime(r["occurrence_datetime"], "%Y-%m-%d %H:%M")
    for when in refs.values():
        months[when.month] += 1
        total += 1
        evening = when.hour >= 20 and when.weekday() in (4, 5)
        small_hours = when.hour < 3 and when.weekday() in (5, 6)
        weekend_night += evening or small_hours
    summer = (months[5] + months[6] + months[7] + months[8]) / 4
    winter = (months[1] + months[2]) / 2
    assert summer > 1.1 * winter
    # Friday/Saturday 20:00-03:00 is 14 of 168 hours (8%) of the week
    night_share = weekend_night / total
    assert night_share > 0.15


def test_most_ae_attendances_have_no_police_victim_record_within_14_days(run3000, truth3000):
    config, _ = run3000
    person_of, _, _ = truth3000
    victim_times = defaultdict(list)
    for key, r in latest(config.landing, "police").items():
        if r["role"] == "VICTIM":
            victim_times[person_of[("police", key)]].append(
                dt.datetime.strptime(r["occurrence_datetime"], "%Y-%m-%d %H:%M")
            )
    attendances = latest(config.landing, "health")
    without = 0
    for key, r in attendances.items():
        arrival = dt.datetime.strptime(r["arrival_datetime"], "%Y-%m-%dT%H:%M:%S")
        near = [t for t in victim_times.get(person_of[("health", key)], []) if abs((arrival - t).days) <= 14]
        without += not near
    share = without / len(attendances)
    assert 0.62 < share < 0.80
    weapons = Counter(r["weapon"] for r in attendances.values())
    knife_share = weapons["Knife or blade"] / len(attendances)
    assert 0 < knife_share < 0.25
    admitted = sum(r["admitted"] == "Y" for r in attendances.values()) / len(attendances)
    assert 0.08 < admitted < 0.25


def test_exploitation_cohort(run3000, truth3000):
    config, _ = run3000
    person_of, persons, _ = truth3000
    cce = [p for p in persons.values() if p["exploitation_risk_cce"] == "Y"]
    cse = [p for p in persons.values() if p["exploitation_risk_cse"] == "Y"]
    cce_male = sum(p["sex"] == "M" for p in cce) / len(cce)
    cse_female = sum(p["sex"] == "F" for p in cse) / len(cse)
    assert 0.65 < cce_male < 0.85
    assert 0.45 < cse_female < 0.65
    # 86 per 10,000 residents under 25 of the scaled county
    under_25 = sum(
        int(r["residents"])
        for r in read_csv(config.reference / "lsoa_population.csv")[1]
        if r["age_band"] in ("0-9", "10-14", "15-17", "18-24")
    )
    at_risk = {p["person_id"] for p in cce + cse}
    rate = len(at_risk) / under_25 * 10_000
    assert abs(rate - 86) < 5
    # flagged in social care, and more missing episodes than other children
    flagged = set()
    missing = {True: [], False: []}
    for key, r in latest(config.landing, "social_care").items():
        person = person_of[("social_care", key)]
        if "Y" in (r["cse_concern"], r["cce_concern"]):
            flagged.add(person)
        missing[person in at_risk].append(int(r["missing_episodes"]))
    assert len(flagged ^ at_risk) == 0, "social care concern flags differ from the exploitation cohort"
    mean_at_risk = sum(missing[True]) / len(missing[True])
    mean_other = sum(missing[False]) / len(missing[False])
    assert mean_at_risk > 3 * mean_other
    # they often appear in police data too
    in_police = {person_of[("police", k)] for k in latest(config.landing, "police")}
    share = len(at_risk & in_police) / len(at_risk)
    assert share > 0.4


def test_luton_is_more_diverse_than_central_bedfordshire(truth3000):
    _, persons, _ = truth3000
    share = {}
    for council in ("Luton", "Central Bedfordshire", "Bedford"):
        people = [p for p in persons.values() if p["council"] == council]
        share[council] = sum(p["ethnic_group"] != "White" for p in people) / len(people)
    assert share["Luton"] > 0.4 and share["Central Bedfordshire"] < 0.2
    assert share["Luton"] > share["Bedford"] > share["Central Bedfordshire"]
    south_asian = [
        p
        for p in persons.values()
        if p["council"] == "Luton" and p["name_origin"] in ("pakistani", "bangladeshi", "indian")
    ]
    south_asian_share = len(south_asian) / sum(p["council"] == "Luton" for p in persons.values())
    assert south_asian_share > 0.2


def test_children_in_social_care_are_under_18(run3000, truth3000):
    config, _ = run3000
    person_of, persons, _ = truth3000
    wrong = 0
    for key, r in latest(config.landing, "social_care").items():
        dob = dt.date.fromisoformat(persons[person_of[("social_care", key)]]["dob"])
        referral = dt.date.fromisoformat(r["referral_date"])
        wrong += not (dob <= referral and (referral - dob).days / 365.25 < 18)
    assert wrong == 0, "referrals of people aged 18 or over, or before birth"
    repeated = Counter(r["child_id"] + r["local_authority"] for r in latest(config.landing, "social_care").values())
    referred_again = sum(c > 1 for c in repeated.values())
    assert referred_again > 0, "no child referred more than once"


# --- determinism, directories, CLI --------------------------------------------------------------
def _tree(base: Path) -> dict[str, bytes]:
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def test_deterministic_per_seed(tmp_path):
    make(tmp_path / "a", 500, seed=11)
    make(tmp_path / "b", 500, seed=11)
    make(tmp_path / "c", 500, seed=12)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert sorted(a) == sorted(b) == sorted(c)  # file names only
    differ = [name for name in a if a[name] != b[name]]
    assert differ == [], "same seed, different output"
    same = a["landing/police/police_2023-07-05.csv"] == c["landing/police/police_2023-07-05.csv"]
    assert not same, "different seeds, same output"


def test_small_run_is_fast_and_complete(tmp_path):
    _, summary = make(tmp_path, 500)
    assert summary.seconds < 5
    assert summary.people == 500
    assert set(summary.records) == set(FEEDS) and all(summary.records[f] > 0 for f in FEEDS)
    assert len(summary.landing_files) == 16


def test_refuses_to_overwrite(tmp_path):
    config, _ = make(tmp_path, 300)
    with pytest.raises(OutputDirectoryError, match="already contains files"):
        generate(config)
    again = SyntheticConfig(**{**config.__dict__, "replace": True})
    generate(again)  # its own output: replaced
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.csv").write_text("precious\n")
    other = SyntheticConfig(**{**config.__dict__, "landing": foreign, "replace": True})
    with pytest.raises(OutputDirectoryError, match="foreign"):
        generate(other)
    assert (foreign / "keep.csv").read_text() == "precious\n"


def test_cli(tmp_path, caplog):
    argv = [
        "--people",
        "300",
        "--seed",
        "5",
        "--landing",
        str(tmp_path / "l"),
        "--truth",
        str(tmp_path / "t"),
        "--reference",
        str(tmp_path / "r"),
        "--deliveries",
        "2",
        "--quiet",
    ]
    with caplog.at_level("INFO"):
        assert main(argv) == 0
    assert any("persons" in m for m in caplog.messages)
    assert len(list((tmp_path / "l" / "police").glob("*.csv"))) == 2
    assert main(argv) == 2  # refuses: not empty, no --replace
    assert main(argv + ["--replace"]) == 0


def test_target_records(tmp_path):
    _, summary = make(tmp_path, 0, target_records=8_000)
    assert 0.85 * 8_000 < summary.total_records < 1.15 * 8_000
