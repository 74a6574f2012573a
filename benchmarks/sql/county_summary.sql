-- Per-county reach in DuckDB SQL, to check `pufa report --engine dask` (national.area_summary):
-- villages, villages with at least one village event in the period, village events,
-- population, and population of the reached villages. Town-wide events (no village) are not
-- attributed to villages. Placeholders ${root}, ${start}, ${end} are filled by
-- bench_national_report.py.
WITH v AS (
    SELECT village_id, population, county
    FROM read_parquet('${root}/villages/*/*.parquet', hive_partitioning = true,
                      hive_types_autocast = false)
),
ev AS (
    SELECT village_id, count(*) AS n_events
    FROM read_parquet('${root}/events/*/*.parquet', hive_partitioning = true)
    WHERE village_id IS NOT NULL
      AND date BETWEEN DATE '${start}' AND DATE '${end}'
    GROUP BY village_id
)
SELECT v.county,
       count(*) AS n_villages,
       count(ev.village_id) AS villages_reached,
       coalesce(sum(ev.n_events), 0)::BIGINT AS n_events,
       sum(v.population)::BIGINT AS population,
       coalesce(sum(CASE WHEN ev.village_id IS NOT NULL THEN v.population END), 0)::DOUBLE
           AS population_reached
FROM v LEFT JOIN ev USING (village_id)
GROUP BY v.county
ORDER BY v.county
