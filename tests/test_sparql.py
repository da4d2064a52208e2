"""SPARQL text tools: tokens, syntax check, SERVICE detection, SEP-0007 substitution on tokens."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib

from kg.errors import QueryError
from kg.sparql import check_syntax, select_lines, substitute, tokens, uses_service

INJECTION = '" } ; DROP ALL #'


def test_tokens_join_back_to_the_text():
    text = 'PREFIX a: <urn:a#> SELECT ?s $t WHERE { ?s a:p "x ?y # z" ; a:q \'\'\'?w\n\'\'\' } # ?v\nLIMIT 1'
    toks = list(tokens(text))
    assert "".join(t.text for t in toks) == text
    assert [t.text for t in toks if t.kind == "var"] == ["?s", "$t", "?s"]
    assert [t.kind for t in toks if "?" in t.text and t.kind != "var"] == ["string", "string", "comment"]


def test_less_than_is_not_an_iri():
    toks = [t for t in tokens("FILTER(?a < ?b && ?c > 2)") if t.kind != "space"]
    assert [t.kind for t in toks if t.text in ("<", ">")] == ["punct", "punct"]


def test_check_syntax_names_line_and_column():
    check_syntax("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError, match=r"^q\.rq: SPARQL syntax error: error at 2:16: "):
        check_syntax("SELECT ?s\nWHERE { ?s ?p }", "q.rq")
    with pytest.raises(QueryError, match="SPARQL syntax error: error at 1:9"):
        check_syntax("DROP ALL")  # an update is not a query


@pytest.mark.parametrize("query, found", [
    ("SELECT * { SERVICE <http://127.0.0.1:9999/> { ?s ?p ?o } }", True),
    ("select * { service silent <http://x/> { ?s ?p ?o } }", True),
    ("SELECT * { ?s <urn:SERVICE> 'SERVICE' } # SERVICE", False),
    ("PREFIX service: <urn:s#> SELECT * { ?s service:x ?service }", False),
])
def test_uses_service(query, found):
    assert uses_service(query) is found


def run(sparql: str, bindings: dict) -> list:
    """Rows from rdflib (a small graph) after substitution: the text way of binding."""
    g = rdflib.Graph()
    ex = rdflib.Namespace("urn:ex:")
    for s, p, o in [(ex.a, ex.name, rdflib.Literal("A")), (ex.b, ex.name, rdflib.Literal("B")),
                    (ex.a, ex.knows, ex.b), (ex.b, ex.knows, ex.a)]:
        g.add((s, p, o))
    return sorted(tuple(map(str, row)) for row in g.query(substitute(sparql, bindings)))


def oxigraph(sparql: str, bindings: dict) -> list:
    """The same rows from Oxigraph's own substitutions."""
    store = ox.Store()
    for s, p, o in [("a", "name", ox.Literal("A")), ("b", "name", ox.Literal("B")),
                    ("a", "knows", ox.NamedNode("urn:ex:b")), ("b", "knows", ox.NamedNode("urn:ex:a"))]:
        store.add(ox.Quad(ox.NamedNode(f"urn:ex:{s}"), ox.NamedNode(f"urn:ex:{p}"), o))
    subs = {ox.Variable(k): v for k, v in bindings.items()}
    answer = store.query(sparql, substitutions=subs)
    return sorted(tuple(str(s[v].value) if s[v] is not None else "None" for v in answer.variables) for s in answer)


@pytest.mark.parametrize("sparql", [
    "SELECT ?s ?n WHERE { ?s <urn:ex:name> ?n }",
    "SELECT ?s (COUNT(*) AS ?c) ?n WHERE { ?s ?p ?o OPTIONAL { ?s <urn:ex:name> ?n } } GROUP BY ?s ?n ORDER BY ?n",
    # a sub-query that selects ?n shares it; one that does not has its own ?n
    "SELECT ?s ?n WHERE { { SELECT ?s ?n WHERE { ?s <urn:ex:name> ?n } } }",
    "SELECT ?s ?n WHERE { ?s <urn:ex:knows> ?o { SELECT ?o WHERE { ?o <urn:ex:name> ?n } } }",
    "SELECT ?n (COUNT(?s) AS ?c) WHERE { ?s <urn:ex:name> ?x FILTER(COALESCE(?n, '') = '' || ?x = ?n) } GROUP BY ?n",
    "SELECT ?n WHERE { FILTER EXISTS { ?s <urn:ex:name> ?n } }",
])
@pytest.mark.parametrize("value", [ox.Literal("A"), ox.Literal(INJECTION)])
def test_substitution_matches_oxigraph(sparql, value):
    assert run(sparql, {"n": value}) == oxigraph(sparql, {"n": value})


def test_select_lines():
    q = "SELECT ?p WHERE {\n  ?p <urn:in> ?venue .  # if venue\n  FILTER(?p != <urn:x>)  # unless venue\n}"
    assert select_lines(q, {"venue"}) == "SELECT ?p WHERE {\n  ?p <urn:in> ?venue .  # if venue\n\n}"
    assert select_lines(q, set()) == "SELECT ?p WHERE {\n\n  FILTER(?p != <urn:x>)  # unless venue\n}"
    tricky = 'SELECT ?p { ?p <urn:a#if> "# if venue" }  # a comment\n'
    assert select_lines(tricky, set()) == tricky  # "# if" inside an IRI or a string is not a condition


def test_substituted_text():
    q = "SELECT ?s ?n WHERE { { SELECT ?s ?n { ?s ?p ?n } ORDER BY ?n ?s } } GROUP BY ?s ?n ORDER BY ?n"
    assert substitute(q, {"n": ox.Literal("x")}) == (
        'SELECT ?s ?n WHERE { { SELECT ?s  { ?s ?p "x" } ORDER BY  ?s }  BIND("x" AS ?n) } GROUP BY ?s ?n ORDER BY ?n')
    ask = "ASK { ?s ?p ?o } # ?o"
    assert substitute(ask, {"o": ox.NamedNode("urn:x")}) == "ASK { ?s ?p <urn:x> } # ?o"
    assert substitute("DESCRIBE ?s", {"s": ox.NamedNode("urn:x")}) == "DESCRIBE <urn:x>"


def test_injection_stays_one_literal():
    text = substitute("SELECT ?t WHERE { ?p <urn:title> ?t }", {"t": ox.Literal(INJECTION)})
    assert text == 'SELECT ?t WHERE { ?p <urn:title> "\\" } ; DROP ALL #"  BIND("\\" } ; DROP ALL #" AS ?t) }'
    check_syntax(text)
    assert [t.kind for t in tokens(text) if "DROP" in t.text] == ["string", "string"]
    with pytest.raises(ValueError):
        ox.NamedNode("urn:x> } ; DROP ALL #")  # an IRI cannot carry it either


def test_what_cannot_be_bound():
    # a variable the query does not select is bound all the same (Oxigraph's substitutions refuse it)
    assert substitute("SELECT ?s WHERE { ?s ?p ?n }", {"n": ox.Literal("x")}) == 'SELECT ?s WHERE { ?s ?p "x" }'
    with pytest.raises(QueryError, match=r"\?n is bound but is all that a sub-query selects"):
        substitute("SELECT ?s WHERE { { SELECT ?n { ?s ?p ?n } } }", {"n": ox.Literal("x")})
    with pytest.raises(QueryError, match=r"\?n is assigned by the query \(AS \?n\)"):
        substitute("SELECT ?n WHERE { ?s ?p ?o BIND(?o AS ?n) }", {"n": ox.Literal("x")})
    with pytest.raises(QueryError, match=r"\?n is assigned by the query \(VALUES \?n\)"):
        substitute("SELECT ?n WHERE { VALUES (?s ?n) { (1 2) } }", {"n": ox.Literal("x")})
    with pytest.raises(QueryError, match="only IRIs and literals"):
        substitute("SELECT ?n WHERE { ?s ?p ?n }", {"n": ox.BlankNode("b")})
    assert substitute("SELECT ?n { ?n ?p ?o }", {}) == "SELECT ?n { ?n ?p ?o }"
