"""A town's tables as one :class:`Dataset`: :func:`load_dataset` reads a folder of ledgers.

Files are assigned to tables (``[files]`` in pufa.toml, then file-name keywords, then headers),
the register is read first and every other ledger matched against it, surveys go through
:mod:`pufa_metrics.io.survey`, and the reconciliation of every file is kept in ``Dataset.files``.
:meth:`Dataset.to_parquet` / :meth:`Dataset.from_parquet` save and restore it losslessly and
atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import privacy, schema
from .._common import recover_dir
from .._common import swap_dir as swap_in
from ..config import RAW_DIR, Settings
from .cells import isin
from .headers import HEADER_SCAN_ROWS, canonical_column, find_header, is_personal
from .ledger import ID_COLUMNS, LEDGER_TABLES, ReadResult, drop_duplicate_keys, read_table
from .problems import (
    COLUMN_RECORDS,
    LedgerError,
    concat_problems,
    empty_column_records,
    empty_problems,
    empty_typed,
    error_problem,
    finish_problems,
    internal_error,
    problem_rows,
    scrub_problems,
)
from .survey import read_codebook, read_survey_result
from .villages import Register, build_register, match_villages, spread_all_villages
from .workbook import fill_merges, read_raw

_GEO_SUFFIXES = (".geojson", ".gpkg", ".shp")

_SHP_COMPANIONS = (".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".xml")

_TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")

#: File-name keywords → table, most specific first (the first table with a hit wins).
_NAME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("geometry", ("村界", "boundaries", "boundary")),
    ("legal_literates", ("法律明白人", "legal_literates", "legal-literates")),
    ("adviser_visits", ("法律顾问", "adviser", "advisor")),
    ("codebook", ("codebook", "编码表", "题目")),
    ("responses", ("问卷", "survey", "responses")),
    ("cadres", ("cadres", "学法", "干部")),
    ("sites", ("sites", "阵地")),
    ("villages", ("villages", "基本信息", "register")),
    ("events", ("events", "台账", "活动")),
    ("villages", ("村居", "村(社区)")),
)

_DATASET_TABLES = (
    "villages",
    "events",
    "event_topics",
    "sites",
    "responses",
    "codebook",
    "cadres",
    "legal_literates",
    "adviser_visits",
)

_MANIFEST = "dataset.json"


def _recover(target: Path) -> None:
    """Put back a saved Dataset left aside by a crash inside :func:`swap_in` (with a manifest)."""
    recover_dir(target, marker=_MANIFEST)


#: A marker file written by ``pufa sample``: the data in that folder is synthetic.
SYNTHETIC_MARKER = ".synthetic"

_FILES_COLUMNS = {
    "table": "str",
    "source_file": "str",
    "sheet": "str",
    "title": "str",
    "preamble_rows": "int64",
    "data_rows": "int64",
    "loaded": "int64",
    "rejected": "int64",
    "non_data": "int64",
    "status": "str",
    "message": "str",
}


def _empty_files() -> pd.DataFrame:
    return empty_typed(_FILES_COLUMNS)


@dataclass(eq=False, repr=False)
class Dataset:
    """Every canonical table of one town, with what was rejected and why.

    Attributes
    ----------
    villages, events, event_topics, sites, responses, codebook, cadres : pandas.DataFrame
        Canonical tables (empty frames when absent).
    legal_literates, adviser_visits : pandas.DataFrame or None
        Optional tables.
    geometry : geopandas.GeoDataFrame or None
        ``village_id`` and ``geometry`` in EPSG:4326.
    rejected, warnings : pandas.DataFrame
        One row per problem (columns of ``schema.REJECTED``); warnings are not row losses.
    files : pandas.DataFrame
        One row per file read: table, source_file, sheet, preamble_rows, data_rows, loaded,
        rejected, non_data, status, message.
    columns : pandas.DataFrame
        What became of every source column of every file: table, source_file, sheet, column
        (Excel letter), header, used_as (the canonical column or survey item; empty when not
        used) and reason (why not: personal data removed, unknown header, empty, metadata …).

    Examples
    --------
    >>> ds = Dataset(villages=pd.DataFrame({"village_id": ["V01"], "village_name": ["大岭村"],
    ...                                     "population": [1200]}))
    >>> print(ds.summary().splitlines()[1])
      villages              1 rows
    """

    villages: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("villages"))
    events: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("events"))
    event_topics: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("event_topics"))
    sites: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("sites"))
    responses: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("responses"))
    codebook: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("codebook"))
    cadres: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("cadres"))
    legal_literates: pd.DataFrame | None = None
    adviser_visits: pd.DataFrame | None = None
    geometry: Any = None
    rejected: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("rejected"))
    warnings: pd.DataFrame = field(default_factory=lambda: schema.empty_frame("rejected"))
    files: pd.DataFrame = field(default_factory=_empty_files)
    columns: pd.DataFrame = field(default_factory=empty_column_records)
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.summary()

    def reconciliation(self) -> pd.DataFrame:
        """One row per file: ``loaded + rejected + non_data == data_rows`` (and its status)."""
        return self.files.copy()

    def removed_personal_data(self) -> pd.DataFrame:
        """What personal data the readers removed, per file and column (never a value).

        Read from the removal records in :attr:`warnings` (reasons ending in
        ``[pii:<kind>:<action>:<cells>]``, see :func:`pufa_metrics.privacy.removal_reason`).

        Returns
        -------
        pandas.DataFrame
            ``[table, source_file, column, kind, action, cells, kind_zh, action_zh]``:
            ``kind`` in ``header`` (a whole column dropped by its header, e.g. 身份证号),
            ``name``, ``id_number``, ``mobile``, ``ipv4``, ``geopoint``, ``address``, ``fill_in``;
            ``action`` in ``dropped``, ``masked``, ``hashed``, ``emptied``; ``cells`` the
            number of cells concerned.

        Examples
        --------
        >>> from pufa_metrics import privacy
        >>> w = schema.coerce(pd.DataFrame({"table": ["events"], "source_file": ["a.csv"],
        ...     "column": ["备注"], "reason": [privacy.removal_reason("mobile", "masked", 2)]}),
        ...     "rejected")
        >>> Dataset(warnings=w).removed_personal_data()[["column", "kind", "cells"]
        ...     ].values.tolist()
        [['备注', 'mobile', 2]]
        """
        return privacy.removal_summary(self.warnings)

    def summary(self) -> str:
        """A short text summary: rows per table, files read, rejected rows and warnings."""
        lines = ["pufa_metrics Dataset"]
        for name in (*_DATASET_TABLES, "geometry"):
            frame = getattr(self, name)
            if frame is None:
                continue
            lines.append(f"  {name:<18}{len(frame):>5} rows")
        files = self.files
        n_err = int((files["status"] != "ok").sum()) if len(files) else 0
        n_rows = int(self.rejected["source_row"].notna().sum()) if len(self.rejected) else 0
        lines.append(
            f"  files: {len(files)} ({n_err} not ok); rejected problems: {len(self.rejected)} "
            f"({n_rows} with a row number); warnings: {len(self.warnings)}"
        )
        removed = self.removed_personal_data()
        if len(removed):
            lines.append(
                f"  personal data removed 已移除个人信息: {int(removed['cells'].sum())} cells in "
                f"{removed['source_file'].nunique()} files (see removed_personal_data())"
            )
        return "\n".join(lines)

    # -- Parquet --------------------------------------------------------------------------------
    def to_parquet(self, path: str | os.PathLike, *, settings: Settings | None = None) -> Path:
        """Write every table to ``path`` as Parquet, atomically, with no personal data.

        Everything is written into a temporary sibling directory which then replaces ``path``,
        so a failure part-way leaves the previous output intact. Files in ``path`` that are not
        part of a dataset (e.g. ``.gitkeep``) are kept.

        Personal data is checked once more on the way out (the readers already removed it, so
        this only matters for a Dataset built by hand): text is masked and identifiers holding
        personal data are replaced by their salted hash (:func:`pufa_metrics.privacy.scrub`),
        each removal recorded in the written ``warnings``. The object itself is not changed.

        Parameters
        ----------
        path : str or Path
            The output folder (``data/processed``).
        settings : Settings, optional
            For the salt of the hash (``PUFA_SALT`` or ``[privacy] salt``); default the
            built-in salt unless ``PUFA_SALT`` is set.

        Returns
        -------
        Path
            The output directory.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"'path' should be a folder path, got {type(path).__name__}")
        target = Path(path)
        if target.exists() and not target.is_dir():
            raise ValueError(f"'path' should be a folder, got the file {str(target)!r}")
        salt = privacy.salt_of(settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        _recover(target)
        frames: dict[str, pd.DataFrame] = {}
        found: list[pd.DataFrame] = []
        for name in (*_DATASET_TABLES, "rejected", "warnings", "files", "columns"):
            frame = getattr(self, name)
            if frame is None:
                continue
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(
                    f"Dataset.{name} should be a DataFrame or None, got {type(frame).__name__}"
                )
            lists = name in ("rejected", "warnings", "files", "columns")
            frame, removed = privacy.scrub(
                frame, ids=() if lists else ID_COLUMNS, salt=salt,
                skip=("table", "source_file", "reason") if name == "warnings" else (
                    "table", "source_file"),
            )
            frames[name] = frame
            if len(removed):
                found += [problem_rows([pd.NA], column, [pd.NA], privacy.removal_reason(
                    kind, action, int(cells), why="found when saving 保存时发现")).assign(
                        table=name, source_file="")
                    for column, kind, action, cells in removed.itertuples(index=False)]
        if found:
            frames["warnings"] = concat_problems([frames["warnings"], *found])
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            manifest = {"format": "pufa_metrics.Dataset", "version": 1, "tables": {},
                        "meta": dict(self.meta)}
            for name, frame in frames.items():
                tuples = [
                    c for c in frame.columns
                    if frame[c].dtype == object
                    and frame[c].map(lambda v: isinstance(v, tuple)).any()
                ]
                frame.to_parquet(tmp / f"{name}.parquet")
                manifest["tables"][name] = {"file": f"{name}.parquet", "tuple_columns": tuples}
            if self.geometry is not None:
                self.geometry.to_parquet(tmp / "geometry.parquet")
                manifest["tables"]["geometry"] = {"file": "geometry.parquet", "tuple_columns": []}
            (tmp / _MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
            ours = {f"{n}.parquet" for n in (*_DATASET_TABLES, "rejected", "warnings", "files",
                                              "columns", "geometry")} | {_MANIFEST}
            swap_in(tmp, target, ours)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    @classmethod
    def from_parquet(cls, path: str | os.PathLike) -> Dataset:
        """Read a dataset written by :meth:`to_parquet` (dtypes and tuples restored)."""
        folder = Path(path)
        _recover(folder)
        manifest_path = folder / _MANIFEST
        if not manifest_path.is_file():
            raise ValueError(
                f"'path' {str(folder)!r} is not a saved Dataset (no {_MANIFEST}); write one with "
                "Dataset.to_parquet or `pufa build`（不是已保存的数据集目录）"
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        values: dict[str, Any] = {}
        for name, info in manifest["tables"].items():
            file = folder / info["file"]
            if name == "geometry":
                import geopandas as gpd

                values[name] = gpd.read_parquet(file)
                continue
            frame = pd.read_parquet(file)
            for col in info.get("tuple_columns", []):
                frame[col] = frame[col].map(
                    lambda v: tuple(v.tolist() if hasattr(v, "tolist") else v),
                    na_action="ignore",
                ).astype(object)
            values[name] = frame
        return cls(**values, meta=dict(manifest.get("meta", {})))


def classify_by_name(rel: str) -> str | None:
    """The table a file's name says it holds (``_NAME_KEYWORDS``), else None."""
    name = unicodedata.normalize("NFKC", Path(rel).name).lower()
    if name.endswith(_GEO_SUFFIXES):
        return "geometry"
    for table, words in _NAME_KEYWORDS:
        if any(w.lower() in name for w in words):
            return table
    return None


def _classify_by_headers(path: Path, name: str) -> tuple[str | None, str]:
    """The one ledger table whose required headers a file matches, else (None, why)."""
    try:
        sheets = read_raw(path, name)
    except LedgerError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - an unreadable file fits no table
        return None, str(internal_error(name, exc))
    fits = []
    for table in LEDGER_TABLES:
        spec = schema.TABLES[table]
        for s in sheets:
            grid, _ = fill_merges(s, HEADER_SCAN_ROWS + 1)
            h = find_header(grid, table)
            if h is None:
                continue
            cols = {canonical_column(n, table) for n in h.names}
            ok = all(
                c in cols
                or (c == "village_id" and "village_name" in cols)
                or (c == "topic" and "title" in cols)
                or (c == "person_id" and any(is_personal(n) for n in h.names))
                for c in spec.required
            )
            if ok:
                fits.append((h.score, table))
                break
    if not fits:
        return None, "no table's required headers found 未匹配任何表的必需列"
    fits.sort(reverse=True)
    if len(fits) > 1 and fits[0][0] == fits[1][0]:
        return None, f"headers fit several tables 表头可对应多张表: {fits[0][1]}, {fits[1][1]}"
    return fits[0][1], ""


def _list_files(folder: Path) -> list[tuple[str, Path]]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith((".", "~$", "__")) for part in rel.parts) or not p.is_file():
            continue
        low = p.name.lower()
        if low.startswith("readme") or low.endswith((".md", ".txt", ".rst")):
            continue
        out.append((rel.as_posix(), p))
    stems_shp = {rel.rsplit(".", 1)[0] for rel, _ in out if rel.lower().endswith(".shp")}
    return [
        (rel, p)
        for rel, p in out
        if not (p.suffix.lower() in _SHP_COMPANIONS and rel.rsplit(".", 1)[0] in stems_shp)
    ]


def _file_row(stats: dict | None, *, table, source, status="ok", message="") -> dict:
    row = {
        "table": table,
        "source_file": source,
        "sheet": None,
        "title": None,
        "preamble_rows": 0,
        "data_rows": 0,
        "loaded": 0,
        "rejected": 0,
        "non_data": 0,
    }
    if stats:
        row.update({k: stats.get(k, row.get(k)) for k in row})
    row["status"] = status
    row["message"] = message
    return row


def _qualify_colliding_ids(frames: list[pd.DataFrame], topics: list[pd.DataFrame | None],
                           key: str, warn_parts: list[pd.DataFrame], table: str):
    """Ids repeated across files: prefix the later file's ids with its name (and warn)."""
    seen: set[str] = set()
    for i, frame in enumerate(frames):
        ids = frame[key].dropna()
        clash = isin(ids, seen)
        if clash.any():
            source = frame["source_file"].iloc[0]
            stem = source.rsplit(".", 1)[0]
            old = frame[key]
            frames[i] = frame.assign(**{key: (stem + ":" + old.astype(str)).where(old.notna())})
            if topics[i] is not None:
                mapping = dict(zip(old, frames[i][key], strict=True))
                topics[i] = topics[i].assign(event_id=topics[i]["event_id"].map(mapping))
            prob = problem_rows([pd.NA], key, [pd.NA],
                             f"{key} repeats another file's; prefixed with the file name "
                             f"编号与其他文件重复，已加文件名前缀 ({int(clash.sum())} ids)")
            prob["table"] = table
            prob["source_file"] = source
            warn_parts.append(prob)
            ids = frames[i][key].dropna()
        seen.update(ids.tolist())
    return frames, topics


def _cross_ledger_duplicates(events: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Events repeated in another ledger (same date, village, first topic and title or attendees).

    Returns a mask of rows to drop and their problems; the first ledger (by name) keeps the event.
    """
    drop = pd.Series(False, index=events.index)
    parts = []
    base = events.assign(_v=events["village_id"].fillna("\x00"))
    for extra in ("title", "attendees"):  # two rules
        sub = base[base[extra].notna() & base["date"].notna() & base["topic"].notna() & ~drop]
        if sub.empty:
            continue
        keys = ["date", "_v", "topic", extra]
        first_file = sub.groupby(keys, sort=False)["source_file"].transform("first")
        first_row = sub.groupby(keys, sort=False)["source_row"].transform("first")
        dup = sub.duplicated(keys, keep="first") & (sub["source_file"] != first_file)
        if dup.any():
            hit = sub[dup]
            reason = (
                "duplicate of " + first_file[dup] + " row " + first_row[dup].astype(str)
                + " 与" + first_file[dup] + "第" + first_row[dup].astype(str) + "行重复"
            )
            prob = problem_rows(hit["source_row"], extra, hit[extra].astype(str).to_numpy(), reason)
            prob["table"] = "events"
            prob["source_file"] = hit["source_file"].to_numpy()
            parts.append(prob)
            drop[hit.index] = True
    probs = pd.concat(parts, ignore_index=True) if parts else empty_problems()
    return drop, probs


def _read_geometry(path: Path, source: str, reg: Register | None):
    try:
        import geopandas as gpd
    except ImportError as exc:  # pragma: no cover - the geo extra is installed in the project
        raise LedgerError(source, "读取村界需要安装 geopandas（pip install pufa_metrics[geo]）",
                          "reading boundaries needs geopandas: pip install 'pufa_metrics[geo]'"
                          ) from exc
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise LedgerError(source, "无法读取村界文件（GeoJSON/GeoPackage/Shapefile）",
                          f"cannot read the boundary file ({type(exc).__name__}: {exc})") from exc
    warn_parts = []
    if gdf.crs is None:
        warn_parts.append(problem_rows([pd.NA], "geometry", [pd.NA],
                                    "no coordinate system given, EPSG:4326 assumed 未注明坐标系"))
        gdf = gdf.set_crs(4326)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    idx = pd.RangeIndex(1, len(gdf) + 1)
    props = {schema.normalize_header(c): c for c in gdf.columns if c != gdf.geometry.name}
    id_col = next((props[k] for k in ("village_id", "id", "code", "村编码", "村居编码")
                   if k in props), None)
    name_col = next((props[k] for k in ("village_name", "name", "名称", "村名", "村(社区)")
                     if k in props), None)
    if id_col is None and name_col is None:
        raise LedgerError(source, "村界要素缺少 village_id 或 village_name 属性",
                          "features have no village_id or village_name property")
    ids = gdf[id_col].astype("str").set_axis(idx) if id_col else None
    names = gdf[name_col].astype("str").set_axis(idx) if name_col else None
    match = match_villages(names, ids, reg, idx)
    status = match["status"]
    empty = pd.Series(gdf.geometry.is_empty.to_numpy() | gdf.geometry.isna().to_numpy(), index=idx)
    probs = []
    bad = status.isin(["unknown", "unknown_id", "ambiguous", "several", "town", "blank"])
    if bad.any():
        shown = (ids if ids is not None else names)[bad]
        probs.append(problem_rows(idx[bad], id_col or name_col, shown.to_numpy(),
                               "unknown village 未知村（社区）: " + shown.astype(str)
                               + "; expected one of the register"))
    if (empty & ~bad).any():
        probs.append(problem_rows(idx[empty & ~bad], "geometry", None, "empty geometry 无边界"))
    ok = ~bad & ~empty
    vid = match["village_id"]
    dup = vid.duplicated(keep="first") & ok
    if dup.any():
        probs.append(problem_rows(idx[dup], "village_id", vid[dup].to_numpy(),
                               "duplicate village_id 编号重复"))
    ok &= ~dup
    out = gpd.GeoDataFrame(
        {"village_id": vid[ok].astype("str").to_numpy()},
        geometry=gdf.geometry.to_numpy()[ok.to_numpy()],
        crs=gdf.crs,
    )
    n_rej = int((~ok).sum())
    stats = {"table": "geometry", "source_file": source, "sheet": None, "preamble_rows": 0,
             "data_rows": len(gdf), "loaded": int(ok.sum()), "rejected": n_rej, "non_data": 0}
    rejected = finish_problems(probs, table="geometry", source_file=source)
    warnings = finish_problems(warn_parts, table="geometry", source_file=source)
    return out, rejected, warnings, stats


@dataclass(frozen=True)
class Unreadable:
    """What a folder's ledgers hold that its :class:`Dataset` lacks, read from ``Dataset.files``.

    Two cases: a file that could not be read at all (``status`` ``error``), and a table whose
    files hold data rows of which none was loaded (every one rejected, e.g. an events ledger whose
    villages are all unknown). :func:`load_dataset` raises :meth:`error` unless ``strict=False``;
    ``pufa build``, ``pufa report`` and ``pufa partition`` stop with it unless
    ``--allow-unreadable``. Found by :func:`unreadable`.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per file: ``table``, ``source_file`` and ``message`` (why, in Chinese and
        English), with a leading ``folder`` when the reconciliation has one (that of
        :func:`pufa_metrics.ingest.from_towns`).
    """

    rows: pd.DataFrame

    def __bool__(self) -> bool:
        return len(self.rows) > 0

    def _paths(self) -> list[str]:
        src = self.rows["source_file"].astype("str")
        if "folder" in self.rows.columns:
            src = self.rows["folder"].astype("str") + "/" + src
        return src.tolist()

    @property
    def names(self) -> list[str]:
        """The files concerned (``folder/file`` when there is a folder), each once."""
        return list(dict.fromkeys(self._paths()))

    def listing(self) -> list[str]:
        """One line per file: ``- file: why`` (the reason in Chinese and English)."""
        return [f"- {name}: {message}"
                for name, message in zip(self._paths(), self.rows["message"], strict=True)]

    def error(self, fix: str = "strict=False") -> LedgerError:
        """The error naming every file, why, and the fix; ``fix`` is the option to go on anyway."""
        names = self.names
        n = len(names)
        them = "them" if n > 1 else "it"
        zh = (
            f"{n} 个台账文件无法读取或没有读入任何一行，数据集中将缺少它们的数据，覆盖率、盲点等"
            "结果都会因此出错：\n" + "\n".join(self.listing()) + "\n"
            "请按上面的说明修改或移除这些文件后重新运行（`pufa validate` 列出每个文件的核对结果）；"
            f"确需在缺少这些数据的情况下继续时，使用 {fix}。"
        )
        en = (
            f"{n} ledger file{'s' if n > 1 else ''} could not be read or had no row loaded "
            f"({', '.join(names)}), so {'their' if n > 1 else 'its'} rows would be missing from "
            "the dataset and every figure that needs them (coverage, blind spots) would be wrong. "
            f"Fix or remove {them} as described above and run again (`pufa validate` lists each "
            f"file's reconciliation), or pass {fix} to go on without {them}."
        )
        return LedgerError(names[0] if n == 1 else f"{n} files", zh, en)

    def paragraph(self, fix: str) -> str:
        """:meth:`error` as the command line shows it: the Chinese, then the English."""
        err = self.error(fix)
        return f"{err.zh}\n{err.en}"


def unreadable(files: pd.DataFrame) -> Unreadable:
    """The files whose rows a Dataset lacks, from its ``files`` (see :class:`Unreadable`).

    Parameters
    ----------
    files : pandas.DataFrame
        ``Dataset.files`` (or a reconciliation with a leading ``folder`` column).

    Returns
    -------
    Unreadable
        False when every file was read and every table with data rows loaded some.

    Examples
    --------
    >>> files = pd.DataFrame({"table": ["events", "sites", "villages"],
    ...     "source_file": ["a.csv", "s.csv", "v.csv"], "data_rows": [0, 3, 2],
    ...     "loaded": [0, 0, 2], "rejected": [0, 3, 0], "status": ["error", "ok", "ok"],
    ...     "message": ["a.csv: 缺少日期列 / no date column", "", ""]})
    >>> missing = unreadable(files)
    >>> missing.names
    ['a.csv', 's.csv']
    >>> missing.listing()[0]
    '- a.csv: 缺少日期列 / no date column'
    >>> missing.listing()[1].split(" / ")
    ['- s.csv: 普法阵地（sites）没有读入任何一行：本文件 3 行未导入，原因见 `pufa validate`',
     'no row of table sites was loaded: 3 rows of this file rejected; `pufa validate` lists why']
    >>> bool(unreadable(files.iloc[2:]))
    False
    """
    folder = ["folder"] if "folder" in files.columns else []
    columns = [*folder, "table", "source_file", "message"]
    if files.empty:
        return Unreadable(pd.DataFrame({c: pd.Series(dtype="str") for c in columns}))
    status = files["status"].astype("str")
    failed = files.loc[status == "error", columns].astype({"message": "str"})
    heads = failed["source_file"].astype("str") + ": "  # the message starts with the file
    failed["message"] = [m[len(h):] if m.startswith(h) else m
                         for m, h in zip(failed["message"], heads, strict=True)]
    parts = [failed]
    ok = files[(status == "ok") & (files["table"].astype("str") != "unknown")]
    for _, part in ok.groupby([*folder, "table"], sort=False):
        n_rejected = int(part["rejected"].sum())
        if int(part["loaded"].sum()) or not n_rejected:
            continue
        table = str(part["table"].iloc[0])
        spec = schema.TABLES.get(table)
        label = spec.label_zh if spec is not None and spec.label_zh else table
        hit = part[part["rejected"] > 0]
        several = len(hit) > 1
        messages = [
            f"{label}（{table}）没有读入任何一行：本文件 {int(r)} 行未导入"
            + (f"（{len(hit)} 个文件共 {n_rejected} 行）" if several else "")
            + f"，原因见 `pufa validate` / no row of table {table} was loaded: {int(r)} rows of "
            "this file rejected" + (f" ({n_rejected} in its {len(hit)} files)" if several else "")
            + "; `pufa validate` lists why"
            for r in hit["rejected"]
        ]
        parts.append(hit[columns[:-1]].assign(message=messages))
    return Unreadable(pd.concat(parts, ignore_index=True).astype({"message": "str"}))


@dataclass
class _LoadLog:
    """What :func:`load_dataset` records besides the tables: files, problems and warnings."""

    files: list[dict] = field(default_factory=list)
    rejected: list[pd.DataFrame] = field(default_factory=list)
    warnings: list[pd.DataFrame] = field(default_factory=list)
    columns: list[pd.DataFrame] = field(default_factory=list)

    def file(self, stats: dict | None, *, table: str, source: str, status: str = "ok",
             message: str = "") -> None:
        """One row of ``Dataset.files`` (see :func:`_file_row`)."""
        self.files.append(_file_row(stats, table=table, source=source, status=status,
                                    message=message))

    def record_error(self, table: str, rel: str, exc: Exception) -> None:
        """A file that could not be read: an ``error`` row in ``files`` and one in ``rejected``."""
        message = privacy.mask_text(str(exc))
        self.file(None, table=table, source=rel, status="error", message=message)
        self.rejected.append(error_problem(table, rel, message))

    def add(self, rejected: pd.DataFrame, warnings: pd.DataFrame | None = None) -> None:
        """The problems (and warnings) of a file read, or of a check across files."""
        self.rejected.append(rejected)
        if warnings is not None:
            self.warnings.append(warnings)

    def note(self, table: str | None, rel: str, message: str) -> None:
        """A warning about a whole file, or the folder (no row number)."""
        self.warnings.append(error_problem(table, rel, message))

    def finish(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``rejected``, ``warnings`` and ``files``, with nothing personal quoted in them."""
        # a last pass over every list a user sees: nothing personal in a problem or a message
        rejected, notes = scrub_problems(concat_problems(self.rejected), "rejected rows 未导入行")
        warnings, more = scrub_problems(concat_problems(self.warnings), "warnings 提示")
        if notes or more:
            extra = finish_problems(notes + more, table="unknown", source_file="")
            warnings = pd.concat([warnings, extra], ignore_index=True)
        files = _files_frame(self.files)
        files["message"] = files["message"].map(privacy.mask_text, na_action="ignore").astype("str")
        return rejected, warnings, files


def load_dataset(
    path: str | os.PathLike = RAW_DIR,
    *,
    settings: Settings | None = None,
    progress: bool | None = None,
    strict: bool = True,
) -> Dataset:
    r"""Read every recognised ledger in a folder into a :class:`Dataset`.

    Files are assigned to tables by the ``[files]`` globs of ``pufa.toml``, else by keywords in
    their names (``events``/台账/活动 → events; ``villages``/村居/基本信息/村（社区） → villages;
    ``sites``/阵地; 问卷/``survey``/``responses``; ``codebook``/编码表/题目; ``cadres``/学法/干部;
    法律明白人; 法律顾问/``adviser``; ``*.geojson``/``*.gpkg``/``*.shp``/村界 → geometry), else by
    which table's required headers they match. The village register is read first and every
    other table is matched against it. Several ledgers of one table are concatenated (files in
    name order); an event repeated in a later ledger (same date, village and first topic, and the
    same title or attendance) is rejected as a duplicate of the first. A file that cannot be read
    is recorded (``files`` status ``error`` and a row in ``rejected`` without a row number) and
    the other files are still read; then, unless ``strict=False``, a :class:`LedgerError` lists
    every such file (see :func:`unreadable`). README, .md and .txt files and hidden files are
    ignored.

    Parameters
    ----------
    path : str or Path
        The folder, searched recursively; default ``data/raw``. ``source_file`` is the path
        relative to it.
    settings : Settings, optional
        Default ``Settings.load()`` (the project's ``pufa.toml``).
    progress : bool, optional
        Show a progress bar (on stderr) while a large file (more than 50,000 rows) is read.
        Default: only when stderr is a terminal, or when the environment variable
        ``PUFA_PROGRESS=1`` forces it (``PUFA_PROGRESS=0`` turns it off).
    strict : bool, default True
        Raise when a ledger file could not be read at all, or a table's files hold data rows
        of which none was loaded (their rows would be missing from every figure). With
        ``strict=False`` the Dataset is returned anyway; such files are the ``error`` rows of
        ``files`` (and ``unreadable(ds.files)`` lists them).

    Returns
    -------
    Dataset

    Raises
    ------
    LedgerError
        With ``strict``, naming every file that could not be read (or loaded no row), why, and
        the fix; ``file`` is the file's name, or "N files".

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "villages.csv").write_text(
    ...     "村编码,村（社区）,常住人口\nV01,大岭村,1200\nV02,公园社区,3400\n", encoding="utf-8")
    >>> _ = (folder / "events_2021.csv").write_text(
    ...     "日期,地点,宣传内容\n2021-09-09,公园,宪法\n2021-09-10,全镇,禁毒\n", encoding="utf-8")
    >>> ds = load_dataset(folder)
    >>> ds.events[["village_id", "village_name", "topic"]].fillna("").values.tolist()
    [['V02', '公园社区', '宪法'], ['', '全镇', '禁毒']]
    >>> ds.reconciliation()[["source_file", "data_rows", "loaded"]].values.tolist()
    [['events_2021.csv', 2, 2], ['villages.csv', 2, 2]]
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"'path' should be a folder path, got {type(path).__name__}")
    folder = Path(path)
    if not folder.is_dir():
        state = "is a file" if folder.exists() else "does not exist"
        raise ValueError(
            f"'path' should be a folder of ledgers, got {str(folder)!r}, which {state}"
            "（应为存放台账的文件夹）"
        )
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings object, got {type(settings).__name__}")
    settings = settings if settings is not None else Settings.load()

    log = _LoadLog()
    by_table = _assign_files(folder, settings, log)
    values, register = _load_ledgers(by_table, settings, log, progress)

    # -- surveys (pufa_metrics.io.survey) ------------------------------------------------------
    if by_table.get("responses") or by_table.get("codebook"):
        values.update(_load_surveys(by_table.get("responses", []), by_table.get("codebook", []),
                                    register, settings, log))

    # -- village boundaries --------------------------------------------------------------------
    geoms = []
    reg = build_register(register) if register is not None else None
    for rel, p in by_table.get("geometry", []):
        try:
            gdf, rej, wrn, st = _read_geometry(p, rel, reg)
        except LedgerError as exc:
            log.record_error("geometry", rel, exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one broken file never stops the others
            log.record_error("geometry", rel, internal_error(rel, exc))
            continue
        geoms.append(gdf)
        log.add(rej, wrn)
        log.file(st, table="geometry", source=rel)
    if geoms:
        import geopandas as gpd

        merged = gpd.GeoDataFrame(pd.concat(geoms, ignore_index=True), crs=4326)
        values["geometry"] = merged[~merged["village_id"].duplicated()].reset_index(drop=True)

    rejected, warnings, files = log.finish()
    missing = unreadable(files) if strict else None
    if missing:
        raise missing.error("strict=False")
    return Dataset(
        villages=values.get("villages", schema.empty_frame("villages")),
        events=values.get("events", schema.empty_frame("events")),
        event_topics=values["event_topics"],
        sites=values.get("sites", schema.empty_frame("sites")),
        responses=values.get("responses", schema.empty_frame("responses")),
        codebook=values.get("codebook", schema.empty_frame("codebook")),
        cadres=values.get("cadres", schema.empty_frame("cadres")),
        legal_literates=values.get("legal_literates"),
        adviser_visits=values.get("adviser_visits"),
        geometry=values.get("geometry"),
        rejected=rejected,
        warnings=warnings,
        files=files,
        columns=_columns_frame(log.columns),
        meta={"synthetic": (folder / SYNTHETIC_MARKER).is_file()},
    )


def _load_ledgers(by_table: dict[str, list[tuple[str, Path]]], settings: Settings,
                  log: _LoadLog, progress: bool | None) -> tuple[dict[str, Any], Any]:
    """The ledger tables: the register first, then every other table matched against it.

    Returns the tables by name (``event_topics`` always) and the register (None without one).
    """
    today = pd.Timestamp.today().normalize()
    values: dict[str, Any] = {"event_topics": schema.empty_frame("event_topics")}
    stats_of: dict[str, dict] = {}
    register = None
    for table in LEDGER_TABLES:
        results: list[ReadResult] = []
        for rel, p in by_table.get(table, []):
            try:
                res = read_table(p, table=table, villages=register, settings=settings,
                                 today=today, source_name=rel, progress=progress)
            except LedgerError as exc:
                log.record_error(table, rel, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one broken file never stops the others
                log.record_error(table, rel, internal_error(rel, exc))
                continue
            results.append(res)
            log.add(res.rejected, res.warnings)
            log.columns.append(res.columns)
            stats_of[rel] = dict(res.stats)
        if not results:
            if table == "villages" and by_table:
                log.note("villages", "", (
                    "no village register read 未读取到村（社区）基本信息表; village names are kept "
                    "as written and not matched"
                ))
            continue
        frame, topics = _merge_ledgers(table, results, log, stats_of)
        if (table == "events" and register is not None
                and settings.events.get("all_villages") == "every"):
            frame, topics, spread = spread_all_villages(
                frame, topics if topics is not None else schema.empty_frame("event_topics"),
                register)
            for src, n in spread.items():  # a few files
                log.note("events", str(src), (
                    f"{int(n)} events at 各村/全镇各村 counted once for each of the "
                    f"{len(register)} villages ([events] all_villages = \"every\") "
                    f"{int(n)}场“各村”活动按每村各计一场"))
        values[table] = frame
        if topics is not None:
            values["event_topics"] = topics
        if table == "villages":
            register = frame
    for st in stats_of.values():
        log.file(st, table=st["table"], source=st["source_file"])
    return values, register


def _merge_ledgers(table: str, results: list[ReadResult], log: _LoadLog,
                   stats_of: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One table from its ledgers: ids made unique, duplicates dropped (and counted per file).

    Returns the table and, for events with topics, the ``event_topics`` of the events kept.
    """
    frames = [r.frame for r in results]
    topics = [r.event_topics for r in results]
    key = {"events": "event_id", "sites": "site_id"}.get(table)
    if key:
        frames, topics = _qualify_colliding_ids(frames, topics, key, log.warnings, table)
    frame = pd.concat(frames, ignore_index=True)
    frame, dup = drop_duplicate_keys(frame, table)
    drops = [dup]
    topics_kept = None
    if table == "events":
        again, probs = _cross_ledger_duplicates(frame)
        drops.append(probs)
        frame = frame[~again]
        kept = frame["event_id"]
        pairs = [t for t in topics if t is not None]
        if pairs:
            topics_kept = pd.concat(pairs, ignore_index=True)
            topics_kept = topics_kept[isin(topics_kept["event_id"], kept)].reset_index(drop=True)
    for prob in drops:
        if len(prob):
            log.add(prob)
            for src, n in prob["source_file"].value_counts().items():
                stats_of[src]["rejected"] += int(n)
                stats_of[src]["loaded"] -= int(n)
    return frame.reset_index(drop=True), topics_kept


def _assign_files(folder: Path, settings: Settings,
                  log: _LoadLog) -> dict[str, list[tuple[str, Path]]]:
    """Files of a folder grouped by table ([files] globs, then name keywords, then headers)."""
    known = (*LEDGER_TABLES, "responses", "codebook", "geometry")
    for table in settings.files:
        if table not in known:
            raise ValueError(
                f"settings [files] names an unknown table {table!r}; known tables are "
                f"{list(known)}（[files] 中的表名无效）"
            )
    by_table: dict[str, list[tuple[str, Path]]] = {}
    for rel, p in _list_files(folder):
        table = next((t for t, globs in settings.files.items()
                      if any(fnmatch(rel, g) or fnmatch(p.name, g) for g in globs)), None)
        table = table or classify_by_name(rel)
        why = ""
        if table is None and p.suffix.lower() in _TABLE_SUFFIXES:
            table, why = _classify_by_headers(p, rel)
        elif table is None:
            why = f"unsupported file type 不支持的文件类型 ({p.suffix or 'no extension'})"
        if table is None:
            log.file(None, table="unknown", source=rel, status="unrecognised", message=why)
            log.note(None, rel, f"file fits no table 无法识别的文件: {why}")
            continue
        by_table.setdefault(table, []).append((rel, p))
    return by_table


def _files_frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _empty_files()
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["source_file"], kind="stable").reset_index(drop=True)
    return frame.reindex(columns=list(_FILES_COLUMNS)).astype(_FILES_COLUMNS)


def _columns_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``Dataset.columns``: the column accounting of every file, headers masked."""
    out = pd.concat([empty_column_records(), *parts], ignore_index=True).astype(COLUMN_RECORDS)
    out["header"] = out["header"].map(privacy.mask_text, na_action="ignore").astype("str")
    return out


def _survey_columns(columns: pd.DataFrame, source: str) -> pd.DataFrame:
    """A survey reader's column record in the ledger reader's shape (``COLUMN_RECORDS``)."""
    return pd.DataFrame({
        "table": "responses",
        "source_file": source,
        "sheet": pd.Series(np.nan, index=columns.index, dtype="str"),
        "column": "",
        "header": columns["column"].astype("str"),
        "used_as": columns["used_as"].fillna("").astype("str"),
        "reason": columns["reason"].fillna("").astype("str"),
    }).astype(COLUMN_RECORDS)


def _load_surveys(survey_files, codebook_files, register, settings,
                  log: _LoadLog) -> dict[str, pd.DataFrame]:
    """The survey answers and the codebook (none when no survey file could be read)."""
    for rel, _ in codebook_files[1:]:
        log.note("codebook", rel, "more than one codebook; only the first is used "
                                  "多个编码表，只使用第一个")
    codebook, codebook_failed = None, False
    if codebook_files:  # checked once: a broken codebook is one error, not one per survey file
        rel, p = codebook_files[0]
        try:
            read_codebook(p)
            codebook = p
        except Exception as exc:  # noqa: BLE001 - reported, the surveys are read without it
            log.record_error("codebook", rel,
                             exc if isinstance(exc, ValueError) else internal_error(rel, exc))
            codebook_failed = True
    responses, codebooks = [], []
    for rel, p in survey_files:
        try:
            res = read_survey_result(p, codebook=codebook, villages=register,
                                         settings=settings)
        except Exception as exc:  # noqa: BLE001 - LedgerError, input errors, or a reader bug
            log.record_error("responses", rel,
                             exc if isinstance(exc, ValueError) else internal_error(rel, exc))
            continue
        responses.append(res.responses)
        codebooks.append(res.codebook)
        log.add(res.rejected, res.warnings)
        log.columns.append(_survey_columns(res.columns, rel))
        log.file(dict(res.stats), table="responses", source=rel)
    for k, (rel, _) in enumerate(codebook_files):
        if k == 0 and codebook_failed:
            continue
        used = "used as the codebook 用作问卷编码表" if survey_files and k == 0 else (
            "codebook without survey responses 没有问卷数据，编码表未使用" if not survey_files
            else "a second codebook, not used 多余的编码表，未使用")
        log.file(None, table="codebook", source=rel, status="ok", message=used)
    if not responses:
        return {}
    frames = [r.copy() for r in responses]
    seen: set[str] = set()
    for i, frame in enumerate(frames):  # response ids repeated across files
        ids = frame["response_id"].dropna().astype(str)
        if isin(ids, seen).any():
            source = str(frame["source_file"].iloc[0])
            stem = source.rsplit(".", 1)[0]
            frames[i] = frame.assign(response_id=stem + ":" + frame["response_id"].astype(str))
            log.note("responses", source, "response_id repeats another file's; prefixed with "
                                          "the file name 答卷编号与其他文件重复，已加文件名前缀")
        seen.update(frames[i]["response_id"].dropna().astype(str).tolist())
    book = pd.concat(codebooks, ignore_index=True)
    return {"responses": pd.concat(frames, ignore_index=True),
            "codebook": book.drop_duplicates("item").reset_index(drop=True)}
