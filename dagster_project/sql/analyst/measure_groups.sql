-- One k-anonymity figure: the units of a qi_* view (optionally filtered) grouped by a set of quasi-identifiers, with how many units sit in groups of fewer than k persons and of one person. Filled in by anonymise.figure_sqls: {units}, {where}, {columns}.
WITH groups AS (
    SELECT {columns}, count(DISTINCT person_id) AS persons, count(*) AS units
    FROM qi_{units}
    WHERE {where}
    GROUP BY ALL
)
SELECT
    coalesce(sum(units), 0)::BIGINT AS units,
    coalesce(sum(units) FILTER (WHERE persons < getvariable('anon_k')), 0)::BIGINT AS below_k,
    coalesce(sum(units) FILTER (WHERE persons = 1), 0)::BIGINT AS singled_out,
    count(*)::BIGINT AS groups
FROM groups;
