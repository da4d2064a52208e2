"""The on-disk store: built in a temporary folder, swapped into place, never lost on failure."""

from __future__ import annotations

import os

import pytest

import kg.store
from kg.errors import StoreError
from kg.store import GRAPHS_DIR, MANIFEST_FILE, STORE_DIR, build_lock, graph_files, open_store, write_outputs

FIRST = b"<urn:g:1> { <urn:paper:1> <urn:p:title> \"first\" . }\n"
SECOND = b"<urn:g:2> { <urn:paper:2> <urn:p:title> \"second\" . <urn:paper:3> <urn:p:title> \"third\" . }\n"


SET = [GRAPHS_DIR, MANIFEST_FILE, STORE_DIR]  # what a build leaves (besides the .lock file)


def dump(out) -> bytes:
    """The TriG that write_outputs was given: the one file of graphs/."""
    [only] = graph_files(out)
    return only.read_bytes()


def listing(out) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name not in (".lock", ".trash"))


def titles(out) -> list[str]:
    store = open_store(out)
    query = "SELECT ?t WHERE { ?p <urn:p:title> ?t } ORDER BY ?t"
    return [s["t"].value for s in store.query(query)]  # the default graph: the posts' graphs merged


def test_write_then_open(tmp_path):
    out = tmp_path / "outputs"
    assert write_outputs(FIRST, out) == out / STORE_DIR
    assert titles(out) == ["first"]
    assert dump(out) == FIRST
    assert listing(out) == SET


def test_open_without_a_build_names_the_folder(tmp_path):
    out = tmp_path / "outputs"
    with pytest.raises(StoreError, match=f"^no graph in {out}/ — run `kg build` first$"):
        open_store(out)


def test_second_build_replaces_the_first(tmp_path):
    write_outputs(FIRST, tmp_path)
    reader = open_store(tmp_path)  # a reader of the old build does not block the new one
    write_outputs(SECOND, tmp_path)
    assert titles(tmp_path) == ["second", "third"]
    assert dump(tmp_path) == SECOND
    assert listing(tmp_path) == SET
    del reader


def test_invalid_trig_keeps_the_previous_build(tmp_path):
    write_outputs(FIRST, tmp_path)
    with pytest.raises(StoreError, match="not valid TriG"):
        write_outputs(b"<urn:g:2> { <urn:a> <urn:b> ", tmp_path)
    assert titles(tmp_path) == ["first"]
    assert dump(tmp_path) == FIRST
    assert listing(tmp_path) == SET


def test_a_swap_that_fails_half_way_is_finished_by_the_next_reader(tmp_path, monkeypatch):
    write_outputs(FIRST, tmp_path)
    real = os.replace

    def fail(src, dst):
        if dst == tmp_path / MANIFEST_FILE:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(kg.store.os, "replace", fail)  # the new store and graph files are in; the manifest fails
    with pytest.raises(StoreError, match="cannot put the new graph in place: No space left on device; "
                                         "the next kg build or query finishes the move"):
        write_outputs(SECOND, tmp_path)
    monkeypatch.undo()
    assert (tmp_path / ".swap").exists()
    assert titles(tmp_path) == ["second", "third"]  # the journal names a complete set: rolled forward
    assert dump(tmp_path) == SECOND
    assert listing(tmp_path) == SET


def test_a_store_left_aside_by_a_dead_build_is_recovered(tmp_path):
    write_outputs(FIRST, tmp_path)
    os.rename(tmp_path / STORE_DIR, tmp_path / "store.old")  # died before the new store got in
    (tmp_path / ".build-dead").mkdir()
    assert titles(tmp_path) == ["first"]
    assert not (tmp_path / "store.old").exists()
    write_outputs(SECOND, tmp_path)
    assert listing(tmp_path) == SET


def test_a_stale_aside_copy_is_removed_once_the_new_store_is_in(tmp_path):
    write_outputs(FIRST, tmp_path)
    (tmp_path / "store.old").mkdir()  # died after the new store got in
    assert titles(tmp_path) == ["first"]
    assert listing(tmp_path) == SET


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    write_outputs(FIRST, tmp_path)
    with build_lock(tmp_path):
        with pytest.raises(StoreError, match=rf"^{tmp_path}/ is being written by another kg build "
                                             rf"\(pid {os.getpid()}\); wait for it to finish$"):
            write_outputs(SECOND, tmp_path)
    assert titles(tmp_path) == ["first"]
    write_outputs(SECOND, tmp_path)  # the lock is gone with its holder
    assert titles(tmp_path) == ["second", "third"]
