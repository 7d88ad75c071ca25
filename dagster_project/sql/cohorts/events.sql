-- cohorts.events: one row per source record of a linked person: what happened, when, where, and with which flags.
--
-- Columns
--   event_id              surrogate id of the event (not a record key; stable within one run)
--   person_id             the linked person
--   feed                  police, health (emergency department), social_care, yos
--   role                  police: VICTIM, SUSPECT, OFFENDER or WITNESS; health: ATTENDANCE; social_care: REFERRAL; yos: OUTCOME
--   event_date            date of the offence, attendance, referral or outcome
--   event_year            calendar year of the event
--   event_month           month of the event, 1 to 12
--   event_weekday         day of the week, 1 (Monday) to 7 (Sunday)
--   event_hour            hour of the day, 0 to 23 (police and A&E only; other feeds record a date)
--   night_time_economy    Friday or Saturday from 20:00 to 03:59 the next morning (police and A&E only)
--   category              police offence group; A&E setting of the assault; social care primary need; YOS offence type
--   occurrence_id         police: the crime occurrence the record belongs to (surrogate; victims and suspects share it)
--   domestic_abuse        police: the offence is domestic-abuse related
--   sexual_offence        police: rape or another sexual offence
--   violence_or_sexual    police: violence against the person (homicide, violence with or without injury, stalking and harassment) or a sexual offence, as the Home Office groups them
--   knife                 police: knife or sharp instrument; A&E: injury by knife or blade
--   weapon                A&E: weapon recorded at the attendance
--   admitted              A&E: admitted to a ward
--   cse_concern           social care: child sexual exploitation concern
--   cce_concern           social care: child criminal exploitation concern
--   exploitation_concern  social care CSE or CCE concern, or YOS exploitation concern
--   missing_episodes      social care: episodes missing from home or care
--   outcome_type          YOS: the outcome given
--   age_at_event          age in whole years on the event date (from the date of birth, which is not kept)
--   age_band              age band of age_at_event (the population file's bands)
--   sex                   M, F or U as recorded on this record
--   ethnic_group          White, Mixed, Asian, Black or Other as recorded on this record (NULL when not stated)
--   event_lsoa            neighbourhood (LSOA 2021) where it happened (police), otherwise the home neighbourhood
--   event_lsoa_is_home    TRUE when event_lsoa is the home neighbourhood rather than where it happened (all non-police events, and police records without a location)
--   home_lsoa             the person's home neighbourhood on this record (from the postcode)
CREATE OR REPLACE TABLE cohorts.events AS
WITH unioned AS (
    SELECT 'police' AS feed, record_key, role, event_date, event_at, offence_group AS category,
           occurrence_ref, domestic_abuse, offence_group IN ('Rape', 'Other sexual offences') AS sexual_offence,
           offence_group IN ('Homicide', 'Violence with injury', 'Violence without injury', 'Stalking and harassment',
                             'Rape', 'Other sexual offences') AS violence_or_sexual,
           knife_or_sharp AS knife, NULL::VARCHAR AS weapon, NULL::BOOLEAN AS admitted,
           NULL::BOOLEAN AS cse_concern, NULL::BOOLEAN AS cce_concern, NULL::BOOLEAN AS exploitation_concern,
           NULL::INTEGER AS missing_episodes, NULL::VARCHAR AS outcome_type,
           age_at_event, sex, ethnic_group, coalesce(location_lsoa, home_lsoa) AS event_lsoa,
           location_lsoa IS NULL AS event_lsoa_is_home, home_lsoa, TRUE AS timed
    FROM staging.police
    UNION ALL BY NAME
    SELECT 'health' AS feed, record_key, 'ATTENDANCE' AS role, event_date, event_at, assault_location_type AS category,
           NULL AS occurrence_ref, NULL AS domestic_abuse, NULL AS sexual_offence, NULL AS violence_or_sexual,
           weapon = 'Knife or blade' AS knife, weapon, admitted,
           NULL AS cse_concern, NULL AS cce_concern, NULL AS exploitation_concern, NULL AS missing_episodes,
           NULL AS outcome_type, age_at_event, sex, ethnic_group, home_lsoa AS event_lsoa, TRUE AS event_lsoa_is_home, home_lsoa, TRUE AS timed
    FROM staging.health
    UNION ALL BY NAME
    SELECT 'social_care' AS feed, record_key, 'REFERRAL' AS role, event_date, event_at, primary_need AS category,
           NULL AS occurrence_ref, NULL AS domestic_abuse, NULL AS sexual_offence, NULL AS violence_or_sexual,
           NULL AS knife, NULL AS weapon,
           NULL AS admitted, cse_concern, cce_concern, cse_concern OR cce_concern AS exploitation_concern,
           missing_episodes, NULL AS outcome_type, age_at_event, sex, ethnic_group,
           home_lsoa AS event_lsoa, TRUE AS event_lsoa_is_home, home_lsoa, FALSE AS timed
    FROM staging.social_care
    UNION ALL BY NAME
    SELECT 'yos' AS feed, record_key, 'OUTCOME' AS role, event_date, event_at, offence_type AS category,
           NULL AS occurrence_ref, NULL AS domestic_abuse, NULL AS sexual_offence, NULL AS violence_or_sexual,
           offence_type = 'Weapons' AS knife, NULL AS weapon, NULL AS admitted,
           NULL AS cse_concern, NULL AS cce_concern, exploitation_concern, NULL AS missing_episodes, outcome_type,
           age_at_event, sex, ethnic_group, home_lsoa AS event_lsoa, TRUE AS event_lsoa_is_home, home_lsoa, FALSE AS timed
    FROM staging.yos
)
SELECT
    row_number() OVER (ORDER BY u.feed, u.record_key)::BIGINT AS event_id,
    pr.person_id,
    u.feed,
    u.role,
    u.event_date,
    year(u.event_date)::INTEGER AS event_year,
    month(u.event_date)::INTEGER AS event_month,
    isodow(u.event_date)::INTEGER AS event_weekday,
    CASE WHEN u.timed THEN hour(u.event_at)::INTEGER END AS event_hour,
    CASE WHEN u.timed THEN
        (isodow(u.event_at) IN (5, 6) AND hour(u.event_at) >= 20)
        OR (isodow(u.event_at) IN (6, 7) AND hour(u.event_at) < 4)
    END AS night_time_economy,
    u.category,
    CASE WHEN u.occurrence_ref IS NOT NULL THEN dense_rank() OVER (ORDER BY u.occurrence_ref) END AS occurrence_id,
    u.domestic_abuse,
    u.sexual_offence,
    u.violence_or_sexual,
    u.knife,
    u.weapon,
    u.admitted,
    u.cse_concern,
    u.cce_concern,
    u.exploitation_concern,
    u.missing_episodes,
    u.outcome_type,
    u.age_at_event,
    age_band(u.age_at_event) AS age_band,
    u.sex,
    u.ethnic_group,
    u.event_lsoa,
    u.event_lsoa_is_home,
    u.home_lsoa
FROM unioned AS u
JOIN linkage.person_records AS pr ON pr.source_feed = u.feed AND pr.record_key = u.record_key;
