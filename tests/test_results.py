"""Result formats: a terminal table (Chinese aligned), CSV, TSV, JSON, SPARQL results JSON, Turtle."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kg.engine import run_query
from kg.errors import QueryError
from kg.results import Result, format_result, result_from_terms

SMALL = Result(("topic", "papers", "code"), (("知识图谱", 12, None), ("Object Detection", 3, "a,b")))
XSD = "http://www.w3.org/2001/XMLSchema#"


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
    with pytest.raises(QueryError, match="unknown format 'xml'; known: table, csv, tsv, json, sparql-json, turtle"):
        format_result(SMALL, "xml")


def test_sparql_results_json_keeps_the_terms():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:p"), ox.NamedNode("urn:label"), ox.Literal("清华大学", language="zh"),
                      ox.NamedNode("urn:g")))
    result = run_query(store, "SELECT ?p ?l ?n ?none WHERE { ?p <urn:label> ?l BIND(2 AS ?n) }")
    doc = json.loads(format_result(result, "sparql-json"))
    assert doc == {"head": {"vars": ["p", "l", "n", "none"]}, "results": {"bindings": [{
        "p": {"type": "uri", "value": "urn:p"},
        "l": {"type": "literal", "value": "清华大学", "xml:lang": "zh"},
        "n": {"type": "literal", "value": "2", "datatype": XSD + "integer"}}]}}
    # the W3C format, as pyoxigraph reads it back
    parsed = list(ox.parse_query_results(format_result(result, "sparql-json"), ox.QueryResultsFormat.JSON))
    assert parsed[0]["l"] == ox.Literal("清华大学", language="zh")
    ask = run_query(store, "ASK { ?s ?p ?o }")
    assert json.loads(format_result(ask, "sparql-json")) == {"head": {}, "boolean": True}


def test_a_graph_prints_as_turtle():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("https://w3id.org/paperweekly-kg/id/org/tsinghua-university"),
                      ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                      ox.Literal("清华大学", language="zh"), ox.NamedNode("urn:g")))
    result = run_query(store, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert result.kind == "graph" and result.columns == ("subject", "predicate", "object")
    turtle = format_result(result, "table")
    assert turtle == format_result(result, "turtle")
    assert turtle.endswith('id:org\\/tsinghua-university skos:prefLabel "清华大学"@zh .\n')
    assert "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n" in turtle
    assert {q.triple for q in ox.parse(turtle, ox.RdfFormat.TURTLE)} == {ox.Triple(*t) for t in result.terms}
    assert format_result(result, "csv").splitlines()[0] == "subject,predicate,object"
    with pytest.raises(QueryError, match="a CONSTRUCT or DESCRIBE answer is a graph"):
        format_result(result, "sparql-json")
    with pytest.raises(QueryError, match="only a CONSTRUCT or DESCRIBE answer is a graph"):
        format_result(SMALL, "turtle")


def test_result_from_terms_and_drop():
    r = result_from_terms(("a", "b"), [(ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal")), None)])
    assert r.rows == ((0.5, None),)
    assert r.drop(["a"]) == Result(("b",), ((None,),)) and r.drop(["a"]).terms == ((None,),)
