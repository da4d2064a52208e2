"""What a query answers (:class:`Result`) and how it is printed: table, CSV, TSV, JSON, SPARQL JSON, Turtle.

>>> r = result_from_terms(("topic", "papers"), [(ox.Literal("知识图谱", language="zh"), ox.Literal(12))])
>>> r.rows
(('知识图谱', 12),)
>>> print(format_result(r, "sparql-json"), end="")
{"head": {"vars": ["topic", "papers"]}, "results": {"bindings": [{"topic": {"type": "literal", "value": "知识图谱", "xml:lang": "zh"}, "papers": {"type": "literal", "value": "12", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import pyoxigraph as ox

from kg.errors import QueryError

__all__ = ["Result", "FORMATS", "result_from_terms", "format_result", "plain_value"]

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class Result:
    """Rows of plain Python values: str for IRIs and strings, int/float/bool, None when unbound.

    ``terms`` keeps the RDF terms behind ``rows`` (for SPARQL JSON and Turtle); ``kind`` is
    "select", "ask" or "graph" (a CONSTRUCT/DESCRIBE answer: subject, predicate, object rows).
    Two results are equal when their columns and rows are.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    terms: tuple[tuple[Term | None, ...], ...] = field(default=(), compare=False, repr=False)
    kind: str = field(default="select", compare=False)

    def drop(self, names: Iterable[str]) -> Result:
        """The same result without the columns in ``names``."""
        gone = set(names)
        keep = [i for i, c in enumerate(self.columns) if c not in gone]
        pick = lambda row: tuple(row[i] for i in keep)  # noqa: E731
        return Result(pick(self.columns), tuple(map(pick, self.rows)),
                      tuple(map(pick, self.terms)), self.kind)


def result_from_terms(columns: Sequence[str], rows: Iterable[Sequence[Term | None]],
                      kind: str = "select") -> Result:
    """A :class:`Result` from rows of pyoxigraph terms (None when unbound)."""
    terms = tuple(tuple(row) for row in rows)
    return Result(tuple(columns), tuple(tuple(plain_value(t) for t in row) for row in terms), terms, kind)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {_XSD + t for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte")}
_REALS = {_XSD + t for t in ("decimal", "double", "float")}


def plain_value(term: Term | None) -> Any:
    """A plain Python value for a result term (None when unbound).

    >>> plain_value(ox.Literal("0.667", datatype=ox.NamedNode(_XSD + "decimal"))), plain_value(ox.NamedNode("urn:x"))
    (0.667, 'urn:x')
    """
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


# --- formats ---------------------------------------------------------------------------------
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
    """Columns aligned for a terminal; numbers right-aligned. A graph prints as Turtle."""
    if result.kind == "graph":
        return _turtle(result)
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


def _sparql_term(term: Term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


def _sparql_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/)."""
    if result.kind == "graph":
        raise QueryError("a CONSTRUCT or DESCRIBE answer is a graph, not a table: "
                         "use --format turtle (or csv/tsv/json for its triples)")
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.rows[0][0])}) + "\n"
    terms = result.terms if len(result.terms) == len(result.rows) else None
    if terms is None:
        raise QueryError("this result has no RDF terms to write as SPARQL JSON")
    bindings = [{c: _sparql_term(t) for c, t in zip(result.columns, row) if t is not None} for row in terms]
    doc = {"head": {"vars": list(result.columns)}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False) + "\n"


def _turtle(result: Result) -> str:
    """A CONSTRUCT/DESCRIBE answer as Turtle, triples sorted, kg's prefixes declared."""
    if result.kind != "graph":
        raise QueryError("only a CONSTRUCT or DESCRIBE answer is a graph to write as Turtle")
    from kg.graph import PREFIXES

    triples = sorted((ox.Triple(*row) for row in result.terms), key=str)
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode("utf-8")


FORMATS: dict[str, Callable[[Result], str]] = {
    "table": _table,
    "csv": lambda r: _delimited(r, ","),
    "tsv": lambda r: _delimited(r, "\t"),
    "json": _json,
    "sparql-json": _sparql_json,
    "turtle": _turtle,
}


def format_result(result: Result, fmt: str = "table") -> str:
    """``result`` as text ending in a newline, in one of :data:`FORMATS`.

    "json" is a list of objects with plain values; "sparql-json" is the W3C results format;
    a CONSTRUCT/DESCRIBE answer prints as Turtle in "table" and "turtle".

    >>> print(format_result(Result(("venue", "papers"), (("AAAI 2019", 3),)), "csv"), end="")
    venue,papers
    AAAI 2019,3
    """
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt](result)
