"""NetworkX views of the graph, analytics over them, and exports (GraphML, GEXF, CSV edge lists).

Each view is read from a store with SPARQL (``resources/netx/*.rq``) and is a plain NetworkX
graph whose nodes are IRIs with a ``type`` (``paper``, ``org``, ``topic``, ``task``, as in
``kg viz``) and a ``label``: :func:`paper_institution_graph` (bipartite), :func:`collaboration_graph`
(institutions, weighted by shared papers), :func:`topic_graph` (topics and tasks that papers share)
and :func:`typed_graph` (everything, a ``MultiDiGraph`` with one edge per relation). The analytics
are plain functions of a graph: :func:`centrality`, :func:`communities`, :func:`bridges`.

>>> from kg.api import build_store
>>> store = build_store()  # the packaged samples, built in a temporary folder
>>> C = collaboration_graph(store)
>>> C.nodes["https://w3id.org/paperweekly-kg/id/org/stanford-university"]["label"]
'Stanford University'
>>> centrality(C)["label"].head(2).tolist()
['Carnegie Mellon University', 'Stanford University']
"""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib.resources import files
from itertools import combinations
from pathlib import Path
from typing import Any, Callable

import networkx as nx
import pandas as pd

from kg.engine import Store, run_query
from kg.errors import KgError
from kg.params import label_key

__all__ = [
    "CHINESE_REGIONS", "EXPORTERS", "paper_institution_graph", "collaboration_graph", "topic_graph",
    "typed_graph", "institution_countries", "centrality", "communities", "bridges", "export_graph",
]

CHINESE_REGIONS = frozenset({"CN", "HK", "MO", "TW"})
"""Country codes counted as Chinese by ``chinese`` node attributes: mainland China, Hong Kong,
Macau and Taiwan (an analysis may choose its own set from ``country``)."""

def _rows(store: Store, name: str) -> tuple[tuple[Any, ...], ...]:
    text = (files("kg") / "resources" / "netx" / f"{name}.rq").read_text(encoding="utf-8")
    return run_query(store, text, source=f"netx/{name}.rq").rows


@cache
def institution_countries() -> dict[str, str]:
    """Gazetteer institution id → ISO country code (``resources/institution-countries.tsv``).

    >>> institution_countries()["microsoft-research-asia"], institution_countries()["deepmind"]
    ('CN', 'GB')
    """
    text = (files("kg") / "resources" / "institution-countries.tsv").read_text(encoding="utf-8")
    return dict(line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))


def _country(org: str, orgs: dict[str, dict[str, Any]], seen: frozenset[str] = frozenset()) -> str | None:
    """Where an institution is: the table's country, else its parent's, else None. (A name
    written in Chinese says nothing: posts write 里约热内卢联邦大学 for a university in Rio.)"""
    known = institution_countries().get(org.rsplit("/", 1)[-1])
    if known:
        return known
    data = orgs.get(org, {})
    parent = data.get("parent")
    if parent and parent not in seen:
        found = _country(parent, orgs, seen | {org})
        if found:
            return found
    return None


# --- views -----------------------------------------------------------------------------------
def _papers(store: Store) -> dict[str, dict[str, Any]]:
    out = {}
    for paper, title, url, venue, year, first_post, code in _rows(store, "papers"):
        out[paper] = {"type": "paper", "label": title or url or paper, "url": url, "venue": venue,
                      "year": year, "first_post": first_post[:10] if first_post else None, "code": code}
    return out


def _institutions(store: Store) -> dict[str, dict[str, Any]]:
    orgs = {org: {"type": "org", "label": label or org, "label_zh": zh, "parent": parent}
            for org, label, zh, parent in _rows(store, "institutions")}
    for org, data in orgs.items():
        data["country"] = _country(org, orgs)
        data["chinese"] = data["country"] in CHINESE_REGIONS
    return orgs


def paper_institution_graph(store: Store) -> nx.Graph:
    """Papers and the institutions they come from (``bipartite`` 0 and 1); only papers that name
    an institution. Paper nodes: ``label`` (title), ``url``, ``venue``, ``year``, ``first_post``
    (date), ``code`` (number of code links); institution nodes: ``label``, ``label_zh``,
    ``parent``, ``country``, ``chinese``, ``papers``.

    >>> from kg.api import build_store
    >>> from collections import Counter
    >>> B = paper_institution_graph(build_store())
    >>> sorted(Counter(t for _, t in B.nodes(data="type")).items())
    [('org', 9), ('paper', 7)]
    """
    papers, orgs = _papers(store), _institutions(store)
    B = nx.Graph(name="papers and institutions")
    for paper, org in _rows(store, "paper-institutions"):
        B.add_node(paper, bipartite=0, **papers.get(paper, {"type": "paper", "label": paper}))
        B.add_node(org, bipartite=1, **orgs.get(org, {"type": "org", "label": org}))
        B.add_edge(paper, org)
    for node, data in B.nodes(data=True):
        if data["type"] == "org":
            data["papers"] = B.degree(node)
    return B


def collaboration_graph(store: Store | nx.Graph) -> nx.Graph:
    """Institutions, linked when named on the same paper; ``weight`` is how many papers they
    share and ``papers`` lists them. Every institution with a paper is a node (``papers``: how
    many), with or without partners. Takes a store or a :func:`paper_institution_graph`.

    >>> from kg.api import build_store
    >>> C = collaboration_graph(build_store())
    >>> sorted((C.nodes[a]["label"], C.nodes[b]["label"], w) for a, b, w in C.edges(data="weight"))[0]
    ('Carnegie Mellon University', 'Stanford University', 1)
    """
    B = store if isinstance(store, nx.Graph) else paper_institution_graph(store)
    C = nx.Graph(name="institution collaborations")
    C.add_nodes_from((n, {k: v for k, v in d.items() if k != "bipartite"})
                     for n, d in sorted(B.nodes(data=True)) if d["type"] == "org")
    for paper in sorted(n for n, t in B.nodes(data="type") if t == "paper"):
        for a, b in combinations(sorted(B[paper]), 2):
            if not C.has_edge(a, b):
                C.add_edge(a, b, weight=0, papers=[])
            C.edges[a, b]["weight"] += 1
            C.edges[a, b]["papers"].append(paper)
    return C


def topic_graph(store: Store, tasks: bool = True) -> nx.Graph:
    """Topics (a post's ``#hashtag``) and, with ``tasks``, the tasks papers address, linked when
    the same paper is about both; ``weight`` is how many papers. A topic and a task of the same
    name are one node (the task's IRI, ``kind`` "topic+task"). Node ``papers``: how many papers.

    Each post tags a paper with one topic, so without tasks topics co-occur only when two posts
    tag the same paper differently.

    >>> from kg.api import build_store
    >>> T = topic_graph(build_store())
    >>> T.nodes["https://w3id.org/paperweekly-kg/id/task/object-detection"]["kind"]
    'topic+task'
    """
    rows = [r for r in _rows(store, "paper-subjects") if tasks or r[2] == "topic"]
    node_of: dict[str, str] = {}  # subject IRI → node
    by_name: dict[str, str] = {}  # label_key of a name → node; tasks come first, so a topic joins its task
    nodes: dict[str, dict[str, Any]] = {}
    for _, subject, kind, label, zh in sorted(rows, key=lambda r: (r[2] != "task", r[1])):
        if subject in node_of:
            continue
        keys = {label_key(x) for x in (label, zh) if x}
        node = node_of[subject] = next((by_name[k] for k in sorted(keys) if k in by_name), subject)
        if node == subject:
            nodes[node] = {"type": kind, "kind": kind, "label": label or subject, "label_zh": zh, "iris": [subject]}
        else:
            nodes[node]["iris"].append(subject)
            nodes[node]["kind"] = "+".join(sorted({*nodes[node]["kind"].split("+"), kind}, reverse=True))
        for k in keys:
            by_name.setdefault(k, node)
    about: dict[str, set[str]] = {}
    for paper, subject, *_ in rows:
        about.setdefault(paper, set()).add(node_of[subject])
    T = nx.Graph(name="topic co-occurrence")
    for node, data in sorted(nodes.items()):
        T.add_node(node, **data, papers=sum(node in s for s in about.values()))
    for paper, subjects in sorted(about.items()):
        for a, b in combinations(sorted(subjects), 2):
            if not T.has_edge(a, b):
                T.add_edge(a, b, weight=0, papers=[])
            T.edges[a, b]["weight"] += 1
            T.edges[a, b]["papers"].append(paper)
    return T


def typed_graph(store: Store) -> nx.MultiDiGraph:
    """The whole graph as ``kg viz`` reads it: nodes of every type in ``node-types.tsv`` (posts
    included) with ``type``, ``label`` (English where there is one), ``labels`` and ``props``;
    one edge per relation, keyed by its CURIE (``schema:sourceOrganization``), with ``relation``
    and the ``evidence`` of that fact.

    >>> from kg.api import build_store
    >>> G = typed_graph(build_store())
    >>> G.nodes["https://w3id.org/paperweekly-kg/id/venue/aaai-2019"]["label"], G.is_multigraph()
    ('AAAI 2019', True)
    """
    from kg.viz import display_label, load_graph

    D = load_graph(store)
    G = nx.MultiDiGraph(name="kg")
    for node, data in D.nodes(data=True):
        G.add_node(node, **data, label=display_label(data, "en"))
    for s, o, data in D.edges(data=True):
        for relation in data["relations"]:
            evidence = [e for e in data["evidence"] if e["relation"] == relation]
            G.add_edge(s, o, key=relation, relation=relation, evidence=evidence)
    return G


# --- analytics -------------------------------------------------------------------------------
def _label(G: nx.Graph, node: str) -> str:
    return str(G.nodes[node].get("label", node))


def centrality(G: nx.Graph, weight: str = "weight") -> pd.DataFrame:
    """How central each node is, most central first: ``degree`` (partners), ``strength`` (sum of
    edge weights: shared papers), ``betweenness`` (share of shortest paths through the node,
    normalised) and ``pagerank`` (weighted); indexed by node, with its ``label``.

    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b", {"weight": 2}), ("b", "c", {"weight": 1})])
    >>> centrality(G)[["degree", "strength", "betweenness"]].loc["b"].tolist()
    [2.0, 3.0, 1.0]
    """
    columns = ["label", "degree", "strength", "betweenness", "pagerank"]
    if len(G) == 0:
        return pd.DataFrame(columns=columns)
    U = nx.Graph(G) if G.is_multigraph() or G.is_directed() else G
    frame = pd.DataFrame({
        "label": {n: _label(U, n) for n in U},
        "degree": dict(U.degree()),
        "strength": dict(U.degree(weight=weight)),
        "betweenness": nx.betweenness_centrality(U),
        "pagerank": nx.pagerank(U, weight=weight) if U.number_of_edges() else {n: 1 / len(U) for n in U},
    })[columns]
    frame[["degree", "strength"]] = frame[["degree", "strength"]].astype(float)
    frame.index.name = "node"
    order = frame.assign(_label=frame["label"].str.casefold())
    order = order.sort_values(["degree", "strength", "betweenness", "_label"], ascending=[False, False, False, True])
    return frame.loc[order.index]


def communities(G: nx.Graph, weight: str = "weight") -> list[set[str]]:
    """Groups of nodes linked more among themselves than to the rest (greedy modularity, which
    gives the same answer every run), largest first; a node without links is a group of its own.

    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y")]); G.add_node("z")
    >>> [sorted(c) for c in communities(G)]
    [['a', 'b', 'c'], ['x', 'y'], ['z']]
    """
    if len(G) == 0:
        return []
    U = nx.Graph(G) if G.is_multigraph() or G.is_directed() else G
    found = nx.community.greedy_modularity_communities(U, weight=weight) if U.number_of_edges() else []
    groups = [set(c) for c in found]
    covered = set().union(*groups) if groups else set()
    groups += [{n} for n in U if n not in covered]
    return sorted(groups, key=lambda c: (-len(c), min(c)))


def bridges(G: nx.Graph, weight: str = "weight") -> pd.DataFrame:
    """Nodes that join groups (:func:`communities`): those with neighbours in another group,
    with ``groups`` (how many groups they touch, their own included), ``betweenness`` and
    ``neighbours``; most between first. On a topic graph, the topics that connect fields.

    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "x"), ("x", "y"), ("y", "z"), ("x", "z")])
    >>> bridges(G).index.tolist()
    ['c', 'x']
    """
    columns = ["label", "groups", "betweenness", "neighbours"]
    U = nx.Graph(G) if G.is_multigraph() or G.is_directed() else G
    group = {n: i for i, c in enumerate(communities(U, weight)) for n in c}
    between = nx.betweenness_centrality(U) if len(U) else {}
    rows = {}
    for node in U:
        touched = {group[n] for n in U[node]} | {group[node]}
        if len(touched) > 1:
            rows[node] = {"label": _label(U, node), "groups": len(touched), "betweenness": between[node],
                          "neighbours": "; ".join(sorted(_label(U, n) for n in U[node]))}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = "node"
    return frame.sort_values(["betweenness", "groups", "label"], ascending=[False, False, True], kind="stable")


# --- exports ---------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """An attribute value GraphML and GEXF can hold: lists of plain values joined with "; ",
    anything else that is not a str/int/float/bool as JSON."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set)) and all(isinstance(v, (str, int, float)) for v in value):
        return "; ".join(map(str, value))
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _plain_graph(G: nx.Graph) -> nx.Graph:
    """A copy of ``G`` whose attributes are all plain values (None left out)."""
    H = G.__class__()
    H.graph.update({k: _plain(v) for k, v in G.graph.items() if v is not None})
    H.add_nodes_from((n, {k: _plain(v) for k, v in d.items() if v is not None}) for n, d in G.nodes(data=True))
    if G.is_multigraph():
        H.add_edges_from((s, o, k, {a: _plain(v) for a, v in d.items() if v is not None})
                         for s, o, k, d in G.edges(keys=True, data=True))
    else:
        H.add_edges_from((s, o, {a: _plain(v) for a, v in d.items() if v is not None}) for s, o, d in G.edges(data=True))
    return H


def _write_gexf(G: nx.Graph, path: Path) -> None:
    H = _plain_graph(G)
    if H.is_multigraph():  # GEXF edge ids must be unique; relation keys repeat
        for k, (_, _, _, data) in enumerate(H.edges(keys=True, data=True)):
            data["id"] = f"e{k}"
    nx.write_gexf(H, path)


def _write_csv(G: nx.Graph, path: Path) -> None:
    """One edge a row: source, target, their labels, then the edge's attributes (key first)."""
    multi = G.is_multigraph()
    edges = list(G.edges(keys=True, data=True)) if multi else [(s, o, None, d) for s, o, d in G.edges(data=True)]
    attributes = sorted({a for *_, d in edges for a in d})
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["source", "target", "source_label", "target_label", *(["key"] if multi else []), *attributes])
        for s, o, key, d in edges:
            values = [_plain(d[a]) if d.get(a) is not None else "" for a in attributes]
            out.writerow([s, o, _label(G, s), _label(G, o), *([key] if multi else []), *values])


EXPORTERS: dict[str, Callable[[nx.Graph, Path], None]] = {
    "graphml": lambda G, path: nx.write_graphml(_plain_graph(G), path),
    "gexf": _write_gexf,
    "csv": _write_csv,
}
"""Export formats by name (and file suffix): GraphML, GEXF (Gephi), CSV edge list."""


def export_graph(G: nx.Graph, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``G`` to ``path`` as GraphML, GEXF or a CSV edge list (``fmt``, or the suffix of
    ``path``); list attributes become "; "-joined text, other structures JSON.

    >>> import tempfile
    >>> G = nx.Graph([("a", "b", {"weight": 2, "papers": ["p1", "p2"]})])
    >>> path = export_graph(G, Path(tempfile.mkdtemp()) / "g.csv")
    >>> print(path.read_text(), end="")
    source,target,source_label,target_label,papers,weight
    a,b,a,b,p1; p2,2
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in EXPORTERS:
        raise KgError(f"{path}: unknown graph format {fmt!r}; known: {', '.join(EXPORTERS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    EXPORTERS[fmt](G, path)
    return path
