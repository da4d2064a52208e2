"""ROR and Wikidata identifiers for institutions, and the organisations kg knows only from ROR.

The data is a compact file derived from a ROR dump by :mod:`kg.rorbuild` (CC0 data): the packaged
``kg/resources/ror/ror.tsv``, or the file ``KG_ROR`` names (nothing is fetched). Each row is one
ROR organisation: the curated institution it is (``curated``), or else an organisation of its
own, ``id:org/ror-{ROR id}``; the curated units ROR counts as part of it (``within``: Google
Research, a name of Google there); its Wikidata ids, names, acronyms and ROR parents.

:func:`with_ror` turns the curated institutions and those rows into the gazetteer's entities:
curated ones gain ``links`` (ROR IRI, then Wikidata IRIs), ROR's labels as spellings for lookup,
and the curated parents ROR gives them; the others are entities of their own, whose names fire
on their own only when they look like an organisation's (``label_fires``, ``fire``), and
identify it otherwise only where a template has already found the name (``quiet``); their
parents too are curated ones only. Acronyms never fire: :func:`acronym_readings` lists what one
could mean, for the extractor to decide from the context.

>>> from kg.gazetteer import gazetteer
>>> gazetteer().lookup("institution", "清华").links
('https://ror.org/03cve4549', 'http://www.wikidata.org/entity/Q16955')
>>> gazetteer().lookup("institution", "National Tsing Hua University").ror == gazetteer().lookup("institution", "清华").ror
False
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Iterable, NamedTuple

from kg.errors import InputError
from kg.gazetteer import Entity, norm

__all__ = ["ROR", "WIKIDATA", "RorRow", "ror_path", "ror_rows", "with_ror", "acronym_readings", "ror_entity_id"]

ROR = "https://ror.org/"
WIKIDATA = "http://www.wikidata.org/entity/"
_COLUMNS = ("ror", "wikidata", "curated", "match", "within", "en", "zh", "label_fires", "fire",
            "quiet", "acronyms", "parents", "country", "type")


class RorRow(NamedTuple):
    """One row of the compact file (``|``-separated cells split into tuples)."""

    ror: str
    wikidata: tuple[str, ...]
    curated: str
    match: str
    within: tuple[str, ...]
    en: str
    zh: str
    label_fires: str
    fire: tuple[str, ...]
    quiet: tuple[str, ...]
    acronyms: tuple[str, ...]
    parents: tuple[str, ...]
    country: str
    type: str

    @property
    def links(self) -> tuple[str, ...]:
        return (ROR + self.ror, *(WIKIDATA + q for q in self.wikidata))


def ror_entity_id(ror: str) -> str:
    """Gazetteer id of an organisation kg knows only from ROR: ``ror-`` and its ROR id."""
    return f"ror-{ror}"


def ror_path() -> Path | None:
    """The compact file in use: ``KG_ROR`` if set (empty: none), else the packaged one."""
    env = os.environ.get("KG_ROR")
    if env is not None:
        return Path(env) if env.strip() else None
    return Path(str(resources.files("kg") / "resources" / "ror" / "ror.tsv"))


_LISTS = tuple(_COLUMNS.index(c) for c in ("wikidata", "within", "fire", "quiet", "acronyms", "parents"))


@cache
def ror_rows(path: Path | None = None) -> tuple[RorRow, ...]:
    """The rows of the compact file at ``path`` (default :func:`ror_path`); none without a file."""
    path = path or ror_path()
    if path is None:
        return ()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), f"cannot read the ROR file: {err}") from None
    rows: list[RorRow] = []
    header = None
    for i, line in enumerate(lines, 1):
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            if tuple(cells) != _COLUMNS:
                raise InputError(str(path), "not a kg ROR file (made by python -m kg.rorbuild): "
                                 f"expected the columns {' '.join(_COLUMNS)}", i)
            header = cells
            continue
        if len(cells) != len(_COLUMNS):
            raise InputError(str(path), f"{len(cells)} cells, expected {len(_COLUMNS)}", i)
        for k in _LISTS:
            cells[k] = tuple(cells[k].split("|")) if cells[k] else ()
        rows.append(RorRow(*cells))
    return tuple(rows)


def with_ror(curated: list[Entity], rows: Iterable[RorRow]) -> list[Entity]:
    """The curated entities with their ROR links, names and parents, then the ROR-only ones.

    A ROR name that is already a curated spelling (of any entity, any type) is left out, so ROR
    never changes what a curated spelling means.
    """
    rows = tuple(rows)
    taken = {norm(s) for e in curated for s in e.spellings}
    # parents from ROR: the well-known organisations, those in the curated list (微软亚洲研究院 →
    # 微软; an organisation kg knows only from ROR is no parent: it is not in the graph unless a
    # post names it, and the "University of California System" above each campus is noise)
    kg_id = {r.ror: r.curated for r in rows if r.curated}
    by_curated = {r.curated: r for r in rows if r.curated}
    within = {eid: ROR + r.ror for r in rows for eid in r.within}
    out: list[Entity] = []
    for e in curated:
        r = by_curated.get(e.id) if e.type == "institution" else None
        if r is None:
            out.append(replace(e, within=(within[e.id],)) if e.id in within and e.type == "institution" else e)
            continue
        fire = _new(r.fire, taken)
        quiet = _new(r.quiet, taken)
        parents = tuple(kg_id[p] for p in r.parents if p in kg_id and kg_id[p] != e.parent)
        out.append(replace(e, aliases=e.aliases + fire + quiet, quiet=quiet, links=r.links,
                           part_of=parents))
    # the others: kg.rorbuild left out every name that was a curated spelling when it ran, and
    # the gazetteer and the matcher put curated spellings first should the gazetteer have grown
    for r in rows:
        if r.curated:
            continue
        quiet = r.quiet
        if r.label_fires != "ez":
            quiet = tuple(x for x, flag in ((r.en, "e"), (r.zh, "z")) if x and flag not in r.label_fires) + quiet
        out.append(Entity("institution", "ror-" + r.ror, r.en, r.zh, r.fire + r.quiet, None,
                          r.type or None, False, r.links, quiet,
                          tuple(kg_id[p] for p in r.parents if p in kg_id) if r.parents else ()))
    return _acyclic(out)


def _new(names: tuple[str, ...], taken: set[str]) -> tuple[str, ...]:
    return tuple(n for n in names if norm(n) not in taken)


def _acyclic(entities: list[Entity]) -> list[Entity]:
    """Drop the ROR parent links that would make an organisation its own ancestor."""
    by_id = {e.id: e for e in entities if e.type == "institution"}

    def ancestors(eid: str, seen: set[str]) -> set[str]:
        e = by_id.get(eid)
        for p in (e.parents if e else ()):
            if p not in seen:
                seen.add(p)
                ancestors(p, seen)
        return seen

    out = []
    for e in entities:
        if e.part_of:
            keep = tuple(p for p in e.part_of if p in by_id and e.id not in ancestors(p, {p}))
            if keep != e.part_of:
                e = replace(e, part_of=keep)
                by_id[e.id] = e
        out.append(e)
    return out


@cache
def _acronyms(path: Path | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for r in ror_rows(path):
        for a in r.acronyms:
            out.setdefault(a, []).append(r.curated or ror_entity_id(r.ror))
    return {a: tuple(ids) for a, ids in out.items()}


def acronym_readings(acronym: str) -> tuple[str, ...]:
    """Ids of the institutions ROR gives this acronym (exact case), e.g. NTU: Nanyang
    Technological University and National Taiwan University.

    >>> sorted(acronym_readings("NTU"))[:2]
    ['nanyang-technological-university', 'national-taiwan-university']
    """
    return _acronyms(ror_path()).get(acronym, ())
