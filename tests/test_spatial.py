"""Tests for pufa_metrics.spatial: weights, Gi* and LISA wrappers, cold areas, odd inputs.

Expected values come from esda's own published test values (docs/indicators.md), a hand computation,
direct esda calls (to check that the wrapper passes the right weights and transforms through),
statsmodels' Benjamini-Hochberg, and grids small enough to reason about.
"""

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.getisord import G_Local
from esda.moran import Moran_Local
from statsmodels.stats.multitest import multipletests

from pufa_metrics.spatial import spatial_clusters, spatial_weights, village_geometry

# esda/tests/test_getisord.py: six points, DistanceBand(threshold=15), y = [2, 3, 3.2, 5, 8, 7]
SIX = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
Y6 = [2, 3, 3.2, 5, 8, 7]
IDS6 = list("abcdef")


def grid(n: int) -> gpd.GeoSeries:
    """n × n unit squares, ids G<row><col>."""
    ids = [f"G{r}{c}" for r in range(n) for c in range(n)]
    cells = [shapely.box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)]
    return gpd.GeoSeries(cells, index=ids)


# ---- published anchor ----------------------------------------------------------------------


def test_gi_star_reproduces_esda_published_values():
    geo = gpd.GeoSeries(shapely.points(SIX), index=IDS6)
    out = spatial_clusters(
        pd.Series(Y6, index=IDS6), geo, kind="distance", threshold=15, permutations=999,
        seed=10, fdr=False,
    )
    # docs/indicators.md [copied from esda]: Gi* with binary weights Zs[0] = -1.39727626, and the
    # permutation p-value p_sim[0] = 0.102 with seed 10 (999 permutations).
    assert out.loc["a", "statistic"] == pytest.approx(-1.39727626, abs=1e-8)
    assert out.loc["a", "p_sim"] == pytest.approx(0.102, abs=1e-6)  # esda stores float32
    # Row-standardised weights would give -0.62488094 (same source): the wrapper must not.
    assert abs(out.loc["a", "statistic"] - (-0.62488094)) > 0.5


def test_gi_star_by_hand_for_the_first_point():
    # Neighbours within 15 of a=(10,10): b (distance 10) and d (11.18). Gi* star sum over
    # {a, b, d} = 2 + 3 + 5 = 10; total 28.2 → G = 0.354610. E[G] = 3/6 = 0.5.
    # mean 4.7; mean of squares (4+9+10.24+25+64+49)/6 = 26.87333; s² = 26.87333 − 22.09
    # = 4.78333; Var = 3·(6−3)/(6−1)/6² · s²/mean² = 0.05 · 0.216538 = 0.0108269;
    # z = (0.354610 − 0.5)/0.104053 = −1.39727.
    g = 10 / 28.2
    var = 0.05 * (161.24 / 6 - 4.7**2) / 4.7**2
    z = (g - 0.5) / np.sqrt(var)
    out = spatial_clusters(
        pd.Series(Y6, index=IDS6), gpd.GeoSeries(shapely.points(SIX), index=IDS6),
        kind="distance", threshold=15, permutations=99,
    )
    assert out.loc["a", "statistic"] == pytest.approx(z, abs=1e-9)


def test_all_gi_star_values_match_a_direct_esda_call():
    w = libpysal.weights.DistanceBand(SIX, threshold=15, silence_warnings=True)
    direct = G_Local(np.array(Y6), w, transform="B", star=True, permutations=999, seed=10,
                     n_jobs=1)
    out = spatial_clusters(
        pd.Series(Y6, index=IDS6), gpd.GeoSeries(shapely.points(SIX), index=IDS6),
        kind="distance", threshold=15, permutations=999, seed=10,
    )
    np.testing.assert_allclose(out["statistic"], direct.Zs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["p_sim"], direct.p_sim, rtol=0, atol=1e-12)
    assert out["n_neighbors"].tolist() == [2, 3, 1, 3, 4, 1]


def test_lisa_matches_a_direct_esda_call_with_row_standardised_queen_weights():
    g = grid(5)
    y = pd.Series(np.random.default_rng(3).normal(10, 2, 25), index=g.index)
    w = libpysal.weights.Queen.from_dataframe(g.to_frame("geometry"), use_index=True,
                                              silence_warnings=True)
    direct = Moran_Local(y.to_numpy(), w, transformation="r", permutations=999, seed=5,
                         n_jobs=1)
    out = spatial_clusters(y, g, method="lisa", permutations=999, seed=5, fdr=False)
    np.testing.assert_allclose(out["statistic"], direct.Is, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["p_sim"], direct.p_sim, rtol=0, atol=1e-12)
    quads = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
    expected = np.where(direct.p_sim <= 0.05, [quads[q] for q in direct.q], "not significant")
    assert out["cluster"].tolist() == expected.tolist()


# ---- planted and random surfaces ----------------------------------------------------------


@pytest.fixture(scope="module")
def planted():
    g = grid(10)
    rng = np.random.default_rng(7)
    y = pd.Series(rng.normal(10, 1, 100), index=g.index)
    block = [f"G{r}{c}" for r in (3, 4, 5) for c in (3, 4, 5)]
    y[block] = rng.uniform(0.5, 1.5, 9)
    return g, y, block


@pytest.mark.parametrize(("method", "label"), [("gi_star", "cold"), ("lisa", "low-low")])
def test_planted_low_block_is_found_after_fdr(planted, method, label):
    g, y, block = planted
    out = spatial_clusters(y, g, method=method)
    # The block centre has all 8 neighbours in the block: the strongest possible cold core.
    assert out.loc["G44", "cluster"] == label
    # Every block cell is in the cold area (a core, or a below-mean neighbour of one) …
    assert out.loc[block, "cold_area"].all()
    # … no cell outside the block is significant, and any outside cell in the cold area is a
    # below-mean cell touching the block (the normal(10, 1) cells around a 9.1 mean).
    outside = out.loc[~out.index.isin(block)]
    assert not outside["significant"].any()
    rows = outside.index.str[1].astype(int)
    cols = outside.index.str[2].astype(int)
    touches_block = (rows >= 2) & (rows <= 6) & (cols >= 2) & (cols <= 6)
    in_area = outside["cold_area"].to_numpy()
    assert touches_block[in_area].all()
    assert (outside.loc[in_area, "value"] < y.mean()).all()


def test_fdr_decision_equals_statsmodels_benjamini_hochberg(planted):
    g, y, _ = planted
    out = spatial_clusters(y, g)
    reject = multipletests(out["p_sim"].to_numpy(), alpha=0.05, method="fdr_bh")[0]
    assert out["significant"].to_numpy(dtype=bool).tolist() == reject.tolist()
    assert reject.sum() >= 5  # the test is not vacuous


@pytest.mark.parametrize("seed", [100, 101, 102])
def test_random_surface_finds_almost_nothing_after_fdr(seed):
    g = grid(10)
    y = pd.Series(np.random.default_rng(seed).normal(10, 2, 100), index=g.index)
    with_fdr = spatial_clusters(y, g)
    raw = spatial_clusters(y, g, fdr=False)
    # No structure: at most one of 100 villages survives FDR, none forms a cold area, while
    # p_sim <= 0.05 alone flags several (folded one-sided p-values, 100 tests).
    assert with_fdr["significant"].sum() <= 1
    assert not with_fdr["cold_area"].any()
    assert raw["significant"].sum() > with_fdr["significant"].sum()
    assert (raw["p_threshold"] == 0.05).all()
    assert (with_fdr["p_threshold"] < 0.05).all()


# ---- odd inputs -------------------------------------------------------------------------------


def test_islands_missing_geometry_and_missing_values_are_reported():
    g = grid(3)
    g["far"] = shapely.box(50, 50, 51, 51)
    y = pd.Series(np.arange(10, dtype=float), index=list(g.index))
    y["G11"] = np.nan
    y["nowhere"] = 1.0  # a village with no geometry
    out = spatial_clusters(y, g, permutations=99)
    assert out.loc["far", "cluster"] == "island"
    assert out.loc["nowhere", "cluster"] == "no geometry"
    assert out.loc["G11", "cluster"] == "no value"
    assert out.loc[["far", "nowhere", "G11"], "significant"].isna().all()
    assert out.loc[["far", "nowhere", "G11"], "n_neighbors"].isna().all()
    # Without G11 the corner G00 touches G01 and G10 only (G11 left out with its NaN).
    assert out.loc["G00", "n_neighbors"] == 2
    assert out.index.tolist() == y.index.tolist()


def test_points_use_k_nearest_neighbours_in_metres():
    # Six villages around the town centre (lon/lat); k = 4 → every village has 4 neighbours.
    reg = pd.DataFrame({
        "village_id": [f"V{i}" for i in range(6)],
        "lon": [115.78, 115.79, 115.80, 115.77, 115.76, 115.81],
        "lat": [23.93, 23.94, 23.92, 23.91, 23.95, 23.96],
    })
    out = spatial_clusters(pd.Series(np.arange(1.0, 7.0), index=reg["village_id"]), reg,
                           permutations=99)
    assert out["n_neighbors"].tolist() == [4] * 6
    assert out.attrs["kind"] == "knn"
    w, islands = spatial_weights(reg, k=2)
    assert islands == []
    # V0 (115.78, 23.93): nearest are V1 (~1.5 km) and V2 (~2.2 km) … check against distances
    # computed independently with pyproj's geodesic on WGS 84.
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    d = {
        f"V{i}": geod.inv(115.78, 23.93, lon, lat)[2]
        for i, (lon, lat) in enumerate(zip(reg["lon"], reg["lat"], strict=True))
        if i
    }
    assert sorted(w.neighbors["V0"]) == sorted(sorted(d, key=d.get)[:2])


def test_knn_k_is_reduced_for_tiny_towns():
    pts = gpd.GeoSeries(shapely.points([(0, 0), (1, 0), (0, 1)]), index=["A", "B", "C"])
    w, _ = spatial_weights(pts, kind="knn", k=4)
    assert w.cardinalities == {"A": 2, "B": 2, "C": 2}


def test_queen_and_rook_neighbour_counts_by_hand():
    g = grid(3)
    queen, islands = spatial_weights(g)
    rook, _ = spatial_weights(g, kind="rook")
    # centre: 8 queen / 4 rook; corner: 3 / 2; edge middle: 5 / 3
    assert (queen.cardinalities["G11"], rook.cardinalities["G11"]) == (8, 4)
    assert (queen.cardinalities["G00"], rook.cardinalities["G00"]) == (3, 2)
    assert (queen.cardinalities["G01"], rook.cardinalities["G01"]) == (5, 3)
    assert islands == []
    assert set(queen.weights["G11"]) == {1.0}  # binary


def test_geodataframe_with_village_id_column_is_accepted():
    g = grid(3)
    gdf = gpd.GeoDataFrame({"village_id": g.index}, geometry=g.to_numpy())
    y = pd.Series(np.arange(9.0), index=g.index)
    a = spatial_clusters(y, gdf, permutations=99)
    b = spatial_clusters(y, g, permutations=99)
    pd.testing.assert_frame_equal(a, b)


def test_constant_values_and_tiny_inputs_do_not_crash():
    g = grid(3)
    flat = spatial_clusters(pd.Series(5.0, index=g.index), g)
    assert (flat["cluster"] == "not significant").all()
    assert not flat["significant"].any()
    two = spatial_clusters(pd.Series([1.0, 2.0], index=["G00", "G01"]), g)
    assert two["significant"].isna().all()


def test_same_seed_same_result_and_global_random_state_untouched(planted):
    g, y, _ = planted
    np.random.seed(2024)
    before = np.random.get_state()[1].copy()
    a = spatial_clusters(y, g, permutations=499, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)
    b = spatial_clusters(y, g, permutations=499, seed=1)
    c = spatial_clusters(y, g, permutations=499, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["p_sim"].to_numpy(), c["p_sim"].to_numpy())


def test_inputs_are_not_mutated(planted):
    g, y, _ = planted
    g0, y0 = g.copy(), y.copy()
    spatial_clusters(y, g, permutations=99)
    pd.testing.assert_series_equal(y, y0)
    assert g.equals(g0)


def test_village_geometry_from_lon_lat_register():
    reg = pd.DataFrame({"village_id": ["A", "B"], "lon": [115.78, np.nan], "lat": [23.93, 1.0]})
    g = village_geometry(reg)
    assert g.crs.to_epsg() == 4326
    assert g.index.tolist() == ["A", "B"]
    assert g.isna().tolist() == [False, True]


# ---- input checks -----------------------------------------------------------------------------


def test_values_must_be_a_series():
    with pytest.raises(TypeError, match="'values' should be a pandas Series"):
        spatial_clusters([1, 2, 3], grid(3))


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="'method' should be one of .*got 'moran'"):
        spatial_clusters(pd.Series(1.0, index=grid(3).index), grid(3), method="moran")


def test_negative_values_rejected_for_gi_star():
    y = pd.Series(np.arange(9.0) - 4, index=grid(3).index)
    with pytest.raises(ValueError, match="non-negative.*method='lisa'"):
        spatial_clusters(y, grid(3))
    spatial_clusters(y, grid(3), method="lisa", permutations=99)  # fine for LISA


def test_duplicate_geometry_ids_rejected():
    g = grid(2)
    g.index = ["A", "A", "B", "C"]
    with pytest.raises(ValueError, match="repeat: \\['A'\\]"):
        spatial_weights(g)


def test_contiguity_needs_polygons_and_distance_needs_a_threshold():
    pts = gpd.GeoSeries(shapely.points(SIX), index=IDS6)
    with pytest.raises(ValueError, match="needs polygons"):
        spatial_weights(pts, kind="queen")
    with pytest.raises(ValueError, match="'threshold' should be a positive distance"):
        spatial_weights(pts, kind="distance")
    with pytest.raises(ValueError, match="'kind' should be one of"):
        spatial_weights(pts, kind="delaunay")


def test_geometry_type_is_checked():
    with pytest.raises(TypeError, match="'geometry' should be a GeoDataFrame"):
        village_geometry([shapely.Point(0, 0)])
    with pytest.raises(ValueError, match="needs 'lon' and 'lat'"):
        village_geometry(pd.DataFrame({"village_id": ["A"]}))
