"""The four agency feeds, column for column as FEEDS.md describes them."""

from __future__ import annotations

import polars as pl

from dagster_project.feeds.columns import (
    DFE_ETHNICITY,
    NHS_ETHNICITY,
    POLICE_ETHNICITY,
    Attribute,
    Code,
    Count,
    Flag,
    Pattern,
    Timestamp,
)
from dagster_project.feeds.spec import FeedSpec
from dagster_project.pseudonymise import standardise as std

LSOA = Pattern(r"^E01[0-9]{6}$", upper=True)
SEX_MFU = Code({"M": "M", "F": "F", "U": "U"})
SEX_WORDS = Code({"Male": "M", "Female": "F", "Unknown": "U"})
SEX_ECDS = Code({"1": "M", "2": "F", "9": "U", "0": "U"})


def _police_identity(df: pl.DataFrame) -> pl.DataFrame:
    df = std.standardise_forenames(df, "forenames")
    df = std.standardise_surname(df, "surname")
    df = std.standardise_dob(df, "dob", "%d/%m/%Y", reference="event_date")
    df = std.standardise_postcode(df, "postcode")
    return std.standardise_pnc(df, "pnc_id")


POLICE = FeedSpec(
    name="police",
    key="nominal_link_id",
    key_pattern=r"^NL[0-9]{9}$",
    description="Occurrence-nominal extract from the force records system: one row per person linked to a crime.",
    columns=(
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
    ),  # fmt: skip
    attributes=(
        Attribute("occurrence_ref", "occurrence_ref", Pattern(r"^43/[0-9]{6}/[0-9]{2}$")),
        Attribute("role", "role", Code.of("VICTIM", "SUSPECT", "OFFENDER", "WITNESS")),
        Attribute("sex", "sex", SEX_MFU),
        Attribute("ethnicity", "ethnicity", POLICE_ETHNICITY),
        Attribute("offence_code", "offence_code", Pattern(r"^[0-9]{3}/[0-9]{2}$")),
        Attribute(
            "offence_group",
            "offence_group",
            Code.of(
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
            ),  # fmt: skip
        ),
        Attribute("occurrence_datetime", "event_at", Timestamp("%Y-%m-%d %H:%M")),
        Attribute("location_lsoa", "location_lsoa", LSOA),
        Attribute("domestic_abuse", "domestic_abuse", Flag()),
        Attribute("knife_or_sharp", "knife_or_sharp", Flag()),
        Attribute("drugs_or_alcohol", "drugs_or_alcohol", Flag()),
    ),
    identity=_police_identity,
    identifiers=("surname", "forenames", "dob", "postcode", "pnc_id"),
    checked_dates=(("occurrence_datetime", "%Y-%m-%d %H:%M"), ("dob", "%d/%m/%Y")),
)


def _social_care_identity(df: pl.DataFrame) -> pl.DataFrame:
    df = std.standardise_forenames(df, "first_name")
    df = std.standardise_surname(df, "last_name")
    df = std.standardise_dob(df, "dob", "%Y-%m-%d", reference="event_date")
    df = std.standardise_postcode(df, "postcode")
    df = std.standardise_nhs_number(df, "nhs_number")
    # The council's case number identifies a child within one council only.
    child = pl.col("child_id").str.strip_chars().str.to_uppercase()
    return df.with_columns(
        local_id=pl.when(child.is_not_null() & pl.col("local_authority").is_not_null()).then(
            pl.format("{}:{}", pl.col("local_authority"), child)
        )
    )


SOCIAL_CARE = FeedSpec(
    name="social_care",
    key="referral_id",
    key_pattern=r"^(BED|CBC|LUT)-R[0-9]{7}$",
    description="Children's social care referrals from the three councils' case systems.",
    columns=(
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
    ),  # fmt: skip
    attributes=(
        Attribute("local_authority", "local_authority", Code.of("Bedford", "Central Bedfordshire", "Luton")),
        Attribute("gender", "sex", SEX_WORDS),
        Attribute("ethnicity", "ethnicity", DFE_ETHNICITY),
        Attribute("referral_date", "event_at", Timestamp("%Y-%m-%d", date_only=True)),
        Attribute("referral_source", "referral_source", Code.of("Police", "School", "Health", "Self", "Other")),
        Attribute("primary_need", "primary_need", Code.of(*(f"N{i}" for i in range(1, 10)))),
        Attribute("cse_concern", "cse_concern", Flag()),
        Attribute("cce_concern", "cce_concern", Flag()),
        Attribute("missing_episodes", "missing_episodes", Count()),
        Attribute("child_protection_plan", "child_protection_plan", Flag()),
        Attribute("looked_after", "looked_after", Flag()),
    ),
    identity=_social_care_identity,
    identifiers=("child_id", "first_name", "last_name", "dob", "nhs_number", "postcode"),
    checked_dates=(("referral_date", "%Y-%m-%d"), ("dob", "%Y-%m-%d")),
)


def _health_identity(df: pl.DataFrame) -> pl.DataFrame:
    df = std.standardise_forenames(df, "forename")
    df = std.standardise_surname(df, "surname")
    df = std.standardise_dob(df, "date_of_birth", "%Y%m%d", reference="event_date")
    df = std.standardise_postcode(df, "postcode")
    return std.standardise_nhs_number(df, "nhs_number")


HEALTH = FeedSpec(
    name="health",
    key="attendance_id",
    key_pattern=r"^ED[0-9]{10}$",
    description="Emergency department attendances for assault (ECDS, both acute hospitals).",
    columns=(
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
    ),  # fmt: skip
    attributes=(
        Attribute("site", "site", Code.of("Luton and Dunstable", "Bedford")),
        Attribute("sex", "sex", SEX_ECDS),
        Attribute("ethnic_category", "ethnicity", NHS_ETHNICITY),
        Attribute("arrival_datetime", "event_at", Timestamp("%Y-%m-%dT%H:%M:%S")),
        Attribute(
            "assault_location_type",
            "assault_location_type",
            Code.of("Home", "Street", "Licensed premises", "School", "Other"),
        ),
        Attribute(
            "weapon",
            "weapon",
            Code.of("None", "Knife or blade", "Blunt object", "Firearm", "Other", "Unknown"),
        ),
        Attribute("admitted", "admitted", Flag()),
    ),
    identity=_health_identity,
    identifiers=("nhs_number", "forename", "surname", "date_of_birth", "postcode"),
    checked_dates=(("arrival_datetime", "%Y-%m-%dT%H:%M:%S"), ("date_of_birth", "%Y%m%d")),
)


def _yos_identity(df: pl.DataFrame) -> pl.DataFrame:
    df = std.split_full_name(df, "full_name")
    df = std.standardise_forenames(df, "forenames_raw")
    df = std.standardise_surname(df, "surname_raw")
    df = std.standardise_dob_two_digit_year(df, "dob", reference="event_date")
    df = std.standardise_postcode(df, "postcode")
    return std.standardise_pnc(df, "pnc_number")


YOS = FeedSpec(
    name="yos",
    key="yos_outcome_id",
    key_pattern=r"^YOS[0-9]{8}$",
    description="Youth Offending Service outcomes (Bedfordshire and Luton services).",
    columns=(
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
    ),  # fmt: skip
    attributes=(
        Attribute("service", "service", Code.of("Bedfordshire", "Luton")),
        Attribute("gender", "sex", Code({"Male": "M", "Female": "F"})),
        Attribute("ethnicity", "ethnicity", DFE_ETHNICITY),
        Attribute("outcome_date", "event_at", Timestamp("%d/%m/%Y", date_only=True)),
        Attribute(
            "outcome_type",
            "outcome_type",
            Code.of(
                "Community Resolution",
                "Youth Caution",
                "Youth Conditional Caution",
                "Referral Order",
                "Youth Rehabilitation Order",
                "Custody",
            ),  # fmt: skip
        ),
        Attribute(
            "offence_type",
            "offence_type",
            Code.of("Violence against the person", "Robbery", "Drugs", "Weapons", "Sexual", "Other"),
        ),
        Attribute("first_time_entrant", "first_time_entrant", Flag()),
        Attribute("exploitation_concern", "exploitation_concern", Flag()),
    ),
    identity=_yos_identity,
    identifiers=("full_name", "dob", "pnc_number", "postcode"),
    checked_dates=(("outcome_date", "%d/%m/%Y"), ("dob", "%d-%b-%y")),
)

FEEDS: dict[str, FeedSpec] = {f.name: f for f in (POLICE, SOCIAL_CARE, HEALTH, YOS)}
FEED_NAMES: tuple[str, ...] = tuple(FEEDS)
