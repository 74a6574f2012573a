-- Per-village coverage in DuckDB SQL: the same definitions as pufa_metrics.village_coverage
-- (DESIGN.md "Coverage"). Placeholders ${root}, ${start}, ${end}, ${as_of} are filled by
-- bench_metrics.py. Required topics: pufa.toml [topics] required (the defaults).
-- One window pass (previous event date per village) feeds one GROUP BY; the register is joined
-- last so villages with no event keep a row with zeros.
WITH ev AS (
    SELECT village_id, date, topic, attendees,
           lag(date) OVER (PARTITION BY village_id ORDER BY date) AS prev_date
    FROM read_parquet('${root}/events/*/*.parquet', hive_partitioning = true)
    WHERE village_id IS NOT NULL
      AND date BETWEEN DATE '${start}' AND DATE '${end}'
),
per_village AS (
    SELECT village_id,
           count(*) AS n_events,
           sum(attendees) AS attendance,
           count(*) - count(attendees) AS attendance_unknown,
           count(DISTINCT topic) AS n_topics,
           min(date) AS first_event,
           max(date) AS last_event,
           max(date - prev_date) AS inner_gap,
           bool_or(topic = '宪法') AS has_t1,
           bool_or(topic = '民法典') AS has_t2,
           bool_or(topic = '反电信网络诈骗') AS has_t3,
           bool_or(topic = '禁毒') AS has_t4
    FROM ev
    GROUP BY village_id
)
SELECT v.village_id,
       v.village_name,
       v.town,
       v.population,
       coalesce(p.n_events, 0)::BIGINT AS n_events,
       coalesce(p.attendance, 0)::BIGINT AS attendance,
       coalesce(p.attendance_unknown, 0)::BIGINT AS attendance_unknown,
       CASE WHEN v.population > 0
            THEN coalesce(p.attendance, 0) / v.population * 100 END AS attendance_per_100,
       CASE WHEN v.population > 0
            THEN coalesce(p.n_events, 0) / v.population * 1000 END AS events_per_1000,
       coalesce(p.n_topics, 0)::BIGINT AS n_topics,
       list_filter(
           [CASE WHEN p.has_t1 IS NOT TRUE THEN '宪法' END,
            CASE WHEN p.has_t2 IS NOT TRUE THEN '民法典' END,
            CASE WHEN p.has_t3 IS NOT TRUE THEN '反电信网络诈骗' END,
            CASE WHEN p.has_t4 IS NOT TRUE THEN '禁毒' END],
           lambda t: t IS NOT NULL) AS missing_topics,
       p.last_event,
       DATE '${as_of}' - p.last_event AS days_since_last,
       CASE WHEN p.n_events IS NULL THEN DATE '${end}' - DATE '${start}'
            ELSE greatest(p.first_event - DATE '${start}', coalesce(p.inner_gap, 0),
                          DATE '${end}' - p.last_event)
       END AS longest_gap_days,
       coalesce(p.n_events, 0) >= 1 AS covered
FROM read_parquet('${root}/villages/*/*.parquet', hive_partitioning = true) AS v
LEFT JOIN per_village AS p USING (village_id)
