"""The built graph on disk: an Oxigraph store, a TriG dump and a manifest, replaced as a whole.

An output folder (``outputs/`` by default) holds ``store/`` (a pyoxigraph on-disk store),
``graph.trig`` (one named graph per post) and ``manifest.json`` (what each post contributed,
for incremental builds; see kg/build.py). A build writes a complete new set into a temporary
folder beside them (``.build-*``) and then moves it into place following a journal
(``.swap``): if the build is killed at any moment, the next one (or the next reader) finds
either the old set or the journal of a complete new set, and finishes the move. What the move
replaced waits in ``.trash`` until the next build deletes it beside its own work. One build at
a time: a second one on the same folder is refused while the first holds ``.lock``.

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
    "DEFAULT_OUT", "STORE_DIR", "DUMP_FILE", "MANIFEST_FILE", "build_lock", "forget_locks", "staging", "commit",
    "load_new_store", "copy_store", "update_store", "write_atomic", "write_outputs", "open_store", "load_memory",
]

DEFAULT_OUT = Path("outputs")
STORE_DIR = "store"
DUMP_FILE = "graph.trig"
MANIFEST_FILE = "manifest.json"
_PARTS = (STORE_DIR, DUMP_FILE, MANIFEST_FILE)
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
    """Move the complete set built in ``tmp`` (store, dump, manifest) into ``out_dir``.

    The journal is written first, so from then on a build killed half way through the moves is
    finished by the next build or reader, never rolled back into a mix of old and new.
    """
    out_dir = Path(out_dir)
    missing = [p for p in _PARTS if not (tmp / p).exists()]
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
    if (tmp / STORE_DIR).exists():
        if live.exists():
            live.rename(aside)
        (tmp / STORE_DIR).rename(live)
    trash.mkdir(exist_ok=True)
    for name in (DUMP_FILE, MANIFEST_FILE):
        if (tmp / name).exists():
            if name == DUMP_FILE and (out_dir / name).exists():
                # moved, not replaced: renaming over a file makes ext4 write the new one out
                # first (auto_da_alloc), half a second for a big dump
                os.replace(out_dir / name, trash / f"{tmp.name}-{name}")
            os.replace(tmp / name, out_dir / name)
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
def _writing(path: Path, source: Path | str) -> Iterator[Store]:
    """A new or copied store at ``path`` to write into; kg's errors for bad RDF from ``source``
    and for failed writes; the database closed after, before its folder is moved."""
    store = None
    try:
        store = Store(str(path))
        yield store
        store.flush()
    except SyntaxError as err:
        raise StoreError(f"{source}: the built graph is not valid TriG: {err}") from err
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: cannot write the graph store: {err}") from err
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


def update_store(path: Path, changes: Iterable[tuple[str, bytes | None, bytes | None]]) -> None:
    """Replace some posts' graphs in the store at ``path`` (a :func:`copy_store`).

    ``changes`` holds (graph IRI, old TriG, new TriG) for each post whose graph changed (new is
    None for a removed post; old is None for a new one). The default graph (the merge) stays
    exact: a triple of the old graph leaves it only when no other post's graph still has it.
    """
    with _writing(path, "a post's graph") as store:
        for graph, old, new in changes:
            new_quads = list(parse(new, RdfFormat.TRIG)) if new else []
            new_triples = {(q.subject, q.predicate, q.object) for q in new_quads}
            store.remove_graph(NamedNode(graph))
            store.extend(new_quads)
            store.extend(Quad(s, p, o, DefaultGraph()) for s, p, o in new_triples)
            for q in parse(old, RdfFormat.TRIG) if old else ():
                t = (q.subject, q.predicate, q.object)
                if t not in new_triples and all(isinstance(other.graph_name, DefaultGraph)
                                                for other in store.quads_for_pattern(*t)):
                    store.remove(Quad(*t, DefaultGraph()))


def write_outputs(trig: bytes, out_dir: Path) -> Path:
    """Replace the graph in ``out_dir`` with ``trig`` (any TriG, e.g. a dump from elsewhere);
    return the store path. Nothing in ``out_dir`` changes unless the whole new graph loaded.

    The manifest it writes lists no posts, so the next ``kg build`` there starts afresh.

    >>> out = Path(tempfile.mkdtemp())
    >>> write_outputs(b"<urn:a> <urn:b> <urn:c> .", out) == out / "store"
    True
    """
    out_dir = Path(out_dir)
    with build_lock(out_dir):
        tmp = staging(out_dir)
        try:
            (tmp / DUMP_FILE).write_bytes(trig)
            merged = b"".join(
                f"{q.subject} {q.predicate} {q.object} .\n".encode() for q in parse(trig, RdfFormat.TRIG)
            ) if trig.strip() else b""
        except SyntaxError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"{tmp / STORE_DIR}: the built graph is not valid TriG: {err}") from err
        try:
            load_new_store(tmp / STORE_DIR, tmp / DUMP_FILE, [(partial(open, tmp / DUMP_FILE, "rb"), RdfFormat.TRIG),
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


def load_memory(out_dir: Path = DEFAULT_OUT) -> "Dataset":
    """The graph built in ``out_dir`` as an rdflib in-memory dataset (``graph.trig`` parsed).

    Its default graph is the union of the posts' graphs, as in the store; queries run on it
    give the same answers, many times slower (see tests/bench/).

    >>> out = Path(tempfile.mkdtemp()); _ = write_outputs(b"<urn:g> { <urn:a> <urn:b> <urn:c> . }", out)
    >>> len(load_memory(out))
    1
    """
    import rdflib

    _recover_if_idle(Path(out_dir))
    dump = Path(out_dir) / DUMP_FILE
    if not dump.is_file():
        raise StoreError(f"no graph in {out_dir}/ — run `kg build` first")
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

    try:  # pyoxigraph's parser: rdflib's TriG parser warns of its own deprecated ConjunctiveGraph
        with open(dump, "rb") as f:
            dataset.addN((term(q.subject), term(q.predicate), term(q.object), graph(q.graph_name))
                         for q in parse(f, RdfFormat.TRIG))
    except SyntaxError as err:
        raise StoreError(f"{dump}: cannot read the TriG dump: {err}") from err
    return dataset
