"""The agency feeds as code (FEEDS.md): column specs and the catalogue, the landing zone
(`landing`: which files are deliveries, which are refused unread), the streaming reader
(`delivery`), parsing into staged frames (`spec`) and the verdict ledger (`verdicts`).

Data flows from here to staging. Feeds may import `pseudonymise` (standardising identifiers)
and the base modules (`settings`, `warehouse`); never staging, quality, linkage, publication,
the Dagster layer or the tools (`make lint`).
"""

from dagster_project.feeds.catalogue import FEED_NAMES, FEEDS
from dagster_project.feeds.spec import FeedSpec

__all__ = ["FEEDS", "FEED_NAMES", "FeedSpec"]
