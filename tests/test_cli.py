"""The command line end to end, through CliRunner, on fixtures and on the dev corpus."""

import json

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.store import graph_files

from conftest import FIXTURES


def run(*args: str) -> "CliRunner.invoke":
    return CliRunner().invoke(cli, [str(a) for a in args])


def codes(out: str) -> dict[str, str]:
    return {row["paper"]: row["code"] for row in json.loads(out)}


def test_acceptance_single_post(dev_dir, tmp_path):
    out = tmp_path / "o"
    assert run("build", dev_dir / "000_264c2ff0198d3c50.txt", "--out", out).exit_code == 0
    r = run("query", "papers-with-code", "--venue", "AAAI 2019", "--format", "json", "--out", out)
    assert r.exit_code == 0, r.output
    assert codes(r.output) == {
        "https://www.paperweekly.site/papers/2654": "https://github.com/libuyu/GHM_Detection"}


def test_acceptance_dev_corpus(dev_built, gold_path):
    r = run("query", "papers-with-code", "--venue", "AAAI 2019", "--format", "json", "--out", dev_built)
    assert set(codes(r.output)) == {f"https://www.paperweekly.site/papers/{n}" for n in (2654, 2518, 2571)}
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    acl = {g["paper_url"] for g in gold if g["venue"] and g["venue"]["series"] == "ACL"
           and g["venue"]["year"] == 2018 and g["code"]}
    r = run("query", "papers-with-code", "--venue", "ACL 2018", "--format", "json", "--out", dev_built)
    assert len(acl) == 7 and set(codes(r.output)) == acl


def test_stats_counts_what_the_dev_graph_holds(dev_built, gold_path):
    r = run("stats", "--format", "json", "--out", dev_built)
    assert r.exit_code == 0, r.output
    counts = {row["what"]: row["count"] for row in json.loads(r.output)}
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert counts["posts"] == 27 and counts["entries"] == len(gold) == 153
    assert counts["papers"] == len({g["paper_url"] for g in gold}) == 152  # pw1008: in two posts, one node
    assert counts["papers with code"] == len({g["paper_url"] for g in gold if g["code"]}) == 70
    assert counts["papers with a venue"] == len({g["paper_url"] for g in gold if g["venue"]}) == 53
    assert counts["code repositories"] == len({c for g in gold for c in g["code"]})
    manifest = json.loads((dev_built / "manifest.json").read_text(encoding="utf-8"))
    assert counts["facts"] == sum(p["facts"] for p in manifest["posts"]) == 1113
    assert counts["institutions"] >= 60 and counts["recommenders"] >= 90
    table = run("stats", "--out", dev_built).output.splitlines()
    assert table[0].split() == ["what", "count"] and table[2].split() == ["posts", "27"]


def test_query_spellings_and_formats(dev_built):
    nips = run("query", "papers", "--venue", "nips 2017", "--format", "csv", "--out", dev_built)
    assert nips.output.splitlines()[0] == "paper,title,venue_label,topics"
    assert {line.split(",")[0] for line in nips.output.splitlines()[1:]} == {
        "https://www.paperweekly.site/papers/1344", "https://www.paperweekly.site/papers/1565"}
    tsv = run("query", "--sparql", "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://schema.org/ScholarlyArticle> }",
              "--format", "tsv", "--out", dev_built)
    assert tsv.output == "n\n152\n"
    venues = run("query", "venues", "--format", "json", "--out", dev_built)
    aaai = next(v for v in json.loads(venues.output) if v["venue"] == "AAAI 2019")
    assert (aaai["papers"], aaai["with_code"]) == (7, 3)


def test_query_from_file_and_syntax_error(dev_built, tmp_path):
    q = tmp_path / "q.rq"
    q.write_text("SELECT ?t WHERE {\n ?p <http://purl.org/dc/terms/title> ?t\n FILTER(CONTAINS(?t, \"Mask\"))\n}",
                 encoding="utf-8")
    assert run("query", "-f", q, "--format", "json", "--out", dev_built).exit_code == 0
    q.write_text("SELECT ?t WHERE {\n ?p ?t \n}", encoding="utf-8")
    bad = run("query", "-f", q, "--out", dev_built)
    assert bad.exit_code == 1 and "error at 3:" in bad.output


def test_extract_jsonl_fields(tmp_path):
    r = run("extract", FIXTURES / "digest-mini.md")
    first = json.loads(r.output.splitlines()[0])
    assert first["paper"] == {"iri": "https://w3id.org/paperweekly-kg/id/paper/pw2654",
                              "url": "https://www.paperweekly.site/papers/2654",
                              "title": "Gradient Harmonized Single-stage Detector"}
    assert first["venue"]["iri"] == "https://w3id.org/paperweekly-kg/id/venue/aaai-2019"
    assert first["recommender"] == "alice"
    [m] = first["mentions"]
    assert (m["type"], m["text"], m["start"], m["end"], m["label"]) == (
        "institution", "香港中文大学", 45, 51, "The Chinese University of Hong Kong")
    assert first["text"][m["start"]:m["end"]] == m["text"]
    assert m["iri"] == "https://w3id.org/paperweekly-kg/id/org/the-chinese-university-of-hong-kong"


def test_extract_table():
    r = run("extract", "--samples", "--format", "table")
    assert r.exit_code == 0
    assert r.output.splitlines()[0].split() == ["post", "entry", "venue", "code", "recommender", "paper"]
    assert len(r.output.splitlines()) == 2 + 11


def test_build_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("build", "--samples", "--out", a).exit_code == 0
    assert run("build", "--samples", "--out", b).exit_code == 0
    files = [sorted((f.name, f.read_bytes()) for f in graph_files(out)) for out in (a, b)]
    assert files[0] == files[1] and len(files[0]) == 4  # the 3 posts' and the gazetteer graph's


def test_validate_samples(tmp_path):
    run("build", "--samples", "--out", tmp_path)
    r = run("validate", "--out", tmp_path)
    assert r.exit_code == 0 and "conforms" in r.output


@pytest.mark.parametrize("kind", ["missing", "empty", "binary", "no-entries"])
def test_bad_input_keeps_earlier_outputs(tmp_path, kind):
    out = tmp_path / "out"
    assert run("build", FIXTURES / "digest-mini.md", "--out", out).exit_code == 0
    before = [f.read_bytes() for f in graph_files(out)]
    bad = tmp_path / f"{kind}.md"
    if kind == "empty":
        bad.write_bytes(b"")
    elif kind == "binary":
        bad.write_bytes(bytes(range(256)) * 4)
    elif kind == "no-entries":
        bad.write_text("# 只有标题 - Paper weekly - CSDN博客\n\n正文没有推荐条目。\n", encoding="utf-8")
    why = {"missing": "no such file or folder", "empty": "empty file",
           "binary": "binary file (contains NUL bytes), not a post",
           "no-entries": "no paper entries found (no '**@user 推荐**' or '■ 论文 |' blocks)"}[kind]
    alone = run("build", bad, "--out", out)  # nothing to build: an error, and the graph stays
    assert (alone.exit_code, alone.output) == (1, f"Error: {bad}: {why}\n")
    assert [f.read_bytes() for f in graph_files(out)] == before
    r = run("build", FIXTURES / "note-mini.md", bad, "--out", out)
    if kind == "missing":  # a path that does not exist stops the build
        assert (r.exit_code, r.output) == (1, f"Error: {bad}: {why}\n")
        assert [f.read_bytes() for f in graph_files(out)] == before
    else:  # a bad post is skipped, named, and the rest is built
        assert r.exit_code == 0
        assert r.stderr.splitlines() == [f"warning: {bad}: {why}; skipped"]
        assert r.stdout.startswith("built 2 posts (1 read, 0 unchanged, 1 skipped")
    still = run("query", "papers-with-code", "--format", "json", "--out", out)
    assert "https://www.paperweekly.site/papers/2654" in codes(still.output)


def test_query_without_a_build(tmp_path):
    r = run("query", "topics", "--out", tmp_path / "nothing")
    assert r.exit_code == 1 and "kg build" in r.output


def test_python_m_kg():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "kg", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "build" in r.stdout
