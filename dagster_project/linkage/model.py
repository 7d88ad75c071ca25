"""The Splink model that links records across all feeds using tokens only.

Comparisons are designed for the encodings in `pseudonymise.encode`: exact tokens, Dice
similarity of name Bloom filters computed in SQL, phonetic tokens, date-of-birth parts and
day/month swaps, postcode unit/sector/district, NHS and PNC numbers, and an agency's own
person id. The model is trained without labels (u by random sampling, m by EM over several
blocking passes) and saved as JSON with its training charts.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

MODEL_NAME = "veru_tokens"
MODEL_VERSION = "2"
VARIANTS = ("fuzzy", "exact")


def dice_sql(column: str) -> str:
    """Dice similarity of two Bloom-filter BLOBs, in DuckDB SQL."""
    left, right = f"{column}_l::BIT", f"{column}_r::BIT"
    return f"(2.0 * bit_count({left} & {right}) / nullif(bit_count({left}) + bit_count({right}), 0))"


def _comparison(name: str, description: str, levels: list, fuzzy_levels: list, fuzzy: bool):
    """A comparison whose first levels are exact; the fuzzy levels only in the fuzzy model."""
    return cl.CustomComparison(
        output_column_name=name,
        comparison_description=description,
        comparison_levels=[*levels, *(fuzzy_levels if fuzzy else []), cll.ElseLevel()],
    )


def _forename(fuzzy: bool) -> cl.CustomComparison:
    return _comparison(
        "forename",
        "First forename: exact token, swapped with surname, nickname/transliteration group, "
        "Bloom-filter Dice, phonetic",
        [
            cll.NullLevel("fn_tok"),
            cll.ExactMatchLevel("fn_tok", term_frequency_adjustments=True).configure(label_for_charts="Exact forename"),
        ],
        [
            cll.CustomLevel("fn_tok_l = sn_tok_r", "Forename equals the other's surname (swapped)"),
            cll.CustomLevel(
                "list_has_any(fn_nv_toks_l, fn_nv_toks_r)", "Forenames are variants (nickname, transliteration)"
            ),
            cll.CustomLevel(f"{dice_sql('fn_bf')} >= 0.75", "Forename Dice >= 0.75"),
            cll.CustomLevel("fn_ph_l = fn_ph_r", "Forename sounds alike (NYSIIS)"),
            cll.CustomLevel(f"{dice_sql('fn_bf')} >= 0.55", "Forename Dice >= 0.55"),
        ],
        fuzzy,
    )


def _surname(fuzzy: bool) -> cl.CustomComparison:
    return _comparison(
        "surname",
        "Surname: exact token, swapped, shared part of a double-barrelled name, variant group, Dice, phonetic",
        [
            cll.NullLevel("sn_tok"),
            cll.ExactMatchLevel("sn_tok", term_frequency_adjustments=True).configure(label_for_charts="Exact surname"),
        ],
        [
            cll.CustomLevel("sn_tok_l = fn_tok_r", "Surname equals the other's forename (swapped)"),
            cll.CustomLevel("list_has_any(sn_part_toks_l, sn_part_toks_r)", "Surnames share a part (double-barrelled)"),
            cll.CustomLevel(
                "list_has_any(sn_nv_toks_l, sn_nv_toks_r)", "Surnames are variants (transliteration, gendered form)"
            ),
            cll.CustomLevel(f"{dice_sql('sn_bf')} >= 0.75", "Surname Dice >= 0.75"),
            cll.CustomLevel("sn_ph_l = sn_ph_r", "Surname sounds alike (NYSIIS)"),
            cll.CustomLevel(f"{dice_sql('sn_bf')} >= 0.55", "Surname Dice >= 0.55"),
        ],
        fuzzy,
    )


def _dob(fuzzy: bool) -> cl.CustomComparison:
    y, m, d = "dob_y_tok_l = dob_y_tok_r", "dob_m_tok_l = dob_m_tok_r", "dob_d_tok_l = dob_d_tok_r"
    return _comparison(
        "dob",
        "Date of birth: exact, day/month swapped, two of three parts, year, within about 2 years "
        "(else: born years apart, e.g. a father and son)",
        [cll.NullLevel("dob_tok"), cll.ExactMatchLevel("dob_tok").configure(label_for_charts="Exact date of birth")],
        [
            cll.CustomLevel("dob_swap_tok_l = dob_tok_r", "Day and month swapped"),
            cll.CustomLevel(f"({y} AND {m}) OR ({y} AND {d}) OR ({m} AND {d})", "Two of day, month, year agree"),
            cll.CustomLevel(y, "Year of birth agrees"),
            cll.CustomLevel("list_has_any(dob_band_toks_l, dob_band_toks_r)", "Born within about 2 years"),
        ],
        fuzzy,
    )


def _postcode(fuzzy: bool) -> cl.CustomComparison:
    return _comparison(
        "postcode",
        "Home postcode: unit, sector, district",
        [cll.NullLevel("pc_tok"), cll.ExactMatchLevel("pc_tok").configure(label_for_charts="Same postcode")],
        [
            cll.CustomLevel("pc_sector_tok_l = pc_sector_tok_r", "Same postcode sector"),
            cll.CustomLevel("pc_district_tok_l = pc_district_tok_r", "Same postcode district"),
        ],
        fuzzy,
    )


def _exact(column: str, name: str, description: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=name,
        comparison_description=description,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(label_for_charts=f"Same {name}"),
            cll.ElseLevel(),
        ],
    )


def _sex() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="sex",
        comparison_description="Recorded sex (U treated as missing)",
        comparison_levels=[
            cll.CustomLevel("sex_l IS NULL OR sex_r IS NULL OR sex_l = 'U' OR sex_r = 'U'").configure(
                is_null_level=True, label_for_charts="sex missing or unknown"
            ),
            cll.ExactMatchLevel("sex").configure(label_for_charts="Same sex"),
            cll.ElseLevel(),
        ],
    )


# Blocking rules that generate candidate pairs for prediction. Each catches matches the
# others miss: identifier numbers where present; date of birth with a name sound; names
# with a year or place when the date is wrong; swapped dates and swapped names.
PREDICTION_BLOCKING_RULES: list[Any] = [
    block_on("nhs_tok"),
    block_on("pnc_tok"),
    block_on("local_id_tok"),
    block_on("dob_tok", "sn_ph"),
    block_on("dob_tok", "fn_ph"),
    block_on("dob_tok", "pc_sector_tok"),
    block_on("fn_ph", "sn_ph", "dob_y_tok"),
    block_on("fn_ph", "sn_ph", "pc_district_tok"),
    "l.dob_swap_tok = r.dob_tok AND l.sn_ph = r.sn_ph",
    "l.fn_tok = r.sn_tok AND l.sn_tok = r.fn_tok",
]
# The exact-tokens-only model blocks on whole-field tokens only.
EXACT_PREDICTION_BLOCKING_RULES: list[Any] = [
    block_on("nhs_tok"),
    block_on("pnc_tok"),
    block_on("local_id_tok"),
    block_on("dob_tok", "sn_tok"),
    block_on("dob_tok", "fn_tok"),
    block_on("dob_tok", "pc_tok"),
    block_on("fn_tok", "sn_tok", "pc_tok"),
]

# EM passes: each blocks on fields whose m-probabilities it therefore cannot estimate, so
# together they estimate every comparison; Splink takes the median over passes. Pairs that
# share an NHS number, a PNC id or a council's child id are almost all the same person, so
# those passes measure how one person's identifiers disagree without the family members
# (same surname and address, a different person) that contaminate any pass blocked on names
# or addresses. Dates of birth are trained on those three passes only: a pass blocked on
# name sounds counted fathers and sons as "matches with a wrong date of birth" and made
# completely different dates of birth look six times more common in true matches.
TRAINING_BLOCKING_RULES: list[Any] = [
    block_on("nhs_tok"),
    block_on("pnc_tok"),
    block_on("local_id_tok"),
    block_on("dob_tok"),
    block_on("pc_tok", "dob_y_tok"),
]
EXACT_TRAINING_BLOCKING_RULES: list[Any] = [
    block_on("nhs_tok"),
    block_on("pnc_tok"),
    block_on("local_id_tok"),
    block_on("dob_tok"),
    block_on("pc_tok"),
]

# Rules that are almost always true matches, used to estimate the prior match rate.
DETERMINISTIC_RULES: list[Any] = [
    block_on("nhs_tok"),
    block_on("pnc_tok"),
    block_on("fn_tok", "sn_tok", "dob_tok"),
]


def training_rules(variant: str = "fuzzy") -> list[Any]:
    return TRAINING_BLOCKING_RULES if variant == "fuzzy" else EXACT_TRAINING_BLOCKING_RULES


def settings(variant: str = "fuzzy") -> SettingsCreator:
    """The model. `variant="exact"` is the same model on whole-field exact tokens only (no
    Dice, phonetic, variant, part, swap or date-part levels), kept to measure what the
    fuzzy encodings add."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}. Supplied value {variant!r}.")
    fuzzy = variant == "fuzzy"
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            _forename(fuzzy),
            _surname(fuzzy),
            _dob(fuzzy),
            _postcode(fuzzy),
            _exact("nhs_tok", "nhs_number", "NHS number (validated, tokenised)"),
            _exact("pnc_tok", "pnc", "Police national computer id (unified format, tokenised)"),
            _exact("local_id_tok", "local_id", "An agency's own person id (council + child id)"),
            _sex(),
        ],
        blocking_rules_to_generate_predictions=PREDICTION_BLOCKING_RULES if fuzzy else EXACT_PREDICTION_BLOCKING_RULES,
        additional_columns_to_retain=["source_feed"],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        max_iterations=20,
        em_convergence=0.001,
    )
