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
                    logger.info("Splink EM estimated %s=%r for %s level %s; floored at %g", name, value, column, level, floor)
                    record[name] = floor
            out[column][level] = record
    return out


@contextmanager
def clamp_em_estimates() -> Iterator[None]:
    try:
        from splink.internals import comparison_level, expectation_maximisation as em
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

    em.populate_m_u_from_lookup = populate
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original
