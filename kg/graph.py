"""Turn posts and their entries into RDF: one named graph per post (see schema/README.md).

>>> from kg.ingest import Post
>>> post = Post("p/001_x.txt", "001_x.txt", "", "utf-8", "0" * 64, None, None, None)
>>> ds = build_dataset([(post, ())])
>>> str(graph_iri("001_x.txt")) in {str(g.identifier) for g in ds.graphs()}
True
>>> dump_trig(ds) == dump_trig(build_dataset([(post, ())]))
True
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Iterable, Sequence
from urllib.parse import quote

from decimal import Decimal

import rdflib.namespace as rdfns
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager

from kg.extract import RULES, Mention, extract_entry
from kg.gazetteer import Entity, gazetteer
from kg.ingest import Post
import kg.link
from kg.link import (
    GAZETTEER_GRAPH, ID, PREFIXES, trig_header, canonical_paper_url, code_iri, entry_iri, graph_iri, paper_key,
    post_iri, topic_iri, user_iri, venue_iri,
)
from kg.parse import Entry
from kg.venues import Venue

__all__ = [
    "post_triples", "gazetteer_triples", "graph_chunk", "trig_header", "Triple",
    "OA", "PREFIXES", "TOPIC_SCHEME", "SCHEMES", "FACT_PREDICATE", "has_cjk", "web_iri", "post_graph", "build_dataset", "dump_trig",
]

Triple = tuple[URIRef, URIRef, URIRef | Literal]


class _Terms:
    """A namespace whose terms are made once: rdflib's namespaces build (and check) a new
    URIRef on every attribute access, which was a tenth of a build's time."""

    def __init__(self, namespace) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term


RDF, RDFS, OWL, XSD = (_Terms(n) for n in (rdfns.RDF, rdfns.RDFS, rdfns.OWL, rdfns.XSD))
DCTERMS, ORG, PROV, SDO, SKOS = (_Terms(n) for n in (rdfns.DCTERMS, rdfns.ORG, rdfns.PROV, rdfns.SDO, rdfns.SKOS))
KG, OA = _Terms(kg.link.KG), _Terms(kg.link.OA)

TOPIC_SCHEME = ID["scheme/topics"]
SCHEMES = {"method": (ID["scheme/methods"], KG.Method, "Methods"),
           "task": (ID["scheme/tasks"], KG.Task, "Tasks"),
           "metric": (ID["scheme/metrics"], KG.Metric, "Metrics")}
"""Concept scheme, class and scheme label of the entity types that are SKOS concepts."""

FACT_PREDICATE = {"institution": SDO.sourceOrganization, "dataset": KG.usesDataset,
                  "task": KG.addressesTask, "metric": KG.reportsMetric, "person": KG.mentionsPerson}
"""Paper → entity predicate of each mention type (methods: kg:proposesMethod / kg:usesMethod)."""

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# characters an IRI may not hold as written (RDF IRIREF); percent-encoded by web_iri
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a CJK ideograph.

    >>> has_cjk("知识图谱"), has_cjk("Knowledge Graph")
    (True, False)
    """
    return bool(_CJK.search(text))


def web_iri(url: str) -> URIRef:
    """A link as an absolute IRI: as written, with characters IRIs forbid percent-encoded.

    >>> str(web_iri("https://github.com/a/b c")), str(web_iri("github.com/a/b"))
    ('https://github.com/a/b%20c', 'http://github.com/a/b')
    """
    url = url.strip()
    if not _SCHEME.match(url):
        url = "http://" + url
    return URIRef(_IRI_BAD.sub(lambda m: quote(m.group(0), safe=""), url))


def _label(text: str) -> Literal:
    return Literal(text, lang="zh" if has_cjk(text) else "en")


def _post_triples(g: set[Triple], post: Post) -> None:
    node = post_iri(post.name)
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, RDF.type, KG.Post))
    if post.title:
        g.add((node, DCTERMS.title, Literal(post.title)))
    if post.published is not None:
        g.add((node, DCTERMS.date, Literal(post.published, datatype=XSD.dateTime)))
    if post.number is not None:
        g.add((node, KG.paperDailyNumber, Literal(post.number, datatype=XSD.integer)))
    g.add((node, KG.sourceFile, Literal(post.name)))
    g.add((node, KG.sha256, Literal(post.sha256)))


def _venue_triples(g: set[Triple], venue: Venue) -> URIRef:
    """Describe the venue's series (and edition when it has a year); return what a paper cites."""
    series = venue_iri(venue.series)
    g.add((series, RDF.type, SDO.Event))
    g.add((series, RDF.type, KG.VenueSeries))
    g.add((series, RDFS.label, Literal(venue.series)))
    g.add((series, SKOS.prefLabel, Literal(venue.series, lang="en")))
    if not venue.year:
        return series
    edition = venue_iri(venue.series, venue.year)
    g.add((edition, RDF.type, SDO.Event))
    g.add((edition, RDF.type, KG.VenueEdition))
    g.add((edition, RDFS.label, Literal(venue.label)))
    g.add((edition, SKOS.prefLabel, Literal(venue.label, lang="en")))
    g.add((edition, SDO.superEvent, series))
    g.add((edition, KG.year, Literal(venue.year, datatype=XSD.integer)))
    return edition


def _topic_triples(g: set[Triple], label: str) -> URIRef:
    topic = topic_iri(label)
    g.add((topic, RDF.type, SKOS.Concept))
    g.add((topic, SKOS.inScheme, TOPIC_SCHEME))
    g.add((topic, SKOS.prefLabel, _label(label)))
    g.add((TOPIC_SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((TOPIC_SCHEME, SKOS.prefLabel, Literal("PaperWeekly topics", lang="en")))
    return topic


def _paper_triples(g: set[Triple], post: Post, entry: Entry) -> URIRef:
    paper = entry.paper_iri
    g.add((paper, RDF.type, SDO.ScholarlyArticle))
    if entry.paper_url:
        g.add((paper, SDO.url, web_iri(canonical_paper_url(entry.paper_url))))
        key = paper_key(entry.paper_url) or ""
        if key.startswith("pw"):
            g.add((paper, KG.paperweeklyId, Literal(key[2:])))
    if entry.title:
        g.add((paper, DCTERMS.title, Literal(entry.title)))
    for label in entry.topics:
        if label.strip():
            g.add((paper, DCTERMS.subject, _topic_triples(g, label.strip())))
    if entry.venue is not None:
        venue = _venue_triples(g, entry.venue)
        g.add((paper, KG.venue, venue))
        # posts disagree on venues now and then: each claim keeps the quote it rests on
        if entry.venue.text and (at := entry.text.find(entry.venue.text)) >= 0:
            _evidence(g, post, entry, KG.venue, venue, f"venue-{at}", at, at + len(entry.venue.text),
                      "venue-context", 0.9)
        if entry.venue.status:
            g.add((paper, KG.venueStatus, Literal(entry.venue.status)))
    for url in entry.code:
        code = code_iri(url)
        g.add((code, RDF.type, SDO.SoftwareSourceCode))
        g.add((code, SDO.codeRepository, web_iri(url)))
        g.add((paper, KG.code, code))
    for url in entry.dataset_links:
        g.add((paper, KG.datasetLink, web_iri(url)))
    return paper


def _entity_triples(g: set[Triple], listed: dict[tuple[str, str], Entity], ent: Entity) -> URIRef:
    """Describe an extracted entity (see :func:`_entity_description`) in ``g``, or, when it is one
    of the gazetteers', add it to ``listed`` (by type and id): the gazetteer graph describes those."""
    key = (ent.type, ent.id)  # (an Entity's hash and == go through all its fields)
    known = listed.get(key) or gazetteer().get(*key)
    if known is ent or (known is not None and known == ent):
        listed[key] = ent
    else:
        g.update(_entity_description(ent))
    return ent.iri


@lru_cache(maxsize=8192)
def _entity_description(ent: Entity) -> frozenset[Triple]:
    """Types, labels in both languages; for an institution its ROR and Wikidata IRIs
    (owl:sameAs, schema:sameAs) and the organisations it is part of. The same for every
    mention of the entity, so made once."""
    g: set[Triple] = set()
    node = ent.iri
    if ent.type == "institution":
        g.add((node, RDF.type, ORG.Organization))
        g.add((node, RDF.type, SDO.Organization))
        for link in ent.links:
            g.add((node, OWL.sameAs, URIRef(link)))
            g.add((node, SDO.sameAs, URIRef(link)))
        for link in ent.within:  # ROR's record of the organisation it is a unit of
            g.add((node, RDFS.seeAlso, URIRef(link)))
        for pid in ent.parents:
            if parent := gazetteer().get("institution", pid):
                g.update(_entity_description(parent))
                g.add((node, ORG.subOrganizationOf, parent.iri))
    elif ent.type == "dataset":
        g.add((node, RDF.type, SDO.Dataset))
    elif ent.type == "person":
        g.add((node, RDF.type, SDO.Person))
        g.add((node, SDO.name, Literal(ent.label)))
    else:
        scheme, cls, title = SCHEMES[ent.type]
        g.add((node, RDF.type, cls))
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, SKOS.inScheme, scheme))
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, SKOS.prefLabel, Literal(title, lang="en")))
    g.add((node, RDFS.label, Literal(ent.label)))
    if ent.en:
        g.add((node, SKOS.prefLabel, Literal(ent.en, lang="en")))
    if ent.zh:
        g.add((node, SKOS.prefLabel, Literal(ent.zh, lang="zh")))
    for alias in ent.aliases:
        g.add((node, SKOS.altLabel, _label(alias)))
    return frozenset(g)


def _fact_triples(g: set[Triple], listed: dict[tuple[str, str], Entity], post: Post, entry: Entry, paper: URIRef,
                  mentions: Sequence[Mention]) -> None:
    """The facts the mentions of an entry support, each with the evidence of its best mention
    (the surest, then the first): one quote per fact and entry, however often it is named."""
    best: dict[tuple[URIRef, URIRef], Mention] = {}
    for m in mentions:
        obj = _entity_triples(g, listed, m.entity)
        if m.type == "method":
            pred = KG.proposesMethod if m.role == "proposed" else KG.usesMethod
        else:
            pred = FACT_PREDICATE[m.type]
        seen = best.get((pred, obj))
        if seen is None or (-m.confidence, m.start) < (-seen.confidence, seen.start):
            best[pred, obj] = m
    for (pred, obj), m in best.items():
        g.add((paper, pred, obj))
        _evidence(g, post, entry, pred, obj, f"{m.type}-{m.start}", m.start, m.end, m.rule, m.confidence)


def _evidence(g: set[Triple], post: Post, entry: Entry, pred: URIRef, obj: URIRef, key: str, start: int,
              end: int, rule_name: str, confidence: float) -> None:
    """A fact's evidence as a W3C Web Annotation: its body is the fact's object, its target the
    characters ``start:end`` of the entry's summary (whose ``schema:about`` is the fact's
    subject), ``kg:predicate`` the fact's property; the rule that read it and how sure it is.
    Eleven triples: the quote itself is the summary's text at that position."""
    entry_node = entry_iri(post.name, entry.position)
    ev = URIRef(f"{entry_node}/evidence/{key}")
    target, position = URIRef(f"{ev}#target"), URIRef(f"{ev}#position")
    rule = ID[f"rule/{rule_name}"]
    g.add((ev, RDF.type, OA.Annotation))
    g.add((ev, OA.hasBody, obj))
    g.add((ev, KG.predicate, pred))
    g.add((ev, OA.hasTarget, target))
    g.add((ev, PROV.wasGeneratedBy, rule))
    g.add((ev, KG.confidence, _confidence(confidence)))
    g.add((target, OA.hasSource, entry_node))
    g.add((target, OA.hasSelector, position))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, _offset(start)))
    g.add((position, OA.end, _offset(end)))
    g.update(_rule_description(rule_name))


@lru_cache(maxsize=None)
def _rule_description(name: str) -> frozenset[Triple]:
    rule = ID[f"rule/{name}"]
    return frozenset({(rule, RDF.type, PROV.Activity), (rule, RDF.type, KG.Rule),
                      (rule, RDFS.label, Literal(name)), (rule, RDFS.comment, Literal(RULES[name], lang="en"))})


@lru_cache(maxsize=4096)
def _offset(n: int) -> Literal:
    return Literal(n, datatype=XSD.nonNegativeInteger)


@lru_cache(maxsize=None)
def _confidence(c: float) -> Literal:
    return Literal(Decimal(f"{c:.2f}"), datatype=XSD.decimal)


def _entry_triples(g: set[Triple], listed: dict[tuple[str, str], Entity], post: Post, entry: Entry) -> None:
    node = entry_iri(post.name, entry.position)
    paper = _paper_triples(g, post, entry)
    g.add((node, RDF.type, KG.Entry))
    g.add((node, KG.position, Literal(entry.position, datatype=XSD.integer)))
    g.add((node, KG.inPost, post_iri(post.name)))
    g.add((node, SDO.about, paper))
    _fact_triples(g, listed, post, entry, paper, extract_entry(entry))
    if entry.recommender:
        user = user_iri(entry.recommender)
        g.add((user, RDF.type, SDO.Person))
        g.add((user, RDF.type, KG.CommunityUser))
        g.add((user, SDO.name, Literal(entry.recommender)))
        g.add((user, RDFS.label, Literal(entry.recommender)))
        g.add((node, KG.recommendedBy, user))
    if entry.section:
        g.add((node, KG.section, Literal(entry.section, lang="zh")))
    if entry.text:
        g.add((node, KG.summary, Literal(entry.text, lang="zh")))
    g.add((node, KG.line, Literal(entry.line, datatype=XSD.integer)))
    g.add((node, KG.kind, Literal(entry.kind)))


def post_triples(post: Post, entries: Sequence[Entry]) -> tuple[set[Triple], set[Entity]]:
    """Every triple one post contributes (its named graph's content), no blank nodes; and the
    gazetteers' entities it names, whose descriptions (labels, aliases, links, parents) are the
    same for every post and go in the gazetteer graph (:func:`gazetteer_triples`) instead.

    A plain set: building an rdflib Graph costs ten times more than the extraction itself.

    >>> from kg.ingest import Post
    >>> post = Post("001_x.txt", "001_x.txt", "", "utf-8", "ab" * 32, "PaperDaily", None, 7)
    >>> triples, listed = post_triples(post, ())
    >>> len(triples), listed
    (6, set())
    """
    g: set[Triple] = set()
    listed: dict[tuple[str, str], Entity] = {}
    _post_triples(g, post)
    for entry in entries:
        _entry_triples(g, listed, post, entry)
    return g, set(listed.values())


def gazetteer_triples(entities: Iterable[Entity]) -> set[Triple]:
    """The gazetteer graph's content (:data:`kg.link.GAZETTEER_GRAPH`): the descriptions of the
    gazetteers' ``entities`` that the posts name."""
    g: set[Triple] = set()
    for ent in entities:
        g.update(_entity_description(ent))
    return g


def post_graph(post: Post, entries: Sequence[Entry]) -> Graph:
    """All one post says, as an rdflib graph (for validation and tests): its :func:`post_triples`
    and the descriptions of the gazetteers' entities it names."""
    g = Graph(bind_namespaces="none")
    triples, listed = post_triples(post, entries)
    for triple in (*triples, *gazetteer_triples(listed)):
        g.add(triple)
    return g


def graph_chunk(name: URIRef, triples: Iterable[Triple]) -> str:
    """One named graph of a canonical TriG dump: a blank line, ``name {``, statements, ``}``."""
    if not isinstance(name, URIRef):
        raise ValueError(f"named graph without an IRI: {name!r}")
    return "\n".join(["", f"{_iri(name)} {{", *_block(triples, "    "), "}"]) + "\n"


def build_dataset(items: Iterable[tuple[Post, Sequence[Entry]]]) -> Dataset:
    """A dataset with one named graph ``graph_iri(post.name)`` per post (a post given again
    replaces its earlier graph) and the gazetteer graph, :data:`kg.link.GAZETTEER_GRAPH`, that
    describes the gazetteers' entities they name (none when they name none).

    >>> from kg.ingest import Post
    >>> post = Post("001_x.txt", "001_x.txt", "", "utf-8", "ab" * 32, None, None, None)
    >>> len(build_dataset([(post, ())]).graph(graph_iri("001_x.txt")))
    4
    """
    ds = Dataset()
    ds.namespace_manager = NamespaceManager(ds, bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns)
    listed_by: dict[URIRef, set[Entity]] = {}
    for post, entries in items:
        name = graph_iri(post.name)
        ds.remove_graph(name)
        named = ds.graph(name)
        triples, listed_by[name] = post_triples(post, entries)
        for triple in triples:
            named.add(triple)
    listed = set().union(*listed_by.values())
    if listed:
        described = ds.graph(GAZETTEER_GRAPH)
        for triple in gazetteer_triples(listed):
            described.add(triple)
    return ds


# ---------------------------------------------------------------- canonical TriG

_PN_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_STRING_BAD = re.compile(r'[\\"\x00-\x1f\x7f]')
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DEFAULT = "urn:x-rdflib:default"


def _iri(term: URIRef) -> str:
    return _iri_text(str(term))


@lru_cache(maxsize=65536)
def _iri_text(text: str) -> str:
    if _IRI_BAD.search(text):
        raise ValueError(f"not a valid IRI for TriG: {text!r}")
    for prefix, ns in PREFIXES.items():
        if prefix != "id" and text.startswith(ns) and _PN_LOCAL.fullmatch(text[len(ns):]):
            return f"{prefix}:{text[len(ns):]}"
    return f"<{text}>"


def _string(text: str) -> str:
    return '"' + _STRING_BAD.sub(lambda m: _ESCAPES.get(m.group(0), f"\\u{ord(m.group(0)):04X}"),
                                 text) + '"'


def _term(term: object) -> str:
    if isinstance(term, URIRef):
        return _iri(term)
    if isinstance(term, Literal):
        if term.language:
            return f"{_string(str(term))}@{term.language}"
        if term.datatype == XSD.integer and _INTEGER.fullmatch(str(term)):
            return str(term)
        if term.datatype and term.datatype != XSD.string:
            return f"{_string(str(term))}^^{_iri(term.datatype)}"
        return _string(str(term))
    if isinstance(term, BNode):
        raise ValueError("blank nodes are not allowed in the kg graph (determinism)")
    raise TypeError(f"cannot write {term!r} as TriG")


def _block(triples: Iterable[Triple], indent: str) -> list[str]:
    """Turtle statements for ``triples``, in the order of their text: subjects, then rdf:type
    first and the other predicates, then objects. Sorting the written terms (plain strings)
    costs a fraction of sorting rdflib terms."""
    rows = sorted((_term(s), "" if str.__eq__(p, _RDF_TYPE) else _iri(p), _term(o)) for s, p, o in triples)
    lines: list[str] = []
    for subject, same_subject in groupby(rows, key=itemgetter(0)):
        parts = [(p or "a") + " " + ", ".join(o for _, _, o in same_pred)
                 for p, same_pred in groupby(same_subject, key=itemgetter(1))]
        lines.append(f"{indent}{subject} " + f" ;\n{indent}    ".join(parts) + " .")
    return lines


_RDF_TYPE = str(RDF.type)


def dump_trig(ds: Dataset) -> bytes:
    """Canonical UTF-8 TriG: fixed prefixes, graphs sorted by IRI, sorted statements.

    The same quads give the same bytes whatever order they were added in.

    >>> dump_trig(Dataset()).decode().splitlines()[0]
    '@prefix dcterms: <http://purl.org/dc/terms/> .'
    """
    out = [trig_header()]
    graphs = sorted(ds.graphs(), key=lambda g: str(g.identifier))
    for g in graphs:
        if str(g.identifier) == _DEFAULT and len(g):
            out.append("\n".join(["", *_block(g, "")]) + "\n")
    for g in graphs:
        if str(g.identifier) != _DEFAULT and len(g):
            out.append(graph_chunk(g.identifier, g))
    return "".join(out).encode("utf-8")
