-- Views of what an attacker can match on in a default-tier snapshot: qi_persons, qi_events and qi_signatures (read by dagster_project.publication.anonymise.measure).
--
-- qi_persons     person_id, area (level and published home area), sex, age_band, ethnic_group (not published: NULL)
-- qi_events      event_id, person_id, the person's area, sex and age_band, feed, role, kind (event_kind), period (level and published period), category, time (time of day), knife, weapon, admitted
-- qi_signatures  person_id, area, sex, age_band, kinds (the set of kinds of record), events (every event's kind and period, sorted)
CREATE OR REPLACE TEMP VIEW qi_persons AS
SELECT person_id, home_area_level || ':' || qi_part(council) AS area, sex, age_band, NULL::VARCHAR AS ethnic_group
FROM cohorts.persons;

CREATE OR REPLACE TEMP VIEW qi_events AS
SELECT
    e.event_id, e.person_id, p.area, p.sex, p.age_band, e.feed, e.role, event_kind(e.feed, e.role) AS kind,
    qi_part(e.event_period_level) || ':' || qi_part(e.event_period) AS period,
    e.category, e.time_of_day AS time, e.knife, e.weapon, e.admitted
FROM cohorts.events AS e
JOIN qi_persons AS p USING (person_id);

CREATE OR REPLACE TEMP VIEW qi_signatures AS
SELECT
    person_id, area, sex, age_band,
    list_sort(list_distinct(list(kind))) AS kinds,
    list_sort(list(kind || '@' || period)) AS events
FROM qi_events
GROUP BY person_id, area, sex, age_band;
