"""The HTML page of a :class:`kg.viz.Selection`: layout, vis-network data, kg's own template.

pyvis builds the vis-network nodes and edges; the page is kg's own template (``resources/viz/``),
because pyvis' template links Bootstrap and vis from CDNs and turns every hover card into raw HTML
once a title holds "href". Text from posts only ever reaches the page inside a JSON block that
``tojson`` escapes (``<``, ``>``, ``&``, ``'``), and the page's script puts it into the DOM with
``textContent``; a Content-Security-Policy with the hashes of the page's two scripts stops any
other script and every request.

>>> import networkx as nx
>>> from kg.viz import Selection
>>> G = nx.DiGraph()
>>> G.add_edge("urn:p", "urn:v", relations=["kg:venue"], evidence=[])
>>> G.add_node("urn:p", type="paper", labels=[("dcterms:title", "<i>Paper</i>", "")], props={})
>>> G.add_node("urn:v", type="venue", labels=[("rdfs:label", "AAAI 2019", "")], props={})
>>> page = render_page(Selection(G))
>>> "Paper" in page and "<i>Paper" not in page  # the title is in the page, its markup escaped
True
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from kg.errors import VizError
from kg.viz import LANGS, Selection, _resource, _rows, display_label, node_types

__all__ = ["PHYSICS_MAX_NODES", "layout_positions", "render_page", "page_name", "left_out_message",
           "write_page"]

PHYSICS_MAX_NODES = 300
"""Above this, positions are computed beforehand and the page runs no physics (it opens still)."""

_LINK_KINDS = {"schema:url": "paper_link", "schema:codeRepository": "code_link",
               "kg:datasetLink": "dataset_link"}
_SAME_AS_KINDS = {"https://ror.org/": "ror_link", "http://www.wikidata.org/entity/": "wikidata_link"}
"""An institution's identifiers elsewhere (``schema:sameAs``) by where they point: ROR first."""
_FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
_SHORT = 28  # characters of a label drawn on the canvas; the hover card has the whole label
_SUMMARY = 240  # characters of an entry's summary on a paper's card


@lru_cache(maxsize=None)
def _relation_names() -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in _rows("relations.tsv")}


@lru_cache(maxsize=None)
def _strings() -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in _rows("strings.tsv")}


def _in(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or the English of an (English, Chinese) pair."""
    return pair[1] if lang == "zh" else pair[0]


def layout_positions(G: nx.Graph, seed: int = 7, edge_px: float = 170.0) -> dict[str, tuple[float, float]]:
    """Positions in pixels (same graph, same positions): each connected part laid out on its own
    (NetworkX spring layout), then packed in rows, largest first, so that small parts do not
    drift far away and shrink the whole picture.

    >>> pos = layout_positions(nx.Graph([("a", "b"), ("b", "c"), ("x", "y")]))
    >>> sorted(pos), all(isinstance(v, float) for xy in pos.values() for v in xy)
    (['a', 'b', 'c', 'x', 'y'], True)
    """
    U = nx.Graph(G.to_undirected(as_view=True))
    U.remove_edges_from(nx.selfloop_edges(U))
    parts = sorted((sorted(c) for c in nx.connected_components(U)), key=lambda c: (-len(c), c[0]))
    if not parts:
        return {}
    boxes = [_part_layout(U.subgraph(part), seed, edge_px) for part in parts]
    total = sum((max(x for x, _ in b.values()) - min(x for x, _ in b.values()) + edge_px)
                * (max(y for _, y in b.values()) - min(y for _, y in b.values()) + edge_px) for b in boxes)
    row_width = max(1.3 * math.sqrt(total), *(max(x for x, _ in b.values()) - min(x for x, _ in b.values())
                                              for b in boxes[:1]))
    pos: dict[str, tuple[float, float]] = {}
    x0 = y0 = row_height = 0.0
    for box in boxes:
        left, top = min(x for x, _ in box.values()), min(y for _, y in box.values())
        width = max(x for x, _ in box.values()) - left
        height = max(y for _, y in box.values()) - top
        if x0 > 0 and x0 + width > row_width:
            x0, y0, row_height = 0.0, y0 + row_height + edge_px, 0.0
        pos.update({n: (x - left + x0, y - top + y0) for n, (x, y) in box.items()})
        x0, row_height = x0 + width + edge_px, max(row_height, height)
    return {n: (round(x, 1) if math.isfinite(x) else 0.0, round(y, 1) if math.isfinite(y) else 0.0)
            for n, (x, y) in sorted(pos.items())}


def _part_layout(U: nx.Graph, seed: int, edge_px: float) -> dict[str, tuple[float, float]]:
    """One connected part: a spring layout of the nodes with two or more links, then each node
    with one link (most nodes here: a method or code named once) on a ring around its neighbour."""
    if len(U) == 1:
        return {next(iter(U)): (0.0, 0.0)}
    parent = {n: next(iter(U[n])) for n in sorted(U) if U.degree(n) == 1}
    parent = {n: p for n, p in parent.items() if U.degree(p) > 1}
    core = U.subgraph(n for n in U if n not in parent)
    pos = _spring(core, seed)
    lengths = sorted(math.dist(pos[a], pos[b]) for a, b in core.edges)
    median = lengths[len(lengths) // 2] if lengths else 0.0
    unit = edge_px / median if median > 0 else edge_px
    pos = {n: (x * unit, y * unit) for n, (x, y) in pos.items()}
    children: dict[str, list[str]] = {}
    for leaf, p in parent.items():
        children.setdefault(p, []).append(leaf)
    for p, leaves in sorted(children.items()):
        radius = edge_px * (0.45 + 0.06 * math.sqrt(len(leaves)))
        turn = int(hashlib.sha1(p.encode()).hexdigest()[:4], 16) % 360 * math.pi / 180
        for k, leaf in enumerate(leaves):
            angle = turn + 2 * math.pi * k / len(leaves)
            pos[leaf] = (pos[p][0] + radius * math.cos(angle), pos[p][1] + radius * math.sin(angle))
    return pos


def _spring(U: nx.Graph, seed: int, iterations: int = 100) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold (the force model of ``nx.spring_layout``) in float32 NumPy, one
    coordinate at a time: NetworkX's own switches to a SciPy energy minimisation past 500 nodes,
    which takes 20 s here for 2,000; this takes 2 s."""
    import numpy as np

    nodes = sorted(U)
    n = len(nodes)
    if n <= 2:
        return {v: (float(i), 0.0) for i, v in enumerate(nodes)}
    index = {v: i for i, v in enumerate(nodes)}
    adjacency = np.zeros((n, n), np.float32)
    for a, b in U.edges:
        adjacency[index[a], index[b]] = adjacency[index[b], index[a]] = 1.0
    rng = np.random.default_rng(seed)
    x, y = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    k = np.float32(1.5 / math.sqrt(n))
    step = np.float32(0.1)
    for _ in range(iterations):
        dx, dy = np.subtract.outer(x, x), np.subtract.outer(y, y)
        d2 = dx * dx
        d2 += dy * dy
        np.maximum(d2, np.float32(1e-4), out=d2)
        force = np.sqrt(d2)
        force *= adjacency
        force *= -1 / k  # attraction along links, d²/k ...
        force += (k * k) / d2  # ... against repulsion between every pair, k²/d²
        fx, fy = np.einsum("ij,ij->i", dx, force), np.einsum("ij,ij->i", dy, force)
        scale = step / np.maximum(np.hypot(fx, fy), np.float32(0.01))
        x += fx * scale
        y += fy * scale
        step -= np.float32(0.1 / (iterations + 1))
    return {v: (float(x[i]), float(y[i])) for v, i in index.items()}


def _short(text: str, n: int = _SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _card(G: nx.DiGraph, node: str, lang: str) -> dict[str, Any]:
    """What the page needs to know about a node beyond how it looks (all of it plain text)."""
    data = G.nodes[node]
    card: dict[str, Any] = {"type": data["type"], "label": display_label(data, lang),
                            "names": sorted({t for _, t, _ in data["labels"]})}
    props = data["props"]
    card["links"] = [[_LINK_KINDS[k], url] for k in _LINK_KINDS for url in props.get(k, [])]
    card["links"] += [[kind, iri] for start, kind in _SAME_AS_KINDS.items()
                      for iri in props.get("schema:sameAs", []) if iri.startswith(start)]
    if data["type"] == "paper":
        card["venues"], card["year"] = data.get("venues", []), data.get("year")
        card["ids"] = ["pw" + i for i in props.get("kg:paperweeklyId", [])]
        for code in G.successors(node):
            if "kg:code" in G.edges[node, code]["relations"]:
                card["links"] += [["code_link", u] for u in G.nodes[code]["props"].get("schema:codeRepository", [])]
        if data.get("summary"):
            card["summary"] = _short(data["summary"], _SUMMARY)
    for key in ("kg:year", "dcterms:date", "kg:paperDailyNumber"):
        if props.get(key):
            card.setdefault("facts", []).append([key.split(":")[1], props[key][0]])
    return card


def _edge_card(G: nx.DiGraph, s: str, o: str, lang: str) -> dict[str, Any]:
    names = _relation_names()
    rel = G.edges[s, o]
    name = lambda r: _in(names[r], lang) if r in names else r.split(":")[-1].split("#")[-1]  # noqa: E731
    evidence = [{k: v for k, v in {**e, "relation": name(e["relation"])}.items() if v is not None}
                for e in rel["evidence"]]
    return {"relations": [name(r) for r in rel["relations"]], "evidence": evidence}


def _script_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_page(selection: Selection, lang: str = "zh", physics: bool | None = None) -> str:
    """The HTML page of ``selection``: labels in ``lang`` ("zh" or "en"); physics (a live layout)
    only for graphs of at most :data:`PHYSICS_MAX_NODES` nodes unless ``physics`` says otherwise.
    """
    from jinja2 import Environment
    from markupsafe import Markup
    from pyvis.network import Network

    if lang not in LANGS:
        raise VizError(f"unknown language {lang!r}; known: {', '.join(LANGS)}")
    G = selection.graph
    physics = len(G) <= PHYSICS_MAX_NODES if physics is None else physics
    pos = layout_positions(G)
    types = node_types()
    net = Network(directed=True)
    for node in sorted(G):
        t = types[G.nodes[node]["type"]]
        card = _card(G, node, lang)
        x, y = pos[node]
        net.add_node(node, label=_short(card["label"]), shape=t.shape, color=t.colour,
                     value=G.degree(node) + 1, x=x, y=y, kg=card)
    for k, (s, o) in enumerate(sorted(G.edges)):
        net.add_edge(s, o, id=f"e{k}", kg=_edge_card(G, s, o, lang))
    net.options = _options(physics, len(G))
    present = Counter(G.nodes[n]["type"] for n in G)
    meta = {
        "lang": lang, "title": selection.title,
        "strings": {k: _in(v, lang) for k, v in _strings().items()},
        "types": [{"name": t.name, "label": _in((t.label_en, t.label_zh), lang), "shape": t.shape,
                   "colour": t.colour, "count": present[t.name]} for t in types.values() if present[t.name]],
        "focus": sorted(s for s in selection.seeds if s in G) if selection.focus else [],
        "leftOut": [{"type": _in((types[k].label_en, types[k].label_zh), lang), "count": v}
                    for k, v in selection.left_out.items()],
    }
    data = {"nodes": net.nodes, "edges": net.edges, "options": net.options, "meta": meta}
    env = Environment(autoescape=True)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False, "separators": (",", ":")}
    vis_js, app_js = _resource("vis-network.min.js"), _resource("viz.js")
    for script in (vis_js, app_js):
        assert "</script" not in script.lower()
    page_title = "kg · " + (selection.title or ("整个图谱" if lang == "zh" else "whole graph"))
    return env.from_string(_resource("page.html")).render(
        lang=lang, page_title=page_title, data=data, css=Markup(_resource("viz.css")),
        vis_js=Markup(vis_js), app_js=Markup(app_js),
        script_hashes=" ".join(_script_hash(s) for s in (vis_js, app_js)),
    )


def _options(physics: bool, n: int) -> dict[str, Any]:
    """vis-network options: scaled nodes whose small labels hide when zoomed out (large graphs
    give hubs big labels, readable in the zoomed-out first view); straight edges."""
    return {
        "autoResize": True,
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "nodes": {
            "borderWidth": 1,
            "font": {"face": _FONT, "size": 14, "color": "#1f2328", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "scaling": {"min": 7, "max": 30,
                        "label": {"enabled": True, "min": 10, "max": 32 if n > PHYSICS_MAX_NODES else 22,
                                  "drawThreshold": 7, "maxVisible": 16}},
        },
        "edges": {
            "width": 1, "selectionWidth": 2, "hoverWidth": 0.5, "smooth": False,
            "color": {"color": "#c3c8d0", "highlight": "#3b4048", "hover": "#7d848f", "inherit": False},
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.35}},
        },
        "interaction": {"hover": True, "hideEdgesOnDrag": n > PHYSICS_MAX_NODES, "tooltipDelay": 3600000,
                        "multiselect": False, "navigationButtons": False, "keyboard": False},
        "physics": {"enabled": physics, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 90},
                    "stabilization": {"enabled": physics, "iterations": 250, "fit": True}},
    }


def page_name(focus: str | None = None, query: str | None = None) -> str:
    """The default file name of a page.

    >>> page_name(), page_name(focus="AAAI 2019"), page_name(focus="清华"), page_name(query="papers")
    ('viz.html', 'viz-focus-aaai-2019.html', 'viz-focus-清华.html', 'viz-query-papers.html')
    """
    def name(text: str) -> str:
        return "-".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))[:60] or "x"

    if focus is not None:
        return f"viz-focus-{name(focus)}.html"
    if query is not None:
        return f"viz-query-{name(query)}.html"
    return "viz.html"


def left_out_message(selection: Selection, max_nodes: int) -> str:
    """What the size cap left out and how to narrow the page; empty when nothing was left out."""
    if not selection.left_out:
        return ""
    total = sum(selection.left_out.values())
    counts = ", ".join(f"{v} {k}" for k, v in selection.left_out.items())
    return (f"left out {total} nodes ({counts}): a page holds at most {max_nodes}, the least connected "
            f"go first; narrow it with --focus ENTITY, --query NAME or --types TYPE,…")


def write_page(html: str, path: Path) -> Path:
    """Write ``html`` to ``path`` (folders made as needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
