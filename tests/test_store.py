"""The on-disk store: built in a temporary folder, swapped into place, never lost on failure."""

from __future__ import annotations

import os

import pytest

import kg.store
from kg.errors import StoreError
from kg.store import DUMP_FILE, STORE_DIR, open_store, write_outputs

FIRST = b"<urn:g:1> { <urn:paper:1> <urn:p:title> \"first\" . }\n"
SECOND = b"<urn:g:2> { <urn:paper:2> <urn:p:title> \"second\" . <urn:paper:3> <urn:p:title> \"third\" . }\n"


def titles(out) -> list[str]:
    store = open_store(out)
    query = "SELECT ?t WHERE { ?p <urn:p:title> ?t } ORDER BY ?t"
    return [s["t"].value for s in store.query(query)]  # the default graph: the posts' graphs merged


def test_write_then_open(tmp_path):
    out = tmp_path / "outputs"
    assert write_outputs(FIRST, out) == out / STORE_DIR
    assert titles(out) == ["first"]
    assert (out / DUMP_FILE).read_bytes() == FIRST
    assert sorted(p.name for p in out.iterdir()) == [DUMP_FILE, STORE_DIR]


def test_open_without_a_build_names_the_folder(tmp_path):
    out = tmp_path / "outputs"
    with pytest.raises(StoreError, match=f"^no graph in {out}/ — run `kg build` first$"):
        open_store(out)


def test_second_build_replaces_the_first(tmp_path):
    write_outputs(FIRST, tmp_path)
    reader = open_store(tmp_path)  # a reader of the old build does not block the new one
    write_outputs(SECOND, tmp_path)
    assert titles(tmp_path) == ["second", "third"]
    assert (tmp_path / DUMP_FILE).read_bytes() == SECOND
    assert sorted(p.name for p in tmp_path.iterdir()) == [DUMP_FILE, STORE_DIR]
    del reader


def test_invalid_trig_keeps_the_previous_build(tmp_path):
    write_outputs(FIRST, tmp_path)
    with pytest.raises(StoreError, match="not valid TriG"):
        write_outputs(b"<urn:g:2> { <urn:a> <urn:b> ", tmp_path)
    assert titles(tmp_path) == ["first"]
    assert (tmp_path / DUMP_FILE).read_bytes() == FIRST
    assert sorted(p.name for p in tmp_path.iterdir()) == [DUMP_FILE, STORE_DIR]


def test_failing_swap_puts_the_previous_build_back(tmp_path, monkeypatch):
    write_outputs(FIRST, tmp_path)

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(kg.store.os, "replace", fail)  # the new store is in; the dump fails
    with pytest.raises(StoreError, match="cannot put the new graph in place: disk full"):
        write_outputs(SECOND, tmp_path)
    monkeypatch.undo()
    assert titles(tmp_path) == ["first"]
    assert (tmp_path / DUMP_FILE).read_bytes() == FIRST
    assert sorted(p.name for p in tmp_path.iterdir()) == [DUMP_FILE, STORE_DIR]


def test_a_store_left_aside_by_a_dead_build_is_recovered(tmp_path):
    write_outputs(FIRST, tmp_path)
    os.rename(tmp_path / STORE_DIR, tmp_path / "store.old")  # died before the new store got in
    (tmp_path / ".build-dead").mkdir()
    assert titles(tmp_path) == ["first"]
    assert not (tmp_path / "store.old").exists()
    write_outputs(SECOND, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [DUMP_FILE, STORE_DIR]


def test_a_stale_aside_copy_is_removed_once_the_new_store_is_in(tmp_path):
    write_outputs(FIRST, tmp_path)
    (tmp_path / "store.old").mkdir()  # died after the new store got in
    assert titles(tmp_path) == ["first"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [DUMP_FILE, STORE_DIR]
