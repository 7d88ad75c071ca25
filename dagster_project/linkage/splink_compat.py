"""A floor under expectation-maximisation estimates, and a Splink 5.0.0 workaround.

When EM estimates a level's m (or u) probability as exactly 0.0 (no pair of a training pass
fell in that level with any weight), Splink 5's setter validation raises `ValueError:
m_probability value 0.0 is below the minimum allowed value of 1e-300` and training fails
(Splink's design, moj-analytical-services/splink#2851, is to clamp such values; the check
was meant for values a user sets). Clamping to 1e-300 would still be wrong for linkage: a
level never seen in one training pass (say, completely different dates of birth among pairs
sharing an NHS number) would then carry about -1000 bits, a veto no data supports. So EM
estimates are floored at `EM_PROBABILITY_FLOOR` (1e-5: a level seen in fewer than one in
100,000 matches), only while our training runs; the floored levels are logged. It is a
no-op if the internals it wraps change shape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

EM_PROBABILITY_FLOOR = 1e-5


def _clamped(lookup: dict[str, dict[int, Any]], floor: float) -> dict[str, dict[int, Any]]:
    out: dict[str, dict[int, Any]] = {}
    for column, levels in lookup.items():
        out[column] = {}
        for level, record in levels.items():
            record = dict(record)
            for name in ("m_probability", "u_probability"):
                value = record.get(name)
                if isinstance(value, (int, float)) and value < floor:
                    logger.info(
                        "Splink EM estimated %s=%r for %s level %s; floored at %g", name, value, column, level, floor
                    )
                    record[name] = floor
            out[column][level] = record
    return out


@contextmanager
def clamp_em_estimates() -> Iterator[None]:
    try:
        from splink.internals import comparison_level
        from splink.internals import expectation_maximisation as em
    except ImportError:  # pragma: no cover - a different Splink layout: nothing to patch
        yield
        return
    original = getattr(em, "populate_m_u_from_lookup", None)
    if original is None or getattr(comparison_level, "M_U_CLAMP_MIN", None) is None:
        yield
        return

    def populate(training_fixed_probabilities, comparison_level, output_column_name, lookup):
        return original(
            training_fixed_probabilities, comparison_level, output_column_name, _clamped(lookup, EM_PROBABILITY_FLOOR)
        )

    # Passes blocked on an NHS number or PNC id hold almost only true matches, so they never
    # see some levels (e.g. "different sex"); Splink warns about each, though the median
    # over passes fills them. Those warnings are expected here and are quieted.
    em_logger = logging.getLogger(em.__name__)
    level = em_logger.level
    em.populate_m_u_from_lookup = populate
    em_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original
        em_logger.setLevel(level)


def fill_unobserved_m(linker, identifier_pairs: int) -> list[str]:
    """Give every level that no training pass observed an m from the rule of three.

    A level never seen among `identifier_pairs` pairs that share an NHS number, PNC id or
    child id (almost all true matches) occurs in fewer than 3/N of matches, with 95%
    confidence; that bound is a far better estimate than Splink's default m for an
    untrained level. Returns the labels filled, for the log.
    """
    if identifier_pairs <= 0:
        return []
    bound = min(0.5, 3.0 / identifier_pairs)
    filled = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            if level._has_estimated_m_values or level._fix_m_probability:
                continue
            level._add_trained_m_probability(
                bound, f"rule of three: not seen in {identifier_pairs:,} identifier-matched pairs"
            )
            filled.append(f"{comparison.output_column_name}: {level.label_for_charts}")
    if filled:
        linker._populate_m_u_from_trained_values()
        logger.info("m from the rule of three (%g) for levels no training pass observed: %s", bound, "; ".join(filled))
    return filled
