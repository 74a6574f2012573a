r"""Village geometry, spatial weights and local cold spots (PySAL esda).

A *cold spot* is a group of neighbouring villages where a metric (events held, shrunk awareness) is
low together, more than chance arrangement of the same values would give. Two local statistics are
offered:

* **Getis-Ord Gi\*** (``method="gi_star"``): the share of the town's total that falls in a village
  *and its neighbours*, as a z-score. It needs **binary** weights (``transform="B"``):
  with row-standardised weights every neighbourhood sums to the same weight and Gi\* finds
  nothing. Values must be non-negative (counts, rates).
* **Local Moran's I** (``method="lisa"``), row-standardised weights; significant villages are
  labelled by quadrant: ``low-low`` (a low village among low neighbours) is a cold spot.

Inference is by conditional permutation with a fixed seed (reproducible), followed by
false-discovery-rate control across villages (Benjamini-Hochberg via :func:`esda.fdr`).

Neighbours: polygons use Queen contiguity (a shared edge or corner); villages known only by a point
(lon/lat) use the ``k`` nearest neighbours, measured in metres after projecting lon/lat to the local
UTM zone. Villages with no neighbour (*islands*), with no geometry or with no value are reported in
the ``cluster`` column, never dropped and never an error.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .assessed import mark_not_assessed, table_reason

__all__ = ["spatial_weights", "spatial_clusters", "village_geometry"]

_KINDS = ("auto", "queen", "rook", "knn", "distance")
_METHODS = ("gi_star", "lisa")
_LISA_QUADS = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}

#: Every label ``spatial_clusters`` can put in ``cluster``, per method.
CLUSTER_LABELS: dict[str, tuple[str, ...]] = {
    "gi_star": ("cold", "hot", "not significant", "island", "no geometry", "no value"),
    "lisa": (
        "low-low",
        "high-high",
        "low-high",
        "high-low",
        "not significant",
        "island",
        "no geometry",
        "no value",
    ),
}


# ------------------------------------------------------------------------------------------------
# Geometry
# ------------------------------------------------------------------------------------------------


def village_geometry(geometry: Any) -> Any:
    """Return village geometry as a GeoSeries indexed by ``village_id``.

    Parameters
    ----------
    geometry : geopandas.GeoDataFrame, geopandas.GeoSeries or pandas.DataFrame
        A GeoDataFrame with a ``village_id`` column (as ``load_dataset`` gives) or indexed by
        village id; a GeoSeries indexed by village id; or a plain DataFrame with ``lon`` and ``lat``
        columns (WGS 84), e.g. the village register, which gives points. Missing or empty
        geometries (and rows with no lon/lat) are kept as ``None``: they are reported as
        "no geometry" downstream.

    Returns
    -------
    geopandas.GeoSeries
        Index ``village_id`` (unique), the same CRS as the input (EPSG:4326 for lon/lat).

    Raises
    ------
    TypeError
        When ``geometry`` is none of the accepted types.
    ValueError
        When a village id appears twice, or a DataFrame has neither geometry nor lon/lat.

    Examples
    --------
    >>> reg = pd.DataFrame({"village_id": ["A", "B"], "lon": [115.78, np.nan],
    ...                     "lat": [23.93, np.nan]})
    >>> g = village_geometry(reg)
    >>> g.index.tolist(), g.isna().tolist(), g.crs.to_epsg()
    (['A', 'B'], [False, True], 4326)
    """
    import geopandas as gpd

    if isinstance(geometry, gpd.GeoSeries):
        out = geometry.copy()
    elif isinstance(geometry, gpd.GeoDataFrame):
        frame = geometry.set_index("village_id") if "village_id" in geometry.columns else geometry
        out = frame.geometry.copy()
    elif isinstance(geometry, pd.DataFrame):
        if not {"lon", "lat"} <= set(geometry.columns):
            raise ValueError(
                "'geometry' as a plain DataFrame needs 'lon' and 'lat' columns; got columns "
                f"{list(geometry.columns)}（缺少经纬度列 lon/lat）"
            )
        frame = geometry.set_index("village_id") if "village_id" in geometry.columns else geometry
        lon = pd.to_numeric(frame["lon"], errors="coerce")
        lat = pd.to_numeric(frame["lat"], errors="coerce")
        points = gpd.points_from_xy(lon, lat, crs="EPSG:4326")
        out = gpd.GeoSeries(points, index=frame.index, crs="EPSG:4326")
        out = out.where(lon.notna() & lat.notna(), None)
    else:
        raise TypeError(
            "'geometry' should be a GeoDataFrame, a GeoSeries or a DataFrame with lon/lat, "
            f"got {type(geometry).__name__}"
        )
    out.index = out.index.astype("str")
    out.index.name = "village_id"
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()].unique().tolist()[:10]
        raise ValueError(
            f"'geometry' should have one row per village, but these ids repeat: {dup}"
            "（村编码重复）"
        )
    missing = out.isna() | out.is_empty
    return out.where(~missing, None)


def _has_geometry(geo: Any) -> pd.Series:
    return ~(geo.isna() | geo.is_empty)


def _projected(geo: Any) -> Any:
    """Lon/lat → local UTM metres, so that distances and nearest neighbours are right."""
    if geo.crs is not None and geo.crs.is_geographic:
        return geo.to_crs(geo.estimate_utm_crs())
    return geo


def spatial_weights(
    geometry: Any,
    *,
    kind: str = "auto",
    k: int = 4,
    threshold: float | None = None,
) -> tuple[Any, list[str]]:
    """Binary spatial weights between villages, and the villages with no neighbour.

    Parameters
    ----------
    geometry : GeoDataFrame, GeoSeries or DataFrame with lon/lat
        Village geometry, see :func:`village_geometry`. Villages without geometry are left out
        of the weights (``spatial_clusters`` reports them as "no geometry").
    kind : {"auto", "queen", "rook", "knn", "distance"}, default "auto"
        ``queen``: polygons sharing an edge or a corner; ``rook``: sharing an edge; ``knn``: the
        ``k`` nearest villages (centroids of polygons via ``representative_point``);
        ``distance``: every village within ``threshold``. ``auto`` uses ``queen`` when every
        geometry is a polygon and ``knn`` otherwise (points, or a mix of points and polygons).
    k : int, default 4
        Neighbours per village for ``knn`` (reduced to n − 1 for very small towns).
    threshold : float, optional
        Distance band for ``kind="distance"``, in CRS units; lon/lat input is first projected to
        the local UTM zone, so the threshold is then in metres.

    Returns
    -------
    (libpysal.weights.W, list of str)
        Binary weights (transform ``"O"``, weights 1) whose ids are the village ids, and the ids
        of villages with no neighbour at all.

    Raises
    ------
    ValueError
        For an unknown ``kind``, ``k`` < 1, a missing ``threshold``, or when no village has
        geometry.

    Examples
    --------
    A 3 × 3 grid of unit squares: the centre touches all 8 others (Queen) but shares an edge with
    only 4 (Rook); a far-away square is an island.

    >>> import shapely, geopandas as gpd
    >>> cells = [shapely.box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)]
    >>> g = gpd.GeoSeries(cells + [shapely.box(9, 9, 10, 10)],
    ...                   index=[f"V{i}" for i in range(10)])
    >>> w, islands = spatial_weights(g)
    >>> w.cardinalities["V4"], islands
    (8, ['V9'])
    >>> spatial_weights(g, kind="rook")[0].cardinalities["V4"]
    4
    """
    from libpysal import weights

    if kind not in _KINDS:
        raise ValueError(f"'kind' should be one of {_KINDS}, got {kind!r}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"'k' should be a positive integer, got {k!r}")
    geo = village_geometry(geometry)
    geo = geo[_has_geometry(geo)]
    if len(geo) == 0:
        raise ValueError("'geometry' has no village with a geometry（没有可用的村边界或坐标）")
    types = set(geo.geom_type)
    if kind == "auto":
        kind = "queen" if types <= {"Polygon", "MultiPolygon"} else "knn"
    if kind in ("queen", "rook") and not types <= {"Polygon", "MultiPolygon"}:
        raise ValueError(
            f"'kind'={kind!r} needs polygons, but the geometry holds {sorted(types)}; use "
            "kind='knn' (or 'auto') for villages known only by a point"
        )
    frame = geo.to_frame("geometry")
    ids = geo.index.tolist()
    if len(ids) == 1:
        w = weights.W({ids[0]: []}, silence_warnings=True)
    elif kind in ("queen", "rook"):
        cls = weights.Queen if kind == "queen" else weights.Rook
        w = cls.from_dataframe(frame, use_index=True, silence_warnings=True)
    else:
        pts = _projected(geo).representative_point().to_frame("geometry")
        if kind == "knn":
            w = weights.KNN.from_dataframe(
                pts, k=min(int(k), len(ids) - 1), use_index=True, silence_warnings=True
            )
        else:
            if threshold is None or not np.isfinite(threshold) or threshold <= 0:
                raise ValueError(
                    f"'threshold' should be a positive distance for kind='distance', got "
                    f"{threshold!r}"
                )
            w = weights.DistanceBand.from_dataframe(
                pts, threshold=float(threshold), binary=True, use_index=True,
                silence_warnings=True,
            )
    # Plain Python str ids (libpysal hands numpy str_ back for some builders).
    neighbors = {str(i): [str(j) for j in w.neighbors[i]] for i in w.id_order}
    w = weights.W(neighbors, id_order=[str(i) for i in w.id_order], silence_warnings=True)
    return w, [str(i) for i in w.islands]


# ------------------------------------------------------------------------------------------------
# Local statistics
# ------------------------------------------------------------------------------------------------


def _check_values(values: Any) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(
            f"'values' should be a pandas Series indexed by village_id, got {type(values).__name__}"
        )
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise TypeError(f"'values' should be numeric, got dtype {values.dtype}")
    if values.index.has_duplicates:
        dup = values.index[values.index.duplicated()].unique().tolist()[:10]
        raise ValueError(f"'values' should have one value per village; repeated ids: {dup}")
    out = values.astype("float64")
    out.index = out.index.astype("str")
    out.index.name = "village_id"
    return out


def spatial_clusters(
    values: pd.Series,
    geometry: Any,
    *,
    method: str = "gi_star",
    kind: str = "auto",
    k: int = 4,
    threshold: float | None = None,
    permutations: int = 9999,
    seed: int = 12345,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Local spatial clusters (cold and hot spots) of a village metric.

    Parameters
    ----------
    values : pandas.Series
        One number per village, indexed by ``village_id`` (e.g. ``coverage["n_events"]`` or the
        village mean of shrunk awareness). NaN values are left out of the test and reported.
    geometry : GeoDataFrame, GeoSeries, DataFrame with lon/lat, or None
        Village polygons or points, indexed by (or with a column) ``village_id``. None (no
        村界 provided) is not an error: every village is ``no geometry``, nothing is tested,
        and ``attrs["not_assessed"]`` says why (the rule of :mod:`pufa_metrics.assessed`).
    method : {"gi_star", "lisa"}, default "gi_star"
        Getis-Ord Gi* with binary weights (self included), or Local Moran's I with
        row-standardised weights.
    kind, k, threshold
        Neighbour definition, see :func:`spatial_weights` (``auto``: Queen for polygons,
        ``k`` nearest for points).
    permutations : int, default 9999
        Conditional permutations for the pseudo p-value ``p_sim``. 9999 rather than esda's 999:
        with ~30 villages, Benjamini-Hochberg at 5 % needs the smallest p-value below
        0.05 / n ≈ 0.002, where 999 permutations leave a Monte-Carlo error of about ±70 %.
        Costs well under a second for a town.
    seed : int, default 12345
        Seed of the permutations: the same seed gives the same p-values. NumPy's global random
        state (which esda reseeds) is restored afterwards.
    alpha : float, default 0.05
        Significance level (the FDR level ``q`` when ``fdr=True``).
    fdr : bool, default True
        Control the false-discovery rate across the tested villages (``esda.fdr``, i.e.
        Benjamini-Hochberg); ``False`` compares each ``p_sim`` with ``alpha`` on its own. Both
        decisions can be read off the output: ``p_sim`` is always reported.

    Returns
    -------
    pandas.DataFrame
        Index ``village_id`` (the order of ``values``), columns:

        - ``value``: the metric;
        - ``n_neighbors`` (Int64): neighbours in the test (NA when not tested);
        - ``statistic``: Gi* z-score, or local Moran's I;
        - ``p_sim``: one-sided permutation p-value in the direction observed (esda's folded
          pseudo p-value);
        - ``p_threshold``: the cut-off applied (the FDR threshold, or ``alpha``);
        - ``significant`` (boolean): ``p_sim <= p_threshold``; NA when not tested;
        - ``cluster``: for Gi* ``cold``/``hot``/``not significant``; for LISA ``low-low``,
          ``high-high``, ``low-high``, ``high-low`` or ``not significant``; and for villages not
          tested ``island`` (no neighbour), ``no geometry`` or ``no value``;
        - ``cold_area`` (bool): the village's own value is below the mean and it is a
          significant cold core (``cold`` / ``low-low``) or touches a below-mean one. Gi* tests
          a village *together with its neighbours*, so a significant core speaks for its
          below-average neighbours too (GeoDa likewise reads a LISA cluster as the core plus its
          neighbours). A village above the mean is never in a cold area and does not extend
          one, even when low neighbours make it a significant Gi* cold core;
        - ``cold_area_p``: the smallest ``p_sim`` among the cores that put the village there.

        ``attrs`` records method, weights kind, permutations, seed, alpha and fdr, and
        ``not_assessed`` when ``geometry`` is None.

    Raises
    ------
    TypeError
        When ``values`` is not a numeric Series, or ``geometry`` none of the accepted types.
    ValueError
        For an unknown ``method``, ``alpha`` outside (0, 1), ``permutations`` < 1, or negative
        values with ``gi_star`` (the G statistic is defined for non-negative variables).

    Notes
    -----
    Gi* needs binary weights: ``G_Local(y, w, transform="B", star=True)``; esda's default
    ``transform="R"`` makes every neighbourhood weigh the same and finds no cold spot.
    A town of 28 villages is small for local statistics: a village with 3 neighbours cannot reach
    a permutation p-value much below 0.002 even when it and all its neighbours are the lowest in
    town, so FDR control at 5 % may leave nothing significant. ``find_blind_spots`` screens at
    FDR 10 % for that reason; report ``p_sim`` alongside any decision.

    Under conditional permutation both statistics rank the permutations of a village by the
    sum of its neighbours' values, so with the same seed Gi* and LISA give the same ``p_sim``
    (up to ties, and esda's float32 storage of Gi* p-values); they differ in the label (Gi*
    ``cold``: a low neighbourhood; LISA ``low-low``: a low village among low neighbours).

    Examples
    --------
    A 5 × 5 grid whose south-west 3 × 3 block holds few events:

    >>> import shapely, geopandas as gpd
    >>> ids = [f"V{i:02d}" for i in range(25)]
    >>> cells = [shapely.box(x, y, x + 1, y + 1) for y in range(5) for x in range(5)]
    >>> g = gpd.GeoSeries(cells, index=ids)
    >>> low = [0, 1, 2, 5, 6, 7, 10, 11, 12]
    >>> y = pd.Series([1.0 if i in low else 9.0 for i in range(25)], index=ids)
    >>> out = spatial_clusters(y, g)
    >>> out.loc["V06", "cluster"], int(out.loc["V06", "n_neighbors"])
    ('cold', 8)
    >>> sorted(out.index[out["cold_area"]]) == sorted(ids[i] for i in low)
    True

    Without boundaries nothing is tested:

    >>> none = spatial_clusters(y, None)
    >>> none["cluster"].unique().tolist(), int(none["cold_area"].sum())
    (['no geometry'], 0)
    >>> none.attrs["not_assessed"][0][0]
    '未提供村界，未做空间冷点分析、未绘制地图'
    """
    import esda
    from esda.getisord import G_Local
    from esda.moran import Moran_Local
    from libpysal import weights

    vals = _check_values(values)
    if method not in _METHODS:
        raise ValueError(f"'method' should be one of {_METHODS}, got {method!r}")
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValueError(f"'alpha' should be a number between 0 and 1, got {alpha!r}")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise ValueError(f"'permutations' should be a positive integer, got {permutations!r}")
    if method == "gi_star" and (vals < 0).any():
        bad = vals.index[vals < 0].tolist()[:10]
        raise ValueError(
            f"'values' should be non-negative for method='gi_star' (Getis-Ord G is defined for "
            f"non-negative variables); negative for {bad}. Use method='lisa' instead."
        )
    if geometry is None:
        has_geo = np.zeros(len(vals), dtype=bool)
    else:
        geo = village_geometry(geometry)
        has_geo = vals.index.isin(geo.index[_has_geometry(geo)])
    has_value = np.isfinite(vals.to_numpy())

    out = pd.DataFrame(
        {
            "value": vals,
            "n_neighbors": pd.array([pd.NA] * len(vals), dtype="Int64"),
            "statistic": np.nan,
            "p_sim": np.nan,
            "p_threshold": np.nan,
            "significant": pd.array([pd.NA] * len(vals), dtype="boolean"),
            "cluster": pd.Series("not significant", index=vals.index, dtype="str"),
            "cold_area": False,
            "cold_area_p": np.nan,
        },
        index=vals.index,
    )
    out.loc[~has_value, "cluster"] = "no value"
    out.loc[~has_geo, "cluster"] = "no geometry"
    out.attrs = {
        "method": method,
        "kind": kind,
        "permutations": permutations,
        "seed": seed,
        "alpha": alpha,
        "fdr": fdr,
    }
    if geometry is None:
        return mark_not_assessed(out, table_reason("geometry"))

    candidates = vals.index[has_geo & has_value]
    if len(candidates) == 0:
        return out
    w, islands = spatial_weights(geo.loc[candidates], kind=kind, k=k, threshold=threshold)
    out.attrs["kind"] = kind if kind != "auto" else _auto_kind(geo.loc[candidates])
    out.loc[islands, "cluster"] = "island"
    tested = [i for i in w.id_order if i not in set(islands)]
    if islands and tested:
        w = weights.w_subset(w, tested, silence_warnings=True)
    if len(tested) < 3:
        return out
    y = vals.loc[tested].to_numpy()
    out.loc[tested, "n_neighbors"] = [w.cardinalities[i] for i in tested]
    out.loc[tested, "significant"] = False
    if np.ptp(y) == 0 or (method == "gi_star" and y.sum() == 0):
        return out  # no variation: nothing can cluster

    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "gi_star":
                res = G_Local(
                    y, w, transform="B", star=True, permutations=permutations, seed=seed,
                    n_jobs=1,
                )
                stat = np.asarray(res.Zs, dtype=float)
                core_low = stat < 0
            else:
                res = Moran_Local(
                    y, w, transformation="r", permutations=permutations, seed=seed, n_jobs=1,
                )
                stat = np.asarray(res.Is, dtype=float)
                quads = np.asarray(res.q)
                core_low = quads == 3
    finally:
        np.random.set_state(state)
    p = np.asarray(res.p_sim, dtype=float)
    cut = float(esda.fdr(p, alpha)) if fdr else float(alpha)
    sig = p <= cut
    if method == "gi_star":
        labels = np.where(sig, np.where(stat < 0, "cold", "hot"), "not significant")
    else:
        labels = np.where(
            sig, pd.Series(quads).map(_LISA_QUADS).to_numpy(dtype=object), "not significant"
        )
    core = sig & core_low

    # The cold area: below-mean cores, and the below-mean villages touching one.
    low = y < y.mean()
    core = core & low
    adj = w.sparse.tocoo()  # rows/cols in the order of w.id_order == tested
    rows, cols = adj.row, adj.col
    via_core = core[rows] & low[cols]
    p_area = np.where(core, p, np.inf)
    if via_core.any():
        best = pd.Series(p[rows[via_core]]).groupby(cols[via_core]).min()
        pos = best.index.to_numpy()
        p_area[pos] = np.minimum(p_area[pos], best.to_numpy())
    area = np.isfinite(p_area)

    out.loc[tested, "statistic"] = stat
    out.loc[tested, "p_sim"] = p
    out.loc[tested, "p_threshold"] = cut
    out.loc[tested, "significant"] = sig
    out.loc[tested, "cluster"] = labels.astype(str)
    out.loc[tested, "cold_area"] = area
    out.loc[tested, "cold_area_p"] = np.where(area, p_area, np.nan)
    return out


def _auto_kind(geo: Any) -> str:
    return "queen" if set(geo.geom_type) <= {"Polygon", "MultiPolygon"} else "knn"
