"""Entries as JSON records: the format ``kg extract --format jsonl`` prints.

The format is specified in ``shared/eval/README.md``; ``mentions`` are the extractor's
(``kg.extract``), each with its span in ``text``, the entity it was linked to, the rule that found
it and a confidence.
"""

from __future__ import annotations

from typing import Any, Sequence

from kg.extract import Mention, extract_entry
from kg.link import venue_iri
from kg.parse import Entry

__all__ = ["mention_record", "entry_record", "entries_table"]


def mention_record(m: Mention) -> dict[str, Any]:
    """One mention as in ``shared/eval/README.md`` (plus ``rule`` and, for methods, ``role``);
    ``links`` lists the entity's ROR and Wikidata IRIs when it has them (for a unit that ROR
    counts as part of a larger organisation, that organisation's ROR IRI: Google AI).

    >>> from kg.extract import extract_text
    >>> mention_record(extract_text("本文来自清华大学。")[0])["links"]
    ['https://ror.org/03cve4549', 'http://www.wikidata.org/entity/Q16955']
    """
    rec: dict[str, Any] = {"type": m.type, "text": m.text, "start": m.start, "end": m.end,
                           "iri": str(m.iri), "label": m.label, "confidence": m.confidence,
                           "rule": m.rule}
    if m.role:
        rec["role"] = m.role
    if m.entity.links or m.entity.within:
        rec["links"] = [*m.entity.links, *m.entity.within]
    return rec


def entry_record(entry: Entry, mentions: Sequence[Mention] | None = None) -> dict[str, Any]:
    """One entry as a JSON-ready dict; ``mentions`` are extracted when not given.

    >>> from kg.ingest import read_post, sample_paths
    >>> from kg.parse import parse_post
    >>> rec = entry_record(parse_post(read_post(sample_paths()[0]))[0])
    >>> sorted(rec)[:4]
    ['code', 'dataset_links', 'entry', 'kind']
    """
    v = entry.venue
    return {
        "source": entry.source,
        "entry": entry.position,
        "kind": entry.kind,
        "line": entry.line,
        "paper": {
            "iri": str(entry.paper_iri),
            "url": entry.paper_url,
            "title": entry.title,
        },
        "recommender": entry.recommender,
        "section": entry.section,
        "topics": list(entry.topics),
        "venue": None if v is None else {
            "series": v.series, "year": v.year, "label": v.label, "text": v.text,
            "status": v.status, "iri": str(venue_iri(v.series, v.year)),
        },
        "code": list(entry.code),
        "dataset_links": list(entry.dataset_links),
        "text": entry.text,
        "mentions": [mention_record(m) for m in
                     (extract_entry(entry) if mentions is None else mentions)],
    }


def entries_table(entries: list[Entry]) -> str:
    """Entries as an aligned table for people (post, position, venue, code, recommender, paper)."""
    from kg.query import Result, format_result

    rows = tuple(
        (e.post, e.position, e.venue.label if e.venue else "", len(e.code), e.recommender or "",
         e.title or e.paper_url or "")
        for e in entries
    )
    return format_result(Result(("post", "entry", "venue", "code", "recommender", "paper"), rows), "table")
