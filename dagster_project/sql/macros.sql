-- Macros shared by the cohort and aggregate SQL, defined for the connection that runs them
-- (`warehouse.define_macros`). One definition of each rule, so tables agree with each other.

-- age_band(age): the age bands of the population file (dagster_project.reference.AGE_BANDS); NULL stays NULL.
CREATE OR REPLACE TEMP MACRO age_band(age) AS CASE
    WHEN age IS NULL THEN NULL
    WHEN age < 10 THEN '0-9'
    WHEN age < 15 THEN '10-14'
    WHEN age < 18 THEN '15-17'
    WHEN age < 25 THEN '18-24'
    WHEN age < 35 THEN '25-34'
    WHEN age < 45 THEN '35-44'
    WHEN age < 55 THEN '45-54'
    WHEN age < 65 THEN '55-64'
    ELSE '65+'
END;

-- victimisation(feed, role): a record of someone harmed: a police VICTIM record or an A&E
-- assault attendance (every health record is one). The victims, repeat victims, overlap and
-- victimisation tables, their reconciliation and the analyst tier all use this one rule.
CREATE OR REPLACE TEMP MACRO victimisation(feed, role) AS (feed = 'police' AND role = 'VICTIM') OR feed = 'health';

-- offending(feed, role): a record of someone offending or suspected of it: a police SUSPECT or
-- OFFENDER record, or a YOS outcome (every YOS record is one).
CREATE OR REPLACE TEMP MACRO offending(feed, role) AS (feed = 'police' AND role IN ('SUSPECT', 'OFFENDER')) OR feed = 'yos';
