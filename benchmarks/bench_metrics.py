"""Time the three national metrics in pandas (pufa_metrics) against DuckDB SQL, in one run.

普法指标性能基准：同一份按县分区的 Parquet 数据，pandas（本工具包）与 DuckDB SQL 对比。

For each engine, in a fresh subprocess so that peak memory is its own:

* ``pandas``: read the needed columns of the county-partitioned Parquet (ids and answers as
  dictionary → categorical codes, dates as datetime64), then
  :func:`pufa_metrics.coverage.village_coverage`, :func:`pufa_metrics.frequency.event_counts`
  (the long village × month grid, zeros included) and
  :func:`pufa_metrics.survey.awareness_rates` (weighted, by village, Wilson CIs);
* ``duckdb``: ``benchmarks/sql/{coverage,event_counts,awareness}.sql`` over the same Parquet,
  each result fetched as an Arrow table;
* ``dask`` (optional, ``--engines pandas,duckdb,dask``): :mod:`pufa_metrics.distributed` on a
  local cluster (one in-process worker, a thread per core, ``--dask-counties`` counties per
  partition), results computed into memory.

Each engine runs ``--repeat`` times (median reported, with CPU seconds). The peak RSS is read
after the timed runs; then the last run's results are saved under ``<data>/_check/<engine>/``
and compared across engines: counts must be identical, floats equal to 1e-9 (relative). The
script prints each metric's time, the pandas / DuckDB ratio and each engine's peak RSS, writes
``<data>/_check/report.json``, and exits non-zero when the engines disagree.

Usage::

    .venv/bin/python benchmarks/make_national.py --size S
    nice .venv/bin/python benchmarks/bench_metrics.py --data benchmarks/data/S --repeat 3
    nice .venv/bin/python benchmarks/bench_metrics.py --data benchmarks/data/S --profile pandas
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from string import Template

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SQL_DIR = HERE / "sql"
METRICS = ("coverage", "event_counts", "awareness")
Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def _meta(root: Path) -> dict:
    return json.loads((root / "meta.json").read_text("utf-8"))


# --------------------------------------------------------------------------------------------
# pandas (pufa_metrics)
# --------------------------------------------------------------------------------------------


def read_pandas(root: Path):
    """The needed columns of the three tables, read by pufa_metrics.distributed.read_partitioned
    (ids and answers as categoricals, dates as datetime64), plus the codebook."""
    import pandas as pd

    from pufa_metrics.distributed import read_partitioned

    villages = read_partitioned(
        root, "villages", columns=["village_id", "village_name", "town", "population"],
        categorical=False,
    )
    events = read_partitioned(root, "events", columns=["date", "village_id", "topic", "attendees"])
    items = [f.name for f in pq.read_schema(next((root / "responses").rglob("*.parquet")))
             if f.name.startswith("q")]
    responses = read_partitioned(root, "responses", columns=["village_id", "weight", *items],
                                 categorical=["village_id", *items])
    codebook = pd.read_parquet(root / "codebook.parquet")
    return villages, events, responses, codebook


def run_pandas(root: Path, meta: dict):
    """One timed pass; returns (timings, results)."""
    from pufa_metrics.coverage import village_coverage
    from pufa_metrics.frequency import event_counts
    from pufa_metrics.survey import awareness_rates

    t = {}
    t0 = time.perf_counter()
    villages, events, responses, codebook = read_pandas(root)
    t["read"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    cov = village_coverage(events, villages, start=meta["start"], end=meta["end"],
                           as_of=meta["as_of"], required_topics=meta["required_topics"])
    t["coverage"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    grid = event_counts(events, villages=villages, start=meta["start"], end=meta["end"])
    t["event_counts"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    rates = awareness_rates(responses, codebook, weight="weight", method="wilson")
    t["awareness"] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    return t, {"coverage": cov, "event_counts": grid, "awareness": rates}


def save_pandas(results: dict, out: Path) -> None:
    cov = results["coverage"].reset_index()
    cov.attrs = {}  # attrs hold Timestamps, which to_parquet cannot write as JSON
    cov["missing_topics"] = cov["missing_topics"].map("、".join)
    cov.to_parquet(out / "coverage.parquet")
    results["event_counts"].to_parquet(out / "event_counts.parquet")
    results["awareness"].to_parquet(out / "awareness.parquet")


# --------------------------------------------------------------------------------------------
# DuckDB
# --------------------------------------------------------------------------------------------


def sql_text(name: str, root: Path, meta: dict) -> str:
    """The SQL of one metric with its placeholders filled."""
    text = (SQL_DIR / f"{name}.sql").read_text("utf-8")
    return Template(text).substitute(
        root=root.as_posix(), start=meta["start"], end=meta["end"], as_of=meta["as_of"], z=Z95
    )


def run_duckdb(root: Path, meta: dict, con):
    t = {}
    t0 = time.perf_counter()
    results = {}
    for name in METRICS:  # three queries
        t1 = time.perf_counter()
        results[name] = con.sql(sql_text(name, root, meta)).to_arrow_table()
        t[name] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    return t, results


def save_arrow(results: dict, out: Path) -> None:
    for name, table in results.items():
        if name == "coverage":
            i = table.schema.get_field_index("missing_topics")
            joined = pc.binary_join(table["missing_topics"], "、")
            table = table.set_column(i, "missing_topics", joined)
        pq.write_table(table, out / f"{name}.parquet")


# --------------------------------------------------------------------------------------------
# Dask (pufa_metrics.distributed)
# --------------------------------------------------------------------------------------------


def run_dask(root: Path, meta: dict, per: int):
    """The three metrics with pufa_metrics.distributed on the active (local) cluster."""
    from pufa_metrics import distributed as dist

    t = {}
    t0 = time.perf_counter()
    results = {}
    period = {"start": meta["start"], "end": meta["end"]}
    t1 = time.perf_counter()
    results["coverage"] = dist.lazy_village_coverage(
        root, as_of=meta["as_of"], required_topics=meta["required_topics"],
        counties_per_partition=per, **period,
    ).compute()
    t["coverage"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    results["event_counts"] = dist.lazy_event_counts(
        root, counties_per_partition=per, **period
    ).compute()
    t["event_counts"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    results["awareness"] = dist.lazy_awareness_rates(
        root, weight="weight", counties_per_partition=per
    ).compute()
    t["awareness"] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    return t, results


# --------------------------------------------------------------------------------------------
# Worker: one engine, several runs, in its own process
# --------------------------------------------------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(run, repeat: int, *args):
    """``repeat`` timed runs; the last run's results are kept (for the check).

    Each run also records ``cpu``: user + system CPU seconds of the process (all threads), a
    measure less sensitive than wall time to other work on a shared machine.
    """
    runs, results = [], None
    for _ in range(repeat):
        results = None  # free the previous results first: peak memory is one run's
        c0 = _cpu_seconds()
        t, results = run(*args)
        t["cpu"] = _cpu_seconds() - c0
        runs.append(t)
    return runs, results


def worker(engine: str, root: Path, repeat: int, save: bool, profile: Path | None,
           dask_counties: int = 25) -> dict:
    """Run one engine ``repeat`` times in this process; peak RSS is taken before saving."""
    meta = _meta(root)
    out = root / "_check" / engine
    out.mkdir(parents=True, exist_ok=True)
    if engine == "pandas":
        import pufa_metrics.coverage  # noqa: F401  (imports are not part of the timing)
        import pufa_metrics.distributed  # noqa: F401
        import pufa_metrics.frequency  # noqa: F401
        import pufa_metrics.survey  # noqa: F401

        runs, results = _timed(run_pandas, repeat, root, meta)
        rss = _peak_rss_gib()
        if save:
            save_pandas(results, out)
        results = None
        if profile is not None:  # one more run under cProfile, not counted in the timings
            import cProfile

            prof = cProfile.Profile()
            prof.runcall(run_pandas, root, meta)
            prof.dump_stats(profile)
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads = {os.cpu_count()}")
        runs, results = _timed(run_duckdb, repeat, root, meta, con)
        rss = _peak_rss_gib()
        if save:
            save_arrow(results, out)
    elif engine == "dask":
        from pufa_metrics.distributed import connect

        # one in-process worker with a thread per core: Arrow reading and numpy release the
        # GIL, and nothing is pickled between processes (faster here than 2 worker processes)
        with connect(n_workers=1, threads_per_worker=os.cpu_count(), processes=False):
            runs, results = _timed(run_dask, repeat, root, meta, dask_counties)
        rss = _peak_rss_gib()
        if save:
            save_pandas(results, out)
    else:
        raise ValueError(f"unknown engine {engine!r}; expected pandas, duckdb or dask")
    return {"engine": engine, "runs": runs, "peak_rss_gib": rss}


# --------------------------------------------------------------------------------------------
# Checks: the engines give the same numbers
# --------------------------------------------------------------------------------------------


def _codes(values: pa.ChunkedArray, universe: pa.Array) -> np.ndarray:
    codes = pc.index_in(values, value_set=universe).to_numpy(zero_copy_only=False)
    if np.isnan(codes.astype(float)).any():
        raise AssertionError("a result names a village that is not in the register")
    return codes.astype(np.int64)


def _close(name: str, a: np.ndarray, b: np.ndarray, *, exact: bool) -> list[str]:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype.kind in "fiub" and b.dtype.kind in "fiub":
        a = a.astype(float)
        b = b.astype(float)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        if not exact:
            same |= np.isclose(a, b, rtol=1e-9, atol=1e-12)
    else:
        same = a == b
    bad = int((~same).sum())
    return [f"{name}: {bad} of {a.size} values differ, e.g. {a[~same][:3]} vs {b[~same][:3]}"] \
        if bad else []


def _table(path: Path) -> pa.Table:
    table = pq.read_table(path)
    # dictionary columns (categorical village ids) → plain strings for comparison
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table[field.name].cast(field.type.value_type))
    return table


def compare(root: Path, engine_a: str, engine_b: str) -> list[str]:
    """Problems found comparing the saved results of two engines (empty list: identical)."""
    a_dir, b_dir = root / "_check" / engine_a, root / "_check" / engine_b
    register = pq.read_table(root / "villages", columns=["village_id"])["village_id"]
    register = register.combine_chunks()
    n_v = len(register)
    problems: list[str] = []

    # coverage: one row per village
    a, b = _table(a_dir / "coverage.parquet"), _table(b_dir / "coverage.parquet")
    ia = np.argsort(_codes(a["village_id"], register))
    ib = np.argsort(_codes(b["village_id"], register))
    if len(a) != n_v or len(b) != n_v:
        problems.append(f"coverage: {len(a)} and {len(b)} rows for {n_v} villages")
    else:
        for col in ("n_events", "attendance", "attendance_unknown", "n_topics",
                    "days_since_last", "longest_gap_days", "covered"):
            problems += _close(f"coverage.{col}", a[col].to_numpy()[ia], b[col].to_numpy()[ib],
                               exact=True)
        for col in ("attendance_per_100", "events_per_1000"):
            problems += _close(f"coverage.{col}", a[col].to_numpy()[ia], b[col].to_numpy()[ib],
                               exact=False)
        for col in ("last_event", "missing_topics"):
            if col == "last_event":
                a = a.set_column(a.schema.get_field_index(col), col, a[col].cast(pa.date32()))
                b = b.set_column(b.schema.get_field_index(col), col, b[col].cast(pa.date32()))
            va = a[col].cast(pa.string()).to_numpy(zero_copy_only=False)[ia]
            vb = b[col].cast(pa.string()).to_numpy(zero_copy_only=False)[ib]
            va = np.where(va == None, "", va).astype(str)  # noqa: E711
            vb = np.where(vb == None, "", vb).astype(str)  # noqa: E711
            problems += _close(f"coverage.{col}", va, vb, exact=True)

    # event counts: dense village × month matrix built from each long table
    dense = []
    for d in (a_dir, b_dir):
        t = _table(d / "event_counts.parquet")
        v = _codes(t["village_id"], register)
        month = t["period"].cast(pa.date32()).to_numpy(zero_copy_only=False)
        month = month.astype("datetime64[M]").astype(np.int64)
        m0 = int(month.min()) if month.size else 0
        n_m = int(month.max()) - m0 + 1 if month.size else 0
        key = v * n_m + (month - m0)
        if np.bincount(key, minlength=n_v * n_m).max(initial=0) > 1:
            problems.append(f"event_counts ({d.name}): a (village, month) pair appears twice")
        grid = np.zeros(n_v * n_m, np.int64)
        grid[key] = t["n_events"].to_numpy()
        dense.append((m0, n_m, len(t), grid))
    (m0a, nma, la, ga), (m0b, nmb, lb, gb) = dense
    if (m0a, nma, la) != (m0b, nmb, lb) or la != n_v * nma:
        problems.append(f"event_counts: grids of {la} and {lb} rows ({nma}, {nmb} months)")
    else:
        problems += _close("event_counts.n_events", ga, gb, exact=True)

    # awareness: one row per (village, item)
    a, b = _table(a_dir / "awareness.parquet"), _table(b_dir / "awareness.parquet")
    if len(a) != len(b):
        problems.append(f"awareness: {len(a)} and {len(b)} rows")
    else:
        items = pa.array(sorted(set(a["item"].to_pylist())))
        ka = _codes(a["village_id"], register) * len(items) + _codes(a["item"], items)
        kb = _codes(b["village_id"], register) * len(items) + _codes(b["item"], items)
        ia, ib = np.argsort(ka), np.argsort(kb)
        problems += _close("awareness.keys", ka[ia], kb[ib], exact=True)
        for col in ("n", "n_positive"):
            problems += _close(f"awareness.{col}", a[col].to_numpy()[ia], b[col].to_numpy()[ib],
                               exact=True)
        for col in ("rate", "n_eff", "ci_low", "ci_high"):
            fa = a[col].to_numpy(zero_copy_only=False).astype(float)[ia]
            fb = b[col].to_numpy(zero_copy_only=False).astype(float)[ib]
            problems += _close(f"awareness.{col}", fa, fb, exact=False)
    return problems


# --------------------------------------------------------------------------------------------
# Main: run each engine in a subprocess, print the table, check the results
# --------------------------------------------------------------------------------------------


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "dev")
    parser.add_argument("--engines", default="pandas,duckdb")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-check", action="store_true", help="skip saving and comparing")
    parser.add_argument("--profile", metavar="ENGINE", default=None,
                        help="cProfile the first pandas run into <data>/_check/pandas.prof")
    parser.add_argument("--dask-counties", type=int, default=25,
                        help="counties per Dask partition (engine dask)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.data.resolve()
    if not (root / "meta.json").is_file():
        parser.error(f"{root} has no meta.json; write the data with make_national.py first")

    if args.worker:
        profile = root / "_check" / "pandas.prof" if args.profile == "pandas" else None
        report = worker(args.worker, root, args.repeat, not args.no_check, profile,
                        args.dask_counties)
        print("RESULT " + json.dumps(report))
        return 0

    meta = _meta(root)
    print(f"data: {root}  villages {meta['villages']:,}  events {meta['events']:,}  "
          f"responses {meta['responses']:,} × {meta['items']} items  ({os.cpu_count()} cores)")
    reports = {}
    for engine in args.engines.split(","):  # a few engines, one subprocess each
        cmd = [sys.executable, __file__, "--data", str(root), "--repeat", str(args.repeat),
               "--dask-counties", str(args.dask_counties), "--worker", engine]
        if args.no_check:
            cmd.append("--no-check")
        if args.profile:
            cmd += ["--profile", args.profile]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            return proc.returncode
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
        reports[engine] = json.loads(line[len("RESULT "):])
        print(f"  {engine}: done in {time.perf_counter() - t0:.0f} s", flush=True)

    keys = ["read", *METRICS, "total", "cpu"]
    print(f"\nmedian of {args.repeat} run(s), wall seconds (cpu: CPU seconds of all threads); "
          "peak RSS of each engine's process")
    print(f"{'engine':<8}" + "".join(f"{k:>14}" for k in keys) + f"{'peak RSS':>12}")
    for engine, rep in reports.items():
        cells = [
            f"{_median(rep['runs'], k):14.2f}" if k in rep["runs"][0] else f"{'–':>14}"
            for k in keys
        ]
        print(f"{engine:<8}" + "".join(cells) + f"{rep['peak_rss_gib']:10.2f} GiB")
    if "pandas" in reports and "duckdb" in reports:
        p, d = reports["pandas"]["runs"], reports["duckdb"]["runs"]
        ratios = "  ".join(
            f"{k} {_median(p, k) / _median(d, k):.2f}" for k in (*METRICS, "total")
        )
        print(f"pandas / DuckDB time ratio (pandas metrics exclude the read; total includes it): "
              f"{ratios}")
        total = _median(p, "total") / _median(d, "total")
        rss = reports["pandas"]["peak_rss_gib"]
        print(f"issue #9 targets: total ratio ≤ 1.0: {'yes' if total <= 1.0 else 'NO'} "
              f"({total:.2f}); pandas peak RSS < 12 GB: {'yes' if rss * 2**30 < 12e9 else 'NO'} "
              f"({rss:.2f} GiB)")
    for engine, rep in reports.items():
        print(f"  {engine} runs (total s): " + ", ".join(f"{r['total']:.2f}" for r in rep["runs"]))
    (root / "_check").mkdir(exist_ok=True)
    (root / "_check" / "report.json").write_text(
        json.dumps({"meta": meta, "cores": os.cpu_count(), "repeat": args.repeat,
                    "reports": reports}, indent=1), "utf-8")

    if args.no_check or len(reports) < 2:
        return 0
    engines = list(reports)
    status = 0
    for other in engines[1:]:
        problems = compare(root, engines[0], other)
        if problems:
            status = 1
            print(f"\nRESULTS DIFFER {engines[0]} vs {other}:\n  " + "\n  ".join(problems))
        else:
            print(f"\ncheck: {engines[0]} and {other} give the same numbers "
                  f"(counts identical, floats within 1e-9)")
    return status


if __name__ == "__main__":
    sys.exit(main())
