"""A narrow workaround for Splink 5.0.0 expectation maximisation.

When EM estimates a level's m (or u) probability as exactly 0.0 (every pair in that level
is a near-certain non-match, so the weights underflow), Splink 5's new setter validation
raises `ValueError: m_probability value 0.0 is below the minimum allowed value of 1e-300`
and the whole training fails. Splink's own design (moj-analytical-services/splink#2851) is
to clamp such values to `M_U_CLAMP_MIN`; the validation was meant for values a user sets.
This clamps EM-estimated values to that minimum, only while our training runs, and logs
which level was clamped. It is a no-op if the internals it wraps change shape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)


def _clamped(lookup: dict[str, dict[int, Any]], floor: float) -> dict[str, dict[int, Any]]:
    out: dict[str, dict[int, Any]] = {}
    for column, levels in lookup.items():
        out[column] = {}
        for level, record in levels.items():
            record = dict(record)
            for name in ("m_probability", "u_probability"):
                value = record.get(name)
                if isinstance(value, (int, float)) and value < floor:
                    logger.info("Splink EM estimated %s=%r for %s level %s; clamped to %g", name, value, column, level, floor)
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
    floor = getattr(comparison_level, "M_U_CLAMP_MIN", None)
    if original is None or floor is None:
        yield
        return

    def populate(training_fixed_probabilities, comparison_level, output_column_name, lookup):
        return original(training_fixed_probabilities, comparison_level, output_column_name, _clamped(lookup, floor))

    em.populate_m_u_from_lookup = populate
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original
