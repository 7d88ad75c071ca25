-- offenders_relations: relations between a cohorts.offenders row's own numbers that its suite cannot compare on text: at least one offence, and each flag's count within the records it can come from.
--
-- Columns
--   key        the person_id
--   expected   every relation true, as text
--   actual     what the row of cohorts.offenders gives for each relation, as text (a relation on a missing value is null, and so fails)
SELECT
    person_id::VARCHAR AS key,
    {
        'offends_at_least_once': TRUE::VARCHAR,
        'domestic_abuse_within_police': TRUE::VARCHAR,
        'sexual_offences_within_police': TRUE::VARCHAR,
        'knife_within_offending': TRUE::VARCHAR
    }::VARCHAR AS expected,
    {
        'offends_at_least_once': (police_suspect + police_offender + yos_outcomes >= 1)::VARCHAR,
        'domestic_abuse_within_police': (domestic_abuse <= police_suspect + police_offender)::VARCHAR,
        'sexual_offences_within_police': (sexual_offences <= police_suspect + police_offender)::VARCHAR,
        'knife_within_offending': (knife <= police_suspect + police_offender + yos_outcomes)::VARCHAR
    }::VARCHAR AS actual
FROM cohorts.offenders;
