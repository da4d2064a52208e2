"""kg.api on the dev corpus: build and open, named queries and SPARQL into pandas, lookup, drawing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pyoxigraph as ox
import pytest

import kg
from kg.errors import QueryError, StoreError
from kg.results import Result


@pytest.fixture(scope="module")
def store(dev_built):
    return kg.open_store(dev_built)


def test_api_is_reexported_from_kg():
    from kg import api, netx, stats

    assert kg.query_df is api.query_df and kg.collaboration_graph is netx.collaboration_graph
    assert kg.graph_stats is stats.graph_stats
    assert set(api.__all__) | set(netx.__all__) - {"CHINESE_REGIONS", "EXPORTERS", "institution_countries"} | set(
        stats.__all__) == set(kg.__all__)
    with pytest.raises(AttributeError):
        kg.no_such_function  # noqa: B018


def test_build_store_builds_posts_into_a_folder(dev_dir, tmp_path):
    posts = sorted(dev_dir.glob("0001_*.md")) + sorted(dev_dir.glob("0003_*.md"))
    store = kg.build_store(posts, tmp_path / "two")
    assert (tmp_path / "two" / "store").is_dir()
    # one file per post, and the gazetteer graph (the gazetteers' entities they name)
    assert sorted(f.name for f in (tmp_path / "two" / "graphs").glob("*.trig")) == [
        "0001-34762375779.trig", "0003-34527305185.trig", "_gazetteer.trig"]
    posts_df = kg.query_df(store, "SELECT ?n WHERE { ?post <https://w3id.org/paperweekly-kg/ns#paperDailyNumber> ?n } ORDER BY ?n")
    assert posts_df["n"].tolist() == [1, 3]


def test_build_store_defaults_to_the_samples_in_a_temporary_folder():
    venues = kg.query_df(kg.build_store(), "venues")
    assert venues.loc[0, "venue"] == "AAAI 2019" and venues.loc[0, "papers"] == 3


def test_open_store_without_a_build_says_so(tmp_path):
    with pytest.raises(StoreError, match="kg build"):
        kg.open_store(tmp_path)


def test_named_query_to_frame_types(store):
    venues = kg.query_df(store, "venues")
    assert venues.columns.tolist() == ["venue", "papers", "with_code", "share_with_code"]
    assert venues.iloc[0].tolist() == ["ACL 2018", 8, 7, 0.875]
    assert str(venues["papers"].dtype) == "int64" and str(venues["share_with_code"].dtype) == "float64"
    assert isinstance(venues.loc[0, "venue"], str)
    assert venues["papers"].sum() == 53  # one row per paper and venue edition


def test_named_query_takes_any_label_of_an_entity(store):
    by_zh = kg.query_df(store, "papers-by-institution", institution="清华")
    by_en = kg.query_df(store, "papers-by-institution", institution="Tsinghua University")
    assert len(by_zh) == 4 and by_zh.equals(by_en)
    assert by_zh["institutions"].str.contains("Tsinghua University").all()


def test_dates_become_datetimes(store):
    posts = kg.query_df(store, "SELECT ?post ?date WHERE { ?post <http://purl.org/dc/terms/date> ?date }")
    assert len(posts) == 27 and pd.api.types.is_datetime64_any_dtype(posts["date"])
    assert posts["date"].min() == pd.Timestamp("2017-09-29") and posts["date"].max().year == 2018
    recommenders = kg.query_df(store, "recommenders")  # first/last: "2017-09-29" as text in the query
    assert pd.api.types.is_datetime64_any_dtype(recommenders["first"])
    top = recommenders.iloc[0]
    assert (top["recommender"], top["papers"], top["first"].date().isoformat()) == ("paperweekly", 22, "2017-09-29")


def test_sparql_with_bindings(store):
    sparql = "SELECT DISTINCT ?title ?paper WHERE { ?paper <http://purl.org/dc/terms/title> ?title }"  # bound: selected
    paper = ox.NamedNode("https://w3id.org/paperweekly-kg/id/paper/pw1008")
    titles = kg.query_df(store, sparql, paper=paper)
    assert titles["paper"].tolist() == [paper.value]
    assert titles["title"].tolist() == ["Progressive Growing of GANs for Improved Quality, Stability, and Variation"]
    assert kg.query_df(store, "SELECT ?x WHERE { ?x ?p ?x2 } LIMIT 0").empty


def test_query_errors_are_kg_errors(store):
    with pytest.raises(QueryError, match="syntax"):
        kg.query_df(store, "SELECT WHERE {")
    with pytest.raises(QueryError, match="no institution named"):
        kg.query_df(store, "papers-by-institution", institution="No Such University")


def test_to_frame_keeps_missing_numbers_as_nullable_integers():
    frame = kg.to_frame(Result(("topic", "papers", "share"), (("GAN", 2, 0.5), ("NMT", None, None))))
    assert str(frame["papers"].dtype) == "Int64" and frame["papers"].isna().tolist() == [False, True]
    assert frame["share"].tolist()[0] == 0.5


def test_lookup_by_any_label(store):
    tsinghua = kg.lookup(store, "清华")
    assert tsinghua.iloc[0].tolist() == ["https://w3id.org/paperweekly-kg/id/org/tsinghua-university", "org", "清华", True]
    microsoft = kg.lookup(store, "microsoft", type="org")
    assert microsoft["iri"].tolist()[:2] == ["https://w3id.org/paperweekly-kg/id/org/microsoft",
                                              "https://w3id.org/paperweekly-kg/id/org/microsoft-research-asia"]
    assert microsoft["exact"].tolist()[:2] == [True, False]
    assert kg.lookup(store, "pw2654")["type"].tolist() == ["paper"]
    assert kg.lookup(store, "no such thing at all").empty


def test_draw_writes_an_offline_page_of_a_view(store, tmp_path):
    C = kg.collaboration_graph(store)
    page = kg.draw(C, tmp_path / "orgs.html", lang="en").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Microsoft Research Asia" in page
    assert "2 shared papers" in page  # Microsoft Research Asia and Peking University share two
    zh = kg.draw(C, tmp_path / "orgs-zh.html").read_text(encoding="utf-8")
    assert "微软亚洲研究院" in zh
    G = kg.typed_graph(store)
    focus = G.subgraph(["https://w3id.org/paperweekly-kg/id/paper/pw2654", *G["https://w3id.org/paperweekly-kg/id/paper/pw2654"]])
    page = kg.draw(focus, tmp_path / "paper.html").read_text(encoding="utf-8")
    assert "香港中文大学" in page and "affiliation" in page  # the evidence of the institution


def test_plot_draws_with_matplotlib(store):
    import matplotlib.pyplot as plt

    C = kg.collaboration_graph(store)
    _, ax = plt.subplots()
    assert kg.plot(C, ax=ax, labels=5) is ax
    assert len(ax.texts) == 5 and "Microsoft" in {t.get_text() for t in ax.texts}
    assert len(kg.plot(C, lang="zh", labels=3).texts) == 3
    plt.close("all")


def test_use_cjk_font_sets_matplotlib_when_installed():
    name = kg.use_cjk_font()
    if name is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    assert matplotlib.rcParams["font.sans-serif"][0] == name
