-- cohorts.person_summary in the default tier: records per feed and role for every published person, and the months of the first and last event where the published periods pin them. Derived from the published events alone (published_spans).
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
    person_id,
    count(*) FILTER (WHERE feed = 'police' AND role = 'VICTIM') AS police_victim,
    count(*) FILTER (WHERE feed = 'police' AND role = 'SUSPECT') AS police_suspect,
    count(*) FILTER (WHERE feed = 'police' AND role = 'OFFENDER') AS police_offender,
    count(*) FILTER (WHERE feed = 'police' AND role = 'WITNESS') AS police_witness,
    count(*) FILTER (WHERE feed = 'health') AS ae_attendances,
    count(*) FILTER (WHERE feed = 'social_care') AS social_care_referrals,
    count(*) FILTER (WHERE feed = 'yos') AS yos_outcomes,
    count(DISTINCT feed) AS feeds_present,
    first_month(period_start, period_end) AS first_event_month,
    last_month(period_start, period_end) AS last_event_month
FROM published_spans
GROUP BY person_id
ORDER BY person_id;
