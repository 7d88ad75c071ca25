-- cohorts.person_summary in the default tier: records per feed and role for every published person, and the months of the first and last event where the published periods pin them.
--
-- Columns
--   person_id               the person in this publication (cohorts.persons)
--   police_victim           police records where the person is the VICTIM
--   police_suspect          police records where the person is a SUSPECT
--   police_offender         police records where the person is an OFFENDER
--   police_witness          police records where the person is a WITNESS
--   ae_attendances          emergency-department assault attendances
--   social_care_referrals   children's social care referrals
--   yos_outcomes            youth offending service outcomes
--   feeds_present           how many of the four feeds hold the person (1-4)
--   first_event_month       month (YYYY-MM) of the earliest event, when the events' published periods pin it to one month
--   last_event_month        month of the latest event, likewise
CREATE OR REPLACE TEMP TABLE default_person_summary AS
SELECT
    p.default_id AS person_id,
    s.police_victim,
    s.police_suspect,
    s.police_offender,
    s.police_witness,
    s.ae_attendances,
    s.social_care_referrals,
    s.yos_outcomes,
    s.feeds_present,
    first_month(a.period_start, a.period_end) AS first_event_month,
    last_month(a.period_start, a.period_end) AS last_event_month
FROM cohorts.person_summary AS s
JOIN anon_person AS p USING (person_id)
JOIN anon_event AS a USING (person_id)
GROUP BY ALL
ORDER BY p.default_id;
