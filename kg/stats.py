"""What a built graph holds, counted: posts, entries, papers (with code, with a venue), venues,
topics, institutions, datasets, methods, tasks, metrics, people, recommenders, code
repositories and facts. ``kg stats`` prints it; it runs on any of kg's stores
(:func:`kg.engine.run_query`), a SPARQL server's too.

>>> from kg.api import build_store
>>> table = graph_stats(build_store())  # the packaged samples
>>> table.columns
('what', 'count')
>>> dict(table.rows)["posts"], dict(table.rows)["papers with code"]
(3, 8)
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from kg.engine import Store, run_query
from kg.results import Result

__all__ = ["graph_stats"]


@cache
def _sparql() -> str:
    return (resources.files("kg") / "resources" / "stats.rq").read_text(encoding="utf-8")


def graph_stats(store: Store) -> Result:
    """One row per kind of node, in a fixed order: ``(what, count)``."""
    return run_query(store, _sparql(), source="kg/resources/stats.rq")
