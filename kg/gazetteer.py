"""Curated entities: one TSV file per type in ``kg/resources/gazetteers/``, and their IRIs.

Each row is one real-world thing: a canonical id, English and Chinese labels, aliases in either
language (``|``-separated), and for institutions a parent organisation and a kind. Every spelling
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
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rdflib import URIRef

from kg.link import ID, slug

__all__ = ["TYPES", "SEGMENT", "Entity", "Gazetteer", "gazetteer", "norm", "entity_iri", "unknown_entity"]

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

    @property
    def iri(self) -> URIRef:
        return entity_iri(self.type, self.id)

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
        for e in entities:
            self.entities[(e.type, e.id)] = e
            for s in e.spellings:
                self.index[e.type].setdefault(norm(s), e)

    def lookup(self, type_: str, text: str) -> Entity | None:
        """The entity of ``type_`` that ``text`` spells, if any."""
        return self.index[type_].get(norm(text))

    def get(self, type_: str, id_: str) -> Entity | None:
        return self.entities.get((type_, id_))

    def terms(self):
        """Every (spelling, entity) pair, for building matchers."""
        for e in self.entities.values():
            for s in e.spellings:
                yield s, e


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
    """The packaged gazetteers, loaded once."""
    return Gazetteer([e for t in TYPES for e in _read(t)])
