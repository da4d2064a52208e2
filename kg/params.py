"""Parameter kinds of named queries: the text a user typed → the RDF term bound in the query.

An entity parameter (``institution``, ``dataset``, ``topic``, …) accepts any label or alias of
the entity, in either language and any case: a lookup query over ``skos:prefLabel``,
``skos:altLabel`` and ``rdfs:label`` returns the IRIs of the entities of the wanted kind. A
name that matches nothing is an error that lists close matches, not an empty answer.

>>> from kg.api import build_store
>>> store = build_store()  # the packaged samples
>>> bind_param(store, "topic", "object  DETECTION") == bind_param(store, "topic", "Object Detection")
True
>>> bind_param(store, "topic", "Recommender System")
Traceback (most recent call last):
kg.errors.QueryError: no topic named 'Recommender System'; close matches: Recommender Systems
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Callable

import pyoxigraph as ox
from rdflib import RDF
from rdflib.namespace import ORG, SDO, SKOS

from kg.engine import run_query
from kg.errors import QueryError
from kg.link import BASE, ID, KG, paper_iri, venue_iri
from kg.venues import parse_venue_label

__all__ = ["EntityKind", "ENTITY_KINDS", "PARAM_KINDS", "bind_param", "resolve_entity", "label_key"]

Term = ox.NamedNode | ox.Literal


@dataclass(frozen=True)
class EntityKind:
    """Things a parameter can name: those with ``predicate value`` (e.g. rdf:type org:Organization)."""

    noun: str  # in messages: "no institution named …"
    predicate: str
    value: str


ENTITY_KINDS: dict[str, EntityKind] = {
    "institution": EntityKind("institution", str(RDF.type), str(ORG.Organization)),
    "dataset": EntityKind("dataset", str(RDF.type), str(SDO.Dataset)),
    "method": EntityKind("method", str(RDF.type), str(KG.Method)),
    "task": EntityKind("task", str(RDF.type), str(KG.Task)),
    "metric": EntityKind("metric", str(RDF.type), str(KG.Metric)),
    "person": EntityKind("person", str(RDF.type), str(SDO.Person)),
    "recommender": EntityKind("recommender", str(RDF.type), str(KG.CommunityUser)),
    "topic": EntityKind("topic", str(SKOS.inScheme), str(ID["scheme/topics"])),
    "paper": EntityKind("paper", str(RDF.type), str(SDO.ScholarlyArticle)),
}
"""Entity parameter kinds; a paper is also named by its paperweekly id, link or title."""


@cache
def _lookup(name: str) -> str:
    return (files("kg") / "resources" / "lookup" / f"{name}.rq").read_text(encoding="utf-8")


def label_key(text: str) -> str:
    """How labels are compared: NFKC, lower case, no whitespace (the lookup query does the same).

    >>> label_key("Tsinghua  University"), label_key("ＴＨＵ")
    ('tsinghuauniversity', 'thu')
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _kind_terms(kind: EntityKind) -> dict[str, Term]:
    return {"kind_p": ox.NamedNode(kind.predicate), "kind_o": ox.NamedNode(kind.value)}


def resolve_entity(store: Any, kind: EntityKind, text: str) -> ox.NamedNode:
    """The IRI of the entity of ``kind`` with label ``text`` (or that IRI itself, when it is one).

    A preferred label beats an alias; two entities with the same best match are ambiguous.
    """
    text = " ".join(text.split())
    if text.startswith(BASE) or text.startswith("id:"):
        iri = _iri_term(store, BASE + "id/" + text[3:] if text.startswith("id:") else text)
        return _existing(store, kind, iri, text)
    rows = run_query(store, _lookup("entity"), {**_kind_terms(kind), "key": ox.Literal(label_key(text))}).rows
    if not rows:
        raise QueryError(f"no {kind.noun} named {text!r}{_suggestions(store, kind, text)}")
    best = [r for r in rows if r[1] == rows[0][1]]
    if len(best) > 1:
        names = ", ".join(r[0] for r in best)
        raise QueryError(f"{text!r} names {len(best)} {kind.noun} entities: {names}; give one of these IRIs")
    return ox.NamedNode(best[0][0])


def _existing(store: Any, kind: EntityKind, iri: ox.NamedNode, text: str) -> ox.NamedNode:
    if not run_query(store, _lookup("exists"), {**_kind_terms(kind), "entity": iri}).rows:
        raise QueryError(f"no {kind.noun} {text} in the graph")
    return iri


def _suggestions(store: Any, kind: EntityKind, text: str, n: int = 5) -> str:
    """"; close matches: A, B": the best-matching label of each of the closest entities."""
    rows = run_query(store, _lookup("entity-labels"), _kind_terms(kind)).rows
    key = label_key(text)
    best: dict[str, tuple[float, str]] = {}
    for entity, label in ((r[0], r[1]) for r in rows):
        other = label_key(label)
        score = difflib.SequenceMatcher(None, key, other).ratio()
        if key and other and (key in other or other in key):
            score = max(score, 0.6 + 0.3 * min(len(key), len(other)) / max(len(key), len(other)))
        rank = (-score, -len(label), label)  # on a tie the fuller name says more
        if score >= 0.6 and (entity not in best or rank < best[entity]):
            best[entity] = rank
    picked = sorted(best.values())[:n]
    if picked:
        return "; close matches: " + ", ".join(label for *_, label in picked)
    return f"; the graph has no {kind.noun} with a similar name" if rows else f"; the graph has no {kind.noun} at all"


# --- the kinds -------------------------------------------------------------------------------
_PAPER_ID = re.compile(r"(?:pw)?(\d+)", re.I)


def _paper_term(store: Any, text: str) -> Term:
    """A paper by paperweekly id ("2644", "pw2644"), link, kg IRI or title."""
    text = text.strip()
    kind = ENTITY_KINDS["paper"]
    m = _PAPER_ID.fullmatch(text)
    if m:
        return _existing(store, kind, ox.NamedNode(str(paper_iri(f"https://www.paperweekly.site/papers/{m.group(1)}"))),
                         f"with paperweekly id {m.group(1)}")
    if re.match(r"https?://", text) and not text.startswith(BASE):
        return _existing(store, kind, ox.NamedNode(str(paper_iri(text))), f"with link {text}")
    return resolve_entity(store, kind, text)


def _venue_term(store: Any, text: str) -> Term:
    """A venue edition ("AAAI 2019") or series ("ACL") as its IRI."""
    venue = parse_venue_label(text)
    if venue is None:
        raise QueryError(f"unknown venue {text!r}; `kg query venues` lists the venues in the graph")
    return ox.NamedNode(str(venue_iri(venue.series, venue.year)))


def _integer_term(store: Any, text: str) -> Term:
    try:
        return ox.Literal(int(text))
    except ValueError:
        raise QueryError(f"not an integer: {text!r}") from None


_YES, _NO = frozenset({"true", "yes", "on", "1"}), frozenset({"false", "no", "off", "0"})


def _flag_term(store: Any, text: str) -> Term:
    """A yes/no switch (``--include-parts``) as an ``xsd:boolean``; false counts as not given.

    >>> _flag_term(None, "True").value, _flag_term(None, " no ").value, _flag_term(None, "1").datatype.value
    ('true', 'false', 'http://www.w3.org/2001/XMLSchema#boolean')
    """
    key = text.strip().lower()
    if key not in _YES | _NO:
        raise QueryError(f"not a yes/no value: {text!r} (true or false)")
    return ox.Literal(key in _YES)


def _iri_term(store: Any, text: str) -> Term:
    try:
        return ox.NamedNode(text.strip())
    except ValueError as err:
        raise QueryError(f"not an IRI: {text!r} ({err})") from None


def _entity_kind(kind: EntityKind) -> Callable[[Any, str], Term]:
    return lambda store, text: resolve_entity(store, kind, text)


PARAM_KINDS: dict[str, Callable[[Any, str], Term]] = {
    "venue": _venue_term,
    "integer": _integer_term,
    "string": lambda store, text: ox.Literal(text),
    "iri": _iri_term,
    "flag": _flag_term,
    **{name: _entity_kind(kind) for name, kind in ENTITY_KINDS.items()},
    "paper": _paper_term,
}
"""Parameter kinds by name: each turns (store, text typed) into the term to bind."""


def bind_param(store: Any, kind: str, text: str) -> Term:
    """The RDF term for ``text`` as a parameter of ``kind`` (looked up in ``store`` for entities)."""
    if kind not in PARAM_KINDS:
        raise QueryError(f"unknown parameter kind {kind!r}; known: {', '.join(PARAM_KINDS)}")
    return PARAM_KINDS[kind](store, text)
