"""Entries as JSON records: the format ``kg extract --format jsonl`` prints.

The format is specified in ``shared/eval/README.md``; ``mentions`` is filled by the
extraction stage once it exists and is an empty list until then.
"""

from __future__ import annotations

from typing import Any

from kg.link import venue_iri
from kg.parse import Entry

__all__ = ["entry_record", "entries_table"]


def entry_record(entry: Entry) -> dict[str, Any]:
    """One entry as a JSON-ready dict.

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
        "mentions": [],
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
