-- aggregates.victimisations_by_weekday_and_hour: victimisations by day of the week (1 = Monday) and hour of the day.
SELECT event_weekday::VARCHAR || '-' || dayname(event_date) AS weekday, lpad(event_hour::VARCHAR, 2, '0') AS hour, count(*) AS count
FROM cohorts.events
WHERE ((feed = 'police' AND role = 'VICTIM') OR feed = 'health') AND event_hour IS NOT NULL
GROUP BY ALL
