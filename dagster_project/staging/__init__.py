"""Staging: one feed's run, from the landing zone to `staging.<feed>`.

`run.stage_feed` discovers a feed's deliveries, reads them (`feeds.delivery`), validates them
(`quality.suites`), pseudonymises plaintext (`pseudonymised`, with `pseudonymise`'s keys and
encodings), quarantines what cannot be used (`quarantine`), writes the warehouse and the
linkage zone (`store`) and judges the feed's health. The agency command (`agency`,
`veru-pseudonymise`) prepares a plaintext delivery with the same `ingest.prepare_plaintext`,
so an agency and the platform judge a file alike; `release` (`veru-release`) puts a
quarantined delivery back.

Staging may import `feeds`, `pseudonymise`, `quality`, `warehouse` and `settings`; nothing
but the Dagster layer and the tools imports staging.
"""
