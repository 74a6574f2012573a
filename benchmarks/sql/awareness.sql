-- Weighted positive-answer rates per village and item with Wilson intervals on Kish's
-- effective n: the same definitions as pufa_metrics.awareness_rates(responses, codebook,
-- weight="weight") (DESIGN.md "Survey"). An answer in the codebook's `missing` list, or empty,
-- is no answer. Placeholders: ${root}, ${z} (the normal quantile, 1.959963984540054 for 95%).
WITH r AS (
    SELECT * EXCLUDE (response_id, date, county)
    FROM read_parquet('${root}/responses/*/*.parquet', hive_partitioning = true)
),
answers AS (  -- one row per (respondent, item); empty answers kept (they leave n)
    FROM r UNPIVOT INCLUDE NULLS (answer FOR item IN (COLUMNS(* EXCLUDE (village_id, weight))))
),
classified AS (
    SELECT a.village_id, a.item, cb.domain, a.weight,
           coalesce(a.answer <> '' AND NOT list_contains(cb.missing, a.answer), false) AS answered,
           coalesce(list_contains(cb.positive, a.answer), false) AS positive
    FROM answers AS a
    JOIN read_parquet('${root}/codebook.parquet') AS cb USING (item)
),
sums AS (
    SELECT village_id, item, any_value(domain) AS domain,
           count_if(answered) AS n,
           count_if(answered AND positive) AS n_positive,
           sum(weight) FILTER (WHERE answered) AS sw,
           sum(weight * weight) FILTER (WHERE answered) AS sw2,
           coalesce(sum(weight) FILTER (WHERE answered AND positive), 0) AS swy
    FROM classified
    GROUP BY village_id, item
),
rates AS (
    SELECT village_id, item, domain, n::BIGINT AS n, n_positive::BIGINT AS n_positive,
           CASE WHEN n > 0 THEN swy / sw END AS rate,
           CASE WHEN n > 0 THEN sw * sw / sw2 ELSE 0 END AS n_eff
    FROM sums
)
-- Wilson score interval on (rate, n_eff), clipped to [0, 1] as statsmodels does; n = 0 → NULL.
-- (greatest/least skip NULLs in DuckDB, hence the CASE.)
SELECT village_id, item, domain, n, n_positive, rate, n_eff,
       CASE WHEN n > 0 THEN greatest(0, ((rate + ${z} ^ 2 / (2 * n_eff))
                    - ${z} * sqrt(rate * (1 - rate) / n_eff + ${z} ^ 2 / (4 * n_eff * n_eff)))
                   / (1 + ${z} ^ 2 / n_eff)) END AS ci_low,
       CASE WHEN n > 0 THEN least(1, ((rate + ${z} ^ 2 / (2 * n_eff))
                 + ${z} * sqrt(rate * (1 - rate) / n_eff + ${z} ^ 2 / (4 * n_eff * n_eff)))
                / (1 + ${z} ^ 2 / n_eff)) END AS ci_high
FROM rates
