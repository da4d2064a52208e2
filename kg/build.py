"""The main job: posts on disk → one named graph per post → the store and graph files under ``outputs/``.

Builds are incremental. ``OUT/manifest.json`` remembers, for each post, its file's size, time
and SHA-256. The next build reads only the posts whose content changed (a touched file with the
same bytes is not read again), replaces their graphs (their files in ``OUT/graphs/`` and their
named graphs in the store), and keeps the others' as they were; with ``prune`` the graphs of
posts no longer given are removed. Whatever was reused, the graph files and the store equal
those of a clean build of the same posts, byte for byte and quad for quad (tests/test_build.py).
A change to kg itself (the code and data that decide a post's graph) makes the next build a
clean one.

Posts are read and turned into graphs in worker processes (one per core), which write each
post's graph file; the results are kept in post order. A post that cannot be read is skipped
with a warning naming it.

>>> import tempfile
>>> from kg.ingest import sample_paths
>>> out = Path(tempfile.mkdtemp())
>>> report = build(sample_paths(), out)
>>> report.posts, report.entries, report.read
(3, 11, 3)
>>> build(sample_paths(), out).read
0
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, replace
from functools import cache, partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from pyoxigraph import RdfFormat

from kg.errors import InputError, InputWarning, StoreError
from kg.ingest import find_posts, read_post
from kg.link import GAZETTEER_GRAPH, graph_iri
from kg.proc import die_with_parent
from kg.store import (
    CHANGED_DIR, GRAPHS_DIR, MANIFEST_FILE, REMOVED_FILE, STORE_DIR, build_lock, commit, copy_store, forget_locks,
    load_new_store, staging, updating_store, write_atomic,
)

if TYPE_CHECKING:
    from rdflib import URIRef

__all__ = ["BuildReport", "PostRecord", "build", "fingerprint"]

_MANIFEST_VERSION = 3
_PARALLEL_FROM = 16  # fewer posts than this are not worth starting worker processes for
_REBUILD_SHARE = 0.2  # when more than this share of posts changed, the store is loaded afresh
_LOAD_PART = 600_000  # quads: Oxigraph bulk-loads that many in one batch, on one thread (see load_new_store)


@dataclass(frozen=True)
class PostRecord:
    """What the manifest keeps of one post."""

    graph: str  # its named graph's IRI
    path: str
    size: int
    mtime_ns: int
    sha256: str
    entries: int
    papers: tuple[str, ...]
    facts: int  # extracted facts (mentions) in its graph
    triples: int
    listed: str = ""  # the gazetteers' entities it names ("type:id" …), which the gazetteer graph describes


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the summary line."""

    posts: int  # in the graph now
    entries: int
    papers: int
    facts: int
    quads: int  # in the named graphs (the posts' and the gazetteer graph)
    read: int  # posts read and extracted this time
    unchanged: int
    removed: int
    kept: int  # posts of an earlier build not given this time and kept (no prune)
    skipped: tuple[str, ...]  # posts that could not be read
    warnings: tuple[InputWarning, ...]
    out_dir: Path
    seconds: float
    removed_graphs: tuple[str, ...] = ()  # the named graphs removed (the removed posts')


@dataclass(frozen=True)
class _Job:
    """A post for a worker to read, and where its graph file goes."""

    path: str
    size: int
    mtime_ns: int
    to: str  # the folder to write its graph file in
    old: str | None = None  # the graph file an earlier build wrote for it (not rewritten when equal)


@dataclass(frozen=True)
class _Result:
    """A post read by a worker: its record and whether its graph changed, or why it was skipped."""

    path: str
    record: PostRecord | None
    changed: bool
    warnings: tuple[InputWarning, ...]
    error: str | None = None


def _graph_file(graph: str) -> str:
    """The name of the file in ``OUT/graphs/`` that holds the named graph ``graph`` (an IRI
    ``…/graph/KEY``: ``KEY.trig``)."""
    return graph.rsplit("/", 1)[1] + ".trig"


def _process(job: _Job) -> _Result:
    """Read, parse and extract one post; write its graph file (runs in a worker)."""
    from kg.graph import OA, post_triples
    from kg.parse import parse_post

    warnings: list[InputWarning] = []
    try:
        post = read_post(job.path)
        entries = parse_post(post, warnings)
    except InputError as err:
        return _Result(job.path, None, False, (), err.message)
    graph = graph_iri(post.name)
    triples, listed = post_triples(post, entries)
    record = PostRecord(
        str(graph), job.path, job.size, job.mtime_ns, post.sha256, len(entries),
        papers=tuple(sorted({str(e.paper_iri) for e in entries})),
        facts=sum(1 for _, p, _ in triples if str.__eq__(p, OA.hasBody)), triples=len(triples),
        listed=" ".join(sorted(f"{e.type}:{e.id}" for e in listed)),
    )
    data = _graph_data(graph, triples)
    if job.old and _read(Path(job.old)) == data:
        return _Result(job.path, record, False, tuple(warnings))
    with open(Path(job.to) / _graph_file(str(graph)), "wb") as f:
        f.write(data)
    return _Result(job.path, record, True, tuple(warnings))


def _describe(listed: list[str]) -> tuple[bytes, int]:
    """The gazetteer graph's file, describing the gazetteers' entities ``listed`` ("type:id"), and
    its number of triples (runs in a worker: it has the gazetteers loaded)."""
    from kg.gazetteer import gazetteer
    from kg.graph import gazetteer_triples

    # (every key is there: the gazetteers are part of the fingerprint of the build that wrote it)
    entities = [e for key in listed if (e := gazetteer().get(*key.split(":", 1))) is not None]
    triples = gazetteer_triples(entities)
    return _graph_data(GAZETTEER_GRAPH, triples), len(triples)


def _graph_data(graph: URIRef, triples: Iterable[tuple]) -> bytes:
    """A graph file: one named graph as a complete TriG document."""
    from kg.graph import graph_chunk

    return _header() + graph_chunk(graph, triples).encode("utf-8")


def _listed(records: Iterable[PostRecord]) -> set[str]:
    """The gazetteers' entities that ``records``' posts name: what the gazetteer graph describes."""
    return {key for r in records for key in r.listed.split()}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _start_worker(parent: int) -> None:
    """Set up a worker process: it ends with the build that started it (killed or not), holds
    none of its locks, and loads the extraction pipeline before its first post."""
    forget_locks()
    die_with_parent(signal.SIGKILL, parent)  # a SIGKILLed build takes its workers with it
    try:
        from kg.extract import nlp

        nlp()
    except Exception:  # noqa: BLE001 — the first post raises it again, where the build can report it
        pass  # (a pool whose initializer fails restarts the worker for ever: the build would hang)


class _Workers:
    """The processes that read posts. One starts with the build, so that loading the extraction
    pipeline (spaCy, the gazetteers' automaton: about 1 s) overlaps the build's own work (the
    manifest, the files' dates, the store's copy and the old graphs removed from it); a build of
    many posts then starts one per core. Without ``fork``, posts are read in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        methods = multiprocessing.get_all_start_methods()
        self.ctx = multiprocessing.get_context("fork") if "fork" in methods else None
        self.pool = self._pool(1) if self.ctx else None

    def _pool(self, n: int):
        return self.ctx.Pool(n, initializer=_start_worker, initargs=(os.getpid(),))

    def run(self, jobs: list[_Job]) -> Iterator[_Result]:
        """:func:`_process` over ``jobs``, results in their order."""
        if self.pool is None:
            return map(_process, jobs)
        if self.workers > 1 and len(jobs) >= _PARALLEL_FROM:
            self.pool.terminate()
            self.pool = self._pool(self.workers)
        return self.pool.imap(_process, jobs, chunksize=4 if len(jobs) >= _PARALLEL_FROM else 1)

    def submit(self, fn, arg) -> Callable[[], Any]:
        """Start ``fn(arg)`` in a worker (it has the extraction pipeline loaded), or run it here
        without ``fork``; return what waits for its result."""
        if self.pool is None:
            result = fn(arg)
            return lambda: result
        return self.pool.apply_async(fn, (arg,)).get

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_GRAPH_INPUTS = ("errors.py", "ingest.py", "parse.py", "extract.py", "jiebadict.py", "gazetteer.py", "graph.py",
                 "link.py", "venues.py", "ror.py", "resources/gazetteers/*", "resources/ror/*", "resources/*.tsv",
                 "resources/*.txt")
"""The parts of kg that decide what graph a post gives (queries, pages and the CLI do not)."""


@cache
def fingerprint() -> str:
    """A hash of what decides a post's graph besides the post: kg's version, the code and data
    in :data:`_GRAPH_INPUTS`, and the ROR data a user points ``KG_ROR`` at."""
    h = hashlib.sha256()
    try:
        h.update(version("kg").encode())
    except PackageNotFoundError:
        pass
    root = Path(__file__).parent
    for f in sorted({f for pattern in _GRAPH_INPUTS for f in root.glob(pattern) if f.is_file()}):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    if ror := os.environ.get("KG_ROR"):
        h.update(ror.encode())
        if Path(ror).is_file():
            st = Path(ror).stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _read_manifest(out_dir: Path) -> tuple[dict[str, PostRecord], int]:
    """The posts of the build in ``out_dir`` and the number of triples of its gazetteer graph
    (none and 0 if there is no build, or kg changed since)."""
    try:
        data = json.loads((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, 0
    if data.get("version") != _MANIFEST_VERSION or data.get("fingerprint") != fingerprint():
        return {}, 0
    if not (out_dir / STORE_DIR).is_dir() or not (out_dir / GRAPHS_DIR).is_dir():
        return {}, 0
    try:
        records = [PostRecord(**{**r, "papers": tuple(r["papers"])}) for r in data["posts"]]
        described = int(data["gazetteer_triples"])
    except (KeyError, TypeError, ValueError):
        return {}, 0
    return {r.graph: r for r in records}, described


def _write_manifest(path: Path, records: Iterable[PostRecord], described: int,
                    lines: dict[str, str] | None = None) -> None:
    """Write the manifest (to a temporary file renamed over ``path``): the posts' records and the
    number of triples of the gazetteer graph; ``lines`` holds posts' lines made beforehand
    (:func:`_manifest_line`), by graph."""
    head = json.dumps({"version": _MANIFEST_VERSION, "fingerprint": fingerprint(),
                       "gazetteer_triples": described})[:-1]
    lines = lines or {}
    posts = ",\n".join(lines.get(r.graph) or _manifest_line(r) for r in records)
    write_atomic(path, f'{head}, "posts": [\n{posts}\n]}}\n'.encode("utf-8"))


def _manifest_line(record: PostRecord) -> str:
    # a post a line, each written by json's C encoder (indent= takes its Python one: 10x slower;
    # dataclasses.asdict deep-copies: 10x slower than vars)
    return json.dumps(vars(record), ensure_ascii=False)


def _sha256(path: Path) -> str | None:
    data = _read(path)
    return None if data is None else hashlib.sha256(data).hexdigest()


class _Chunks:
    """Reads some posts' graph files as one document, under one header: as TriG (their named
    graphs) or, with ``merge``, as Turtle (graph lines dropped: their statements in the default
    graph)."""

    def __init__(self, files: list[Path], merge: bool) -> None:
        self._files = iter(files)
        self._buf = _header()
        self._merge = merge

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            path = next(self._files, None)
            if path is None:
                break
            chunk = _graph_text(path)[len(_header()):]  # the named graph's block
            # "\n<graph> {\n" … "}\n": for the merge, keep the statements between
            self._buf += chunk[chunk.index(b"{\n") + 2:-2] if self._merge else chunk
        out, self._buf = (self._buf, b"") if n < 0 else (self._buf[:n], self._buf[n:])
        return out

    def close(self) -> None:
        pass


def _graph_text(path: Path) -> bytes:
    """A graph file's TriG; :class:`StoreError` when it is missing or not one kg wrote."""
    data = _read(path)
    if data is None or not data.startswith(_header()):
        raise StoreError(f"{path}: missing or not written by this kg build; delete the output folder and build again")
    return data


def _load_parts(files: list[tuple[Path, int]]) -> list[tuple[Callable[[], IO[bytes]], RdfFormat]]:
    """Graph files (with their numbers of quads) in parts of about :data:`_LOAD_PART` quads,
    each as its named graphs and as their merge, for :func:`kg.store.load_new_store`."""
    parts, part, quads = [], [], 0
    for i, (path, n) in enumerate(files, 1):
        part.append(path)
        quads += n
        if quads >= _LOAD_PART or i == len(files):
            for merge, fmt in ((False, RdfFormat.TRIG), (True, RdfFormat.TURTLE)):
                parts.append((partial(_Chunks, part, merge), fmt))
            part, quads = [], 0
    return parts


class Progress(Protocol):
    """What a build tells its caller while it reads posts (the CLI draws a bar from it)."""

    def start(self, total: int) -> None:
        """``total`` posts are about to be read."""

    def advance(self, path: str, entries: int, skipped: bool) -> None:
        """One post was read (``skipped`` when it could not be)."""


def build(paths: Iterable[str | Path], out_dir: Path, *, prune: bool = False, workers: int | None = None,
          progress: Progress | None = None) -> BuildReport:
    """Build the graph of the posts under ``paths`` into ``out_dir``, reusing an earlier build.

    A post that cannot be read is skipped with a warning; :class:`InputError` when a path does
    not exist, a folder holds no posts, or no post could be read. Nothing in ``out_dir``
    changes until the whole new graph is written, and then it changes at once.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    with _Workers(workers or os.cpu_count() or 1) as pool, build_lock(out_dir):
        files = find_posts(paths)
        old, old_described = _read_manifest(out_dir)
        warnings: list[InputWarning] = []
        given: dict[str, tuple[Path, os.stat_result]] = {}
        known = {r.path: key for key, r in old.items()}  # (its graph is a function of its name)
        for f in files:
            try:
                st = f.stat()
            except OSError as err:
                raise InputError(str(f), f"cannot read: {err.strerror or err}") from None
            key = known.get(str(f)) or str(graph_iri(f.name))
            if key in given:
                warnings.append(InputWarning(str(f), None, f"has the same file name as {given[key][0]}, "
                                             "so it is the same post; this one replaces it"))
            given[key] = (f, st)

        records: dict[str, PostRecord] = {}
        todo: list[tuple[str, Path, os.stat_result]] = []
        for key, (f, st) in given.items():
            r = old.get(key)
            if r and r.size == st.st_size and r.mtime_ns == st.st_mtime_ns and r.path == str(f):
                records[key] = r
            elif r and r.size == st.st_size and _sha256(f) == r.sha256:  # touched, not changed
                records[key] = replace(r, path=str(f), mtime_ns=st.st_mtime_ns)
            else:
                todo.append((key, f, st))
        kept = {k: r for k, r in old.items() if k not in given}
        if not prune:
            records.update(kept)

        if old and not todo and not (prune and kept):  # nothing to read or remove: write nothing
            ordered = _unchanged(out_dir, old, records, old_described)
            return _report(ordered, old_described, 0, len(given), [], 0 if prune else len(kept), [], warnings,
                           out_dir, start)
        todo.sort(key=lambda t: t[0])
        keep_new = bool(old) and len(todo) <= _REBUILD_SHARE * len(given)  # else the store is loaded afresh
        changed: list[str] = []
        read: list[str] = []
        skipped: list[str] = []
        if progress:
            progress.start(len(todo))
        tmp = staging(out_dir)
        # a clean build writes every graph file; a later one only the changed posts' files
        new_files = tmp / (CHANGED_DIR if old else GRAPHS_DIR)
        new_files.mkdir()
        graphs = out_dir / GRAPHS_DIR
        background = ThreadPoolExecutor(1)  # the manifest, written beside the store
        store = ExitStack()
        try:
            results = pool.run([_Job(str(f), st.st_size, st.st_mtime_ns, str(new_files),
                                     str(graphs / _graph_file(key)) if key in old else None)
                                for key, f, st in todo])
            # every post read again that an earlier build read has changed (its SHA-256 is in its
            # graph), or turned bad: while the worker starts, their old graphs leave a copy of the
            # store, as do the pruned posts'
            replaced = sorted({*(key for key, _, _ in todo if key in old), *(kept if prune else ())})
            if keep_new:
                copy_store(tmp / STORE_DIR, out_dir / STORE_DIR)
                update = store.enter_context(updating_store(tmp / STORE_DIR))
                update.remove((key, _graph_text(graphs / _graph_file(key))) for key in replaced)
            # made while the worker reads: the unchanged posts' manifest lines (0.1 s at 10,000
            # posts), the gazetteers' entities they name and those the earlier build's posts named
            lines = {key: _manifest_line(r) for key, r in records.items()} if keep_new else {}
            listed, old_listed = _listed(records.values()), _listed(old.values())
            for result in results:
                if progress:
                    progress.advance(result.path, result.record.entries if result.record else 0,
                                     result.record is None)
                if result.record is None:
                    skipped.append(result.path)
                    warnings.append(InputWarning(result.path, None, f"{result.error}; skipped"))
                    records.pop(str(graph_iri(Path(result.path).name)), None)
                    continue
                key = result.record.graph
                warnings.extend(result.warnings)
                read.append(key)
                records[key] = result.record
                if result.changed:
                    changed.append(key)
            if len(skipped) == len(given):
                first = next(w for w in warnings if w.path == skipped[0] and w.message.endswith("; skipped"))
                if len(skipped) == 1:
                    raise InputError(skipped[0], first.message.removesuffix("; skipped"))
                raise InputError(", ".join(str(p) for p in paths),
                                 f"none of the {len(skipped)} posts could be read (the first: {first})")
            first_of: dict[str, str] = {}
            for key in sorted(records):  # the same bytes under two names: two posts, one set of papers
                r = records[key]
                if r.sha256 in first_of and key in read:
                    warnings.append(InputWarning(r.path, None, f"same content as {first_of[r.sha256]}; both are "
                                                 "kept as posts and their papers are the same nodes"))
                first_of.setdefault(r.sha256, r.path)
            removed = [k for k in old if k not in records]
            changed = sorted({*changed, *removed})
            # the gazetteer graph describes the gazetteers' entities the posts name: made again when
            # they are others than before, by a worker (it has the gazetteers loaded)
            listed |= _listed(records[key] for key in read if key in records)
            relisted = listed != old_listed
            describing = pool.submit(_describe, sorted(listed)) if relisted and listed else None
            if old and not changed:  # the posts read gave the graphs they had (or could not be read)
                store.close()
                shutil.rmtree(tmp, ignore_errors=True)
                ordered = _unchanged(out_dir, old, records, old_described)
                return _report(ordered, old_described, len(read), len(given) - len(read) - len(skipped), [],
                               0 if prune else len(kept), skipped, warnings, out_dir, start)
            ordered = [records[k] for k in sorted(records)]
            gazetteer = str(GAZETTEER_GRAPH)
            dropped = [gazetteer] if old_listed and not listed else []  # (no post names one)
            if removed or dropped:
                (tmp / REMOVED_FILE).write_text("".join(_graph_file(k) + "\n" for k in (*removed, *dropped)),
                                                encoding="utf-8")
            fresh = {*(changed if old else records), *([gazetteer] if relisted else [])}

            def where(graph: str) -> Path:
                """Where the graph file of ``graph`` is: written by this build, or by an earlier one."""
                return (new_files if graph in fresh else graphs) / _graph_file(graph)

            def gazetteer_graph() -> tuple[bytes, int]:
                """The gazetteer graph's new TriG (its file written) and its number of triples, or
                the earlier build's number; then the workers end (before the store is loaded)."""
                data, described = describing() if describing else (b"", 0 if relisted else old_described)
                if data:
                    where(gazetteer).write_bytes(data)
                pool.close()
                return data, described

            if not keep_new or len(changed) > _REBUILD_SHARE * len(ordered):
                store.close()
                shutil.rmtree(tmp / STORE_DIR, ignore_errors=True)
                _, described = gazetteer_graph()
                manifest = background.submit(_write_manifest, tmp / MANIFEST_FILE, ordered, described, lines)
                files = [(where(r.graph), r.triples) for r in ordered]
                if listed:
                    files.append((where(gazetteer), described))
                load_new_store(tmp / STORE_DIR, new_files, _load_parts(files))
            else:
                update.add((key, _graph_text(where(key))) for key in sorted({*replaced, *changed})
                           if key in records)  # (while the worker makes the gazetteer graph)
                data, described = gazetteer_graph()
                manifest = background.submit(_write_manifest, tmp / MANIFEST_FILE, ordered, described, lines)
                if relisted:
                    update.replace(gazetteer, _graph_text(graphs / _graph_file(gazetteer)) if old_listed else b"",
                                   data)
                store.close()
            manifest.result()
        except BaseException:
            background.shutdown(wait=True)
            with suppress(Exception):  # the copy is thrown away; the first error is the one to report
                store.close()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            background.shutdown()
        commit(tmp, out_dir)
    return _report(ordered, described, len(read), len(given) - len(read) - len(skipped), removed,
                   0 if prune else len(kept), skipped, warnings, out_dir, start, dropped)


def _unchanged(out_dir: Path, old: dict[str, PostRecord], records: dict[str, PostRecord],
               described: int) -> list[PostRecord]:
    """Finish a build that changes no graph: only the manifest, for files touched since, is rewritten."""
    ordered = [records[k] for k in sorted(records)]
    if ordered != [old[k] for k in sorted(old)]:
        _write_manifest(out_dir / MANIFEST_FILE, ordered, described)
    return ordered


@cache
def _header() -> bytes:
    from kg.link import trig_header

    return trig_header().encode("utf-8")


def _report(records: list[PostRecord], described: int, read: int, unchanged: int, removed: list[str], kept: int,
            skipped: list[str], warnings: list[InputWarning], out_dir: Path, start: float,
            dropped: list[str] = ()) -> BuildReport:
    return BuildReport(
        posts=len(records),
        entries=sum(r.entries for r in records),
        papers=len({p for r in records for p in r.papers}),
        facts=sum(r.facts for r in records),
        quads=sum(r.triples for r in records) + described,
        read=read, unchanged=unchanged, removed=len(removed), kept=kept, removed_graphs=(*removed, *dropped),
        skipped=tuple(skipped), warnings=tuple(warnings), out_dir=out_dir,
        seconds=time.perf_counter() - start,
    )
