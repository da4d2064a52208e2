"""The built graph on disk: an Oxigraph store plus a TriG dump, replaced as a whole.

An output folder (``outputs/`` by default) holds ``store/`` (a pyoxigraph on-disk store) and
``graph.trig``. A build loads everything into a temporary folder inside it first and only then
renames the new store and dump into place, so a failed build never destroys the previous one.

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

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Quad, RdfFormat, Store, parse

from kg.errors import StoreError

if TYPE_CHECKING:
    from rdflib import Dataset

__all__ = ["DEFAULT_OUT", "STORE_DIR", "DUMP_FILE", "write_outputs", "open_store", "load_memory"]

DEFAULT_OUT = Path("outputs")
STORE_DIR = "store"
DUMP_FILE = "graph.trig"
_ASIDE = "store.old"  # the previous store while a new one is moved into place
_BUILD_PREFIX = ".build-"  # temporary folders of builds in progress (or that died)


def write_outputs(trig: bytes, out_dir: Path) -> Path:
    """Replace the store and ``graph.trig`` in ``out_dir`` with ``trig``; return the store path.

    Nothing in ``out_dir`` changes unless the whole new graph loaded. Run one build at a time.

    >>> out = Path(tempfile.mkdtemp())
    >>> write_outputs(b"<urn:a> <urn:b> <urn:c> .", out) == out / "store"
    True
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    for stale in out_dir.glob(_BUILD_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=_BUILD_PREFIX, dir=out_dir))
    try:
        _load(trig, tmp / STORE_DIR)
        (tmp / DUMP_FILE).write_bytes(trig)
        _swap(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir / STORE_DIR


def open_store(out_dir: Path = DEFAULT_OUT) -> Store:
    """Open the store built in ``out_dir`` read-only.

    >>> out = Path(tempfile.mkdtemp()); _ = write_outputs(b"<urn:a> <urn:b> <urn:c> .", out)
    >>> bool(open_store(out).query("ASK { ?s ?p ?o }"))
    True
    """
    out_dir = Path(out_dir)
    _recover(out_dir)
    path = out_dir / STORE_DIR
    if not path.is_dir():
        raise StoreError(f"no graph in {out_dir}/ — run `kg build` first")
    try:
        return Store.read_only(str(path))
    except OSError as err:
        raise StoreError(f"{path}: cannot open the graph store: {err}") from err


def load_memory(out_dir: Path = DEFAULT_OUT) -> "Dataset":
    """The graph built in ``out_dir`` as an rdflib in-memory dataset (``graph.trig`` parsed).

    Its default graph is the union of the posts' graphs, as in the store; queries run on it
    give the same answers, many times slower (see tests/bench/).

    >>> out = Path(tempfile.mkdtemp()); _ = write_outputs(b"<urn:g> { <urn:a> <urn:b> <urn:c> . }", out)
    >>> len(load_memory(out))
    1
    """
    import rdflib

    dump = Path(out_dir) / DUMP_FILE
    if not dump.is_file():
        raise StoreError(f"no graph in {out_dir}/ — run `kg build` first")
    dataset = rdflib.Dataset(default_union=True)
    try:
        dataset.parse(dump, format="trig")
    except Exception as err:  # rdflib's parsers raise their own exception types
        raise StoreError(f"{dump}: cannot read the TriG dump: {err}") from err
    return dataset


def _load(trig: bytes, path: Path) -> None:
    """Load ``trig`` into a new on-disk store at ``path`` and close it."""
    store = None
    try:
        store = Store(str(path))
        store.bulk_load(trig, RdfFormat.TRIG)
        # the merge of the named graphs as the default graph (the store keeps each triple once)
        store.bulk_extend(Quad(q.subject, q.predicate, q.object) for q in parse(trig, RdfFormat.TRIG))
        store.flush()
    except SyntaxError as err:
        raise StoreError(f"{path}: the built graph is not valid TriG: {err}") from err
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: cannot write the graph store: {err}") from err
    finally:
        del store  # closes the database before its folder is renamed or removed


def _swap(tmp: Path, out_dir: Path) -> None:
    """Move the store and dump built in ``tmp`` into ``out_dir``, putting the old store back on failure."""
    live, aside = out_dir / STORE_DIR, out_dir / _ASIDE
    had_old = live.exists()
    try:
        if had_old:
            live.rename(aside)
        (tmp / STORE_DIR).rename(live)
        os.replace(tmp / DUMP_FILE, out_dir / DUMP_FILE)
    except OSError as err:
        if live.exists() and not (tmp / STORE_DIR).exists():
            live.rename(tmp / STORE_DIR)  # the new store got in but the dump did not
        if aside.exists():
            aside.rename(live)
        raise StoreError(f"{out_dir}: cannot put the new graph in place: {err}") from err
    shutil.rmtree(aside, ignore_errors=True)


def _recover(out_dir: Path) -> None:
    """Finish or undo a swap that an earlier build left half done when it died."""
    live, aside = out_dir / STORE_DIR, out_dir / _ASIDE
    if not aside.exists():
        return
    try:
        if live.exists():
            shutil.rmtree(aside)  # the new store made it into place
        else:
            aside.rename(live)  # died between moving the old store aside and the new one in
    except OSError as err:
        raise StoreError(f"{aside}: cannot recover the store an earlier build left aside: {err}") from err
