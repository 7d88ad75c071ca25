-- person_summary_relations: relations between a cohorts.person_summary row's own numbers that its suite cannot compare on text: the records by feed and role cover the feeds present.
--
-- Columns
--   key        the person_id
--   expected   every relation true, as text
--   actual     what the row of cohorts.person_summary gives for each relation, as text (a relation on a missing value is null, and so fails)
SELECT
    person_id::VARCHAR AS key,
    {'records_cover_feeds': TRUE::VARCHAR}::VARCHAR AS expected,
    {
        'records_cover_feeds': (
            police_victim + police_suspect + police_offender + police_witness
            + ae_attendances + social_care_referrals + yos_outcomes >= feeds_present
        )::VARCHAR
    }::VARCHAR AS actual
FROM cohorts.person_summary;
