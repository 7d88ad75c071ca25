-- unreported_assaults_relations: relations between a cohorts.unreported_assaults row's own values that its suite cannot compare on text: the days to the police record are within the window the table used.
--
-- Columns
--   key        the event_id of the attendance, as text
--   expected   every relation true, as text
--   actual     what the row of cohorts.unreported_assaults gives for each relation, as text (a relation on a missing value is null, and so fails)
SELECT
    event_id::VARCHAR AS key,
    {'days_within_window': TRUE::VARCHAR}::VARCHAR AS expected,
    {
        'days_within_window': (days_to_police_record IS NULL OR abs(days_to_police_record) <= window_days)::VARCHAR
    }::VARCHAR AS actual
FROM cohorts.unreported_assaults;
