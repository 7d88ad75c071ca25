"""Run the generator: scenario -> feeds -> deliveries -> landing, truth and reference files."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import codes
from .config import FEED_ORDER, GenerationSummary, SyntheticConfig
from .deliveries import RESEND_RATE, DeliveryPlan, plan, schedule
from .feeds import FEED_COLUMNS, KEY_COLUMN, FeedRenderer, FeedTable
from .geography import COUNCILS, PEOPLE_PER_COUNTY, build_county, write_reference
from .names import ORIGINS
from .output import prepare_output_dirs, write_csv
from .population import COHORTS
from .scenario import ScenarioBuilder, World, stream

logger = logging.getLogger(__name__)

# Files with a byte-order mark / Windows line ends, as the source systems export them.
BOM = {"health": lambda k: True, "social_care": lambda k: k >= 2, "police": lambda k: False, "yos": lambda k: False}
CRLF = {"social_care"}

TRUTH_README = """\
Ground truth for the synthetic feeds in the landing directory (made by veru-synth; all people
are fictional). ground_truth.csv has one row per distinct (source_feed, record_key) - the
record key as delivered, latest version - with the person_id (T + 7 digits) of the true person
behind it; it is what linkage output is scored against. persons.csv has one row per person:
sex, date of birth, ethnic group (ONS 5 groups) and detailed 2011 ethnicity, the name list their
names were drawn from (name_origin), home council and LSOA at the start of the period, the
cohort they were created for, and flags for the roles the generator gave them (domestic abuse
victim or perpetrator, at risk of sexual or criminal exploitation, police victim, suspect or
witness, in social care, A&E or YOS, moved house, holds a PNC number). errors.csv lists every
identifier error injected into the latest version of a record (source_feed, record_key, error:
typo_forename, typo_surname, nickname, transliteration, diacritics_dropped, swapped_names,
surname_part_only, middle_name_as_forename, forename_placeholder ('Baby' for a newborn),
dob_day_month_swap, dob_year_typo, dob_estimated (1 January of a guessed year),
dob_default_1900, dob_missing, postcode_missing, postcode_stale, postcode_typo, nhs_missing,
nhs_mistyped, sex_unknown, pnc_missing); recording conventions (middle names in the forenames
field, UPPER CASE surnames, postcode spacing, 'not stated' ethnicity) are not errors and are
not listed. resent.csv lists the records delivered again with a correction: the delivery
(extract date) of the first version, that of the corrected one, and what changed.
"""


def estimate_people(config: SyntheticConfig) -> int:
    """People count expected to give about ``config.target_records`` landing records."""
    target = int(config.target_records or 0)
    pilot = int(min(max(target / 1.8, 2_000), 40_000))
    world = _world(pilot, config)
    records = (
        world.police.person.size
        + world.referrals.person.size
        + world.attendances.person.size
        + world.outcomes.person.size
    )
    d = config.deliveries
    records *= 1 + RESEND_RATE * (d - 1) / d
    return max(200, int(round(target * pilot / records)))


def _world(people: int, config: SyntheticConfig) -> World:
    county = build_county(people / PEOPLE_PER_COUNTY)
    return ScenarioBuilder(people, config.seed, config.start, config.end, county).build()


def generate(config: SyntheticConfig) -> GenerationSummary:
    """Write landing, truth and reference files for ``config``; return what was written."""
    started = time.perf_counter()
    prepare_output_dirs([config.landing, config.truth, config.reference], config.replace)
    people = config.people if config.target_records is None else estimate_people(config)
    if config.target_records is not None:
        logger.info("--target-records %d: generating %d people", config.target_records, people)
    bar = tqdm(total=14, desc="veru-synth", unit="step", file=sys.stderr, disable=not config.progress, leave=False)
    try:
        county = build_county(people / PEOPLE_PER_COUNTY)
        world = ScenarioBuilder(people, config.seed, config.start, config.end, county).build(bar)
        renderer = FeedRenderer(world, county, config.seed)
        deliveries = schedule(config.start, config.end, config.deliveries)
        summary = GenerationSummary(
            people=world.population.size,
            records={},
            distinct_keys={},
            resent={},
            errors=0,
            deliveries=[d.extract_date for d in deliveries],
        )
        # one feed at a time, keeping only what the truth files need (memory at 1M records)
        tables: dict[str, FeedTable] = {}
        plans: dict[str, DeliveryPlan] = {}
        for feed in FEED_ORDER:
            table = getattr(renderer, feed)()
            plans[feed] = plan(stream(config.seed, f"deliveries:{feed}"), table, deliveries)
            bar.update()
            _write_landing(config.landing, table, plans[feed], deliveries, summary)
            bar.update()
            key = KEY_COLUMN[feed]
            tables[feed] = FeedTable(feed, {key: table.data[key]}, table.person, table.created, table.errors)
            plans[feed].earlier = {}
            del table
        summary.truth_files = _write_truth(config.truth, world, county, tables, plans, deliveries, summary)
        bar.update()
        summary.reference_files = write_reference(county, config.reference)
        bar.update()
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - started
    per_feed = ", ".join(f"{feed} {summary.records[feed]}" for feed in FEED_ORDER)
    logger.info(
        "veru-synth: %d records (%s), %d persons, %d deliveries, %.1f s",
        summary.total_records,
        per_feed,
        summary.people,
        len(deliveries),
        summary.seconds,
    )
    return summary


def _write_landing(landing: Path, table: FeedTable, p: DeliveryPlan, deliveries, summary: GenerationSummary) -> None:
    feed = table.feed
    columns = FEED_COLUMNS[feed]
    keys = table.keys
    final_cols = [table.data[c] for c in columns]
    earlier_cols = [p.earlier[c] for c in columns]
    resent = p.resent_to >= 0
    total = 0
    for d in deliveries:
        k = d.index
        first_here = np.flatnonzero(p.first == k)
        again_here = np.flatnonzero(p.resent_to == k)
        use_earlier = resent[first_here]
        rows: list[tuple[str, ...]] = []
        plain = first_here[~use_earlier]
        rows.extend(zip(*(col[plain] for col in final_cols), strict=True))
        old = first_here[use_earlier]
        rows.extend(zip(*(col[old] for col in earlier_cols), strict=True))
        rows.extend(zip(*(col[again_here] for col in final_cols), strict=True))
        key_pos = columns.index(KEY_COLUMN[feed])
        rows.sort(key=lambda r: r[key_pos])
        path = landing / feed / f"{feed}_{d.extract_date.isoformat()}.csv"
        total += write_csv(path, columns, rows, bom=BOM[feed](k), crlf=feed in CRLF)
        summary.landing_files.append(path)
    summary.records[feed] = total
    summary.distinct_keys[feed] = int(np.unique(keys).size)
    summary.resent[feed] = int(resent.sum())


def _write_truth(
    truth: Path, world: World, county, tables, plans, deliveries, summary: GenerationSummary
) -> list[Path]:
    pop = world.population
    pid = pop.person_ids()
    gt_rows: list[tuple[str, str, str]] = []
    err_rows: list[tuple[str, str, str]] = []
    resent_rows: list[tuple[str, str, str, str, str]] = []
    dates = [d.extract_date.isoformat() for d in deliveries]
    for feed in FEED_ORDER:
        t = tables[feed]
        keys = t.keys
        order = np.argsort(keys, kind="stable")
        gt_rows.extend(zip([feed] * t.size, keys[order].tolist(), pid[t.person[order]].tolist(), strict=True))
        feed_errors = []
        for idx, name in t.errors:
            feed_errors.extend((str(k), name) for k in keys[idx])
        feed_errors.sort()
        err_rows.extend((feed, k, e) for k, e in feed_errors)
        p = plans[feed]
        for i in np.flatnonzero(p.resent_to >= 0)[np.argsort(keys[p.resent_to >= 0], kind="stable")]:
            resent_rows.append((feed, str(keys[i]), dates[p.first[i]], dates[p.resent_to[i]], str(p.change[i])))
    summary.errors = len(err_rows)
    paths = []
    path = truth / "ground_truth.csv"
    write_csv(path, ("source_feed", "record_key", "person_id"), gt_rows)
    paths.append(path)
    path = truth / "errors.csv"
    write_csv(path, ("source_feed", "record_key", "error"), err_rows)
    paths.append(path)
    path = truth / "resent.csv"
    write_csv(path, ("source_feed", "record_key", "first_delivery", "resent_delivery", "change"), resent_rows)
    paths.append(path)
    path = truth / "persons.csv"
    flag_names = list(pop.flags)
    header = (
        "person_id",
        "sex",
        "dob",
        "ethnic_group",
        "ethnicity",
        "name_origin",
        "council",
        "lsoa21cd",
        "cohort",
        *flag_names,
    )
    dob = pop.dob.astype("datetime64[D]").astype(str)
    council_names = np.array([c.name for c in COUNCILS], dtype=object)
    flags = [np.where(pop.flags[f], "Y", "N") for f in flag_names]
    rows = list(
        zip(
            pid.tolist(),
            np.where(pop.male, "M", "F").tolist(),
            dob.tolist(),
            codes.ETH_GROUP[pop.eth].tolist(),
            codes.ETH_NAME[pop.eth].tolist(),
            np.array(ORIGINS)[pop.origin].tolist(),
            council_names[county.lsoa_council[pop.lsoa]].tolist(),
            county.lsoa_code[pop.lsoa].tolist(),
            np.array(COHORTS)[pop.cohort].tolist(),
            *[f.tolist() for f in flags],
            strict=False,
        )
    )
    write_csv(path, header, rows)
    paths.append(path)
    path = truth / "README.txt"
    path.write_text(TRUTH_README, encoding="utf-8")
    paths.append(path)
    return paths
