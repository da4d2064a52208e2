"""Check a built graph against the kg SHACL shapes (``schema/shapes.ttl``).

>>> from kg.ingest import Post
>>> from kg.graph import build_dataset
>>> post = Post("001_x.txt", "001_x.txt", "", "utf-8", "ab" * 32, None, None, None)
>>> validate(build_dataset([(post, ())])).conforms
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pyshacl
from rdflib import RDF, BNode, Dataset, Graph, Literal, Namespace
from rdflib.term import Node

from kg.store import load_memory

__all__ = [
    "Violation", "Report", "load_shapes", "load_ontology", "union_graph", "validate", "validate_outputs",
]

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Violation:
    """One SHACL result: the node at fault, the property path, what is wrong, how bad."""

    focus: str  # IRI of the focus node
    path: str | None  # property IRI, "^IRI" for an inverse path, None for node-level results
    message: str
    severity: str  # "Violation", "Warning" or "Info"


@dataclass(frozen=True)
class Report:
    """Outcome of :func:`validate`; ``conforms`` ignores warnings (they are still listed)."""

    conforms: bool
    violations: tuple[Violation, ...]
    text: str

    @property
    def errors(self) -> tuple[Violation, ...]:
        """Only the results of severity Violation."""
        return tuple(v for v in self.violations if v.severity == "Violation")


def _load(name: str) -> Graph:
    g = Graph()
    g.parse(data=files("kg.schema").joinpath(name).read_text(encoding="utf-8"), format="turtle")
    return g


def load_shapes() -> Graph:
    """The SHACL shapes graph shipped as ``kg.schema/shapes.ttl`` (a fresh copy).

    >>> len(load_shapes()) > 100
    True
    """
    return _load("shapes.ttl")


def load_ontology() -> Graph:
    """The kg ontology shipped as ``kg.schema/kg.ttl`` (a fresh copy).

    >>> from kg.link import KG
    >>> (KG.Entry, None, None) in load_ontology()
    True
    """
    return _load("kg.ttl")


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    return load_shapes()


def union_graph(data: Graph) -> Graph:
    """All triples of a dataset (default and named graphs) in one plain graph.

    >>> len(union_graph(Graph()))
    0
    """
    if not isinstance(data, Dataset):
        return data
    union = Graph()
    for s, p, o, _ in data.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _path_text(results: Graph, path: Node | None) -> str | None:
    if path is None:
        return None
    if isinstance(path, BNode):
        inverse = results.value(path, SH.inversePath)
        return f"^{inverse}" if inverse is not None else "(complex path)"
    return str(path)


def _violations(results: Graph) -> tuple[Violation, ...]:
    found = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(r, SH.resultSeverity)
        messages = sorted(str(m) for m in results.objects(r, SH.resultMessage) if isinstance(m, Literal))
        found.append(Violation(
            focus=str(results.value(r, SH.focusNode)),
            path=_path_text(results, results.value(r, SH.resultPath)),
            message="; ".join(messages) or str(results.value(r, SH.sourceConstraintComponent)),
            severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
        ))
    return tuple(sorted(set(found), key=lambda v: (v.severity, v.focus, v.path or "", v.message)))


def validate(data: Graph, *, inference: bool = False) -> Report:
    """Validate a graph or dataset (the union of its named graphs) against the kg shapes.

    ``inference=True`` adds the ontology and RDFS entailment first (slower; the built graph
    states every type explicitly, so it is not needed for it).

    >>> validate(Graph()).violations
    ()
    """
    kwargs: dict[str, object] = {}
    if inference:
        kwargs = {"ont_graph": load_ontology(), "inference": "rdfs"}
    conforms, results, text = pyshacl.validate(
        union_graph(data), shacl_graph=_shapes(), allow_warnings=True, allow_infos=True, **kwargs,
    )
    return Report(bool(conforms), _violations(results), str(text))


def validate_outputs(out_dir: str | Path) -> Report:
    """Validate the graph files a build wrote (``out_dir/graphs/*.trig``).

    >>> validate_outputs("/nonexistent")
    Traceback (most recent call last):
    kg.errors.StoreError: no graph in /nonexistent/ — run `kg build` first
    """
    return validate(load_memory(Path(out_dir)))
