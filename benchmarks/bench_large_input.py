"""Time and peak memory of reading large ledgers: a 1,000,000-row CSV and a 200,000-row .xlsx.

大文件读取基准：100 万行的活动台账 CSV 与 20 万行的 .xlsx，记录耗时与内存峰值。

The ledgers look like real ones, only longer: a title row above the header, a village register of
``--villages`` units, dates in three spellings (``2021-09-09``, ``2021年9月9日``, ``2021.9.9``),
counts such as ``约50`` / ``300余人``, several topics per cell, a few rows with an unknown village,
a negative count or a date in the future (rejected), a blank row every 5,000 rows and a 合计 row at
the end (non-data), and a phone number in ``备注`` now and then (masked). They are written once
into ``benchmarks/data/large/`` (ignored by git) and reused.

Each case runs in a fresh subprocess (``--repeat`` times; median time reported), so that the peak
RSS is its own: :func:`pufa_metrics.load_dataset` on a folder holding the register and the ledger,
with the progress bar forced on (``PUFA_PROGRESS=1``, on stderr). The child checks the
reconciliation (loaded + rejected + non-data = data rows) and the expected counts.

Usage::

    nice .venv/bin/python benchmarks/bench_large_input.py            # both cases
    nice .venv/bin/python benchmarks/bench_large_input.py --cases csv --rows-csv 200000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data" / "large"

TOPICS = np.array(["宪法", "民法典", "反诈", "禁毒", "扫黑除恶", "平安宣传", "婚姻家庭",
                   "民法典、反诈", "禁毒、反电信诈骗", "未成年人保护", "消费者权益", "安全生产"])
FORMS = np.array(["法律知识讲座", "摆摊设点", "以案释法", "入户走访", "文艺演出", "新媒体线上"])
AUDIENCES = np.array(["全体村民", "老年人", "青少年", "妇女", "外出务工人员", "村两委干部"])
ORGS = np.array(["司法所", "派出所", "妇联", "综治办", "镇政府", "团委"])
COUNTS = np.array(["50", "120", "约50", "300余人", "80", "1.2万", "35人", "200"])
HEADER = ["序号", "日期", "村（社区）", "活动名称", "宣传内容", "活动形式", "主办单位", "参加对象",
          "参加人数（人次）", "发放资料（份）", "备注"]


def _register(n: int) -> pd.DataFrame:
    ids = [f"V{i:05d}" for i in range(n)]
    names = [f"第{i}村" if i % 7 else f"第{i}社区" for i in range(n)]
    rng = np.random.default_rng(1)
    return pd.DataFrame({"村编码": ids, "村（社区）": names,
                         "常住人口": rng.integers(300, 6000, n), "镇": "示例镇"})


def _ledger(rows: int, villages: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, dict]:
    """The body of a ledger (list of rows) and the counts a correct reader must report."""
    rng = np.random.default_rng(seed)
    names = villages["村（社区）"].to_numpy()
    day = rng.integers(0, 6 * 365, rows)
    date = pd.Timestamp("2020-01-01") + pd.to_timedelta(day, unit="D")
    style = rng.integers(0, 3, rows)
    text_date = np.where(
        style == 0, date.strftime("%Y-%m-%d"),
        np.where(style == 1, date.strftime("%Y年%-m月%-d日"), date.strftime("%Y.%-m.%-d")))
    village = names[rng.integers(0, len(names), rows)]
    topic = TOPICS[rng.integers(0, len(TOPICS), rows)]
    body = pd.DataFrame({
        "序号": np.arange(1, rows + 1).astype(str),
        "日期": text_date,
        "村（社区）": village,
        "活动名称": pd.Series(village).str.cat(pd.Series(topic).str.split("、").str[0]) + "宣传",
        "宣传内容": topic,
        "活动形式": FORMS[rng.integers(0, len(FORMS), rows)],
        "主办单位": ORGS[rng.integers(0, len(ORGS), rows)],
        "参加对象": AUDIENCES[rng.integers(0, len(AUDIENCES), rows)],
        "参加人数（人次）": COUNTS[rng.integers(0, len(COUNTS), rows)],
        "发放资料（份）": rng.integers(0, 500, rows).astype(str),
        "备注": "",
    })
    phone = rng.random(rows) < 0.001
    body.loc[phone, "备注"] = "联系电话13800138000"
    # problems: unknown village, negative count, a date in the future (one row each 1,000)
    bad = np.flatnonzero(rng.random(rows) < 0.003)
    kinds = rng.integers(0, 3, len(bad))
    body.loc[bad[kinds == 0], "村（社区）"] = "外镇某村"
    body.loc[bad[kinds == 1], "参加人数（人次）"] = "-20"
    body.loc[bad[kinds == 2], "日期"] = "2099-01-01"
    # the same event twice in one ledger would be fine (no event id); blank rows every 5,000
    blank_every = 5000
    parts, n_blank = [], 0
    for start in range(0, rows, blank_every):  # a few hundred chunks at most
        parts.append(body.iloc[start:start + blank_every])
        if start + blank_every < rows:
            parts.append(pd.DataFrame([[""] * len(HEADER)], columns=HEADER))
            n_blank += 1
    total = pd.DataFrame([["合计", "", "", "", "", "", "", "", "", "", ""]], columns=HEADER)
    out = pd.concat([*parts, total], ignore_index=True)
    expect = {"data_rows": rows + n_blank + 1, "rejected": int(len(bad)),
              "non_data": n_blank + 1, "phones": int(phone.sum())}
    expect["loaded"] = expect["data_rows"] - expect["rejected"] - expect["non_data"]
    return out, expect


def _add_dimension(path: Path, n_rows: int, n_cols: int) -> None:
    """Write the ``<dimension>`` element Excel always writes (openpyxl's write-only mode omits
    it, and without it openpyxl's reader scans the whole sheet once more just to size it)."""
    import zipfile

    from openpyxl.utils import get_column_letter

    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # a handful of parts
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet") and b"<dimension" not in data:
                ref = f'<dimension ref="A1:{get_column_letter(n_cols)}{n_rows}" />'.encode()
                data = data.replace(b"<sheetViews>", ref + b"<sheetViews>", 1)
            dst.writestr(info, data)
    tmp.replace(path)


def make(rows_csv: int, rows_xlsx: int, n_villages: int) -> dict[str, Path]:
    """Write (once) the register, the CSV case and the .xlsx case; return the case folders."""
    DATA.mkdir(parents=True, exist_ok=True)
    villages = _register(n_villages)
    folders = {}
    for case, rows in (("csv", rows_csv), ("xlsx", rows_xlsx)):
        folder = DATA / f"{case}_{rows}_{n_villages}"
        folders[case] = folder
        if (folder / ".expect.json").exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        villages.to_csv(folder / "村居基本信息.csv", index=False, encoding="utf-8-sig")
        body, expect = _ledger(rows, villages, seed=rows)
        t0 = time.perf_counter()
        if case == "csv":
            with (folder / "普法活动台账.csv").open("w", encoding="utf-8-sig", newline="") as fh:
                fh.write("示例镇普法活动台账（大文件基准）\n")
                body.to_csv(fh, index=False)
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            ws = wb.create_sheet("台账")
            ws.append(["示例镇普法活动台账（大文件基准）"])
            ws.append(HEADER)
            for row in body.itertuples(index=False):  # writing the fixture, not the library
                ws.append(list(row))
            wb.save(folder / "普法活动台账.xlsx")
            _add_dimension(folder / "普法活动台账.xlsx", len(body) + 2, len(HEADER))
        print(f"wrote {folder.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        (folder / ".expect.json").write_text(json.dumps(expect), encoding="utf-8")
    return folders


CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
folder = Path(sys.argv[1])
t0 = time.perf_counter()
import pufa_metrics as pm
t1 = time.perf_counter()
rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ds = pm.load_dataset(folder, settings=pm.Settings(), progress=True)
t2 = time.perf_counter()
rec = ds.reconciliation().set_index("source_file")
expect = json.loads((folder / ".expect.json").read_text("utf-8"))
ledger = [f for f in rec.index if "台账" in f][0]
got = rec.loc[ledger, ["data_rows", "loaded", "rejected", "non_data"]].astype(int).to_dict()
ok = all(got[k] == expect[k] for k in got) and (
    got["loaded"] + got["rejected"] + got["non_data"] == got["data_rows"])
phones = int(ds.events["notes"].astype("str").str.contains("13800138000", regex=False).sum())
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "ok": bool(ok and phones == 0),
                  "got": got, "expect": expect, "phones_left": phones,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "import_rss_mib": rss_import / 1024}))
"""


def run(folder: Path, repeat: int) -> dict:
    """Run one case ``repeat`` times in fresh processes; median time, max peak RSS."""
    results = []
    for _ in range(repeat):  # a few repeats
        env = dict(os.environ, PUFA_PROGRESS="1")
        proc = subprocess.run([sys.executable, "-c", CHILD, str(folder)], env=env,
                              capture_output=True, text=True, cwd=ROOT, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{folder.name} failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        bar = [line for line in proc.stderr.replace("\r", "\n").splitlines() if "it/s" in line
               or "rows/s" in line or "%|" in line]
        results[-1]["progress_lines"] = len(bar)
    out = dict(results[-1])
    out["load_s"] = statistics.median(r["load_s"] for r in results)
    out["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
    out["runs"] = [round(r["load_s"], 2) for r in results]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-csv", type=int, default=1_000_000)
    parser.add_argument("--rows-xlsx", type=int, default=200_000)
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--cases", default="csv,xlsx")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    folders = make(args.rows_csv, args.rows_xlsx, args.villages)
    print(f"{'case':<6}{'rows':>10}{'load s':>10}{'peak RSS MiB':>15}{'import MiB':>12}  check")
    failed = False
    for case in args.cases.split(","):  # two cases
        res = run(folders[case], args.repeat)
        rows = res["expect"]["data_rows"]
        status = "ok" if res["ok"] else f"FAILED got {res['got']} expected {res['expect']}"
        failed |= not res["ok"]
        print(f"{case:<6}{rows:>10,}{res['load_s']:>10.1f}{res['peak_rss_mib']:>15.0f}"
              f"{res['import_rss_mib']:>12.0f}  {status}; progress bar lines on stderr: "
              f"{res['progress_lines']}; runs {res['runs']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
