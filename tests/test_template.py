"""Blank ledger templates (issue #17 part 3): written, filled in as a user would, read back.

The round trip is the user's: write the register template, type three villages into it, write
the other templates with that register (``--register``), type rows into each with openpyxl
(cells as Excel stores what a person types: dates as dates, counts as numbers, codes into
text-formatted cells as text), then read the folder with ``pm.load_dataset``. The expected
values below are the ones typed in, written out by hand.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import pufa_metrics as pm
from pufa_metrics import schema
from pufa_metrics.cli import main
from pufa_metrics.io.dataset import classify_by_name
from pufa_metrics.io.headers import canonical_column, is_personal
from pufa_metrics.io.template import (
    DATA_SHEETS,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    TEMPLATE_COLUMNS,
    TEMPLATE_FILES,
    template_header,
    template_lists,
    write_templates,
)

D = dt.date

REGISTER_ROWS = [
    ["440101001001", "大岭村", "水寨镇", "某县", "村", 1200, 1300, 350, 8, 113.25, 23.13],
    ["440101001002", "公园社区", "水寨镇", "某县", "社区", 3400, 3000, 900, None, None, None],
    ["440101001003", "石岗村", "水寨镇", "某县", "村", 800, None, None, None, None, None],
]

ROWS = {
    "events": [
        [D(2025, 3, 5), "大岭村", "民法典进乡村", "民法典、反诈", "讲座", "水寨镇司法所",
         "老年人、妇女", 45, 200, 2, 3, 12, "雨天改室内"],
        [D(2025, 6, 26), "全镇", "国际禁毒日宣传", "禁毒", "摆摊设点", "水寨镇禁毒办", "全体村民",
         300, None, None, None, None, None],
        [D(2025, 12, 4), "公园社区", "宪法宣传周", "宪法", "展板宣传栏", None, "青少年", 60,
         None, None, None, None, None],
    ],
    "sites": [
        [None, "水寨镇法治文化广场", None, "镇级", "法治广场", 113.2, 23.1, D(2019, 5, 1),
         D(2025, 4, 1)],
        [None, "大岭村法治宣传栏", "大岭村", "村级", "宣传栏", None, None, D(2020, 1, 1),
         D(2025, 10, 1)],
    ],
    "legal_literates": [
        ["FL001", "大岭村", "第一村民小组", "男", "村干部", 12, 2025],
        ["FL002", "公园社区", None, "女", "人民调解员", 8.5, 2025],
    ],
    "adviser_visits": [
        [D(2025, 1, 15), "大岭村", "某律师事务所", "讲座", 20, 1, 0, 0],
        [D(2025, 2, 10), "石岗村", "某律师事务所", "咨询、调解", 5, 0, 2, 1],
    ],
    "cadres": [
        ["C001", "镇司法所", 2025, "所长", "是", 40, 42.5, "是", 92, "是", "44010012345"],
        ["C002", "镇综治办", 2025, "科员", "否", 40, 30, "否", None, None, None],
    ],
    "codebook": [
        ["q1", "您是否知道《民法典》？", "知晓", "知道、听说过", "不知道", "不清楚", None,
         "知道、听说过、不知道、不清楚", "单选"],
        ["q2", "遇到电信诈骗应该怎么做？", "知识", None, None, None, "报警", "报警、转账、不理会",
         "单选"],
    ],
}


def fill(folder: Path, table: str, rows: list[list]) -> Path:
    """Type ``rows`` under the header of a template, as a user would, and save."""
    path = folder / TEMPLATE_FILES[table]
    book = load_workbook(path)
    sheet = book[DATA_SHEETS[table]]
    for row in rows:  # a few rows
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """The seven templates, written with the filled register and filled in (about 1 s)."""
    folder = tmp_path_factory.mktemp("templates")
    write_templates(folder, tables=["villages"])
    register = fill(folder, "villages", REGISTER_ROWS)
    others = [t for t in TEMPLATE_FILES if t != "villages"]
    written = write_templates(folder, register=register, tables=others)
    for table in others:  # six templates
        fill(folder, table, ROWS[table])
    return folder, written


@pytest.fixture(scope="module")
def loaded(filled):
    """The filled folder read by ``pm.load_dataset`` (5-8 s on a loaded 2-core machine)."""
    return pm.load_dataset(filled[0])


# ---- headers ---------------------------------------------------------------------------------


def test_headers_are_the_readers_words():
    # hand-written from docs/domain.md and schema.EVENTS: the first header each column lists
    events = [template_header("events", c.column) for c in TEMPLATE_COLUMNS["events"]]
    assert events == ["日期", "村（社区）", "活动名称", "宣传内容", "活动形式", "主办单位",
                      "参加对象", "人数", "发放资料", "悬挂横幅", "展板", "解答咨询", "备注"]
    for table, columns in TEMPLATE_COLUMNS.items():  # every header maps back to its column
        for col in columns:
            header = template_header(table, col.column)
            back = (schema.match_header(header, table) if table == "codebook"
                    else canonical_column(header, table))
            assert back == col.column, (table, col.column, header)
            assert not is_personal(header)


def test_written_header_rows(filled):
    folder, _ = filled
    for table, columns in TEMPLATE_COLUMNS.items():
        sheet = load_workbook(folder / TEMPLATE_FILES[table])[DATA_SHEETS[table]]
        assert [c.value for c in sheet[1]] == [template_header(table, c.column) for c in columns]
        assert sheet.freeze_panes == "A2"
        red = [c.font.color is not None and c.font.color.rgb.endswith("C00000")
               for c in sheet[1]]
        assert red == [c.required for c in columns]


def test_file_names_tell_the_reader_the_table():
    assert {t: classify_by_name(f) for t, f in TEMPLATE_FILES.items()} == {
        t: t for t in TEMPLATE_FILES}


# ---- the round trip --------------------------------------------------------------------------


@pytest.mark.slow
def test_every_row_loaded_nothing_rejected(filled, loaded):
    written, ds = filled[1], loaded
    assert written["file"].tolist() == [TEMPLATE_FILES[t] for t in written["table"]]
    assert ds.rejected.empty
    rec = ds.reconciliation().set_index("table")
    # rows typed: register 3, events 3, sites 2, 法律明白人 2, adviser 2, cadres 2
    assert rec["loaded"].drop(index="codebook").to_dict() == {
        "villages": 3, "events": 3, "sites": 2, "legal_literates": 2, "adviser_visits": 2,
        "cadres": 2}
    ledgers = rec.drop(index="codebook")
    assert (ledgers["loaded"] == ledgers["data_rows"]).all()
    assert (ledgers["rejected"] == 0).all() and (ledgers["non_data"] == 0).all()
    # no warning: the 填表说明 (and 下拉选项) sheets are the template's own, skipped quietly
    assert ds.warnings.empty, ds.warnings


@pytest.mark.slow
def test_register_values(loaded):
    v = loaded.villages
    assert v["village_id"].tolist() == ["440101001001", "440101001002", "440101001003"]
    assert v["village_name"].tolist() == ["大岭村", "公园社区", "石岗村"]
    assert v["kind"].tolist() == ["village", "community", "village"]
    assert v["population"].tolist() == [1200, 3400, 800]
    assert v["registered_population"].tolist()[:2] == [1300, 3000]
    assert v["households"].tolist()[:2] == [350, 900] and v["villager_groups"].iloc[0] == 8
    assert (v["lon"].iloc[0], v["lat"].iloc[0]) == (113.25, 23.13)


@pytest.mark.slow
def test_event_values(loaded):
    e = loaded.events
    assert e["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-05", "2025-06-26",
                                                          "2025-12-04"]
    assert e["village_id"].fillna("town").tolist() == ["440101001001", "town", "440101001002"]
    assert e["topic"].tolist() == ["民法典", "禁毒", "宪法"]
    assert e["form"].tolist() == ["讲座", "摆摊设点", "展板宣传栏"]
    assert e["audience"].tolist() == ["老年人、妇女", "全体村民", "青少年"]
    assert e["attendees"].tolist() == [45, 300, 60] and not e["attendees_approx"].any()
    assert e.loc[0, ["materials", "banners", "boards", "consultations"]].tolist() == [
        200, 2, 3, 12]
    assert e["title"].tolist() == ["民法典进乡村", "国际禁毒日宣传", "宪法宣传周"]
    assert e.loc[0, "notes"] == "雨天改室内" and e.loc[1, "organizer"] == "水寨镇禁毒办"
    pairs = loaded.event_topics.merge(e[["event_id", "source_row"]], on="event_id")
    # 反诈 is the alias of 反电信网络诈骗 (schema.TOPIC_ALIASES)
    assert pairs.groupby("source_row")["topic"].agg(tuple).to_dict() == {
        2: ("民法典", "反电信网络诈骗"), 3: ("禁毒",), 4: ("宪法",)}


@pytest.mark.slow
def test_site_roster_adviser_cadre_values(loaded):
    ds = loaded
    s = ds.sites
    assert s["site_name"].tolist() == ["水寨镇法治文化广场", "大岭村法治宣传栏"]
    assert s["level"].tolist() == ["town", "village"]
    assert s["village_id"].fillna("").tolist() == ["", "440101001001"]
    assert s["site_type"].tolist() == ["法治广场", "宣传栏"]
    assert s["last_updated"].dt.strftime("%Y-%m-%d").tolist() == ["2025-04-01", "2025-10-01"]
    assert s["opened"].dt.year.tolist() == [2019, 2020]
    r = ds.legal_literates
    assert r["person_id"].tolist() == ["FL001", "FL002"]
    assert r["village_id"].tolist() == ["440101001001", "440101001002"]
    assert r["group"].tolist() == ["村干部", "人民调解员"] and r["gender"].tolist() == ["男", "女"]
    assert r["trained_hours"].tolist() == [12.0, 8.5] and r["year"].tolist() == [2025, 2025]
    a = ds.adviser_visits
    assert a["date"].dt.strftime("%m-%d").tolist() == ["01-15", "02-10"]
    assert a["village_id"].tolist() == ["440101001001", "440101001003"]
    assert a["service"].tolist() == ["讲座", "咨询、调解"]
    assert a[["consultations", "lectures", "mediations", "opinions"]].values.tolist() == [
        [20, 1, 0, 0], [5, 0, 2, 1]]
    c = ds.cadres
    assert c["person_id"].tolist() == ["C001", "C002"] and c["year"].tolist() == [2025, 2025]
    assert c["department"].tolist() == ["镇司法所", "镇综治办"]
    assert c["is_leader"].tolist() == [True, False] and c["exam_taken"].tolist() == [True, False]
    assert c["exam_score"].iloc[0] == 92 and pd.isna(c["exam_score"].iloc[1])
    assert c["online_hours"].tolist() == [42.5, 30.0]
    assert c["enforcement_cert"].tolist() == [True, False]  # a number / blank


def test_codebook_round_trip(filled):
    book = pm.read_codebook(filled[0] / TEMPLATE_FILES["codebook"])
    assert book["item"].tolist() == ["q1", "q2"]
    assert book["domain"].tolist() == ["awareness", "knowledge"]  # 知晓, 知识
    assert book["kind"].tolist() == ["single", "single"]
    assert book.loc[0, "positive"] == ("知道", "听说过")
    assert book.loc[0, "negative"] == ("不知道",) and book.loc[0, "missing"] == ("不清楚",)
    assert book.loc[1, "correct"] == "报警"
    assert book.loc[1, "options"] == ("报警", "转账", "不理会")
    # every domain and kind the drop-downs offer is one the codebook reader understands
    lists = template_lists()
    every = pd.DataFrame({"题号": [f"q{i}" for i in range(5)], "类别": lists["domains"],
                          "题型": [*lists["kinds_q"], "单选"]})
    path = filled[0].parent / "every_domain.csv"
    every.to_csv(path, index=False)
    back = pm.read_codebook(path)
    assert back["domain"].tolist() == ["awareness", "knowledge", "support", "satisfaction",
                                       "other"]
    assert back["kind"].tolist() == ["single", "multiple", "matrix", "text", "single"]


def test_values_outside_the_lists_are_read_or_rejected_never_lost(tmp_path):
    register = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["大岭村", "石岗村"],
                             "population": [1200, 800]})
    write_templates(tmp_path, register=register, tables=["events", "sites"])
    # as if pasted (a paste skips Excel's checks): a village of another town, a topic and an
    # audience of nobody's list, a count written with a word, a level that is no level
    fill(tmp_path, "events", [
        [D(2025, 3, 5), "外镇某村", None, "禁毒", None, None, None, 30, None, None, None, None,
         None],
        [D(2025, 3, 6), "大岭村", None, "垃圾分类", None, None, "新业态人员", "约50", None, None,
         None, None, None],
        [D(2025, 3, 7), "石岗村", None, "宪法", "其他", None, None, 20, None, None, None, None,
         None],
    ])
    fill(tmp_path, "sites", [[None, "某阵地", "大岭村", "省级", None, None, None, None, None]])
    events, rejected = pm.read_ledger(tmp_path / TEMPLATE_FILES["events"], table="events",
                                      villages=register)
    assert events["source_row"].tolist() == [3, 4]
    assert events["topic"].tolist() == ["垃圾分类", "宪法"]  # kept as written
    assert events["audience"].iloc[0] == "新业态人员"
    assert events["attendees"].tolist() == [50, 20] and events["attendees_approx"].tolist() == [
        True, False]
    assert rejected[["source_row", "value"]].values.tolist() == [[2, "外镇某村"]]
    assert "unknown village" in rejected["reason"].iloc[0]
    sites, rejected = pm.read_ledger(tmp_path / TEMPLATE_FILES["sites"], table="sites",
                                     villages=register)
    assert sites.empty and rejected["source_row"].tolist() == [2]
    assert "unknown level" in rejected["reason"].iloc[0]
    # a priority group and a gender of no list: kept as written
    write_templates(tmp_path, register=register, tables=["legal_literates"])
    fill(tmp_path, "legal_literates", [["P1", "大岭村", None, "未知", "志愿者", 3, 2025]])
    roster, rejected = pm.read_ledger(tmp_path / TEMPLATE_FILES["legal_literates"],
                                      table="legal_literates", villages=register)
    assert roster[["village_id", "gender", "group"]].values.tolist() == [["V1", "未知", "志愿者"]]
    assert rejected.empty


# ---- what Excel and WPS see --------------------------------------------------------------------


def _validations(path: Path, table: str) -> dict[str, object]:
    sheet = load_workbook(path)[DATA_SHEETS[table]]
    return {str(dv.sqref).split(":")[0][0]: dv for dv in sheet.data_validations.dataValidation}


def test_validations_of_the_events_template(filled):
    folder, _ = filled
    dvs = _validations(folder / TEMPLATE_FILES["events"], "events")
    # A 日期 … M 备注 (order of test_headers_are_the_readers_words)
    assert sorted(dvs) == list("ABDEGHIJKL")
    assert dvs["B"].type == "list" and dvs["B"].formula1 == '"全镇,大岭村,公园社区,石岗村"'
    topics = dvs["D"].formula1.strip('"').split(",")
    required = list(pm.Settings.load().required_topics)  # pufa.toml [topics] required
    assert set(topics) == set(schema.TOPICS) and topics[: len(required)] == required
    assert set(dvs["E"].formula1.strip('"').split(",")) == set(schema.FORMS)
    assert set(dvs["G"].formula1.strip('"').split(",")) == set(schema.AUDIENCES)
    for letter in "HIJKL":  # 人数 … 解答咨询: whole numbers ≥ 0, a typo is stopped
        dv = dvs[letter]
        assert (dv.type, dv.operator, dv.formula1, dv.errorStyle) == (
            "whole", "greaterThanOrEqual", "0", "stop")
    # Excel's serial numbers: 2000-01-01 is 36526 and 2099-12-31 is 73050 (1900 date system,
    # day 1 = 1900-01-01 plus the 1900-02-29 Excel counts)
    assert (dvs["A"].type, dvs["A"].formula1, dvs["A"].formula2) == ("date", "36526", "73050")
    # several topics or audiences per cell: a value outside the list warns, never stops
    assert {dvs[k].errorStyle for k in "BDEG"} == {"warning"}
    assert all(dv.sqref and str(dv.sqref).endswith("1048576") for dv in dvs.values())
    sheet = load_workbook(folder / TEMPLATE_FILES["events"])[DATA_SHEETS["events"]]
    assert sheet.column_dimensions["A"].number_format == "yyyy-mm-dd"


def test_every_template_validates_its_lists_and_numbers(filled):
    folder, _ = filled
    for table, columns in TEMPLATE_COLUMNS.items():
        dvs = _validations(folder / TEMPLATE_FILES[table], table)
        sheet = load_workbook(folder / TEMPLATE_FILES[table])[DATA_SHEETS[table]]
        for j, col in enumerate(columns):
            letter = chr(ord("A") + j)
            if col.kind == "list":
                assert dvs[letter].type == "list", (table, col.column)
                assert len(dvs[letter].formula1) <= 257  # 255 characters and the quotes
            if col.kind in ("count", "year"):
                assert dvs[letter].type == "whole", (table, col.column)
            if col.kind == "code":
                assert sheet.column_dimensions[letter].number_format == "@"
            header = sheet.cell(row=1, column=j + 1).value
            # a CJK character is about two of Excel's width units
            assert sheet.column_dimensions[letter].width >= 2 * len(header), (table, header)
    levels = _validations(folder / TEMPLATE_FILES["sites"], "sites")["D"]
    assert (levels.formula1, levels.errorStyle) == ('"镇级,村级"', "stop")
    groups = _validations(folder / TEMPLATE_FILES["legal_literates"], "legal_literates")["E"]
    assert set(groups.formula1.strip('"').split(",")) == set(schema.LEGAL_LITERATE_GROUPS)


def test_a_long_village_list_goes_to_the_hidden_sheet(tmp_path):
    # 60 villages of 4-5 characters: 全镇 plus the names and commas pass 255 characters
    names = [f"第{i}村民委" for i in range(1, 61)]
    assert len(",".join(["全镇", *names])) > 255
    write_templates(tmp_path, register=pd.DataFrame({"village_name": names}), tables=["events"])
    book = load_workbook(tmp_path / TEMPLATE_FILES["events"])
    assert book.sheetnames == [DATA_SHEETS["events"], INSTRUCTIONS_SHEET, LISTS_SHEET]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    values = [c.value for c in book[LISTS_SHEET]["A"]]
    assert values[1:] == ["全镇", *names]  # row 1 says which list it is
    dv = _validations(tmp_path / TEMPLATE_FILES["events"], "events")["B"]
    assert dv.formula1 == "'下拉选项'!$A$2:$A$62"  # 61 values from row 2
    # the reader skips the hidden sheet as it skips 填表说明: a row typed is read back
    fill(tmp_path, "events", [[D(2025, 1, 2), "第60村民委", None, "禁毒"] + [None] * 9])
    events, rejected = pm.read_ledger(tmp_path / TEMPLATE_FILES["events"], table="events")
    assert events["village_name"].tolist() == ["第60村民委"] and rejected.empty


def test_no_macros_and_instructions(filled):
    folder, _ = filled
    for table, name in TEMPLATE_FILES.items():
        with zipfile.ZipFile(folder / name) as z:
            names = z.namelist()
            types = z.read("[Content_Types].xml").decode()
        assert not any("vba" in n.lower() for n in names) and "macroEnabled" not in types
        notes = load_workbook(folder / name)[INSTRUCTIONS_SHEET]
        rows = list(notes.iter_rows(min_row=6, values_only=True))
        assert [r[0] for r in rows] == [template_header(table, c.column)
                                        for c in TEMPLATE_COLUMNS[table]]
        assert [r[1] for r in rows] == ["必填" if c.required else "选填"
                                        for c in TEMPLATE_COLUMNS[table]]
        assert all(r[2] and r[3] and r[5] for r in rows)  # meaning, rule, English
    notes = load_workbook(folder / TEMPLATE_FILES["events"])[INSTRUCTIONS_SHEET]
    assert "2025-03-05" in notes["D6"].value  # the date format
    assert "全镇、大岭村、公园社区、石岗村" in notes["D7"].value  # the register's villages


# ---- arguments and the command ---------------------------------------------------------------


def test_existing_files_are_not_overwritten(tmp_path):
    write_templates(tmp_path, tables=["events"])
    path = fill(tmp_path, "events", [[D(2025, 1, 2)] + [None] * 12])
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="普法活动台账.xlsx"):
        write_templates(tmp_path)
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1
    write_templates(tmp_path, tables=["events"], overwrite=True)
    assert load_workbook(path)[DATA_SHEETS["events"]].max_row == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tables": ["events", "minutes"]}, ValueError, "'tables' should name tables"),
        ({"tables": "events"}, TypeError, "'tables' should be a list"),
        ({"register": pd.DataFrame({"name": ["大岭村"]})}, ValueError, "village_name"),
        ({"register": "no/such/register.xlsx"}, FileNotFoundError, "no such file"),
        ({"overwrite": "yes"}, TypeError, "'overwrite'"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        write_templates(tmp_path, **kwargs)
    with pytest.raises(TypeError, match="'out' should be a folder path"):
        write_templates(3)


def test_template_header_checks_its_arguments():
    with pytest.raises(ValueError, match="'table' should be one of"):
        template_header("rejected", "reason")
    with pytest.raises(ValueError, match="'column' should be a column of events"):
        template_header("events", "population")


def test_an_empty_register_is_refused(tmp_path):
    write_templates(tmp_path / "blank", tables=["villages"])
    with pytest.raises(ValueError, match="lists no village name"):
        write_templates(tmp_path, register=tmp_path / "blank" / TEMPLATE_FILES["villages"])
    assert not any(p.is_file() for p in tmp_path.iterdir())


def test_cli(tmp_path, capsys, filled):
    register = filled[0] / TEMPLATE_FILES["villages"]
    out = tmp_path / "台账模板"
    assert main(["template", "--out", str(out), "--register", str(register)]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(TEMPLATE_FILES.values())
    assert all(str(out / name) in printed for name in TEMPLATE_FILES.values())
    assert "已写入 7 个空白台账模板" in printed and "7 blank ledger templates written" in printed
    dv = _validations(out / TEMPLATE_FILES["adviser_visits"], "adviser_visits")["B"]
    assert dv.formula1 == '"大岭村,公园社区,石岗村"'
    assert main(["template", "--out", str(out)]) == 2  # files there: nothing overwritten
    err = capsys.readouterr().err
    assert "--overwrite" in err and "未写入任何文件" in err
    assert main(["template", "--out", str(tmp_path / "x"), "--register", "nope.xlsx"]) == 2
    assert "找不到村居基本信息文件" in capsys.readouterr().err


def _soffice_with_calc() -> str | None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        return None
    program = Path(exe).resolve().parent
    return exe if any(program.glob("libsclo.so")) else None


@pytest.mark.slow
def test_libreoffice_opens_a_filled_template(filled, tmp_path):
    exe = _soffice_with_calc()
    if exe is None:
        pytest.skip("LibreOffice Calc (soffice with libsclo.so) is not installed: "
                    "apt-get install libreoffice-calc-nogui to run this check")
    src = filled[0] / TEMPLATE_FILES["events"]
    subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir",
                    str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    csv = pd.read_csv(tmp_path / (src.stem + ".csv"), dtype=str, encoding="utf-8")
    assert list(csv.columns)[:4] == ["日期", "村（社区）", "活动名称", "宣传内容"]
    assert csv["日期"].tolist() == ["2025-03-05", "2025-06-26", "2025-12-04"]
    assert csv["人数"].tolist() == ["45", "300", "60"]
