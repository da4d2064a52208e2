"""The Python API for notebooks: open or build a graph, query it into pandas, look entities up,
draw graphs. Each function is a thin layer over the module that does the work (:mod:`kg.build`,
:mod:`kg.query`, :mod:`kg.viz`); NetworkX views and analytics are in :mod:`kg.netx`.

>>> import kg
>>> store = kg.build_store()  # the packaged samples, built in a temporary folder
>>> kg.query_df(store, "venues")[["venue", "papers"]].head(2)
       venue  papers
0  AAAI 2019       3
1  ICCV 2017       2
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Iterable

import networkx as nx
import pandas as pd
import pyoxigraph as ox

from kg.engine import Store
from kg.results import Result
from kg.store import DEFAULT_OUT, open_store

__all__ = ["open_store", "build_store", "query_df", "to_frame", "lookup", "draw", "plot", "use_cjk_font"]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATES = {_XSD + "date", _XSD + "dateTime", _XSD + "dateTimeStamp"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?)?")  # what SUBSTR(STR(?date)…) leaves


def build_store(paths: Iterable[str | Path] | None = None, out_dir: str | Path | None = None) -> ox.Store:
    """Build the posts under ``paths`` (default: the packaged samples) into ``out_dir`` (default:
    a new temporary folder) and open the result, as ``kg build`` does.

    >>> store = build_store()
    >>> int(query_df(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p a <https://schema.org/ScholarlyArticle> }").n[0])
    11
    """
    from kg.build import build
    from kg.ingest import sample_paths

    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="kg-"))
    build(sample_paths() if paths is None else list(paths), out)
    return open_store(out)


def to_frame(result: Result) -> pd.DataFrame:
    """A query result as a DataFrame: IRIs and labels as str, numbers as int or float (Int64
    when some are missing), dates as datetimes: xsd:date/dateTime literals, and columns of ISO
    dates as text ("2018-12-21", what a query's ``SUBSTR(STR(?date), 1, 10)`` gives).

    >>> r = Result(("topic", "papers", "first"), (("GAN", 2, "2018-12-21"), ("NMT", None, None)))
    >>> df = to_frame(r); str(df["papers"].dtype), df["first"].iloc[0].date().isoformat()
    ('Int64', '2018-12-21')
    """
    frame = pd.DataFrame(list(result.rows), columns=list(result.columns))
    for i, column in enumerate(result.columns):
        values = [row[i] for row in result.rows if row[i] is not None]
        terms = [row[i] for row in result.terms if row[i] is not None]
        typed_dates = terms and all(isinstance(t, ox.Literal) and t.datatype.value in _DATES for t in terms)
        if values and (typed_dates or all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in values)):
            frame[column] = pd.to_datetime(frame[column], format="ISO8601", errors="coerce")
        elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[column] = frame[column].astype("int64" if len(values) == len(frame) else "Int64")
    return frame


def query_df(store: Store, query: str, **params: Any) -> pd.DataFrame:
    """Run a named query (``kg queries`` lists them; entity parameters take any label) or SPARQL
    text (``params`` bound to its variables as RDF terms) and return a DataFrame.

    >>> store = build_store()
    >>> query_df(store, "papers-with-code", venue="AAAI 2019").columns.tolist()
    ['paper', 'title', 'venue_label', 'code']
    >>> df = query_df(store, "SELECT ?d WHERE { ?post <http://purl.org/dc/terms/date> ?d }")
    >>> pd.api.types.is_datetime64_any_dtype(df["d"])
    True
    """
    from kg.query import named_queries, run_named, run_query

    if query in named_queries():
        return to_frame(run_named(store, query, **params))
    return to_frame(run_query(store, query, params))


def lookup(store: Store, text: str, type: str | None = None) -> pd.DataFrame:
    """Entities with a label (preferred or alternative label, title, name; any case) that holds
    ``text``, whole-label matches first (``exact``), with their node ``type`` (``org``,
    ``paper``, ``task``… as in ``kg viz``); ``type`` keeps one type; ``pw2654`` finds a paper.

    >>> lookup(build_store(), "斯坦福")[["type", "label", "exact"]].values.tolist()
    [['org', '斯坦福', True], ['dataset', '斯坦福问答数据集', False]]
    """
    from kg.query import run_query
    from kg.viz import _curie, _node_type, find_entities

    rows = []
    for match in find_entities(store, text):
        classes = run_query(store, "SELECT DISTINCT ?class ?node WHERE { ?node a ?class }", {"node": ox.NamedNode(match.iri)})
        kind = _node_type({_curie(r[0]) for r in classes.rows})
        if type is None or kind == type:
            rows.append((match.iri, kind, match.label, match.exact))
    return pd.DataFrame(rows, columns=["iri", "type", "label", "exact"])


def _viz_graph(G: nx.Graph) -> nx.DiGraph:
    """``G`` with the attributes a ``kg viz`` page needs (``labels``, ``props``, ``relations``,
    ``evidence``), made from ``label``/``label_zh`` and ``weight``/``relation`` where missing."""
    D = nx.DiGraph()
    for node, data in G.nodes(data=True):
        labels = data.get("labels") or [("skos:prefLabel", str(data.get("label", node)), "en")]
        if data.get("label_zh") and "labels" not in data:
            labels.append(("skos:prefLabel", data["label_zh"], "zh"))
        props = data.get("props") or ({"schema:url": [data["url"]]} if data.get("url") else {})
        D.add_node(node, **{**data, "type": data.get("type", "topic"), "labels": labels, "props": props})
    for s, o, data in G.edges(data=True):
        if not D.has_edge(s, o):
            D.add_edge(s, o, relations=[], evidence=[])
        edge = D.edges[s, o]
        relation = data.get("relation") or (f"{data['weight']} shared papers" if "weight" in data else "linked")
        if relation not in edge["relations"]:
            edge["relations"].append(relation)
        edge["evidence"] += data.get("evidence", [])
    return D


def draw(G: nx.Graph, path: str | Path | None = None, lang: str = "zh", title: str = "") -> Path:
    """Write an interactive ``kg viz`` page of a NetworkX view (any view of :mod:`kg.netx`, or a
    subgraph of one) to ``path`` (default ``outputs/viz-netx.html``); return its path.

    >>> from kg.netx import collaboration_graph
    >>> path = draw(collaboration_graph(build_store()), Path(tempfile.mkdtemp()) / "orgs.html")
    >>> "Stanford University" in path.read_text(encoding="utf-8")
    True
    """
    from kg.viz import Selection
    from kg.vizpage import render_page, write_page

    page = render_page(Selection(_viz_graph(G), title=title or G.graph.get("name", "")), lang=lang)
    return write_page(page, Path(path) if path is not None else DEFAULT_OUT / "viz-netx.html")


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese: put the first Noto/Source Han CJK font installed at the head
    of its sans-serif fonts and return its name; None (and no change) when there is none.

    >>> use_cjk_font() in (None, *_CJK_FONTS)
    True
    """
    import matplotlib

    name = _cjk_font()
    if name:
        fonts = [name] + [f for f in matplotlib.rcParams["font.sans-serif"] if f != name]
        matplotlib.rcParams.update({"font.sans-serif": fonts, "font.family": "sans-serif", "axes.unicode_minus": False})
    return name


_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Noto Serif CJK SC")


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def plot(G: nx.Graph, ax: Any = None, lang: str = "en", size: str = "papers", labels: int = 30) -> Any:
    """Draw ``G`` with matplotlib (colours and layout as in ``kg viz``): node area by ``size``
    (an attribute, else degree), edge width by ``weight``, the ``labels`` largest nodes named
    (``label``, or ``label_zh`` with ``lang="zh"``); return the axes.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from kg.netx import collaboration_graph
    >>> len(plot(collaboration_graph(build_store())).collections)
    2
    """
    import matplotlib.pyplot as plt

    from kg.viz import node_types
    from kg.vizpage import layout_positions

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 8))
    ax.set_axis_off()
    if len(G) == 0:
        return ax
    U = nx.Graph(G) if G.is_multigraph() or G.is_directed() else G
    pos = {n: (x, -y) for n, (x, y) in layout_positions(U).items()}
    colours = {t.name: t.colour for t in node_types().values()}
    sizes = {n: float(d.get(size) or U.degree(n) or 1) for n, d in U.nodes(data=True)}
    weights = [float(w) for *_, w in U.edges(data="weight", default=1)]
    nx.draw_networkx_edges(U, pos, ax=ax, width=[0.6 + 1.2 * (w - 1) for w in weights], edge_color="#9aa0a6",
                           alpha=0.7)
    nx.draw_networkx_nodes(U, pos, ax=ax, node_size=[40 + 60 * sizes[n] for n in U],
                           node_color=[colours.get(U.nodes[n].get("type"), "#888888") for n in U])
    named = sorted(U, key=lambda n: (-sizes[n], -U.degree(n), n))[:labels]
    text = {n: (U.nodes[n].get("label_zh") if lang == "zh" else None) or str(U.nodes[n].get("label", n)) for n in named}
    ys = [y for _, y in pos.values()]
    below = {n: (pos[n][0], pos[n][1] - 0.025 * ((max(ys) - min(ys)) or 1)) for n in named}  # a label under its node
    nx.draw_networkx_labels(U, below, labels=text, ax=ax, font_size=8, verticalalignment="top",
                            font_family=_cjk_font() or "sans-serif")
    return ax
