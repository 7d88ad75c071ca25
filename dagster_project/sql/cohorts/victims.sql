-- cohorts.victims: persons recorded by police as the victim of an offence (any offence group in the extract: violence, sexual offences, robbery, public order, ...) or attending the emergency department after an assault.
--
-- A person seen by both police and A&E for the same assault counts once here but has two
-- victimisations (one of each); use violence_or_sexual for the Home Office violence and sexual
-- offences groups only.
--
-- Columns
--   person_id               the linked person
--   victimisations          police victim records plus A&E assault attendances
--   police_victimisations   offences where police recorded the person as the victim
--   ae_attendances          emergency-department attendances for assault
--   domestic_abuse          police victimisations flagged domestic-abuse related
--   sexual_offences         police victimisations for rape or another sexual offence
--   violence_or_sexual      police victimisations in the Home Office violence against the person or sexual offences groups
--   knife                   victimisations involving a knife or sharp instrument (police or A&E)
--   night_time_economy      victimisations on a Friday or Saturday night (20:00 to 03:59)
--   first_victimisation     date of the first victimisation
--   last_victimisation      date of the most recent victimisation
--   age_at_first            age at the earliest victimisation whose record has a date of birth
CREATE OR REPLACE TABLE cohorts.victims AS
SELECT
    person_id,
    count(*) AS victimisations,
    count(*) FILTER (WHERE feed = 'police') AS police_victimisations,
    count(*) FILTER (WHERE feed = 'health') AS ae_attendances,
    count(*) FILTER (WHERE domestic_abuse) AS domestic_abuse,
    count(*) FILTER (WHERE sexual_offence) AS sexual_offences,
    count(*) FILTER (WHERE violence_or_sexual) AS violence_or_sexual,
    count(*) FILTER (WHERE knife) AS knife,
    count(*) FILTER (WHERE night_time_economy) AS night_time_economy,
    min(event_date) AS first_victimisation,
    max(event_date) AS last_victimisation,
    arg_min(age_at_event, strftime(event_date, '%Y%m%d') || lpad(event_id::VARCHAR, 12, '0'))
        FILTER (WHERE age_at_event IS NOT NULL) AS age_at_first
FROM cohorts.events
WHERE victimisation(feed, role)
GROUP BY person_id
ORDER BY person_id;
