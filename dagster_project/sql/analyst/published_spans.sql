-- published_spans: the default tier's events (default_events) with the first and last day of each one's published period, the only view every other default-tier table is derived from.
--
-- Everything here is in the published cohorts.events of the default tier, so a table derived
-- from this view alone says nothing the events table does not: no exact date, hour, age or
-- place, and no relation between two events that their published periods do not show. The
-- k_anonymity check re-derives every table from the published file's events this way, in a
-- connection that holds nothing else (anonymise.derivation_problems).
--
-- Columns
--   (every column of default_events)
--   period_start   first day the event may lie on (NULL at level none: any day)
--   period_end     last day the event may lie on (NULL at level none)
CREATE OR REPLACE TEMP VIEW published_spans AS
SELECT
    *,
    span_start(event_period_level, event_year, event_quarter, event_month) AS period_start,
    span_end(event_period_level, event_year, event_quarter, event_month) AS period_end
FROM default_events;
