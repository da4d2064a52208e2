"""The built graph on disk: an Oxigraph store, its TriG files and a manifest, replaced together.

An output folder (``outputs/`` by default) holds ``store/`` (a pyoxigraph on-disk store),
``graphs/`` (the graph as TriG: one file per post, each a complete TriG document holding the
post's named graph, and ``_gazetteer.trig``, the gazetteer graph, so ``cat graphs/*.trig`` is a
dump of the whole graph) and
``manifest.json`` (what each post contributed, for incremental builds; see kg/build.py). A file
per post lets a build that changed one post write one small file, where a single dump had to be
copied whole (0.74 GB at 10,000 posts).

A build writes the new store, manifest and graph files into a temporary folder beside them
(``.build-*``: all of ``graphs/``, or for an incremental build only the changed posts' files and
the names of the removed ones), then moves them into place following a journal (``.swap``): if
the build is killed at any moment, the next one (or the next reader) finds either the old set or
the journal of a complete new one, and finishes the move. What the move replaced waits in
``.trash`` until the next build deletes it beside its own work. One build at a time: a second
one on the same folder is refused while the first holds ``.lock``.

Besides the posts' named graphs, the store's default graph holds their merge: each triple once,
however many posts repeat it. Queries read that default graph (see kg/engine.py). Oxigraph's
own union of the named graphs keeps a copy of a triple per graph, so a join on a node that
hundreds of posts describe (an institution, a venue) multiplies its rows by hundreds at each step.

>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> _ = write_outputs(b"<urn:a> <urn:b> <urn:c> .", out)
>>> len(list(open_store(out).quads_for_pattern(None, None, None)))
1
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterable, Iterator

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, RdfFormat, Store, parse

from kg.errors import StoreError

if TYPE_CHECKING:
    from rdflib import Dataset

__all__ = [
    "DEFAULT_OUT", "STORE_DIR", "GRAPHS_DIR", "MANIFEST_FILE", "CHANGED_DIR", "REMOVED_FILE", "build_lock",
    "forget_locks", "staging", "commit", "load_new_store", "copy_store", "StoreUpdate", "updating_store",
    "write_atomic", "write_outputs", "graph_files", "open_store", "load_memory",
]

DEFAULT_OUT = Path("outputs")
STORE_DIR = "store"
GRAPHS_DIR = "graphs"
MANIFEST_FILE = "manifest.json"
CHANGED_DIR = "changed"  # in a build's folder: the graph files of the posts it changed (not all of graphs/)
REMOVED_FILE = "removed"  # in a build's folder: names of the graph files it removes, one a line
_OLD_DUMP = "graph.trig"  # where builds before graphs/ kept the whole graph in one file
_ASIDE = "store.old"  # the previous store while a new one is moved into place
_TRASH = ".trash"  # what the last swap replaced; the next build deletes it while it works
_BUILD_PREFIX = ".build-"  # temporary folders of builds in progress (or that died)
_JOURNAL = ".swap"  # names the complete new set being moved into place
_LOCK = ".lock"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_held: set[int] = set()  # descriptors of the locks this process holds
_cleaners: dict[str, threading.Thread] = {}  # deleting an output folder's trash, while its lock is held


def forget_locks() -> None:
    """In a forked child: close the inherited lock descriptors, so the lock ends with its holder."""
    for fd in list(_held):
        os.close(fd)
    _held.clear()


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir``'s build lock; :class:`StoreError` if another build holds it.

    The lock is an ``flock`` on ``OUT/.lock``: the system drops it when its process ends,
    however it ends, so a killed build never leaves the folder locked.

    >>> out = Path(tempfile.mkdtemp())
    >>> with build_lock(out):
    ...     with build_lock(out): pass
    Traceback (most recent call last):
    kg.errors.StoreError: ... is being written by another kg build (pid ...); wait for it to finish
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise StoreError(f"{out_dir}: cannot write here: {err.strerror or err}") from err
    key, cleaner = os.path.abspath(out_dir), None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise StoreError(f"{out_dir}/ is being written by another kg build (pid {holder}); "
                             "wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held.add(fd)
        _recover(out_dir)
        for stale in out_dir.glob(_BUILD_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)
        # freeing a gigabyte takes ext4 most of a second: done beside the build, not before it
        cleaner = _cleaners[key] = threading.Thread(
            target=shutil.rmtree, args=(out_dir / _TRASH, True), daemon=True)
        cleaner.start()
        yield
    finally:
        if cleaner:
            cleaner.join()
            del _cleaners[key]
        _held.discard(fd)
        os.close(fd)  # releases the flock


def staging(out_dir: Path) -> Path:
    """A new empty folder inside ``out_dir`` to build the next set in (hold the lock)."""
    return Path(tempfile.mkdtemp(prefix=_BUILD_PREFIX, dir=out_dir))


def commit(tmp: Path, out_dir: Path) -> None:
    """Move what was built in ``tmp`` into ``out_dir``: the store, the manifest, and either all
    graph files (``graphs/``) or the changed ones (``changed/``, and the ``removed`` list).

    The journal is written first, so from then on a build killed half way through the moves is
    finished by the next build or reader, never rolled back into a mix of old and new.
    """
    out_dir = Path(out_dir)
    missing = [p for p in (STORE_DIR, MANIFEST_FILE) if not (tmp / p).exists()]
    if not (tmp / GRAPHS_DIR).is_dir() and not (tmp / CHANGED_DIR).is_dir():
        missing.append(GRAPHS_DIR)
    if missing:
        raise StoreError(f"{tmp}: the new graph is incomplete (no {', '.join(missing)})")
    if cleaner := _cleaners.get(os.path.abspath(out_dir)):
        cleaner.join()  # (it would race the swap for .trash)
    try:
        shutil.rmtree(out_dir / _ASIDE, ignore_errors=True)
        write_atomic(out_dir / _JOURNAL, tmp.name.encode())
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StoreError(f"{out_dir}: cannot put the new graph in place: {err.strerror or err}") from err
    try:
        _roll_forward(out_dir, tmp)
    except OSError as err:
        raise StoreError(f"{out_dir}: cannot put the new graph in place: {err.strerror or err}; "
                         "the next kg build or query finishes the move") from err


def _roll_forward(out_dir: Path, tmp: Path) -> None:
    """Each step is idempotent: moving what is still in ``tmp`` finishes an interrupted swap.

    What the new set replaces goes to ``.trash`` (freeing a gigabyte takes ext4 most of a
    second): the next build deletes it in the background.
    """
    live, aside, trash = out_dir / STORE_DIR, out_dir / _ASIDE, out_dir / _TRASH
    graphs = out_dir / GRAPHS_DIR
    if (tmp / STORE_DIR).exists():
        if live.exists():
            live.rename(aside)
        (tmp / STORE_DIR).rename(live)
    trash.mkdir(exist_ok=True)
    for old in (graphs, out_dir / _OLD_DUMP):
        if (tmp / GRAPHS_DIR).exists() and old.exists():  # a whole new set of graph files
            old.rename(trash / f"{tmp.name}-{old.name}")
    if (tmp / GRAPHS_DIR).exists():
        (tmp / GRAPHS_DIR).rename(graphs)
    if (tmp / CHANGED_DIR).exists():
        graphs.mkdir(exist_ok=True)
        for f in (tmp / CHANGED_DIR).iterdir():
            os.replace(f, graphs / f.name)
    if (tmp / REMOVED_FILE).exists():
        for name in (tmp / REMOVED_FILE).read_text(encoding="utf-8").splitlines():
            (graphs / name).unlink(missing_ok=True)
    if (tmp / MANIFEST_FILE).exists():
        os.replace(tmp / MANIFEST_FILE, out_dir / MANIFEST_FILE)
    if aside.exists():
        aside.rename(trash / f"{tmp.name}-{STORE_DIR}")
    shutil.rmtree(tmp, ignore_errors=True)
    (out_dir / _JOURNAL).unlink(missing_ok=True)


def _recover(out_dir: Path) -> None:
    """Finish a swap that a killed build left half done (the caller holds the lock)."""
    journal, live, aside = out_dir / _JOURNAL, out_dir / STORE_DIR, out_dir / _ASIDE
    try:
        if journal.exists():
            _roll_forward(out_dir, out_dir / journal.read_text().strip())
        elif aside.exists():  # the store was moved aside by a build without a journal
            if live.exists():
                shutil.rmtree(aside)
            else:
                aside.rename(live)
    except OSError as err:
        raise StoreError(f"{out_dir}: cannot finish the swap an earlier build left: {err}") from err


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, rename it over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ------------------------------------------------------------------ writing a store

@contextmanager
def _errors(path: Path, source: Path | str) -> Iterator[None]:
    """kg's errors for bad RDF from ``source`` and for failed writes to the store at ``path``."""
    try:
        yield
    except SyntaxError as err:
        raise StoreError(f"{source}: the built graph is not valid TriG: {err}") from err
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: cannot write the graph store: {err}") from err


@contextmanager
def _writing(path: Path, source: Path | str) -> Iterator[Store]:
    """A new or copied store at ``path`` to write into (see :func:`_errors`); the database
    closed after, before its folder is moved."""
    store = None
    try:
        with _errors(path, source):
            store = Store(str(path))
            yield store
            store.flush()
    finally:
        del store


LOAD_THREADS = 2
"""Parts of a graph bulk-loaded at once (this machine has 2 cores)."""


def load_new_store(path: Path, source: Path | str, parts: Iterable[tuple[Callable[[], IO[bytes]], RdfFormat]]) -> None:
    """Create the store at ``path`` from ``parts`` of ``source``: each opens a reader of TriG
    (named graphs) or of Turtle (statements for the default graph, the merge).

    Oxigraph's bulk loader works on batches of up to a million quads, two at a time, and a batch
    of kg's quads takes about 1 GB: a whole dump peaked at 2.1 GB at 10,000 posts. Parts that
    each fit a batch, :data:`LOAD_THREADS` at a time, load as fast and peaked at 1.2 GB.
    """
    def load(part: tuple[Callable[[], IO[bytes]], RdfFormat]) -> None:
        opener, fmt = part
        reader = opener()
        try:
            store.bulk_load(reader, fmt)
        finally:
            reader.close()

    with _writing(path, source) as store:
        with ThreadPoolExecutor(LOAD_THREADS) as pool:
            for done in [pool.submit(load, part) for part in parts]:
                done.result()
        # the bulk loads leave overlapping files that RocksDB would otherwise compact later, at
        # the cost of the next incremental build (10 s at 10,000 posts) and of every query till
        # then (2-10x slower at 10,000 posts): compacted now, as part of the full build
        store.optimize()


def copy_store(path: Path, base: Path) -> None:
    """Copy the store at ``base`` to ``path``, for :func:`update_store`. The copy shares the
    base's files (hard links), so it costs little."""
    try:
        Store.read_only(str(base)).backup(str(path))
    except OSError as err:
        raise StoreError(f"{base}: cannot copy the graph store: {err}") from err


class StoreUpdate:
    """Replaces some posts' graphs in a store (a :func:`copy_store`) in two steps, so that the
    first can run while the posts are still being read: :meth:`remove` their old graphs, then
    :meth:`add` their new ones; or :meth:`replace` one graph by what differs. The default graph
    (the merge) stays exact: a triple of an old graph leaves it when no other graph has it, and
    comes back if a new graph has it. Open it with :func:`updating_store`."""

    def __init__(self, store: Store, path: Path) -> None:
        self._store, self._path = store, path

    def remove(self, graphs: Iterable[tuple[str, bytes]]) -> None:
        """Remove named graphs, given as (IRI, their TriG), and from the merge what they alone held."""
        with _errors(self._path, "an earlier post's graph"):
            triples = set()
            for graph, trig in graphs:
                self._store.remove_graph(NamedNode(graph))
                triples.update(_triples(trig))
            self._unmerge(triples)
            self._store.flush()  # (written now, while the posts are read)

    def add(self, graphs: Iterable[tuple[str, bytes]]) -> None:
        """Add named graphs, given as (IRI, their TriG), and their triples to the merge."""
        with _errors(self._path, "a post's graph"):
            quads = [q for _, trig in graphs for q in parse(trig, RdfFormat.TRIG)]
            merged = {Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in quads}
            # bulk: written straight to the store's files, with nothing left to flush after; a
            # build that fails throws the copy away
            self._store.bulk_extend([*quads, *merged])

    def replace(self, graph: str, old: bytes, new: bytes) -> None:
        """Replace a named graph's ``old`` TriG (empty: there was none) with ``new`` (empty: it
        goes), writing only the triples that differ: few, when a graph changes little."""
        with _errors(self._path, graph):
            before, after = _triples(old), _triples(new)
            name, gone, added = NamedNode(graph), before - after, after - before
            if after:
                for t in gone:
                    self._store.remove(Quad(*t, name))
            else:
                self._store.remove_graph(name)
            self._unmerge(gone)
            self._store.extend([*(Quad(*t, name) for t in added), *(Quad(*t, DefaultGraph()) for t in added)])

    def _unmerge(self, triples: Iterable[tuple]) -> None:
        """Remove from the merge the ``triples`` that no named graph holds any more."""
        for t in triples:
            if all(isinstance(other.graph_name, DefaultGraph) for other in self._store.quads_for_pattern(*t)):
                self._store.remove(Quad(*t, DefaultGraph()))


def _triples(trig: bytes) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in parse(trig, RdfFormat.TRIG)}


@contextmanager
def updating_store(path: Path) -> Iterator[StoreUpdate]:
    """A :class:`StoreUpdate` of the store at ``path``, written to disk and closed after."""
    with _writing(path, "a post's graph") as store:
        update = StoreUpdate(store, path)
        try:
            yield update
        finally:
            update._store = None  # the database closes when its last reference goes


def write_outputs(trig: bytes, out_dir: Path) -> Path:
    """Replace the graph in ``out_dir`` with ``trig`` (any TriG, e.g. a dump from elsewhere);
    return the store path. Nothing in ``out_dir`` changes unless the whole new graph loaded.

    ``trig`` becomes the one file of ``graphs/`` (``graphs/graph.trig``). The manifest it
    writes lists no posts, so the next ``kg build`` there starts afresh.

    >>> out = Path(tempfile.mkdtemp())
    >>> write_outputs(b"<urn:a> <urn:b> <urn:c> .", out) == out / "store"
    True
    """
    out_dir = Path(out_dir)
    with build_lock(out_dir):
        tmp = staging(out_dir)
        try:
            (tmp / GRAPHS_DIR).mkdir()
            dump = tmp / GRAPHS_DIR / "graph.trig"
            dump.write_bytes(trig)
            merged = b"".join(
                f"{q.subject} {q.predicate} {q.object} .\n".encode() for q in parse(trig, RdfFormat.TRIG)
            ) if trig.strip() else b""
        except SyntaxError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"{tmp / STORE_DIR}: the built graph is not valid TriG: {err}") from err
        try:
            load_new_store(tmp / STORE_DIR, dump, [(partial(open, dump, "rb"), RdfFormat.TRIG),
                                                   (partial(io.BytesIO, merged), RdfFormat.TURTLE)])
            write_atomic(tmp / MANIFEST_FILE, (json.dumps({"fingerprint": None, "posts": []}) + "\n").encode())
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        commit(tmp, out_dir)
    return out_dir / STORE_DIR


# ------------------------------------------------------------------ reading

def open_store(out_dir: Path = DEFAULT_OUT) -> Store:
    """Open the store built in ``out_dir`` read-only.

    >>> out = Path(tempfile.mkdtemp()); _ = write_outputs(b"<urn:a> <urn:b> <urn:c> .", out)
    >>> bool(open_store(out).query("ASK { ?s ?p ?o }"))
    True
    """
    out_dir = Path(out_dir)
    _recover_if_idle(out_dir)
    path = out_dir / STORE_DIR
    if not path.is_dir():
        raise StoreError(f"no graph in {out_dir}/ — run `kg build` first")
    try:
        return Store.read_only(str(path))
    except OSError as err:
        raise StoreError(f"{path}: cannot open the graph store: {err}") from err


def _recover_if_idle(out_dir: Path) -> None:
    """Finish a killed build's swap, unless a build is running (it does that itself)."""
    if not ((out_dir / _JOURNAL).exists() or (out_dir / _ASIDE).exists()):
        return
    try:
        with build_lock(out_dir):
            pass
    except StoreError:
        pass


def graph_files(out_dir: Path = DEFAULT_OUT) -> list[Path]:
    """The TriG files that hold the graph built in ``out_dir`` (one per post, and the gazetteer
    graph's), in name order;
    :class:`StoreError` when there is no built graph there.

    >>> out = Path(tempfile.mkdtemp()); _ = write_outputs(b"<urn:g> { <urn:a> <urn:b> <urn:c> . }", out)
    >>> [f.name for f in graph_files(out)]
    ['graph.trig']
    """
    _recover_if_idle(Path(out_dir))
    graphs = Path(out_dir) / GRAPHS_DIR
    if not graphs.is_dir():
        raise StoreError(f"no graph in {out_dir}/ — run `kg build` first")
    return sorted(graphs.glob("*.trig"))


def load_memory(out_dir: Path = DEFAULT_OUT) -> "Dataset":
    """The graph built in ``out_dir`` as an rdflib in-memory dataset (its graph files parsed).

    Its default graph is the union of the named graphs, as in the store; queries run on it
    give the same answers, many times slower (see tests/bench/).

    >>> out = Path(tempfile.mkdtemp()); _ = write_outputs(b"<urn:g> { <urn:a> <urn:b> <urn:c> . }", out)
    >>> len(load_memory(out))
    1
    """
    import rdflib

    files = graph_files(out_dir)
    dataset = rdflib.Dataset(default_union=True)
    graphs: dict[str, rdflib.Graph] = {}

    def term(t):
        if isinstance(t, NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, BlankNode):
            return rdflib.BNode(t.value)
        plain = t.language or t.datatype.value == _XSD_STRING  # as rdflib's parsers give them
        return rdflib.Literal(t.value, lang=t.language, datatype=None if plain else t.datatype.value)

    def graph(name):
        if isinstance(name, DefaultGraph):
            return dataset.default_graph
        if name.value not in graphs:
            graphs[name.value] = dataset.graph(rdflib.URIRef(name.value))
        return graphs[name.value]

    for path in files:
        try:  # pyoxigraph's parser: rdflib's TriG parser warns of its own deprecated ConjunctiveGraph
            with open(path, "rb") as f:
                dataset.addN((term(q.subject), term(q.predicate), term(q.object), graph(q.graph_name))
                             for q in parse(f, RdfFormat.TRIG))
        except SyntaxError as err:
            raise StoreError(f"{path}: cannot read the TriG file: {err}") from err
    return dataset
