"""The national metrics on Dask: one county per partition, any ``dask.distributed`` cluster.

按县分区的全国数据：用 Dask 在集群上计算覆盖、频次和知晓率。

A provincial or national justice department keeps its data as a **county-partitioned Parquet
dataset** (the layout written by :mod:`pufa_metrics.ingest`:
:func:`~pufa_metrics.ingest.write_partitioned`, ``pufa partition``, and
``benchmarks/make_national.py``)::

    root/villages/county=<county>/*.parquet     the register (village_id, village_name, town,
                                                population, …)
    root/events/county=<county>/*.parquet       events (date, village_id, topic, attendees, …)
    root/event_topics/county=<county>/*.parquet every topic of every event (optional)
    root/responses/county=<county>/*.parquet    survey responses (village_id, weight, items…)
    root/sites/county=<county>/*.parquet        publicity sites (阵地; optional)
    root/legal_literates/county=<county>/…      the 法律明白人 roster (optional)
    root/adviser_visits/county=<county>/…       the village legal adviser's log (optional)
    root/codebook.parquet                       the survey codebook (optional)

Every village belongs to exactly one county, so a county's files hold everything its villages'
metrics need: each Dask partition is one county, runs the pandas function of this package on
it (:func:`pufa_metrics.coverage.village_coverage`, :func:`pufa_metrics.frequency.event_counts`,
:func:`pufa_metrics.survey.awareness_rates`) and never needs another county's rows. The dataset
may be far larger than memory: a worker holds one county at a time. Results are identical to the
pandas functions run on the whole dataset, with rows county by county (counties in sorted order).
At national scale (2,800 counties) pass ``counties_per_partition=10…50``: a partition is then
several whole counties, and the per-task overhead drops (a village is still never split).

The period (``start``/``end``) defaults to the first and last event date of the **whole**
dataset, as in the pandas functions; it is read from the Parquet footers' statistics (no data
pass) when they are present.

The ``lazy_*`` functions take the dataset's path and return lazy ``dask.dataframe.DataFrame``
objects (the old names ``village_coverage``, ``event_counts`` and ``awareness_rates`` still work
for a release, with a DeprecationWarning): ``.compute()`` gives the pandas frame;
:func:`build_metrics` writes all three metrics county by county without collecting
them. Computation runs on the active Dask scheduler: a ``distributed.Client`` made by
:func:`connect` (given a scheduler address, e.g. ``"tcp://10.0.0.5:8786"``, or none for a local
cluster) or any other. The ``root`` folder must be readable from the client and every worker
(a shared file system).
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import coverage as _coverage
from . import frequency as _frequency
from . import survey as _survey
from ._common import by_columns, check_frame
from .ingest import PARTITION_KEY as _KEY
from .ingest import PARTITIONED_TABLES, SERVICE_TABLES

__all__ = [
    "PARTITIONED_TABLES",
    "SERVICE_TABLES",
    "build_metrics",
    "connect",
    "check_dataset",
    "counties",
    "county_groups",
    "dataset_period",
    "has_table",
    "has_values",
    "lazy_awareness_rates",
    "lazy_event_counts",
    "lazy_village_coverage",
    "load_metrics",
    "map_counties",
    "read_counties",
    "read_partitioned",
    "table_columns",
]

#: Old names kept for one release (0.x): they warn and give the new object. The metrics take a
#: dataset *path* and return *lazy* Dask frames, hence ``lazy_*``; building a dataset from town
#: folders is ingest (:mod:`pufa_metrics.ingest`), not the Dask engine.
_DEPRECATED: dict[str, tuple[str, str]] = {
    "village_coverage": ("pufa_metrics.distributed", "lazy_village_coverage"),
    "event_counts": ("pufa_metrics.distributed", "lazy_event_counts"),
    "awareness_rates": ("pufa_metrics.distributed", "lazy_awareness_rates"),
    "from_towns": ("pufa_metrics.ingest", "from_towns"),
    "write_partitioned": ("pufa_metrics.ingest", "write_partitioned"),
}


def __getattr__(name: str) -> Any:
    """``distributed.village_coverage`` and the other old names: a DeprecationWarning each time.

    Examples
    --------
    >>> import warnings
    >>> import pufa_metrics.distributed as dist
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f = dist.village_coverage
    >>> f is dist.lazy_village_coverage, caught[0].category.__name__
    (True, 'DeprecationWarning')
    """
    if name not in _DEPRECATED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, new = _DEPRECATED[name]
    warnings.warn(
        f"pufa_metrics.distributed.{name} is deprecated and will be removed in the next release; "
        f"use {module}.{new}（{name} 已更名为 {module}.{new}）",
        DeprecationWarning, stacklevel=2,
    )
    if module == __name__:
        return globals()[new]
    from . import ingest

    return getattr(ingest, new)


#: Columns read as Arrow dictionaries → pandas categoricals (ids and short labels): grouping on
#: their integer codes is 5–10× faster than hashing strings.
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "villages": (),
    "events": ("village_id", "topic", "form", "organizer", "audience"),
    "event_topics": ("topic",),
    "responses": ("village_id",),
    "sites": ("village_id", "level"),
    "legal_literates": ("village_id",),
    "adviser_visits": ("village_id",),
}
METRICS: tuple[str, ...] = ("coverage", "event_counts", "awareness")
#: Partitions the counties are split into by default: enough for a small cluster's workers,
#: few enough that the fixed cost of a task (about 0.3 s for the county report) stays small.
TASKS = 32


# --------------------------------------------------------------------------------------------
# Layout: listing, reading and writing county partitions
# --------------------------------------------------------------------------------------------


def _check_root(root: Any, name: str = "root") -> Path:
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(
            f"`{name}` should be a folder path, got {type(root).__name__} {root!r}"
            f"（{name} 应为文件夹路径）"
        )
    path = Path(root)
    if not (path / "villages").is_dir():
        raise ValueError(
            f"`{name}` {str(path)!r} is not a county-partitioned dataset: it has no "
            "'villages/county=…' folders; write one with ingest.write_partitioned() or "
            f"benchmarks/make_national.py（{path} 不是按县分区的数据集，缺少 villages 目录）"
        )
    return path


def _county_dirs(root: Path, table: str) -> dict[str, Path]:
    """``{county: folder}`` of one table (an absent table gives an empty dict)."""
    folder = root / table
    if not folder.is_dir():
        return {}
    out = {}
    for path in folder.iterdir():  # one folder per county (a few thousand at most)
        if path.is_dir() and path.name.startswith(f"{_KEY}="):
            out[urllib.parse.unquote(path.name.split("=", 1)[1])] = path
    return dict(sorted(out.items()))


def counties(root: str | os.PathLike, *, table: str = "villages") -> list[str]:
    """The counties of a partitioned dataset (its register's partitions), sorted.

    Parameters
    ----------
    root : str or path
        The dataset folder (see the module docstring for the layout).
    table : str, default "villages"
        The counties with files of this table (``[]`` when the dataset lacks it), e.g. the
        surveyed counties with ``"responses"``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> from pufa_metrics.ingest import write_partitioned
    >>> root = write_partitioned({"villages": villages}, tmp.name)
    >>> counties(root)
    ['五华县', '兴宁市']
    >>> tmp.cleanup()
    """
    return list(_county_dirs(_check_root(root), table))


def _damaged(file: Any, exc: BaseException) -> ValueError:
    return ValueError(
        f"{file}: not a readable Parquet file ({exc}); write it again with write_partitioned()"
        f"（无法读取该 Parquet 文件，请重新生成）"
    )


def _read_schema(file: Any) -> pa.Schema:
    """The schema of one Parquet file; a damaged file is named in a ValueError."""
    try:
        return pq.read_schema(file)
    except (pa.ArrowException, OSError) as exc:
        raise _damaged(file, exc) from None


def _files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.parquet"))


def _code_dtype(n_categories: int) -> type:
    """The integer type pandas uses for the codes of ``n_categories`` categories."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """A dictionary column (one dictionary per file) as one pandas categorical.

    The union of the files' dictionaries is sorted (as ``astype("category")`` sorts), and the
    codes are written straight into one array of pandas' code type: one pass over the rows and
    one allocation, where ``unify_dictionaries`` + ``to_pandas`` make several (at 50M rows each
    fresh GiB costs seconds of page faults on a VM).
    """
    chunks = [c for c in column.chunks if len(c) or len(c.dictionary)]
    if not chunks:
        return pd.Categorical(pd.array([], dtype="str"))
    values = pa.concat_arrays([c.dictionary for c in chunks])
    unified = pc.drop_null(pc.unique(values))
    unified = unified.take(pc.array_sort_indices(unified))
    dtype = _code_dtype(len(unified))
    where = pc.fill_null(pc.index_in(values, value_set=unified), -1).to_numpy().astype(dtype)
    codes = np.empty(len(column), dtype=dtype)
    v = r = 0
    for chunk in chunks:  # one chunk per file: two cheap calls each
        size, n = len(chunk.dictionary), len(chunk)
        indices = chunk.indices
        # the raw index buffer: slots under a null hold any value, clipped here and set to -1
        # below (one pass for the whole column instead of a fill_null per file)
        raw = np.frombuffer(indices.buffers()[1], dtype=indices.type.to_pandas_dtype())
        if size:
            np.take(where[v:v + size], raw[indices.offset:indices.offset + n],
                    out=codes[r:r + n], mode="clip")
        else:  # a file whose values are all empty
            codes[r:r + n] = -1
        v += size
        r += n
    if column.null_count:
        codes[column.is_null().to_numpy()] = -1
    categories = pd.Index(unified.to_pandas())
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories), validate=False)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas: one categorical per dictionary column, dates as ``datetime64[us]``.

    Categories are sorted (groups then sort as they would on ``str``).
    """
    categoricals = {}
    for i, field in enumerate(table.schema):  # a few columns
        if pa.types.is_dictionary(field.type):
            categoricals[field.name] = _categorical(table.column(i))
        elif pa.types.is_date(field.type):  # cast in Arrow: cheaper than in to_pandas
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us")))
    names = table.column_names
    rest = table.drop_columns(list(categoricals))
    del table
    # one block per column and Arrow buffers released as converted: no consolidation copy
    frame = rest.to_pandas(split_blocks=True, self_destruct=True)
    for name, values in categoricals.items():  # back in their places
        frame.insert(names.index(name), name, values)
    return frame


def read_partitioned(
    root: str | os.PathLike,
    table: str,
    *,
    columns: Sequence[str] | None = None,
    counties: Sequence[str] | None = None,
    categorical: bool | Sequence[str] = True,
) -> pd.DataFrame:
    """Read one table of a county-partitioned dataset into pandas, in the fast representation.

    Ids and short labels (:data:`CATEGORICAL_COLUMNS`) come back as categoricals, dates as
    datetime64 (Parquet ``date32`` included): the shape the metric functions handle fastest.
    Rows come county by county (counties sorted), each county's files in name order.

    Parameters
    ----------
    root : str or path
        The dataset folder.
    table : str
        The table: one of :data:`PARTITIONED_TABLES` (``villages``, ``events``,
        ``event_topics``, ``responses``, ``sites``, ``legal_literates``, ``adviser_visits``).
    columns : sequence of str, optional
        Columns to read (default all). ``"county"`` adds the partition key as a column.
    counties : sequence of str, optional
        Only these counties (default all). A county with no folder for this table reads as no
        rows.
    categorical : bool or sequence of str, default True
        Columns read as categoricals: True for :data:`CATEGORICAL_COLUMNS`, False for none,
        or a list of names (e.g. the survey item columns, whose answers are a short list).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-05-02"]),
    ...                        "village_id": ["441424100201", "441481100201"],
    ...                        "topic": ["宪法", "禁毒"]})
    >>> from pufa_metrics.ingest import write_partitioned
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> ev = read_partitioned(root, "events", columns=["village_id", "county"])
    >>> ev["village_id"].dtype.name, ev["county"].tolist()
    ('category', ['五华县', '兴宁市'])
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    if table not in PARTITIONED_TABLES:
        raise ValueError(
            f"`table` should be one of {list(PARTITIONED_TABLES)}, got {table!r}（表名不正确）"
        )
    dirs = _county_dirs(path, table)
    if counties is not None:
        if isinstance(counties, str):
            raise TypeError(
                f"`counties` should be a list of county names, got the text {counties!r}"
            )
        dirs = {c: dirs[c] for c in counties if c in dirs}
    want_key = columns is None or _KEY in columns
    wanted = None if columns is None else [c for c in columns if c != _KEY]
    files = [(c, f) for c, d in dirs.items() for f in _files(d)]
    if not files:
        return _empty(path, table, wanted, want_key)
    schema = _read_schema(files[0][1])
    missing = [c for c in (wanted or []) if c not in schema.names]
    if missing:
        raise ValueError(
            f"`columns` {missing} are not in table {table!r}; it has {schema.names}"
            f"（{table} 表中没有列：{'、'.join(missing)}）"
        )
    dictionary = _dictionary_columns(table, categorical, schema.names)
    key = None if not want_key else ("dictionary" if categorical is not False else "str")
    return _to_pandas(_read_files(files, wanted, dictionary, key))


def _read_files(files: list[tuple[str, str]], columns: list[str] | None,
                dictionary: list[str], key: str | None) -> pa.Table:
    """The files ``[(county, path)]`` as one Arrow table, plus the county column when ``key``.

    A plain loop of ``ParquetFile.read`` (on threads) costs about 0.5 ms per file, a third
    less than a ``pyarrow.dataset`` scan: with one file per county, a national table is 2,800
    files and this overhead is most of the reading time.
    """
    if columns is not None:
        columns = [c for c in columns if c in _read_schema(files[0][1]).names]

    def one(item: tuple[str, str]) -> pa.Table:
        try:
            reader = pq.ParquetFile(item[1], read_dictionary=dictionary, pre_buffer=True)
            return reader.read(columns=columns, use_threads=False)
        except (pa.ArrowException, OSError) as exc:  # a damaged or truncated file
            raise _damaged(item[1], exc) from None

    # decoding releases the GIL; a few more threads than cores also hide the file opening
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        tables = list(pool.map(one, files))  # one file per county
    data = pa.concat_tables(tables, promote_options="default")
    if key is not None:  # the partition key, one value per file, repeated over its rows
        sizes = [t.num_rows for t in tables]
        names, which = np.unique(np.array([c for c, _ in files], dtype=object),
                                 return_inverse=True)
        codes = pa.array(np.repeat(which.astype(np.int32), sizes))
        labels = pa.array(names.tolist(), pa.string())
        column = (pa.DictionaryArray.from_arrays(codes, labels) if key == "dictionary"
                  else labels.take(codes))
        data = data.append_column(_KEY, column)
    return data


def _dictionary_columns(table: str, categorical: Any, names: Sequence[str]) -> list[str]:
    if categorical is True:
        wanted = list(CATEGORICAL_COLUMNS[table])
    elif categorical is False:
        wanted = []
    elif isinstance(categorical, str) or not isinstance(categorical, Sequence):
        raise TypeError(
            f"`categorical` should be True, False or a list of column names, got {categorical!r}"
        )
    else:
        wanted = list(categorical)
    return [c for c in wanted if c in names]


def _empty(root: Path, table: str, columns: list[str] | None, want_key: bool) -> pd.DataFrame:
    """No rows, with the columns (and dtypes) of any file of the table, else of the schema."""
    any_file = next((root / table).rglob("*.parquet"), None) if (root / table).is_dir() else None
    if any_file is not None:
        names = _read_schema(any_file).names
        keep = None if columns is None else [c for c in columns if c in names]
        frame = _to_pandas(pq.read_table(any_file, columns=keep).slice(0, 0))
    else:
        from .schema import empty_frame

        frame = empty_frame(table)
        frame = frame if columns is None else frame.reindex(columns=columns)
    if want_key:
        frame[_KEY] = pd.Series(dtype="str")
    return frame


# --------------------------------------------------------------------------------------------
# Dask plumbing
# --------------------------------------------------------------------------------------------


def _dd():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "pufa_metrics.distributed needs dask: pip install 'pufa_metrics[scale]'"
            "（需要安装 dask：pip install 'pufa_metrics[scale]'）"
        ) from exc
    return dask, dd


def connect(address: str | None = None, **local: Any):
    """A ``distributed.Client``: to the scheduler at ``address``, or to a new local cluster.

    The client becomes Dask's default scheduler, so ``.compute()`` on the frames returned by
    this module runs there.

    Parameters
    ----------
    address : str, optional
        A scheduler address such as ``"tcp://10.0.0.5:8786"``. None starts a
        ``LocalCluster`` on this machine.
    **local
        Options for ``LocalCluster`` (e.g. ``n_workers=2, memory_limit="8GB"``); only without
        ``address``. The dashboard takes any free port unless ``dashboard_address`` is given.

    Returns
    -------
    distributed.Client
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "connect() needs dask.distributed: pip install 'dask[distributed]'"
            "（需要安装 dask.distributed）"
        ) from exc
    if address is not None:
        if not isinstance(address, str):
            raise TypeError(f"`address` should be text such as 'tcp://host:8786', got {address!r}")
        if local:
            raise ValueError(f"LocalCluster options {sorted(local)} make no sense with an address")
        return Client(address)
    local.setdefault("dashboard_address", ":0")  # any free port (see client.dashboard_link)
    return Client(**local)  # the client owns its LocalCluster: closing it closes the cluster


def _from_map(func, items: list, meta: pd.DataFrame, label: str):
    dask, dd = _dd()
    # pandas 3 strings are already Arrow-backed `str`; dask's conversion would turn them into
    # `string[pyarrow]` (NA instead of NaN) and the results would differ from pandas'
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(func, items, meta=meta, enforce_metadata=False, label=label)


def _unknown_categories(meta: pd.DataFrame) -> pd.DataFrame:
    """Empty frame for ``meta``: categorical columns differ per county (dask unions them)."""
    meta = meta.iloc[:0].copy()
    for column in meta.columns:
        if isinstance(meta[column].dtype, pd.CategoricalDtype):
            meta[column] = meta[column].cat.set_categories([])
    return meta


def _date_range(root: Path) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last event date of the whole dataset, from the Parquet footers' statistics.

    Files without statistics for ``date`` have their date column read. None when there is no
    dated event.
    """
    lows, highs = [], []
    for _, folder in _county_dirs(root, "events").items():  # one footer per county file
        for file in _files(folder):
            try:
                meta = pq.ParquetFile(file).metadata
            except (pa.ArrowException, OSError) as exc:
                raise _damaged(file, exc) from None
            names = [meta.schema.column(j).name for j in range(meta.num_columns)]
            if "date" not in names:
                continue
            j = names.index("date")
            stats = [meta.row_group(i).column(j).statistics for i in range(meta.num_row_groups)]
            if all(s is not None and s.has_min_max for s in stats):
                lows += [s.min for s in stats]
                highs += [s.max for s in stats]
            else:  # no statistics (or an all-empty row group): read this file's dates
                dates = pq.read_table(file, columns=["date"])["date"]
                if dates.null_count < len(dates):
                    lows.append(pc.min(dates).as_py())
                    highs.append(pc.max(dates).as_py())
    if not lows:
        return None
    return pd.Timestamp(min(lows)), pd.Timestamp(max(highs))


def _has_table(root: str | os.PathLike, table: str) -> bool:
    """Whether the dataset holds ``table`` (its folder exists, rows or not)."""
    return (Path(root) / table).is_dir()


def _any_value(root: str | os.PathLike, table: str, column: str) -> bool:
    """Whether any row of ``table`` in the whole dataset has a value in ``column``.

    Read from the Parquet footers' null counts (no data pass) where present, else from the
    column itself, file by file until a value is found.
    """
    for _, folder in _county_dirs(Path(root), table).items():  # one footer per county file
        for file in _files(folder):
            try:
                meta = pq.ParquetFile(file).metadata
            except (pa.ArrowException, OSError) as exc:
                raise _damaged(file, exc) from None
            names = [meta.schema.column(j).name for j in range(meta.num_columns)]
            if column not in names:
                continue
            j = names.index(column)
            groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
            stats = [g.column(j).statistics for g in groups]  # a row group or two per file
            if all(st is not None and st.has_null_count for st in stats):
                if any(st.null_count < g.num_rows for st, g in zip(stats, groups, strict=True)):
                    return True
            elif pq.read_table(file, columns=[column])[column].null_count < meta.num_rows:
                return True
    return False


def _period(root: Path, start: Any, end: Any) -> tuple[Any, Any]:
    """``start``/``end`` given, or defaulted to the whole dataset's first/last event date."""
    if start is not None and end is not None:
        return start, end
    found = _date_range(root)
    if found is None:
        raise ValueError(
            "`start` and `end` cannot default to the event dates because the dataset has no "
            "dated event; give both（数据集中没有带日期的活动，请指定 start 和 end）"
        )
    return (found[0] if start is None else start), (found[1] if end is None else end)


_EVENT_COLUMNS = ("date", "village_id", "topic", "attendees")


def _read_county(root: str, table: str, group: Sequence[str], columns: Sequence[str] | None,
                 categorical: bool | Sequence[str] = True,
                 with_key: bool = False) -> pd.DataFrame:
    """The rows of a few counties (one partition) of one table."""
    path = Path(root)
    files = []
    for county in group:  # the counties of one partition
        folder = path / table / f"{_KEY}={urllib.parse.quote(county, safe='')}"
        if not folder.is_dir():  # a folder written unencoded (county=五华县) by another tool
            folder = path / table / f"{_KEY}={county}"
        files += [(county, f) for f in (_files(folder) if folder.is_dir() else [])]
    if not files:
        return _empty(path, table, None if columns is None else list(columns), with_key)
    dictionary = _dictionary_columns(table, categorical, _read_schema(files[0][1]).names)
    cols = None if columns is None else list(columns)
    return _to_pandas(_read_files(files, cols, dictionary, "str" if with_key else None))


def _groups(names: list[str], per: int | None) -> list[tuple[str, ...]]:
    """Consecutive counties, ``per`` to a partition (a village is never split).

    ``per=None`` splits the counties into about :data:`TASKS` partitions.
    """
    if per is None:
        per = max(1, -(-len(names) // TASKS))
    if isinstance(per, bool) or not isinstance(per, int) or per < 1:
        raise ValueError(
            f"`counties_per_partition` should be a whole number ≥ 1, got {per!r}"
            "（每个分区的县数应为正整数）"
        )
    return [tuple(names[i:i + per]) for i in range(0, len(names), per)]


def _register_columns(root: Path, population: str) -> list[str]:
    first = next((root / "villages").rglob("*.parquet"))
    names = _read_schema(first).names
    return [c for c in ("village_id", "village_name", "town", population) if c in names]


def _event_topics(root: str, group: Sequence[str]) -> pd.DataFrame | None:
    """The ``event_topics`` rows of a partition, or None when the dataset has no such table."""
    if not (Path(root) / "event_topics").is_dir():
        return None
    return _read_county(root, "event_topics", group, ["event_id", "topic"], False)


class _CoveragePart:
    """One county's :func:`~pufa_metrics.coverage.village_coverage` (picklable task)."""

    def __init__(self, root: str, village_cols: list[str], options: dict[str, Any]):
        self.root, self.village_cols, self.options = root, village_cols, options

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        villages = _read_county(self.root, "villages", group, self.village_cols, False)
        topics = _event_topics(self.root, group)
        columns = _EVENT_COLUMNS if topics is None else ("event_id", *_EVENT_COLUMNS)
        events = _read_county(self.root, "events", group, columns)
        try:
            out = _coverage.village_coverage(events, villages, event_topics=topics,
                                             **self.options)
        except ValueError as exc:
            raise ValueError(f"counties {list(group)}（县 {'、'.join(group)}）: {exc}") from exc
        out.attrs = {}
        return out


class _CountsPart:
    """One county's :func:`~pufa_metrics.frequency.event_counts` on its village grid."""

    def __init__(self, root: str, options: dict[str, Any]):
        self.root, self.options = root, options

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        villages = _read_county(self.root, "villages", group, ["village_id"], False)
        events = _read_county(self.root, "events", group, ["date", "village_id"])
        try:
            return _frequency.event_counts(events, villages=villages, **self.options)
        except ValueError as exc:
            raise ValueError(f"counties {list(group)}（县 {'、'.join(group)}）: {exc}") from exc


class _AwarenessPart:
    """One county's :func:`~pufa_metrics.survey.awareness_rates`; ``by`` columns as read."""

    def __init__(self, root: str, codebook: pd.DataFrame, columns: list[str] | None,
                 by: list[str], options: dict[str, Any]):
        self.root, self.codebook, self.columns = root, codebook, columns
        self.by, self.options = by, options

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        # ids as `str`: a county is small, and the result then equals the pandas function's on
        # canonical frames (same dtype, groups sorted by id)
        responses = _read_county(self.root, "responses", group, self.columns, False,
                                 with_key=_KEY in self.by)
        try:
            out = _survey.awareness_rates(responses, self.codebook, by=self.by, **self.options)
        except ValueError as exc:
            raise ValueError(f"counties {list(group)}（县 {'、'.join(group)}）: {exc}") from exc
        return out


# --------------------------------------------------------------------------------------------
# The three metrics
# --------------------------------------------------------------------------------------------


def lazy_village_coverage(
    root: str | os.PathLike,
    *,
    start: _coverage.DateLike | None = None,
    end: _coverage.DateLike | None = None,
    as_of: _coverage.DateLike | None = None,
    required_topics: Sequence[str] | None = None,
    population: str = "population",
    counties_per_partition: int | None = None,
):
    """Per-village coverage of a county-partitioned dataset, one Dask partition per county.

    The same result as :func:`pufa_metrics.coverage.village_coverage` on the whole register and
    all events (every village of the register, zero-event villages included), computed county by
    county. ``n_topics`` and ``missing_topics`` use every topic of an event when the dataset
    has an ``event_topics`` table, else each event's ``topic`` column.

    Parameters
    ----------
    root : str or path
        The dataset folder (``villages/`` and ``events/`` partitioned by county).
    start, end : date-like, optional
        The period, both days included; default the first and last event date of the whole
        dataset (from the Parquet statistics).
    as_of : date-like, optional
        "Today" for ``days_since_last``; default ``end``.
    required_topics : sequence of str, optional
        Topics every village should hear about (e.g. ``Settings().required_topics``).
    population : {"population", "registered_population"}
        The denominator.
    counties_per_partition : int, optional
        Whole counties per Dask partition. Default: the counties split into about
        :data:`TASKS` (32) partitions, at least one county each. One county is a few hundred
        villages; every task has a fixed cost (scheduling, reading, many small pandas steps),
        so one county per task is slow at national scale (2,800 counties).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; index ``village_id``, the columns of the pandas function. ``.compute()`` gives
        the pandas frame, counties in sorted order.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441424100202", "441481100201"],
    ...                          "village_name": ["大岭村", "河尾村", "新圩村"],
    ...                          "population": [1000, 500, 800],
    ...                          "county": ["五华县", "五华县", "兴宁市"]})
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-12-31"]),
    ...     "village_id": ["441424100201", "441424100201", "441481100201"],
    ...     "topic": ["宪法", "禁毒", "宪法"]})
    >>> from pufa_metrics.ingest import write_partitioned
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> cov = lazy_village_coverage(root, required_topics=["宪法", "禁毒"]).compute(
    ...     scheduler="sync")
    >>> cov[["n_events", "longest_gap_days"]]
                  n_events  longest_gap_days
    village_id
    441424100201         2               305
    441424100202         0               365
    441481100201         1               365
    >>> cov["missing_topics"].tolist()
    [(), ('宪法', '禁毒'), ('禁毒',)]
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    start, end = _period(path, start, end)
    options = {"start": start, "end": end, "as_of": as_of, "required_topics": required_topics,
               "population": population}
    part = _CoveragePart(str(path), _register_columns(path, population), options)
    groups = _groups(counties(path), counties_per_partition)
    meta = _unknown_categories(part(groups[0][:1]))
    return _from_map(part, groups, meta, "village_coverage")


def lazy_event_counts(
    root: str | os.PathLike,
    *,
    freq: str = "MS",
    start: _coverage.DateLike | None = None,
    end: _coverage.DateLike | None = None,
    wide: bool = False,
    counties_per_partition: int | None = None,
):
    """Events per village and period on the full village × period grid, county by county.

    The same result as ``pufa_metrics.frequency.event_counts(events, villages=villages,
    freq=freq, start=start, end=end, wide=wide)`` on the whole dataset: every (village, period)
    pair, zeros included; town-wide events are not attributed to villages.

    Parameters
    ----------
    root : str or path
        The dataset folder.
    freq : {"MS", "QS", "YS"}
        Month, quarter or year.
    start, end : date-like, optional
        The period; default the first and last event date of the whole dataset.
    wide : bool, default False
        False: long ``[village_id, period, n_events]`` (``village_id`` categorical); True: the
        village × period matrix.
    counties_per_partition : int, optional
        Whole counties per Dask partition (see :func:`lazy_village_coverage`).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; ``.compute()`` gives the pandas frame.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-10"]),
    ...                        "village_id": ["441424100201", "441424100201"]})
    >>> from pufa_metrics.ingest import write_partitioned
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> lazy_event_counts(root, wide=True).compute(scheduler="sync")
    period        2024-01-01  2024-02-01
    village_id
    441424100201           1           1
    441481100201           0           0
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    start, end = _period(path, start, end)
    part = _CountsPart(str(path), {"freq": freq, "start": start, "end": end, "wide": wide})
    groups = _groups(counties(path), counties_per_partition)
    meta = _unknown_categories(part(groups[0][:1]))
    return _from_map(part, groups, meta, "event_counts")


def lazy_awareness_rates(
    root: str | os.PathLike,
    codebook: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] = "village_id",
    items: str | Sequence[str] | None = None,
    domain: str | Sequence[str] | None = None,
    weight: str | bool | None = None,
    method: str = "wilson",
    level: float = 0.95,
    counties_per_partition: int | None = None,
):
    """Survey rates per village (or county) and item with CIs, one Dask partition per county.

    The same result as :func:`pufa_metrics.survey.awareness_rates` on all responses, for groups
    that lie inside one county: ``by`` must include ``"village_id"`` or ``"county"`` (other
    columns such as ``"gender"`` may be added). Rows come county by county, sorted by group
    within a county.

    Parameters
    ----------
    root : str or path
        The dataset folder (``responses/`` partitioned by county).
    codebook : pandas.DataFrame, optional
        The codebook; default ``root/codebook.parquet``.
    by : str or list of str, default "village_id"
        Group columns; ``"county"`` is the partition key.
    items, domain, weight, method, level
        As in :func:`pufa_metrics.survey.awareness_rates`.
    counties_per_partition : int, optional
        Whole counties per Dask partition (see :func:`lazy_village_coverage`).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; ``[*by, item, domain, n, n_positive, rate, n_eff, ci_low, ci_high]``.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> responses = pd.DataFrame({"response_id": ["r1", "r2", "r3"],
    ...                           "village_id": ["441424100201", "441424100201", "441481100201"],
    ...                           "q1": ["知道", "不知道", "听说过"]})
    >>> codebook = pd.DataFrame({"item": ["q1"], "text": ["是否知道宪法日"],
    ...                          "domain": ["awareness"], "positive": [("知道", "听说过")]})
    >>> from pufa_metrics.ingest import write_partitioned
    >>> root = write_partitioned({"villages": villages, "responses": responses,
    ...                           "codebook": codebook}, tmp.name)
    >>> out = lazy_awareness_rates(root).compute(scheduler="sync")
    >>> out[["village_id", "n", "n_positive", "rate"]].values.tolist()
    [['441424100201', 2, 1, 0.5], ['441481100201', 1, 1, 1.0]]
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    by_cols = by_columns(by)
    if by is None or not ({"village_id", _KEY} & set(by_cols)):
        raise ValueError(
            f"`by` should include 'village_id' or 'county' so that every group lies in one "
            f"county partition, got {by!r}; for provincial or national rates aggregate the "
            "county results（分组须包含 village_id 或 county）"
        )
    if codebook is None:
        file = path / "codebook.parquet"
        if not file.is_file():
            raise ValueError(
                f"`codebook` was not given and {str(file)!r} does not exist（缺少问卷编码表）"
            )
        codebook = pd.read_parquet(file)
    check_frame(codebook, "codebook")
    names = list(_county_dirs(path, "responses"))
    if not names:
        raise ValueError(f"`root` {str(path)!r} has no responses（数据集中没有问卷）")
    options = {"items": items, "domain": domain, "weight": weight, "method": method,
               "level": level}
    part = _AwarenessPart(str(path), codebook, None, by_cols, options)
    groups = _groups(names, counties_per_partition)
    meta = _unknown_categories(part(groups[0][:1]))
    return _from_map(part, groups, meta, "awareness_rates")


# --------------------------------------------------------------------------------------------
# Build: all three metrics written county by county
# --------------------------------------------------------------------------------------------


class _WritePart:
    """Compute one metric for one partition and write it to ``out/<metric>/part-NNNNN``."""

    def __init__(self, part, out: str, metric: str, keep_index: bool, groups: list):
        self.part, self.out, self.metric, self.keep_index = part, out, metric, keep_index
        self.number = {group: i for i, group in enumerate(groups)}

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        frame = self.part(group)
        if self.keep_index:
            frame = frame.reset_index()
        for column in frame.columns:  # tuples (missing_topics) are stored as lists
            if frame[column].dtype == object:
                frame[column] = frame[column].map(list, na_action="ignore")
        folder = Path(self.out) / self.metric
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / f"part-{self.number[group]:05d}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), file)
        return pd.DataFrame({
            "metric": pd.array([self.metric], dtype="str"),
            "file": pd.array([file.name], dtype="str"),
            "first_county": pd.array([group[0]], dtype="str"),
            "last_county": pd.array([group[-1]], dtype="str"),
            "rows": np.array([len(frame)], dtype=np.int64),
        })


def build_metrics(
    root: str | os.PathLike,
    out: str | os.PathLike,
    *,
    start: _coverage.DateLike | None = None,
    end: _coverage.DateLike | None = None,
    as_of: _coverage.DateLike | None = None,
    required_topics: Sequence[str] | None = None,
    codebook: pd.DataFrame | None = None,
    weight: str | bool | None = None,
    freq: str = "MS",
    counties_per_partition: int | None = None,
    compute: bool = True,
) -> pd.DataFrame:
    """Compute coverage, event counts and awareness rates for every county and write them.

    Each partition's results go to ``out/<metric>/part-NNNNN.parquet`` (metrics ``coverage``,
    ``event_counts``, ``awareness``; files in county order), so nothing is collected in memory:
    this is the path for datasets larger than memory. Runs on the active Dask scheduler (see
    :func:`connect`). Read the results back with :func:`load_metrics`.

    Parameters
    ----------
    root : str or path
        The county-partitioned dataset.
    out : str or path
        The output folder (the three metric folders in it are replaced).
    start, end, as_of, required_topics
        As in :func:`lazy_village_coverage` (``start``/``end`` also bound the event counts).
    codebook, weight
        As in :func:`lazy_awareness_rates`; awareness is skipped when the dataset has no responses.
    freq : {"MS", "QS", "YS"}
        Period of the event counts.
    counties_per_partition : int, optional
        Whole counties per partition (and per output file); default about :data:`TASKS`
        partitions (see :func:`lazy_village_coverage`).
    compute : bool, default True
        False returns the lazy Dask frame of the summary instead of computing it.

    Returns
    -------
    pandas.DataFrame
        ``[metric, file, first_county, last_county, rows]``: one row per file written.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-10"]),
    ...                        "village_id": ["441424100201", "441424100201"]})
    >>> from pufa_metrics.ingest import write_partitioned
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> out = f"{tmp.name}/metrics"
    >>> import dask
    >>> with dask.config.set(scheduler="sync"):
    ...     summary = build_metrics(root, out)
    >>> summary[["metric", "first_county", "rows"]].values.tolist()[1:3]
    [['coverage', '兴宁市', 1], ['event_counts', '五华县', 2]]
    >>> load_metrics(out)["coverage"]["n_events"].tolist()
    [2, 0]
    >>> tmp.cleanup()
    """
    dask, dd = _dd()
    path = _check_root(root)
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"`out` should be a folder path, got {type(out).__name__} {out!r}")
    target = Path(out)
    start, end = _period(path, start, end)
    groups = _groups(counties(path), counties_per_partition)
    parts = {
        "coverage": (_CoveragePart(str(path), _register_columns(path, "population"), {
            "start": start, "end": end, "as_of": as_of, "required_topics": required_topics}),
            groups, True),
        "event_counts": (_CountsPart(str(path), {"freq": freq, "start": start, "end": end}),
                         groups, False),
    }
    responses = list(_county_dirs(path, "responses"))
    if responses:
        if codebook is None:
            codebook = pd.read_parquet(path / "codebook.parquet")
        parts["awareness"] = (
            _AwarenessPart(str(path), codebook, None, ["village_id"],
                           {"items": None, "domain": None, "weight": weight,
                            "method": "wilson", "level": 0.95}),
            _groups(responses, counties_per_partition), False,
        )
    for metric in METRICS:
        if (target / metric).is_dir():
            shutil.rmtree(target / metric)
    meta = pd.DataFrame({
        "metric": pd.array([], dtype="str"), "file": pd.array([], dtype="str"),
        "first_county": pd.array([], dtype="str"), "last_county": pd.array([], dtype="str"),
        "rows": np.array([], dtype=np.int64),
    })
    frames = [
        _from_map(_WritePart(part, str(target), metric, keep_index, items), items, meta,
                  f"build_{metric}")
        for metric, (part, items, keep_index) in parts.items()
    ]
    with dask.config.set({"dataframe.convert-string": False}):
        summary = dd.concat(frames)
    if not compute:
        return summary
    return summary.compute().reset_index(drop=True)


def load_metrics(out: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read the metrics written by :func:`build_metrics` into pandas frames.

    Parameters
    ----------
    out : str or path
        The folder given to :func:`build_metrics`.

    Returns
    -------
    dict
        ``{"coverage": …, "event_counts": …, "awareness": …}`` (those present): coverage indexed
        by ``village_id`` with ``missing_topics`` as tuples; ids as ``str``; rows county by
        county.
    """
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"`out` should be a folder path, got {type(out).__name__} {out!r}")
    folder = Path(out)
    result = {}
    for metric in METRICS:
        files = _files(folder / metric) if (folder / metric).is_dir() else []
        if not files:
            continue
        frame = _to_pandas(_read_files([("", f) for f in files], None, [], None))
        if metric == "coverage":
            frame["missing_topics"] = frame["missing_topics"].map(
                lambda v: tuple(v.tolist() if hasattr(v, "tolist") else v), na_action="ignore"
            ).astype(object)
            frame = frame.set_index("village_id")
        if metric == "event_counts" and isinstance(frame["village_id"].dtype, pd.CategoricalDtype):
            ids = frame["village_id"].array  # categories named like event_counts' (its `by`)
            frame["village_id"] = pd.Categorical.from_codes(
                ids.codes, categories=ids.categories.rename("village_id"))
        result[metric] = frame
    if not result:
        raise ValueError(
            f"`out` {str(folder)!r} holds no metrics written by build_metrics（未找到指标结果）"
        )
    return result


# --------------------------------------------------------------------------------------------
# A few counties at a time: the building blocks of the county report's partition tasks
# --------------------------------------------------------------------------------------------


def check_dataset(root: Any, *, name: str = "root") -> Path:
    """``root`` as a Path, checked to be a county-partitioned dataset (it has ``villages/``).

    Raises TypeError for a non-path and ValueError (in Chinese and English) for a folder that is
    not partitioned: ``pufa report --engine dask`` shows that message as it is.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> check_dataset(tmp.name)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `root` '...' is not a county-partitioned dataset: it has no 'villages/county=…' ...
    >>> tmp.cleanup()
    """
    return _check_root(root, name)


def has_table(root: str | os.PathLike, table: str) -> bool:
    """Whether the dataset holds ``table`` (its folder exists, with rows or not).

    A roster or adviser log written with no rows is held: it says "none on record".

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> from pufa_metrics.ingest import write_partitioned
    >>> villages = pd.DataFrame({"village_id": ["A1"], "village_name": ["甲村"],
    ...                          "population": [900], "county": ["甲县"]})
    >>> root = write_partitioned({"villages": villages, "legal_literates": pd.DataFrame(
    ...     {"person_id": [], "village_id": []})}, tmp.name)
    >>> has_table(root, "legal_literates"), has_table(root, "sites")
    (True, False)
    >>> tmp.cleanup()
    """
    return _has_table(root, table)


def has_values(root: str | os.PathLike, table: str, column: str) -> bool:
    """Whether any row of ``table``, in the whole dataset, has a value in ``column``.

    Read from the Parquet footers' null counts (no data pass) where present. The county report
    asks it once (do the site registers record update dates anywhere?) so that every county is
    judged alike whatever the partitioning.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> from pufa_metrics.ingest import write_partitioned
    >>> villages = pd.DataFrame({"village_id": ["A1", "B1"], "village_name": ["甲村", "乙村"],
    ...                          "population": [900, 700], "county": ["甲县", "乙县"]})
    >>> sites = pd.DataFrame({"site_id": ["S1", "S2"], "site_name": ["甲栏", "乙栏"],
    ...                       "village_id": ["A1", "B1"], "level": "village",
    ...                       "last_updated": pd.to_datetime([None, "2025-01-01"])})
    >>> root = write_partitioned({"villages": villages, "sites": sites}, tmp.name)
    >>> has_values(root, "sites", "last_updated"), has_values(root, "sites", "opened")
    (True, False)
    >>> tmp.cleanup()
    """
    return _any_value(root, table, column)


def table_columns(root: str | os.PathLike, table: str) -> list[str]:
    """The columns of ``table`` (from one file's schema); ``[]`` when the dataset lacks it.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> from pufa_metrics.ingest import write_partitioned
    >>> villages = pd.DataFrame({"village_id": ["A1"], "village_name": ["甲村"],
    ...                          "population": [900], "county": ["甲县"]})
    >>> root = write_partitioned({"villages": villages}, tmp.name)
    >>> table_columns(root, "villages"), table_columns(root, "events")
    (['village_id', 'village_name', 'population'], [])
    >>> tmp.cleanup()
    """
    folder = Path(root) / table
    first = next(folder.rglob("*.parquet"), None) if folder.is_dir() else None
    return [] if first is None else list(_read_schema(first).names)


def dataset_period(root: str | os.PathLike, *, start: Any = None,
                   end: Any = None) -> tuple[Any, Any]:
    """``start`` and ``end`` as given, or defaulted to the whole dataset's first/last event date.

    The dates are read from the Parquet footers' statistics when present (no data pass). A
    dataset without a dated event and a missing bound is a ValueError.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> from pufa_metrics.ingest import write_partitioned
    >>> villages = pd.DataFrame({"village_id": ["A1"], "village_name": ["甲村"],
    ...                          "population": [900], "county": ["甲县"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-05-02"]),
    ...                        "village_id": ["A1", "A1"]})
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> [str(d.date()) for d in dataset_period(root)]
    ['2024-03-01', '2024-05-02']
    >>> dataset_period(root, start="2024-01-01", end="2024-12-31")
    ('2024-01-01', '2024-12-31')
    >>> tmp.cleanup()
    """
    return _period(Path(root), start, end)


def county_groups(names: Sequence[str], *,
                  counties_per_partition: int | None = None) -> list[tuple[str, ...]]:
    """Consecutive counties, ``counties_per_partition`` to a Dask partition (one task each).

    A village is never split; ``None`` splits the counties into about :data:`TASKS` partitions.

    Examples
    --------
    >>> county_groups(["甲县", "乙县", "丙县"], counties_per_partition=2)
    [('甲县', '乙县'), ('丙县',)]
    """
    return _groups(list(names), counties_per_partition)


def read_counties(
    root: str | os.PathLike,
    table: str,
    counties: Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    categorical: bool | Sequence[str] = False,
    with_key: bool = False,
) -> pd.DataFrame:
    """The rows of a few counties (one partition) of one table, in pandas.

    Unlike :func:`read_partitioned`, it does not check the layout (a task reads thousands of
    times); a county without files gives no rows, with the table's columns.

    Parameters
    ----------
    root : str or path
        The dataset.
    table : str
        One of :data:`~pufa_metrics.ingest.PARTITIONED_TABLES`.
    counties : sequence of str
        The counties to read.
    columns : sequence of str, optional
        Columns to read (default all).
    categorical : bool or list of str, default False
        Columns read as categoricals (True: those of :data:`CATEGORICAL_COLUMNS`).
    with_key : bool, default False
        Add the ``county`` column.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> from pufa_metrics.ingest import write_partitioned
    >>> villages = pd.DataFrame({"village_id": ["A1", "B1", "C1"],
    ...                          "village_name": ["甲村", "乙村", "丙村"],
    ...                          "population": [900, 700, 500], "county": ["甲县", "乙县", "丙县"]})
    >>> root = write_partitioned({"villages": villages}, tmp.name)
    >>> read_counties(root, "villages", ["甲县", "丙县"], columns=["village_id"],
    ...               with_key=True).values.tolist()
    [['A1', '甲县'], ['C1', '丙县']]
    >>> tmp.cleanup()
    """
    return _read_county(str(root), table, counties, columns, categorical, with_key=with_key)


def map_counties(func: Any, groups: list[tuple[str, ...]], *, meta: pd.DataFrame,
                 label: str) -> Any:
    """A lazy Dask frame with one partition per group of counties: ``func(group)`` each.

    ``func`` must be picklable (a top-level class instance, say) and return a frame like
    ``meta``. Strings stay pandas' own ``str`` (dask's conversion to ``string[pyarrow]`` is
    off), so results equal the pandas functions'.

    Examples
    --------
    >>> import dask
    >>> meta = pd.DataFrame({"county": pd.Series(dtype="str")})
    >>> lazy = map_counties(lambda g: pd.DataFrame({"county": list(g)}), [("甲县",), ("乙县",)],
    ...                     meta=meta, label="names")
    >>> lazy.compute(scheduler="sync")["county"].tolist()
    ['甲县', '乙县']
    """
    return _from_map(func, groups, meta, label)
