"""The agency feeds: formats (FEEDS.md), reading deliveries, parsing and ingest."""

from dagster_project.feeds.catalogue import FEED_NAMES, FEEDS
from dagster_project.feeds.spec import FeedSpec

__all__ = ["FEEDS", "FEED_NAMES", "FeedSpec"]
