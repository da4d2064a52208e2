"""Named queries over a small graph built by hand the way schema/README.md says."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from rdflib import RDF, RDFS, XSD, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SDO, SKOS

from kg.errors import QueryError
from kg.link import (ID, KG, canonical_paper_url, code_iri, entry_iri, graph_iri, paper_iri,
                     post_iri, topic_iri, user_iri, venue_iri)
from kg.query import (NamedQuery, Param, Result, format_result, named_queries, parse_named_query,
                      run_named, run_query)
from kg.store import open_store, write_outputs

POST_A, POST_B = "000_264c2ff0198d3c50.txt", "0121_34284494611.md"
PW = "https://www.paperweekly.site/papers/"
GHM = "https://github.com/libuyu/GHM_Detection"
SRGNN = "https://github.com/CRIPAC-DIG/SR-GNN"
LEAM = "https://github.com/guoyinwang/LEAM"
FORK = "https://github.com/a-fork/GHM_Detection"  # sorts before GHM; the later post adds it

# (post, position, paper id, title, venue (series, year) or None, topics, codes, recommender)
ENTRIES = [
    (POST_A, 1, "2644", "Explainable Reasoning over Knowledge Graphs for Recommendation",
     ("AAAI", 2019), ("Knowledge Graph", "Recommender System"), (), "paperweekly"),
    (POST_A, 2, "2459", "Joint Embedding of Words and Labels for Text Classification",
     ("ACL", 2018), ("Text Classification",), (LEAM,), "zkt18"),
    (POST_A, 3, "2654", "Gradient Harmonized Single-stage Detector",
     ("AAAI", 2019), ("Object Detection",), (GHM,), "darksoul"),
    (POST_B, 1, "2518", "Session-based Recommendation with Graph Neural Networks",
     ("AAAI", 2019), ("Session-based Recommendation", "Recommender System", "Graph Neural Network"),
     (SRGNN,), "SXKDZ"),
    # the same paper again in another post, its topic spelled in lower case
    (POST_B, 2, "2654", "Gradient Harmonized Single-stage Detector",
     ("AAAI", 2019), ("object detection",), (GHM, FORK), "darksoul"),
    (POST_B, 3, "2700", "基于知识图谱的问答", ("arXiv", None), ("知识图谱",), (), None),
]


def sample_dataset() -> Dataset:
    """Two posts, five papers (one in both posts), following the graph model triple by triple."""
    ds = Dataset()
    posts = {POST_A: (126, datetime(2018, 12, 21, 15, 7, 6)), POST_B: (127, datetime(2018, 12, 24, 9, 0))}
    for name, (number, published) in posts.items():
        g = ds.graph(graph_iri(name))
        post = post_iri(name)
        g.add((post, RDF.type, PROV.Entity))
        g.add((post, RDF.type, KG.Post))
        g.add((post, DCTERMS.title, Literal(f"PaperDaily {number}")))
        g.add((post, DCTERMS.date, Literal(published.isoformat(), datatype=XSD.dateTime)))
        g.add((post, KG.paperDailyNumber, Literal(number, datatype=XSD.integer)))
        g.add((post, KG.sourceFile, Literal(name)))
        g.add((post, KG.sha256, Literal("0" * 64)))
    for name, position, pw, title, venue, topics, codes, user in ENTRIES:
        g = ds.graph(graph_iri(name))
        url = PW + pw
        paper, entry = paper_iri(url), entry_iri(name, position)
        g.add((entry, RDF.type, KG.Entry))
        g.add((entry, KG.position, Literal(position, datatype=XSD.integer)))
        g.add((entry, KG.inPost, post_iri(name)))
        g.add((entry, SDO.about, paper))
        g.add((entry, KG.summary, Literal("本文是……的工作。", lang="zh")))
        g.add((entry, KG.line, Literal(10 * position, datatype=XSD.integer)))
        g.add((entry, KG.kind, Literal("digest")))
        if user:
            g.add((entry, KG.recommendedBy, user_iri(user)))
            g.add((user_iri(user), RDF.type, SDO.Person))
            g.add((user_iri(user), RDF.type, KG.CommunityUser))
            g.add((user_iri(user), SDO.name, Literal(user)))
            g.add((user_iri(user), RDFS.label, Literal(user)))
        g.add((paper, RDF.type, SDO.ScholarlyArticle))
        g.add((paper, SDO.url, URIRef(canonical_paper_url(url))))
        g.add((paper, KG.paperweeklyId, Literal(pw)))
        g.add((paper, DCTERMS.title, Literal(title)))
        series, year = venue
        g.add((paper, KG.venue, venue_iri(series, year)))
        g.add((venue_iri(series), RDF.type, SDO.Event))
        g.add((venue_iri(series), RDF.type, KG.VenueSeries))
        g.add((venue_iri(series), RDFS.label, Literal(series)))
        g.add((venue_iri(series), SKOS.prefLabel, Literal(series, lang="en")))
        if year:
            edition, label = venue_iri(series, year), f"{series} {year}"
            g.add((edition, RDF.type, SDO.Event))
            g.add((edition, RDF.type, KG.VenueEdition))
            g.add((edition, RDFS.label, Literal(label)))
            g.add((edition, SKOS.prefLabel, Literal(label, lang="en")))
            g.add((edition, SDO.superEvent, venue_iri(series)))
            g.add((edition, KG.year, Literal(year, datatype=XSD.integer)))
        for topic in topics:
            t = topic_iri(topic)
            g.add((paper, DCTERMS.subject, t))
            g.add((t, RDF.type, SKOS.Concept))
            g.add((t, SKOS.inScheme, ID["scheme/topics"]))
            g.add((t, SKOS.prefLabel, Literal(topic, lang="zh" if topic == "知识图谱" else "en")))
            g.add((ID["scheme/topics"], RDF.type, SKOS.ConceptScheme))
            g.add((ID["scheme/topics"], SKOS.prefLabel, Literal("PaperWeekly topics", lang="en")))
        for code in codes:
            g.add((paper, KG.code, code_iri(code)))
            g.add((code_iri(code), RDF.type, SDO.SoftwareSourceCode))
            g.add((code_iri(code), SDO.codeRepository, URIRef(code)))
    return ds


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    write_outputs(sample_dataset().serialize(format="trig").encode("utf-8"), out)
    return open_store(out)


TITLE_2459 = "Joint Embedding of Words and Labels for Text Classification"
TITLE_2518 = "Session-based Recommendation with Graph Neural Networks"
TITLE_2654 = "Gradient Harmonized Single-stage Detector"
ROW_2459 = (PW + "2459", TITLE_2459, "ACL 2018", LEAM)
ROW_2518 = (PW + "2518", TITLE_2518, "AAAI 2019", SRGNN)
ROW_2654 = (PW + "2654", TITLE_2654, "AAAI 2019", f"{FORK} {GHM}")  # codes sorted


# --- named queries: headers ------------------------------------------------------------------
def test_named_queries_are_packaged_with_headers():
    queries = named_queries()
    assert sorted(queries) == ["papers", "papers-with-code", "topics", "venues"]
    pwc = queries["papers-with-code"]
    assert isinstance(pwc, NamedQuery)
    assert pwc.description.startswith("Papers that have a code link")
    assert pwc.params == (
        Param("venue", "venue", True, "AAAI 2019",
              'a venue edition ("AAAI 2019") or a whole series ("ACL")'),
        Param("topic", "topic", True, "Object Detection", "a topic label, in any case"),
    )
    assert queries["venues"].params == ()


def test_parse_named_query_header():
    q = parse_named_query('# name: by-year\n# description: Papers of a year.\n'
                          '# a free comment: ignored\n'
                          '# param: year (integer) example "2019"\nSELECT ?year {}\n')
    assert (q.name, q.description) == ("by-year", "Papers of a year.")
    assert q.params == (Param("year", "integer", False, "2019", ""),)
    with pytest.raises(QueryError, match="no '# name:' line"):
        parse_named_query("# description: nameless\nASK {}", "x.rq")
    with pytest.raises(QueryError, match=r"x.rq:2: unknown parameter kind 'colour'"):
        parse_named_query("# name: x\n# param: c (colour)\nASK {}", "x.rq")


# --- named queries: results ------------------------------------------------------------------
def test_papers_with_code_at_a_venue_edition(store):
    result = run_named(store, "papers-with-code", venue="AAAI 2019")
    assert result == Result(("paper", "title", "venue_label", "code"), (ROW_2518, ROW_2654))


def test_papers_with_code_venue_spellings(store):
    acl = Result(("paper", "title", "venue_label", "code"), (ROW_2459,))
    assert run_named(store, "papers-with-code", venue="ACL 2018") == acl
    assert run_named(store, "papers-with-code", venue="ACL") == acl  # the series
    assert run_named(store, "papers-with-code", venue="aaai'19").rows == (ROW_2518, ROW_2654)
    assert run_named(store, "papers-with-code", venue="AAAI 2018").rows == ()
    assert run_named(store, "papers-with-code", venue="arXiv").rows == ()


def test_papers_with_code_unconstrained(store):
    everything = (ROW_2459, ROW_2518, ROW_2654)
    assert run_named(store, "papers-with-code").rows == everything
    assert run_named(store, "papers-with-code", venue=None, topic=None).rows == everything
    assert run_named(store, "papers-with-code", venue="", topic=" ").rows == everything


def test_papers_with_code_on_a_topic(store):
    assert run_named(store, "papers-with-code", topic="OBJECT  detection").rows == (ROW_2654,)
    assert run_named(store, "papers-with-code", topic="Object Detection", venue="AAAI").rows == (ROW_2654,)
    assert run_named(store, "papers-with-code", topic="Object Detection", venue="ACL 2018").rows == ()
    assert run_named(store, "papers-with-code", topic="Knowledge Graph").rows == ()  # 2644 has no code
    assert run_named(store, "papers-with-code", topic="recommender system").rows == (ROW_2518,)


def test_papers(store):
    result = run_named(store, "papers")
    assert result.columns == ("paper", "title", "venue_label", "topics")
    assert result.rows == (
        (PW + "2459", TITLE_2459, "ACL 2018", "Text Classification"),
        (PW + "2518", TITLE_2518, "AAAI 2019",
         "Graph Neural Network; Recommender System; Session-based Recommendation"),
        (PW + "2644", "Explainable Reasoning over Knowledge Graphs for Recommendation",
         "AAAI 2019", "Knowledge Graph; Recommender System"),
        (PW + "2654", TITLE_2654, "AAAI 2019", "Object Detection"),
        (PW + "2700", "基于知识图谱的问答", "arXiv", "知识图谱"),
    )
    assert [r[0][-4:] for r in run_named(store, "papers", venue="AAAI 2019").rows] == ["2518", "2644", "2654"]
    assert [r[0][-4:] for r in run_named(store, "papers", topic="知识图谱").rows] == ["2700"]
    recsys = run_named(store, "papers", topic="Recommender System")
    assert [r[0][-4:] for r in recsys.rows] == ["2518", "2644"]
    assert run_named(store, "papers", venue="ACL", topic="Recommender System").rows == ()


def test_venues(store):
    result = run_named(store, "venues")
    assert result == Result(("venue", "papers", "with_code", "share_with_code"), (
        ("AAAI 2019", 3, 2, 0.667),
        ("ACL 2018", 1, 1, 1.0),
        ("arXiv", 1, 0, 0.0),
    ))


def test_topics(store):
    assert run_named(store, "topics") == Result(("topic", "papers"), (
        ("Recommender System", 2),
        ("Graph Neural Network", 1),
        ("Knowledge Graph", 1),
        ("Object Detection", 1),
        ("Session-based Recommendation", 1),
        ("Text Classification", 1),
        ("知识图谱", 1),
    ))


def test_unknown_names_list_the_known_ones(store):
    known = "known: papers, papers-with-code, topics, venues"
    with pytest.raises(QueryError, match=f"unknown query 'nope'; {known}"):
        run_named(store, "nope")
    with pytest.raises(QueryError, match="has no parameter 'year'; its parameters: venue, topic"):
        run_named(store, "papers-with-code", year="2019")
    with pytest.raises(QueryError, match="has no parameter 'venue'; its parameters: none"):
        run_named(store, "topics", venue="ACL")
    with pytest.raises(QueryError, match="unknown venue 'Foo 2019'"):
        run_named(store, "papers", venue="Foo 2019")


# --- ad-hoc SPARQL ---------------------------------------------------------------------------
def test_run_query_binds_terms(store):
    sparql = ("SELECT ?title ?p WHERE { ?p <http://purl.org/dc/terms/title> ?title } ")
    result = run_query(store, sparql, {"p": paper_iri(PW + "2459")})  # an rdflib URIRef
    assert result == Result(("title", "p"), ((TITLE_2459, str(paper_iri(PW + "2459"))),))
    # Oxigraph's union of the per-post graphs keeps a triple once per graph: AAAI 2019 is in both.
    editions = "SELECT {} ?v WHERE {{ ?v <https://w3id.org/paperweekly-kg/ns#year> ?y }} ORDER BY ?v"
    assert len(run_query(store, editions.format(""), {}).rows) == 3
    assert run_query(store, editions.format("DISTINCT")).rows == (
        (str(venue_iri("AAAI", 2019)),), (str(venue_iri("ACL", 2018)),))
    ask = run_query(store, "ASK { ?s a <https://schema.org/ScholarlyArticle> }")
    assert ask == Result(("result",), ((True,),))


def test_run_query_values_are_plain_python(store):
    sparql = ('SELECT ?n ?d ?s ?none WHERE { ?post <https://w3id.org/paperweekly-kg/ns#paperDailyNumber> ?n '
              'BIND(?n / 4 AS ?d) BIND(STR(?n) AS ?s) } ORDER BY ?n')
    assert run_query(store, sparql).rows == ((126, 31.5, "126", None), (127, 31.75, "127", None))


def test_syntax_error_names_line_and_column(store):
    with pytest.raises(QueryError) as err:
        run_query(store, "SELECT ?s WHERE {\n  ?s ?p\n}")
    assert str(err.value).startswith("SPARQL syntax error: error at 3:")


def test_binding_a_variable_not_selected_is_a_query_error(store):
    with pytest.raises(QueryError, match="SELECT"):
        run_query(store, "SELECT ?s WHERE { ?s ?p ?o }", {"o": "x"})


# --- formats ---------------------------------------------------------------------------------
SMALL = Result(("topic", "papers", "code"), (("知识图谱", 12, None), ("Object Detection", 3, "a,b")))


def test_table_counts_chinese_characters_as_two_columns():
    assert format_result(SMALL, "table") == (
        "topic             papers  code\n"
        "----------------  ------  ----\n"
        "知识图谱              12\n"
        "Object Detection       3  a,b\n"
    )


def test_csv_tsv_json():
    assert format_result(SMALL, "csv") == 'topic,papers,code\n知识图谱,12,\nObject Detection,3,"a,b"\n'
    assert format_result(SMALL, "tsv") == (
        "topic\tpapers\tcode\n知识图谱\t12\t\nObject Detection\t3\ta,b\n")
    assert json.loads(format_result(SMALL, "json")) == [
        {"topic": "知识图谱", "papers": 12, "code": None},
        {"topic": "Object Detection", "papers": 3, "code": "a,b"},
    ]
    assert format_result(Result(("a",), ((1.5,),)), "json") == '[\n  {\n    "a": 1.5\n  }\n]\n'
    with pytest.raises(QueryError, match="unknown format 'xml'; known: table, csv, tsv, json"):
        format_result(SMALL, "xml")


def test_formats_of_a_query_result(store):
    result = run_named(store, "papers-with-code", venue="ACL 2018")
    assert format_result(result, "csv") == (
        "paper,title,venue_label,code\n"
        f"{PW}2459,{TITLE_2459},ACL 2018,{LEAM}\n"
    )
    assert format_result(run_named(store, "venues"), "table") == (
        "venue      papers  with_code  share_with_code\n"
        "---------  ------  ---------  ---------------\n"
        "AAAI 2019       3          2            0.667\n"
        "ACL 2018        1          1              1.0\n"
        "arXiv           1          0              0.0\n"
    )
