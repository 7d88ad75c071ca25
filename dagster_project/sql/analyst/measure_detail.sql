-- Views of what an attacker can match on in a full-detail snapshot (the restricted tier, or the single snapshot published before the tiers): qi_persons, qi_events and qi_signatures, as measure_default.sql.
--
-- qi_persons     person_id, area (home LSOA), sex, age_band, ethnic_group
-- qi_events      event_id, person_id, the person's area, sex and age_band, feed, role, kind (event_kind), period (the event date), category, time (hour), knife, weapon, admitted
-- qi_signatures  person_id, area, sex, age_band, kinds, events (every event's kind and date, sorted)
CREATE OR REPLACE TEMP VIEW qi_persons AS
SELECT person_id, 'lsoa:' || qi_part(home_lsoa) AS area, sex, age_band, ethnic_group
FROM cohorts.persons;

CREATE OR REPLACE TEMP VIEW qi_events AS
SELECT
    e.event_id, e.person_id, p.area, p.sex, p.age_band, e.feed, e.role, event_kind(e.feed, e.role) AS kind,
    qi_part(e.event_date) AS period,
    e.category, e.event_hour::VARCHAR AS time, e.knife, e.weapon, e.admitted
FROM cohorts.events AS e
JOIN qi_persons AS p USING (person_id);

CREATE OR REPLACE TEMP VIEW qi_signatures AS
SELECT
    person_id, area, sex, age_band,
    list_sort(list_distinct(list(kind))) AS kinds,
    list_sort(list(kind || '@' || period)) AS events
FROM qi_events
GROUP BY person_id, area, sex, age_band;
