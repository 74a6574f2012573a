"""Hostile input, property-based (hypothesis): arbitrary cells, headers, encodings and shapes.

Whatever a ledger or a survey export holds, the readers either load it, with
``loaded + rejected + non_data == data_rows`` for every file, or refuse it with a
:class:`~pufa_metrics.io.LedgerError` (a ``ValueError``) naming the file; ``pufa validate`` never
shows a traceback and never reports an internal error (exit code 3); personal data written into
any cell never comes out. The metric functions keep their invariants on arbitrary small frames.

The examples are bounded (small grids, 30–60 examples a property, no deadline) and derandomized,
so the file runs in well under a minute and gives the same result on every machine.
"""

from __future__ import annotations

import contextlib
import csv
import io as stdio
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from pufa_metrics import cli, privacy, schema
from pufa_metrics.config import Settings
from pufa_metrics.coverage import village_coverage
from pufa_metrics.io import LedgerError, load_dataset
from pufa_metrics.io.ledger import read_table
from pufa_metrics.io.survey import read_survey_result
from pufa_metrics.survey import awareness_rates, proportion_ci

CI = settings(derandomize=True, deadline=None, max_examples=50, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
FEW = settings(CI, max_examples=30)

REGISTER = pd.DataFrame({"village_id": ["V01", "V02", "V03"],
                         "village_name": ["大岭村", "上坝村", "公园社区"],
                         "town": ["水寨镇"] * 3, "population": [1200, 800, 3400]})
TODAY = pd.Timestamp("2026-06-30")

#: Personal data planted in cells; none of it may come out of a reader. The patterns that look
#: for it are independent of pufa_metrics.privacy.
PII = ["13800138000", "电话139 1234 5678", "11010519491231002X", "府前路8号", "联系人李四",
       "113.96.1.23"]
LEAKS = [re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"), re.compile(r"11010519491231002X"),
         re.compile("府前路8号"),
         re.compile("联系人李四"), re.compile(r"113\.96\.1\.23")]  # a bare name is no leak

HEADERS = ["日期", "活动时间", "村（社区）", "地点", "宣传内容", "活动名称", "参加人数（人次）",
           "发放资料（份）", "活动形式", "参加对象", "备注", "序号", "编号", "姓名", "联系电话",
           "身份证号", "主办单位"]
CELLS = ["2021-09-09", "2021年9月9日", "9月9日", "2021.9.9", "44448", "2099-01-01", "9999-12-31",
         "1999-12-31", "2021-02-30", "明天", "约50", "300余人", "1.2万", "-20", "−5", "很多", "50",
         "0", "无", "大岭村", "大岭村委会", "公园\u3000社区", "上坝村３组", "外镇某村", "全镇",
         "民法典、反诈", "禁毒", "垃圾分类", "讲座", "合计", "小计", "注：本表由司法所填报",
         "#REF!", "=1+1", "日期", "村（社区）", *PII]

cell = st.one_of(
    st.none(), st.just(""), st.sampled_from(CELLS),
    st.text(max_size=8),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
header_cell = st.one_of(st.sampled_from(HEADERS), st.text(max_size=6), st.none())


@st.composite
def grids(draw, *, max_rows: int = 8, max_cols: int = 7):
    """Title lines, a header line and data lines of arbitrary, ragged width."""
    titles = draw(st.lists(st.lists(cell, max_size=2), max_size=3))
    header = draw(st.lists(header_cell, min_size=1, max_size=max_cols))
    body = draw(st.lists(st.lists(cell, max_size=max_cols), max_size=max_rows))
    return [*titles, header, *body]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def write_csv(path: Path, rows: list[list], encoding: str, delimiter: str = ",") -> bool:
    """Write rows as CSV; False when the text cannot be written in that encoding."""
    buf = stdio.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(
        [[_text(v) for v in row] for row in rows])
    try:
        path.write_bytes(buf.getvalue().encode(encoding))
    except UnicodeEncodeError:
        return False
    return True


def write_xlsx(path: Path, rows: list[list]) -> bool:
    """Write rows to an .xlsx; False when a cell holds a character Excel cannot store."""
    wb = Workbook()
    ws = wb.active
    try:
        for row in rows:  # writing a test file
            ws.append([None if v is None else str(v) for v in row])
    except IllegalCharacterError:
        return False
    wb.save(path)
    return True


def all_text(*frames: pd.DataFrame) -> str:
    parts = []
    for frame in frames:
        parts += [str(c) for c in frame.columns]
        parts += [str(v) for v in frame.astype("object").to_numpy().ravel()]
    return "\n".join(parts)


def assert_no_leak(text: str) -> None:
    squeezed = re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", text)
    for pattern in LEAKS:
        assert pattern.search(squeezed) is None, pattern.pattern


def check_result(res, n_lines: int) -> None:
    """The invariants of one file read by the ledger reader."""
    stats = res.stats
    assert stats["loaded"] + stats["rejected"] + stats["non_data"] == stats["data_rows"]
    assert min(stats["loaded"], stats["rejected"], stats["non_data"]) >= 0
    assert stats["preamble_rows"] + stats["data_rows"] < n_lines + 1  # the header is a line
    assert len(res.frame) == stats["loaded"]
    rows = res.rejected["source_row"].dropna()
    assert rows.nunique() == stats["rejected"]
    assert not set(res.frame["source_row"]) & set(rows)
    assert list(res.frame.columns) == list(schema.TABLES["events"].columns)
    assert str(res.frame["date"].dtype) == "datetime64[us]"
    assert res.frame["attendees"].dtype == "Int64"
    assert (res.frame["attendees"].dropna() >= 0).all()
    dates = res.frame["date"].dropna()
    assert ((dates >= pd.Timestamp("2000-01-01")) & (dates <= TODAY)).all()
    assert set(res.event_topics["event_id"]) <= set(res.frame["event_id"])
    assert_no_leak(all_text(res.frame, res.rejected, res.warnings, res.event_topics))


# --------------------------------------------------------------------------------------------
# The ledger reader
# --------------------------------------------------------------------------------------------


@CI
@given(rows=grids(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16",
                                               "utf-16-le"]),
       delimiter=st.sampled_from([",", "\t", ";"]))
@pytest.mark.slow
def test_csv_ledger_reconciles_or_is_refused(rows, encoding, delimiter):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "台账.csv"
        assume(write_csv(path, rows, encoding, delimiter))
        try:
            res = read_table(path, table="events", villages=REGISTER, today=TODAY,
                              settings=Settings())
        except LedgerError as exc:
            assert str(exc).startswith("台账.csv: ")
            assert_no_leak(str(exc))
            return
        check_result(res, len(rows))


@FEW
@given(rows=grids(max_rows=6, max_cols=6))
def test_xlsx_ledger_reconciles_or_is_refused(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "台账.xlsx"
        assume(write_xlsx(path, rows))
        try:
            res = read_table(path, table="events", villages=REGISTER, today=TODAY,
                              settings=Settings())
        except LedgerError as exc:
            assert str(exc).startswith("台账.xlsx: ")
            assert_no_leak(str(exc))
            return
        check_result(res, len(rows))


@CI
@given(cells=st.lists(st.lists(st.sampled_from(CELLS + [None]), min_size=4, max_size=4),
                      min_size=1, max_size=8))
@pytest.mark.slow
def test_a_valid_header_always_reads_and_every_row_is_accounted_for(cells):
    # with the header fixed, the file always loads (no LedgerError) and every line under it is
    # loaded, rejected or non-data
    rows = [["日期", "村（社区）", "宣传内容", "参加人数（人次）"], *cells]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "台账.csv"
        write_csv(path, rows, "utf-8")
        res = read_table(path, table="events", villages=REGISTER, today=TODAY,
                          settings=Settings())
    blank_tail = 0
    for row in reversed(cells):  # trailing blank lines are not data rows
        if any(_text(v).strip() for v in row):
            break
        blank_tail += 1
    assert res.stats["data_rows"] == len(cells) - blank_tail
    check_result(res, len(rows))


# --------------------------------------------------------------------------------------------
# A folder, through the pufa command
# --------------------------------------------------------------------------------------------

NAMES = ["台账_a.csv", "台账_b.xlsx", "活动.xls", "events.csv", "问卷.xlsx", "问卷.csv",
         "阵地.csv", "学法_2021.csv", "村界.geojson", "未知.csv", "其他.bin"]


@st.composite
def folders(draw):
    """1–3 files: arbitrary bytes, or a grid written as CSV / .xlsx, under ledger-like names."""
    files = {}
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["bytes", "grid"]))
        if kind == "bytes" or name.endswith((".geojson", ".bin", ".xls")):
            files[name] = draw(st.binary(max_size=300))
        else:
            files[name] = draw(grids(max_rows=5, max_cols=5))
    return files


def write_folder(root: Path, files: dict) -> None:
    (root / "村居基本信息.csv").write_text(
        "村编码,村（社区）,常住人口\nV01,大岭村,1200\nV02,上坝村,800\nV03,公园社区,3400\n",
        encoding="utf-8")
    for name, content in files.items():  # 1–3 files
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif name.endswith(".xlsx"):
            if not write_xlsx(path, content):
                path.write_bytes(b"")
        else:
            write_csv(path, content, "utf-8")


@pytest.mark.slow
@FEW
@given(files=folders())
def test_load_dataset_reconciles_every_file_and_never_fails_internally(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, files)
        ds = load_dataset(root, settings=Settings(), strict=False)
    rec = ds.reconciliation()
    assert (rec["loaded"] + rec["rejected"] + rec["non_data"] == rec["data_rows"]).all()
    # an unreadable file is reported with a message naming it; never as a reader bug
    assert not rec["message"].str.contains("the reader failed", regex=False).any()
    bad = rec[rec["status"] == "error"]
    assert all(m.startswith(f"{f}: ") or m.startswith("'path'") or f in m
               for f, m in zip(bad["source_file"], bad["message"], strict=True))
    assert ds.villages["village_id"].tolist() == ["V01", "V02", "V03"]  # the register loads
    assert_no_leak(all_text(ds.events, ds.rejected, ds.warnings, ds.files, ds.responses))


@pytest.mark.slow
@settings(FEW, max_examples=20)
@given(files=folders())
def test_pufa_validate_never_shows_a_traceback(files):
    out, err = stdio.StringIO(), stdio.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, files)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["validate", str(root)])
    out, err = out.getvalue(), err.getvalue()
    assert code in (cli.EXIT_OK, cli.EXIT_BAD_INPUT)  # 3 would be a bug or a lost row
    assert "Traceback" not in out + err
    assert "Internal error" not in err and "程序内部错误" not in err


# --------------------------------------------------------------------------------------------
# The survey reader
# --------------------------------------------------------------------------------------------

QUESTIONS = ["序号", "提交答卷时间", "来自IP", "1、您所在的村（社区）：", "2、您的性别：",
             "3、您的年龄段：", "4、您是否知道《民法典》？", "5、您对普法工作是否满意？",
             "6、您的联系电话：", "7、其他意见：", "village_id", "weight"]
ANSWERS = ["知道", "听说过", "不知道", "满意", "不清楚", "(跳过)", "-3", "男", "女", "18-29岁",
           "大岭村", "公园社区居委会", "新村", "V01", "V09", "1", "0.5", "-1", "abc", "2025/11/03",
           *PII]


@st.composite
def surveys(draw):
    header = draw(st.lists(st.one_of(st.sampled_from(QUESTIONS), st.text(max_size=6)),
                           min_size=1, max_size=6))
    answer = st.one_of(st.none(), st.sampled_from(ANSWERS), st.text(max_size=6))
    body = draw(st.lists(st.lists(answer, max_size=len(header) + 1), max_size=8))
    return [header, *body]


@pytest.mark.slow
@CI
@given(rows=surveys())
def test_survey_reader_reconciles_or_is_refused(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "问卷.csv"
        write_csv(path, rows, "utf-8")
        try:
            res = read_survey_result(path, villages=REGISTER, settings=Settings())
        except ValueError as exc:  # LedgerError included
            assert_no_leak(str(exc))
            return
    s = res.stats
    assert s["loaded"] + s["rejected"] + s["non_data"] == s["data_rows"]
    assert len(res.responses) == s["loaded"]
    assert res.rejected["source_row"].dropna().nunique() == s["rejected"]
    items = list(res.codebook["item"])
    assert len(items) == len(set(items))  # one codebook row per item
    assert list(res.responses.columns)[10:] == items  # canonical columns, then the items
    assert all(res.responses[c].dtype == "str" for c in items)
    assert res.responses["village_id"].dropna().isin(REGISTER["village_id"]).all()
    assert_no_leak(all_text(res.responses, res.codebook, res.rejected, res.warnings))


# --------------------------------------------------------------------------------------------
# Privacy helpers
# --------------------------------------------------------------------------------------------


@CI
@given(parts=st.lists(st.one_of(st.text(max_size=6), st.sampled_from(PII)), max_size=6),
       glue=st.sampled_from(["，", "、", "x", "；", "住"]))
def test_masked_text_keeps_no_planted_personal_data(parts, glue):
    # the parts are glued with a non-digit: a phone glued to more digits is a longer number,
    # for these detectors as for the independent patterns above (digit boundaries)
    text = glue.join(parts)
    masked, cells = privacy.mask_personal_data(pd.Series([text, None]))
    assert pd.isna(masked.iloc[1])
    planted = any(p in text for p in PII)
    assert_no_leak(str(masked.iloc[0]))
    assert (sum(cells.values()) > 0) >= planted  # something planted → something counted
    if not cells:
        assert masked.iloc[0] == text  # nothing found → the text is unchanged


@CI
@given(n=st.lists(st.one_of(st.integers(0, 30), st.none()), min_size=1, max_size=12),
       groups=st.data(), k=st.integers(1, 10))
def test_small_cells_never_published_and_never_recoverable(n, groups, k):
    group = groups.draw(st.lists(st.sampled_from("ab"), min_size=len(n), max_size=len(n)))
    frame = pd.DataFrame({"item": group, "n": pd.array(n, dtype="Int64"),
                          "n_positive": pd.array([None if v is None else v // 2 for v in n],
                                                 dtype="Int64"),
                          "rate": [np.nan if v is None else 0.5 for v in n]})
    plain = privacy.suppress_small(frame, k=k)
    small = np.array([v is None or v < k for v in n])
    assert (plain["suppressed"].to_numpy() == small).all()
    assert plain.loc[plain["suppressed"], ["n", "n_positive", "rate"]].isna().all().all()
    kept = ~plain["suppressed"]
    assert plain.loc[kept, "n"].tolist() == frame.loc[kept, "n"].tolist()
    second = privacy.suppress_small(frame, k=k, secondary_by="item")
    assert (second["suppressed"] | ~plain["suppressed"]).all()  # primary cells stay hidden
    per_group = second.groupby("item")["suppressed"].agg(["sum", "size"])
    # never exactly one hidden cell in a group that has others: it could be recovered
    assert ((per_group["sum"] != 1) | (per_group["size"] == 1)).all()


# --------------------------------------------------------------------------------------------
# Metric functions
# --------------------------------------------------------------------------------------------


@CI
@given(pairs=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1,
                      max_size=20),
       method=st.sampled_from(["wilson", "clopper-pearson", "jeffreys", "agresti-coull"]),
       level=st.floats(0.5, 0.999))
def test_proportion_ci_brackets_the_rate(pairs, method, level):
    k = np.array([min(a, b) for a, b in pairs], dtype=float)
    n = np.array([max(a, b) for a, b in pairs], dtype=float)
    lo, hi = proportion_ci(k, n, method=method, level=level)
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    ok = n > 0
    assert np.isnan(lo[~ok]).all() and np.isnan(hi[~ok]).all()
    assert (lo[ok] >= 0).all() and (hi[ok] <= 1).all() and (lo[ok] <= hi[ok]).all()
    p = k[ok] / n[ok]
    assert (lo[ok] <= p + 1e-12).all() and (p <= hi[ok] + 1e-12).all()


def test_jeffreys_interval_contains_zero_at_zero_successes():
    lo, hi = proportion_ci(np.array([0.0, 20.0]), np.array([20.0, 20.0]), method="jeffreys")
    assert float(np.asarray(lo)[0]) == 0.0 and float(np.asarray(hi)[1]) == 1.0


@CI
@given(rows=st.lists(st.tuples(st.sampled_from(["V01", "V02", "V03", None]),
                               st.sampled_from(["知道", "听说过", "不知道", "不清楚", "", None,
                                                "乱写"])),
                     min_size=1, max_size=40))
def test_awareness_rates_invariants(rows):
    responses = pd.DataFrame({"village_id": pd.Series([r[0] for r in rows], dtype="str"),
                              "q4": pd.Series([r[1] for r in rows], dtype="str")})
    codebook = pd.DataFrame({"item": ["q4"], "text": ["您是否知道民法典"], "domain": ["awareness"],
                             "positive": [("知道", "听说过")], "missing": [("不清楚",)]})
    try:
        rates = awareness_rates(responses, codebook)
    except ValueError:
        return
    # hand rule: an answer counts when it is not missing, empty or 不清楚; a row without a
    # village forms its own group (nothing dropped), so the groups add up to every answer
    answered = [r for r in rows if r[1] not in (None, "", "不清楚")]
    assert int(rates["n"].sum()) == len(answered)
    assert int(rates["n_positive"].sum()) == sum(1 for r in answered if r[1] in ("知道", "听说过"))
    assert (rates["n_positive"] <= rates["n"]).all()
    # 乱写 is neither positive, negative (pufa.toml's 不知道 …) nor missing: the item is not
    # assessed (needs a codebook decision) in every group, never counted as "not aware"
    if any(r[1] == "乱写" for r in answered):
        assert rates["status"].eq("needs_codebook").all() and rates["rate"].isna().all()
        return
    assert rates["status"].eq("ok").all()
    has = rates["n"] > 0
    assert ((rates.loc[has, "rate"] >= 0) & (rates.loc[has, "rate"] <= 1)).all()
    assert (rates.loc[has, "ci_low"] <= rates.loc[has, "rate"] + 1e-12).all()
    assert (rates.loc[has, "rate"] <= rates.loc[has, "ci_high"] + 1e-12).all()


@CI
@given(events=st.lists(st.tuples(st.sampled_from(["V01", "V02", "V03", None]),
                                 st.integers(0, 700)), max_size=25))
def test_village_coverage_keeps_every_village_and_counts_every_event(events):
    start = pd.Timestamp("2021-01-01")
    frame = pd.DataFrame({
        "event_id": [f"e{i}" for i in range(len(events))],
        "village_id": pd.Series([v for v, _ in events], dtype="str"),
        "date": pd.Series([start + pd.Timedelta(days=d) for _, d in events],
                          dtype="datetime64[us]"),
        "topic": "宪法",
        "attendees": pd.array([10] * len(events), dtype="Int64"),
    })
    end = start + pd.Timedelta(days=700)
    cov = village_coverage(frame, REGISTER, start=start, end=end)
    assert sorted(cov.index) == ["V01", "V02", "V03"]  # zero-event villages kept
    assert int(cov["n_events"].sum()) == sum(1 for v, _ in events if v is not None)
    assert (cov["covered"] == (cov["n_events"] >= 1)).all()
    assert ((cov["longest_gap_days"] >= 0) & (cov["longest_gap_days"] <= 700)).all()
    no_events = cov["n_events"] == 0
    assert (cov.loc[no_events, "longest_gap_days"] == 700).all()


@pytest.mark.parametrize("value", PII)
def test_each_planted_value_is_caught_by_the_detectors(value):
    assert privacy.find_personal_data(pd.Series([value])) is not None
