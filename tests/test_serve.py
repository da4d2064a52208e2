"""``kg serve``: a SPARQL 1.1 Protocol endpoint that standard clients use unchanged; read-only,
no SERVICE, a time limit, 127.0.0.1 by default, and an offline query page."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.serve import ServeError, start
from kg.store import write_outputs

from conftest import FIXTURES, ROOT

COUNT_PAPERS = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://schema.org/ScholarlyArticle> }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 10^13 rows: never finishes


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve")
    write_outputs((FIXTURES / "extracted.trig").read_bytes(), out)
    return out


@pytest.fixture(scope="module")
def url(built):
    with start(built, port=0, timeout=2).in_background() as server:
        yield server.url


def call(url: str, method: str = "GET", query: str | None = None, accept: str = "*/*",
         body: bytes | None = None, content_type: str | None = None, **params: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of one request."""
    if query is not None and method == "GET":
        params["query"] = query
    full = url + ("?" + urllib.parse.urlencode(params) if params else "")
    if query is not None and method == "POST" and body is None:
        body, content_type = urllib.parse.urlencode({"query": query}).encode(), "application/x-www-form-urlencoded"
    headers = {"Accept": accept, **({"Content-Type": content_type} if content_type else {})}
    request = urllib.request.Request(full, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def test_binds_loopback_by_default(url):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/sparql", url)


@pytest.mark.parametrize("accept, media, expected", [
    ("application/sparql-results+json", "application/sparql-results+json", b'"value":"5"'),
    ("application/sparql-results+xml", "application/sparql-results+xml", b">5</literal>"),
    ("text/csv", "text/csv", b"n\r\n5\r\n"),
    ("text/tab-separated-values", "text/tab-separated-values", b"?n\n5\n"),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_content_negotiation(url, method, accept, media, expected):
    status, content_type, body = call(url, method, COUNT_PAPERS, accept)
    assert status == 200 and content_type.startswith(media) and expected in body


def test_a_query_posted_directly_and_a_graph_as_turtle(url):
    status, _, body = call(url, "POST", body=COUNT_PAPERS.encode(), content_type="application/sparql-query",
                           accept="text/csv")
    assert (status, body) == (200, b"n\r\n5\r\n")
    construct = "CONSTRUCT { ?o ?p ?l } WHERE { ?o a <http://www.w3.org/ns/org#Organization> ; ?p ?l }"
    status, content_type, body = call(url, "GET", construct, "text/turtle")
    assert status == 200 and content_type.startswith("text/turtle") and "清华大学".encode() in body


def test_sparqlwrapper(url):
    from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(url)
    client.setQuery(COUNT_PAPERS)
    client.setReturnFormat(JSON)
    assert client.query().convert()["results"]["bindings"][0]["n"]["value"] == "5"
    client.setMethod(POST)
    client.setReturnFormat(XML)
    assert client.query().convert().getElementsByTagName("literal")[0].firstChild.data == "5"
    client.setReturnFormat(CSV)
    assert client.query().convert() == b"n\r\n5\r\n"
    client.setQuery("DESCRIBE <https://w3id.org/paperweekly-kg/id/org/sensetime>")
    client.setReturnFormat(TURTLE)
    assert "商汤科技".encode() in client.query().convert()


def test_rdflib_sparqlstore(url):
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(url))
    rows = graph.query("SELECT ?label WHERE { <https://w3id.org/paperweekly-kg/id/org/tsinghua-university> "
                       "<http://www.w3.org/2004/02/skos/core#altLabel> ?label } ORDER BY ?label")
    assert [str(r[0]) for r in rows] == ["THU", "Tsinghua", "清华"]
    assert (URIRef("https://w3id.org/paperweekly-kg/id/org/microsoft-research-asia"),
            URIRef("http://www.w3.org/ns/org#subOrganizationOf"),
            URIRef("https://w3id.org/paperweekly-kg/id/org/microsoft")) in graph


@pytest.mark.parametrize("request_args", [
    {"method": "POST", "body": b"DROP ALL", "content_type": "application/sparql-update"},
    {"method": "POST", "body": b"update=DROP+ALL", "content_type": "application/x-www-form-urlencoded"},
    {"method": "GET", "update": "DROP ALL"},
])
def test_updates_are_refused(url, request_args):
    status, _, body = call(url, **request_args)
    assert status == 403 and b"read-only" in body
    assert call(url, "GET", COUNT_PAPERS, "text/csv")[2] == b"n\r\n5\r\n"


def test_update_and_graph_store_paths_are_refused(url):
    base = url.rsplit("/", 1)[0]
    assert call(base + "/update", "POST", body=b"DROP ALL", content_type="application/sparql-update")[0] == 403
    assert call(base + "/store?default", "PUT", body=b"<urn:a> <urn:b> <urn:c> .",
                content_type="application/n-triples")[0] == 403
    assert call(url, "GET", "DROP ALL")[0] == 400  # an update sent as a query does not parse


def test_service_is_refused(url):
    status, _, body = call(url, "GET", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert (status, body) == (400, b"SERVICE (federated query) is not allowed on this endpoint\n")
    status, _, _ = call(url, "POST", "select * { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert status == 400


def test_a_syntax_error_names_line_and_column(url):
    status, _, body = call(url, "GET", "SELECT ?s WHERE {\n  ?s ?p\n}")
    assert status == 400 and body.startswith(b"SPARQL syntax error: error at 3:")


def test_the_time_limit(url):
    start_time = time.monotonic()
    status, _, body = call(url, "GET", SLOW, "text/csv")
    assert (status, body) == (503, b"the query ran past this endpoint's time limit of 2 s\n")
    assert time.monotonic() - start_time < 4
    assert call(url, "GET", COUNT_PAPERS, "text/csv")[:1] == (200,)  # and it still answers


def test_the_query_page_works_offline(url):
    base = url.rsplit("/", 1)[0]
    status, content_type, page = call(base + "/")
    assert status == 200 and content_type.startswith("text/html")
    html = page.decode("utf-8")
    # nothing is loaded from elsewhere: no external script, style, font, image or frame
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"@import|url\(", html) and "<link" not in html
    assert 'new URL("sparql", window.location.href)' in html and "textContent" in html and "innerHTML" not in html
    status, _, listing = call(base + "/queries.json")
    names = [q["name"] for q in json.loads(listing)]
    assert status == 200 and "papers-by-institution" in names and "venues" in names


def test_a_missing_graph_is_named(tmp_path):
    with pytest.raises(ServeError, match=f"^no graph in {tmp_path}/ — run `kg build` first$"):
        start(tmp_path, port=0)


def test_kg_serve_command(built):
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--out", str(built), "--port", "0",
                                "--timeout", "5"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        m = re.match(r"SPARQL endpoint (http://127\.0\.0\.1:\d+/sparql) \(query page at http://127\.0\.0\.1:\d+/\)", line)
        assert m, line + process.stderr.read()
        assert call(m.group(1), "GET", COUNT_PAPERS, "text/csv") == (200, "text/csv; charset=utf-8", b"n\r\n5\r\n")
        oxigraph = _children(process.pid)
        assert len(oxigraph) == 1
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0  # SIGTERM stops it as Ctrl+C does
    assert _gone(oxigraph[0]), "the Oxigraph server outlived `kg serve`"


def test_a_killed_kg_serve_takes_its_oxigraph_server_with_it(built):
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--out", str(built), "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline().startswith("SPARQL endpoint ")
        oxigraph = _children(process.pid)
        assert len(oxigraph) == 1
    finally:
        process.kill()
        process.wait(10)
    assert _gone(oxigraph[0]), "the Oxigraph server outlived a SIGKILLed `kg serve`"


def _children(pid: int) -> list[int]:
    return [int(c) for task in os.listdir(f"/proc/{pid}/task")
            for c in open(f"/proc/{pid}/task/{task}/children").read().split()]


def _gone(pid: int, wait: float = 10) -> bool:
    """True when ``pid`` ends within ``wait`` seconds (a zombie counts as ended)."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_the_query_page_in_a_browser(url):
    """Headless Chromium (tests/browser.py; no host but 127.0.0.1 resolves): pick a named
    query, run it, read the table; the page asks nothing of any other host."""
    import os

    import browser

    reason = browser.missing_reason()
    if reason:
        if os.environ.get("KG_REQUIRE_BROWSER"):
            pytest.fail(reason + " (KG_REQUIRE_BROWSER is set, so this is a failure)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    base = url.rsplit("/", 1)[0]
    flags = [f for f in browser.FLAGS if not f.startswith("--host-resolver-rules")]
    flags.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")  # only the endpoint answers
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.chromium_path(), args=flags, headless=True)
        page = chromium.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/")
        page.wait_for_selector("#examples option[value=top-institutions]", state="attached")
        page.select_option("#examples", "top-institutions")
        page.click("#run")
        page.wait_for_selector("#results tbody tr")
        rows = page.eval_on_selector_all("#results tbody tr", "trs => trs.map(t => [...t.cells].map(c => c.textContent))")
        assert rows[0] == ["Tsinghua University", "清华大学", "2", "2", ""] and len(rows) == 7  # no ROR ids here
        assert page.text_content("#status").startswith("7 rows in ")
        page.fill("#query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
        page.click("#run")
        page.wait_for_selector("#status.error")
        assert "SERVICE (federated query) is not allowed" in page.text_content("#status")
        chromium.close()
    assert errors == [] and requests and all(r.startswith(base + "/") for r in requests)
