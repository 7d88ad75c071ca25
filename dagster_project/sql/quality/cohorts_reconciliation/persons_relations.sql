-- persons_relations: relations between a cohorts.persons row's own values that its suite cannot compare on text: records cover the feeds, and the age band is known exactly when the latest age is, and holds it.
--
-- Columns
--   key        the person_id
--   expected   every relation true, as text
--   actual     what the row of cohorts.persons gives for each relation, as text (a relation on a missing value is null, and so fails)
SELECT
    person_id::VARCHAR AS key,
    {
        'records_cover_feeds': TRUE::VARCHAR,
        'age_band_known_with_age': TRUE::VARCHAR,
        'age_band_holds_latest_age': TRUE::VARCHAR
    }::VARCHAR AS expected,
    {
        'records_cover_feeds': (records >= feed_count)::VARCHAR,
        'age_band_known_with_age': ((latest_age IS NULL) = (age_band IS NULL))::VARCHAR,
        'age_band_holds_latest_age': (
            latest_age IS NULL
            OR latest_age >= TRY_CAST(split_part(replace(age_band, '+', ''), '-', 1) AS INTEGER)
            AND (age_band = '65+' OR latest_age <= TRY_CAST(split_part(age_band, '-', 2) AS INTEGER))
        )::VARCHAR
    }::VARCHAR AS actual
FROM cohorts.persons;
