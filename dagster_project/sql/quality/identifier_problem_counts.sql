-- quality.identifier_problem_counts: malformed identifiers set to missing, counted per feed, field and problem.
--
-- Columns
--   feed         the agency feed
--   field        the identifier (dob, nhs_number, postcode, pnc, forename, surname, full_name)
--   problem      what was wrong (e.g. failed_mod11, default_date, impossible_postcode)
--   records      current records with this problem (latest version of each record key)
--   deliveries   how many delivery files those records came from
CREATE OR REPLACE VIEW quality.identifier_problem_counts AS
SELECT feed, field, problem, count(*) AS records, count(DISTINCT delivery_file) AS deliveries
FROM quality.identifier_problems
GROUP BY feed, field, problem
ORDER BY feed, field, problem;
