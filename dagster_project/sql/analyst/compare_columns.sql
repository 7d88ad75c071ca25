-- For each column of a published default-tier table, how many of its rows differ from the same table derived from the published events, matched on the key. Filled in by anonymise.derivation_problems: {published}, {derived}, {key}, {counts} (one count(*) FILTER (WHERE p.c IS DISTINCT FROM d.c) per column).
SELECT {counts}
FROM {published} AS p
JOIN {derived} AS d USING ({key});
