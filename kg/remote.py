"""The graph in an existing SPARQL server: load posts' named graphs, run queries over HTTP.

Loading uses the SPARQL 1.1 Graph Store Protocol: ``PUT STORE?graph=IRI`` replaces that one
named graph, so rebuilding a post replaces exactly its graph; then ``PUT STORE?default``
replaces the default graph with the merge of the graphs just loaded (each triple once), which is
what queries read, as in the embedded store (kg/store.py says why). Queries use the SPARQL 1.1
Protocol (a form ``POST``). Parameters arrive already bound in the text (see
:func:`kg.sparql.substitute`).

>>> e = endpoint("http://127.0.0.1:7878")
>>> e.query_url, e.store_url
('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/store')
>>> endpoint("http://127.0.0.1:3030/ds/sparql", graph_store="http://127.0.0.1:3030/ds/data").store_url
'http://127.0.0.1:3030/ds/data'
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from kg.errors import KgError

__all__ = ["RemoteError", "Endpoint", "LoadReport", "endpoint", "query", "put_graphs", "load_dump"]

_ACCEPT = ("application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8")
_RDF_FORMATS = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
                "text/turtle": ox.RdfFormat.TURTLE}


class RemoteError(KgError):
    """A SPARQL server that cannot be reached or refused a request; names the URL."""

    status: int | None = None  # the HTTP status of a refusal


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL server: its query URL and its Graph Store Protocol URL."""

    query_url: str
    store_url: str
    timeout: float = 120.0  # seconds to wait for one answer


def endpoint(url: str, graph_store: str | None = None, timeout: float = 120.0) -> Endpoint:
    """An :class:`Endpoint` from a server's base URL (Oxigraph's layout: ``/query``, ``/store``)
    or its query URL (ending in ``/query`` or ``/sparql``); ``graph_store`` overrides the store URL."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise RemoteError(f"{url!r}: a SPARQL endpoint is an http:// or https:// URL")
    base, last = url.rsplit("/", 1)
    query_url = url if last in ("query", "sparql") else url + "/query"
    root = base if last in ("query", "sparql") else url
    return Endpoint(query_url, graph_store or root + "/store", timeout)


def _send(request: urllib.request.Request, timeout: float) -> tuple[str, bytes]:
    """Send ``request``; return the response's media type and body."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            media = response.headers.get_content_type()
            return media, response.read()
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace").strip()[:500]
        refused = RemoteError(f"{request.full_url}: HTTP {err.code} {err.reason}: {detail}")
        refused.status = err.code
        raise refused from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise RemoteError(f"{request.full_url}: cannot reach the SPARQL server: {reason}") from None


def query(target: Endpoint, sparql: str) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
    """Run ``sparql`` (parameters already bound) on the server; answers as pyoxigraph objects."""
    body = urllib.parse.urlencode({"query": sparql}).encode("utf-8")
    request = urllib.request.Request(target.query_url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": _ACCEPT})
    media, data = _send(request, target.timeout)
    try:
        if media == "application/sparql-results+json":
            return ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
        if media in _RDF_FORMATS:
            return [q.triple for q in ox.parse(data, _RDF_FORMATS[media])]
    except SyntaxError as err:  # Oxigraph reports a query cancelled mid-answer inside the body
        raise RemoteError(f"{target.query_url}: the answer is cut short or malformed: {err}") from None
    raise RemoteError(f"{target.query_url}: unexpected answer of type {media!r}")


@dataclass(frozen=True)
class LoadReport:
    """What :func:`put_graphs` sent."""

    graphs: int
    triples: int
    store_url: str
    removed: int = 0  # named graphs deleted from the server


def put_graphs(quads: Iterable[ox.Quad], target: Endpoint) -> LoadReport:
    """Replace each named graph in ``quads`` on the server, then its default graph with their merge.

    Named graphs that ``quads`` do not mention stay on the server, outside the default graph.
    """
    graphs: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
    merged: set[ox.Triple] = set()
    for quad in quads:
        merged.add(quad.triple)
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            graphs.setdefault(quad.graph_name, []).append(quad.triple)
    for name, triples in graphs.items():
        _put(target, urllib.parse.urlencode({"graph": name.value}), triples)
    _put(target, "default", merged)
    return LoadReport(len(graphs), sum(map(len, graphs.values())), target.store_url)


def _put(target: Endpoint, where: str, triples: Iterable[ox.Triple]) -> None:
    body = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES)
    request = urllib.request.Request(f"{target.store_url}?{where}", data=body, method="PUT",
                                     headers={"Content-Type": "application/n-triples"})
    _send(request, target.timeout)


def load_dump(out_dir: Path, target: Endpoint, removed: Iterable[str] = ()) -> LoadReport:
    """Load the graph built in ``out_dir`` (its files in ``graphs/``) into the server, one ``PUT``
    per named graph (each post's, the gazetteer graph), after deleting the ``removed`` graphs there
    (``kg build --prune``)."""
    from kg.store import graph_files

    gone = 0
    for graph in removed:
        request = urllib.request.Request(f"{target.store_url}?{urllib.parse.urlencode({'graph': graph})}",
                                         method="DELETE")
        try:
            _send(request, target.timeout)
            gone += 1
        except RemoteError as err:
            if err.status != 404:  # (not there: nothing to delete)
                raise

    def quads() -> Iterable[ox.Quad]:
        for path in graph_files(out_dir):
            try:
                yield from ox.parse(path=str(path), format=ox.RdfFormat.TRIG)
            except SyntaxError as err:
                raise RemoteError(f"{path}: not valid TriG: {err}") from None

    return replace(put_graphs(quads(), target), removed=gone)
