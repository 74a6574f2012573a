"""Time and peak memory of reading large ledgers: a 1,000,000-row CSV and a 200,000-row .xlsx.

大文件读取基准：100 万行的活动台账 CSV 与 20 万行的 .xlsx，记录耗时与内存峰值。

The ledgers look like real ones, only longer: a title row above the header, a village register of
``--villages`` units, dates in three spellings (``2021-09-09``, ``2021年9月9日``, ``2021.9.9``),
counts such as ``约50`` / ``300余人``, several topics per cell, a few rows with an unknown village,
a negative count or a date in the future (rejected), a blank row every 5,000 rows and a 合计 row at
the end (non-data), and a phone number in ``备注`` now and then (masked). They are written once
into ``benchmarks/data/large/`` (ignored by git) and reused. The same 200,000-row ledger is written
twice: ``xlsx`` by openpyxl's write-only mode (every cell an inline string, as many tools export)
and ``xlsx_excel`` as Excel saves it (a shared-string table, 序号 and counts as numbers, ISO dates
as date cells).

Each case runs in a fresh subprocess (``--repeat`` times; median time reported), so that the peak
RSS is its own: :func:`pufa_metrics.load_dataset` on a folder holding the register and the ledger,
with the progress bar forced on (``PUFA_PROGRESS=1``, on stderr). The child checks the
reconciliation (loaded + rejected + non-data = data rows) and the expected counts.

Each .xlsx case runs once per cell reader (``--xlsx-engines``: python-calamine, the default, and
openpyxl, forced with ``PUFA_XLSX_ENGINE=openpyxl``), each twice: ``parse`` times only the cell
grid (``io._read_raw``), ``load`` the whole :func:`load_dataset`. The child reports which reader
really read the file (calamine may leave a file to openpyxl), and the two engines' loaded events,
rejected and reconciliation are compared (a digest of each); the ratio openpyxl / calamine is
printed.

Usage::

    nice .venv/bin/python benchmarks/bench_large_input.py            # every case
    nice .venv/bin/python benchmarks/bench_large_input.py --cases csv --rows-csv 200000
    nice .venv/bin/python benchmarks/bench_large_input.py --cases xlsx,xlsx_excel --repeat 3
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import os
import statistics
import subprocess
import sys
import time
import zipfile
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


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _write_excel_like(path: Path, title: str, body: pd.DataFrame) -> None:
    """The ledger as Excel saves it: shared strings, numbers as numbers, ISO dates as date cells.

    openpyxl's write-only mode writes every text inline (``t="inlineStr"``); Excel keeps a
    shared-string table and typed cells, which both readers handle differently. The XML is
    built column by column with vectorised string operations.
    """
    from openpyxl.utils import get_column_letter

    text = body.astype("str")
    numeric = {"序号", "参加人数（人次）", "发放资料（份）"}
    iso = text["日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    serial = (pd.to_datetime(text["日期"].where(iso), format="%Y-%m-%d")
              - pd.Timestamp("1899-12-30")).dt.days
    strings = pd.concat([pd.Series([title, *HEADER]), *(text[c] for c in HEADER)])
    table = pd.Index(pd.unique(strings[strings != ""]))
    rownum = pd.Series(np.arange(3, len(text) + 3).astype(str), index=text.index)
    cells = []
    for j, col in enumerate(HEADER):  # eleven columns
        ref = '<c r="' + get_column_letter(j + 1) + rownum
        values = text[col]
        number = values.str.fullmatch(r"-?\d+") & (col in numeric)
        shared = ref + '" t="s"><v>' + pd.Series(table.get_indexer(values), index=text.index
                                                  ).astype(str) + "</v></c>"
        cell = shared.where(~number, ref + '"><v>' + values + "</v></c>")
        if col == "日期":
            cell = cell.where(~iso, ref + '" s="1"><v>' + serial.astype("Int64").astype(str)
                              + "</v></c>")
        cells.append(cell.where(values != "", ""))
    body_xml = '<row r="' + rownum + '">' + functools.reduce(operator.add, cells) + "</row>"
    head = (f'<row r="1"><c r="A1" t="s"><v>{table.get_loc(title)}</v></c></row><row r="2">'
            + "".join(f'<c r="{get_column_letter(j + 1)}2" t="s"><v>{table.get_loc(h)}</v></c>'
                      for j, h in enumerate(HEADER)) + "</row>")
    sheet = (f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:{get_column_letter(len(HEADER))}'
             f'{len(text) + 2}"/><sheetData>{head}{"".join(body_xml)}</sheetData></worksheet>')
    sst = "".join("<si><t>" + table.str.replace("&", "&amp;").str.replace("<", "&lt;")
                  + "</t></si>")
    parts = {
        "[Content_Types].xml":
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            "</Types>",
        "_rels/.rels":
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        "xl/workbook.xml":
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        "xl/styles.xml":
            f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font/></fonts><fills count="1">'
            '<fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" '
            'fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" '
            'borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}">{sst}</sst>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, xml in parts.items():  # seven parts
            zf.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)


def make(rows_csv: int, rows_xlsx: int, n_villages: int) -> dict[str, Path]:
    """Write (once) the register and the CSV and .xlsx cases; return the case folders."""
    DATA.mkdir(parents=True, exist_ok=True)
    villages = _register(n_villages)
    folders = {}
    for case, rows in (("csv", rows_csv), ("xlsx", rows_xlsx), ("xlsx_excel", rows_xlsx)):
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
        elif case == "xlsx_excel":
            title = "示例镇普法活动台账（大文件基准）"
            _write_excel_like(folder / "普法活动台账.xlsx", title, body)
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
import hashlib, json, os, resource, sys, time
from pathlib import Path
folder, mode = Path(sys.argv[1]), sys.argv[2]
t0 = time.perf_counter()
import pandas as pd
import pufa_metrics as pm
from pufa_metrics.io import workbook as io_workbook
t1 = time.perf_counter()
def peak_mib():
    # VmHWM restarts at exec; ru_maxrss keeps the parent's peak across fork + exec on Linux
    try:
        with open("/proc/self/status") as fh:
            return next(int(x.split()[1]) for x in fh if x.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rss_import = peak_mib()
readers = []  # per .xlsx: "calamine", or why calamine left it to openpyxl (none: openpyxl)
calamine_sheets = io_workbook.calamine_sheets
def spy(*args, **kwargs):
    sheets, why = calamine_sheets(*args, **kwargs)
    readers.append("calamine" if sheets is not None else "openpyxl: " + why)
    return sheets, why
io_workbook.calamine_sheets = spy
expect = json.loads((folder / ".expect.json").read_text("utf-8"))
if mode == "parse":
    ledger = next(p for p in folder.iterdir() if p.suffix in (".xlsx", ".csv") and "台账" in p.name)
    sheets = io_workbook.read_raw(ledger, ledger.name)
    t2 = time.perf_counter()
    cells = sum(int(s.grid.notna().to_numpy().sum()) for s in sheets)
    got, ok, phones, digest = {"cells": cells}, cells > 0, 0, ""
else:
    ds = pm.load_dataset(folder, settings=pm.Settings(), progress=True)
    t2 = time.perf_counter()
    rec = ds.reconciliation().set_index("source_file")
    ledger = [f for f in rec.index if "台账" in f][0]
    got = rec.loc[ledger, ["data_rows", "loaded", "rejected", "non_data"]].astype(int).to_dict()
    ok = all(got[k] == expect[k] for k in got) and (
        got["loaded"] + got["rejected"] + got["non_data"] == got["data_rows"])
    phones = int(ds.events["notes"].astype("str").str.contains("13800138000", regex=False).sum())
    digest = hashlib.sha256(b"".join(
        pd.util.hash_pandas_object(f.astype("str"), index=False).to_numpy().tobytes()
        for f in (ds.events, ds.rejected, ds.reconciliation()))).hexdigest()[:16]
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "ok": bool(ok and phones == 0),
                  "got": got, "expect": expect, "phones_left": phones, "digest": digest,
                  "readers": readers,
                  "peak_rss_mib": peak_mib(), "import_rss_mib": rss_import}))
"""


def run(folder: Path, repeat: int, mode: str = "load", engine: str | None = None) -> dict:
    """Run one case ``repeat`` times in fresh processes; median time, max peak RSS.

    ``mode`` is ``load`` (the whole load_dataset) or ``parse`` (only the cell grid); ``engine``
    sets ``PUFA_XLSX_ENGINE`` for the child.
    """
    results = []
    for _ in range(repeat):  # a few repeats
        env = dict(os.environ, PUFA_PROGRESS="1")
        if engine:
            env["PUFA_XLSX_ENGINE"] = engine
        proc = subprocess.run([sys.executable, "-c", CHILD, str(folder), mode], env=env,
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
    parser.add_argument("--cases", default="csv,xlsx,xlsx_excel")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--xlsx-engines", default="calamine,openpyxl",
                        help="cell readers to time on the .xlsx case (PUFA_XLSX_ENGINE)")
    args = parser.parse_args(argv)
    folders = make(args.rows_csv, args.rows_xlsx, args.villages)
    print(f"{'case':<11}{'reader':<10}{'step':<7}{'rows':>10}{'time s':>9}{'peak RSS MiB':>14}"
          f"{'import MiB':>12}  check")
    failed = False
    for case in args.cases.split(","):  # three cases
        engines = args.xlsx_engines.split(",") if case.startswith("xlsx") else [None]
        times: dict[tuple[str, str | None], float] = {}
        digests = set()
        for engine in engines:  # two readers at most
            for mode in ("parse", "load") if case.startswith("xlsx") else ("load",):
                res = run(folders[case], args.repeat, mode, engine)
                rows = res["expect"]["data_rows"]
                status = "ok" if res["ok"] else f"FAILED got {res['got']} expected {res['expect']}"
                read_by = sorted(set(res["readers"])) or ["openpyxl"]
                if engine and read_by != [engine]:
                    status += f"; FAILED: read by {read_by}, not {engine}"
                    res["ok"] = False
                failed |= not res["ok"]
                times[mode, engine] = res["load_s"]
                if mode == "load":
                    digests.add(res["digest"])
                print(f"{case:<11}{engine or '-':<10}{mode:<7}{rows:>10,}{res['load_s']:>9.1f}"
                      f"{res['peak_rss_mib']:>14.0f}{res['import_rss_mib']:>12.0f}  {status}; "
                      f"progress bar lines on stderr: {res['progress_lines']}; "
                      f"runs {res['runs']}")
        if len(engines) == 2:
            for mode in ("parse", "load"):  # openpyxl / calamine
                ratio = times[mode, "openpyxl"] / times[mode, "calamine"]
                print(f"{case}: {mode} openpyxl / calamine = {ratio:.1f}×")
            same = len(digests) == 1
            failed |= not same
            print(f"{case}: loaded events, rejected and reconciliation "
                  f"{'identical' if same else 'DIFFER'} across readers ({', '.join(digests)})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
