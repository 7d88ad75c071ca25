"""Synthetic feeds for the platform: the yardstick for linkage quality.

``generate(SyntheticConfig(...))`` writes the four agencies' deliveries in the FEEDS.md
formats into a landing directory, the ground truth (which true person is behind every record,
and which identifier errors were injected) into a truth directory, and a synthetic stand-in for
the ONS geography lookups into a reference directory. ``veru-synth`` is the command line.
"""

from .config import FEED_ORDER, GenerationSummary, SyntheticConfig
from .generator import generate
from .output import OutputDirectoryError

__all__ = ["FEED_ORDER", "GenerationSummary", "OutputDirectoryError", "SyntheticConfig", "generate"]
