"""kg.validate: the shipped shapes accept built graphs and catch broken ones."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, SDO, SKOS

from kg.graph import build_dataset, dump_trig, post_graph
from kg.ingest import Post
from kg.link import KG
from kg.parse import Entry
from kg.errors import StoreError
from kg.store import load_memory, write_outputs
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
                       SKOS.Concept, KG.CommunityUser, SDO.SoftwareSourceCode,
                       ORG.Organization, SDO.Organization, SDO.Dataset, KG.Method, KG.Task, KG.Metric,
                       SDO.Person, KG.Rule, OA.Annotation, OA.TextPositionSelector}
    assert OA.hasTarget in set(shapes.objects(None, URIRef("http://www.w3.org/ns/shacl#targetObjectsOf")))


def test_validate_outputs_reads_the_graph_files(ds, tmp_path):
    with pytest.raises(StoreError, match="run `kg build` first"):
        validate_outputs(tmp_path)
    write_outputs(dump_trig(ds), tmp_path)
    assert validate_outputs(tmp_path).conforms
    ds.graph(GRAPH).remove((ENTRY, SDO.about, None))
    write_outputs(dump_trig(ds), tmp_path)
    assert _errors(validate_outputs(tmp_path)) == {(str(ENTRY), str(SDO.about))}


# ---------------------------------------------------------------- extracted entities, facts, evidence
# A small hand-written graph in the shape schema/README.md gives (not built by kg.graph, so that
# these tests pin the shapes, whatever the extractor finds): one post, one entry whose summary
# mentions one entity of each type, each fact with its evidence.

OA = Namespace("http://www.w3.org/ns/oa#")
EV_POST = URIRef(I + "post/009-ev")
EV_GRAPH = URIRef(I + "graph/009-ev")
EV_ENTRY = URIRef(I + "post/009-ev/entry/1")
EV_PAPER = URIRef(I + "paper/pw9000")
USER = URIRef(I + "user/zkt18")
THU, MSRA, MICROSOFT = (URIRef(I + f"org/{k}") for k in ("tsinghua-university", "msra", "microsoft"))
THU_ROR = "https://ror.org/03cve4549"
IMAGENET = URIRef(I + "dataset/imagenet")
GRAPHNET, LSTM = URIRef(I + "method/graphnet"), URIRef(I + "method/lstm")
CLASSIFICATION = URIRef(I + "task/image-classification")
ACCURACY = URIRef(I + "metric/accuracy")
ZHOU = URIRef(I + "person/zhou-ming")
SUMMARY = ("本文是清华大学和微软亚洲研究院发表于 AAAI 2019 的工作。作者提出了 GraphNet 模型，"
           "结合 LSTM，在 ImageNet 数据集上研究图像分类，以准确率评价。周明老师团队。")
# (type, text as written, predicate, entity, rule)
MENTIONS = [
    ("institution", "清华大学", SDO.sourceOrganization, THU, "affiliation-template"),
    ("institution", "微软亚洲研究院", SDO.sourceOrganization, MSRA, "affiliation-template"),
    ("method", "GraphNet", KG.proposesMethod, GRAPHNET, "proposed-name"),
    ("method", "LSTM", KG.usesMethod, LSTM, "gazetteer"),
    ("dataset", "ImageNet", KG.usesDataset, IMAGENET, "gazetteer"),
    ("task", "图像分类", KG.addressesTask, CLASSIFICATION, "gazetteer"),
    ("metric", "准确率", KG.reportsMetric, ACCURACY, "gazetteer"),
    ("person", "周明", KG.mentionsPerson, ZHOU, "person-pattern"),
]


def _ev(type_: str, text: str) -> URIRef:
    return URIRef(f"{EV_ENTRY}/evidence/{type_}-{SUMMARY.index(text)}")


EV_THU = _ev("institution", "清华大学")
EV_THU_START = 3  # 清华大学 is summary characters [3, 7) (UTF-8 bytes [9, 21))
EV_DATA = _ev("dataset", "ImageNet")
RULE_AFFILIATION, RULE_GAZETTEER = URIRef(I + "rule/affiliation-template"), URIRef(I + "rule/gazetteer")


def _entity(g: Graph, node: URIRef, types, label: str, en: str | None, zh: str | None, *alt: Literal) -> None:
    for t in types:
        g.add((node, RDF.type, t))
    g.add((node, RDFS.label, Literal(label)))
    for text, lang in ((en, "en"), (zh, "zh")):
        if text:
            g.add((node, SKOS.prefLabel, Literal(text, lang=lang)))
    for a in alt:
        g.add((node, SKOS.altLabel, a))


def _concept(g: Graph, node: URIRef, cls: URIRef, scheme: str, label: str, zh: str | None = None) -> None:
    _entity(g, node, (cls, SKOS.Concept), label, label, zh)
    g.add((node, SKOS.inScheme, URIRef(I + f"scheme/{scheme}")))
    g.add((URIRef(I + f"scheme/{scheme}"), RDF.type, SKOS.ConceptScheme))
    g.add((URIRef(I + f"scheme/{scheme}"), SKOS.prefLabel, Literal(scheme.title(), lang="en")))


def _annotation(g: Graph, ev: URIRef, pred: URIRef, entity: URIRef, rule: str, start: int, length: int,
                entry: URIRef = EV_ENTRY) -> None:
    """The eleven triples of a piece of evidence (schema/README.md "Evidence") and its rule."""
    target, position = URIRef(f"{ev}#target"), URIRef(f"{ev}#position")
    rule_node = URIRef(I + f"rule/{rule}")
    for p, o in ((RDF.type, OA.Annotation), (OA.hasBody, entity), (KG.predicate, pred), (OA.hasTarget, target),
                 (PROV.wasGeneratedBy, rule_node), (KG.confidence, Literal(Decimal("0.95"), datatype=XSD.decimal))):
        g.add((ev, p, o))
    g.add((target, OA.hasSource, entry))
    g.add((target, OA.hasSelector, position))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
    g.add((position, OA.end, Literal(start + length, datatype=XSD.nonNegativeInteger)))
    g.add((rule_node, RDF.type, PROV.Activity))
    g.add((rule_node, RDF.type, KG.Rule))
    g.add((rule_node, RDFS.label, Literal(rule)))
    g.add((rule_node, RDFS.comment, Literal(f"what {rule} looks for", lang="en")))


@pytest.fixture
def evg() -> Dataset:
    """One post's named graph with every kind of extracted entity, fact and evidence."""
    ds = Dataset()
    g = ds.graph(EV_GRAPH)
    g.add((EV_POST, RDF.type, KG.Post))
    g.add((EV_POST, RDF.type, PROV.Entity))
    g.add((EV_POST, KG.sourceFile, Literal("009_ev.txt")))
    g.add((EV_POST, KG.sha256, Literal("e" * 64)))
    _add_entry(g, EV_ENTRY, 1, 3, EV_PAPER, SUMMARY)
    g.add((EV_ENTRY, KG.recommendedBy, USER))
    for t in (SDO.Person, KG.CommunityUser):
        g.add((USER, RDF.type, t))
    g.add((USER, SDO.name, Literal("zkt18")))
    g.add((USER, RDFS.label, Literal("zkt18")))
    g.add((EV_PAPER, RDF.type, SDO.ScholarlyArticle))
    g.add((EV_PAPER, DCTERMS.title, Literal("GraphNet")))

    org_types = (ORG.Organization, SDO.Organization)
    _entity(g, THU, org_types, "Tsinghua University", "Tsinghua University", "清华大学",
            Literal("THU", lang="en"), Literal("清华", lang="zh"))
    _entity(g, MSRA, org_types, "Microsoft Research Asia", "Microsoft Research Asia", "微软亚洲研究院",
            Literal("MSRA", lang="en"))
    _entity(g, MICROSOFT, org_types, "Microsoft", "Microsoft", "微软")
    g.add((MSRA, ORG.subOrganizationOf, MICROSOFT))
    for link in (THU_ROR, "http://www.wikidata.org/entity/Q16955"):
        g.add((THU, OWL.sameAs, URIRef(link)))
        g.add((THU, SDO.sameAs, URIRef(link)))
    _entity(g, IMAGENET, (SDO.Dataset,), "ImageNet", "ImageNet", None)
    _concept(g, GRAPHNET, KG.Method, "methods", "GraphNet")
    _concept(g, LSTM, KG.Method, "methods", "LSTM", "长短期记忆网络")
    _concept(g, CLASSIFICATION, KG.Task, "tasks", "image classification", "图像分类")
    _concept(g, ACCURACY, KG.Metric, "metrics", "accuracy", "准确率")
    _entity(g, ZHOU, (SDO.Person,), "Zhou Ming", "Zhou Ming", "周明")
    g.add((ZHOU, SDO.name, Literal("Zhou Ming")))

    for type_, text, pred, entity, rule in MENTIONS:
        g.add((EV_PAPER, pred, entity))
        _annotation(g, _ev(type_, text), pred, entity, rule, SUMMARY.index(text), len(text))
    return ds


def _set(ds: Dataset, s, p, o) -> None:
    ds.graph(EV_GRAPH).set((s, p, o))


def _messages(report: Report) -> list[tuple[str, str]]:
    return [(v.focus, v.message) for v in report.errors]


COMPLEX = "(complex path)"  # how kg.validate shows a sequence path such as ( oa:hasTarget oa:hasSource kg:summary )
NO_SUMMARY = "the entry the evidence quotes has no kg:summary to quote"
NO_PAPER = "the entry the evidence quotes is not about exactly one schema:ScholarlyArticle, the subject of its fact"
EV_ZHOU = _ev("person", "周明")


def _offsets(ds: Dataset, ev: URIRef, start: int, end: int) -> None:
    position = URIRef(f"{ev}#position")
    _set(ds, position, OA.start, Literal(start, datatype=XSD.nonNegativeInteger))
    _set(ds, position, OA.end, Literal(end, datatype=XSD.nonNegativeInteger))


def test_evidence_graph_conforms(evg):
    assert EV_THU.endswith(f"institution-{EV_THU_START}") and SUMMARY[3:7] == "清华大学"
    report = validate(evg)
    assert report.conforms, report.text
    assert report.violations == ()
    assert validate(evg, inference=True).conforms


def test_an_annotation_is_eleven_triples(evg):
    g = evg.graph(EV_GRAPH)
    nodes = {EV_THU, URIRef(f"{EV_THU}#target"), URIRef(f"{EV_THU}#position")}
    assert sum(1 for t in g if t[0] in nodes) == 11


def test_offsets_must_lie_in_the_summary(evg):
    # UTF-8 byte offsets of 周明 (characters [88, 90), bytes [264, 270)) run past the summary's end
    assert SUMMARY[88:90] == "周明" and len(SUMMARY) == 95
    _offsets(evg, EV_ZHOU, 264, 270)
    report = validate(evg)
    assert _errors(report) == {(str(URIRef(I + "rule/person-pattern")), None)}
    (v,) = report.errors
    assert v.message == f"evidence {EV_ZHOU}: its quote [264, 270) is not inside the entry's kg:summary (95 characters)"


def test_offsets_may_reach_the_end_of_the_summary_and_no_further(evg):
    _offsets(evg, EV_ZHOU, 88, 95)
    assert validate(evg).conforms
    _offsets(evg, EV_ZHOU, 88, 96)
    assert _errors(validate(evg)) == {(str(URIRef(I + "rule/person-pattern")), None)}


def _shift_offsets(ds: Dataset, by: int) -> None:
    g = ds.graph(EV_GRAPH)
    for position in list(g.subjects(RDF.type, OA.TextPositionSelector)):
        for p in (OA.start, OA.end):
            g.set((position, p, Literal(g.value(position, p).toPython() + by, datatype=XSD.nonNegativeInteger)))


def test_offsets_count_characters_not_utf16_units(evg):
    # 𠮷 is one character (one Python str index, one SPARQL character) but two UTF-16 code units:
    # the summary is 98 characters (101 UTF-16 units) long
    _set(evg, EV_ENTRY, KG.summary, Literal("𠮷𠮷𠮷" + SUMMARY, lang="zh"))
    _shift_offsets(evg, 3)
    assert validate(evg).conforms
    _offsets(evg, EV_ZHOU, 91, 98)
    assert validate(evg).conforms
    _offsets(evg, EV_ZHOU, 91, 99)
    assert _errors(validate(evg)) == {(str(URIRef(I + "rule/person-pattern")), None)}


def test_evidence_without_summary(evg):
    evg.graph(EV_GRAPH).remove((EV_ENTRY, KG.summary, None))
    report = validate(evg)
    assert set(_messages(report)) == {(str(_ev(t, text)), NO_SUMMARY) for t, text, *_ in MENTIONS}


def test_start_not_before_end(evg):
    position = URIRef(f"{EV_THU}#position")
    _set(evg, position, OA.end, Literal(3, datatype=XSD.nonNegativeInteger))
    assert _errors(validate(evg)) == {(str(position), str(OA.start))}


def test_offset_types(evg):
    position = URIRef(f"{EV_THU}#position")
    _set(evg, position, OA.start, Literal(3))  # xsd:string
    _set(evg, position, OA.end, Literal(-1, datatype=XSD.integer))
    assert {p for f, p in _errors(validate(evg)) if f == str(position)} == {str(OA.start), str(OA.end)}


def test_confidence_above_one(evg):
    _set(evg, EV_THU, KG.confidence, Literal(Decimal("1.5"), datatype=XSD.decimal))
    report = validate(evg)
    assert _errors(report) == {(str(EV_THU), str(KG.confidence))}
    assert report.errors[0].message == "evidence has exactly one kg:confidence, an xsd:decimal from 0 to 1"


def test_confidence_type_and_count(evg):
    _set(evg, EV_THU, KG.confidence, Literal(0.5))  # xsd:double
    evg.graph(EV_GRAPH).remove((EV_DATA, KG.confidence, None))
    assert _errors(validate(evg)) == {(str(EV_THU), str(KG.confidence)), (str(EV_DATA), str(KG.confidence))}


def test_confidence_bounds_are_inclusive(evg):
    _set(evg, EV_THU, KG.confidence, Literal(Decimal("1.00"), datatype=XSD.decimal))
    _set(evg, EV_DATA, KG.confidence, Literal(Decimal(0), datatype=XSD.decimal))
    assert validate(evg).conforms


def test_fact_missing_from_graph(evg):
    evg.graph(EV_GRAPH).remove((EV_PAPER, KG.usesDataset, IMAGENET))
    report = validate(evg)
    assert _errors(report) == {(str(RULE_GAZETTEER), None), (str(IMAGENET), f"^{KG.usesDataset}")}
    assert f"evidence {EV_DATA}: its fact ({EV_PAPER} {KG.usesDataset} {IMAGENET}) is not in the graph" in {
        v.message for v in report.errors}


def test_evidence_predicate_not_a_fact_predicate(evg):
    _set(evg, EV_DATA, KG.predicate, DCTERMS.subject)
    report = validate(evg)
    # and the fact it claims (paper dcterms:subject ImageNet) is not in the graph
    assert _errors(report) == {(str(EV_DATA), str(KG.predicate)), (str(RULE_GAZETTEER), None)}
    assert "evidence has exactly one kg:predicate, one of the eight fact predicates" in {
        m for f, m in _messages(report) if f == str(EV_DATA)}


def test_evidence_body_is_the_facts_object(evg):
    _set(evg, EV_DATA, OA.hasBody, LSTM)  # (paper kg:usesDataset LSTM) is no fact of the graph
    report = validate(evg)
    assert _errors(report) == {(str(RULE_GAZETTEER), None)}
    assert report.errors[0].message == (
        f"evidence {EV_DATA}: its fact ({EV_PAPER} {KG.usesDataset} {LSTM}) is not in the graph")


def test_evidence_closed_and_complete(evg):
    g = evg.graph(EV_GRAPH)
    g.add((EV_THU, KG.confidance, Literal(Decimal("0.9"), datatype=XSD.decimal)))
    # what the old, reified model had is not allowed any more
    g.add((EV_THU, RDF.subject, EV_PAPER))
    g.add((EV_THU, OA.motivatedBy, OA.identifying))
    g.add((EV_THU, PROV.hadPrimarySource, EV_POST))
    g.remove((EV_DATA, PROV.wasGeneratedBy, None))
    g.remove((EV_DATA, KG.predicate, None))
    g.remove((EV_DATA, OA.hasBody, None))
    report = validate(evg)
    assert _errors(report) == {
        (str(EV_THU), str(KG.confidance)), (str(EV_THU), str(RDF.subject)), (str(EV_THU), str(OA.motivatedBy)),
        (str(EV_THU), str(PROV.hadPrimarySource)),
        (str(EV_DATA), str(PROV.wasGeneratedBy)), (str(EV_DATA), str(KG.predicate)), (str(EV_DATA), str(OA.hasBody))}


def test_one_annotation_per_entry_and_fact(evg):
    # a second annotation of (paper, schema:sourceOrganization, Tsinghua) in the same entry
    g = evg.graph(EV_GRAPH)
    second = URIRef(f"{EV_ENTRY}/evidence/institution-90")
    _annotation(g, second, SDO.sourceOrganization, THU, "affiliation-template", 3, 4)
    report = validate(evg)
    assert _errors(report) == {(str(RULE_AFFILIATION), None)}
    assert {m for _, m in _messages(report)} == {
        f"evidence {a} and {b} are both for the fact ({SDO.sourceOrganization} {THU}) in entry {EV_ENTRY}: "
        "one annotation per entry and fact" for a, b in ((EV_THU, second), (second, EV_THU))}


def _second_entry(g: Graph, paper: URIRef) -> URIRef:
    entry = URIRef(I + "post/009-ev/entry/2")
    _add_entry(g, entry, 2, 9, paper, "在 ImageNet 上。")
    return entry


def _add_entry(g: Graph, entry: URIRef, position: int, line: int, paper: URIRef, summary: str) -> None:
    """A digest entry of the evidence post, about ``paper``."""
    g.add((entry, RDF.type, KG.Entry))
    for p, o in ((KG.position, position), (KG.line, line)):
        g.add((entry, p, Literal(o, datatype=XSD.integer)))
    g.add((entry, KG.kind, Literal("digest")))
    g.add((entry, KG.inPost, EV_POST))
    g.add((entry, SDO.about, paper))
    g.add((entry, KG.summary, Literal(summary, lang="zh")))


def test_the_facts_subject_is_what_the_quoted_entry_is_about(evg):
    other = URIRef(I + "paper/pw9001")
    g = evg.graph(EV_GRAPH)
    g.add((other, RDF.type, SDO.ScholarlyArticle))
    ev = URIRef(I + "post/009-ev/entry/2/evidence/dataset-2")
    _annotation(g, ev, KG.usesDataset, IMAGENET, "gazetteer", 2, 8, entry=_second_entry(g, other))
    report = validate(evg)
    assert _errors(report) == {(str(RULE_GAZETTEER), None)}
    assert report.errors[0].message == f"evidence {ev}: its fact ({other} {KG.usesDataset} {IMAGENET}) is not in the graph"
    g.add((other, KG.usesDataset, IMAGENET))
    assert validate(evg).conforms


def test_evidence_quotes_an_entry_about_no_paper(evg):
    g = evg.graph(EV_GRAPH)
    g.remove((EV_ENTRY, SDO.about, None))
    report = validate(evg)
    assert {(f, m) for f, m in _messages(report) if m == NO_PAPER} == {
        (str(_ev(t, text)), NO_PAPER) for t, text, *_ in MENTIONS}
    assert (str(EV_ENTRY), str(SDO.about)) in _errors(report)


def test_evidence_rule_and_source_classes(evg):
    _set(evg, EV_DATA, PROV.wasGeneratedBy, URIRef(I + "rule/nonexistent"))
    target = URIRef(f"{EV_THU}#target")
    _set(evg, target, OA.hasSource, EV_POST)  # a post, not an entry
    report = validate(evg)
    assert _errors(report) == {(str(EV_DATA), str(PROV.wasGeneratedBy)), (str(target), str(OA.hasSource)),
                               (str(EV_THU), COMPLEX)}  # the post has no summary and is about no paper
    assert {m for f, m in _messages(report) if f == str(EV_THU)} == {NO_SUMMARY, NO_PAPER}


def test_target_selectors(evg):
    g = evg.graph(EV_GRAPH)
    target, position = URIRef(f"{EV_THU}#target"), URIRef(f"{EV_THU}#position")
    g.remove((target, OA.hasSelector, position))
    g.remove((URIRef(f"{EV_DATA}#target"), OA.hasSource, None))
    assert _errors(validate(evg)) == {
        (str(target), str(OA.hasSelector)),
        (str(position), f"^{OA.hasSelector}"),  # an orphan selector
        (str(URIRef(f"{EV_DATA}#target")), str(OA.hasSource)),
        (str(EV_DATA), COMPLEX)}  # no entry: no summary to quote, no paper the fact is about


def test_target_with_a_quote_selector(evg):
    # the TextQuoteSelector of the old model: a target has one selector, its position
    g = evg.graph(EV_GRAPH)
    target, quote = URIRef(f"{EV_THU}#target"), URIRef(f"{EV_THU}#quote")
    g.add((target, OA.hasSelector, quote))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal("清华大学")))
    report = validate(evg)
    assert _errors(report) == {(str(target), str(OA.hasSelector))}
    assert "an evidence target has exactly one oa:hasSelector, an oa:TextPositionSelector" in {
        m for f, m in _messages(report) if f == str(target)}


def test_orphan_and_shared_targets(evg):
    g = evg.graph(EV_GRAPH)
    orphan = URIRef(f"{EV_ENTRY}/evidence/dataset-1#target")
    g.add((orphan, OA.hasSource, EV_ENTRY))
    g.add((orphan, OA.hasSelector, URIRef(f"{EV_DATA}#position")))
    _set(evg, EV_ZHOU, OA.hasTarget, URIRef(f"{EV_THU}#target"))
    errors = _errors(validate(evg))
    assert (str(orphan), f"^{OA.hasTarget}") in errors
    assert (str(URIRef(f"{EV_THU}#target")), f"^{OA.hasTarget}") in errors
    assert (str(URIRef(f"{EV_DATA}#position")), f"^{OA.hasSelector}") in errors


def test_organisation_with_two_english_preflabels(evg):
    evg.graph(EV_GRAPH).add((THU, SKOS.prefLabel, Literal("Tsinghua Univ.", lang="en")))
    report = validate(evg)
    assert _errors(report) == {(str(THU), str(SKOS.prefLabel))}
    assert report.errors[0].message == (
        "an organisation has a skos:prefLabel tagged @en or @zh, at most one per language")


def test_organisation_labels_and_types(evg):
    g = evg.graph(EV_GRAPH)
    g.add((THU, RDFS.label, Literal("Tsinghua")))
    g.remove((MICROSOFT, RDF.type, SDO.Organization))
    g.remove((MSRA, SKOS.prefLabel, None))
    g.add((MSRA, SKOS.altLabel, Literal("Microsoft Research Asia", lang="en")))
    g.add((MSRA, SKOS.prefLabel, Literal("Microsoft Research Asia", lang="en")))
    assert _errors(validate(evg)) == {
        (str(THU), str(RDFS.label)), (str(MICROSOFT), str(RDF.type)), (str(MSRA), str(SKOS.altLabel))}


def test_organisation_links(evg):
    g = evg.graph(EV_GRAPH)
    g.add((THU, OWL.sameAs, URIRef("https://ror.org/00000000x")))  # a second ROR id, not under schema:sameAs
    g.add((MSRA, OWL.sameAs, Literal(THU_ROR)))
    g.add((MSRA, SDO.sameAs, Literal(THU_ROR)))
    report = validate(evg)
    assert _errors(report) == {(str(THU), str(OWL.sameAs)), (str(THU), str(SDO.sameAs)),
                               (str(MSRA), str(OWL.sameAs)), (str(MSRA), str(SDO.sameAs))}
    assert "an organisation's schema:sameAs are the IRIs of its owl:sameAs" in {
        m for f, m in _messages(report) if f == str(THU)}


def test_sub_organisation_of_a_dataset(evg):
    _set(evg, MSRA, ORG.subOrganizationOf, IMAGENET)
    report = validate(evg)
    assert _errors(report) == {(str(MSRA), str(ORG.subOrganizationOf)),
                               (str(MICROSOFT), COMPLEX)}  # no longer anyone's parent
    assert ("org:subOrganizationOf must point to an org:Organization"
            in {m for f, m in _messages(report) if f == str(MSRA)})


def test_source_organization_must_be_an_organisation(evg):
    evg.graph(EV_GRAPH).add((EV_PAPER, SDO.sourceOrganization, IMAGENET))
    report = validate(evg)
    assert _errors(report) == {(str(EV_PAPER), str(SDO.sourceOrganization))}
    assert report.errors[0].message == "schema:sourceOrganization must point to an org:Organization"


def test_fact_objects_have_the_right_class(evg):
    g = evg.graph(EV_GRAPH)
    g.add((EV_PAPER, KG.usesDataset, LSTM))
    g.add((EV_PAPER, KG.usesMethod, CLASSIFICATION))
    g.add((EV_PAPER, KG.addressesTask, ACCURACY))
    g.add((EV_PAPER, KG.reportsMetric, IMAGENET))
    g.add((EV_PAPER, KG.proposesMethod, Literal("GraphNet")))
    assert _errors(validate(evg)) == {(str(EV_PAPER), str(p)) for p in (
        KG.usesDataset, KG.usesMethod, KG.addressesTask, KG.reportsMetric, KG.proposesMethod)}


def test_paper_shape_is_closed(evg):
    evg.graph(EV_GRAPH).add((EV_PAPER, KG.usesDatasets, IMAGENET))
    assert _errors(validate(evg)) == {(str(EV_PAPER), str(KG.usesDatasets))}


def test_concepts_in_their_own_scheme(evg):
    g = evg.graph(EV_GRAPH)
    _set(evg, GRAPHNET, SKOS.inScheme, URIRef(I + "scheme/tasks"))
    g.add((CLASSIFICATION, SKOS.inScheme, URIRef(I + "scheme/topics")))
    g.add((URIRef(I + "scheme/topics"), RDF.type, SKOS.ConceptScheme))
    g.add((URIRef(I + "scheme/topics"), SKOS.prefLabel, Literal("PaperWeekly topics", lang="en")))
    g.remove((ACCURACY, RDF.type, SKOS.Concept))
    assert _errors(validate(evg)) == {(str(GRAPHNET), str(SKOS.inScheme)), (str(CLASSIFICATION), str(SKOS.inScheme)),
                                      (str(ACCURACY), str(RDF.type))}


def test_entity_labels(evg):
    g = evg.graph(EV_GRAPH)
    g.remove((IMAGENET, RDFS.label, None))
    g.remove((LSTM, SKOS.prefLabel, None))
    g.add((ACCURACY, SKOS.altLabel, Literal("acc")))  # untagged
    assert _errors(validate(evg)) == {(str(IMAGENET), str(RDFS.label)), (str(LSTM), str(SKOS.prefLabel)),
                                      (str(ACCURACY), str(SKOS.altLabel))}


def test_posts_spelling_an_entity_differently_is_a_warning(evg):
    g = evg.graph(EV_GRAPH)
    g.add((IMAGENET, RDFS.label, Literal("imagenet")))
    g.add((IMAGENET, SKOS.prefLabel, Literal("imagenet", lang="en")))
    g.add((LSTM, RDFS.label, Literal("lstm")))
    report = validate(evg)
    assert report.conforms and report.errors == ()
    assert {(v.focus, v.path, v.severity) for v in report.violations} == {
        (str(IMAGENET), str(RDFS.label), "Warning"), (str(IMAGENET), str(SKOS.prefLabel), "Warning"),
        (str(LSTM), str(RDFS.label), "Warning")}


def test_orphan_entities(evg):
    g = evg.graph(EV_GRAPH)
    cifar = URIRef(I + "dataset/cifar-10")
    _entity(g, cifar, (SDO.Dataset,), "CIFAR-10", "CIFAR-10", None)
    g.remove((MSRA, ORG.subOrganizationOf, MICROSOFT))
    assert _errors(validate(evg)) == {(str(cifar), f"^{KG.usesDataset}"), (str(MICROSOFT), COMPLEX)}


def test_extracted_person(evg):
    g = evg.graph(EV_GRAPH)
    g.remove((ZHOU, SDO.name, None))
    stranger = URIRef(I + "person/li-si")
    _entity(g, stranger, (SDO.Person,), "Li Si", "Li Si", "李四")
    g.add((stranger, SDO.name, Literal("Li Si")))
    report = validate(evg)
    assert _errors(report) == {(str(ZHOU), str(SDO.name)), (str(stranger), None)}
    assert "a schema:Person is either a kg:CommunityUser or the kg:mentionsPerson of a paper" in {
        m for _, m in _messages(report)}


def test_community_user_is_not_a_mentioned_person(evg):
    evg.graph(EV_GRAPH).add((EV_PAPER, KG.mentionsPerson, USER))
    report = validate(evg)
    assert _errors(report) == {(str(USER), None), (str(USER), str(SKOS.prefLabel))}
    assert "a person a paper kg:mentionsPerson is an extracted schema:Person, not a kg:CommunityUser" in {
        m for _, m in _messages(report)}


def test_rule_shape(evg):
    g = evg.graph(EV_GRAPH)
    g.remove((RULE_GAZETTEER, RDF.type, PROV.Activity))
    idle = URIRef(I + "rule/idle")
    g.add((idle, RDF.type, KG.Rule))
    g.add((idle, RDF.type, PROV.Activity))
    g.add((idle, RDFS.label, Literal("idle")))
    assert _errors(validate(evg)) == {(str(RULE_GAZETTEER), str(RDF.type)),
                                      (str(idle), f"^{PROV.wasGeneratedBy}")}


@pytest.fixture(scope="module")
def dev_graph(dev_built) -> Dataset:
    """The dev corpus build's graph files, parsed once."""
    return load_memory(dev_built)


def test_dev_corpus_build_conforms(dev_graph):
    report = validate(dev_graph)
    assert report.conforms, "\n".join(f"{v.focus} {v.path}: {v.message}" for v in report.errors)
    # the new shapes had something to check
    for p, o in ((RDF.type, OA.Annotation), (RDF.type, OA.TextPositionSelector), (RDF.type, KG.Rule),
                 (RDF.type, ORG.Organization), (RDF.type, KG.Method), (SDO.sourceOrganization, None)):
        assert next(dev_graph.quads((None, p, o, None)), None) is not None, (p, o)


def test_ontology_declares_every_kg_term_of_the_dev_build(dev_graph):
    onto = load_ontology()
    used = {t for s, p, o, _ in dev_graph.quads((None, None, None, None)) for t in (p, o)
            if isinstance(t, URIRef) and t.startswith(str(KG))}
    assert KG.Rule in used and KG.confidence in used
    for term in used:
        assert onto.value(term, RDFS.label) is not None, term
        assert onto.value(term, RDFS.comment) is not None, term
        assert onto.value(term, RDFS.isDefinedBy) is not None, term


def test_ontology_declares_the_extraction_terms():
    onto = load_ontology()
    assert str(onto.value(URIRef("https://w3id.org/paperweekly-kg/ns"), OWL.versionInfo)) == "0.2.0"
    for cls in (KG.Method, KG.Task, KG.Metric):
        assert (cls, RDFS.subClassOf, SKOS.Concept) in onto
    assert (KG.Rule, RDFS.subClassOf, PROV.Activity) in onto
    assert {lit.language for lit in onto.objects(KG.predicate, RDFS.comment)} == {"en", "zh"}
    assert (KG.predicate, RDF.type, OWL.FunctionalProperty) in onto
    ranges = {KG.usesDataset: SDO.Dataset, KG.proposesMethod: KG.Method, KG.usesMethod: KG.Method,
              KG.addressesTask: KG.Task, KG.reportsMetric: KG.Metric, KG.mentionsPerson: SDO.Person,
              KG.confidence: XSD.decimal, KG.predicate: RDF.Property}
    for prop, range_ in ranges.items():
        assert onto.value(prop, RDFS.range) == range_, prop
        assert onto.value(prop, RDFS.domain) == (
            OA.Annotation if prop in (KG.confidence, KG.predicate) else SDO.ScholarlyArticle)
        assert {lit.language for lit in onto.objects(prop, RDFS.label)} == {"en", "zh"}, prop
