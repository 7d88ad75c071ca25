-- aggregates.victimisations_by_weekday_and_hour: victimisations by day of the week (1 = Monday) and hour of the day; 'Not known' when the record has no date or no time, so the total is every victimisation.
SELECT coalesce(isodow(event_date)::VARCHAR || '-' || dayname(event_date), 'Not known') AS weekday,
       coalesce(lpad(event_hour::VARCHAR, 2, '0'), 'Not known') AS hour,
       count(*) AS count
FROM cohorts.events
WHERE victimisation(feed, role)
GROUP BY ALL
