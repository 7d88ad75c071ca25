-- victims_relations: relations between a cohorts.victims row's own numbers that its suite cannot compare on text, e.g. victimisations = police_victimisations + ae_attendances.
--
-- Columns
--   key        the person_id
--   expected   every relation true, as text
--   actual     what the row of cohorts.victims gives for each relation, as text (a relation on a missing value is null, and so fails)
SELECT
    person_id::VARCHAR AS key,
    {
        'victimisations_add_up': TRUE::VARCHAR,
        'domestic_abuse_within_police': TRUE::VARCHAR,
        'violence_or_sexual_within_police': TRUE::VARCHAR,
        'sexual_offences_within_violence_or_sexual': TRUE::VARCHAR,
        'knife_within_victimisations': TRUE::VARCHAR,
        'night_time_within_victimisations': TRUE::VARCHAR
    }::VARCHAR AS expected,
    {
        'victimisations_add_up': (victimisations = police_victimisations + ae_attendances)::VARCHAR,
        'domestic_abuse_within_police': (domestic_abuse <= police_victimisations)::VARCHAR,
        'violence_or_sexual_within_police': (violence_or_sexual <= police_victimisations)::VARCHAR,
        'sexual_offences_within_violence_or_sexual': (sexual_offences <= violence_or_sexual)::VARCHAR,
        'knife_within_victimisations': (knife <= victimisations)::VARCHAR,
        'night_time_within_victimisations': (night_time_economy <= victimisations)::VARCHAR
    }::VARCHAR AS actual
FROM cohorts.victims;
