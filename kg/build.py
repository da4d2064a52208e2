"""The main job: posts on disk → entries → RDF dataset → store and TriG dump under ``outputs/``.

>>> import tempfile
>>> from kg.ingest import sample_paths
>>> report = build(sample_paths(), Path(tempfile.mkdtemp()))
>>> report.posts, report.entries
(3, 11)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kg.graph import build_dataset, dump_trig
from kg.parse import parse_paths
from kg.store import write_outputs

__all__ = ["BuildReport", "build"]


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote, for the summary line."""

    posts: int
    entries: int
    papers: int
    quads: int
    out_dir: Path
    seconds: float


def build(paths: Iterable[str | Path], out_dir: Path) -> BuildReport:
    """Build the graph of the posts under ``paths`` into ``out_dir``.

    Everything is read and checked before anything is written, and the outputs are
    swapped in whole, so a failed build leaves the previous one as it was.
    """
    start = time.perf_counter()
    parsed = parse_paths(paths)
    dataset = build_dataset(parsed)
    write_outputs(dump_trig(dataset), out_dir)
    papers = {e.paper_iri for _, entries in parsed for e in entries}
    return BuildReport(
        posts=len(parsed),
        entries=sum(len(entries) for _, entries in parsed),
        papers=len(papers),
        quads=sum(1 for _ in dataset.quads()),
        out_dir=out_dir,
        seconds=time.perf_counter() - start,
    )
