-- aggregates.unreported_assaults_by_council: emergency-department assault attendances by home council and whether police hold a victim record for them ('Not known' when either is missing).
SELECT coalesce(l.lad22nm, 'Not known') AS council,
       CASE WHEN u.reported_to_police THEN 'reported to police'
            WHEN NOT u.reported_to_police THEN 'not reported'
            ELSE 'Not known' END AS police_record,
       count(*) AS count
FROM cohorts.unreported_assaults AS u LEFT JOIN reference.lsoa AS l ON l.lsoa21cd = u.home_lsoa
GROUP BY ALL
