-- cohorts.events in the default tier: one row per event of a published person, with the period it is published at and the person's published home council, sex and age band; no date, hour, weekday, place, age, ethnicity or occurrence.
--
-- The one default-tier table built from the warehouse: every other is derived from this one
-- alone (published_spans), and its columns are what the source record says (feed, role,
-- category, flags, counts), the period the recoding published and the person's published
-- group, nothing worked out from a date, hour, age or place (anonymise.EVENT_COLUMNS).
--
-- Columns
--   event_id              surrogate id of the event in this publication (drawn at random; not the warehouse's)
--   person_id             the person in this publication (cohorts.persons)
--   feed                  police, health (emergency department), social_care, yos
--   role                  police: VICTIM, SUSPECT, OFFENDER or WITNESS; health: ATTENDANCE; social_care: REFERRAL; yos: OUTCOME
--   event_period          the period the event is published at: 2024-03 (month), 2024-Q1 (quarter), 2024 (year); NULL when not published
--   event_period_level    month, quarter, year or none: the finest period at which the event's group (the person's published council, sex and age band, the feed and role) holds at least k persons
--   event_year            calendar year (NULL at level none)
--   event_quarter         quarter of the year, 1 to 4 (month and quarter levels)
--   event_month           month, 1 to 12 (month level)
--   time_of_day           night (00-05), morning (06-11), afternoon (12-17) or evening (18-23), where it can be published with the month (police and A&E only)
--   category              police offence group; A&E setting of the assault; social care primary need; YOS offence type
--   domestic_abuse        police: the offence is domestic-abuse related
--   sexual_offence        police: rape or another sexual offence
--   violence_or_sexual    police: Home Office violence against the person or sexual offences
--   knife                 police: knife or sharp instrument; A&E: injury by knife or blade
--   weapon                A&E: weapon recorded at the attendance
--   admitted              A&E: admitted to a ward
--   cse_concern           social care: child sexual exploitation concern
--   cce_concern           social care: child criminal exploitation concern
--   exploitation_concern  social care CSE or CCE concern, or YOS exploitation concern
--   missing_episodes      social care: episodes missing from home or care
--   outcome_type          YOS: the outcome given
--   age_band              the person's published age band (at their latest event; the same on every row of the person)
--   sex                   the person's published sex
--   home_area_level       council, county or suppressed: how far the person's home, sex and age band are published (cohorts.persons)
--   council               the person's home council, or 'Not known', where published (council level)
CREATE OR REPLACE TEMP TABLE default_events AS
SELECT
    a.default_event_id AS event_id,
    p.default_id AS person_id,
    e.feed,
    e.role,
    a.event_period,
    a.event_period_level,
    a.event_year,
    a.event_quarter,
    a.event_month,
    a.time_of_day,
    e.category,
    e.domestic_abuse,
    e.sexual_offence,
    e.violence_or_sexual,
    e.knife,
    e.weapon,
    e.admitted,
    e.cse_concern,
    e.cce_concern,
    e.exploitation_concern,
    e.missing_episodes,
    e.outcome_type,
    p.age_band,
    p.sex,
    p.home_area_level,
    p.council
FROM cohorts.events AS e
JOIN anon_event AS a USING (event_id)
JOIN anon_person AS p ON p.person_id = e.person_id
ORDER BY a.default_event_id;
