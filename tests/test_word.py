"""The yearly report draft (汇报.docx): opened with python-docx and checked against the library's
own results on the sample town, converted with LibreOffice and read back with pdftotext.

Where the expected figures come from: the events of the period and the anti-drug/anti-fraud
events are counted here from the sample's frames with plain pandas (a second route to the same
numbers as ``town_report_figures``); the villages covered from the raw events (a village with an
event dated in the period); the awareness rate from ``pooled_rates`` on the answers themselves
(the brief's headline takes it from the village rates); the villages of 存在问题 from the
follow-up list and ``awareness_verdict``. The layout values are GB/T 9704-2012's (A4, margins
37/35/28/26 mm, 二号 = 22 pt, 三号 = 16 pt).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pufa_metrics as pm
from pufa_metrics.config import Settings
from pufa_metrics.io import Dataset
from pufa_metrics.rules import URGENT_SCORE
from pufa_metrics.survey import awareness_verdict
from pufa_metrics.word import REPORT_FONTS, yearly_report

docx = pytest.importorskip("docx", reason="python-docx is not installed (the notebooks extra)")
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Mm, Pt  # noqa: E402

SETTINGS = Settings.load()
HEADINGS_ZH = ["一、基本情况", "二、主要做法", "三、存在问题", "四、下步工作", "五、数据来源说明"]
#: A mobile number (3-4-4) or an 18-character ID number, not inside a longer number.
_PHONE = re.compile(r"(?<![\d.])1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![\d.])")
_ID = re.compile(r"(?<![\d.])\d{17}[\dXx](?![\d.])")


@pytest.fixture(scope="module")
def town():
    """The sample town's frames (no village polygons: no cold spots, a quicker analysis)."""
    frames = pm.make_sample()
    fields = {f.name for f in dataclasses.fields(Dataset)}
    ds = Dataset(**{k: v for k, v in frames.items() if k in fields and k != "geometry"})
    analysis = pm.analyse(ds, settings=SETTINGS)
    return ds, analysis


def _inputs(ds: Dataset, a) -> dict:
    return {
        "coverage": a.coverage, "follow_up": a.follow_up,
        "figures": pm.town_report_figures(ds, start=a.period.start, end=a.period.end,
                                          settings=SETTINGS),
        "rates": a.rates, "services": a.services, "organizers": a.organizers,
        "campaign": a.campaign, "events": ds.events, "event_topics": ds.event_topics,
        "calendar": a.calendar, "settings": SETTINGS, "period": a.period, "town": "水寨镇",
        "survey_kind": "镇司法所组织的问卷调查", "synthetic": True,
        "comparison": a.comparison,
    }


@pytest.fixture(scope="module")
def written(town, tmp_path_factory):
    """汇报.docx and yearly_report.docx of the sample town, each written once."""
    ds, a = town
    inputs = _inputs(ds, a)
    copies = {k: v.copy(deep=True) for k, v in inputs.items() if isinstance(v, pd.DataFrame)}
    folder = tmp_path_factory.mktemp("word")
    zh = yearly_report(folder, **inputs)
    en = yearly_report(folder, **inputs, lang="en")
    return zh, en, inputs, copies


def _text(path: Path) -> list[str]:
    return [p.text for p in docx.Document(path).paragraphs]


def _section(paragraphs: list[str], head: str, nxt: str) -> str:
    return "\n".join(paragraphs[paragraphs.index(head) + 1: paragraphs.index(nxt)])


@pytest.mark.slow
def test_title_headings_and_files(written):
    zh, en, _, _ = written
    assert zh.name == "汇报.docx" and en.name == "yearly_report.docx"
    assert sorted(p.name for p in zh.parent.iterdir()) == ["yearly_report.docx", "汇报.docx"]
    doc = docx.Document(zh)
    # period 2020-01-01 … 2025-12-31 (pufa.toml): whole years → "2020—2025年"
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == [
        "水寨镇2020—2025年普法工作情况汇报"]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == HEADINGS_ZH
    assert doc.paragraphs[0].text == "示例数据（合成）"  # synthetic data, said first
    assert "示例数据（合成）" in doc.sections[0].header.paragraphs[0].text  # and on every page
    en_heads = [p.text for p in docx.Document(en).paragraphs if p.style.name == "Heading 1"]
    assert en_heads == ["1. Overview", "2. What was done", "3. Problems", "4. Next steps",
                        "5. Data sources"]


@pytest.mark.slow
def test_figures_paragraph_agrees_with_the_frames(town, written):
    ds, a = town
    zh, en, _, _ = written
    start, end = a.period.start, a.period.end
    ev = ds.events
    in_period = ev[(ev["date"] >= start) & (ev["date"] <= end)]
    hit = ds.event_topics.loc[ds.event_topics["topic"].isin(["禁毒", "反电信网络诈骗"]), "event_id"]
    n_topic = int(in_period["event_id"].isin(set(hit)).sum())
    covered = in_period["village_id"].dropna().nunique()
    n_villages = len(ds.villages)
    text = "\n".join(_text(zh))
    assert (f"共开展普法活动{len(in_period)}场（其中禁毒、反诈宣传{n_topic}场），"
            f"覆盖全镇{n_villages}个村（社区）中的{covered}个") in text
    sites = ds.sites["level"].value_counts()
    assert f"镇级普法阵地{sites['town']}个、村级宣讲阵地{sites['village']}个" in text
    # the awareness rate from the answers (villages as clusters), whole per cent
    pooled = pm.pooled_rates(ds.responses, ds.codebook, by=None, domain="awareness",
                             settings=SETTINGS).iloc[0]
    pct = lambda x: f"{x * 100:.0f}%"  # noqa: E731
    assert (f"全镇群众法律知晓率为{pct(pooled['rate'])}（95%置信区间{pct(pooled['ci_low'])}–"
            f"{pct(pooled['ci_high'])}") in text
    en_text = "\n".join(_text(en))
    assert f"held {len(in_period)} legal-education events ({n_topic} of them" in en_text
    assert f"reaching {covered} of its {n_villages} villages" in en_text


def test_the_year_before_in_a_sentence_per_headline(town, written):
    """基本情况 says how the events changed since 2024, from the sample's own event ledger.

    By hand: villages with an event in 2024 and in 2025 counted on the frames (20 → 26 in the
    sample), and the sentence is the one compare.headline_changes gives the brief.
    """
    ds, a = town
    zh, en, _, _ = written
    ev = ds.events.dropna(subset=["village_id"])
    n = {y: ev.loc[ev["date"].dt.year == y, "village_id"].nunique() for y in (2024, 2025)}
    text = "\n".join(_text(zh))
    assert f"有普法活动的村（社区）由2024年的{n[2024]}个增至2025年的{n[2025]}个" in text
    from pufa_metrics.compare import headline_changes

    for sentence in headline_changes(a.comparison)["sentence_en"]:
        assert sentence in "\n".join(_text(en))


@pytest.mark.slow
def test_key_indicator_table_is_the_brief_table(town, written):
    _, a = town
    zh, _, _, _ = written
    table = docx.Document(zh).tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["指标", "数值", "目标", "判定"]
    h = pm.headline_figures(a.coverage, follow_up=a.follow_up, rates=a.rates, settings=SETTINGS)
    # covered villages as the brief writes them: numerator/denominator (per cent)
    cov = h.loc["covered"]
    assert rows[1][:2] == ["有普法活动的村（社区）",
                           f"{cov['numerator']:.0f}/{cov['denominator']:.0f}"
                           f"（{cov['value'] * 100:.0f}%）"]
    assert len(rows) == 1 + len(h)


@pytest.mark.slow
def test_four_charts_are_embedded(written):
    zh, _, _, _ = written
    doc = docx.Document(zh)
    assert len(doc.inline_shapes) == 4
    with zipfile.ZipFile(zh) as zf:
        media = [n for n in zf.namelist() if n.startswith("word/media/")]
        assert len(media) == 4
        from io import BytesIO

        from PIL import Image

        for name in media:  # four charts
            with Image.open(BytesIO(zf.read(name))) as im:
                assert im.format == "PNG" and im.size[0] >= 1000  # 200 dpi
    width = Mm(210 - 28 - 26)
    assert all(s.width <= width + Mm(0.5) for s in doc.inline_shapes)
    assert [p.text for p in doc.paragraphs if p.text.startswith("图")] == [
        "图1  各村（社区）每百人参与人次", "图2  每月普法活动场次",
        "图3  各村（社区）必讲主题覆盖情况", "图4  各村（社区）群众法律知晓率"]


@pytest.mark.slow
def test_villages_named_in_problems_are_those_on_the_follow_up_list(town, written):
    ds, a = town
    zh, _, _, _ = written
    paragraphs = _text(zh)
    problems = _section(paragraphs, "三、存在问题", "四、下步工作")
    register = ds.villages["village_name"].astype(str)
    named = {n for n in register if n in problems}
    listed = set(a.follow_up["village_name"])
    assert named and named <= listed
    urgent = set(a.follow_up.loc[a.follow_up["score"] >= URGENT_SCORE, "village_name"])
    assert urgent and urgent <= named
    # the villages whose awareness is confidently below the target, by the survey's verdict
    rates = a.rates[a.rates["domain"].eq("awareness")]
    verdict = awareness_verdict(rates, settings=SETTINGS, pool_items=True)
    low = set(verdict.loc[verdict["verdict"].eq("low"), "village_id"].map(
        a.coverage["village_name"]))
    aware = next(p for p in problems.split("\n") if "知晓率判定" in p)
    assert low and {n for n in register if n in aware.split("确定低于目标")[1]} == low
    steps = _section(paragraphs, "四、下步工作", "五、数据来源说明")
    assert {n for n in register if n in steps} <= listed


@pytest.mark.slow
def test_fonts_sizes_and_margins_of_an_official_document(written):
    zh, _, _, _ = written
    doc = docx.Document(zh)
    section = doc.sections[0]
    # lengths are stored in twips (1/1440 inch): compare to 0.1 mm
    assert [round(x.mm, 1) for x in (section.page_width, section.page_height)] == [210, 297]
    assert [round(x.mm, 1) for x in (section.top_margin, section.bottom_margin,
                                     section.left_margin, section.right_margin)] == [37, 35, 28, 26]
    def east_asia(style_name: str) -> tuple[str, float]:
        style = doc.styles[style_name]
        return (style.element.rPr.rFonts.get(qn("w:eastAsia")), style.font.size.pt)

    assert east_asia("Title") == ("方正小标宋简体", 22.0)  # 二号
    assert east_asia("Heading 1") == ("黑体", 16.0)  # 三号
    assert east_asia("Normal") == ("仿宋_GB2312", 16.0)  # 三号
    assert doc.styles["Normal"].paragraph_format.first_line_indent == Pt(32)  # two characters
    with zipfile.ZipFile(zh) as zf:
        fonts = zf.read("word/fontTable.xml").decode("utf-8")
    for east, alt, _, _ in REPORT_FONTS.values():  # each font names its fallback
        assert re.search(rf'w:name="{east}"><w:altName w:val="{alt}"/>', fonts), east


@pytest.mark.slow
def test_no_personal_data_and_inputs_unchanged(town, written):
    ds, _ = town
    zh, en, inputs, copies = written
    for path in (zh, en):
        with zipfile.ZipFile(path) as zf:
            xml = "".join(zf.read(n).decode("utf-8", "ignore") for n in zf.namelist()
                          if n.endswith(".xml"))
        text = re.sub(r"<[^>]+>", "", xml)  # runs joined: a number split over runs is whole
        assert not _PHONE.findall(text) and not _ID.findall(text)
        ids = set(ds.legal_literates["person_id"].astype(str)) | set(
            ds.cadres["person_id"].astype(str))
        assert not [i for i in ids if len(i) > 5 and i in text]
    for key, frame in copies.items():  # nothing mutated
        pd.testing.assert_frame_equal(inputs[key], frame)


def test_missing_inputs_leave_their_parts_out(tmp_path):
    cov = pd.DataFrame({"village_name": ["河尾村", "罗湖村", "协和村"], "town": "水寨镇",
                        "n_events": [3, 0, 1], "covered": [True, False, True],
                        "attendance_per_100": [12.0, 0.0, 4.0],
                        "events_per_1000": [1.5, 0.0, 0.8],
                        "days_since_last": [40.0, np.nan, 500.0],
                        "missing_topics": [(), ("宪法",), ("禁毒",)]},
                       index=pd.Index(["V1", "V2", "V3"], name="village_id"))
    fu = pd.DataFrame({"village_name": ["罗湖村", "协和村"], "priority": [1, 2],
                       "score": [9.0, 4.5], "reasons": [("no_events",), ("stale",)]},
                      index=pd.Index(["V2", "V3"], name="village_id"))
    path = yearly_report(tmp_path, coverage=cov, follow_up=fu, settings=SETTINGS,
                         period=("2025-03-01", "2026-02-28"))
    doc = docx.Document(path)
    text = [p.text for p in doc.paragraphs]
    assert text[1] == "水寨镇2025年3月至2026年2月普法工作情况汇报"
    assert len(doc.inline_shapes) == 2  # attendance bars and topics; no survey, no ledger
    assert not any("知晓率为" in t for t in text)
    # by hand: 2 of 3 villages covered; 1 (V1, 40 days) within 365 days
    assert "覆盖全镇3个村（社区）中的2个，其中1个近12个月内开展过活动" in text[4]
    problems = _section(text, "三、存在问题", "四、下步工作")
    assert "无普法活动1个（罗湖村）" in problems and "长期无活动1个（协和村）" in problems
    assert "示例数据" not in "".join(text)


def test_bad_arguments_are_named(tmp_path):
    cov = pd.DataFrame({"village_name": ["甲村"], "events_per_1000": [1.0], "n_events": [1]},
                       index=pd.Index(["V1"], name="village_id"))
    fu = cov[["village_name"]].iloc[:0]
    with pytest.raises(ValueError, match="lang"):
        yearly_report(tmp_path, coverage=cov, follow_up=fu, lang="fr")
    with pytest.raises(TypeError, match="figures"):
        yearly_report(tmp_path, coverage=cov, follow_up=fu, figures={"topic_events": 1})
    with pytest.raises(ValueError, match="events_per_1000"):
        yearly_report(tmp_path, coverage=cov.drop(columns="events_per_1000"), follow_up=fu)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    cov = pd.DataFrame({"village_name": ["甲村"], "events_per_1000": [1.0], "n_events": [1],
                        "attendance_per_100": [5.0]},
                       index=pd.Index(["V1"], name="village_id"))
    fu = cov[["village_name"]].iloc[:0]
    (tmp_path / "汇报.docx").write_bytes(b"previous")

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pm.plots, "save", crash)  # fails while drawing, before any write
    with pytest.raises(RuntimeError, match="disk full"):
        yearly_report(tmp_path, coverage=cov, follow_up=fu, settings=SETTINGS,
                      period=("2025-01-01", "2025-12-31"))
    assert (tmp_path / "汇报.docx").read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["汇报.docx"]  # no temporary file left


# --------------------------------------------------------------------------------------------
# LibreOffice: the document as a reader's office suite lays it out
# --------------------------------------------------------------------------------------------


def _fontconfig(tmp: Path) -> dict[str, str]:
    """Environment for soffice: the system fonts plus the Noto CJK font the package ships."""
    import noto_cjk_sans_otc

    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{Path(str(noto_cjk_sans_otc.FONT_PATH)).parent}</dir>"
        f"<cachedir>{tmp / 'fc-cache'}</cachedir></fontconfig>", encoding="utf-8")
    return dict(os.environ, FONTCONFIG_FILE=str(conf), HOME=str(tmp / "home"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) or poppler-utils (pdftotext) not installed: "
                           "apt-get install libreoffice-writer-nogui poppler-utils (.ci/run does)")
def test_libreoffice_lays_it_out_on_a4_pages_with_the_text(written, tmp_path):
    zh, _, _, _ = written
    env = _fontconfig(tmp_path)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(zh)], check=True, capture_output=True, timeout=240, env=env)
    pdf = tmp_path / "汇报.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info.stdout)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    per_page = text.split("\f")[:pages]
    # every page carries its number "— n —" (the PAGE field), so the count is the page count
    numbers = [re.findall(r"—\s*(\d+)\s*—", p) for p in per_page]
    assert [n[-1] for n in numbers] == [str(i) for i in range(1, pages + 1)]
    # the text fits on 6–14 pages: two of text, four of charts (measured: 10 on the sample)
    assert 6 <= pages <= 14
    flat = re.sub(r"\s+", "", text)
    for words in ("水寨镇2020—2025年普法工作情况汇报", *HEADINGS_ZH, "示例数据（合成）",
                  "其中禁毒、反诈宣传", "图4各村（社区）群众法律知晓率"):
        assert words in flat, words
