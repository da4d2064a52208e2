"""kg.netx on the dev corpus: the views, their analytics and exports."""

from __future__ import annotations

import csv
from collections import Counter

import networkx as nx
import pytest

import kg
from kg.errors import KgError
from kg.netx import CHINESE_REGIONS, institution_countries

ORG = "https://w3id.org/paperweekly-kg/id/org/"
TASK = "https://w3id.org/paperweekly-kg/id/task/"


@pytest.fixture(scope="module")
def store(dev_built):
    return kg.open_store(dev_built)


@pytest.fixture(scope="module")
def bipartite(store):
    return kg.paper_institution_graph(store)


@pytest.fixture(scope="module")
def collab(bipartite):
    return kg.collaboration_graph(bipartite)


@pytest.fixture(scope="module")
def topics(store):
    return kg.topic_graph(store)


def test_paper_institution_graph(bipartite):
    kinds = Counter(t for _, t in bipartite.nodes(data="type"))
    assert kinds == {"paper": 74, "org": 63} and bipartite.number_of_edges() == 103
    papers = {n for n, b in bipartite.nodes(data="bipartite") if b == 0}
    assert nx.bipartite.is_bipartite_node_set(bipartite, papers)
    assert bipartite.nodes[ORG + "stanford-university"]["papers"] == 6
    paper = bipartite.nodes["https://w3id.org/paperweekly-kg/id/paper/pw2654"]
    assert (paper["venue"], paper["year"], paper["first_post"]) == ("AAAI 2019", 2019, "2018-12-21")
    assert ORG + "the-chinese-university-of-hong-kong" in bipartite["https://w3id.org/paperweekly-kg/id/paper/pw2654"]


def test_institutions_know_their_country(bipartite):
    msra, microsoft = bipartite.nodes[ORG + "microsoft-research-asia"], bipartite.nodes[ORG + "microsoft"]
    assert (msra["country"], msra["chinese"], msra["label_zh"], msra["parent"]) == ("CN", True, "微软亚洲研究院", ORG + "microsoft")
    assert (microsoft["country"], microsoft["chinese"]) == ("US", False)
    assert bipartite.nodes[ORG + "the-chinese-university-of-hong-kong"]["country"] == "HK"
    assert bipartite.nodes[ORG + "google-brain"]["country"] == "US"
    countries = Counter(d["country"] for _, d in bipartite.nodes(data=True) if d["type"] == "org")
    assert countries["US"] == 27 and countries["CN"] == 20 and countries[None] == 3  # 3 no gazetteer lists
    assert CHINESE_REGIONS == {"CN", "HK", "MO", "TW"}


def test_every_country_row_names_a_gazetteer_institution():
    from kg.gazetteer import gazetteer

    known = {e.id for e in gazetteer().entities.values() if e.type == "institution"}
    table = institution_countries()
    assert set(table) <= known and len(table) >= 600
    assert all(len(code) == 2 and code.isupper() for code in table.values())


def test_collaboration_graph(collab):
    assert len(collab) == 63 and collab.number_of_edges() == 32
    assert collab.edges[ORG + "microsoft-research-asia", ORG + "peking-university"]["weight"] == 2
    assert collab.edges[ORG + "tencent-ai-lab", ORG + "the-chinese-university-of-hong-kong"]["weight"] == 2
    assert sum(w for *_, w in collab.edges(data="weight")) == 34
    assert len(collab.edges[ORG + "tencent-ai-lab", ORG + "the-chinese-university-of-hong-kong"]["papers"]) == 2
    assert nx.number_of_isolates(collab) == 26


def test_collaboration_graph_from_a_store_is_the_same(store, collab):
    again = kg.collaboration_graph(store)
    assert nx.utils.graphs_equal(again, collab)


def test_centrality_ranks_institutions(collab):
    table = kg.centrality(collab)
    assert table.columns.tolist() == ["label", "degree", "strength", "betweenness", "pagerank"]
    top = table.iloc[0]
    assert (top["label"], top["degree"], top["strength"]) == ("Microsoft", 5, 5)
    assert table.loc[ORG + "tencent-ai-lab", ["degree", "strength"]].tolist() == [4, 5]
    assert table["betweenness"].idxmax() == ORG + "tsinghua-university"
    assert abs(table["pagerank"].sum() - 1) < 1e-9 and len(table) == 63


def test_communities_partition_the_graph(collab):
    groups = kg.communities(collab)
    assert sorted(n for g in groups for n in g) == sorted(collab)
    assert [len(g) for g in groups[:3]] == [8, 7, 5]
    labels = sorted(collab.nodes[n]["label"] for n in groups[0])
    assert {"Microsoft", "Microsoft Research Asia", "Peking University", "Tsinghua University"} <= set(labels)
    assert kg.communities(collab) == groups  # the same every run


def test_topic_graph_merges_a_topic_and_its_task(topics):
    node = topics.nodes[TASK + "object-detection"]
    assert node["kind"] == "topic+task" and node["label"] == "Object Detection" and node["label_zh"] == "目标检测"
    assert "https://w3id.org/paperweekly-kg/id/topic/object-detection" in node["iris"]
    assert "https://w3id.org/paperweekly-kg/id/topic/object-detection" not in topics
    assert len(topics) == 206 and topics.number_of_edges() == 245
    assert topics.nodes[TASK + "representation-learning"]["papers"] >= 5


def test_topics_alone_rarely_co_occur(store):
    alone = kg.topic_graph(store, tasks=False)
    assert {k for _, k in alone.nodes(data="kind")} == {"topic"} and alone.number_of_edges() == 0


def test_bridges_between_topics(topics):
    table = kg.bridges(topics)
    assert table.iloc[0]["label"] == "Representation Learning" and table.iloc[0]["groups"] == 3
    assert (table["groups"] >= 2).all() and table["betweenness"].is_monotonic_decreasing
    assert "Question Answering" in table["label"].head(5).tolist()


def test_typed_graph(store):
    G = kg.typed_graph(store)
    assert isinstance(G, nx.MultiDiGraph) and len(G) > 1000
    types = Counter(t for _, t in G.nodes(data="type"))
    orgs = kg.query_df(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a <http://www.w3.org/ns/org#Organization> }")
    assert types["paper"] == 152 and types["post"] == 27 and types["org"] == orgs.n[0]
    relations = Counter(k for *_, k in G.edges(keys=True))
    assert relations["schema:sourceOrganization"] == 103 and relations["kg:venue"] == 53
    edge = G.edges["https://w3id.org/paperweekly-kg/id/paper/pw2654", ORG + "the-chinese-university-of-hong-kong",
                   "schema:sourceOrganization"]
    assert edge["evidence"] == [{"relation": "schema:sourceOrganization", "exact": "香港中文大学", "prefix": "本文是",
                                 "suffix": "发表于 AAAI 201", "rule": "affiliation-template", "confidence": 0.95}]
    # one piece of evidence per fact and entry: Focal Loss, named three times in pw2654's entry
    focal = G.edges["https://w3id.org/paperweekly-kg/id/paper/pw2654",
                    "https://w3id.org/paperweekly-kg/id/method/focal-loss", "kg:usesMethod"]["evidence"]
    assert [e["exact"] for e in focal] == ["Focal Loss"] and focal[0]["prefix"].endswith("这种思路和 ")
    assert sum(len(d["evidence"]) for *_, d in G.edges(data=True)) == 1113
    assert G.nodes[ORG + "microsoft-research-asia"]["label"] == "Microsoft Research Asia"


def test_exports_round_trip(collab, store, tmp_path):
    for fmt in ("graphml", "gexf"):
        path = kg.export_graph(collab, tmp_path / f"collab.{fmt}")
        back = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
        assert len(back) == 63 and back.number_of_edges() == 32
        edge = back.edges[ORG + "microsoft-research-asia", ORG + "peking-university"]
        assert int(edge["weight"]) == 2 and edge["papers"].count("; ") == 1
    with open(kg.export_graph(collab, tmp_path / "collab.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 32 and {"source", "target", "source_label", "target_label", "weight", "papers"} <= set(rows[0])
    assert any(r["source_label"] == "Microsoft Research Asia" and r["weight"] == "2" for r in rows)
    G = kg.typed_graph(store)
    back = nx.read_gexf(kg.export_graph(G, tmp_path / "all.gexf"))
    assert back.number_of_edges() == G.number_of_edges()
    assert nx.read_graphml(kg.export_graph(G, tmp_path / "all.xml", fmt="graphml")).number_of_edges() == G.number_of_edges()


def test_export_unknown_format(collab, tmp_path):
    with pytest.raises(KgError, match="unknown graph format 'dot'"):
        kg.export_graph(collab, tmp_path / "g.dot")


def test_analytics_on_small_graphs():
    empty = nx.Graph()
    assert kg.centrality(empty).empty and kg.communities(empty) == [] and kg.bridges(empty).empty
    star = nx.Graph([("hub", x, {"weight": 1}) for x in "abc"])
    assert kg.centrality(star).index[0] == "hub"
    assert kg.bridges(nx.path_graph(2)).empty  # one group: nothing to bridge
