-- Rows of a published default-tier table against the same table derived from the published events: keys only in the published one, keys only in the derived one, and keys published more than once. Filled in by anonymise.derivation_problems: {published}, {derived}, {key}.
SELECT
    (SELECT count(*) FROM {published} AS p ANTI JOIN {derived} AS d USING ({key})) AS only_published,
    (SELECT count(*) FROM {derived} AS d ANTI JOIN {published} AS p USING ({key})) AS only_derived,
    (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {published} GROUP BY {key})) AS repeated;
