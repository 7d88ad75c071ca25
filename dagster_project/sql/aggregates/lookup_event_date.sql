-- Public lookup (the calendar): the month and weekday labels that occur together, labelled as the victimisation tables label them ('Not known' in both for an event with no date).
SELECT DISTINCT lpad(month(d)::VARCHAR, 2, '0') AS month, isodow(d)::VARCHAR || '-' || dayname(d) AS weekday
FROM range(DATE '2024-01-01', DATE '2025-01-01', INTERVAL 1 DAY) AS t(d)
UNION
SELECT 'Not known', 'Not known'
