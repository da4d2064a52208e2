"""Benchmark: every named query on the dev corpus replicated to ~10,000 posts.

    python tests/bench/bench_queries.py [--posts 10000] [--memory-posts 540] [--repeat 7]
                                        [--queries papers,venues] [--work DIR]

The dev posts are copied with their paper ids rewritten (``papers/2654`` → ``papers/102654`` in
copy 10, so every copy holds distinct papers) and their file names prefixed (``r0010_…``). Building
10,000 posts with ``kg build`` takes most of an hour here, so the graph of the copies is made from
the dev build by the same rewrite applied to its IRIs and literals; before timing anything the
script builds two copied posts for real and checks that they give exactly the rewritten quads.

Each named query runs with its header's example parameters (``typical``) and with only its
required ones (``all``: every optional filter off), on the embedded Oxigraph store (target: median
≤ 100 ms) and on rdflib's in-memory store. rdflib needs about 2 KB of memory per quad, so it
cannot hold the 10,000-post graph (~20 M quads) on this 24 GB machine: it runs on the first
``--memory-posts`` posts, and Oxigraph runs that size too, in the same run, for the ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kg.build import build  # noqa: E402
from kg.link import ID, paper_iri, post_key  # noqa: E402
from kg.query import named_queries, run_named  # noqa: E402
from kg.store import STORE_DIR, graph_files  # noqa: E402

DEV = ROOT.parent / "shared" / "corpus" / "dev"
STRIDE = 100_000  # copy k's paper ids are k * STRIDE + the dev id
_PW_TEXT = re.compile(r"(paperweekly\.site/papers/)(\d+)")
_PW_IRI = re.compile(r"^(.*/id/paper/pw)(\d+)$")
_PREFIXED = ("post/", "graph/")  # nodes keyed on the post's file name


def copy_name(k: int, name: str) -> str:
    return f"r{k:04d}_{name}"


def _copy_bytes(post: Path, k: int) -> bytes:
    """Post ``post`` as copy k has it: every paperweekly paper id moved to k * STRIDE + id."""
    text = post.read_bytes().decode("utf-8", "surrogateescape")  # GBK posts keep their bytes too
    text = _PW_TEXT.sub(lambda m: f"{m.group(1)}{k * STRIDE + int(m.group(2))}", text)
    return text.encode("utf-8", "surrogateescape")


def copy_posts(dev: Path, target: Path, copies: Iterable[int]) -> list[Path]:
    """Copies of the dev posts, paper ids rewritten, names prefixed (what the replicated graph stands for)."""
    written = []
    for k in copies:
        for post in sorted(dev.iterdir()):
            if post.suffix in (".md", ".txt"):
                path = target / copy_name(k, post.name)
                path.write_bytes(_copy_bytes(post, k))
                written.append(path)
    return written


def _unlinked_papers(quads: list[ox.Quad], names: dict[str, str], k: int) -> dict[str, str]:
    """Papers with no link are keyed on post name and position: their IRIs in copy k."""
    out = {}
    for q in quads:
        if q.predicate.value == "https://schema.org/about" and "/id/paper/x" in q.object.value:
            key, _, position = q.subject.value.split("/id/post/")[1].partition("/entry/")
            out[q.object.value] = str(paper_iri(None, fallback=f"{copy_name(k, names[key])}#{position}"))
    return out


def _iri_rewriter(k: int, keys: dict[str, str], unlinked: dict[str, str]) -> Callable[[object], object]:
    """Maps a dev node to the node of copy k: paper ids moved, post keys prefixed."""
    id_base = str(ID)
    cache: dict = {n: ox.NamedNode(v) for n, v in unlinked.items()}

    def term(t):
        if not isinstance(t, ox.NamedNode):
            return t
        hit = cache.get(t.value)
        if hit is None:
            value = t.value
            m = _PW_IRI.match(value)
            if m:
                value = f"{m.group(1)}{k * STRIDE + int(m.group(2))}"
            elif value.startswith(id_base):
                rest = value[len(id_base):]
                for kind in _PREFIXED:
                    if rest.startswith(kind):
                        key, sep, tail = rest[len(kind):].partition("/")
                        key, hash_, frag = key.partition("#")
                        if key in keys:
                            value = f"{id_base}{kind}{keys[key]}{hash_}{frag}{sep}{tail}"
            else:
                value = _PW_TEXT.sub(lambda m: f"{m.group(1)}{k * STRIDE + int(m.group(2))}", value)
            hit = cache[t.value] = ox.NamedNode(value) if value != t.value else t
        return hit

    return term


def replicate(quads: list[ox.Quad], dev: Path, copies: int, first: int = 0) -> Iterator[ox.Quad]:
    """The quads of copies ``first`` … ``copies - 1`` of the dev build (copy 0 is the dev build)."""
    import hashlib

    names = sorted(p.name for p in dev.iterdir() if p.suffix in (".md", ".txt"))
    for k in range(first, copies):
        if k == 0:
            yield from quads
            continue
        keys = {post_key(n): post_key(copy_name(k, n)) for n in names}
        files = {n: copy_name(k, n) for n in names}
        unlinked = _unlinked_papers(quads, {post_key(n): n for n in names}, k)
        digests = {hashlib.sha256((dev / n).read_bytes()).hexdigest():
                   hashlib.sha256(_copy_bytes(dev / n, k)).hexdigest() for n in names}
        term = _iri_rewriter(k, keys, unlinked)
        for q in quads:
            o = q.object
            p = q.predicate.value
            if p.endswith("#paperweeklyId"):
                o = ox.Literal(str(k * STRIDE + int(o.value)))
            elif p.endswith("#sourceFile"):
                o = ox.Literal(files.get(o.value, o.value))
            elif p.endswith("#sha256"):
                o = ox.Literal(digests.get(o.value, o.value))
            else:
                o = term(o)
            yield ox.Quad(term(q.subject), q.predicate, o, term(q.graph_name))


def check_rewrite(dev: Path, work: Path, quads: list[ox.Quad]) -> None:
    """Build a few copied posts for real and compare with the rewritten dev quads of those posts:
    the first two, and those with a paper that has no link (keyed on post name and position)."""
    k = 3
    every = sorted(p.name for p in dev.iterdir() if p.suffix in (".md", ".txt"))
    unlinked = {q.graph_name.value for q in quads if "/id/paper/x" in q.object.value}
    names = every[:2] + [n for n in every[2:] if f"{ID}graph/{post_key(n)}" in unlinked]
    src = work / "check-posts"
    for stale in (src, work / "check-out"):  # left by an earlier run in the same --work folder
        shutil.rmtree(stale, ignore_errors=True)
    src.mkdir()
    for name in names:
        (src / copy_name(k, name)).write_bytes(_copy_bytes(dev / name, k))
    build([src], work / "check-out")
    built = {q for f in graph_files(work / "check-out") for q in ox.parse(path=str(f), format=ox.RdfFormat.TRIG)}
    graphs = {f"{ID}graph/{post_key(n)}" for n in names}
    mine = [q for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs]
    rewritten = set(replicate(mine, dev, k + 1, first=k))
    if built != rewritten:
        missing, extra = sorted(map(str, built - rewritten))[:5], sorted(map(str, rewritten - built))[:5]
        raise SystemExit(f"the rewrite does not match a real build of the copies:\n  built only: {missing}\n"
                         f"  rewritten only: {extra}")
    print(f"checked: building {len(names)} copied posts gives exactly the rewritten quads ({len(built)} quads)")


def cases(names: Iterable[str] | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """(query, variant, parameters): the header's examples, and required parameters only."""
    queries = named_queries()
    unknown = set(names or ()) - set(queries)
    if unknown:
        raise SystemExit(f"unknown queries: {', '.join(sorted(unknown))}; known: {', '.join(sorted(queries))}")
    out = []
    for q in queries.values():
        if names and q.name not in names:
            continue
        typical = {p.name: p.example for p in q.params}
        required = {p.name: p.example for p in q.params if not p.optional}
        out.append((q.name, "typical", typical))
        if required != typical:
            out.append((q.name, "all", required))
    return out


def time_query(store, name: str, params: dict[str, str], repeat: int) -> tuple[float, int]:
    """Median milliseconds of ``repeat`` runs (after one warm-up; one run when the warm-up took
    over 2 s) and the number of rows."""
    start = time.perf_counter()
    rows = len(run_named(store, name, **params).rows)
    if time.perf_counter() - start > 2:
        repeat = 1
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run_named(store, name, **params)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), rows


def load_oxigraph(quads: Iterable[ox.Quad], path: Path) -> ox.Store:
    """An on-disk store laid out as kg/store.py writes it: the posts' graphs and their merge."""
    def both() -> Iterator[ox.Quad]:
        for q in quads:
            yield q
            yield ox.Quad(q.subject, q.predicate, q.object)  # the store keeps each default-graph triple once

    store = ox.Store(str(path))
    store.bulk_extend(both())
    store.optimize()
    return store


def load_rdflib(quads: Iterable[ox.Quad]):
    import rdflib

    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(data=data, format="nquads")
    return dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the big graph (Oxigraph)")
    parser.add_argument("--memory-posts", type=int, default=540, help="posts in the graph both stores hold")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per query (median)")
    parser.add_argument("--memory-repeat", type=int, default=3, help="timed runs per query on rdflib")
    parser.add_argument("--memory-skip", type=float, default=500.0,
                        help="skip rdflib for a query that takes Oxigraph longer than this many ms at that size")
    parser.add_argument("--queries", help="comma-separated names of the queries to time (default: all)")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--work", type=Path, help="folder to work in, kept with its stores for the next "
                        "run; default a temporary one")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="kg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run(args, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    names = sorted(p.name for p in args.dev.iterdir() if p.suffix in (".md", ".txt"))
    start = time.perf_counter()
    report = build([args.dev], work / "dev")
    files = graph_files(work / "dev")
    quads = [q for f in files for q in ox.parse(path=str(f), format=ox.RdfFormat.TRIG)]
    print(f"dev build: {report.posts} posts, {len(quads)} quads in {time.perf_counter() - start:.1f} s")
    check_rewrite(args.dev, work, quads)

    small = max(1, math.ceil(args.memory_posts / len(names)))
    big = max(small, math.ceil(args.posts / len(names)))
    start = time.perf_counter()
    stamp = work / "stores.txt"  # a --work folder keeps its stores for the next run of the same build
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    if stamp.exists() and stamp.read_text() == f"{small} {big} {digest}\n":
        small_store, big_store = ox.Store(str(work / "small")), ox.Store(str(work / "big"))
    else:
        small_store = load_oxigraph(replicate(quads, args.dev, small), work / "small")
        big_store = load_oxigraph(replicate(quads, args.dev, big), work / "big")
        stamp.write_text(f"{small} {big} {digest}\n")
    print(f"Oxigraph stores: {small * len(names)} and {big * len(names)} posts "
          f"({len(small_store)} and {len(big_store)} quads) in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    memory = load_rdflib(replicate(quads, args.dev, small))
    print(f"rdflib in-memory: {small * len(names)} posts ({len(memory)} distinct triples) in "
          f"{time.perf_counter() - start:.1f} s")

    print(f"\nmedian ms ({args.repeat} runs Oxigraph, {args.memory_repeat} rdflib; 'typical' = the "
          "header's example parameters, 'all' = required ones only)")
    head = (f"{'query':28} {'variant':8} {'rows':>6} {'oxigraph ' + str(big * len(names)):>15} "
            f"{'oxigraph ' + str(small * len(names)):>14} {'rdflib ' + str(small * len(names)):>12} {'ratio':>7}")
    print(head)
    print("-" * len(head))
    over = []
    for name, variant, params in cases(args.queries.split(",") if args.queries else None):
        big_ms, rows = time_query(big_store, name, params, args.repeat)
        small_ms, _ = time_query(small_store, name, params, args.repeat)
        if small_ms > args.memory_skip:  # rdflib would take minutes: a dump, not a question
            print(f"{name:28} {variant:8} {rows:6d} {big_ms:15.1f} {small_ms:14.1f} {'(skipped)':>12}", flush=True)
        else:
            memory_ms, _ = time_query(memory, name, params, args.memory_repeat)
            print(f"{name:28} {variant:8} {rows:6d} {big_ms:15.1f} {small_ms:14.1f} {memory_ms:12.1f} "
                  f"{memory_ms / small_ms:6.0f}×", flush=True)
        if big_ms > 100 and variant == "typical":
            over.append(name)
    print("\ntarget (median ≤ 100 ms on the embedded store at "
          f"{big * len(names)} posts, typical calls): {'met by every query' if not over else 'missed by ' + ', '.join(over)}")


if __name__ == "__main__":
    main()
