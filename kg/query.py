"""Named queries: ``resources/queries/*.rq`` files with a header, run on any of kg's stores.

Parameters are bound as RDF terms, never pasted into query text (see :mod:`kg.sparql`); an
entity parameter accepts any label or alias of the entity (see :mod:`kg.params`). A line of a
query that ends in ``# if NAME`` runs only when parameter NAME is given (``# unless NAME``: only
when it is not), which is how a parameter is optional; a ``flag`` parameter (a yes/no switch such
as ``--include-parts``) counts as given only when it is true. This module is the one to import in a
notebook: it also offers :func:`run_query` and :func:`format_result`.

>>> sorted(named_queries())[:4]
['datasets-for-task', 'evidence', 'institution-collaborations', 'methods-proposed']
>>> from kg.api import build_store
>>> result = run_named(build_store(), "papers-with-code", venue="AAAI 2019")  # the samples
>>> result.columns, result.rows[0][0]
(('paper', 'title', 'venue_label', 'code'), 'https://www.paperweekly.site/papers/90011')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import pyoxigraph as ox
import rdflib

from kg.engine import Store, run_query, to_term
from kg.errors import QueryError
from kg.params import PARAM_KINDS, bind_param
from kg.results import FORMATS, Result, format_result
from kg.sparql import select_lines

__all__ = [
    "Param", "NamedQuery", "Result", "PARAM_KINDS", "FORMATS", "parse_named_query",
    "named_queries", "run_query", "run_named", "format_result",
]


@dataclass(frozen=True)
class Param:
    """A parameter of a named query; it binds the SPARQL variable of the same name."""

    name: str
    kind: str  # a key of PARAM_KINDS: how the value becomes an RDF term
    optional: bool = False
    example: str | None = None
    description: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """A ``.rq`` file: its header (name, description, parameters) and the SPARQL text."""

    name: str
    description: str
    params: tuple[Param, ...]
    text: str


# --- named queries ---------------------------------------------------------------------------
_HEADER_LINE = re.compile(r"#\s*(?P<key>name|description|param)\s*:\s*(?P<value>.*?)\s*$")
_PARAM_SPEC = re.compile(
    r"(?P<name>[a-z_][a-z0-9_]*)\s*\(\s*(?P<kind>\w+)\s*(?:,\s*(?P<need>optional|required)\s*)?\)"
    r"(?:\s+example\s+\"(?P<example>[^\"]*)\")?(?:\s*[—–-]+\s*(?P<description>.*))?$"
)


def parse_named_query(text: str, source: str = "<query>") -> NamedQuery:
    """Read a named query: leading ``# name:``, ``# description:``, ``# param:`` lines, then SPARQL.

    >>> q = parse_named_query('# name: n\\n# param: venue (venue, optional) example "ACL"\\nASK {}')
    >>> q.name, q.params[0].optional, q.params[0].example
    ('n', True, 'ACL')
    """
    fields: dict[str, str] = {}
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        m = _HEADER_LINE.match(line)
        if not m:
            continue  # a free comment
        key, value = m.group("key", "value")
        if key == "param":
            params.append(_parse_param(value, f"{source}:{number}"))
        else:
            fields[key] = value
    if not fields.get("name"):
        raise QueryError(f"{source}: no '# name:' line in the query header")
    if len({p.name for p in params}) != len(params):
        raise QueryError(f"{source}: a parameter is declared twice")
    return NamedQuery(fields["name"], fields.get("description", ""), tuple(params), text)


def _parse_param(spec: str, where: str) -> Param:
    m = _PARAM_SPEC.match(spec)
    if not m:
        raise QueryError(f'{where}: expected "# param: NAME (KIND[, optional]) [example "…"] [— text]"')
    if m.group("kind") not in PARAM_KINDS:
        known = ", ".join(PARAM_KINDS)
        raise QueryError(f"{where}: unknown parameter kind {m.group('kind')!r}; known: {known}")
    optional = m.group("need") == "optional" or m.group("kind") == "flag"  # a switch left off is "no"
    return Param(m.group("name"), m.group("kind"), optional, m.group("example"), m.group("description") or "")


def named_queries() -> dict[str, NamedQuery]:
    """The packaged named queries by name.

    >>> named_queries()["venues"].description.split(" with ")[0]
    'Venues'
    """
    return dict(_packaged())


@cache
def _packaged() -> tuple[tuple[str, NamedQuery], ...]:
    found: list[tuple[str, NamedQuery]] = []
    for path in sorted((files("kg") / "resources" / "queries").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".rq"):
            query = parse_named_query(path.read_text(encoding="utf-8"), f"queries/{path.name}")
            found.append((query.name, query))
    return tuple(found)


# --- running ---------------------------------------------------------------------------------
_NO = ox.Literal(False)


def run_named(store: Store, name: str, **params: Any) -> Result:
    """Run a named query on ``store``; parameters left out or None (or a flag that is false) do
    not constrain it.

    A parameter is text as a user types it (bound according to its kind) or an RDF term. Columns
    named after a parameter are dropped (they are in the SELECT only to be bound).

    Example: ``run_named(open_store(Path("outputs")), "papers-by-institution", institution="清华")``
    (a run on the samples is in the module docstring).
    """
    queries = named_queries()
    if name not in queries:
        raise QueryError(f"unknown query {name!r}; known: {', '.join(sorted(queries))}")
    query = queries[name]
    declared = {p.name: p for p in query.params}
    for key in params:
        if key not in declared:
            known = ", ".join(declared) or "none"
            raise QueryError(f"query {name!r} has no parameter {key!r}; its parameters: {known}")
    bindings: dict[str, Any] = {}
    for param in query.params:
        value = params.get(param.name)
        if value is None or not str(value).strip():
            if not param.optional:
                raise QueryError(f"query {name!r} needs --{param.name} (e.g. {param.example!r})")
            continue
        if isinstance(value, (ox.NamedNode, ox.Literal, rdflib.term.Identifier)):
            bindings[param.name] = to_term(value)
        else:
            bindings[param.name] = bind_param(store, param.kind, str(value))
    given = {k for k, term in bindings.items() if declared[k].kind != "flag" or term != _NO}
    try:
        text = select_lines(query.text, given)
        result = run_query(store, text, bindings, source=f"queries/{name}.rq")
    except QueryError as err:
        raise QueryError(f"query {name!r}: {err}") from err
    return result.drop(declared)
