"""kg: turn PaperWeekly PaperDaily posts into a knowledge graph you can query.

The Python API (:mod:`kg.api`, :mod:`kg.netx`) is importable from here — ``kg.build_store()``,
``kg.query_df(store, "venues")``, ``kg.collaboration_graph(store)`` — and loaded on first use,
so that ``import kg`` (and the CLI) stays light.
"""

__version__ = "0.1.0"

_API = {
    "kg.api": ("open_store", "build_store", "query_df", "to_frame", "lookup", "draw", "plot", "use_cjk_font"),
    "kg.netx": ("paper_institution_graph", "collaboration_graph", "topic_graph", "typed_graph",
                "centrality", "communities", "bridges", "export_graph"),
    "kg.stats": ("graph_stats",),
}
_WHERE = {name: module for module, names in _API.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
