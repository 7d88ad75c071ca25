"""Tools around the platform, never part of a run: benchmarks (`bench`), the run report
(`report`), the broken-feed drill and `veru-break` (`drill`, `break_feeds`), the plaintext
linkage baseline (`plaintext_baseline`) and the attacks on pseudonyms and published tables
(`pseudonym_attacks`, `publication_attack`).

Tools may import anything in the package; nothing in the package imports a tool.
"""
