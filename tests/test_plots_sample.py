"""Every chart and the brief on the synthetic sample town, through the real pipeline:
``write_sample`` → ``io.load_dataset`` → the metric functions (``workflow.analyse``) → plots.

Each PNG must have drawn content and Chinese glyphs from the bundled font (no missing-glyph
warning; the same figure forced to DejaVu Sans does warn and looks different).
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from pufa_metrics import plots
from pufa_metrics.brief import brief
from pufa_metrics.io import load_dataset
from pufa_metrics.sample import write_sample
from pufa_metrics.workflow import analyse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample_town")
    write_sample(folder)
    ds = load_dataset(folder)
    return ds, analyse(ds)


def _png(fig: Figure, dpi: int = 40) -> np.ndarray:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"), dtype=float)


def _check_drawn(fig: Figure, *, chinese: bool) -> None:
    """Not blank; any Chinese text is drawn with the CJK font (``chinese``: there must be some)."""
    image = _png(fig)
    assert image.std() > 0, "the chart is blank"
    texts = fig.findobj(Text)
    has_cjk = any(re.search("[\u4e00-\u9fff]", t.get_text()) for t in texts)
    assert has_cjk or not chinese
    if not has_cjk:  # e.g. the English trend chart: topics are translated, no village names
        return
    fonts = [t.get_fontfamily() for t in texts]
    try:
        for t in texts:
            t.set_fontfamily(["DejaVu Sans"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dejavu = _png(fig)
    finally:
        for t, family in zip(texts, fonts):
            t.set_fontfamily(family)
    assert any("missing from font" in str(w.message) for w in caught)
    assert image.shape != dejavu.shape or np.abs(image - dejavu).max() > 0


def _charts(ds, a, lang):
    caption = plots.source_caption("水寨镇司法所普法台账" if lang == "zh" else "event ledger",
                                   start=a.period.start, end=a.period.end, lang=lang)
    common = {"lang": lang, "synthetic": True}
    return {
        "coverage_map": lambda: plots.coverage_map(a.coverage, ds.geometry,
                                                   blind_spots=a.follow_up, caption=caption,
                                                   **common),
        "coverage_bar": lambda: plots.coverage_bar(a.coverage, settings=a.settings,
                                                   caption=caption, **common),
        "calendar_heatmap": lambda: plots.calendar_heatmap(a.counts, calendar=a.calendar,
                                                           names=ds.villages, caption=caption,
                                                           **common),
        "awareness_dotplot": lambda: plots.awareness_dotplot(
            a.rates, domain="awareness", settings=a.settings, names=ds.villages,
            survey_kind="government", **common),
        "topic_matrix": lambda: plots.topic_matrix(a.topics, settings=a.settings,
                                                   names=ds.villages, caption=caption, **common),
        "trend": lambda: plots.trend(ds.events, event_topics=ds.event_topics,
                                     calendar=a.calendar, start=a.period.start,
                                     end=a.period.end, caption=caption, **common),
        "training_chart": lambda: plots.training_chart(a.training, settings=a.settings,
                                                       **common),
    }


CHARTS = ["coverage_map", "coverage_bar", "calendar_heatmap", "awareness_dotplot",
          "topic_matrix", "trend", "training_chart"]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_on_the_sample_town(town, name, lang):
    ds, a = town
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = _charts(ds, a, lang)[name]()
    assert isinstance(fig, Figure)
    _check_drawn(fig, chinese=lang == "zh")
    badge = "示例数据（合成）" if lang == "zh" else "Sample data (synthetic)"
    assert badge in [t.get_text() for t in fig.findobj(Text)]


def test_sample_charts_show_every_village(town):
    ds, a = town
    n = len(ds.villages)
    charts = _charts(ds, a, "zh")
    assert len(charts["coverage_bar"]().axes[0].patches) == n
    assert charts["calendar_heatmap"]().axes[0].images[0].get_array().shape == \
        a.counts.shape == (n, len(a.counts.columns))
    assert len(charts["awareness_dotplot"]().axes[0].get_yticks()) == n
    assert charts["topic_matrix"]().axes[0].images[0].get_array().shape == \
        (n, len(a.settings.required_topics))
    names = set(ds.villages["village_name"])
    labelled = {t.get_text() for t in charts["coverage_map"]().axes[0].texts}
    assert names <= labelled


def test_save_on_the_sample_town(town, tmp_path):
    ds, a = town
    fig = _charts(ds, a, "zh")["coverage_map"]()
    paths = plots.save(fig, tmp_path / "figures" / "coverage_map")
    assert [p.suffix for p in paths] == [".png", ".pdf", ".svg"]
    assert b"/Type3" in paths[1].read_bytes()


def test_brief_on_the_sample_town(town, tmp_path):
    ds, a = town
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = brief(tmp_path, coverage=a.coverage, follow_up=a.follow_up, rates=a.rates,
                    counts=a.counts, training=a.training, geometry=ds.geometry,
                    calendar=a.calendar, events=ds.events, event_topics=ds.event_topics,
                    settings=a.settings, period=(a.period.start, a.period.end),
                    survey_kind="government", synthetic=True)
    pdf = out["pdf"].read_bytes()
    assert b"/Type3" in pdf
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 9
    html = out["html"].read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 7
    top = a.follow_up.sort_values("priority")["village_name"].iloc[0]
    assert f"<td>{top}</td>" in html
