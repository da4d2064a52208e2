"""Curated entities: one TSV file per type in ``kg/resources/gazetteers/``, and their IRIs.

Each row is one real-world thing: a canonical id, English and Chinese labels, aliases in either
language (``|``-separated), and for institutions a parent organisation and a kind; institutions
also get their ROR and Wikidata identifiers, and ROR adds the organisations no row lists
(:mod:`kg.ror`). Every spelling
of an entity normalises (NFKC, case folded, spaces removed) to one key that leads to it, so
清华大学, 清华, Tsinghua University and THU all end on one node. An entity that a template or
pattern found but no gazetteer lists gets a stable IRI of its own from its text.

>>> g = gazetteer()
>>> g.lookup("institution", "清华").iri == g.lookup("institution", "Tsinghua University").iri
True
>>> g.lookup("institution", "微软亚洲研究院").parent
'microsoft'
"""

from __future__ import annotations

import csv
import gc
import re
import unicodedata
from dataclasses import dataclass
from contextlib import contextmanager
from functools import cache
from importlib import resources

from rdflib import URIRef

from kg.link import ID, slug

__all__ = ["TYPES", "SEGMENT", "Entity", "Gazetteer", "gazetteer", "norm", "entity_iri", "unknown_entity",
           "paused_gc"]

TYPES = ("institution", "dataset", "method", "task", "metric", "person")
"""Mention types, in the order the extractor reports them."""

SEGMENT = {"institution": "org", "dataset": "dataset", "method": "method", "task": "task",
           "metric": "metric", "person": "person"}
"""IRI path segment of each type: id:org/…, id:dataset/…"""

_SPACE = re.compile(r"\s+")
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def norm(text: str) -> str:
    """The key a spelling is looked up by: NFKC, case folded, without whitespace.

    >>> norm("Tencent  AI Lab"), norm("ＣＮＮ")
    ('tencentailab', 'cnn')
    """
    if text.isascii():  # most spellings: NFKC changes nothing, casefold is lower
        return "".join(text.lower().split())
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


def entity_iri(type_: str, key: str) -> URIRef:
    return ID[f"{SEGMENT[type_]}/{key}"]


@dataclass(frozen=True)
class Entity:
    """One canonical thing: labels in English and Chinese, other spellings, parent organisation."""

    type: str
    id: str
    en: str
    zh: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    kind: str | None = None
    curated: bool = True
    links: tuple[str, ...] = ()    # the same thing elsewhere: its ROR IRI, then Wikidata IRIs
    quiet: tuple[str, ...] = ()    # spellings that name it only where a template found a name
    part_of: tuple[str, ...] = ()  # further parent organisations (ids), from ROR
    within: tuple[str, ...] = ()   # a record elsewhere it is a unit of, not the whole (ROR IRI)

    @property
    def iri(self) -> URIRef:
        return entity_iri(self.type, self.id)

    @property
    def ror(self) -> str | None:
        """Its ROR IRI, if ROR has it."""
        return next((x for x in self.links if x.startswith("https://ror.org/")), None)

    @property
    def wikidata(self) -> tuple[str, ...]:
        """Its Wikidata IRIs."""
        return tuple(x for x in self.links if x.startswith("http://www.wikidata.org/entity/"))

    @property
    def parents(self) -> tuple[str, ...]:
        """Ids of the organisations it is part of: the gazetteer's parent, then ROR's."""
        return tuple(dict.fromkeys(p for p in (self.parent, *self.part_of) if p))

    @property
    def label(self) -> str:
        """The canonical name: English where there is one, else Chinese."""
        return self.en or self.zh

    @property
    def spellings(self) -> tuple[str, ...]:
        return tuple(s for s in (self.en, self.zh, *self.aliases) if s)


def unknown_entity(type_: str, text: str) -> Entity:
    """An entity no gazetteer lists, keyed on its normalised text (same text, same IRI).

    >>> unknown_entity("institution", "Vision  Semantics").iri == unknown_entity("institution", "vision semantics").iri
    True
    """
    name = " ".join(text.split())
    cjk = bool(_CJK.search(name))
    return Entity(type_, slug(norm(name) if not cjk else name.replace(" ", "")),
                  "" if cjk else name, name if cjk else "", curated=False)


class Gazetteer:
    """Entities of every type, indexed by normalised spelling."""

    def __init__(self, entities: list[Entity]):
        self.entities: dict[tuple[str, str], Entity] = {}
        self.index: dict[str, dict[str, Entity]] = {t: {} for t in TYPES}
        self.curated_index: dict[str, dict[str, Entity]] = {t: {} for t in TYPES}
        quiet: list[tuple[str, Entity]] = []
        with paused_gc():
            for e in entities:
                self.entities[(e.type, e.id)] = e
                index = self.index[e.type]
                curated = self.curated_index[e.type] if e.curated else None
                for s in e.spellings:
                    key = norm(s)
                    if e.quiet and s in e.quiet:
                        quiet.append((key, e))  # never displaces a spelling that fires
                    else:
                        index.setdefault(key, e)
                    if curated is not None:
                        curated.setdefault(key, e)
            for key, e in quiet:
                self.index[e.type].setdefault(key, e)

    def lookup(self, type_: str, text: str) -> Entity | None:
        """The entity of ``type_`` that ``text`` spells, if any."""
        return self.index[type_].get(norm(text))

    def get(self, type_: str, id_: str) -> Entity | None:
        return self.entities.get((type_, id_))

    def terms(self):
        """Every (spelling, entity) pair that may fire on its own, for building matchers."""
        for e in self.entities.values():
            for s in e.spellings:
                if not (e.quiet and s in e.quiet):
                    yield s, e


@contextmanager
def paused_gc():
    """Build many small objects at once without the collector walking the whole heap each time
    (loading ROR's organisations is twice as fast)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(type_: str) -> list[Entity]:
    path = resources.files("kg") / "resources" / "gazetteers" / f"{type_}.tsv"
    if not path.is_file():
        return []
    out: list[Entity] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = csv.reader((ln for ln in lines if ln.strip() and not ln.startswith("#")),
                      delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(rows)
    for row in rows:
        rec = dict(zip(header, (c.strip() for c in row)))
        aliases = tuple(a.strip() for a in rec.get("aliases", "").split("|") if a.strip())
        out.append(Entity(type_, rec["id"], rec.get("en", ""), rec.get("zh", ""), aliases,
                          rec.get("parent") or None, rec.get("kind") or None))
    return out


@cache
def gazetteer() -> Gazetteer:
    """The packaged gazetteers with ROR's identifiers and organisations (:mod:`kg.ror`), loaded once."""
    from kg.ror import ror_rows, with_ror

    with paused_gc():
        return Gazetteer(with_ror([e for t in TYPES for e in _read(t)], ror_rows()))
