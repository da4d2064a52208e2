"""Interactive graph pages (``kg viz``): the store → a typed NetworkX graph → one offline HTML page.

Each step is a plain function: :func:`load_graph` reads every node of the types in
``resources/viz/node-types.tsv`` with its labels, links and edges (with the evidence of extracted
facts); :func:`select` keeps the whole graph, the neighbourhood of an entity (``--focus``) or of a
named query's results, and caps it at :data:`MAX_NODES`; :func:`kg.vizpage.render_page` lays
it out and writes the page.

>>> from kg.api import build_store
>>> store = build_store()  # the packaged samples
>>> [m.label for m in find_entities(store, "aaai 2019") if m.exact]
['AAAI 2019']
>>> sel = select(store, focus="AAAI 2019", depth=1)
>>> sorted({sel.graph.nodes[n]["type"] for n in sel.graph})
['paper', 'venue']
>>> from kg.vizpage import render_page
>>> render_page(sel).startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import csv
import math
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any, Iterable, Mapping

import networkx as nx
import pyoxigraph as ox
from rdflib.namespace import DCTERMS, ORG, RDFS, SDO, SKOS

from kg.errors import VizError
from kg.link import KG
from kg.query import run_named, run_query

__all__ = [
    "MAX_NODES", "LANGS", "NodeType", "EntityMatch", "Selection", "node_types", "find_entities",
    "load_graph", "display_label", "neighbourhood", "select", "cap_graph",
]

MAX_NODES = 2000
"""Most nodes a page holds; past it the least connected nodes farthest from the focus go."""
LANGS = ("zh", "en")

_PREFIXES = {"schema": str(SDO), "org": str(ORG), "kg": str(KG), "skos": str(SKOS),
             "dcterms": str(DCTERMS), "rdfs": str(RDFS)}
_LABEL_RANK = ("skos:prefLabel", "dcterms:title", "rdfs:label", "schema:name", "skos:altLabel")


def _resource(name: str) -> str:
    return (files("kg") / "resources" / "viz" / name).read_text(encoding="utf-8")


def _rows(name: str) -> list[list[str]]:
    """Rows of a TSV resource, without its ``#`` comment lines."""
    return [r for r in csv.reader(_resource(name).splitlines(), delimiter="\t")
            if r and not r[0].startswith("#")]


def _curie(iri: str) -> str:
    """``schema:url`` for ``https://schema.org/url``; other IRIs as they are."""
    for prefix, ns in _PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


@dataclass(frozen=True)
class NodeType:
    """How one kind of node looks: the classes that make it, shape, colour and names."""

    name: str
    classes: tuple[str, ...]  # CURIEs
    shape: str  # a vis-network shape with the label below it
    colour: str
    label_en: str
    label_zh: str
    default: bool  # drawn when --types is not given


@lru_cache(maxsize=None)
def node_types() -> dict[str, NodeType]:
    """The node types, most specific first (``user`` before ``person``, ``task`` before ``topic``).

    >>> list(node_types())[:3], node_types()["org"].label_zh
    (['paper', 'org', 'venue'], '机构')
    """
    return {r[0]: NodeType(r[0], tuple(r[1].split()), r[2], r[3], r[4], r[5], r[6] == "yes")
            for r in _rows("node-types.tsv")}


def _query(store: ox.Store, name: str, **bindings: Any):
    return run_query(store, _resource(name), bindings).rows


# --- finding entities by label ---------------------------------------------------------------
@dataclass(frozen=True)
class EntityMatch:
    """A resource one of whose labels holds the text looked for (``exact``: is the whole label)."""

    iri: str
    label: str
    exact: bool


def find_entities(store: ox.Store, text: str) -> tuple[EntityMatch, ...]:
    """Resources with a label (prefLabel, altLabel, rdfs:label, title, name) holding ``text`` in
    any case, exact matches first; ``pw2654`` or ``2654`` finds that paperweekly paper.

    Example: ``find_entities(open_store(), "清华")`` → the institution whose alias is 清华
    (a run on the samples is in the module docstring).
    """
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    if not text:
        return ()
    rows = _query(store, "find.rq", text=ox.Literal(text))
    best: dict[str, EntityMatch] = {}
    for iri, label, exact, _ in rows:
        match = EntityMatch(iri, label, bool(exact))
        old = best.get(iri)
        if old is None or (match.exact, -len(match.label)) > (old.exact, -len(old.label)):
            best[iri] = match
    return tuple(sorted(best.values(), key=lambda m: (not m.exact, len(m.label), m.label, m.iri)))


# --- the store as a typed graph --------------------------------------------------------------
def _node_type(classes: set[str]) -> str | None:
    for t in node_types().values():
        if any(c in classes for c in t.classes):
            return t.name
    return None


def load_graph(store: ox.Store) -> nx.DiGraph:
    """Every node of a type in ``node-types.tsv`` and the links between them.

    Node attributes: ``type``, ``labels`` (``(property, text, language)`` triples), ``props``
    (property → values: links, year, paperweekly id…), and for papers ``summary``, ``venues``
    (labels) and ``year``. Edge attributes: ``relations`` (predicate CURIEs) and ``evidence``
    (dicts with ``exact``, ``prefix``, ``suffix``, ``rule``, ``confidence``, ``relation``).
    """
    classes: dict[str, set[str]] = {}
    for node, cls in _query(store, "types.rq"):
        classes.setdefault(node, set()).add(_curie(cls))
    G = nx.DiGraph()
    for node in sorted(classes):
        kind = _node_type(classes[node])
        if kind:
            G.add_node(node, type=kind, labels=[], props={})
    for node, prop, label, lang in _query(store, "labels.rq"):
        if node in G:
            G.nodes[node]["labels"].append((_curie(prop), label, lang or ""))
    for node, prop, value in _query(store, "properties.rq"):
        if node in G:
            G.nodes[node]["props"].setdefault(_curie(prop), []).append(value)
    for s, p, o in _query(store, "edges.rq"):
        if s in G and o in G and s != o:
            _add_relation(G, s, o, _curie(p))
    for paper, user, post, summary, _ in _query(store, "entries.rq"):
        if paper in G:
            if user in G:
                _add_relation(G, paper, user, "kg:recommendedBy")
            if post in G:
                _add_relation(G, paper, post, "kg:inPost")
            if summary and "summary" not in G.nodes[paper]:
                G.nodes[paper]["summary"] = summary
    for _, s, p, o, exact, prefix, suffix, rule, confidence in _query(store, "evidence.rq"):
        if G.has_edge(s, o):
            G.edges[s, o]["evidence"].append({"relation": _curie(p), "exact": exact, "prefix": prefix,
                                              "suffix": suffix, "rule": rule, "confidence": confidence})
    for node, data in G.nodes(data=True):
        data["labels"] = sorted(set(data["labels"]))
        data["props"] = {k: sorted(set(map(str, v))) for k, v in sorted(data["props"].items())}
        if data["type"] == "paper":
            _paper_venue(G, node)
    return G


def _add_relation(G: nx.DiGraph, s: str, o: str, relation: str) -> None:
    if not G.has_edge(s, o):
        G.add_edge(s, o, relations=[], evidence=[])
    if relation not in G.edges[s, o]["relations"]:
        G.edges[s, o]["relations"].append(relation)
        G.edges[s, o]["relations"].sort()


def _paper_venue(G: nx.DiGraph, paper: str) -> None:
    venues = [v for v in G.successors(paper) if "kg:venue" in G.edges[paper, v]["relations"]]
    data = G.nodes[paper]
    data["venues"] = sorted(display_label(G.nodes[v], "en") for v in venues)
    years = sorted(int(y) for v in venues for y in G.nodes[v]["props"].get("kg:year", []))
    data["year"] = years[0] if years else None


def display_label(data: Mapping[str, Any], lang: str = "zh") -> str:
    """The label to draw for a node: its preferred label in ``lang`` if it has one, else the best
    other label (title, rdfs:label, name), else a short form of its link.

    >>> display_label({"labels": [("skos:prefLabel", "Tsinghua University", "en"),
    ...                           ("skos:prefLabel", "清华大学", "zh")]}, "zh")
    '清华大学'
    >>> display_label({"labels": [], "props": {"schema:codeRepository": ["https://github.com/a/b"]}})
    'a/b'
    """
    labels = data.get("labels", ())
    if labels:
        def rank(label: tuple[str, str, str]) -> tuple:
            prop, text, tag = label
            order = _LABEL_RANK.index(prop) if prop in _LABEL_RANK else len(_LABEL_RANK)
            return (order, tag.split("-")[0] != lang, tag == "", len(text), text)
        return min(labels, key=rank)[1]
    props = data.get("props", {})
    if props.get("kg:paperweeklyId"):
        return "pw" + props["kg:paperweeklyId"][0]
    for key in ("schema:codeRepository", "schema:url"):
        if props.get(key):
            url = props[key][0].split("://", 1)[-1]
            return url.split("/", 1)[1] if url.startswith(("github.com/", "gitlab.com/")) else url
    return "?"


# --- choosing what to draw -------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """The graph a page draws, the nodes it was chosen around, and what the size cap left out."""

    graph: nx.DiGraph
    seeds: tuple[str, ...] = ()
    focus: bool = False  # seeds are what the user focused on (highlighted when the page opens)
    title: str = ""
    left_out: Mapping[str, int] = field(default_factory=dict)  # node type → how many


def neighbourhood(G: nx.DiGraph, seeds: Iterable[str], depth: int,
                  closed: frozenset[str] = frozenset()) -> set[str]:
    """Nodes at most ``depth`` links from a seed, whichever way the links go; no node of a type in
    ``closed`` is added (a query's results fix which papers are shown).

    >>> G = nx.DiGraph([("a", "b"), ("c", "b"), ("c", "d")])
    >>> sorted(neighbourhood(G, ["a"], 2))
    ['a', 'b', 'c']
    """
    dist = {s: 0 for s in seeds if s in G}
    todo = deque(dist)
    while todo:
        node = todo.popleft()
        if dist[node] >= depth:
            continue
        for near in (*G.successors(node), *G.predecessors(node)):
            if near not in dist and G.nodes[near].get("type") not in closed:
                dist[near] = dist[node] + 1
                todo.append(near)
    return set(dist)


def _entity_nodes(store: ox.Store, G: nx.DiGraph, text: str) -> list[str]:
    matches = [m for m in find_entities(store, text) if m.iri in G]
    exact = [m.iri for m in matches if m.exact]
    if exact:
        return exact
    if not matches:
        raise VizError(f"no node has a label or id {text!r}; `kg query --sparql` can look for it")
    if len(matches) > 20:
        some = "; ".join(m.label for m in matches[:8])
        raise VizError(f"{text!r} is part of {len(matches)} labels ({some}; …); give a whole label")
    return [m.iri for m in matches]


def _query_nodes(store: ox.Store, G: nx.DiGraph, name: str, params: Mapping[str, str]) -> list[str]:
    """The nodes a named query's results name: by IRI, by link (paper, code) or by label."""
    index: dict[str, set[str]] = {}
    for node, data in G.nodes(data=True):
        keys = {node, *(t.casefold() for _, t, _ in data["labels"])}
        keys.update(u for k in ("schema:url", "schema:codeRepository") for u in data["props"].get(k, []))
        for key in keys:
            index.setdefault(key, set()).add(node)
    found: set[str] = set()
    for row in run_named(store, name, **params).rows:
        for value in row:
            if isinstance(value, str):
                for piece in {value, *value.split(" "), *value.split("; ")} - {""}:
                    found |= index.get(piece, set()) | index.get(piece.casefold(), set())
    return sorted(found)


def _types(types: Iterable[str] | None) -> set[str]:
    known = node_types()
    if types is None:
        return {t.name for t in known.values() if t.default}
    chosen = set()
    for name in types:
        if name == "all":
            chosen |= set(known)
        elif name in known:
            chosen.add(name)
        else:
            raise VizError(f"unknown node type {name!r}; known: {', '.join(known)}, all")
    return chosen


def select(store: ox.Store, focus: str | None = None, query: str | None = None,
           params: Mapping[str, str] | None = None, depth: int | None = None,
           types: Iterable[str] | None = None, max_nodes: int = MAX_NODES) -> Selection:
    """What a page draws: the whole graph, the nodes within ``depth`` (default 2) of the entity
    ``focus`` names, or those within ``depth`` (default 1) of a named query's results; only
    nodes of ``types`` (but always the focus or results); at most ``max_nodes``.
    """
    if focus is not None and query is not None:
        raise VizError("give --focus or --query, not both")
    G = load_graph(store)
    allowed = _types(types)
    seeds: list[str] = []
    closed: frozenset[str] = frozenset()
    if focus is not None:
        seeds, depth, title = _entity_nodes(store, G, focus), 2 if depth is None else depth, focus
    elif query is not None:
        seeds, depth = _query_nodes(store, G, query, params or {}), 1 if depth is None else depth
        closed = frozenset(G.nodes[n]["type"] for n in seeds)
        shown = " ".join(f"{k}={v}" for k, v in (params or {}).items())
        title = f"{query} {shown}".strip()
        if not seeds:
            raise VizError(f"query {query!r} returned nothing that is a node of the graph")
    else:
        title = ""
    keep = {n for n, t in G.nodes(data="type") if t in allowed} | set(seeds)
    G = G.subgraph(keep)
    if seeds:
        G = G.subgraph(neighbourhood(G, seeds, depth or 0, closed))
    if len(G) == 0:
        raise VizError(f"nothing to draw: the graph has no nodes of the types {', '.join(sorted(allowed))}")
    G, left_out = cap_graph(G, max_nodes, seeds)
    return Selection(nx.DiGraph(G), tuple(seeds), focus is not None, title, left_out)


def cap_graph(G: nx.DiGraph, max_nodes: int, seeds: Iterable[str] = ()) -> tuple[nx.DiGraph, dict[str, int]]:
    """At most ``max_nodes`` nodes: the nearest to a seed first, then the best connected; also
    returns how many nodes of each type were left out.

    >>> G = nx.DiGraph([("a", "b"), ("a", "c"), ("d", "e")]); nx.set_node_attributes(G, "paper", "type")
    >>> small, left = cap_graph(G, 3); sorted(small), left
    (['a', 'b', 'c'], {'paper': 2})
    """
    if len(G) <= max_nodes:
        return G, {}
    U = G.to_undirected(as_view=True)
    dist = nx.multi_source_dijkstra_path_length(U, [s for s in seeds if s in G]) if seeds else {}
    ranked = sorted(G, key=lambda n: (dist.get(n, math.inf), -G.degree(n), n))
    kept = set(ranked[:max_nodes])
    left = Counter(G.nodes[n]["type"] for n in ranked[max_nodes:])
    return G.subgraph(kept), dict(sorted(left.items()))
