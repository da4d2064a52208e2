"""kg.graph: triples per post, named graphs, canonical TriG."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pyoxigraph
import pytest
from rdflib import RDF, RDFS, XSD, BNode, Dataset, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SDO, SKOS

from kg.graph import TOPIC_SCHEME, build_dataset, dump_trig, has_cjk, post_graph, web_iri
from kg.ingest import Post
from kg.link import ID, KG
from kg.parse import Entry
from kg.venues import Venue

I = "https://w3id.org/paperweekly-kg/id/"
PAPER = URIRef(I + "paper/pw2654")
POST_A, POST_B = URIRef(I + "post/001-alpha"), URIRef(I + "post/002-beta")
GRAPH_A, GRAPH_B = URIRef(I + "graph/001-alpha"), URIRef(I + "graph/002-beta")
AAAI, AAAI_2019 = URIRef(I + "venue/aaai"), URIRef(I + "venue/aaai-2019")


def _post(name: str, **kw) -> Post:
    fields = dict(path=f"posts/{name}", name=name, text="", encoding="utf-8", sha256="0" * 64,
                  title=None, published=None, number=None)
    return Post(**(fields | kw))


def _entry(post: str, position: int, **kw) -> Entry:
    fields = dict(source=f"posts/{post}", post=post, position=position, kind="digest",
                  line=10 * position, paper_url=None, title=None, recommender=None, topics=(),
                  section=None, text="", code=(), dataset_links=(), venue=None)
    return Entry(**(fields | kw))


@pytest.fixture
def items() -> list[tuple[Post, list[Entry]]]:
    """Two posts; both recommend paperweekly paper 2654 (once http, once https)."""
    a = _post("001_alpha.txt", sha256="a" * 64, title="PaperDaily #12 | 图神经网络",
              published=datetime(2018, 12, 21, 15, 7, 6), number=12)
    b = _post("002_beta.md", sha256="b" * 64)
    a1 = _entry("001_alpha.txt", 1, paper_url="http://www.paperweekly.site/papers/2654",
                title="Graph Attention Demo", recommender="zkt18",
                topics=("Graph Neural Networks", "图神经网络"), section="自然语言处理",
                text="本文是一个手写的测试摘要。", code=("https://github.com/example/gat-demo",),
                dataset_links=("https://example.org/data/demo",),
                venue=Venue("AAAI", 2019, "AAAI 2019"))
    a2 = _entry("001_alpha.txt", 2, title='Tricky "quotes" \\ and\ttabs',
                text='第一行\n第二行 "引号" \\ 反斜杠',
                venue=Venue("arXiv", None, "arXiv", "submitted"))
    b1 = _entry("002_beta.md", 1, kind="note", line=3,
                paper_url="https://www.paperweekly.site/papers/2654",
                title="Graph Attention Demo", venue=Venue("AAAI", 2019, "AAAI'19"))
    return [(a, [a1, a2]), (b, [b1])]


def _union(ds: Dataset) -> set[tuple]:
    return {(s, p, o) for s, p, o, _ in ds.quads((None, None, None, None))}


def test_same_paper_in_two_posts_is_one_node(items):
    ds = build_dataset(items)
    union = _union(ds)
    about = {o for s, p, o in union if p == SDO.about}
    unlinked = URIRef(I + "paper/x" + hashlib.sha1(b"001_alpha.txt#2").hexdigest()[:12])
    assert about == {PAPER, unlinked}
    assert {s for s, p, o in union if p == SDO.about and o == PAPER} == {
        URIRef(I + "post/001-alpha/entry/1"), URIRef(I + "post/002-beta/entry/1")}
    assert {o for s, p, o in union if s == PAPER and p == SDO.url} == {
        URIRef("https://www.paperweekly.site/papers/2654")}
    assert (PAPER, KG.paperweeklyId, Literal("2654")) in union
    assert (PAPER, RDF.type, SDO.ScholarlyArticle) in ds.graph(GRAPH_A)
    assert (PAPER, RDF.type, SDO.ScholarlyArticle) in ds.graph(GRAPH_B)


def test_named_graphs_hold_their_posts_triples(items):
    ds = build_dataset(items)
    named = {g.identifier for g in ds.graphs() if len(g)}
    assert named == {GRAPH_A, GRAPH_B}
    assert len(ds.default_graph) == 0
    assert (POST_A, KG.sourceFile, Literal("001_alpha.txt")) in ds.graph(GRAPH_A)
    assert (POST_A, None, None) not in ds.graph(GRAPH_B)
    assert set(ds.graph(GRAPH_A)) == set(post_graph(*items[0]))
    assert {p for p, _ in ds.namespaces()} >= {"kg", "schema", "dcterms", "skos", "prov", "org", "xsd"}


def test_post_b_graph_exactly(items):
    entry = URIRef(I + "post/002-beta/entry/1")
    expected = {
        (POST_B, RDF.type, PROV.Entity), (POST_B, RDF.type, KG.Post),
        (POST_B, KG.sourceFile, Literal("002_beta.md")), (POST_B, KG.sha256, Literal("b" * 64)),
        (entry, RDF.type, KG.Entry), (entry, KG.position, Literal(1, datatype=XSD.integer)),
        (entry, KG.inPost, POST_B), (entry, SDO.about, PAPER),
        (entry, KG.line, Literal(3, datatype=XSD.integer)), (entry, KG.kind, Literal("note")),
        (PAPER, RDF.type, SDO.ScholarlyArticle),
        (PAPER, SDO.url, URIRef("https://www.paperweekly.site/papers/2654")),
        (PAPER, KG.paperweeklyId, Literal("2654")),
        (PAPER, DCTERMS.title, Literal("Graph Attention Demo")),
        (PAPER, KG.venue, AAAI_2019),
        (AAAI, RDF.type, SDO.Event), (AAAI, RDF.type, KG.VenueSeries),
        (AAAI, RDFS.label, Literal("AAAI")), (AAAI, SKOS.prefLabel, Literal("AAAI", lang="en")),
        (AAAI_2019, RDF.type, SDO.Event), (AAAI_2019, RDF.type, KG.VenueEdition),
        (AAAI_2019, RDFS.label, Literal("AAAI 2019")),
        (AAAI_2019, SKOS.prefLabel, Literal("AAAI 2019", lang="en")),
        (AAAI_2019, SDO.superEvent, AAAI), (AAAI_2019, KG.year, Literal(2019, datatype=XSD.integer)),
    }
    assert set(post_graph(*items[1])) == expected


def test_post_a_literals_and_shared_nodes(items):
    g = post_graph(*items[0])
    e1 = URIRef(I + "post/001-alpha/entry/1")
    date = g.value(POST_A, DCTERMS.date)
    assert (str(date), date.datatype) == ("2018-12-21T15:07:06", XSD.dateTime)
    assert g.value(POST_A, KG.paperDailyNumber) == Literal(12, datatype=XSD.integer)
    title = g.value(POST_A, DCTERMS.title)
    assert (str(title), title.datatype, title.language) == ("PaperDaily #12 | 图神经网络", None, None)
    assert g.value(e1, KG.section) == Literal("自然语言处理", lang="zh")
    assert g.value(e1, KG.summary) == Literal("本文是一个手写的测试摘要。", lang="zh")
    user = URIRef(I + "user/zkt18")
    assert g.value(e1, KG.recommendedBy) == user
    assert set(g.predicate_objects(user)) == {
        (RDF.type, SDO.Person), (RDF.type, KG.CommunityUser),
        (SDO.name, Literal("zkt18")), (RDFS.label, Literal("zkt18"))}
    topics = set(g.objects(PAPER, DCTERMS.subject))
    assert URIRef(I + "topic/graph-neural-networks") in topics and len(topics) == 2
    labels = {g.value(t, SKOS.prefLabel) for t in topics}
    assert labels == {Literal("Graph Neural Networks", lang="en"), Literal("图神经网络", lang="zh")}
    assert all((t, SKOS.inScheme, TOPIC_SCHEME) in g for t in topics)
    assert (TOPIC_SCHEME, RDF.type, SKOS.ConceptScheme) in g
    code = URIRef(I + "code/github-com-example-gat-demo")
    assert set(g.predicate_objects(code)) == {
        (RDF.type, SDO.SoftwareSourceCode),
        (SDO.codeRepository, URIRef("https://github.com/example/gat-demo"))}
    assert (PAPER, KG.code, code) in g
    assert (PAPER, KG.datasetLink, URIRef("https://example.org/data/demo")) in g
    arxiv = URIRef(I + "venue/arxiv")
    paper2 = g.value(URIRef(I + "post/001-alpha/entry/2"), SDO.about)
    assert g.value(paper2, KG.venue) == arxiv and g.value(paper2, KG.venueStatus) == Literal("submitted")
    assert set(g.objects(arxiv, RDF.type)) == {SDO.Event, KG.VenueSeries}
    assert (arxiv, KG.year, None) not in g and (paper2, SDO.url, None) not in g
    assert not any(isinstance(t, BNode) for triple in g for t in triple)


def test_dump_is_deterministic(items):
    first = dump_trig(build_dataset(items))
    assert dump_trig(build_dataset(items)) == first
    assert dump_trig(build_dataset(list(reversed(items)))) == first
    shuffled = [(post, list(reversed(entries))) for post, entries in reversed(items)]
    assert dump_trig(build_dataset(shuffled)) == first
    text = first.decode("utf-8")
    assert text.index(f"<{GRAPH_A}> {{") < text.index(f"<{GRAPH_B}> {{")
    assert "@prefix kg: <https://w3id.org/paperweekly-kg/ns#> ." in text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's TriG parser internals
def test_dump_parses_back_with_rdflib_and_oxigraph(items):
    ds = build_dataset(items)
    quads = {(s, p, o, g) for s, p, o, g in ds.quads((None, None, None, None))}
    data = dump_trig(ds)
    back = Dataset()
    back.parse(data=data, format="trig")
    assert {(s, p, o, g) for s, p, o, g in back.quads((None, None, None, None))} == quads
    store = pyoxigraph.Store()
    store.load(data, format=pyoxigraph.RdfFormat.TRIG)
    assert len(store) == len(quads) == 89
    names = {q.graph_name.value for q in store}
    assert names == {str(GRAPH_A), str(GRAPH_B)}


def test_same_post_again_replaces_its_graph(items):
    (a, entries), _ = items
    ds = build_dataset([(a, entries), (a, entries[:1])])
    assert (URIRef(I + "post/001-alpha/entry/2"), None, None) not in ds.graph(GRAPH_A)
    assert set(ds.graph(GRAPH_A)) == set(post_graph(a, entries[:1]))


def test_links_become_valid_iris():
    assert web_iri(" https://github.com/a/b c ") == URIRef("https://github.com/a/b%20c")
    assert web_iri("github.com/a/b") == URIRef("http://github.com/a/b")
    assert has_cjk("图") and not has_cjk("GNN")
    ds = Dataset()
    ds.graph(ID["graph/bad"]).add((ID["x"], KG.code, URIRef("https://bad iri")))
    with pytest.raises(ValueError, match="not a valid IRI"):
        dump_trig(ds)


# --- facts and their evidence -------------------------------------------------------------------
OA = Namespace("http://www.w3.org/ns/oa#")
EV_TEXT = "在 COCO 上，清华大学的团队提出 GHM。本文是清华大学和商汤科技发表于 AAAI 2019 的工作，COCO 上提升了 mAP。"


@pytest.fixture
def evidence_graph(monkeypatch):
    """One entry naming COCO and 清华大学 twice each; the first COCO is made less sure than the
    second, so that the second is its best mention."""
    import dataclasses

    import kg.graph
    from kg.extract import extract_entry

    def extract(entry):
        found = list(extract_entry(entry))
        assert [(m.type, m.start) for m in found if m.type in ("dataset", "institution")] == [
            ("dataset", 2), ("institution", 9), ("institution", 26), ("institution", 31), ("dataset", 53)]
        return [dataclasses.replace(m, confidence=0.5) if (m.type, m.start) == ("dataset", 2) else m
                for m in found]

    monkeypatch.setattr(kg.graph, "extract_entry", extract)
    post = _post("003_gamma.txt", sha256="c" * 64)
    entry = _entry(post.name, 1, paper_url="http://www.paperweekly.site/papers/2654", text=EV_TEXT,
                   venue=Venue("AAAI", 2019, "AAAI 2019"))
    return post_graph(post, [entry])


def test_one_annotation_per_fact_and_entry_at_its_best_mention(evidence_graph):
    g = evidence_graph
    entry = URIRef(I + "post/003-gamma/entry/1")
    assert [(m, EV_TEXT[m:m + 4]) for m in (2, 9, 26, 53)] == [
        (2, "COCO"), (9, "清华大学"), (26, "清华大学"), (53, "COCO")]
    annotations = set(g.subjects(RDF.type, OA.Annotation))
    keys = {str(a).rsplit("/", 1)[1] for a in annotations}
    # COCO at 53 (0.9 beats 0.5), 清华大学 at 9 (as sure as at 26, and first), the venue's quote
    assert keys == {"dataset-53", "institution-9", "institution-31", "method-19", "metric-63",
                    f"venue-{EV_TEXT.index('AAAI 2019')}"}
    assert all(str(a).startswith(f"{entry}/evidence/") for a in annotations)
    facts = {(g.value(a, KG.predicate), g.value(a, OA.hasBody)) for a in annotations}
    assert len(facts) == len(annotations)  # one annotation per fact
    for pred, body in facts:
        assert (PAPER, pred, body) in g
    assert {p for p, _ in facts} == {SDO.sourceOrganization, KG.usesDataset, KG.proposesMethod,
                                     KG.reportsMetric, KG.venue}


def test_an_annotation_is_eleven_triples(evidence_graph):
    g = evidence_graph
    entry = URIRef(I + "post/003-gamma/entry/1")
    ev = URIRef(f"{entry}/evidence/dataset-53")
    target, position = URIRef(f"{ev}#target"), URIRef(f"{ev}#position")
    coco = ID["dataset/ms-coco"]
    assert g.value(coco, RDFS.label) == Literal("MS COCO")
    triples = {t for t in g if t[0] in (ev, target, position)}
    assert triples == {
        (ev, RDF.type, OA.Annotation),
        (ev, OA.hasBody, coco),
        (ev, KG.predicate, KG.usesDataset),
        (ev, OA.hasTarget, target),
        (ev, PROV.wasGeneratedBy, ID["rule/gazetteer"]),
        (ev, KG.confidence, Literal("0.90", datatype=XSD.decimal)),
        (target, OA.hasSource, entry),
        (target, OA.hasSelector, position),
        (position, RDF.type, OA.TextPositionSelector),
        (position, OA.start, Literal(53, datatype=XSD.nonNegativeInteger)),
        (position, OA.end, Literal(57, datatype=XSD.nonNegativeInteger)),
    }
    assert g.value(entry, SDO.about) == PAPER  # the fact's subject
    assert str(g.value(entry, KG.summary))[53:57] == "COCO"  # the quote
    # every annotation: the same eleven triples, its quote the summary at its offsets
    annotations = set(g.subjects(RDF.type, OA.Annotation))
    nodes = {n for a in annotations for n in (a, URIRef(f"{a}#target"), URIRef(f"{a}#position"))}
    assert sum(1 for t in g if t[0] in nodes) == 11 * len(annotations)
    offsets = {a: (int(g.value(URIRef(f"{a}#position"), OA.start)),
                   int(g.value(URIRef(f"{a}#position"), OA.end))) for a in annotations}
    assert sorted(EV_TEXT[start:end] for start, end in offsets.values()) == sorted(
        ["清华大学", "GHM", "商汤科技", "COCO", "mAP", "AAAI 2019"])
    assert all(str(a).endswith(f"-{start}") for a, (start, _) in offsets.items())
    # nothing of the old, reified model
    used = {p for _, p, _ in g} | {o for _, p, o in g if p == RDF.type}
    assert not used & {RDF.Statement, RDF.subject, RDF.predicate, RDF.object, OA.motivatedBy,
                       OA.TextQuoteSelector, OA.SpecificResource, OA.exact, OA.prefix,
                       OA.suffix, PROV.hadPrimarySource}
    rule = ID["rule/gazetteer"]
    assert set(g.predicate_objects(rule)) >= {(RDF.type, PROV.Activity), (RDF.type, KG.Rule),
                                              (RDFS.label, Literal("gazetteer"))}
