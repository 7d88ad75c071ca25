-- aggregates.victimisations_by_month: victimisations (police victim records and A&E assault attendances) by calendar month (01 = January; 'Not known' when the record has no date).
SELECT coalesce(lpad(event_month::VARCHAR, 2, '0'), 'Not known') AS month, count(*) AS count
FROM cohorts.events
WHERE victimisation(feed, role)
GROUP BY ALL
