-- cohorts.offenders in the default tier: published persons recorded as a police suspect or offender or given a YOS outcome, their counts, and the months of the first and last offending where the published periods pin them. Derived from the published events alone (published_spans).
--
-- Columns
--   person_id              the person in this publication (cohorts.persons)
--   police_suspect         police records as a suspect
--   police_offender        police records as an offender (charged or convicted)
--   yos_outcomes           youth offending service outcomes
--   domestic_abuse         police suspect/offender records flagged domestic-abuse related
--   sexual_offences        police suspect/offender records for rape or another sexual offence
--   knife                  police suspect/offender records involving a knife, or YOS weapons offences
--   first_offending_month  month (YYYY-MM) of the first suspect/offender record or YOS outcome, when the published periods pin it to one month
--   last_offending_month   month of the most recent one, likewise
CREATE OR REPLACE TEMP TABLE default_offenders AS
SELECT
    person_id,
    count(*) FILTER (WHERE feed = 'police' AND role = 'SUSPECT') AS police_suspect,
    count(*) FILTER (WHERE feed = 'police' AND role = 'OFFENDER') AS police_offender,
    count(*) FILTER (WHERE feed = 'yos') AS yos_outcomes,
    count(*) FILTER (WHERE domestic_abuse) AS domestic_abuse,
    count(*) FILTER (WHERE sexual_offence) AS sexual_offences,
    count(*) FILTER (WHERE knife) AS knife,
    first_month(period_start, period_end) AS first_offending_month,
    last_month(period_start, period_end) AS last_offending_month
FROM published_spans
WHERE offending(feed, role)
GROUP BY person_id
ORDER BY person_id;
