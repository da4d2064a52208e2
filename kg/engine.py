"""Run SPARQL on any of kg's stores: embedded Oxigraph, rdflib in memory, or a SPARQL server.

The default graph is the merge of the posts' named graphs in all three (kg's stores hold it as
their default graph; a store without one is queried over the union of its graphs, which keeps a
copy of a triple per graph: count with DISTINCT there). Parameters are bound as
RDF terms by :func:`kg.sparql.substitute` (Oxigraph's substitution rule, applied to the query's
tokens), the same way on all three. Answers are pyoxigraph terms, then plain values
(:class:`kg.results.Result`).

>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("urn:p"), ox.NamedNode("urn:title"), ox.Literal("Mask R-CNN")))
>>> run_query(store, "SELECT ?p ?t WHERE { ?p <urn:title> ?t }", {"p": ox.NamedNode("urn:p")}).rows
(('urn:p', 'Mask R-CNN'),)
>>> import rdflib
>>> memory = rdflib.Dataset(default_union=True)
>>> post = memory.graph(rdflib.URIRef("urn:post"))  # a post's named graph
>>> _ = post.add((rdflib.URIRef("urn:p"), rdflib.URIRef("urn:title"), rdflib.Literal("Mask R-CNN")))
>>> run_query(memory, "SELECT ?p ?t WHERE { ?p <urn:title> ?t }", {"p": ox.NamedNode("urn:p")}).rows
(('urn:p', 'Mask R-CNN'),)
"""

from __future__ import annotations

import warnings
from functools import singledispatch
from typing import Any, Mapping

import pyoxigraph as ox
import rdflib

from kg.errors import QueryError, StoreError
from kg.remote import Endpoint
from kg.remote import query as remote_query
from kg.results import Result, result_from_terms
from kg.sparql import check_syntax, substitute

__all__ = ["Store", "run_query", "to_term"]

Store = ox.Store | rdflib.Graph | Endpoint
"""Where a query runs: an embedded Oxigraph store, an rdflib graph or dataset, a SPARQL server."""

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def run_query(store: Store, sparql: str, bindings: Mapping[str, Any] | None = None,
              source: str | None = None) -> Result:
    """Run a query over every graph of ``store`` (their union is the default graph).

    ``bindings`` maps variable names to RDF terms (pyoxigraph or rdflib) or plain values; a bound
    variable must be in the SELECT clause (see :func:`kg.sparql.substitute`). A syntax error names
    the line and column (and ``source``, a file name, when given).
    """
    terms = {name.lstrip("?$"): to_term(value) for name, value in (bindings or {}).items()}
    if not isinstance(store, ox.Store):  # Oxigraph checks it itself, with the same messages
        check_syntax(sparql, source)
    try:
        return _run(store, sparql, terms)
    except SyntaxError as err:
        raise QueryError(f"{source + ': ' if source else ''}SPARQL syntax error: {err}") from None


@singledispatch
def _run(store: Any, sparql: str, terms: dict[str, Term]) -> Result:
    raise QueryError(f"cannot run SPARQL on {type(store).__name__}: not an Oxigraph store, "
                     "an rdflib graph or a SPARQL endpoint")


@_run.register
def _(store: ox.Store, sparql: str, terms: dict[str, Term]) -> Result:
    text = substitute(sparql, terms)
    try:
        merged = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None
        answer = store.query(text, use_default_graph_as_union=not merged)
        return _from_oxigraph(answer)
    except RuntimeError as err:
        raise QueryError(str(err)) from err
    except OSError as err:
        raise StoreError(f"cannot read the graph store: {err}") from err


@_run.register
def _(store: rdflib.Graph, sparql: str, terms: dict[str, Term]) -> Result:
    text = substitute(sparql, terms)
    try:
        with warnings.catch_warnings():  # the answer is read lazily: keep reading it inside
            warnings.filterwarnings("ignore", _RDFLIB_OWN_DEPRECATION, DeprecationWarning)
            return _from_rdflib_answer(store.query(text))
    except QueryError:
        raise
    except Exception as err:  # rdflib raises bare Exceptions for what it cannot evaluate
        raise QueryError(f"rdflib could not run the query: {err}") from err


# rdflib 7.6 deprecated Dataset.default_context but its own Dataset.triples still reads it, once
# per triple pattern matched while a query runs on a default-union Dataset (tens of thousands of
# warnings per query; RDFLib/rdflib#3475, not fixed in a release yet). kg never reads it itself.
_RDFLIB_OWN_DEPRECATION = r"Dataset\.default_context is deprecated"


def _from_rdflib_answer(answer: Any) -> Result:
    if answer.type == "ASK":
        return Result(("result",), ((bool(answer.askAnswer),),), ((ox.Literal(bool(answer.askAnswer)),),), "ask")
    if answer.type in ("CONSTRUCT", "DESCRIBE"):
        return _graph_result([tuple(map(_from_rdflib, t)) for t in answer])
    columns = tuple(str(v) for v in answer.vars or ())
    return result_from_terms(columns, ([_from_rdflib(row[v]) for v in answer.vars] for row in answer))


@_run.register
def _(store: Endpoint, sparql: str, terms: dict[str, Term]) -> Result:
    return _from_oxigraph(remote_query(store, substitute(sparql, terms)))


def _from_oxigraph(answer: Any) -> Result:
    if isinstance(answer, ox.QueryBoolean):
        return Result(("result",), ((bool(answer),),), ((ox.Literal(bool(answer)),),), "ask")
    if isinstance(answer, (ox.QueryTriples, list)):
        return _graph_result([(t.subject, t.predicate, t.object) for t in answer])
    columns = tuple(v.value for v in answer.variables)
    return result_from_terms(columns, ([s[c] for c in columns] for s in answer))


def _graph_result(triples: list[tuple[Any, Any, Any]]) -> Result:
    return result_from_terms(("subject", "predicate", "object"), sorted(triples, key=lambda t: tuple(map(str, t))),
                             "graph")


def to_term(value: Any) -> Term:
    """A pyoxigraph term from a pyoxigraph or rdflib term or a plain Python value.

    >>> to_term(rdflib.Literal("清华大学", lang="zh")), to_term(3)
    (<Literal value=清华大学 language=zh>, <Literal value=3 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>)
    """
    if isinstance(value, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return value
    if isinstance(value, rdflib.term.Identifier):
        return _from_rdflib(value)
    if isinstance(value, (str, bool, int, float)):
        return ox.Literal(value)
    raise QueryError(f"cannot bind {value!r}: not an RDF term")


def _from_rdflib(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"cannot read {term!r} from rdflib: not an IRI, blank node or literal")
