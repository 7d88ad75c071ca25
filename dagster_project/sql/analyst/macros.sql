-- Macros of the default analyst tier (sql/analyst/*.sql), defined for the connection that builds or measures it.

-- event_kind(feed, role): what an attacker may know an event was: a police victim, suspect, offender or other (witness) record, an A&E attendance, a social care referral or a YOS outcome.
CREATE OR REPLACE TEMP MACRO event_kind(feed, role) AS CASE
    WHEN feed = 'police' AND role = 'VICTIM' THEN 'police_victim'
    WHEN feed = 'police' AND role = 'SUSPECT' THEN 'police_suspect'
    WHEN feed = 'police' AND role = 'OFFENDER' THEN 'police_offender'
    WHEN feed = 'police' THEN 'police_other'
    ELSE feed
END;

-- qi_part(x): one part of a group key; NULL (not recorded, or suppressed) is a value of its own.
CREATE OR REPLACE TEMP MACRO qi_part(x) AS coalesce(x::VARCHAR, '~');

-- period_label(level, d): the published period of date d at a period level.
CREATE OR REPLACE TEMP MACRO period_label(level, d) AS CASE level
    WHEN 'month' THEN strftime(d, '%Y-%m')
    WHEN 'quarter' THEN year(d)::VARCHAR || '-Q' || quarter(d)::VARCHAR
    WHEN 'year' THEN year(d)::VARCHAR
END;

-- span_start(level, year, quarter, month) / span_end(...): the first and last day of a published period, from the
-- published parts alone (cohorts.events of the default tier); NULL at level none, where the event may lie on any day.
CREATE OR REPLACE TEMP MACRO span_start(level, y, q, m) AS CASE level
    WHEN 'month' THEN make_date(y, m, 1)
    WHEN 'quarter' THEN make_date(y, 3 * q - 2, 1)
    WHEN 'year' THEN make_date(y, 1, 1)
END;
CREATE OR REPLACE TEMP MACRO span_end(level, y, q, m) AS CASE level
    WHEN 'month' THEN last_day(make_date(y, m, 1))
    WHEN 'quarter' THEN last_day(make_date(y, 3 * q, 1))
    WHEN 'year' THEN make_date(y, 12, 31)
END;

-- time_of_day(hour): night (00-05), morning (06-11), afternoon (12-17) or evening (18-23); NULL stays NULL.
CREATE OR REPLACE TEMP MACRO time_of_day(hour) AS CASE
    WHEN hour IS NULL THEN NULL
    WHEN hour < 6 THEN 'night'
    WHEN hour < 12 THEN 'morning'
    WHEN hour < 18 THEN 'afternoon'
    ELSE 'evening'
END;

-- first_month(s, e) / last_month(s, e): aggregates over a person's events, given each event's published period [s, e]:
-- the month of the earliest (latest) event when the published periods pin it to one month, else NULL. They use
-- nothing but the published periods, so they say no more than the events table does.
CREATE OR REPLACE TEMP MACRO first_month(s, e) AS CASE
    WHEN count(*) = count(s) AND date_trunc('month', min(s)) = date_trunc('month', min(e)) THEN strftime(min(s), '%Y-%m')
END;
CREATE OR REPLACE TEMP MACRO last_month(s, e) AS CASE
    WHEN count(*) = count(s) AND date_trunc('month', max(s)) = date_trunc('month', max(e)) THEN strftime(max(s), '%Y-%m')
END;
