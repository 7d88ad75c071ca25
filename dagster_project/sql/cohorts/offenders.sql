-- cohorts.offenders: persons recorded as a suspect or offender by police, or given a youth offending service outcome.
--
-- Columns
--   person_id              the linked person
--   police_suspect         police records as a suspect
--   police_offender        police records as an offender (charged or convicted)
--   yos_outcomes           youth offending service outcomes
--   domestic_abuse         police suspect/offender records flagged domestic-abuse related
--   sexual_offences        police suspect/offender records for rape or another sexual offence
--   knife                  police suspect/offender records involving a knife, or YOS weapons offences
--   first_offending        date of the first suspect/offender record or YOS outcome
--   last_offending         date of the most recent one
--   age_at_first           age at the earliest of them whose record has a date of birth
CREATE OR REPLACE TABLE cohorts.offenders AS
SELECT
    person_id,
    count(*) FILTER (WHERE feed = 'police' AND role = 'SUSPECT') AS police_suspect,
    count(*) FILTER (WHERE feed = 'police' AND role = 'OFFENDER') AS police_offender,
    count(*) FILTER (WHERE feed = 'yos') AS yos_outcomes,
    count(*) FILTER (WHERE domestic_abuse) AS domestic_abuse,
    count(*) FILTER (WHERE sexual_offence) AS sexual_offences,
    count(*) FILTER (WHERE knife) AS knife,
    min(event_date) AS first_offending,
    max(event_date) AS last_offending,
    arg_min(age_at_event, strftime(event_date, '%Y%m%d') || lpad(event_id::VARCHAR, 12, '0'))
        FILTER (WHERE age_at_event IS NOT NULL) AS age_at_first
FROM cohorts.events
WHERE offending(feed, role)
GROUP BY person_id
ORDER BY person_id;
