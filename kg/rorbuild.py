"""Derive kg's compact ROR file from a ROR data dump (run when the dump or the gazetteer changes).

``python -m kg.rorbuild ../shared/ror/ror-records.jsonl`` writes ``kg/resources/ror/ror.tsv``
(or ``-o FILE``): one row per ROR organisation kg keeps, which is

- every curated institution (``kg/resources/gazetteers/institution.tsv``) that ROR has: linked by
  exact names in English or Chinese (normalised: case, accents, punctuation, a leading "The", a
  country qualifier such as "(United States)"), never by an acronym; a name that leads to two
  organisations links neither, a national branch ("Microsoft (Singapore)" under "Microsoft
  (United States)") is never the match, and one ROR record is at most one curated entity (a
  curated unit of that entity whose name ROR counts as the record's, such as Google Research,
  is "within" the record instead). ``kg/resources/ror/overrides.tsv`` settles the few cases
  names cannot;
- every other education, facility, company or nonprofit organisation that has a Chinese name,
  or an English name of two or more words likely in AI posts (a university's, or one about
  computing, data, engineering… in ``ai-words.txt``); its English display name and Chinese
  names only.

Names that fire on their own (join the extractor's automaton): English names of two or more
words with an organisation word (University, Institute, Laboratory… in ``org-heads.txt``) and a
distinctive word, and Chinese names of four or more characters ending like an organisation
(大学, 研究院, 科技… in ``org-suffixes-zh.txt``). Other full names are kept for lookup only: they
name the organisation where a template already found the name. Acronyms are kept apart: they
never fire and never link by themselves.

A name two ROR organisations share is dropped for both. Nothing here runs when kg runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable

from kg.gazetteer import TYPES, Entity, _read, norm

__all__ = ["match_key", "build_rows", "write_rows", "main", "COLUMNS", "KEEP_TYPES"]

COLUMNS = ("ror", "wikidata", "curated", "match", "within", "en", "zh", "label_fires", "fire",
           "quiet", "acronyms", "parents", "country", "type")
"""Columns of the compact file (``|`` separates several values in one cell)."""

KEEP_TYPES = frozenset({"education", "facility", "company", "nonprofit"})
"""ROR types of the organisations kept beyond the curated ones."""

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZH_NAME = re.compile(rf"[{_CJK}]+(?:[（(][{_CJK}]+[)）])?")
_HAS_CJK = re.compile(f"[{_CJK}]")
_LATIN_NAME = re.compile(r"[^\W\d_][\w.'’&,\-–/() ]*")
_NON_KEY = re.compile(r"[\W_]+")
_QUALIFIER = re.compile(r"\s*\(([^()]+)\)\s*$")
_ACRONYM_LIKE = re.compile(r"[A-Za-z0-9&.\-+]{1,6}")
_STOP = frozenset("of and for the in at on de la le du des der für y e et di del da do & - – in the".split())
_COMMON_DF = 300  # a word in this many ROR names or more is not distinctive ("National", "Medical")
_CENTRE = [(re.compile(r"centre"), "center"), (re.compile(r"organisation"), "organization")]


def match_key(name: str) -> str:
    """How names are compared when linking: no accents, case, punctuation, spaces or leading "The".

    >>> match_key("The University of Texas at Austin") == match_key("University of Texas at Austin")
    True
    >>> match_key("Tsinghua–Berkeley Shenzhen Institute") == match_key("Tsinghua-Berkeley Shenzhen Institute")
    True
    >>> match_key("香港科技大学（广州）") == match_key("香港科技大学")
    False
    """
    s = unicodedata.normalize("NFKD", name)
    s = unicodedata.normalize("NFKC", "".join(c for c in s if not unicodedata.combining(c))).casefold()
    s = re.sub(r"^the\s+", "", s.strip())
    for rx, us in _CENTRE:  # British and American spellings
        s = rx.sub(us, s)
    return _NON_KEY.sub("", s)


def _words(resource: str) -> frozenset[str]:
    text = (resources.files("kg") / "resources" / "ror" / resource).read_text(encoding="utf-8")
    return frozenset(w for ln in text.splitlines() if not ln.startswith("#") for w in ln.split())


@dataclass
class _Record:
    rid: str                      # the 9 characters after https://ror.org/
    names: list[tuple[str, str]]  # (name, kind: name | qualified | alias | acronym); a country
                                  # qualifier removed ("qualified": the name had one)
    zh: list[str]
    wikidata: list[str]
    country: str
    types: list[str]
    parents: list[str]
    branch: bool = False
    keys: dict[str, str] = field(default_factory=dict)  # match key → kind


_RANK = {"name": 3, "qualified": 2, "alias": 1}
"""How strongly a ROR name identifies its record: a label as written, a label without its
country qualifier ("Apple (United Kingdom)" → "Apple"), an alias."""


def _strip_qualifier(name: str, qualifiers: frozenset[str]) -> str:
    m = _QUALIFIER.search(name)
    return name[:m.start()] if m and m.group(1) in qualifiers else name


def country_qualifiers(raw: list[dict]) -> frozenset[str]:
    """The "(X)" endings that name a country ("Microsoft (United States)"), read off the data:
    for each country code, the ending its organisations' display names carry most often."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for r in raw:
        for n in r["names"]:
            if "ror_display" in n["types"] and (m := _QUALIFIER.search(n["value"])):
                seen[r.get("country") or ""][m.group(1)] += 1
    return frozenset(c.most_common(1)[0][0] for c in seen.values() if c.most_common(1)[0][1] >= 2)


def _record(r: dict, qualifiers: frozenset[str]) -> _Record:
    names: list[tuple[str, str]] = []
    zh: list[str] = []
    # labels before aliases, English before other languages, the display name first among equals
    for n in sorted(r["names"], key=lambda n: (not {"label", "ror_display"} & set(n["types"]),
                                               n.get("lang") != "en", "ror_display" not in n["types"])):
        value = " ".join(n["value"].split())
        kind = "acronym" if "acronym" in n["types"] else "alias" if "alias" in n["types"] and not (
            {"label", "ror_display"} & set(n["types"])) else "name"
        if _HAS_CJK.search(value):
            if n.get("lang") == "zh" and _ZH_NAME.fullmatch(value):
                names.append((value, kind))
                if kind != "acronym":
                    zh.append(value)
            continue
        bare = _strip_qualifier(value, qualifiers)
        names.append((bare, kind if bare == value or kind != "name" else "qualified"))
    parents = [x["id"].rsplit("/", 1)[-1] for x in r.get("relationships", ()) if x["type"] == "parent"]
    rec = _Record(r["id"].rsplit("/", 1)[-1], names, zh, list(r.get("wikidata") or ()),
                  r.get("country") or "", list(r.get("types") or ()), parents)
    for value, kind in names:
        if kind != "acronym" and (k := match_key(value)):
            if _RANK[kind] > _RANK.get(rec.keys.get(k, ""), 0):
                rec.keys[k] = kind
    # a national branch carries its parent's name: "Microsoft (Singapore)" under "Microsoft (United States)"
    parent_keys = {match_key(_strip_qualifier(x["label"], qualifiers))
                   for x in r.get("relationships", ()) if x["type"] == "parent"}
    rec.branch = bool(parent_keys & set(rec.keys))
    return rec


def read_records(path: Path) -> list[_Record]:
    raw = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                try:
                    raw.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise SystemExit(f"{path}:{i}: not JSON: {err}")
    qualifiers = country_qualifiers(raw)
    return [_record(r, qualifiers) for r in raw]


# ---------------------------------------------------------------- linking curated institutions

def _curated_names(e: Entity) -> list[tuple[str, int]]:
    """(match key, rank) of a curated entity's names: 2 for its labels, 1 for aliases that are
    more than an acronym or a single word."""
    out = [(match_key(s), 2) for s in (e.en, e.zh) if s]
    for a in e.aliases:
        if _HAS_CJK.search(a) or (" " in a.strip() and not _ACRONYM_LIKE.fullmatch(a)):
            out.append((match_key(a), 1))
    return [(k, r) for k, r in out if k]


@dataclass(frozen=True)
class Link:
    kg_id: str
    rid: str
    how: str       # name | alias | override: it is that organisation; within: a unit of it
    score: tuple


def _overrides() -> dict[str, tuple[str, str]]:
    """Curated id → (ROR id or "-", relation "same" or "within") from ``overrides.tsv``."""
    text = (resources.files("kg") / "resources" / "ror" / "overrides.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")),
                          delimiter="\t", quoting=csv.QUOTE_NONE)
    return {r["id"].strip(): (r["ror"].strip(), (r.get("relation") or "same").strip()) for r in rows}


def link_curated(entities: list[Entity], records: list[_Record], log=print) -> dict[str, Link]:
    """The ROR record of each curated institution that ROR has (see the module docstring)."""
    by_key: dict[str, list[_Record]] = defaultdict(list)
    for rec in records:
        if not rec.branch:
            for k in rec.keys:
                by_key[k].append(rec)
    links: dict[str, Link] = {}
    for e in entities:
        scores: dict[str, tuple] = {}
        for k, crank in _curated_names(e):
            for rec in by_key.get(k, ()):
                rrank = _RANK[rec.keys[k]]
                old = scores.get(rec.rid, (0, 0, 0))
                scores[rec.rid] = max(old[:2], (crank, rrank)) + (old[2] + 1,)
        if not scores:
            continue
        best = max(s[:2] for s in scores.values())
        top = {rid: s for rid, s in scores.items() if s[:2] == best}
        if len(top) > 1:
            most = max(s[2] for s in top.values())
            top = {rid: s for rid, s in top.items() if s[2] == most}
        if len(top) > 1:
            log(f"ambiguous: {e.id} → {sorted(top)}")
            continue
        (rid, score), = top.items()
        links[e.id] = Link(e.id, rid, "name" if score[0] == 2 else "alias", score)
    # one ROR record, one curated entity: the best-matched keeps it; another that is part of it
    # in the curated list is a unit ROR counts as the same organisation ("Google Research" is a
    # name of Google there): it is "within" the record, not the record
    parent_of = {e.id: e.parent for e in entities}
    by_rid: dict[str, list[Link]] = defaultdict(list)
    for link in links.values():
        by_rid[link.rid].append(link)
    for rid, ls in by_rid.items():
        if len(ls) > 1:
            ls.sort(key=lambda x: x.score, reverse=True)
            keep = ls[0] if ls[0].score[:2] > ls[1].score[:2] else None
            log(f"shared: {rid} ← {[x.kg_id for x in ls]}; kept {keep.kg_id if keep else 'none'}")
            for x in ls:
                if x is keep:
                    continue
                del links[x.kg_id]
                if keep is not None and keep.kg_id in _ancestors(x.kg_id, parent_of):
                    links[x.kg_id] = Link(x.kg_id, rid, "within", x.score)
    known = {rec.rid for rec in records}
    for kg_id, (rid, relation) in _overrides().items():
        if rid == "-":
            links.pop(kg_id, None)
        elif rid in known:
            links[kg_id] = Link(kg_id, rid, "override" if relation == "same" else "within", (3, 3, 0))
        else:
            log(f"override: {kg_id} → {rid} is not in the dump; skipped")
    return links


def _ancestors(eid: str, parent_of: dict[str, str | None]) -> set[str]:
    out: set[str] = set()
    while (eid := parent_of.get(eid) or "") and eid not in out:
        out.add(eid)
    return out


# ---------------------------------------------------------------- names worth matching

@dataclass
class _Namer:
    """Sorts a record's names into those that fire, those for lookup only, and acronyms."""

    heads: frozenset[str]
    suffixes: tuple[str, ...]
    df: Counter
    owners: dict[str, set[str]]  # match key → ROR ids (non-branch) that have that name
    taken: dict[str, str]        # gazetteer norm key → curated id (every type)
    ai_words: tuple[str, ...]    # prefixes of words that make a name likely in AI posts

    field_words: frozenset[str]  # words of the curated method, task, dataset and metric names

    def distinctive(self, word: str) -> bool:
        """A word that makes a name a proper name: not an organisation word, a stop word, a
        word of AI's own vocabulary ("Software", "Learning") or a common one ("National")."""
        return not (word in self.heads or word in _STOP or word in self.field_words
                    or word.startswith(self.ai_words) or self.df[word] >= _COMMON_DF)

    def likely(self, name: str) -> bool:
        """A name that AI posts may well carry: a university's, or one about computing, data…"""
        return any(w.casefold().startswith(self.ai_words) for w in name.split())

    def sort(self, rec: _Record, kg_id: str | None) -> tuple[list[str], list[str], list[str]]:
        fire: list[str] = []
        quiet: list[str] = []
        acronyms: list[str] = []
        for value, kind in rec.names:
            if kind == "acronym":
                if 2 <= len(value) <= 10 and value not in acronyms:
                    acronyms.append(value)
                continue
            k = match_key(value)
            if not k or self.owners.get(k, {rec.rid}) != {rec.rid}:
                continue  # two organisations share the name: it names neither
            owner = self.taken.get(norm(value))
            if owner is not None and owner != kg_id:
                continue  # a curated spelling of something else
            if (owner is not None and owner == kg_id) or value in fire or value in quiet:
                continue  # already a spelling of the curated entity
            if _HAS_CJK.search(value):
                if len(value) < 4:
                    continue
                (fire if value.endswith(self.suffixes) else quiet).append(value)
            elif _LATIN_NAME.fullmatch(value):
                words = value.replace(",", " ").split()
                if len(words) < 2:
                    continue
                has_head = any(w.casefold() in self.heads for w in words)
                distinctive = any(self.distinctive(w.casefold()) for w in words)
                (fire if has_head and distinctive else quiet).append(value)
        return fire, quiet, acronyms


def _namer(records: list[_Record], curated: list[Entity]) -> _Namer:
    heads = frozenset(w.casefold() for w in _words("org-heads.txt"))
    suffixes = tuple(sorted(_words("org-suffixes-zh.txt"), key=len, reverse=True))
    df: Counter = Counter()
    owners: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        words = set()
        for value, kind in rec.names:
            if kind != "acronym":
                words.update(w.casefold() for w in value.replace(",", " ").split())
        df.update(words)
        if not rec.branch:
            for k in rec.keys:
                owners[k].add(rec.rid)
    taken: dict[str, str] = {}
    for e in curated:
        for s in e.spellings:
            taken.setdefault(norm(s), e.id if e.type == "institution" else f"{e.type}:{e.id}")
    ai_words = tuple(sorted(w.casefold() for w in _words("ai-words.txt")))
    field_words = frozenset(w.casefold() for e in curated if e.type in ("method", "task", "dataset", "metric")
                            for w in re.findall(r"[A-Za-z]+", e.en))
    return _Namer(heads, suffixes, df, owners, taken, ai_words, field_words)


# ---------------------------------------------------------------- the rows

def _label_en(rec: _Record) -> str:
    for value, kind in rec.names:
        if kind in ("name", "qualified") and not _HAS_CJK.search(value):
            return value
    return ""


def _kind(rec: _Record) -> str:
    return next((t for t in rec.types if t in KEEP_TYPES), rec.types[0] if rec.types else "")


def build_rows(records: list[_Record], curated: list[Entity] | None = None, log=print) -> list[dict[str, str]]:
    """The compact file's rows (``COLUMNS``), sorted by ROR id.

    A curated institution's row lists, for lookup only, its ROR labels that are not already its
    spellings. An
    organisation kg knows only from ROR keeps its English display name and its Chinese names
    (``label_fires`` says which of ``en`` (e) and ``zh`` (z) fire on their own).
    """
    curated = curated if curated is not None else [e for t in TYPES for e in _read(t)]
    institutions = [e for e in curated if e.type == "institution"]
    links = link_curated(institutions, records, log)
    linked = {link.rid: link for link in links.values() if link.how != "within"}
    within: dict[str, list[str]] = defaultdict(list)
    for link in links.values():
        if link.how == "within":
            within[link.rid].append(link.kg_id)
    namer = _namer(records, curated)
    rows: dict[str, dict[str, str]] = {}
    for rec in sorted(records, key=lambda r: r.rid):
        link = linked.get(rec.rid)
        en = _label_en(rec)
        zh = rec.zh[0] if rec.zh else ""
        row = {"ror": rec.rid, "wikidata": "|".join(rec.wikidata), "curated": "", "match": "",
               "within": "|".join(sorted(within.get(rec.rid, ()))), "en": en, "zh": zh,
               "label_fires": "", "fire": "", "quiet": "", "acronyms": "", "parents": "",
               "country": rec.country, "type": _kind(rec)}
        if link:
            # its ROR labels (not ROR's aliases, which hold former names such as Princeton's
            # "College of New Jersey") name it where a template found them; curated spellings fire
            own = _Record(rec.rid, [(v, k) for v, k in rec.names if k != "alias"], rec.zh, rec.wikidata,
                          rec.country, rec.types, rec.parents)
            fire, quiet, acronyms = namer.sort(own, link.kg_id)
            fire, quiet = [], fire + quiet
            row.update(curated=link.kg_id, match=link.how)
        elif row["within"]:
            fire, quiet, acronyms = [], [], []  # kept for the units within it only
        else:
            if rec.branch or not KEEP_TYPES & set(rec.types):
                continue
            if any(namer.owners.get(match_key(x), {rec.rid}) != {rec.rid} for x in (en, zh) if x):
                continue  # its own label is shared with another organisation
            if not zh and (" " not in en or not namer.likely(en)):
                continue  # a one-word name alone is too easily another's; keep what AI posts name
            own = _Record(rec.rid, [(v, k) for v, k in rec.names if v == en or v in rec.zh or k == "acronym"],
                          rec.zh, rec.wikidata, rec.country, rec.types, rec.parents)
            fire, quiet, acronyms = namer.sort(own, None)
            if en and en not in fire + quiet or zh and zh not in fire + quiet:
                continue  # its label is a curated spelling of something else
            row["label_fires"] = ("e" if en in fire else "") + ("z" if zh in fire else "")
            fire = [x for x in fire if x not in (en, zh)]
            quiet = [x for x in quiet if x not in (en, zh)]
        row.update(fire="|".join(fire), quiet="|".join(quiet), acronyms="|".join(acronyms))
        rows[rec.rid] = row
    for rec in records:
        if rec.rid in rows:
            rows[rec.rid]["parents"] = "|".join(p for p in rec.parents if p in rows and p != rec.rid)
    log(f"{len(linked)} of {len(institutions)} curated institutions linked, {len(links) - len(linked)} "
        f"within a linked one; {len(rows) - len(linked)} more ROR organisations kept")
    return [rows[k] for k in sorted(rows)]


def write_rows(rows: Iterable[dict[str, str]], path: Path, source: str) -> None:
    lines = [f"# ROR organisations for kg, derived by kg/rorbuild.py from {source} (ROR data: CC0).",
             "\t".join(COLUMNS)]
    for row in rows:
        cells = [row[c] for c in COLUMNS]
        if any("\t" in c or "\n" in c for c in cells):
            raise ValueError(f"a tab or newline in ROR row {row['ror']}")
        lines.append("\t".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m kg.rorbuild", description=__doc__.splitlines()[0])
    ap.add_argument("records", type=Path, help="a ROR dump: one JSON record a line (id, names, wikidata, …)")
    ap.add_argument("-o", "--out", type=Path,
                    default=Path(str(resources.files("kg") / "resources" / "ror" / "ror.tsv")))
    a = ap.parse_args(argv)
    rows = build_rows(read_records(a.records), log=lambda m: print(m, file=sys.stderr))
    write_rows(rows, a.out, a.records.name)
    print(f"wrote {a.out} ({a.out.stat().st_size // 1024} KiB, {len(rows)} organisations)", file=sys.stderr)


if __name__ == "__main__":
    main()
