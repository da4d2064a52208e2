"""Deterministic IRIs for everything in the graph (same input, same IRIs).

Every IRI starts with :data:`BASE`; vocabulary terms live under :data:`KG`.

>>> str(paper_iri("http://www.paperweekly.site/papers/2644"))
'https://w3id.org/paperweekly-kg/id/paper/pw2644'
>>> str(venue_iri("NeurIPS", 2017))
'https://w3id.org/paperweekly-kg/id/venue/neurips-2017'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from pathlib import PurePath

from rdflib import OWL, RDF, RDFS, XSD, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, SDO, SKOS

__all__ = [
    "BASE", "KG", "ID", "OA", "PREFIXES", "trig_header", "slug", "paper_key", "paper_iri", "canonical_paper_url", "venue_iri",
    "topic_iri", "user_iri", "code_iri", "post_key", "post_iri", "graph_iri", "entry_iri",
]

BASE = "https://w3id.org/paperweekly-kg/"
KG = Namespace(BASE + "ns#")
ID = Namespace(BASE + "id/")

OA = Namespace("http://www.w3.org/ns/oa#")
"""W3C Web Annotation vocabulary (evidence for extracted facts)."""

PREFIXES: dict[str, str] = {
    "dcterms": str(DCTERMS), "id": str(ID), "kg": str(KG), "oa": str(OA), "org": str(ORG), "owl": str(OWL),
    "prov": str(PROV), "rdf": str(RDF), "rdfs": str(RDFS), "schema": str(SDO),
    "skos": str(SKOS), "xsd": str(XSD),
}
"""Prefixes bound in every dataset and declared at the top of every TriG dump."""


def trig_header() -> str:
    """The prefix lines every canonical TriG dump starts with (kg/graph.py writes the rest)."""
    return "\n".join(f"@prefix {p}: <{ns}> ." for p, ns in sorted(PREFIXES.items())) + "\n"


_PW_PAPER = re.compile(r"paperweekly\.site/papers/(\d+)", re.I)


def _hash(text: str, n: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def slug(text: str) -> str:
    """ASCII slug of ``text``; a short hash is added when characters were dropped.

    >>> slug("Knowledge Graph"), slug("C++"), slug("自然语言处理")
    ('knowledge-graph', 'c-372946aa', 'x-84a852be')
    """
    norm = unicodedata.normalize("NFKC", text).casefold().strip()
    ascii_part = re.sub(r"[^a-z0-9]+", "-", norm).strip("-")
    if ascii_part and re.fullmatch(r"[a-z0-9]+(?:[ _.\-/][a-z0-9]+)*", norm):
        return ascii_part
    return f"{ascii_part or 'x'}-{_hash(norm)}"


def paper_key(url: str | None) -> str | None:
    """The paper's key: ``pw<id>`` for paperweekly links, else a hash of the URL."""
    if not url:
        return None
    m = _PW_PAPER.search(url)
    return f"pw{m.group(1)}" if m else f"u{_hash(url.strip().rstrip('/'), 12)}"


def canonical_paper_url(url: str) -> str:
    """The one spelling of a paper link: paperweekly links as https, no trailing slash."""
    m = _PW_PAPER.search(url)
    return f"https://www.paperweekly.site/papers/{m.group(1)}" if m else url.strip()


def paper_iri(url: str | None, fallback: str = "") -> URIRef:
    """IRI of the paper an entry links to; ``fallback`` keys a paper with no link."""
    key = paper_key(url) or f"x{_hash(fallback, 12)}"
    return ID[f"paper/{key}"]


def venue_iri(series: str, year: int | None = None) -> URIRef:
    """A venue series (``year`` None) or one edition of it."""
    return ID[f"venue/{slug(series)}" + (f"-{year}" if year else "")]


def topic_iri(label: str) -> URIRef:
    """A topic, keyed on its label regardless of case and spacing."""
    return ID["topic/" + slug(" ".join(label.split()))]


def user_iri(name: str) -> URIRef:
    """A PaperWeekly community user (a recommender or note writer)."""
    return ID["user/" + slug(name)]


def code_iri(url: str) -> URIRef:
    """A code repository, keyed on its URL without scheme or trailing slash/.git."""
    key = re.sub(r"^https?://", "", url.strip(), flags=re.I).rstrip("/")
    key = re.sub(r"\.git$", "", key)
    return ID["code/" + slug(key)]


@lru_cache(maxsize=65536)
def post_key(name: str) -> str:
    """Key of a post from its file name (without folder and extension); asked for each of a
    post's entries and their evidence, so remembered."""
    return slug(PurePath(name).stem)


def post_iri(name: str) -> URIRef:
    return ID[f"post/{post_key(name)}"]


def graph_iri(name: str) -> URIRef:
    """The named graph that holds everything one post says."""
    return ID[f"graph/{post_key(name)}"]


GAZETTEER_GRAPH = ID["graph/_gazetteer"]
"""The named graph that describes the gazetteers' entities the posts name, once for all of them
(no post's key starts with "_")."""


def entry_iri(name: str, position: int) -> URIRef:
    return ID[f"post/{post_key(name)}/entry/{position}"]
