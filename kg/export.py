"""Tables of the built graph for other tools: one row per node of a kind, with its identifiers.

Each export is a SPARQL file in ``kg/resources/export/`` (``institutions.rq``: IRI, labels in
English and Chinese, ROR and Wikidata IRIs, parents, papers), registered by its name, and runs
on any of kg's stores (:func:`kg.engine.run_query`). ``kg export --what institutions --format
csv`` prints one.

>>> from kg.api import build_store
>>> table = export_table(build_store(), "institutions")  # the packaged samples
>>> table.columns
('institution', 'label', 'en', 'zh', 'ror', 'wikidata', 'parent', 'papers')
>>> row = dict(zip(table.columns, next(r for r in table.rows if r[3] == "香港中文大学")))
>>> row["label"], row["ror"], row["wikidata"]
('The Chinese University of Hong Kong', 'https://ror.org/00t33hh48', 'http://www.wikidata.org/entity/Q15570')
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from kg.engine import Store, run_query
from kg.errors import QueryError
from kg.results import Result

__all__ = ["EXPORTS", "export_table"]

EXPORTS: dict[str, str] = {"institutions": "institutions.rq"}
"""Export name → its SPARQL file in ``kg/resources/export/``."""


@cache
def _sparql(name: str) -> str:
    return (resources.files("kg") / "resources" / "export" / EXPORTS[name]).read_text(encoding="utf-8")


def export_table(store: Store, what: str) -> Result:
    """The rows of export ``what`` (a name in :data:`EXPORTS`) from ``store``."""
    if what not in EXPORTS:
        raise QueryError(f"nothing to export named {what!r}; known: {', '.join(EXPORTS)}")
    return run_query(store, _sparql(what), source=f"kg/resources/export/{EXPORTS[what]}")
