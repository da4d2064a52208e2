"""Extraction throughput against a bare regex + Aho-Corasick scan of the same text.

Run: python tests/bench/bench_extract.py [POSTS...]   (default: ../shared/corpus/dev)

Both sides read the same entry texts. The baseline is the least any extractor must do: one
Aho-Corasick pass with every gazetteer spelling (the same automaton kg uses, lower-cased text)
plus one pass of each regex kg runs over whole texts (``kg.extract.SCAN_PATTERNS``), counting
matches. The extractor is the whole
spaCy pipeline: segmenter, components, linking, resolution. Prints MB of entry text (UTF-8)
per second for each, best of nine interleaved rounds, and the ratio (target: ≥ 0.25).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kg import extract
from kg.parse import parse_paths

ROOT = Path(__file__).resolve().parents[2]


def best_of_interleaved(fns, rounds: int = 9) -> list[float]:
    """Best time of each function, the rounds interleaved so both see the same machine load."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def main(argv: list[str]) -> None:
    paths = argv or [str(ROOT.parent / "shared" / "corpus" / "dev")]
    entries = [e for _, es in parse_paths(paths) for e in es]
    texts = [e.text for e in entries]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    automaton = extract._scanner().automaton
    regexes = extract.SCAN_PATTERNS

    def bare() -> int:
        n = 0
        for t in texts:
            low = t.lower()
            n += sum(1 for _ in automaton.iter(low))
            for rx in regexes:
                n += sum(1 for _ in rx.finditer(t))
        return n

    def kg() -> int:
        extract.extract_text.cache_clear()  # (it remembers texts: each round must extract them)
        return sum(len(extract.extract_entry(e)) for e in entries)

    kg()  # warm up: load gazetteers, jieba dictionary, spaCy
    t_bare, t_kg = best_of_interleaved([bare, kg])
    print(f"entries: {len(entries)}, entry text: {mb:.3f} MB, mentions: {kg()}")
    print(f"bare regex + Aho-Corasick scan: {mb / t_bare:8.2f} MB/s  ({t_bare * 1000:.1f} ms)")
    print(f"kg extraction (spaCy pipeline): {mb / t_kg:8.2f} MB/s  ({t_kg * 1000:.1f} ms)")
    print(f"ratio kg / bare: {t_bare / t_kg:.2f}  (target ≥ 0.25)")


if __name__ == "__main__":
    main(sys.argv[1:])
