-- cohorts.victim_offender_overlap in the default tier: published persons who are both victims and offenders, with which came first and the gap in months, worked out from the events' published periods only. Derived from the published events alone (published_spans).
--
-- The earliest victimisation lies between the earliest start and the earliest end of the
-- published periods of the person's victimisations (likewise the earliest offending); when
-- an event's period is not published, neither is anything that depends on it.
--
-- Columns
--   person_id                  the person in this publication (cohorts.persons)
--   victimisations             victimisations (police victim records and A&E assault attendances)
--   offending                  suspect/offender records and YOS outcomes
--   first_victimisation_month  month (YYYY-MM) of the first victimisation, when the published periods pin it
--   first_offending_month      month of the first offending, likewise
--   sequence                   victim_first or offender_first when the published periods order them, same_month when both fall in one month, NULL when they cannot tell
--   gap_months                 months from the first victimisation to the first offending (negative when offending came first), when both months are known
CREATE OR REPLACE TEMP TABLE default_victim_offender_overlap AS
WITH spans AS (
    SELECT
        person_id,
        victimisation(feed, role) AS victimisation,
        count(*) AS events,
        CASE WHEN count(*) = count(period_start) THEN min(period_start) END AS earliest_from,
        CASE WHEN count(*) = count(period_start) THEN min(period_end) END AS earliest_to,
        first_month(period_start, period_end) AS first_month
    FROM published_spans
    WHERE (feed = 'police' AND role IN ('VICTIM', 'SUSPECT', 'OFFENDER')) OR feed IN ('health', 'yos')
    GROUP BY ALL
),
pairs AS (
    SELECT
        v.person_id,
        v.events AS victimisations, o.events AS offending,
        v.earliest_from AS v_from, v.earliest_to AS v_to, v.first_month AS v_month,
        o.earliest_from AS o_from, o.earliest_to AS o_to, o.first_month AS o_month
    FROM spans AS v
    JOIN spans AS o ON o.person_id = v.person_id AND NOT o.victimisation
    WHERE v.victimisation
)
SELECT
    person_id,
    victimisations,
    offending,
    v_month AS first_victimisation_month,
    o_month AS first_offending_month,
    CASE
        WHEN v_to < o_from THEN 'victim_first'
        WHEN o_to < v_from THEN 'offender_first'
        WHEN v_month = o_month THEN 'same_month'
    END AS sequence,
    date_diff('month', strptime(v_month, '%Y-%m'), strptime(o_month, '%Y-%m'))::INTEGER AS gap_months
FROM pairs
ORDER BY person_id;
