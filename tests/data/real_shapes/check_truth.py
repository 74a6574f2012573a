"""Re-count the truths in truth.toml from the raw cells of the real-shapes corpus.

This script reads the files with openpyxl, xlrd and csv only (never pufa_metrics), with its own
small parsers for dates, counts, village names and topics, so that a mistake in the hand counts
or in the generator shows up as a mismatch. Run from the repository root:

    .venv/bin/python tests/data/real_shapes/check_truth.py

It exits with status 1 and lists every mismatch if any figure in truth.toml disagrees with the
files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

import openpyxl
import xlrd

HERE = Path(__file__).resolve().parent
TRUTH = tomllib.loads((HERE / "truth.toml").read_text(encoding="utf-8"))
UNITS: list[str] = TRUTH["corpus"]["units"]
ERRORS: list[str] = []
VARLABEL: dict[str, str] = {}  # SPSS variable -> label, filled by codebook_sps()


def check(ok: bool, where: str, what: str, got: object = None, want: object = None) -> None:
    if not ok:
        ERRORS.append(f"{where}: {what}" + ("" if got is None and want is None
                                            else f" (got {got!r}, want {want!r})"))


# --------------------------------------------------------------------------------------------
# Raw readers: {sheet: {row: [values]}}, rows 1-based, every row from 1 to the last one
# --------------------------------------------------------------------------------------------


def _fill_merged(rows: dict[int, list], ranges: list[tuple[int, int, int, int]]) -> dict:
    """Header helper: copy the top-left value of each merged range over the range."""
    filled = {r: list(v) for r, v in rows.items()}
    for r0, r1, c0, c1 in ranges:  # 1-based inclusive
        value = rows.get(r0, [None] * c1)[c0 - 1]
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if r in filled and c - 1 < len(filled[r]):
                    filled[r][c - 1] = value
    return filled


def read_xlsx(path: Path) -> dict[str, tuple[dict, list]]:
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = {r: [c.value for c in row] for r, row in enumerate(
            ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column), start=1)}
        merged = [(m.min_row, m.max_row, m.min_col, m.max_col) for m in ws.merged_cells.ranges]
        out[ws.title] = (rows, merged)
    return out


def read_xls(path: Path) -> dict[str, tuple[dict, list]]:
    book = xlrd.open_workbook(path, formatting_info=True)
    out = {}
    for sh in book.sheets():
        rows = {}
        for r in range(sh.nrows):
            values = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_EMPTY or cell.ctype == xlrd.XL_CELL_BLANK:
                    values.append(None)
                else:
                    values.append(cell.value)
            rows[r + 1] = values
        merged = [(r0 + 1, r1, c0 + 1, c1) for r0, r1, c0, c1 in sh.merged_cells]
        out[sh.name] = (rows, merged)
    return out


def read_csv(path: Path, encoding: str) -> dict[str, tuple[dict, list]]:
    text = path.read_bytes().decode(encoding)
    rows = {i: [v if v != "" else None for v in rec]
            for i, rec in enumerate(csv.reader(io.StringIO(text)), start=1)}
    return {"": (rows, [])}


def read_any(name: str, spec: dict) -> dict[str, tuple[dict, list]]:
    path = HERE / name
    if name.endswith(".xlsx"):
        return read_xlsx(path)
    if name.endswith(".xls"):
        return read_xls(path)
    return read_csv(path, spec["encoding"])


def blank(values: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def headers(rows: dict, merged: list, header_rows: list[int]) -> dict[str, int]:
    """Header text -> 0-based column; two header rows are joined parent/child."""
    filled = _fill_merged(rows, merged)
    width = max(len(rows[r]) for r in header_rows)
    out = {}
    for j in range(width):
        parts = []
        for r in header_rows:
            v = filled[r][j] if j < len(filled[r]) else None
            if v is not None and str(v) not in parts:
                parts.append(str(v))
        if parts:
            out["/".join(parts)] = j
    return out


# --------------------------------------------------------------------------------------------
# Independent parsers
# --------------------------------------------------------------------------------------------

TOWN_WIDE = {"镇区", "镇级", "镇文化站", "镇政府", "镇政府广场", "河口镇圩镇", "各村(社区)",
             "全镇各村", "全镇", ""}


def squash(value: object) -> str:
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def village_of(value: object) -> str | None:
    """Register name for a cell, "" for a town-wide place, None for an unknown name."""
    s = squash(value)
    if s in TOWN_WIDE:
        return ""
    for suffix, repl in (("社区居民委员会", "社区"), ("居民委员会", ""), ("村民委员会", "村"),
                         ("社区居委会", "社区"), ("居委会", ""), ("村委会", "村")):
        if s.endswith(suffix):
            s = s[: -len(suffix)] + repl
            break
    if s in UNITS:
        return s
    hits = [u for u in UNITS if s.startswith(u)]
    return hits[0] if len(hits) == 1 else None


#: keyword -> canonical topic (my own list; deliberately not imported from pufa_metrics)
KEYWORDS = {
    "宪法": "宪法", "习近平法治思想": "习近平法治思想", "民法典": "民法典",
    "婚姻家庭": "婚姻家庭", "继承": "继承", "反诈": "反电信网络诈骗",
    "电信网络诈骗": "反电信网络诈骗", "禁毒": "禁毒", "扫黑除恶": "扫黑除恶",
    "反有组织犯罪": "扫黑除恶", "平安建设": "社会治安", "社会治安": "社会治安",
    "安全生产": "安全生产", "消防": "消防", "道路交通": "道路交通",
    "未成年人保护": "未成年人保护", "家庭教育": "家庭教育", "妇女权益": "妇女权益",
    "反家庭暴力": "反家庭暴力", "反家暴": "反家庭暴力", "养老诈骗": "老年人权益",
    "根治欠薪": "劳动与欠薪", "劳动合同": "劳动与欠薪", "土地管理": "土地管理",
    "农村土地承包": "土地管理", "宅基地": "土地管理", "法律援助": "法律援助",
    "国家安全": "国家安全", "网络安全": "网络安全", "森林防火": "生态环境",
    "生态环境": "生态环境", "消费者权益": "消费者权益", "非法集资": "防范非法集资",
}


def topics_of(value: object) -> list[str]:
    text = squash(value)
    found: list[str] = []
    for key, canon in KEYWORDS.items():
        if key in text and canon not in found:
            found.append(canon)
    return sorted(found)


def attendees_of(value: object) -> tuple[int | None, bool]:
    if isinstance(value, (int, float)):
        return int(round(value)), False
    s = squash(value)
    m = re.search(r"\d+", s)
    return (int(m.group()) if m else None), bool(re.search(r"约|余|多|左右", s))


def date_of(value: object, year: int | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        if value > 20000:  # an Excel serial in a General cell
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        if year:  # m.d typed as a number
            month, day = repr(float(value)).split(".")
            return dt.date(year, int(month), int(day))
        return None
    s = squash(value)
    m = re.fullmatch(r"(\d{4})[./\-年](\d{1,2})[./\-月](\d{1,2})日?", s)
    if m:
        return dt.date(*map(int, m.groups()))
    m = re.fullmatch(r"(\d{1,2})[.月](\d{1,2})日?", s)
    if m and year:
        return dt.date(year, int(m.group(1)), int(m.group(2)))
    return None


def year_in(text: object) -> int | None:
    m = re.search(r"(20\d\d)年", str(text or ""))
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------------


def sheets_of(spec: dict) -> list[str]:
    return spec.get("sheets") or [spec.get("sheet", "")]


def per_sheet(value, sheet: str):
    return value.get(sheet, []) if isinstance(value, dict) else value


def check_accounting(name: str, spec: dict, book: dict) -> None:
    """Every row is a header, non-data, load or reject row, exactly once."""
    for sheet in sheets_of(spec):
        where = f"{name}[{sheet}]" if sheet else name
        if sheet not in book:
            check(False, where, f"sheet {sheet!r} missing; have {list(book)}")
            continue
        rows, _ = book[sheet]
        header = per_sheet(spec["header_rows"], sheet)
        nd = [n["row"] for n in spec["non_data"] if n.get("sheet", sheet) == sheet]
        load = per_sheet(spec["load"], sheet)
        rej = [x["row"] for x in spec["reject"] if x.get("sheet", sheet) == sheet]
        listed = header + nd + load + rej
        check(len(listed) == len(set(listed)), where, "a row is listed twice", sorted(listed))
        last = max(r for r, v in rows.items() if not blank(v))
        check(set(listed) == set(range(1, last + 1)), where, "rows not accounted for",
              sorted(set(range(1, last + 1)) ^ set(listed)))
        for n in spec["non_data"]:
            if n.get("sheet", sheet) != sheet:
                continue
            is_blank = blank(rows[n["row"]])
            check(is_blank == n["what"].startswith("blank"), where,
                  f"row {n['row']} blank={is_blank} but described as {n['what']!r}")
        for r in load + rej:
            check(not blank(rows[r]), where, f"data row {r} is blank")


def check_row_totals(name: str, spec: dict, book: dict) -> None:
    """A 合计 / 小计 / 全镇 / 其中 row holds the sum of the rows it covers."""
    for t in spec.get("row_totals", []):
        sheet = t.get("sheet", sheets_of(spec)[0])
        rows, merged = book[sheet]
        hdr = headers(rows, merged, per_sheet(spec["header_rows"], sheet))
        for text, want in t["values"].items():
            j = hdr[text]
            cell = rows[t["row"]][j]
            check(round(float(cell)) == want, name, f"row {t['row']} {text!r}", cell, want)
            got = round(sum(attendees_of(rows[r][j])[0] or 0 if isinstance(rows[r][j], str)
                            else float(rows[r][j] or 0) for r in t["covers"]))
            check(got == want, name, f"sum of rows {t['covers']} in {text!r}", got, want)


def column_index(name: str, spec: dict, book: dict, sheet: str) -> dict[str, int]:
    rows, merged = book[sheet]
    hdr = headers(rows, merged, per_sheet(spec["header_rows"], sheet))
    out = {}
    for canon, text in spec.get("columns", {}).items():
        check(text in hdr, f"{name}[{sheet}]", f"header {text!r} ({canon}) not found",
              list(hdr))
        out[canon] = hdr.get(text, -1)
    return out


def check_register(name: str, spec: dict, book: dict) -> None:
    sheet = sheets_of(spec)[0]
    rows, _ = book[sheet]
    col = column_index(name, spec, book, sheet)
    names = [village_of(rows[r][col["village_name"]]) for r in spec["load"]]
    check(sorted(n for n in names if n) == sorted(UNITS), name, "unit names", names, UNITS)
    check(len(names) == spec["units"], name, "units", len(names), spec["units"])
    sums = {
        "population_total": "population", "registered_total": "registered_population",
        "registered_male_total": "registered_male", "registered_female_total":
        "registered_female", "households_total": "households",
        "villager_groups_total": "villager_groups"}
    for key, canon in sums.items():
        if key in spec:
            cells = [rows[r][col[canon]] for r in spec["load"]]
            total = round(sum(float(v) for v in cells if v not in (None, "")))
            check(total == spec[key], name, key, total, spec[key])
    for key in ("population", "households", "registered_population"):
        if isinstance(spec.get(key), dict):
            got = {village_of(rows[r][col["village_name"]]): round(float(rows[r][col[key]]))
                   for r in spec["load"]}
            check(got == spec[key], name, f"per-unit {key}", got, spec[key])
    for r, text in spec.get("spaced_names", {}).items():
        check(rows[int(r)][col["village_name"]] == text, name, f"spaced name row {r}",
              rows[int(r)][col["village_name"]], text)
    if "codes" in spec:
        got = {village_of(rows[r][col["village_name"]]): str(rows[r][col["village_id"]])
               for r in spec["load"]}
        check(got == spec["codes"], name, "codes", got, spec["codes"])
        text_rows = [r for r in spec["load"] if isinstance(rows[r][col["village_id"]], str)]
        check(text_rows == spec["code_as_text_rows"], name, "code-as-text rows", text_rows)
        got = {village_of(rows[r][col["village_name"]]): int(rows[r][col["urban_rural_code"]])
               for r in spec["load"]}
        check(got == spec["urban_rural"], name, "城乡分类代码", got)
    if "total_row_registered_raw" in spec:
        raw = rows[5][1]
        check(raw == spec["total_row_registered_raw"], name, "float noise kept", raw)
        check(rows[10][4] == 1800.0000001, name, "大布村 float noise", rows[10][4])
    if "indent" in spec:
        ind = spec["indent"]
        for r in ind["ascii_spaces"]:
            check(str(rows[r][0]).startswith("  "), name, f"row {r} ASCII indent")
        for r in ind["fullwidth_spaces"]:
            check(str(rows[r][0]).startswith("\u3000"), name, f"row {r} full-width indent")
        ws = openpyxl.load_workbook(HERE / name)[sheet]
        for r in ind["cell_format_indent"]:
            check(ws[f"A{r}"].alignment.indent > 0 and not str(rows[r][0]).startswith(" "),
                  name, f"row {r} indented by format only")
    for r in spec.get("trailing_space_rows", []):
        check(str(rows[r][col["village_name"]]).endswith(" "), name, f"row {r} trailing space")


def check_events(name: str, spec: dict, book: dict) -> None:
    total, approx_seen, villages, links = 0, set(), set(), 0
    events = {(e.get("sheet", sheets_of(spec)[0]), e["row"]): e for e in spec["events"]}
    for sheet in sheets_of(spec):
        rows, _ = book[sheet]
        col = column_index(name, spec, book, sheet)
        topic_col = col.get("topic", col.get("title"))
        year = spec.get("year_from_title") and year_in(rows[1][0])
        if spec.get("year_from_title"):
            check(year == spec["year_from_title"], f"{name}[{sheet}]", "year in title", year)
        for r in per_sheet(spec["load"], sheet):
            where = f"{name}[{sheet}] row {r}"
            e = events.get((sheet, r))
            if e is None:
                check(False, where, "loaded row has no [[events]] entry")
                continue
            vals = rows[r]
            got_date = date_of(vals[col["date"]], year)
            check(got_date == e["date"], where, "date", got_date, e["date"])
            got_v = village_of(vals[col["village_name"]])
            check(got_v == e["village"], where, "village", got_v, e["village"])
            got_t = topics_of(vals[topic_col])
            check(got_t == sorted(e["topics"]), where, "topics", got_t, sorted(e["topics"]))
            if not e["topics"]:
                check(squash(vals[topic_col]) == e.get("unmatched_topic"), where,
                      "unmatched topic text", vals[topic_col])
            n, approx = attendees_of(vals[col["attendees"]])
            check(n == e["attendees"], where, "attendees", n, e["attendees"])
            check(approx == e.get("approx", False), where, "approx flag", approx)
            total += n or 0
            links += len(got_t)
            if got_v:
                villages.add(got_v)
            if approx:
                approx_seen.add(r)
        for x in spec["reject"]:
            if x.get("sheet", sheet) != sheet:
                continue
            vals = rows[x["row"]]
            where = f"{name}[{sheet}] rejected row {x['row']}"
            ci = {v: k for k, v in spec["columns"].items()}[x["column"]]
            cell = vals[col[ci]]
            check(squash(cell) == x["value"], where, "value", cell, x["value"])
            if x["reason"].startswith("unreadable date"):
                check(date_of(cell, year) is None, where, "date should not parse")
            elif x["reason"].startswith("unknown village"):
                check(village_of(cell) is None, where, "village should be unknown")
            elif x["reason"].startswith("no topic"):
                check(not squash(cell), where, "topic should be blank")
            else:
                check(False, where, f"unchecked reason {x['reason']!r}")
    n_load = sum(len(per_sheet(spec["load"], s)) for s in sheets_of(spec))
    check(n_load == len(spec["events"]), name, "events listed vs rows loaded",
          len(spec["events"]), n_load)
    if "events_total" in spec:
        check(n_load == spec["events_total"], name, "events_total", n_load)
    if "data_rows" in spec:
        check(n_load + len(spec["reject"]) == spec["data_rows"], name, "data_rows")
    check(total == spec["attendees_total"], name, "attendees_total", total,
          spec["attendees_total"])
    check(len(villages) == spec["villages"], name, "villages", sorted(villages), spec["villages"])
    check(links == spec["topic_links"], name, "topic_links", links, spec["topic_links"])
    if "town_wide_rows" in spec:
        got = [e["row"] for e in spec["events"] if e["village"] == ""]
        check(got == spec["town_wide_rows"], name, "town_wide_rows", got)
    if "materials_total" in spec:
        rows, _ = book[sheets_of(spec)[0]]
        col = column_index(name, spec, book, sheets_of(spec)[0])
        got = sum(int(rows[r][col["materials"]]) for r in spec["load"])
        check(got == spec["materials_total"], name, "materials_total", got)
    if "audiences" in spec:
        rows, _ = book[sheets_of(spec)[0]]
        col = column_index(name, spec, book, sheets_of(spec)[0])
        got = dict(Counter(rows[r][col["audience"]] for r in spec["load"]))
        check(got == spec["audiences"], name, "audiences", got)


def check_sites(name: str, spec: dict, book: dict) -> None:
    sheet = sheets_of(spec)[0]
    rows, _ = book[sheet]
    col = column_index(name, spec, book, sheet)
    levels = Counter(rows[r][col["level"]] for r in spec["load"])
    check(dict(levels) == spec["levels"], name, "levels", dict(levels))
    town = [r for r in spec["load"] if rows[r][col["level"]] == "镇级"]
    check(town == spec["town_level_rows"], name, "town-level rows", town)
    per = Counter(village_of(rows[r][col["village_name"]]) for r in spec["load"]
                  if rows[r][col["level"]] == "村级")
    check(None not in per, name, "a 村级 site names an unknown village", dict(per))
    check(dict(per) == spec["sites_per_village"], name, "sites per village", dict(per))
    check(len(per) == spec["villages"], name, "villages", len(per))
    check(sorted(set(UNITS) - set(per)) == spec["villages_without_site"], name,
          "villages without a site")
    check(len(spec["load"]) == spec["sites"], name, "sites")


def check_cadres(name: str, spec: dict, book: dict) -> None:
    sheet = sheets_of(spec)[0]
    rows, _ = book[sheet]
    col = column_index(name, spec, book, sheet)
    scores = [rows[r][col["exam_score"]] for r in spec["load"]]
    taken = [s for s in scores if isinstance(s, (int, float))]
    check(len(taken) == spec["exam_taken"], name, "exam_taken", len(taken))
    check(sum(taken) == spec["score_sum"], name, "score_sum", sum(taken))
    passed = [r for r in spec["load"] if rows[r][col["exam_passed"]] == "合格"]
    failed = [r for r in spec["load"] if rows[r][col["exam_passed"]] == "不合格"]
    check(len(passed) == spec["passed"], name, "passed", len(passed))
    check(failed == spec["failed_rows"] and len(failed) == spec["failed"], name, "failed", failed)
    depts = {rows[r][col["department"]] for r in spec["load"]}
    check(len(depts) == spec["departments"], name, "departments", len(depts))
    check(len(spec["load"]) == spec["people"], name, "people")
    check(year_in(rows[1][0]) == spec["year_from_title"], name, "year in title")


# --------------------------------------------------------------------------------------------
# Surveys
# --------------------------------------------------------------------------------------------


def codebook_16b() -> dict[str, list[str]]:
    rows, _ = read_xlsx(HERE / "16b_问卷选项编码表.xlsx")["选项编码"]
    spec = TRUTH["files"]["16b_问卷选项编码表.xlsx"]
    options: dict[str, list[str]] = {}
    for r in spec["load"]:
        q, _text, _kind, k, opt = rows[r][:5]
        if k is not None:
            lst = options.setdefault(str(q), [])
            check(k == len(lst) + 1, "16b", f"option numbers of question {q} run 1..n")
            lst.append(opt)
    check(sum(map(len, options.values())) == spec["option_rows"], "16b", "option rows")
    texts = [r for r in spec["load"] if rows[r][3] is None]
    check(len(texts) == spec["text_questions"], "16b", "text questions", len(texts))
    return options


def codebook_sps() -> dict[str, list[str]]:
    """VALUE LABELS of 18b, expanded to one option list per variable."""
    text = (HERE / "18b_变量与值标签.sps").read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(
        (HERE / "18_问卷_SPSS变量名.csv").read_bytes().decode("utf-8-sig"))))
    varlabels = re.findall(r"^ /?(Q\w+) '(.*)'$", text.split("VALUE LABELS")[0], flags=re.M)
    VARLABEL.update(varlabels)
    spec = TRUTH["files"]["18b_变量与值标签.sps"]
    check(len(varlabels) == spec["labelled_variables"], "18b", "labelled variables",
          len(varlabels))
    out: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.split("VALUE LABELS")[1].split("\n"):
        m = re.match(r"^ /?(Q[\w ]+)$", line)
        if m:
            words = m.group(1).split()
            names: list[str] = []
            i = 0
            while i < len(words):
                if i + 2 < len(words) and words[i + 1] == "TO":
                    a, b = header.index(words[i]), header.index(words[i + 2])
                    names += header[a:b + 1]
                    i += 3
                else:
                    names.append(words[i])
                    i += 1
            current = names
            for n in names:
                out[n] = []
            continue
        m = re.match(r"^ (-?\d+) '(.*)'$", line)
        if m and current:
            for n in current:
                if int(m.group(1)) > 0:
                    out[n].append(m.group(2))
    check(len(out) == spec["value_labelled_variables"], "18b", "value-labelled variables",
          len(out))
    return out


def tally_survey(name: str, spec: dict, book: dict) -> None:
    sheet = sheets_of(spec)[0]
    rows, merged = book[sheet]
    hdr = headers(rows, merged, spec["header_rows"])
    where = name
    for c in [spec["id_column"], spec["date_column"], spec["village_column"],
              *spec["personal_columns"], *spec["item_columns"].values(),
              *[c for cs in spec.get("multiple_columns", {}).values() for c in cs]]:
        check(c in hdr, where, f"header {c!r} missing")
    data = [rows[r] for r in spec["load"]]
    survey = TRUTH["survey"]
    check(len(data) == survey["respondents"], where, "respondents", len(data))
    coded = "skip_code" in spec
    if name.startswith("18"):
        options = codebook_sps()
        opt_for = {item: options.get(col, []) for item, col in spec["item_columns"].items()}
    elif coded:
        options = codebook_16b()
        opt_for = {item: options.get(item[1:].split("_")[0], [])
                   for item in spec["item_columns"]}
    codes = {int(k): v for k, v in spec.get("village_codes", {}).items()}
    vcol = hdr[spec["village_column"]]
    vil = Counter(codes[int(float(v[vcol]))] if coded else village_of(v[vcol]) for v in data)
    check(dict(vil) == survey["village_counts"], where, "village counts", dict(vil))
    if coded:
        cb = options.get("3") if not name.startswith("18") else options.get("Q3")
        check([codes[k] for k in sorted(codes)] == cb, where, "village codes vs codebook", cb)
    for item in survey["items"]:
        iid = item["id"]
        if item["type"] == "multiple":
            got: Counter = Counter()
            if coded:
                cols = spec["multiple_columns"][iid]
                for v in data:
                    for opt, c in zip(item["options"], cols):
                        got[opt] += int(float(v[hdr[c]]))
                if name.startswith("18"):  # Q6_k: the option text is only in the .sps
                    labels = [VARLABEL[c].rsplit(":", 1)[1] for c in cols]
                else:  # 第6题(选项) / 6(选项)
                    labels = [re.search(r"\((.*)\)$", c).group(1) for c in cols]
                check(labels == item["options"], where, "multiple-choice option labels", labels)
            else:
                col = hdr[spec["item_columns"][iid]]
                for v in data:
                    for part in str(v[col]).split(spec["multiple_separator"]):
                        got[part.split("〖")[0]] += 1
                others = [re.search(r"〖(.*)〗", str(v[col])) for v in data]
                others = [m.group(1) for m in others if m]
                check(others == [item["other_text"]], where, "其他 fill-in text", others)
            check(dict(+got) == item["counts"], where, f"{iid} counts", dict(got),
                  item["counts"])
            continue
        col = hdr[spec["item_columns"][iid]]
        values = [v[col] for v in data]
        if item["type"] == "text":
            nonempty = [x for x in values if x not in (None, "(空)")]
            check(len(nonempty) == item["nonempty"], where, f"{iid} non-empty", len(nonempty))
            continue
        if coded:
            skipped = sum(1 for x in values if int(float(x)) == spec["skip_code"])
            got = Counter(opt_for[iid][int(float(x)) - 1] for x in values
                          if int(float(x)) != spec["skip_code"])
        else:
            skipped = values.count(spec["skip_marker"])
            got = Counter(x for x in values if x != spec["skip_marker"])
        check(dict(got) == item["counts"], where, f"{iid} counts", dict(got), item["counts"])
        check(skipped == item.get("skipped", 0), where, f"{iid} skipped", skipped)
        if coded:
            check(opt_for[iid] == item["options"], where, f"{iid} codebook options",
                  opt_for[iid])


def check_kobo(name: str, spec: dict, book: dict) -> None:
    sheet = sheets_of(spec)[0]
    rows, merged = book[sheet]
    hdr = headers(rows, merged, spec["header_rows"])
    data = [rows[r] for r in spec["load"]]
    for c in spec["meta_columns"] + [spec["village_column"]]:
        check(c in hdr, name, f"header {c!r} missing")
    check(len(data) == spec["respondents"], name, "respondents")
    vil = Counter(village_of(v[hdr[spec["village_column"]]]) for v in data)
    check(dict(vil) == spec["village_counts"], name, "village counts", dict(vil))
    check(len(vil) == spec["villages"], name, "villages")
    check([v[hdr["_index"]] for v in data] == list(range(1, len(data) + 1)), name, "_index")
    check(len({v[hdr["_uuid"]] for v in data}) == len(data), name, "_uuid unique")
    for item in spec["items"]:
        col = hdr[item["column"]]
        if item["type"] == "multiple":
            got = Counter()
            for v in data:
                picked = str(v[col]).split()
                flags = [v[hdr[c]] for c in item["option_columns"]]
                labels = [c.rsplit("/", 1)[1] for c in item["option_columns"]]
                check(all(f in ("0", "1") for f in flags), name, "0/1 flags are text", flags)
                check([lab for lab, f in zip(labels, flags) if f == "1"] == picked, name,
                      "summary column agrees with the option columns", picked)
                got.update(picked)
        else:
            got = Counter(v[col] for v in data)
        check(dict(got) == item["counts"], name, f"{item['id']} counts", dict(got),
              item["counts"])


# --------------------------------------------------------------------------------------------


def survey_totals() -> None:
    """The [survey] item counts must add up to the respondents (less skips)."""
    n = TRUTH["survey"]["respondents"]
    for item in TRUTH["survey"]["items"]:
        if item["type"] in ("single", "matrix"):
            got = sum(item["counts"].values()) + item.get("skipped", 0)
            check(got == n, "survey", f"{item['id']} counts + skipped", got, n)
    check(sum(TRUTH["survey"]["village_counts"].values()) == n, "survey", "village counts sum")


def main() -> int:
    survey_totals()
    for name, spec in TRUTH["files"].items():
        kind = spec["kind"]
        if name.endswith(".sps"):
            codebook_sps()
            continue
        book = read_any(name, spec)
        check_accounting(name, spec, book)
        check_row_totals(name, spec, book)
        if kind == "villages":
            check_register(name, spec, book)
        elif kind == "events":
            check_events(name, spec, book)
        elif kind == "sites":
            check_sites(name, spec, book)
        elif kind == "cadres":
            check_cadres(name, spec, book)
        elif kind == "codebook":
            codebook_16b()
        elif kind == "responses" and name.startswith("19"):
            check_kobo(name, spec, book)
        elif kind == "responses":
            tally_survey(name, spec, book)
        else:
            check(False, name, f"unknown kind {kind!r}")
    on_disk = {p.name for p in HERE.iterdir()
               if p.suffix in (".xlsx", ".xls", ".csv", ".sps")}
    check(on_disk == set(TRUTH["files"]), "corpus", "files on disk vs truth.toml",
          sorted(on_disk ^ set(TRUTH["files"])))
    if ERRORS:
        print(f"{len(ERRORS)} mismatch(es):")
        for e in ERRORS:
            print("  -", e)
        return 1
    print(f"truth.toml agrees with all {len(TRUTH['files'])} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
