"""python-calamine reads .xlsx ledgers exactly as openpyxl did (the fast path of ``io``).

Every comparison reads one file twice: through calamine (``io.XLSX_ENGINE = "calamine"``, with
the openpyxl reader made to fail so that a silent fallback cannot pass the test) and through the
forced openpyxl path (``"openpyxl"``, with calamine made to fail). The cell grids, the loaded
frames, ``rejected``, ``warnings`` and the reconciliation must be equal: openpyxl, an independent
reader, is the reference. Files calamine might read differently must be declined (then openpyxl
reads them, with the same result), and a damaged file must give the same message either way.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Border, PatternFill, Side
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from pandas.testing import assert_frame_equal

from pufa_metrics.config import Settings
from pufa_metrics.io import LedgerError, read_ledger
from pufa_metrics.io import ledger as io_ledger
from pufa_metrics.io import survey as io_survey
from pufa_metrics.io import workbook as io_workbook

python_calamine = pytest.importorskip("python_calamine")
pytestmark = [  # openpyxl on the hand-written workbooks (no default style; a date beyond 9999)
    pytest.mark.filterwarnings("ignore:Workbook contains no default style:UserWarning"),
    pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning"),
]

DATA = Path(__file__).resolve().parent / "data"
XLSX_FIXTURES = sorted(DATA.rglob("*.xlsx"))
TODAY = pd.Timestamp("2026-06-30")
REGISTER = pd.DataFrame({
    "village_id": ["V01", "V02", "V03", "V04", "V05"],
    "village_name": ["大岭村", "上坝村", "犁滩村", "坝美村", "公园社区"],
    "town": ["水寨镇"] * 5,
})


def _forbidden(*args, **kwargs):
    raise AssertionError("this reader must not run here")


def run_with(engine: str, monkeypatch: pytest.MonkeyPatch, fn: Callable[[], object]):
    """``fn()`` with only one .xlsx reader allowed; a LedgerError is returned as its message."""
    with monkeypatch.context() as m:
        m.setattr(io_workbook, "XLSX_ENGINE", engine)
        if engine == "openpyxl":
            m.setattr(io_workbook, "calamine_sheets", _forbidden)
        elif engine == "calamine":
            m.setattr(io_workbook, "_openpyxl_sheets", _forbidden)
        try:
            return fn()
        except LedgerError as exc:
            return f"LedgerError: {exc}"


def assert_same(a: object, b: object) -> None:
    """Deep equality of what the readers return: frames, sheets, dicts, lists, messages."""
    if isinstance(a, pd.DataFrame):
        assert_frame_equal(a, b)
    elif isinstance(a, io_workbook.Sheet):
        assert (a.name, a.merges, a.origin) == (b.name, b.merges, b.origin)
        assert_frame_equal(a.grid, b.grid)
        assert (a.formulas is None) == (b.formulas is None)
        if a.formulas is not None:
            assert_frame_equal(a.formulas, b.formulas)
    elif isinstance(a, io_ledger.ReadResult):
        for part in ("frame", "rejected", "warnings", "stats", "event_topics", "sheets"):
            assert_same(getattr(a, part), getattr(b, part))
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        assert a == b


def compare_engines(path: Path, monkeypatch, *, calamine: bool = True, table: str = "events"):
    """Grids and the table read through both readers are equal; returns the calamine grids.

    ``calamine=False``: calamine must decline this file (openpyxl then reads it).
    """
    def raw():
        return io_workbook.read_raw(path, path.name)

    def tab():
        return io_ledger.read_table(path, table=table, villages=REGISTER, today=TODAY,
                               settings=Settings())

    ref_raw, ref_tab = (run_with("openpyxl", monkeypatch, f) for f in (raw, tab))
    if calamine:
        got_raw, got_tab = (run_with("calamine", monkeypatch, f) for f in (raw, tab))
    else:
        with zipfile.ZipFile(path) as zf:
            sheets, why = io_workbook.calamine_sheets(path, zf, path.name, None)
        assert sheets is None and why, "calamine should have declined this file"
        got_raw, got_tab = (run_with(None, monkeypatch, f) for f in (raw, tab))
    assert_same(got_raw, ref_raw)
    assert_same(got_tab, ref_tab)
    return got_raw


# --------------------------------------------------------------------------------------------
# Every .xlsx fixture of the test suite
# --------------------------------------------------------------------------------------------


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


@pytest.mark.parametrize("path", XLSX_FIXTURES, ids=lambda p: str(p.relative_to(DATA)))
def test_fixture_grids_and_ledgers_are_the_same(path, monkeypatch):
    # workbooks go through calamine (openpyxl forbidden); the ZIPs that are no workbook, the
    # encrypted, truncated and fake ones are refused before either reader, with one message
    grids = compare_engines(path, monkeypatch)
    assert isinstance(grids, list) == _is_workbook(path)


@pytest.mark.parametrize("path", [p for p in XLSX_FIXTURES if p.parent.name == "survey"],
                         ids=lambda p: p.name)
def test_survey_fixtures_read_the_same(path, monkeypatch):
    if "codebook" in path.name:
        def read():
            return io_survey.read_codebook(path)
    else:
        def read():
            return io_survey.read_survey(path, villages=REGISTER)
    assert_same(run_with("calamine", monkeypatch, read), run_with("openpyxl", monkeypatch, read))


def test_read_ledger_public_entry_point(monkeypatch):
    path = DATA / "ledgers" / "events_司法所.xlsx"

    def read():
        return read_ledger(path, table="events", villages=REGISTER, settings=Settings())

    events, rejected = run_with("calamine", monkeypatch, read)
    ref_events, ref_rejected = run_with("openpyxl", monkeypatch, read)
    assert_frame_equal(events, ref_events)
    assert_frame_equal(rejected, ref_rejected)
    assert len(events) > 0


# --------------------------------------------------------------------------------------------
# Workbooks written here with openpyxl: every kind of cell a ledger holds
# --------------------------------------------------------------------------------------------

HEADER = ["序号", "日期", "村（社区）", "宣传内容", "活动形式", "参加人数（人次）", "备注"]


def _ledger_book(rows: list[list], *, title: str = "水寨镇普法活动台账", at: tuple = (1, 1),
                 formats: dict | None = None) -> openpyxl.Workbook:
    """A title row, the header and ``rows``, starting at (row, column) ``at``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2021年"
    r0, c0 = at
    ws.cell(r0, c0, title)
    for j, name in enumerate(HEADER):
        ws.cell(r0 + 1, c0 + j, name)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = ws.cell(r0 + 2 + i, c0 + j, value)
            if formats and j in formats and value is not None:
                cell.number_format = formats[j]
    return wb


def test_dates_times_numbers_text_and_booleans(tmp_path, monkeypatch):
    rows = [
        [1, dt.date(2021, 9, 9), "大岭村", "民法典", "法律知识讲座", 50, "date cell"],
        [2, dt.datetime(2021, 9, 10, 14, 30), "上坝村", "反诈", "摆摊设点", 50.0, "datetime"],
        [3, "2021年9月11日", "犁滩村", "禁毒", "以案释法", "约50", "text date"],
        [4, "2021.9.12", "坝美村", "宪法", "入户走访", 12.5, "dotted text date"],
        [5, 44451, "公园社区", "宪法", "文艺演出", 30, "serial typed as a number"],
        [6, dt.datetime(2021, 9, 14, 9, 5, 7, 250000), "大岭村", "禁毒", "讲座", 20, "ms"],
        [7, dt.time(9, 30), "大岭村", "禁毒", "讲座", True, "a time, a boolean"],
        [8, dt.timedelta(hours=30, minutes=5), "上坝村", "反诈", "讲座", 0.1 + 0.2, "duration"],
        [9, dt.date(1900, 2, 28), "上坝村", "反诈", "讲座", 1234567.5, "1900, a big number"],
        [10, dt.datetime(2021, 9, 15), "外镇某村", "反诈", "讲座", 40, "unknown village"],
    ]
    wb = _ledger_book(rows, formats={1: "yyyy-mm-dd", 5: "0"})
    ws = wb.active
    ws["B8"].number_format = "yyyy-mm-dd hh:mm"
    ws["B9"].number_format = "h:mm"
    ws["B10"].number_format = "[h]:mm:ss"
    ws["B7"].number_format = 'yyyy"年"m"月"d"日"'
    wb.save(tmp_path / "台账.xlsx")
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    grid = grids[0].grid
    # openpyxl gives datetimes for date cells: calamine's datetime.date became the same text
    assert grid.at[3, 1] == "2021-09-09 00:00:00"
    assert grid.at[9, 1] == "09:30:00" and grid.at[9, 5] == "True"
    assert grid.at[10, 1] == "1 day, 6:05:00" and grid.at[3, 5] == "50"


def test_1904_date_system(tmp_path, monkeypatch):
    wb = _ledger_book([[1, dt.date(2021, 9, 9), "大岭村", "民法典", "讲座", 50, ""]],
                      formats={1: "yyyy-mm-dd"})
    wb.epoch = CALENDAR_MAC_1904
    wb.save(tmp_path / "台账.xlsx")
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    assert grids[0].origin == pd.Timestamp("1904-01-01")
    assert grids[0].grid.at[3, 1] == "2021-09-09 00:00:00"


def test_merged_two_level_header_and_merged_data(tmp_path, monkeypatch):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["水寨镇2021年普法活动台账"])
    ws.merge_cells("A1:G1")
    ws.append(["日期", "村（社区）", "宣传内容", "参加人数", None, "活动形式", "备注"])
    ws.append([None, None, None, "人次", "其中青少年", None, None])
    for rng in ("A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "G2:G3"):
        ws.merge_cells(rng)
    ws.append(["2021-09-09", "大岭村", "民法典", 50, 10, "讲座", ""])
    ws.append(["2021-09-10", None, "反诈", 30, 5, "讲座", ""])
    ws.append(["2021-09-11", None, "禁毒", 20, 2, "讲座", ""])
    ws.merge_cells("B4:B6")  # one village for three events, merged down
    ws.append(["合计", None, None, 100, 17, None, None])
    wb.save(tmp_path / "台账.xlsx")
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    assert (4, 1, 6, 1) in grids[0].merges and (2, 3, 2, 4) in grids[0].merges


def test_error_cells(tmp_path, monkeypatch):
    rows = [[1, "2021-09-09", "大岭村", "民法典", "讲座", "#DIV/0!", ""],
            [2, "2021-09-10", "上坝村", "反诈", "讲座", "#N/A", "#VALUE!"],
            [3, "2021-09-11", "犁滩村", "禁毒", "讲座", 30, ""]]
    _ledger_book(rows).save(tmp_path / "台账.xlsx")
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    # calamine reads error cells as empty: their text comes from the sheet XML
    assert grids[0].grid.loc[3:4, 5].tolist() == ["#DIV/0!", "#N/A"]
    result = run_with("calamine", monkeypatch, lambda: io_ledger.read_table(
        tmp_path / "台账.xlsx", table="events", villages=REGISTER, today=TODAY,
        settings=Settings()))
    assert result.rejected["value"].isin(["#DIV/0!", "#N/A"]).sum() == 2


def test_leading_blank_rows_and_columns_keep_excel_numbers(tmp_path, monkeypatch):
    rows = [[1, "2021-09-09", "大岭村", "民法典", "讲座", -20, ""],  # a negative count
            [2, "2099-01-01", "上坝村", "反诈", "讲座", 30, ""],  # a date in the future
            [3, "2021-09-11", "外镇某村", "禁毒", "讲座", 30, ""]]
    wb = _ledger_book(rows, at=(3, 3))  # rows 1-2 and columns A-B empty
    ws = wb.active
    side = Side(style="thin")
    ws["L30"].border = Border(left=side)  # formatted, empty: openpyxl's grid reaches L30
    ws["C40"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(tmp_path / "台账.xlsx")
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    grid = grids[0].grid
    assert grid.shape == (40, 12) and grid.index[0] == 1
    assert grid.at[3, 2] == "水寨镇普法活动台账"
    result = run_with("calamine", monkeypatch, lambda: io_ledger.read_table(
        tmp_path / "台账.xlsx", table="events", villages=REGISTER, today=TODAY,
        settings=Settings()))
    # rows 5, 6, 7 of the sheet (title row 3, header row 4), as Excel numbers them
    assert sorted(result.rejected["source_row"].astype(int).unique()) == [5, 6, 7]
    assert set(result.rejected["column"]) >= {"参加人数（人次）", "日期", "村（社区）"}


def test_hidden_sheets_chart_sheets_and_sheet_order(tmp_path, monkeypatch):
    wb = _ledger_book([[1, "2021-09-09", "大岭村", "民法典", "讲座", 50, ""]])
    second = wb.create_sheet("综治办")
    for row in ([*HEADER], [1, "2021-09-10", "上坝村", "反诈", "讲座", 30, ""]):
        second.append(row)
    second.sheet_state = "hidden"
    chart = BarChart()  # a chart sheet as Excel writes it: with its chart (a drawing)
    chart.add_data(Reference(wb.active, min_col=6, min_row=2, max_row=3), titles_from_data=True)
    wb.create_chartsheet("图表").add_chart(chart)
    third = wb.create_sheet("说明")
    third.append(["填表说明：每次活动填一行"])
    third.sheet_state = "veryHidden"
    wb.save(tmp_path / "台账.xlsx")
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    assert [s.name for s in grids] == ["2021年", "综治办", "说明"]


def test_wide_sheet(tmp_path, monkeypatch):
    rows = [[1, "2021-09-09", "大岭村", "民法典", "讲座", 50, "", *range(70)]]
    wb = _ledger_book(rows)
    wb.active.cell(2, 80, "额外")
    wb.save(tmp_path / "台账.xlsx")
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    assert grids[0].grid.shape[1] == 80  # more than 64 columns: _to_grid's flat text path


def test_formula_without_a_saved_result(tmp_path, monkeypatch):
    rows = [[1, "2021-09-09", "大岭村", "民法典", "讲座", "=10*5", ""],
            [2, "2021-09-10", "上坝村", "反诈", "讲座", 30, ""]]
    _ledger_book(rows).save(tmp_path / "台账.xlsx")  # openpyxl saves no cached values
    grids = compare_engines(tmp_path / "台账.xlsx", monkeypatch)
    assert grids[0].formulas.stack().dropna().tolist() == ["=10*5"]


_CELLS = st.one_of(
    st.none(),
    st.text(st.sampled_from("0123456789 -./年月日村民法典约人#\u3000abcE+"), max_size=8),
    st.integers(-10**15, 10**15),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e20, max_value=1e20),
    st.booleans(),
    st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2200, 12, 31)),
    st.times(),
    st.timedeltas(dt.timedelta(0), dt.timedelta(days=400)),
    st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "=1+1", "合计", "2021年9月9日"]),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_CELLS, max_size=6), max_size=6),
       st.lists(st.sampled_from(["General", "yyyy-mm-dd", "h:mm", "[h]:mm:ss", "0.00", "@",
                                 'yyyy"年"m"月"d"日"', "yyyy-mm-dd hh:mm:ss"]), max_size=6))
def test_random_typed_grids_read_the_same(rows, formats):
    # any mix of typed cells (each column shown with a number format), blank rows and columns:
    # the grid calamine gives (or openpyxl, when calamine declines) is openpyxl's own
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, row in enumerate(rows, start=2):  # tiny grids (writing the test file)
        for j, value in enumerate(row, start=2):
            if value is not None:
                cell = ws.cell(i, j, value)
                if j - 2 < len(formats) and not isinstance(value, str):
                    cell.number_format = formats[j - 2]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "台账.xlsx"
        wb.save(path)
        got, ref = [], []
        for engine, out in ((None, got), ("openpyxl", ref)):  # the two readers
            saved = io_workbook.XLSX_ENGINE
            io_workbook.XLSX_ENGINE = engine
            try:
                out.append(io_workbook.read_raw(path, path.name))
            finally:
                io_workbook.XLSX_ENGINE = saved
    assert_same(got[0], ref[0])


# --------------------------------------------------------------------------------------------
# Workbooks written part by part: what openpyxl cannot write, and what calamine must decline
# --------------------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def write_parts(path: Path, sheet_data: str, *, shared: tuple = (), formats: dict | None = None,
                xfs: tuple = (0,), after: str = "", prefix: str = "") -> Path:
    """A one-sheet .xlsx from hand-written XML: ``sheet_data`` is the inside of <sheetData>.

    ``formats`` maps custom numFmtIds to codes, ``xfs`` lists the numFmtId of each cell style
    (style index = position), ``prefix`` (e.g. ``"x:"``) namespaces the sheet's elements.
    """
    formats = formats or {}
    num_fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{c}"/>' for i, c in formats.items())
    cell_xfs = "".join(f'<xf numFmtId="{f}" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                       for f in xfs)
    ns = f'xmlns:{prefix[:-1]}="{_MAIN}"' if prefix else f'xmlns="{_MAIN}"'
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
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        "xl/styles.xml":
            f'<styleSheet xmlns="{_MAIN}"><numFmts>{num_fmts}</numFmts>'
            '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill '
            'patternType="none"/></fill></fills><borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f"</cellStyleXfs><cellXfs>{cell_xfs}</cellXfs></styleSheet>",
        "xl/sharedStrings.xml":
            f'<sst xmlns="{_MAIN}">' + "".join(f"<si>{s}</si>" for s in shared) + "</sst>",
        "xl/worksheets/sheet1.xml":
            f"<{prefix}worksheet {ns}><{prefix}sheetData>{sheet_data}</{prefix}sheetData>"
            f"{after}</{prefix}worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():  # a handful of parts
            zf.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return path


def _t(text: str) -> str:
    return f"<t>{text}</t>"


#: Title in row 1, the header in row 2 (shared strings 0..6), then data rows.
SHARED = (_t("水寨镇普法活动台账"), *(_t(h) for h in HEADER[:6]), _t("大岭村"), _t("民法典"),
          _t("讲座"))


def _row(r: int, cells: str) -> str:
    return f'<row r="{r}">{cells}</row>'


HEAD_ROWS = (_row(1, '<c r="A1" t="s"><v>0</v></c>')
             + _row(2, "".join(f'<c r="{c}2" t="s"><v>{i + 1}</v></c>'
                               for i, c in enumerate("ABCDEF"))))


def _data_row(r: int, date: str, count: str) -> str:
    """A data row: sequence number, ``date`` and ``count`` cells given as raw XML."""
    return _row(r, f'<c r="A{r}"><v>{r - 2}</v></c>{date}<c r="C{r}" t="s"><v>7</v></c>'
                   f'<c r="D{r}" t="s"><v>8</v></c><c r="E{r}" t="s"><v>9</v></c>{count}')


def test_cached_formula_results_shared_formulas_and_inline_text(tmp_path, monkeypatch):
    rows = HEAD_ROWS + "".join([
        _data_row(3, '<c r="B3" t="inlineStr"><is><t>2021-09-09</t></is></c>',
                  '<c r="F3"><f>10*5</f><v>50</v></c>'),  # formula with its saved result
        _data_row(4, '<c r="B4" s="1"><f>DATE(2021,9,10)</f><v>44449</v></c>',
                  '<c r="F4"><f t="shared" ref="F4:F5" si="0">F3-20</f><v>30</v></c>'),
        _data_row(5, '<c r="B5" s="1" t="str"><f>"2021年9月"&amp;"11日"</f><v>2021年9月11日</v>'
                     "</c>",  # text from a formula in a cell shown as a date
                  '<c r="F5"><f t="shared" si="0"/><v>10</v></c>'),
        _data_row(6, '<c r="B6" t="inlineStr"><is><r><t>2021年</t></r><r><t>9月12日</t></r>'
                     "</is></c>", '<c r="F6" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
        _data_row(7, '<c r="B7" t="inlineStr"><is><t>2021-09-13</t></is></c>',
                  '<c r="F7"><f>SUM(F3:F5)</f></c>'),  # no saved result
    ])
    path = write_parts(tmp_path / "台账.xlsx", rows, shared=SHARED, xfs=(0, 14))
    grids = compare_engines(path, monkeypatch)
    grid = grids[0].grid
    assert grid.loc[3:6, 5].tolist() == ["50", "30", "10", "#DIV/0!"]
    assert grid.at[4, 1] == "2021-09-10 00:00:00" and grid.at[5, 1] == "2021年9月11日"
    assert grid.at[6, 1] == "2021年9月12日"
    assert grids[0].formulas.stack().dropna().tolist() == ["=SUM(F3:F5)"]


def test_namespace_prefixed_sheet_xml(tmp_path, monkeypatch):
    rows = (HEAD_ROWS + _data_row(3, '<c r="B3" t="inlineStr"><is><t>2021-09-09</t></is></c>',
                                  '<c r="F3" t="e"><v>#N/A</v></c>'))
    rows = rows.replace("<row", "<x:row").replace("</row", "</x:row").replace("<c ", "<x:c ")
    rows = rows.replace("</c>", "</x:c>").replace("<v>", "<x:v>").replace("</v>", "</x:v>")
    rows = rows.replace("<is>", "<x:is>").replace("</is>", "</x:is>")
    rows = rows.replace("<t>", "<x:t>").replace("</t>", "</x:t>")
    path = write_parts(tmp_path / "台账.xlsx", rows, shared=SHARED, prefix="x:",
                       after='<x:mergeCells><x:mergeCell ref="A1:F1"/></x:mergeCells>')
    grids = compare_engines(path, monkeypatch)
    assert grids[0].grid.at[3, 5] == "#N/A" and grids[0].merges == [(1, 0, 1, 5)]


DECLINED = {
    # calamine decodes _x000D_, openpyxl keeps it as written
    "xml escape": ("_xHHHH_ escapes",
                   dict(date='<c r="B3" t="inlineStr"><is><t>2021-09-09_x000D_</t></is></c>')),
    # an integer beyond float precision: openpyxl keeps every digit
    "big integer": ("beyond float precision",
                    dict(count='<c r="F3"><v>123456789012345678</v></c>')),
    "minus zero": ("beyond float precision", dict(count='<c r="F3"><v>-0</v></c>')),
    "ISO date cell": ("ISO-dated", dict(date='<c r="B3" t="d"><v>2021-09-09T00:00:00</v></c>')),
    # beyond 9999-12-31 openpyxl gives #VALUE!, calamine the number (or a Rust panic)
    "date out of range": ("after 9999", dict(date='<c r="B3" s="1"><v>3000000</v></c>')),
    "date far out of range": ("after 9999", dict(date='<c r="B3" s="1"><v>1E+20</v></c>')),
    # a negative date: openpyxl gives 1899-12-25, calamine a time of day
    "negative date": ("before 1900", dict(date='<c r="B3" s="1"><v>-5</v></c>')),
    # '*' repeats the next character: calamine shows a number, openpyxl (wrongly) a date
    "fill format": ("classify differently", dict(count='<c r="F3" s="2"><v>50</v></c>',
                                                 formats={164: "0*d"})),
    "rows out of order": ("rows out of order", dict(extra=_row(1, '<c r="H1"><v>1</v></c>'))),
    "cell without reference": ("without a leading r=", dict(count="<c><v>50</v></c>")),
}


@pytest.mark.parametrize("case", list(DECLINED))
def test_files_calamine_might_read_differently_go_to_openpyxl(case, tmp_path, monkeypatch):
    why, spec = DECLINED[case]
    date = spec.get("date", '<c r="B3" t="inlineStr"><is><t>2021-09-09</t></is></c>')
    count = spec.get("count", '<c r="F3"><v>50</v></c>')
    rows = HEAD_ROWS + _data_row(3, date, count) + spec.get("extra", "")
    path = write_parts(tmp_path / "台账.xlsx", rows, shared=SHARED, xfs=(0, 14, 164),
                       formats=spec.get("formats", {164: "0.0"}))
    with zipfile.ZipFile(path) as zf:
        assert why in io_workbook.calamine_sheets(path, zf, path.name, None)[1]
    compare_engines(path, monkeypatch, calamine=False)


DAMAGED = {
    "number cell holding text": '<c r="F3"><v>abc</v></c>',
    "row left open": '<c r="F3"><v>50</v></c><row r="4"><c r="A4"><v>2</v></c>',
    "shared string index beyond the table": '<c r="F3" t="s"><v>99</v></c>',
    "boolean that is not one": '<c r="F3" t="b"><v>x</v></c>',
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_damaged_sheet_xml_gives_the_same_message(case, tmp_path, monkeypatch):
    rows = HEAD_ROWS + _data_row(3, '<c r="B3" t="inlineStr"><is><t>2021-09-09</t></is></c>',
                                 DAMAGED[case])
    path = write_parts(tmp_path / "台账.xlsx", rows, shared=SHARED)
    with zipfile.ZipFile(path) as zf:
        assert io_workbook.calamine_sheets(path, zf, path.name, None)[0] is None
    auto = run_with(None, monkeypatch, lambda: io_workbook.read_raw(path, path.name))
    ref = run_with("openpyxl", monkeypatch, lambda: io_workbook.read_raw(path, path.name))
    assert auto == ref and auto.startswith("LedgerError: 台账.xlsx: 文件已损坏或不完整")


def test_cut_short_sheet_xml_gives_the_same_message(tmp_path, monkeypatch):
    path = write_parts(tmp_path / "台账.xlsx", HEAD_ROWS, shared=SHARED)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp_path / "cut.xlsx", "w") as dst:
        for info in src.infolist():  # a handful of parts
            data = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = data[: data.index(b"</sheetData>")]  # ends after a complete row
            dst.writestr(info, data)
    cut = tmp_path / "cut.xlsx"
    auto = run_with(None, monkeypatch, lambda: io_workbook.read_raw(cut, cut.name))
    assert auto == run_with("openpyxl", monkeypatch, lambda: io_workbook.read_raw(cut, cut.name))
    assert auto.startswith("LedgerError: cut.xlsx: 文件已损坏或不完整")


# --------------------------------------------------------------------------------------------
# Number formats: the port of calamine's classifier agrees with calamine itself
# --------------------------------------------------------------------------------------------

FORMATS = ["General", "0", "0.00", "#,##0", "0%", "@", "0.00E+00", "# ?/?", "yyyy-mm-dd",
           "yyyy/m/d", 'yyyy"年"m"月"d"日"', '[$-804]yyyy"年"m"月"d"日"',
           '[DBNum1][$-804]yyyy"年"m"月"d"日"', 'm"月"d"日"', "h:mm", "hh:mm:ss", "[h]:mm:ss",
           "[mm]:ss", "[ss].00", "mm:ss.0", 'h"时"mm"分"', '上午/下午h"时"mm"分"',
           "yyyy-mm-dd hh:mm", "[$-F800]dddd, mmmm dd, yyyy", "[$-F400]h:mm:ss AM/PM",
           "0*d", "#,##0*y", '0"人"', '#,##0"人次"', "G/通用格式", "[DBNum1]G/通用格式",
           "[$-804]aaaa", "0_ ;[Red]\\-0\\ ", '"Y: "0.00"m"', "\\Y000000", "[Red]0.00",
           "[>=100][Magenta][s].00", "[h]", "ha/p\\\\m", "[$-409]d-mmm-yy;@", "AM/PM h:mm",
           "e", '#,##0.00_);[Red](#,##0.00)', "yy", "[Blue]\\+[h]:mm;[Red]\\-[h]:mm"]


def test_format_classifier_port_matches_calamine(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, code in enumerate(FORMATS, start=1):
        ws.cell(i, 1, 45000.25).number_format = code
    wb.save(tmp_path / "formats.xlsx")
    with python_calamine.CalamineWorkbook.from_path(tmp_path / "formats.xlsx") as book:
        values = [row[0] for row in book.get_sheet_by_index(0).to_python()]
    seen = ["timedelta" if isinstance(v, dt.timedelta) else "other" if isinstance(v, float)
            else "date" for v in values]
    assert [io_workbook.calamine_format_kind(c) for c in FORMATS] == seen
    # and they disagree with openpyxl on '*' fills only (those files go to openpyxl)
    differ = [c for c in FORMATS
              if io_workbook.openpyxl_format_kind(c) != io_workbook.calamine_format_kind(c)]
    assert differ == ["0*d", "#,##0*y"]


# --------------------------------------------------------------------------------------------
# The switch and the fallback
# --------------------------------------------------------------------------------------------


def test_engine_switch(monkeypatch):
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", None)
    monkeypatch.delenv("PUFA_XLSX_ENGINE", raising=False)
    assert io_workbook.xlsx_engine() == "calamine"
    monkeypatch.setenv("PUFA_XLSX_ENGINE", "openpyxl")
    assert io_workbook.xlsx_engine() == "openpyxl"
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", "calamine")  # the module switch wins
    assert io_workbook.xlsx_engine() == "calamine"
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import fails
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", None)
    monkeypatch.delenv("PUFA_XLSX_ENGINE")
    assert io_workbook.xlsx_engine() == "openpyxl"  # not installed: openpyxl reads


def test_calamine_failing_on_a_file_falls_back_to_openpyxl(monkeypatch):
    path = DATA / "ledgers" / "events_司法所.xlsx"

    def broken(*args, **kwargs):
        raise python_calamine.CalamineError("simulated failure")

    ref = run_with("openpyxl", monkeypatch, lambda: io_workbook.read_raw(path, path.name))
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", broken)
    with zipfile.ZipFile(path) as zf:
        assert io_workbook.calamine_sheets(path, zf, path.name, None) == (
            None, "CalamineError: simulated failure")
    assert_same(run_with(None, monkeypatch, lambda: io_workbook.read_raw(path, path.name)), ref)


def test_error_positions_follow_excel_numbering():
    # the helper behind error and formula cells: AB12 is row 11, column 27 (0-based)
    rows, cols = io_workbook.cell_positions([b"A", b"AB", b"Z"], [b"1", b"12", b"3"])
    assert rows.tolist() == [0, 11, 2] and cols.tolist() == [0, 27, 25]
    # column letters right of K (0-based 10): L..Z and every two- or three-letter column
    pattern = io_workbook.after_column(10)
    found = [c for c in (b"K", b"L", b"Z", b"AA", b"XFD") if re.fullmatch(pattern, c)]
    assert found == [b"L", b"Z", b"AA", b"XFD"]
    assert np.array_equal(io_workbook.cell_positions([], [])[0], np.zeros(0))
