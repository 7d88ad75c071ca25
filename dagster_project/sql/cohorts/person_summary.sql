-- cohorts.person_summary: one row per linked person, with record counts per feed and role and first/last event dates.
--
-- Columns
--   person_id               linked person (from linkage.person_records)
--   police_victim           police records where the person is the VICTIM
--   police_suspect          police records where the person is a SUSPECT
--   police_offender         police records where the person is an OFFENDER
--   police_witness          police records where the person is a WITNESS
--   ae_attendances          emergency-department assault attendances
--   social_care_referrals   children's social care referrals
--   yos_outcomes            youth offending service outcomes
--   feeds_present           how many of the four feeds hold the person (1-4)
--   first_event_date        earliest event (offence, attendance, referral, outcome)
--   last_event_date         latest event
CREATE OR REPLACE TABLE cohorts.person_summary AS
WITH events AS (
    SELECT 'police' AS source_feed, record_key, role, event_date FROM staging.police
    UNION ALL
    SELECT 'health', record_key, NULL, event_date FROM staging.health
    UNION ALL
    SELECT 'social_care', record_key, NULL, event_date FROM staging.social_care
    UNION ALL
    SELECT 'yos', record_key, NULL, event_date FROM staging.yos
)
SELECT
    pr.person_id,
    count(*) FILTER (WHERE e.source_feed = 'police' AND e.role = 'VICTIM')   AS police_victim,
    count(*) FILTER (WHERE e.source_feed = 'police' AND e.role = 'SUSPECT')  AS police_suspect,
    count(*) FILTER (WHERE e.source_feed = 'police' AND e.role = 'OFFENDER') AS police_offender,
    count(*) FILTER (WHERE e.source_feed = 'police' AND e.role = 'WITNESS')  AS police_witness,
    count(*) FILTER (WHERE e.source_feed = 'health')                         AS ae_attendances,
    count(*) FILTER (WHERE e.source_feed = 'social_care')                    AS social_care_referrals,
    count(*) FILTER (WHERE e.source_feed = 'yos')                            AS yos_outcomes,
    count(DISTINCT e.source_feed)                                            AS feeds_present,
    min(e.event_date)                                                        AS first_event_date,
    max(e.event_date)                                                        AS last_event_date
FROM linkage.person_records AS pr
JOIN events AS e USING (source_feed, record_key)
GROUP BY pr.person_id
ORDER BY pr.person_id;
