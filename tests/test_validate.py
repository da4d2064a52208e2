"""kg.validate: the shipped shapes accept built graphs and catch broken ones."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, SDO, SKOS

from kg.graph import build_dataset, dump_trig, post_graph
from kg.ingest import Post
from kg.link import KG
from kg.parse import Entry
from kg.errors import StoreError
from kg.validate import (
    Report, Violation, load_ontology, load_shapes, validate, validate_outputs,
)
from kg.venues import Venue

I = "https://w3id.org/paperweekly-kg/id/"
GRAPH = URIRef(I + "graph/001-alpha")
ENTRY = URIRef(I + "post/001-alpha/entry/1")
PAPER = URIRef(I + "paper/pw2654")
EDITION = URIRef(I + "venue/aaai-2019")
CODE = URIRef(I + "code/github-com-example-gat-demo")


def _post(name: str, sha: str) -> Post:
    return Post(f"posts/{name}", name, "", "utf-8", sha * 64, "PaperDaily #12",
                datetime(2018, 12, 21, 15, 7, 6), 12)


def _entry(post: str, position: int, url: str | None, **kw) -> Entry:
    fields = dict(source=f"posts/{post}", post=post, position=position, kind="digest",
                  line=10 * position, paper_url=url, title="Graph Attention Demo",
                  recommender="zkt18", topics=("GNN", "图神经网络"), section="自然语言处理",
                  text="本文是一个手写的测试摘要。", code=("https://github.com/example/gat-demo",),
                  dataset_links=("https://example.org/data",), venue=Venue("AAAI", 2019))
    return Entry(**(fields | kw))


@pytest.fixture
def ds() -> Dataset:
    a, b = _post("001_alpha.txt", "a"), _post("002_beta.md", "b")
    return build_dataset([
        (a, [_entry(a.name, 1, "http://www.paperweekly.site/papers/2654"),
             _entry(a.name, 2, None, title=None, recommender=None, topics=(), section=None,
                    code=(), dataset_links=(), venue=Venue("arXiv", None, "", "submitted"))]),
        (b, [_entry(b.name, 1, "https://www.paperweekly.site/papers/2654", kind="note")]),
    ])


def _errors(report: Report) -> set[tuple[str, str | None]]:
    return {(v.focus, v.path) for v in report.errors}


def test_good_data_conforms(ds):
    report = validate(ds)
    assert report.conforms, report.text
    assert report.violations == ()
    assert validate(ds, inference=True).conforms


def test_plain_graph_of_one_post_conforms():
    post = _post("003_gamma.txt", "c")
    entry = _entry(post.name, 1, "https://arxiv.org/abs/1234.5678")
    assert validate(post_graph(post, [entry])).conforms


def test_entry_without_about(ds):
    ds.graph(GRAPH).remove((ENTRY, SDO.about, None))
    report = validate(ds)
    assert not report.conforms
    assert _errors(report) == {(str(ENTRY), str(SDO.about))}
    (v,) = report.errors
    assert v == Violation(str(ENTRY), str(SDO.about),
                          "an entry is about exactly one schema:ScholarlyArticle", "Violation")


def test_year_as_string(ds):
    for g in ds.graphs():
        if (EDITION, KG.year, None) in g:
            g.set((EDITION, KG.year, Literal("2019")))
    report = validate(ds)
    assert not report.conforms
    assert _errors(report) == {(str(EDITION), str(KG.year))}


def test_edition_without_series(ds):
    for g in ds.graphs():
        g.remove((EDITION, SDO.superEvent, None))
    assert _errors(validate(ds)) == {(str(EDITION), str(SDO.superEvent))}


def test_code_repository_literal(ds):
    for g in ds.graphs():
        if (CODE, SDO.codeRepository, None) in g:
            g.set((CODE, SDO.codeRepository, Literal("https://github.com/example/gat-demo")))
    assert _errors(validate(ds)) == {(str(CODE), str(SDO.codeRepository))}


def test_orphan_paper_and_typo_property(ds):
    g = ds.graph(GRAPH)
    orphan = URIRef(I + "paper/pw1")
    g.add((orphan, RDF.type, SDO.ScholarlyArticle))
    g.add((ENTRY, KG.summery, Literal("typo", lang="zh")))  # closed shape
    g.set((ENTRY, KG.kind, Literal("review")))
    assert _errors(validate(ds)) == {
        (str(orphan), f"^{SDO.about}"), (str(ENTRY), str(KG.summery)), (str(ENTRY), str(KG.kind))}


def test_posts_disagreeing_is_a_warning(ds):
    ds.graph(GRAPH).set((PAPER, DCTERMS.title, Literal("Another Title")))
    report = validate(ds)
    assert report.conforms and report.errors == ()
    assert [(v.focus, v.path, v.severity) for v in report.violations] == [
        (str(PAPER), str(DCTERMS.title), "Warning")]


def test_report_is_frozen(ds):
    report = validate(ds)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.conforms = False  # type: ignore[misc]


def test_ontology_declares_every_kg_term(ds):
    onto = load_ontology()
    assert (URIRef("https://w3id.org/paperweekly-kg/ns"), RDF.type, OWL.Ontology) in onto
    used = {t for s, p, o, _ in ds.quads((None, None, None, None)) for t in (p, o)
            if isinstance(t, URIRef) and t.startswith(str(KG))}
    assert KG.Post in used and KG.year in used
    for term in used:
        assert onto.value(term, RDFS.label) is not None, term
        assert onto.value(term, RDFS.comment) is not None, term
        if (term, RDF.type, OWL.Class) not in onto:
            assert onto.value(term, RDFS.domain) is not None, term
            assert onto.value(term, RDFS.range) is not None, term
    assert (KG.Entry, RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Entity")) in onto
    assert (KG.VenueEdition, RDFS.subClassOf, SDO.Event) in onto
    assert onto.value(KG.year, RDFS.range) == XSD.integer


def test_shapes_target_every_class():
    shapes = load_shapes()
    sh_target = URIRef("http://www.w3.org/ns/shacl#targetClass")
    targets = set(shapes.objects(None, sh_target))
    assert targets >= {KG.Post, KG.Entry, SDO.ScholarlyArticle, KG.VenueSeries, KG.VenueEdition,
                       SKOS.Concept, KG.CommunityUser, SDO.SoftwareSourceCode}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's TriG parser internals
def test_validate_outputs_reads_the_dump(ds, tmp_path):
    with pytest.raises(StoreError, match="run `kg build` first"):
        validate_outputs(tmp_path)
    (tmp_path / "graph.trig").write_bytes(dump_trig(ds))
    assert validate_outputs(tmp_path).conforms
    ds.graph(GRAPH).remove((ENTRY, SDO.about, None))
    (tmp_path / "graph.trig").write_bytes(dump_trig(ds))
    assert _errors(validate_outputs(tmp_path)) == {(str(ENTRY), str(SDO.about))}
