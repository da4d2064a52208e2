"""SPARQL over the built graph: named queries from ``resources/queries/*.rq`` and result formats.

Parameters are bound as RDF terms (Oxigraph substitutions), never pasted into query text.

>>> sorted(named_queries())
['papers', 'papers-with-code', 'topics', 'venues']
>>> import tempfile
>>> from pathlib import Path
>>> from kg.build import build
>>> from kg.ingest import sample_paths
>>> from kg.store import open_store
>>> out = Path(tempfile.mkdtemp()); _ = build(sample_paths(), out)
>>> result = run_named(open_store(out), "papers-with-code", venue="AAAI 2019")
>>> result.columns, result.rows[0][0]
(('paper', 'title', 'venue_label', 'code'), 'https://www.paperweekly.site/papers/90011')
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Callable, Mapping

import pyoxigraph as ox
import rdflib

from kg.errors import QueryError, StoreError
from kg.link import venue_iri
from kg.venues import parse_venue_label

__all__ = [
    "Param", "NamedQuery", "Result", "PARAM_KINDS", "FORMATS", "parse_named_query",
    "named_queries", "run_query", "run_named", "format_result",
]

Term = ox.NamedNode | ox.BlankNode | ox.Literal


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


@dataclass(frozen=True)
class Result:
    """Rows of plain Python values: str for IRIs and strings, int/float/bool, None when unbound."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


# --- parameter kinds: the text a user typed -> the RDF term bound in the query ------------------
def _venue_term(text: str) -> Term:
    """A venue edition ("AAAI 2019") or series ("ACL") as its IRI."""
    venue = parse_venue_label(text)
    if venue is None:
        raise QueryError(f"unknown venue {text!r}; `kg query venues` lists the venues in the graph")
    return ox.NamedNode(str(venue_iri(venue.series, venue.year)))


def _topic_term(text: str) -> Term:
    """A topic label; the queries compare it with the topics' labels in any case."""
    return ox.Literal(" ".join(text.split()))


def _integer_term(text: str) -> Term:
    try:
        return ox.Literal(int(text))
    except ValueError:
        raise QueryError(f"not an integer: {text!r}") from None


PARAM_KINDS: dict[str, Callable[[str], Term]] = {
    "venue": _venue_term,
    "topic": _topic_term,
    "string": ox.Literal,
    "integer": _integer_term,
    "iri": ox.NamedNode,
}


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
    return Param(m.group("name"), m.group("kind"), m.group("need") == "optional",
                 m.group("example"), m.group("description") or "")


def named_queries() -> dict[str, NamedQuery]:
    """The packaged named queries by name.

    >>> named_queries()["venues"].description.split(" with ")[0]
    'Venues'
    """
    found: dict[str, NamedQuery] = {}
    for path in sorted((files("kg") / "resources" / "queries").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".rq"):
            query = parse_named_query(path.read_text(encoding="utf-8"), f"queries/{path.name}")
            found[query.name] = query
    return found


# --- running ---------------------------------------------------------------------------------
def run_query(store: ox.Store, sparql: str, bindings: Mapping[str, Any] | None = None) -> Result:
    """Run SPARQL over every graph of ``store`` (their union is the default graph).

    ``bindings`` maps variable names to RDF terms (pyoxigraph or rdflib) or plain values; each
    variable must be in the SELECT clause.

    >>> store = ox.Store()
    >>> store.add(ox.Quad(ox.NamedNode("urn:p"), ox.NamedNode("urn:title"), ox.Literal("Mask R-CNN")))
    >>> run_query(store, "SELECT ?p ?t WHERE { ?p <urn:title> ?t }", {"p": ox.NamedNode("urn:p")}).rows
    (('urn:p', 'Mask R-CNN'),)
    """
    substitutions = {ox.Variable(k): _term(v) for k, v in (bindings or {}).items()}
    try:
        answer = store.query(sparql, use_default_graph_as_union=True, substitutions=substitutions or None)
        if isinstance(answer, ox.QueryBoolean):
            return Result(("result",), ((bool(answer),),))
        if isinstance(answer, ox.QueryTriples):
            rows = tuple((_value(t.subject), _value(t.predicate), _value(t.object)) for t in answer)
            return Result(("subject", "predicate", "object"), rows)
        columns = tuple(v.value for v in answer.variables)
        rows = tuple(tuple(_value(s[c]) for c in columns) for s in answer)
        return Result(columns, rows)
    except SyntaxError as err:
        raise QueryError(f"SPARQL syntax error: {err}") from err
    except RuntimeError as err:  # e.g. a bound variable that is not in the SELECT clause
        raise QueryError(str(err)) from err
    except OSError as err:
        raise StoreError(f"cannot read the graph store: {err}") from err


def run_named(store: ox.Store, name: str, **params: str | None) -> Result:
    """Run a named query; parameters left out or None do not constrain it.

    Columns named after a parameter are dropped (they are in the SELECT only to be bound).

    Example: ``run_named(open_store(Path("outputs")), "papers-with-code", venue="ACL 2018")``
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
    bindings: dict[str, Term] = {}
    for param in query.params:
        value = params.get(param.name)
        if value is None or not str(value).strip():
            if not param.optional:
                raise QueryError(f"query {name!r} needs --{param.name} (e.g. {param.example!r})")
            continue
        bindings[param.name] = PARAM_KINDS[param.kind](str(value))
    try:
        result = run_query(store, query.text, bindings)
    except QueryError as err:
        raise QueryError(f"query {name!r}: {err}") from err
    keep = [i for i, c in enumerate(result.columns) if c not in declared]
    return Result(tuple(result.columns[i] for i in keep),
                  tuple(tuple(row[i] for i in keep) for row in result.rows))


def _term(value: Any) -> Term:
    """A pyoxigraph term from a pyoxigraph or rdflib term or a plain Python value."""
    if isinstance(value, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return value
    if isinstance(value, rdflib.URIRef):
        return ox.NamedNode(str(value))
    if isinstance(value, rdflib.BNode):
        return ox.BlankNode(str(value))
    if isinstance(value, rdflib.Literal):
        if value.language:
            return ox.Literal(str(value), language=value.language)
        if value.datatype:
            return ox.Literal(str(value), datatype=ox.NamedNode(str(value.datatype)))
        return ox.Literal(str(value))
    if isinstance(value, (str, bool, int, float)):
        return ox.Literal(value)
    raise QueryError(f"cannot bind {value!r}: not an RDF term")


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {_XSD + t for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte")}
_REALS = {_XSD + t for t in ("decimal", "double", "float")}


def _value(term: Any) -> Any:
    """A plain Python value for a result term (None when unbound)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in _INTEGERS:
                return int(term.value)
            if datatype in _REALS:
                return float(term.value)
        except ValueError:
            return term.value  # an ill-typed literal stays as written
        if datatype == _XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    return str(term)  # a quoted triple


# --- output formats --------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _width(text: str) -> int:
    """Terminal columns ``text`` takes: wide (CJK) characters count twice, combining marks not."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _table(result: Result) -> str:
    """Columns aligned for a terminal; numbers right-aligned."""
    cells = [[_text(v).replace("\n", " ").replace("\t", " ") for v in row] for row in result.rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    numeric = [bool(result.rows) and all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool)
                                         or r[i] is None for r in result.rows)
               for i in range(len(result.columns))]

    def line(values: list[str]) -> str:
        parts = [(" " * (w - _width(v)) + v) if num else (v + " " * (w - _width(v)))
                 for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(result.columns)), rule] + [line(r) for r in cells]) + "\n"


def _delimited(result: Result, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_text(v) for v in row] for row in result.rows)
    return out.getvalue()


def _json(result: Result) -> str:
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


FORMATS: dict[str, Callable[[Result], str]] = {
    "table": _table,
    "csv": lambda r: _delimited(r, ","),
    "tsv": lambda r: _delimited(r, "\t"),
    "json": _json,
}


def format_result(result: Result, fmt: str = "table") -> str:
    """``result`` as text ending in a newline: "table", "csv", "tsv" or "json" (a list of objects).

    >>> print(format_result(Result(("venue", "papers"), (("AAAI 2019", 3),)), "csv"), end="")
    venue,papers
    AAAI 2019,3
    """
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt](result)
