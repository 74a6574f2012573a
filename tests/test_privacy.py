"""Privacy and reliability: personal data found and removed, small cells suppressed, outputs
written atomically.

Expected values come from independent sources: GB 11643-1999's published example ID number and
the ISO 7064 MOD 11-2 check digit computed here by hand (a loop, not the module's matrix code),
Python's ``ipaddress`` for IPv4, ``hashlib`` for the salted hash, and tables small enough to
check by eye (the arithmetic is in the comments).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pufa_metrics import cli, privacy, schema
from pufa_metrics.config import Settings
from pufa_metrics.io import Dataset, load_dataset

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
BAD = ROOT / "tests" / "data" / "bad" / "raw"

# --------------------------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------------------------


def _check_char(body: str) -> str:
    """GB 11643-1999 / ISO 7064 MOD 11-2 check character, the textbook way."""
    total = 0
    for i, digit in enumerate(body):  # 17 digits
        total += int(digit) * (2 ** (17 - i) % 11)
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def test_published_gb11643_example_and_a_wrong_check_digit():
    # GB 11643-1999's example: 11010519491231002X (Beijing 朝阳, born 1949-12-31)
    assert _check_char("11010519491231002") == "X"
    ok = privacy.valid_id_numbers(pd.Series(["11010519491231002X", "11010519491231002x",
                                             "110105194912310021", "11010519491331002X"]))
    assert ok.tolist() == [True, True, False, False]  # wrong check digit; month 13


def test_id_numbers_agree_with_the_hand_check_digit_on_random_bodies():
    rng = np.random.default_rng(11643)
    area = rng.integers(110000, 659999, 300).astype(str)
    born = (pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 30000, 300), unit="D")
            ).strftime("%Y%m%d")
    seq = pd.Series(rng.integers(0, 999, 300)).astype(str).str.zfill(3)
    bodies = pd.Series(area) + pd.Series(born) + seq
    good = bodies + bodies.map(_check_char)
    wrong = bodies + bodies.map(lambda b: str((int(_check_char(b).replace("X", "10")) + 1) % 10))
    assert privacy.valid_id_numbers(good).all()
    assert not privacy.valid_id_numbers(wrong).any()
    assert (privacy.personal_masks("身份证" + good)["id_number"]).all()


@pytest.mark.parametrize(("text", "kind"), [
    ("13800138000", "mobile"), ("+86 138-0013-8000", "mobile"), ("电话：19912345678。", "mobile"),
    ("12345678901", None), ("138001380001", None), ("2021年9月9日", None),
    ("113.96.1.23(广东-梅州)", "ipv4"), ("23.9397 115.7792 0 5", "geopoint"),
    ("府前路8号", "address"), ("水寨大道28-3号", "address"), ("大岭村3组12号", "address"),
    ("大岭村三组5号", "address"), ("3栋2单元501室", "address"), ("第3号展板", None),
    ("大岭村3组", None), ("联系人李四", "name"), ("姓名：张三", "name"), ("当事人：王小明", "name"),
    ("当事人权益保护讲座", None), ("拨打12348法律服务热线", None), ("参加人数50人", None),
])
def test_find_personal_data_hand_cases(text, kind):
    assert privacy.find_personal_data(pd.Series([text, None])) == kind


def test_ipv4_agrees_with_the_ipaddress_module():
    rng = np.random.default_rng(4)
    quads = [".".join(str(int(v)) for v in rng.integers(0, 300, 4)) for _ in range(300)]

    def is_ip(text: str) -> bool:
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return False
        return True

    found = privacy.personal_masks(pd.Series(quads))["ipv4"]
    assert found.tolist() == [is_ip(q) for q in quads]


def test_mask_personal_data_keeps_the_rest_and_counts_cells():
    values = pd.Series(["联系人李四13800138000", "入户走访 府前路8号", "宪法宣传", None,
                        "电话 139 1234 5678 和 13800138000"])
    out, cells = privacy.mask_personal_data(values)
    assert out.tolist()[:3] == ["联系人[已隐去][已隐去]", "入户走访 [已隐去]", "宪法宣传"]
    assert pd.isna(out.iloc[3]) and out.iloc[4] == "电话 [已隐去] 和 [已隐去]"
    # mobile numbers are in cells 0 and 4 (two in cell 4: still one cell)
    assert cells == {"mobile": 2, "address": 1, "name": 1}
    assert str(out.dtype) == "str" and values.iloc[0] == "联系人李四13800138000"  # not mutated


def test_mask_text_for_messages():
    assert privacy.mask_text("cells seen: 张三、13800138000、府前路8号") == (
        "cells seen: 张三、[已隐去]、[已隐去]")
    assert privacy.mask_text("nothing here 日期") == "nothing here 日期"


@pytest.mark.parametrize(("header", "personal"), [
    ("姓名", True), ("身份证号码", True), ("联系电话（手机）", True), ("家庭住址", True),
    ("来自IP", True), ("活动地址", False), ("地点", False), ("参加人数", False), (None, False),
])
def test_personal_headers(header, personal):
    assert privacy.is_personal_header(header) is personal


@pytest.mark.parametrize(("question", "personal"), [
    ("11、您的联系电话（选填）：", True), ("姓名", True), ("详细地址", True),
    ("接到自称公检法的电话，应该怎么做？", False), ("您是否知道12348公共法律服务热线电话？", False),
    ("1、您所在的村（社区）地址：", False),
])
def test_survey_questions_asking_for_personal_data(question, personal):
    assert privacy.asks_for_personal_data(question) is personal


def test_salted_hash_is_sha256_of_salt_and_value():
    out = privacy.salted_hash(pd.Series(["张三", "李四", "张三", None]), salt="s3cret")
    expected = hashlib.sha256("s3cret张三".encode()).hexdigest()[:12]
    assert out.iloc[0] == out.iloc[2] == expected
    assert out.iloc[1] == hashlib.sha256("s3cret李四".encode()).hexdigest()[:12]
    assert pd.isna(out.iloc[3])
    with pytest.raises(ValueError, match="'length'"):
        privacy.salted_hash(pd.Series(["x"]), salt="s", length=2)


def test_salt_comes_from_the_environment_then_the_settings(monkeypatch):
    monkeypatch.delenv("PUFA_SALT", raising=False)
    assert privacy.salt_of(Settings.from_dict({"privacy": {"salt": "abc"}})) == "abc"
    assert privacy.salt_of(Settings()) == "pufa-metrics"
    monkeypatch.setenv("PUFA_SALT", "env")
    assert privacy.salt_of(Settings.from_dict({"privacy": {"salt": "abc"}})) == "env"


def test_scrub_hashes_identifiers_the_same_way_in_every_table():
    events = pd.DataFrame({"event_id": ["E1", "13800138000"], "notes": ["好", "府前路8号"]})
    topics = pd.DataFrame({"event_id": ["13800138000", "E1"], "topic": ["宪法", "禁毒"]})
    clean_e, removed = privacy.scrub(events, ids=["event_id"], salt="s")
    clean_t, _ = privacy.scrub(topics, ids=["event_id"], salt="s")
    assert clean_e["event_id"].iloc[1] == clean_t["event_id"].iloc[0]  # the join still works
    assert clean_e["event_id"].iloc[1] == hashlib.sha256(b"s13800138000").hexdigest()[:12]
    assert clean_e["notes"].tolist() == ["好", "[已隐去]"]
    assert removed.values.tolist() == [["event_id", "mobile", "hashed", 1],
                                       ["notes", "address", "masked", 1]]


def test_removal_records_round_trip_and_never_hold_a_value():
    reason = privacy.removal_reason("id_number", "masked", 3, why="in 备注")
    assert reason.endswith("[pii:id_number:masked:3]") and "in 备注" in reason
    warnings = pd.DataFrame({"table": ["events", "events"], "source_file": ["b.csv", "a.csv"],
                             "column": ["备注", "姓名"], "value": [np.nan, np.nan],
                             "reason": [reason, privacy.removal_reason("header", "dropped", 5)]})
    summary = privacy.removal_summary(warnings)
    assert summary[["source_file", "column", "kind", "action", "cells"]].values.tolist() == [
        ["a.csv", "姓名", "header", "dropped", 5], ["b.csv", "备注", "id_number", "masked", 3]]
    assert summary["kind_zh"].tolist() == ["个人信息列", "身份证号"]
    with pytest.raises(ValueError, match="'kind'"):
        privacy.removal_reason("bank", "masked", 1)


# --------------------------------------------------------------------------------------------
# Small-cell suppression
# --------------------------------------------------------------------------------------------


def test_suppress_small_by_hand():
    rates = pd.DataFrame({
        "village_id": ["A", "B", "C", "D", "E"],
        "item": ["q4"] * 5,
        "n": pd.array([12, 3, 40, None, 5], dtype="Int64"),
        "n_positive": pd.array([9, 3, 36, None, 4], dtype="Int64"),
        "rate": [0.75, 1.0, 0.9, np.nan, 0.8],
        "ci_low": [0.47, 0.44, 0.77, np.nan, 0.38],
    })
    out = privacy.suppress_small(rates, k=5)
    # k = 5: B (3) and D (unknown n) are hidden; E has exactly 5 and is shown
    assert out["suppressed"].tolist() == [False, True, False, True, False]
    assert out["rate"].isna().tolist() == [False, True, False, True, False]
    assert out["n"].tolist()[:3] == [12, pd.NA, 40] and out["n_positive"].iloc[4] == 4
    assert out["village_id"].tolist() == rates["village_id"].tolist()  # labels stay
    assert rates["rate"].iloc[1] == 1.0  # the input is not modified
    # complementary suppression by item: two cells (B, D) are already hidden, nothing more
    assert privacy.suppress_small(rates, k=5, secondary_by="item")["suppressed"].sum() == 2
    # without B, k = 4 hides only D (unknown n): a lone hidden cell could be recovered as the
    # town total minus the others, so the smallest shown cell, E (n = 5 < 12 < 40), goes too
    one = privacy.suppress_small(rates.iloc[[0, 2, 3, 4]], k=4, secondary_by="item")
    assert one["suppressed"].tolist() == [False, False, True, True]


def test_suppress_small_takes_k_from_settings_and_checks_arguments():
    frame = pd.DataFrame({"n": [4, 6], "rate": [0.5, 0.5]})
    assert Settings().suppress_below == 5  # pufa.toml [privacy] suppress_below default
    assert privacy.suppress_small(frame, settings=Settings())["suppressed"].tolist() == [True,
                                                                                          False]
    three = Settings.from_dict({"privacy": {"suppress_below": 3}})
    assert not privacy.suppress_small(frame, settings=three)["suppressed"].any()
    with pytest.raises(ValueError, match="'k'"):
        privacy.suppress_small(frame, k=0)
    with pytest.raises(ValueError, match="no column 'count'"):
        privacy.suppress_small(frame, k=5, n="count")
    with pytest.raises(TypeError, match="'frame'"):
        privacy.suppress_small([1, 2], k=5)


def test_format_count():
    assert privacy.format_count([12, 4, None, 5.0], k=5).tolist() == ["12", "<5", "<5", "5"]


# --------------------------------------------------------------------------------------------
# Nothing personal reaches data/processed
# --------------------------------------------------------------------------------------------

_PATTERNS = [re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
             re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")]


def _leaks(text: str) -> list[str]:
    """Phone and ID numbers in table text (digit groups may be spaced or hyphenated)."""
    squeezed = re.sub(r"(?<=\d)[ \-]+(?=\d)", "", text)
    hits = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(squeezed):  # few hits, if any
            value = match.group(0)
            if len(value) == 18 and _check_char(value[:17]) != value[17].upper():
                continue  # an 18-digit run that is no ID number (wrong check digit)
            hits.append(value)
    return hits


def test_to_parquet_scrubs_a_hand_made_dataset_and_records_it(tmp_path):
    events = schema.coerce(pd.DataFrame({
        "event_id": ["13800138000", "E2"], "date": pd.to_datetime(["2021-09-09", "2021-09-10"]),
        "topic": ["宪法", "禁毒"], "notes": ["联系人李四 13912345678", "ok"],
    }), "events")
    topics = schema.coerce(pd.DataFrame({"event_id": ["13800138000", "E2"],
                                         "topic": ["宪法", "禁毒"]}), "event_topics")
    ds = Dataset(events=events, event_topics=topics)
    ds.to_parquet(tmp_path / "out", settings=Settings.from_dict({"privacy": {"salt": "s"}}))
    back = Dataset.from_parquet(tmp_path / "out")
    text = " ".join(str(v) for f in (back.events, back.event_topics, back.warnings)
                    for v in f.astype("object").to_numpy().ravel())
    assert not _leaks(text) and "李四" not in text
    assert set(back.event_topics["event_id"]) == set(back.events["event_id"])  # join kept
    found = back.removed_personal_data()
    assert set(zip(found["column"], found["kind"], found["action"])) == {
        ("event_id", "mobile", "hashed"), ("notes", "mobile", "masked"),
        ("notes", "name", "masked")}
    assert ds.events["notes"].iloc[0] == "联系人李四 13912345678"  # the object is unchanged


@pytest.mark.slow
def test_build_writes_no_personal_data_to_processed(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    shutil.copy(BAD / "台账_个人信息.csv", raw / "台账_个人信息.csv")
    assert cli.main(["build", str(raw), "--out", str(tmp_path / "processed")]) == 0
    for path in sorted((tmp_path / "processed").glob("*.parquet")):  # every table written
        frame = pd.read_parquet(path)
        text = " ".join(str(v) for v in frame.astype("object").to_numpy().ravel())
        assert not _leaks(text), (path.name, _leaks(text)[:3])
        assert "府前路8号" not in text and "李四" not in text and "张三" not in text
    # the sample's 问卷 has phone numbers and IP addresses (dropped), 学法用法 has names (hashed)
    back = Dataset.from_parquet(tmp_path / "processed")
    removed = back.removed_personal_data()
    assert {"header", "name", "mobile", "id_number", "address"} <= set(removed["kind"])
    assert removed["source_file"].str.contains("问卷").any()


@pytest.mark.slow
def test_validate_prints_the_removal_summary_data(capsys):
    # what `pufa validate` can print as "已移除的个人信息 / personal data removed"
    ds = load_dataset(BAD, settings=Settings(), strict=False)
    summary = ds.removed_personal_data()
    assert list(summary.columns) == ["table", "source_file", "column", "kind", "action", "cells",
                                     "kind_zh", "action_zh"]
    assert summary["cells"].dtype == "int64" and (summary["cells"] > 0).all()
    assert "personal data removed" in ds.summary()


# --------------------------------------------------------------------------------------------
# Atomic outputs: a crash leaves the previous output intact and readable
# --------------------------------------------------------------------------------------------


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "processed"
    assert cli.main(["build", str(RAW), "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_build_failure_mid_write_keeps_the_previous_output(built, tmp_path, monkeypatch,
                                                           capsys):
    out = tmp_path / "processed"
    shutil.copytree(built, out)
    before = _tree(out)
    original = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the fourth table: three are already written to the temp folder
            raise OSError("disk full (injected)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    code = cli.main(["build", str(RAW), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_INPUT and "disk full (injected)" in err and "Traceback" not in err
    assert _tree(out) == before
    monkeypatch.undo()
    assert len(Dataset.from_parquet(out).events) == len(Dataset.from_parquet(built).events)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".processed.")]  # no debris


def test_a_kill_between_the_two_renames_is_recovered(built, tmp_path):
    # a real process killed (os._exit) right after the old output was moved aside and before
    # the new one was moved in: the next reader finds the old output and puts it back
    out = tmp_path / "processed"
    shutil.copytree(built, out)
    before = _tree(out)
    script = textwrap.dedent(f"""
        import os
        from pufa_metrics.io import dataset as pio
        real = os.replace
        def replace(src, dst):
            real(src, dst)
            if ".old-" in str(dst):
                os._exit(9)  # killed between the two renames
        pio.os.replace = replace
        ds = pio.Dataset.from_parquet({str(built)!r})
        ds.to_parquet({str(out)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 9
    assert not out.exists()  # the crash window: no output folder, the old one aside
    back = Dataset.from_parquet(out)
    assert out.is_dir() and _tree(out) == before
    assert len(back.events) == len(Dataset.from_parquet(built).events)


@pytest.mark.slow
def test_report_failure_keeps_the_previous_report(built, tmp_path, monkeypatch):
    import papermill

    from pufa_metrics.report import run_report

    out = tmp_path / "reports"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "1-coverage.png").write_bytes(b"\x89PNG previous report")
    (out / "brief.html").write_text("<p>previous brief</p>", encoding="utf-8")
    before = _tree(out)
    calls = {"n": 0}
    real = papermill.execute_notebook

    def crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second notebook dies (after the first one ran)
            raise RuntimeError("kernel died (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", crash)
    with pytest.raises(RuntimeError, match="kernel died"):
        run_report(data_dir=built, out_dir=out, notebooks=["0-data-quality", "1-coverage"],
                   progress=False)
    assert _tree(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reports.")]


# --------------------------------------------------------------------------------------------
# Every file `pufa report` writes: no ID number, no phone number (slow: runs the notebooks)
# --------------------------------------------------------------------------------------------


_PDF_STRING = re.compile(rb"\((?:\\.|[^\\)])*\)")
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


def _png_text(data: bytes) -> str:
    """The tEXt/iTXt chunks of a PNG file."""
    return "\n".join(m.decode("latin-1", "ignore")
                     for m in re.findall(rb"(?:tEXt|iTXt)(.*?)(?=....IDAT|....IEND)", data, re.S))


def _readable_text(path: Path) -> str:
    """The text a person could read in a report file (not drawing coordinates or pixels).

    SVG: XML comments and text nodes (matplotlib writes each label's text as a comment next to
    its glyph paths); PNG: tEXt/iTXt chunks; PDF: string operands, streams inflated; .docx:
    the text of each paragraph with its runs joined (Word may split a number over runs), plus
    the text chunks of its images; .xlsx: the text nodes of every part; anything else (HTML,
    notebooks, CSV): the text, with embedded base64 images left out. The PNG and PDF figures are
    drawings of the same figures whose text is read from the SVG files and the HTML brief.
    """
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if suffix == ".docx":
                xml = [zf.read(n).decode("utf-8", "ignore") for n in names if n.endswith(".xml")]
                paragraphs = [re.sub(r"<[^>]+>", "", p) for part in xml
                              for p in re.findall(r"<w:p[ >].*?</w:p>", part, re.S)]
                images = [_png_text(zf.read(n)) for n in names if n.startswith("word/media/")]
                return "\n".join(paragraphs + images)
            parts = [zf.read(n).decode("utf-8", "ignore") for n in names]
        return "\n".join(t for part in parts for t in re.findall(r">([^<]*)<", part))
    if suffix == ".svg":
        text = data.decode("utf-8", "ignore")
        return "\n".join(re.findall(r"<!--(.*?)-->", text, re.S)
                         + re.findall(r">([^<]*)<", text))
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _png_text(data)
    if data[:5] == b"%PDF-":
        chunks = [data]
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
            try:
                chunks.append(zlib.decompress(stream))
            except zlib.error:
                chunks.append(stream)
        return "\n".join(s.decode("utf-8", "ignore")
                         for c in chunks for s in _PDF_STRING.findall(c))
    return _DATA_URI.sub(" ", data.decode("utf-8", "ignore"))


#: Independent of pufa_metrics.privacy: a mobile number as people space it (3-4-4), an ID
#: number (6-8-4), not inside a longer number or a decimal.
_PHONE = re.compile(r"(?<![\d.])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![\d.])")
_ID = re.compile(r"(?<![\d.])\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx](?![\d.])")


def _report_leaks(text: str) -> list[str]:
    hits = [m.group(0) for m in _PHONE.finditer(text)]
    for match in _ID.finditer(text):  # an 18-digit run is an ID number when its check digit is
        digits = re.sub(r"[ -]", "", match.group(0))
        if _check_char(digits[:17]) == digits[17].upper():
            hits.append(match.group(0))
    return hits


def _scan(folder: Path) -> dict[str, list[str]]:
    found = {}
    for path in sorted(folder.rglob("*")):  # every file written
        if path.is_file():
            hits = _report_leaks(_readable_text(path))
            if hits:
                found[str(path.relative_to(folder))] = hits[:3]
    return found


@pytest.mark.slow
def test_sample_report_files_hold_no_id_or_phone_number(sample_report):
    # the sample survey has phone numbers (11、您的联系电话) and IP addresses; they never arrive
    files = [p for p in sample_report.rglob("*") if p.is_file()]
    assert files and (sample_report / "汇报.docx").is_file()  # the Word report is scanned too
    assert _scan(sample_report) == {}


@pytest.mark.slow
def test_report_from_ledgers_full_of_personal_data_holds_none(sample_report):
    # the sample report is built from the town's ledgers plus 台账_个人信息.csv (conftest.py)
    raw = sample_report.parent / "raw"
    personal = (raw / "台账_个人信息.csv").read_text(encoding="utf-8")
    assert "府前路8号" in personal and "李四" in personal  # what must not arrive was there
    assert _scan(sample_report) == {}
    text = "\n".join(_readable_text(p) for p in sample_report.rglob("*") if p.is_file())
    assert "府前路8号" not in text and "李四" not in text


def test_scanner_finds_what_it_looks_for(tmp_path):
    # the scan above must be able to fail: a phone in an xlsx cell, an ID in a PDF string, a
    # phone in an SVG label, in a PNG text chunk and in HTML; not numbers that are no phone
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["联系电话", "13800138000"])
    wb.save(tmp_path / "a.xlsx")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4\nstream\n" + zlib.compress(
        b"BT (ID 11010519491231002X) Tj ET 149.0196 0780 l") + b"\nendstream\n")
    fig, ax = plt.subplots()
    ax.set_title("call 139 1234 5678")
    fig.savefig(tmp_path / "c.svg")
    fig.savefig(tmp_path / "d.png", metadata={"Comment": "13912345678"})
    plt.close(fig)
    (tmp_path / "e.html").write_text("<td>0.13800138000</td><td>123456789012345678</td>"
                                     "<td>电话：15012345678</td>", encoding="utf-8")
    expected = {"a.xlsx": ["13800138000"], "b.pdf": ["11010519491231002X"],
                "c.svg": ["139 1234 5678"], "d.png": ["13912345678"], "e.html": ["15012345678"]}
    try:  # a .docx whose phone number is split over two runs, as Word may store it
        import docx
    except ImportError:  # python-docx is in the notebooks extra
        docx = None
    if docx is not None:
        doc = docx.Document()
        para = doc.add_paragraph()
        para.add_run("联系电话137")
        para.add_run("00137000")
        doc.add_paragraph("第3号展板，参加人数50人")
        doc.save(tmp_path / "f.docx")
        expected["f.docx"] = ["13700137000"]
    assert _scan(tmp_path) == expected


@pytest.mark.slow
def test_subprocess_build_on_the_bad_corpus_prints_no_traceback(tmp_path):
    pufa = Path(sys.executable).with_name("pufa")
    env = dict(os.environ, PUFA_PROGRESS="0")
    proc = subprocess.run([str(pufa), "build", str(BAD), "--out", str(tmp_path / "p"),
                           "--allow-unreadable"],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    # the villages come from the register alone: read it by itself (the corpus' other 30 files
    # would cost as much again) and compare with what the subprocess wrote
    register = tmp_path / "register"
    register.mkdir()
    shutil.copy(BAD / "村居基本信息.csv", register)
    assert_frame_equal(Dataset.from_parquet(tmp_path / "p").villages.reset_index(drop=True),
                       load_dataset(register, settings=Settings(), strict=False).villages
                       .reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# Small cells in what `pufa report` publishes (slow)
# --------------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """The tables of an HTML page (pandas' to_html as nbconvert writes it), as rows of text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


_COUNTS = ("n", "n_staff")
_RATES = re.compile(r"rate|^ci_|^n_positive$|^n_eff$|^hours_met|^exam_|^cert_")


def _small_cells_shown(html: str, k: int) -> list[str]:
    """Rows of displayed tables whose group has fewer than k people but shows a rate."""
    parser = _Tables()
    parser.feed(html)
    shown = []
    for table in parser.tables:  # every displayed frame
        if len(table) < 2:
            continue
        header = table[0]
        count = next((c for c in _COUNTS if c in header), None)
        rates = [j for j, c in enumerate(header) if _RATES.search(c)]
        if count is None or not rates:
            continue
        j_n = header.index(count)
        for row in table[1:]:  # the rows shown
            if len(row) != len(header):
                continue
            try:
                n = float(row[j_n])
            except ValueError:
                continue
            if n < k and any(row[j] not in ("", "NaN", "<NA>", "nan", "—") for j in rates):
                shown.append(f"{count}={row[j_n]}: " + " ".join(row[:3]))
    return shown


def test_small_cell_finder_finds_what_it_looks_for():
    frame = pd.DataFrame({"n_staff": [3, 12], "pass_rate": [1.0, 0.5]}, index=["妇联", "派出所"])
    assert _small_cells_shown(frame.to_html(), 5) == ["n_staff=3: 妇联 3 1.0"]
    hidden = privacy.suppress_small(frame, k=5, n="n_staff")
    assert _small_cells_shown(hidden.to_html(), 5) == []


@pytest.mark.slow
def test_report_notebooks_show_no_rate_of_a_group_under_k(sample_report):
    k = Settings.load().suppress_below
    shown = {p.name: _small_cells_shown(p.read_text(encoding="utf-8"), k)
             for p in sorted((sample_report / "notebooks").glob("*.html"))}
    assert {name: rows for name, rows in shown.items() if rows} == {}


@pytest.mark.slow
def test_report_workbook_and_brief_show_no_rate_of_a_group_under_k(sample_report):
    k = Settings.load().suppress_below
    book = pd.read_excel(sample_report / "follow_up.xlsx", sheet_name=None, engine="openpyxl")
    for name, sheet in book.items():  # the follow-up list, group gaps, notes
        for count in ("问卷样本数", "样本数"):
            if count not in sheet.columns:
                continue
            n = pd.to_numeric(sheet[count], errors="coerce")
            small = (n < k) | sheet[count].astype("str").str.startswith("<")
            rate_cols = [c for c in sheet.columns if "率" in str(c) or "CI" in str(c)]
            assert sheet.loc[small, rate_cols].isna().all().all() or (
                sheet.loc[small, rate_cols].astype("str").isin(["—", "nan"]).all().all()), name
    html = (sample_report / "brief.html").read_text(encoding="utf-8")
    assert not re.search(r"n=[0-4](?!\d)", html)  # a sample size under 5 is written "n<5"
