-- cohorts.persons in the default tier: one row per published person, home council, sex and age band generalised until every combination holds at least k persons; no neighbourhood, exact age, ethnicity or date. Derived from the published events alone (published_spans).
--
-- Columns
--   person_id            the person in this publication (drawn at random; not the warehouse's person id)
--   sex                  M or F as reconciled across records; NULL if never recorded or not published (suppressed level)
--   age_band             age band at the latest event; NULL if unknown or not published (suppressed level)
--   council              home council, or 'Not known' for a home unknown or outside the county; NULL when not published (county and suppressed levels)
--   home_area_level      council, county or suppressed: the finest level at which the person's group (council, sex, age band; then sex, age band; then nothing) holds at least k persons, every kind of record being held by none or at least k of them
--   feeds_present        the feeds holding the person, comma separated
--   feed_count           how many of the four feeds hold the person
--   records              how many source records are linked to the person (every one is in cohorts.events)
--   first_event_month    month (YYYY-MM) of the earliest event, when the events' published periods pin it to one month
--   last_event_month     month of the latest event, likewise
CREATE OR REPLACE TEMP TABLE default_persons AS
SELECT
    person_id,
    sex,
    age_band,
    council,
    home_area_level,
    string_agg(DISTINCT feed, ',' ORDER BY feed) AS feeds_present,
    count(DISTINCT feed) AS feed_count,
    count(*) AS records,
    first_month(period_start, period_end) AS first_event_month,
    last_month(period_start, period_end) AS last_event_month
FROM published_spans
GROUP BY person_id, sex, age_band, council, home_area_level
ORDER BY person_id;
