-- cohorts.persons: one row per linked person: sex, age, ethnicity reconciled across records, home from the most recent record, feeds present.
--
-- Columns
--   person_id             the linked person
--   sex                   M or F: the most often recorded across the person's records (ties: the most recently recorded, then alphabetical); NULL if never recorded
--   latest_age            age at the person's most recent event with a known age (ties: the later event id)
--   age_band              age band of latest_age
--   ethnic_group          White, Mixed, Asian, Black or Other: the most often recorded (ties: the most recent); NULL if never stated
--   home_lsoa             home neighbourhood (LSOA 2021) on the most recent record that has one (a record with no date counts as the oldest)
--   neighbourhood         the neighbourhood's name
--   council               the council (local authority) of the home neighbourhood
--   imd_decile            deprivation decile of the home neighbourhood (1 = most deprived tenth in England)
--   feeds_present         the feeds holding the person, comma separated (health, police, social_care, yos)
--   feed_count            how many of the four feeds hold the person
--   records               how many source records are linked to the person
--   first_event_date      earliest event
--   last_event_date       latest event
CREATE OR REPLACE TABLE cohorts.persons AS
WITH sex_votes AS (
    SELECT person_id, sex, count(*) AS n, max(event_date) AS latest
    FROM cohorts.events WHERE sex IN ('M', 'F') GROUP BY person_id, sex
),
sexes AS (
    SELECT person_id, arg_max(sex, lpad(n::VARCHAR, 8, '0') || strftime(latest, '%Y%m%d') || sex) AS sex
    FROM sex_votes GROUP BY person_id
),
ethnic_votes AS (
    SELECT person_id, ethnic_group, count(*) AS n, max(event_date) AS latest
    FROM cohorts.events WHERE ethnic_group IS NOT NULL GROUP BY person_id, ethnic_group
),
ethnicities AS (
    SELECT person_id,
           arg_max(ethnic_group, lpad(n::VARCHAR, 8, '0') || strftime(latest, '%Y%m%d') || ethnic_group) AS ethnic_group
    FROM ethnic_votes GROUP BY person_id
),
summary AS (
    SELECT
        person_id,
        arg_max(age_at_event, strftime(event_date, '%Y%m%d') || lpad(event_id::VARCHAR, 12, '0'))
            FILTER (WHERE age_at_event IS NOT NULL) AS latest_age,
        arg_max(home_lsoa, coalesce(strftime(event_date, '%Y%m%d'), '00000000') || lpad(event_id::VARCHAR, 12, '0'))
            FILTER (WHERE home_lsoa IS NOT NULL) AS home_lsoa,
        string_agg(DISTINCT feed, ',' ORDER BY feed) AS feeds_present,
        count(DISTINCT feed) AS feed_count,
        count(*) AS records,
        min(event_date) AS first_event_date,
        max(event_date) AS last_event_date
    FROM cohorts.events
    GROUP BY person_id
)
SELECT
    s.person_id,
    x.sex,
    s.latest_age,
    age_band(s.latest_age) AS age_band,
    e.ethnic_group,
    s.home_lsoa,
    l.lsoa21nm AS neighbourhood,
    l.lad22nm AS council,
    l.imd_decile,
    s.feeds_present,
    s.feed_count,
    s.records,
    s.first_event_date,
    s.last_event_date
FROM summary AS s
LEFT JOIN sexes AS x USING (person_id)
LEFT JOIN ethnicities AS e USING (person_id)
LEFT JOIN reference.lsoa AS l ON l.lsoa21cd = s.home_lsoa
ORDER BY s.person_id;
