"""Builds: incremental (equal to a clean build), skipping bad posts, locked, killed mid-way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import DefaultGraph, Quad, RdfFormat, Store, parse

from kg.build import build
from kg.cli import cli
from kg.errors import InputError, StoreError
from kg.ingest import sample_paths
from kg.link import GAZETTEER_GRAPH
from kg.store import GRAPHS_DIR, MANIFEST_FILE, build_lock, graph_files, open_store

from conftest import FIXTURES


def store_quads(out: Path) -> list[str]:
    return sorted(str(q) for q in open_store(out))


def graph_bytes(out: Path) -> dict[str, bytes]:
    """The graph files of a build, by name."""
    return {f.name: f.read_bytes() for f in graph_files(out)}


def dump_quads(out: Path) -> list[str]:
    """The quads the graph files say the store holds: their named graphs and their merge."""
    memory = Store()  # stores literals as the on-disk store does (xsd:nonNegativeInteger as xsd:integer)
    for f in graph_files(out):
        memory.load(path=f, format=RdfFormat.TRIG)
    memory.extend([Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in memory])
    return sorted(str(q) for q in memory)


@pytest.fixture
def samples(tmp_path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    for p in sample_paths():
        shutil.copy(p, folder / p.name)
    return folder


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} has no {old!r}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_store_is_the_dump_and_its_merge(tmp_path, samples):
    out = tmp_path / "out"
    report = build([samples], out)
    assert (report.posts, report.entries, report.read, report.unchanged) == (3, 11, 3, 0)
    assert store_quads(out) == dump_quads(out)
    assert report.quads == sum(len(list(parse(data, RdfFormat.TRIG))) for data in graph_bytes(out).values())
    # a file per post, and the gazetteer graph's
    assert sorted(graph_bytes(out)) == sorted([*(f"{p.stem}.trig" for p in samples.iterdir()), "_gazetteer.trig"])


def test_an_unchanged_rebuild_reads_nothing_and_writes_nothing(tmp_path, samples):
    out = tmp_path / "out"
    build([samples], out)
    stamp = {p: p.stat().st_mtime_ns for p in [*graph_files(out), out / MANIFEST_FILE]}
    os.utime(next(samples.iterdir()))  # touched, same bytes: not read again either
    report = build([samples], out)
    assert (report.read, report.unchanged, report.posts, report.entries) == (0, 3, 3, 11)
    assert {p: p.stat().st_mtime_ns for p in graph_files(out)} == {p: t for p, t in stamp.items()
                                                                     if p.parent.name == GRAPHS_DIR}
    assert build([samples], out).read == 0


@pytest.mark.parametrize("copies", [1, 20])  # one worker; one per core
def test_a_pipeline_that_cannot_load_fails_the_build_instead_of_hanging_it(tmp_path, samples, copies):
    posts = tmp_path / "many"
    posts.mkdir()
    for k in range(copies):
        shutil.copy(sorted(samples.iterdir())[0], posts / f"{k:03d}.md")
    script = ("import sys, kg.extract\n"
              "def broken(): raise RuntimeError('the extraction pipeline is broken')\n"
              "kg.extract.nlp = broken\n"
              "from kg.build import build\n"
              "build([sys.argv[1]], sys.argv[2])\n")
    done = subprocess.run([sys.executable, "-c", script, str(posts), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().endswith("RuntimeError: the extraction pipeline is broken")


def test_what_a_build_replaces_waits_in_the_trash_until_the_next_build(tmp_path, samples, monkeypatch):
    import kg.build

    out = tmp_path / "out"
    build([samples], out)
    first = sorted(samples.iterdir())[0]
    edit(first, "本文是香港中文大学", "本文是北京大学")
    build([samples], out)  # one post's file rewritten; the first store moved aside whole
    trash = sorted(p.name for p in (out / ".trash").iterdir())
    assert [name.split("-", 2)[-1] for name in trash] == ["store"]
    edit(first, "本文是北京大学", "本文是清华大学")
    build([samples], out)  # deletes the first build's leftovers, leaves the second's
    [second] = sorted(p.name for p in (out / ".trash").iterdir())
    assert second not in trash and second.endswith("-store")
    files = graph_bytes(out)
    monkeypatch.setattr(kg.build, "fingerprint", lambda: "another gazetteer")  # a clean build
    build([samples], out)
    moved = {p.name.split("-", 2)[-1]: p for p in (out / ".trash").iterdir()}
    assert sorted(moved) == [GRAPHS_DIR, "store"]  # all graph files replaced at once
    assert {f.name: f.read_bytes() for f in moved[GRAPHS_DIR].iterdir()} == files
    assert store_quads(out) == dump_quads(out)


def test_incremental_build_equals_a_clean_build(tmp_path, samples):
    out, clean = tmp_path / "out", tmp_path / "clean"
    build([samples], out)
    first, second, third = sorted(samples.iterdir())
    edit(first, "本文是香港中文大学", "本文是北京大学")  # a changed post
    third.unlink()  # a deleted post
    shutil.copy(second, samples / "004_copy.md")  # a new post
    report = build([samples], out, prune=True)
    assert (report.read, report.unchanged, report.removed) == (2, 1, 1)
    build([samples], clean)
    assert graph_bytes(out) == graph_bytes(clean)
    assert store_quads(out) == store_quads(clean)
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert [r["graph"] for r in manifest["posts"]] == [r["graph"] for r in json.loads(
        (clean / MANIFEST_FILE).read_text())["posts"]]
    peking = "https://w3id.org/paperweekly-kg/id/org/peking-university"
    assert any(peking in q for q in store_quads(out))


def test_a_store_updated_in_place_equals_a_clean_build(tmp_path, samples):
    # one post changed or removed of nine: the store's copy is updated, not loaded afresh; the
    # gazetteer graph follows the entities the posts name
    first, second, third = sorted(samples.iterdir())
    for k in range(4, 10):
        shutil.copy(second, samples / f"00{k}_copy.md")
    out, clean = tmp_path / "out", tmp_path / "clean"
    build([samples], out)
    cuhk = "<https://w3id.org/paperweekly-kg/id/org/the-chinese-university-of-hong-kong>"
    peking = "<https://w3id.org/paperweekly-kg/id/org/peking-university>"
    named = graph_bytes(out)["_gazetteer.trig"].decode()
    assert cuhk in named and peking not in named
    edit(first, "本文是香港中文大学", "本文是北京大学")
    assert build([samples], out).read == 1
    build([samples], clean)
    assert graph_bytes(out) == graph_bytes(clean)
    assert store_quads(out) == store_quads(clean) == dump_quads(out)
    named = graph_bytes(out)["_gazetteer.trig"].decode()
    assert peking in named and cuhk not in named
    assert not any(cuhk in q for q in store_quads(out))  # nor in the merge
    third.unlink()
    assert build([samples], out, prune=True).removed == 1
    shutil.rmtree(clean)
    build([samples], clean)
    assert graph_bytes(out) == graph_bytes(clean)
    assert store_quads(out) == store_quads(clean) == dump_quads(out)


def test_when_no_post_names_a_gazetteer_entity_the_gazetteer_graph_goes(tmp_path, samples):
    plain = samples / "010_plain.md"
    plain.write_text((FIXTURES / "digest-mini.md").read_text(encoding="utf-8").split("**@alice")[0]
                     + "**@carol 推荐**\n\n本文提出一个新的想法。\n\n论文链接\n\nhttps://www.paperweekly.site/papers/1\n",
                     encoding="utf-8")
    out, clean = tmp_path / "out", tmp_path / "clean"
    build([samples], out)
    assert "_gazetteer.trig" in graph_bytes(out)
    for p in samples.iterdir():
        if p != plain:
            p.unlink()
    report = build([samples], out, prune=True)
    assert report.removed_graphs[-1] == str(GAZETTEER_GRAPH) and len(report.removed_graphs) == 4
    build([samples], clean)
    assert sorted(graph_bytes(out)) == ["010-plain.trig"] and graph_bytes(out) == graph_bytes(clean)
    assert store_quads(out) == store_quads(clean) == dump_quads(out)
    assert not any(str(GAZETTEER_GRAPH) in q for q in store_quads(out))


def test_without_fork_posts_are_read_in_the_build_process(tmp_path, samples, monkeypatch):
    import kg.build

    build([samples], tmp_path / "forked")
    monkeypatch.setattr(kg.build.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    build([samples], tmp_path / "here")
    assert graph_bytes(tmp_path / "here") == graph_bytes(tmp_path / "forked")
    assert "_gazetteer.trig" in graph_bytes(tmp_path / "here")


def test_an_incremental_swap_that_fails_half_way_is_finished_by_the_next_reader(tmp_path, samples, monkeypatch):
    import kg.store

    out, clean = tmp_path / "out", tmp_path / "clean"
    build([samples], out)
    first, second, third = sorted(samples.iterdir())
    edit(first, "本文是香港中文大学", "本文是北京大学")
    third.unlink()
    real = os.replace

    def fail(src, dst):  # the new store is in; moving the changed post's graph file fails
        if Path(dst).parent == out / GRAPHS_DIR:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(kg.store.os, "replace", fail)
    with pytest.raises(StoreError, match="the next kg build or query finishes the move"):
        build([samples], out, prune=True)
    monkeypatch.undo()
    assert (out / ".swap").exists()
    assert len(graph_files(out)) == 3  # the reader finished the move: one post's file replaced, one removed
    build([samples], clean)
    assert graph_bytes(out) == graph_bytes(clean)
    assert store_quads(out) == store_quads(clean)
    assert build([samples], out, prune=True).read == 0


def test_a_change_to_kg_itself_makes_a_clean_build(tmp_path, samples, monkeypatch):
    import kg.build

    out = tmp_path / "out"
    build([samples], out)
    monkeypatch.setattr(kg.build, "fingerprint", lambda: "another gazetteer")
    assert build([samples], out).read == 3
    assert build([samples], out).read == 0


def test_without_prune_a_deleted_posts_graph_is_kept(tmp_path, samples):
    out = tmp_path / "out"
    build([samples], out)
    sorted(samples.iterdir())[0].unlink()
    report = build([samples], out)
    assert (report.posts, report.kept, report.read) == (3, 1, 0)
    report = build([samples], out, prune=True)
    assert (report.posts, report.removed) == (2, 1)


def test_a_bad_post_is_skipped_with_a_warning_naming_it(tmp_path, samples):
    (samples / "000_empty.md").write_bytes(b"")
    out = tmp_path / "out"
    report = build([samples], out)
    assert report.posts == 3
    assert [str(w) for w in report.warnings] == [f"{samples / '000_empty.md'}: empty file; skipped"]
    r = CliRunner().invoke(cli, ["build", str(samples), "--out", str(tmp_path / "out2")])
    assert r.exit_code == 0
    assert f"warning: {samples / '000_empty.md'}: empty file; skipped" in r.stderr
    assert r.stdout.startswith("built 3 posts (3 read, 0 unchanged, 1 skipped), 11 entries, 11 papers")


def test_a_bad_post_added_to_a_built_folder_changes_nothing(tmp_path, samples):
    out = tmp_path / "out"
    build([samples], out)
    before = (store_quads(out), graph_bytes(out))
    (samples / "000_empty.md").write_bytes(b"")
    report = build([samples], out)
    assert (report.read, report.unchanged, len(report.skipped)) == (0, 3, 1)
    assert sorted(p.name for p in out.iterdir()) == [".lock", GRAPHS_DIR, MANIFEST_FILE, "store"]
    assert (store_quads(out), graph_bytes(out)) == before


def test_a_post_that_turns_bad_loses_its_graph(tmp_path, samples):
    out, clean = tmp_path / "out", tmp_path / "clean"
    build([samples], out)
    sorted(samples.iterdir())[0].write_bytes(b"\x00\x01binary")
    report = build([samples], out)
    assert (report.posts, len(report.skipped)) == (2, 1)
    build([samples], clean)
    assert graph_bytes(out) == graph_bytes(clean)
    assert store_quads(out) == store_quads(clean)


def test_no_readable_post_is_an_error_and_keeps_the_previous_graph(tmp_path, samples):
    out = tmp_path / "out"
    build([samples], out)
    before = store_quads(out)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.md").write_bytes(b"   \n")
    with pytest.raises(InputError, match=f"^{bad / 'a.md'}: empty file$"):
        build([bad], out, prune=True)
    assert store_quads(out) == before
    r = CliRunner().invoke(cli, ["build", str(bad), "--out", str(out)])
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "Traceback" not in r.output


def test_a_build_on_a_locked_folder_is_refused(tmp_path, samples):
    out = tmp_path / "out"
    build([samples], out)
    with build_lock(out):
        with pytest.raises(StoreError, match="is being written by another kg build"):
            build([samples], out)


def test_same_file_name_in_two_folders_is_one_post(tmp_path, samples):
    other = tmp_path / "other"
    other.mkdir()
    first = sorted(samples.iterdir())[0]
    shutil.copy(first, other / first.name)
    report = build([samples, other], tmp_path / "out")
    assert report.posts == 3
    assert [w.message for w in report.warnings] == [
        f"has the same file name as {first}, so it is the same post; this one replaces it"]


def test_a_post_copied_under_another_name_is_named_in_a_warning(tmp_path, samples):
    first = sorted(samples.iterdir())[0]
    shutil.copy(first, samples / "zz_copy.md")
    report = build([samples], tmp_path / "out")
    assert [str(w) for w in report.warnings] == [
        f"{samples / 'zz_copy.md'}: same content as {first}; both are kept as posts and their papers "
        "are the same nodes"]
    assert (report.posts, report.papers) == (4, 11)


def test_conflicting_venues_keep_both_claims_with_their_evidence(tmp_path, samples):
    post = next(p for p in sorted(samples.iterdir()) if "AAAI 2019" in p.read_text(encoding="utf-8"))
    other = samples / "009_other.md"
    shutil.copy(post, other)
    edit(other, "AAAI 2019", "IJCAI 2019", count=-1)  # the same papers, said to be at another venue
    out = tmp_path / "out"
    build([samples], out)
    rows = open_store(out).query("""
        PREFIX kg: <https://w3id.org/paperweekly-kg/ns#>
        PREFIX oa: <http://www.w3.org/ns/oa#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX schema: <https://schema.org/>
        SELECT ?paper ?label ?quote ?source WHERE {
          ?paper kg:venue ?a, ?b FILTER(STR(?a) < STR(?b))
          ?ev kg:predicate kg:venue ; oa:hasBody ?v ; oa:hasTarget ?t .
          ?t oa:hasSource ?source ; oa:hasSelector ?s . ?source schema:about ?paper ; kg:summary ?text .
          ?s oa:start ?start ; oa:end ?end . ?v rdfs:label ?label .
          BIND(SUBSTR(?text, ?start + 1, ?end - ?start) AS ?quote)
        } ORDER BY ?paper ?label""")
    found = [(r["paper"].value, r["label"].value, r["quote"].value, r["source"].value.split("/")[-3]) for r in rows]
    papers = sorted({f[0] for f in found})
    assert len(papers) == 3  # the sample digest's three AAAI 2019 papers
    for paper in papers:
        claims = [f[1:] for f in found if f[0] == paper]
        assert [(label, quote) for label, quote, _ in claims] == [("AAAI 2019", "AAAI 2019"),
                                                                  ("IJCAI 2019", "IJCAI 2019")]
        assert claims[1][2] == "009-other" != claims[0][2]


def test_killing_a_build_at_any_moment_leaves_a_usable_graph(tmp_path, samples, dev_dir):
    out, posts = tmp_path / "out", tmp_path / "dev"
    posts.mkdir()
    for p in sorted(dev_dir.iterdir())[:18]:
        shutil.copy(p, posts / p.name)
    build([samples], out)
    old = store_quads(out)
    command = [sys.executable, "-m", "kg", "build", str(posts), "--out", str(out), "--quiet", "--prune"]
    kills = 0
    for delay in (0.2, 0.4, 0.7, 1.0, 1.4, 2.0, 3.0, 5.0, 8.0, 12.0):  # until a build gets to the end
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        now = store_quads(out)  # opens the store, finishing a swap the kill interrupted
        assert now == dump_quads(out), f"the store and the dump disagree after a kill at {delay}s"
        assert now == old or build([posts], out, prune=True).read == 0
    assert kills >= 3
    subprocess.run(command, check=True)
    assert store_quads(out) == dump_quads(out) != old
    assert not list(out.glob(".build-*")) and not (out / ".swap").exists()
