"""The graph in a real SPARQL server (Oxigraph, started here on a free 127.0.0.1 port): loading
posts' named graphs over the Graph Store Protocol, and the named queries over the SPARQL protocol."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.errors import QueryError
from kg.ingest import sample_paths
from kg.link import graph_iri
from kg.query import run_named, run_query
from kg.remote import RemoteError, endpoint, load_dump, put_graphs
from kg.serve import oxigraph_command
from kg.store import open_store, write_outputs

from conftest import FIXTURES
from test_query import ALL_QUERIES, EXTRACTED_PARAMS, required_only

INJECTION = '" } ; DROP ALL #'
GRAPH_A = "https://w3id.org/paperweekly-kg/id/graph/0200-fixture-a"
GRAPH_B = "https://w3id.org/paperweekly-kg/id/graph/0201-fixture-b"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``oxigraph serve`` (read-write, in memory) on a free loopback port; its base URL."""
    yield from _oxigraph_server()


@pytest.fixture()
def empty_server():
    """Another one, empty, for one test."""
    yield from _oxigraph_server()


def _oxigraph_server():
    port = _free_port()
    process = subprocess.Popen([oxigraph_command(), "serve", "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"oxigraph serve did not start: {process.stderr.read().decode()}")
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def count(base: str, graph: str | None = None) -> int:
    """Triples on the server, in one named graph or in all of them, asked with plain HTTP."""
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
    url = f"{base}/query?" + urllib.parse.urlencode({"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "text/csv"})) as r:
        return int(r.read().decode().split()[1])


@pytest.fixture(scope="module")
def loaded(server, tmp_path_factory):
    """The extracted-entities fixture loaded into the server, and the same in an embedded store."""
    out = tmp_path_factory.mktemp("remote-fixture")
    write_outputs((FIXTURES / "extracted.trig").read_bytes(), out)
    report = load_dump(out, endpoint(server))
    assert (report.graphs, report.store_url) == (2, server + "/store")
    return endpoint(server), open_store(out)


def test_each_post_is_one_named_graph(server, loaded):
    quads = list(ox.parse(path=str(FIXTURES / "extracted.trig"), format=ox.RdfFormat.TRIG))
    per_graph = {g: sum(1 for q in quads if q.graph_name.value == g) for g in (GRAPH_A, GRAPH_B)}
    assert count(server, GRAPH_A) == per_graph[GRAPH_A] and count(server, GRAPH_B) == per_graph[GRAPH_B]


def test_rebuilding_a_post_replaces_exactly_its_graph(server, loaded):
    """A rebuild loads every post again: a changed post's graph is replaced, the others stay equal."""
    before_b = count(server, GRAPH_B)
    post = ox.NamedNode("https://w3id.org/paperweekly-kg/id/post/0200-fixture-a")
    new_a = [ox.Quad(post, ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("PaperDaily 120 | rebuilt"),
                     ox.NamedNode(GRAPH_A)),
             ox.Quad(post, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                     ox.NamedNode("https://w3id.org/paperweekly-kg/ns#Post"), ox.NamedNode(GRAPH_A))]
    b = [q for q in ox.parse(path=str(FIXTURES / "extracted.trig"), format=ox.RdfFormat.TRIG)
         if q.graph_name.value == GRAPH_B]
    target = endpoint(server)
    try:
        assert put_graphs(new_a + b, target).graphs == 2
        assert count(server, GRAPH_A) == 2 and count(server, GRAPH_B) == before_b
        titles = run_query(target, "SELECT ?t WHERE { ?post a <https://w3id.org/paperweekly-kg/ns#Post> ; "
                                   "<http://purl.org/dc/terms/title> ?t } ORDER BY ?t")
        assert titles.rows == (("PaperDaily 120 | rebuilt",), ("PaperDaily 125 | fixture B",))
    finally:
        put_graphs(ox.parse(path=str(FIXTURES / "extracted.trig"), format=ox.RdfFormat.TRIG), target)


@pytest.mark.parametrize("name", ALL_QUERIES)
def test_named_queries_give_the_same_answers_remotely(loaded, name):
    remote, embedded = loaded
    for params in (EXTRACTED_PARAMS[name], required_only(name, EXTRACTED_PARAMS[name])):
        assert run_named(remote, name, **params) == run_named(embedded, name, **params), (name, params)


def test_entity_names_resolve_on_the_server(loaded):
    remote, _ = loaded
    assert run_named(remote, "papers-by-institution", institution="清华") == \
        run_named(remote, "papers-by-institution", institution="Tsinghua University")
    with pytest.raises(QueryError, match="^no institution named 'Tsinghua Univ'; close matches: Tsinghua University"):
        run_named(remote, "papers-by-institution", institution="Tsinghua Univ")


def test_an_injection_attempt_stays_a_value(server, loaded):
    remote, embedded = loaded
    before = count(server)
    with pytest.raises(QueryError, match=r"^no topic named '\" } ; DROP ALL #'"):
        run_named(remote, "papers", topic=INJECTION)
    with pytest.raises(QueryError, match=r"^no institution named '\" } ; DROP ALL #'"):
        run_named(remote, "papers-by-institution", institution=INJECTION)
    for sparql in ("SELECT ?t WHERE { ?p <http://purl.org/dc/terms/title> ?t }",
                   "SELECT ?t WHERE { ?s ?p ?o FILTER(?o = ?t) }"):
        assert run_query(remote, sparql, {"t": ox.Literal(INJECTION)}).rows == ()
        assert run_query(embedded, sparql, {"t": ox.Literal(INJECTION)}).rows == ()
    assert count(server) == before  # nothing was dropped
    with pytest.raises(QueryError, match="not an IRI"):
        run_named(embedded, "paper", paper="https://w3id.org/paperweekly-kg/id/paper/x> } ; DROP ALL #")


def test_kg_build_and_query_with_an_endpoint(empty_server, tmp_path):
    server, runner = empty_server, CliRunner()
    r = runner.invoke(cli, ["build", "--samples", "--out", str(tmp_path), "--endpoint", server])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[-1].startswith(f"loaded 4 named graphs, ")  # the posts' and the gazetteer graph
    assert r.output.splitlines()[-1].endswith(f" → {server}/store")
    local = runner.invoke(cli, ["query", "venues", "--out", str(tmp_path), "--format", "csv"])
    remote = runner.invoke(cli, ["query", "venues", "--endpoint", server, "--format", "csv"])
    assert remote.exit_code == 0 and local.exit_code == 0
    assert remote.output == local.output and len(local.output.splitlines()) > 2
    local = runner.invoke(cli, ["stats", "--out", str(tmp_path), "--format", "csv"])
    remote = runner.invoke(cli, ["stats", "--endpoint", server, "--format", "csv"])
    assert remote.exit_code == 0 and remote.output == local.output and "posts,3" in local.output
    # --endpoint given to `kg query` itself applies to the named query after it
    local = runner.invoke(cli, ["query", "papers-with-code", "--out", str(tmp_path), "--venue", "AAAI 2019"])
    remote = runner.invoke(cli, ["query", "--endpoint", server + "/query", "papers-with-code", "--venue", "AAAI 2019"])
    assert remote.exit_code == 0 and remote.output == local.output and "90011" in remote.output
    before = count(server)
    again = runner.invoke(cli, ["build", "--samples", "--out", str(tmp_path), "--endpoint", server])
    assert again.exit_code == 0 and count(server) == before  # the posts' graphs are replaced, not added to
    sparql = runner.invoke(cli, ["query", "--endpoint", server, "--sparql", "SELECT ?s WHERE {\n ?s ?p }"])
    assert sparql.exit_code == 1 and "SPARQL syntax error: error at 2:9" in sparql.output


def test_a_pruned_post_leaves_the_server_too(empty_server, tmp_path):
    server, runner = empty_server, CliRunner()
    posts = tmp_path / "posts"
    posts.mkdir()
    for p in sample_paths():
        shutil.copy(p, posts / p.name)
    out = tmp_path / "out"
    assert runner.invoke(cli, ["build", str(posts), "--out", str(out), "--endpoint", server]).exit_code == 0
    gone = sorted(posts.iterdir())[0]
    graph = str(graph_iri(gone.name))
    assert count(server, graph) > 0
    gone.unlink()
    r = runner.invoke(cli, ["build", str(posts), "--out", str(out), "--prune", "--endpoint", server])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[-1].startswith("loaded 3 named graphs, ") and ", removed 1 → " in r.output
    assert count(server, graph) == 0
    assert count(server) == len(open_store(out)) - len(list(open_store(out).quads_for_pattern(
        None, None, None, ox.DefaultGraph())))  # the server's named graphs are the local ones


def test_an_unreachable_server_is_named(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(RemoteError, match=f"^{url}/query: cannot reach the SPARQL server"):
        run_query(endpoint(url), "ASK { ?s ?p ?o }")
    with pytest.raises(RemoteError, match="a SPARQL endpoint is an http:// or https:// URL"):
        endpoint("ftp://127.0.0.1/sparql")


def test_endpoint_urls():
    assert endpoint("http://h:7878/").query_url == "http://h:7878/query"
    assert endpoint("http://h:7878/sparql").store_url == "http://h:7878/store"
    assert endpoint("http://h:3030/ds/query", graph_store="http://h:3030/ds/data").store_url == "http://h:3030/ds/data"
