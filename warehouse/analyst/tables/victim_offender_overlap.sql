-- cohorts.victim_offender_overlap in the default tier: published persons who are both victims and offenders, with which came first and the gap in months, worked out from the events' published periods only.
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
        a.person_id,
        (e.feed = 'police' AND e.role = 'VICTIM') OR e.feed = 'health' AS victimisation,
        CASE WHEN count(*) = count(a.period_start) THEN min(a.period_start) END AS earliest_from,
        CASE WHEN count(*) = count(a.period_start) THEN min(a.period_end) END AS earliest_to,
        first_month(a.period_start, a.period_end) AS first_month
    FROM anon_event AS a
    JOIN cohorts.events AS e USING (event_id)
    WHERE (e.feed = 'police' AND e.role IN ('VICTIM', 'SUSPECT', 'OFFENDER')) OR e.feed IN ('health', 'yos')
    GROUP BY ALL
),
pairs AS (
    SELECT
        v.person_id,
        v.earliest_from AS v_from, v.earliest_to AS v_to, v.first_month AS v_month,
        o.earliest_from AS o_from, o.earliest_to AS o_to, o.first_month AS o_month
    FROM spans AS v
    JOIN spans AS o ON o.person_id = v.person_id AND NOT o.victimisation
    WHERE v.victimisation
)
SELECT
    p.default_id AS person_id,
    x.victimisations,
    x.offending,
    s.v_month AS first_victimisation_month,
    s.o_month AS first_offending_month,
    CASE
        WHEN s.v_to < s.o_from THEN 'victim_first'
        WHEN s.o_to < s.v_from THEN 'offender_first'
        WHEN s.v_month = s.o_month THEN 'same_month'
    END AS sequence,
    date_diff('month', strptime(s.v_month, '%Y-%m'), strptime(s.o_month, '%Y-%m'))::INTEGER AS gap_months
FROM cohorts.victim_offender_overlap AS x
JOIN anon_person AS p USING (person_id)
LEFT JOIN pairs AS s USING (person_id)
ORDER BY p.default_id;
