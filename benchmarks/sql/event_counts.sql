-- Events per village and month on the full village × month grid, zeros included: the same
-- result as pufa_metrics.event_counts(events, villages=villages, freq="MS"). Town-wide events
-- (no village) are not attributed to villages. Placeholders: ${root}, ${start}, ${end}.
WITH months AS (
    SELECT CAST(range AS DATE) AS period
    FROM range(CAST(date_trunc('month', DATE '${start}') AS TIMESTAMP),
               CAST(DATE '${end}' AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 MONTH)
),
counts AS (
    SELECT village_id, CAST(date_trunc('month', date) AS DATE) AS period, count(*) AS n
    FROM read_parquet('${root}/events/*/*.parquet', hive_partitioning = true)
    WHERE village_id IS NOT NULL
      AND date BETWEEN DATE '${start}' AND DATE '${end}'
    GROUP BY ALL
)
SELECT v.village_id, m.period, coalesce(c.n, 0)::BIGINT AS n_events
FROM read_parquet('${root}/villages/*/*.parquet', hive_partitioning = true) AS v
CROSS JOIN months AS m
LEFT JOIN counts AS c ON c.village_id = v.village_id AND c.period = m.period
