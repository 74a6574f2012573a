"""Hostile files refused before parsing, with the file and the limit named (pufa.toml [limits]).

Every hostile file is generated here, in ``tmp_path``: a ZIP bomb named .xlsx (a valid workbook
whose sheet XML is megabytes of spaces), one whose ZIP directory declares more than the default
limit without the data ever being inflated, one whose directory under-declares what it holds, a
CSV of one long line, workbooks with too many parts, sheets, columns or cells (a single cell at
XFD1048576 makes a grid of 17 billion cells: calamine used to abort the process on it). The
limits are lowered through :class:`~pufa_metrics.config.Settings` so that the files stay small;
the readers are replaced by functions that fail, or record, so that the tests show the checks run
before parsing. Files exactly at a limit still read.
"""

from __future__ import annotations

import contextlib
import io as stdio
import os
import re
import struct
import zipfile
from pathlib import Path

import pytest
import xlwt
from openpyxl import Workbook

from pufa_metrics import cli, config
from pufa_metrics.config import DEFAULTS, Limits, Settings
from pufa_metrics.io import LedgerError
from pufa_metrics.io import workbook as io_workbook

MB = 1_000_000

REGISTER = ("村编码,村（社区）,镇,常住人口\nV01,大岭村,水寨镇,1200\nV02,上坝村,水寨镇,800\n")


def limits(**values) -> Limits:
    """Limits as an analyst writes them in pufa.toml [limits] (checked by Settings)."""
    return Settings.from_dict({"limits": values}).limits


def xlsx(path: Path, rows: list[list] | None = None, *, sheets: int = 1) -> Path:
    """A small valid workbook written by openpyxl: ``rows`` on each of ``sheets`` sheets."""
    wb = Workbook()
    for k in range(sheets):  # a few sheets
        ws = wb.active if k == 0 else wb.create_sheet(f"表{k + 1}")
        for row in rows or [["日期", "村（社区）"], ["2021-09-09", "大岭村"]]:
            ws.append(row)
    wb.save(path)
    return path


def with_sheet_xml(path: Path, edit) -> Path:
    """Rewrite the first sheet's XML of a workbook with ``edit(xml) -> xml``."""
    parts = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():  # a handful of parts
            parts[info.filename] = zf.read(info)
    parts["xl/worksheets/sheet1.xml"] = edit(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():  # a handful of parts
            zf.writestr(name, data)
    return path


def add_row(xml: bytes, row: str) -> bytes:
    """Sheet XML with one more <row> element at the end of <sheetData>."""
    return xml.replace(b"</sheetData>", row.encode() + b"</sheetData>")


def bomb(path: Path, megabytes: int) -> Path:
    """A valid workbook whose sheet XML holds ``megabytes`` MB of spaces (about 1 KB a MB).

    Written a megabyte at a time, so that the test never holds the inflated data.
    """
    base = xlsx(path.with_name("base.xlsx"))
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # a handful of parts
            data = src.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>")
            member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(member, "w", force_zip64=True) as fh:
                fh.write(head)
                for _ in range(megabytes):  # a megabyte at a time
                    fh.write(b" " * MB)
                fh.write(b"</sheetData>" + tail)
    return path


def declare_size(path: Path, member: str, size: int) -> Path:
    """Overwrite the uncompressed size the ZIP directory declares for ``member``."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # central directory entries
        n = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + n]) == name:
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def no_parsing(monkeypatch):
    """Both .xlsx cell readers and the CSV parsers fail if called."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the file was parsed before the limits refused it")

    monkeypatch.setattr(io_workbook, "calamine_sheets", forbidden)
    monkeypatch.setattr(io_workbook, "_openpyxl_sheets", forbidden)
    monkeypatch.setattr(io_workbook, "_read_csv_fast", forbidden)
    monkeypatch.setattr(io_workbook.csv, "reader", forbidden)
    monkeypatch.setattr(io_workbook, "_xls_sheets", forbidden)


class _Calls:
    """Records the sheets calamine and openpyxl were asked to parse."""

    def __init__(self, monkeypatch):
        import python_calamine

        self.sheets: list[str] = []
        calls = self

        class NoCalamine:  # a sheet handed to calamine would be recorded, then declined
            @classmethod
            def from_path(cls, path):
                return cls()

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def get_sheet_by_name(self, title):
                calls.sheets.append(f"calamine:{title}")
                raise RuntimeError("not parsed in this test")

        # openpyxl streams a sheet after resetting its claimed size (once per sheet parsed)
        from openpyxl.worksheet._read_only import ReadOnlyWorksheet

        real_reset = ReadOnlyWorksheet.reset_dimensions

        def reset(ws):
            calls.sheets.append(f"openpyxl:{ws.title}")
            return real_reset(ws)

        monkeypatch.setattr(python_calamine, "CalamineWorkbook", NoCalamine)
        monkeypatch.setattr(ReadOnlyWorksheet, "reset_dimensions", reset)


def refused(path: Path, lim: Limits | None, key: str) -> LedgerError:
    """read_raw's error for ``path``, checked to name the file, the limit and pufa.toml."""
    with pytest.raises(LedgerError) as err:
        io_workbook.read_raw(path, path.name, limits=lim)
    message = str(err.value)
    assert err.value.file == path.name and message.startswith(f"{path.name}: ")
    assert f"pufa.toml [limits] {key}" in err.value.zh
    assert f"pufa.toml [limits] {key}" in err.value.en and "[limits] section" in err.value.en
    return err.value


def shape(path: Path, lim: Limits | None = None) -> list[tuple[int, int]]:
    return [s.grid.shape for s in io_workbook.read_raw(path, path.name, limits=lim)]


# --------------------------------------------------------------------------------------------
# Settings: the [limits] section
# --------------------------------------------------------------------------------------------

def test_pufa_toml_limits_are_the_defaults_and_parse():
    assert Settings.load().limits == Limits() == Settings().limits
    assert DEFAULTS["limits"]["max_sheets"] == Limits().max_sheets
    custom = limits(max_sheets=3, max_line_mb=0.5, max_file_mb=2)
    assert (custom.max_sheets, custom.max_line_mb, custom.max_file_mb) == (3, 0.5, 2.0)
    assert isinstance(custom.max_sheets, int) and isinstance(custom.max_file_mb, float)


@pytest.mark.parametrize("value", [0, -1, "10", True, 2.5])
def test_a_limit_must_be_a_positive_number(value):
    with pytest.raises(ValueError, match=r"\[limits\] max_sheets"):
        limits(max_sheets=value)


def test_unknown_limit_is_refused():
    with pytest.raises(ValueError, match="unknown key"):
        limits(max_rows=10)


def test_limits_are_read_from_a_settings_file(tmp_path):
    toml = tmp_path / "pufa.toml"
    toml.write_text("[limits]\nmax_columns = 5\nmax_cells = 1_000\n", encoding="utf-8")
    got = Settings.load(toml).limits
    assert (got.max_columns, got.max_cells, got.max_sheets) == (5, 1000, Limits().max_sheets)


def test_read_raw_takes_module_limits_or_pufa_toml(tmp_path, monkeypatch):
    path = tmp_path / "台账.csv"
    path.write_text("日期,村（社区）,备注\n2021-09-09,大岭村,x\n", encoding="utf-8")
    assert io_workbook.default_limits() == Settings.load().limits
    monkeypatch.setattr(io_workbook, "LIMITS", limits(max_columns=2))
    with pytest.raises(LedgerError, match="max_columns"):
        io_workbook.read_raw(path, path.name)
    toml = tmp_path / "other.toml"  # the settings file, read again when it changes
    toml.write_text("[limits]\nmax_columns = 2\n", encoding="utf-8")
    monkeypatch.setattr(io_workbook, "LIMITS", None)
    monkeypatch.setattr(config, "SETTINGS_FILE", toml)
    monkeypatch.setattr(io_workbook, "_project_limits", None)
    assert io_workbook.default_limits().max_columns == 2
    toml.write_text("[limits]\nmax_columns = 3\n", encoding="utf-8")
    stamp = toml.stat().st_mtime_ns + 10**9  # a later modification time, whatever the clock
    os.utime(toml, ns=(stamp, stamp))
    assert io_workbook.default_limits().max_columns == 3
    assert shape(path) == [(2, 3)]
    with pytest.raises(TypeError, match="Limits"):
        io_workbook.read_raw(path, path.name, limits={"max_columns": 3})


# --------------------------------------------------------------------------------------------
# .xlsx: the ZIP directory
# --------------------------------------------------------------------------------------------

def test_zip_bomb_refused_before_parsing(tmp_path, no_parsing):
    path = bomb(tmp_path / "台账_炸弹.xlsx", 5)  # 5 MB of spaces in about 5 KB
    assert path.stat().st_size < 20_000
    err = refused(path, limits(max_uncompressed_mb=4), "max_uncompressed_mb")
    assert "xl/worksheets/sheet1.xml" in err.en and "inflate to 5.0 MB" in err.en
    assert "4 MB" in err.zh and "4 MB" in err.en  # the limit in force
    # under the size limit, its compression ratio (about 1000:1) gives it away
    err = refused(path, limits(max_uncompressed_mb=6), "max_compression_ratio")
    assert "xl/worksheets/sheet1.xml" in err.en and "200:1" in err.en


def test_zip_bomb_at_the_limits_reads(tmp_path):
    path = bomb(tmp_path / "台账_大.xlsx", 2)
    with zipfile.ZipFile(path) as zf:
        total = sum(i.file_size for i in zf.infolist())
        ratio = max(i.file_size / i.compress_size for i in zf.infolist())
    lim = limits(max_uncompressed_mb=total / MB, max_compression_ratio=ratio)
    assert shape(path, lim) == [(2, 2)]  # the spaces are no cells


def test_declared_size_past_the_default_limit_refused_without_inflating(tmp_path, no_parsing,
                                                                          monkeypatch):
    path = declare_size(xlsx(tmp_path / "台账.xlsx"), "xl/worksheets/sheet1.xml", 600 * MB)
    monkeypatch.setattr(io_workbook, "_inflates_within", lambda *a: pytest.fail("inflated"))
    err = refused(path, None, "max_uncompressed_mb")  # the defaults of pufa.toml
    assert "600.0 MB" in err.en and "500 MB" in err.en
    assert "台账.xlsx" in str(err) and "max_uncompressed_mb" in err.zh


def test_part_holding_more_than_its_directory_declares_refused(tmp_path, no_parsing):
    path = bomb(tmp_path / "台账_伪装.xlsx", 3)
    declare_size(path, "xl/worksheets/sheet1.xml", 100_000)  # 3 MB declared as 0.1 MB
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 100_000
    # its compressed parts could inflate past 2 MB whatever they declare: checked by inflating
    with pytest.raises(LedgerError, match="more than the size it declares") as err:
        io_workbook.read_raw(path, path.name, limits=limits(max_uncompressed_mb=2))
    assert err.value.file == path.name and "xl/worksheets/sheet1.xml" in err.value.zh


def test_many_parts_refused_from_the_end_record(tmp_path, no_parsing, monkeypatch):
    path = xlsx(tmp_path / "台账_部件.xlsx")
    with zipfile.ZipFile(path, "a") as zf:
        for k in range(30):  # parts nobody reads
            zf.writestr(f"xl/media/image{k}.png", b"")
    opened = []
    monkeypatch.setattr(io_workbook, "_check_workbook_zip", lambda *a: opened.append(a))
    err = refused(path, limits(max_parts=20), "max_parts")
    assert "lists 39 parts" in err.en and not opened  # before any ZIP reader opened it
    monkeypatch.undo()
    assert shape(path, limits(max_parts=39)) == [(2, 2)]


def test_too_many_sheets_refused_and_at_the_limit_read(tmp_path, no_parsing):
    path = xlsx(tmp_path / "台账_多表.xlsx", sheets=4)
    err = refused(path, limits(max_sheets=3), "max_sheets")
    assert "4 sheets" in err.en and "4 个工作表" in err.zh


def test_sheets_at_the_limit_read(tmp_path):
    path = xlsx(tmp_path / "台账_多表.xlsx", sheets=4)
    assert shape(path, limits(max_sheets=4)) == [(2, 2)] * 4


def test_file_too_large_on_disk_refused(tmp_path, no_parsing):
    path = tmp_path / "台账.csv"
    path.write_bytes(b"a,b\n" * 1000)  # 4,000 bytes
    err = refused(path, limits(max_file_mb=0.003), "max_file_mb")
    assert "0.004 MB" in err.en


def test_file_at_the_size_limit_reads(tmp_path):
    path = tmp_path / "台账.csv"
    path.write_bytes(b"a,b\n" * 1000)
    assert shape(path, limits(max_file_mb=0.004)) == [(1000, 2)]


# --------------------------------------------------------------------------------------------
# .xlsx: the extent of a sheet, from its cell references, before a reader parses it
# --------------------------------------------------------------------------------------------

ENGINES = ["calamine", "openpyxl"]


@pytest.mark.parametrize("engine", ENGINES)
def test_one_far_cell_refused_with_the_default_limits(engine, tmp_path, monkeypatch):
    # 17 billion cells: calamine asked for 512 GB and aborted the whole process
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", engine)
    calls = _Calls(monkeypatch)
    path = with_sheet_xml(xlsx(tmp_path / "台账_角落.xlsx"), lambda x: add_row(
        x, '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'))
    err = refused(path, None, "max_cells")
    assert "1,048,576 rows × 16,384 columns = 17,179,869,184 cells" in err.en
    assert "工作表“Sheet”" in err.zh and calls.sheets == []


@pytest.mark.parametrize("engine", ENGINES)
def test_column_past_excel_refused_with_the_default_limits(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", engine)
    calls = _Calls(monkeypatch)
    path = with_sheet_xml(xlsx(tmp_path / "台账_宽.xlsx"), lambda x: add_row(
        x, '<row r="3"><c r="XFE3" t="inlineStr"><is><t>x</t></is></c></row>'))
    err = refused(path, None, "max_columns")
    assert "sheet 'Sheet' has 16,385 columns" in err.en and calls.sheets == []


@pytest.mark.parametrize("engine", ENGINES)
def test_sheet_wider_than_the_limit_refused_before_parsing(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", engine)
    calls = _Calls(monkeypatch)
    path = xlsx(tmp_path / "台账_六列.xlsx", [["日期", "村（社区）", "a", "b", "c", "d"]] * 3)
    err = refused(path, limits(max_columns=5), "max_columns")
    assert "has 6 columns" in err.en and "有 6 列" in err.zh and calls.sheets == []


@pytest.mark.parametrize("engine", ENGINES)
def test_sheet_past_the_cell_limit_refused_before_parsing(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", engine)
    calls = _Calls(monkeypatch)
    path = xlsx(tmp_path / "台账_长.xlsx", [["日期", "村（社区）", "x"]] * 40)
    err = refused(path, limits(max_cells=119), "max_cells")
    assert "40 rows × 3 columns = 120 cells" in err.en and calls.sheets == []


@pytest.mark.parametrize("engine", ENGINES)
def test_sheet_at_the_column_and_cell_limits_reads(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(io_workbook, "XLSX_ENGINE", engine)
    path = xlsx(tmp_path / "台账.xlsx", [["日期", "村（社区）", "a", "b", "c"]] * 24)
    assert shape(path, limits(max_columns=5, max_cells=120)) == [(24, 5)]


def test_sheet_past_the_quick_bound_is_measured_exactly(tmp_path):
    # 26 columns × rows up to 9,999 could pass 26,000 cells: the exact extent is 1,000 × 26
    path = with_sheet_xml(xlsx(tmp_path / "台账.xlsx"), lambda x: add_row(
        x, '<row r="1000"><c r="Z1000" t="inlineStr"><is><t>x</t></is></c></row>'))
    assert shape(path, limits(max_cells=26_000)) == [(1000, 26)]
    assert "1,000 rows × 26 columns" in refused(path, limits(max_cells=25_999), "max_cells").en


def test_cells_without_references_are_checked_as_rows(tmp_path, monkeypatch):
    # a reader numbers them itself: openpyxl reads the sheet, its rows are checked before the grid
    calls = _Calls(monkeypatch)
    cells = "".join('<c t="inlineStr"><is><t>x</t></is></c>' for _ in range(6))
    path = with_sheet_xml(xlsx(tmp_path / "台账_无引用.xlsx"),
                          lambda x: add_row(x, f"<row>{cells}</row>"))
    err = refused(path, limits(max_columns=5), "max_columns")
    assert "6 columns" in err.en and calls.sheets == ["openpyxl:Sheet"]


def test_a_row_numbered_past_the_last_row_counts(tmp_path, monkeypatch):
    # rows out of order (the last <row> is not the longest reach): the exact extent is taken
    calls = _Calls(monkeypatch)
    path = with_sheet_xml(xlsx(tmp_path / "台账.xlsx"), lambda x: x.replace(
        b"<sheetData>", b'<sheetData><row r="900"><c r="B900"><v>1</v></c></row>'))
    err = refused(path, limits(max_cells=1000, max_columns=1000), "max_cells")
    assert "900 rows × 2 columns" in err.en and calls.sheets == []


# --------------------------------------------------------------------------------------------
# .xls
# --------------------------------------------------------------------------------------------

def xls(path: Path, sheets: int, rows: int = 2, cols: int = 2) -> Path:
    book = xlwt.Workbook()
    for k in range(sheets):  # a few sheets
        ws = book.add_sheet(f"表{k + 1}")
        for i in range(rows):  # a few rows
            for j in range(cols):
                ws.write(i, j, f"{i}-{j}")
    book.save(str(path))
    return path


def test_xls_with_too_many_sheets_refused_before_any_sheet_is_parsed(tmp_path, monkeypatch):
    import xlrd

    path = xls(tmp_path / "登记表.xls", sheets=4)
    monkeypatch.setattr(xlrd.book.Book, "get_sheet",
                        lambda *a: pytest.fail("a sheet was parsed"))
    err = refused(path, limits(max_sheets=3), "max_sheets")
    assert "4 sheets" in err.en


def test_xls_sheet_past_the_columns_or_cells_refused(tmp_path):
    path = xls(tmp_path / "登记表.xls", sheets=1, rows=10, cols=6)
    assert "has 6 columns" in refused(path, limits(max_columns=5), "max_columns").en
    assert "60 cells" in refused(path, limits(max_cells=59), "max_cells").en
    assert shape(path, limits(max_sheets=1, max_columns=6, max_cells=60)) == [(10, 6)]


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

def test_csv_with_one_long_line_refused_before_parsing(tmp_path, no_parsing, monkeypatch):
    path = tmp_path / "台账_长行.csv"
    path.write_bytes("日期,村（社区）\n2021-09-09,".encode() + b"x" * (5 * MB) + b"\n")
    read = []
    real = io_workbook.Path.open

    def counted(self, *args, **kwargs):
        fh = real(self, *args, **kwargs)
        inner = fh.readinto
        fh = _Counting(fh, inner, read)
        return fh

    monkeypatch.setattr(io_workbook.Path, "open", counted)
    err = refused(path, limits(max_line_mb=1), "max_line_mb")
    assert "line 2 is at least" in err.en and "第 2 行长度至少" in err.zh
    assert sum(read) < 2 * MB + io_workbook.CHUNK  # refused before the rest was read


class _Counting:
    """A file whose readinto calls add their byte counts to a list."""

    def __init__(self, fh, inner, read):
        self._fh, self._inner, self._read = fh, inner, read

    def readinto(self, view):
        n = self._inner(view)
        self._read.append(n)
        return n

    def __getattr__(self, attr):
        return getattr(self._fh, attr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
        return False


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_csv_line_at_the_limit_reads_and_one_byte_more_does_not(tmp_path, newline):
    path = tmp_path / "台账.csv"
    line = b",".join([b"x" * 99_999] * 10) + b"x"  # exactly 1 MB, in fields the csv module takes
    assert len(line) == MB
    path.write_bytes(b"h1,h2" + newline + line + newline + b"c,d" + newline)
    assert shape(path, limits(max_line_mb=1)) == [(3, 10)]
    path.write_bytes(b"h1,h2" + newline + line + b"x" + newline + b"c,d" + newline)
    err = refused(path, limits(max_line_mb=1), "max_line_mb")
    assert "line 2 is 1.0 MB long" in err.en


def test_long_line_inside_a_piece_is_found(tmp_path):
    # a limit below the size of the pieces read: lines within one piece are measured too
    path = tmp_path / "台账.csv"
    path.write_bytes(b"h1,h2\n" + b"a,b\n" * 100 + b"a," + b"x" * 2000 + b"\n" + b"c,d\n")
    err = refused(path, limits(max_line_mb=0.001), "max_line_mb")
    assert "line 102 is" in err.en


def test_csv_wider_than_the_limit_refused_before_the_grid(tmp_path, monkeypatch):
    path = tmp_path / "台账_宽.csv"
    path.write_text("日期,村（社区）\n" + "2021-09-09,大岭村\n" * 5 + "a,b,c,d,e,f\n",
                    encoding="utf-8")
    monkeypatch.setattr(io_workbook, "_to_grid", lambda *a, **k: pytest.fail("grid built"))
    err = refused(path, limits(max_columns=5), "max_columns")
    assert "line 7 has 6 columns" in err.en and "第 7 行有 6 列" in err.zh


def test_csv_past_the_cell_limit_refused(tmp_path, monkeypatch):
    path = tmp_path / "台账.csv"
    path.write_text("日期,村（社区）,x\n" + "2021-09-09,大岭村,1\n" * 39, encoding="utf-8")
    monkeypatch.setattr(io_workbook, "_to_grid", lambda *a, **k: pytest.fail("grid built"))
    err = refused(path, limits(max_cells=119), "max_cells")
    assert "40 rows × 3 columns = 120 cells" in err.en
    monkeypatch.undo()
    assert shape(path, limits(max_cells=120, max_columns=3)) == [(40, 3)]


def test_large_csv_checked_before_pandas_parses_it(tmp_path, monkeypatch):
    # the fast path (50,000 lines or more, no quotes): lines, fields, width before pandas
    path = tmp_path / "台账.csv"
    path.write_bytes(b"a,b\n" * 60_000 + b"a,b,c\n")
    monkeypatch.setattr(io_workbook.pd, "read_csv", lambda *a, **k: pytest.fail("parsed"))
    assert "60,001 lines" in refused(path, limits(max_cells=60_000), "max_cells").en
    assert "120,003 fields" in refused(path, limits(max_cells=120_002), "max_cells").en
    err = refused(path, limits(max_cells=180_002), "max_cells")
    assert "60,001 rows × 3 columns" in err.en
    assert "has 3 columns" in refused(path, limits(max_columns=2), "max_columns").en


# --------------------------------------------------------------------------------------------
# pufa validate: an error row naming the file, never a traceback
# --------------------------------------------------------------------------------------------

def test_pufa_validate_lists_a_zip_bomb_as_an_error_row(tmp_path):
    root = tmp_path / "town"
    root.mkdir()
    (root / "村居基本信息.csv").write_text(REGISTER, encoding="utf-8")
    (root / "普法活动台账.csv").write_text(
        "日期,村（社区）,宣传内容,参加人数（人次）\n2021-09-09,大岭村,民法典,50\n",
        encoding="utf-8")
    declare_size(xlsx(root / "普法活动台账_炸弹.xlsx"), "xl/worksheets/sheet1.xml", 600 * MB)
    out, err = stdio.StringIO(), stdio.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["validate", str(root)])
    out, err = out.getvalue(), err.getvalue()
    assert code == cli.EXIT_BAD_INPUT
    assert "Traceback" not in out + err and "Internal error" not in err
    text = re.sub(r"\s+", " ", out)
    assert "普法活动台账_炸弹.xlsx" in text and "max_uncompressed_mb" in text
