"""Time ``pufa report --engine dask`` on national data; check its county figures against DuckDB.

全国汇总报告基准：计时 ``pufa report --engine dask``，并用 DuckDB SQL 独立核对各县数字。

1. **Report**: :func:`pufa_metrics.national.national_report` on a local Dask cluster (as the
   command runs it: ``--workers`` worker processes, one thread each, ``--counties`` counties per
   partition, default the library's: about 32 tasks). The peak memory is the largest sum of
   RSS over this process and its children, sampled every 0.2 s.
2. **DuckDB**: ``sql/county_summary.sql`` over the same Parquet: villages, villages with a
   village event in the period, village events, population, population of the reached
   villages, per county — the part of the report that is plain aggregation. Its time is printed
   next to the report's as a ratio, but the report does far more (every village's blind-spot
   rules, texts and actions, survey rates with CIs, shrinkage and LQAS, per county and town,
   workbook, charts): the ratio says what the whole report costs next to the bare counts.
3. **Check**: the report's ``data/counties.parquet`` must give the same five figures as DuckDB
   for every county (exit 1 if not).

Usage::

    .venv/bin/python benchmarks/make_national.py --size S
    nice .venv/bin/python benchmarks/bench_national_report.py --data benchmarks/data/S
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:  # the process and its cluster's workers
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            time.sleep(0.2)


def run_report(data: Path, out: Path, workers: int, counties: int) -> dict:
    from pufa_metrics import Settings, distributed, national

    sampler = _Sampler()
    sampler.start()
    t0 = time.perf_counter()
    with distributed.connect(n_workers=workers, threads_per_worker=1):
        t1 = time.perf_counter()
        national.national_report(data, out, settings=Settings.load(),
                                 counties_per_partition=counties)
    t2 = time.perf_counter()
    sampler.stop.set()
    sampler.join()
    return {"seconds": t2 - t1, "cluster_start": t1 - t0,
            "peak_rss_gib": sampler.peak / 2**30}


def run_duckdb(data: Path) -> tuple[float, object]:
    import duckdb

    from pufa_metrics import Settings

    st = Settings.load()
    sql = (HERE / "sql" / "county_summary.sql").read_text(encoding="utf-8")
    sql = (sql.replace("${root}", str(data)).replace("${start}", f"{st.start:%Y-%m-%d}")
           .replace("${end}", f"{st.end:%Y-%m-%d}"))
    con = duckdb.connect()
    con.execute("SET threads = 2")
    t0 = time.perf_counter()
    table = con.sql(sql).to_arrow_table()
    return time.perf_counter() - t0, table.to_pandas()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=None, help="default <data>/_report")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--counties", type=int, default=None,
                        help="counties per partition (default: the library's, about 32 tasks)")
    args = parser.parse_args(argv)
    out = args.out or args.data / "_report"
    report = run_report(args.data, out, args.workers, args.counties)
    duck_s, duck = run_duckdb(args.data)

    import numpy as np
    import pandas as pd

    ours = pd.read_parquet(out / "data" / "counties.parquet").set_index("county")
    duck = duck.set_index("county").reindex(ours.index)
    checks = {
        "n_villages": "n_villages", "villages_reached": "villages_reached",
        "n_events": "n_events", "population": "population",
    }
    bad = {k: int((ours[k].astype("int64") != duck[v].astype("int64")).sum())
           for k, v in checks.items()}
    reached_pop = ours["population_reach_rate"] * ours["population"].astype("float64")
    bad["population_reached"] = int((~np.isclose(reached_pop, duck["population_reached"],
                                                 rtol=1e-9)).sum())
    result = {**report, "duckdb_seconds": duck_s, "ratio": report["seconds"] / duck_s,
              "counties": len(ours), "mismatches": bad,
              "follow_up_rows": pq_rows(out / "data" / "follow_up.parquet")}
    print(json.dumps(result, indent=1))
    print(f"report {report['seconds']:.1f} s (cluster start {report['cluster_start']:.1f} s), "
          f"DuckDB county counts {duck_s:.2f} s, ratio {result['ratio']:.0f}; peak RSS "
          f"(process + workers) {report['peak_rss_gib']:.2f} GiB; county figures "
          f"{'agree' if not any(bad.values()) else 'DISAGREE'} on {len(ours):,} counties")
    return 1 if any(bad.values()) else 0


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


if __name__ == "__main__":
    sys.exit(main())
