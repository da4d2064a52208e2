"""kg viz: choosing the graph, the page it writes, and that page in a real (headless) browser."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.build import build
from kg.cli import cli
from kg.errors import VizError
from kg.ingest import sample_paths
from kg.store import open_store
from kg.viz import MAX_NODES, cap_graph, find_entities, load_graph, node_types, select
from kg.vizpage import PHYSICS_MAX_NODES, page_name, render_page, write_page

import browser
from conftest import FIXTURES, ROOT
from synthetic import synthetic_store

ID = "https://w3id.org/paperweekly-kg/id/"
TSINGHUA, GHM_PAPER, JS_PAPER = ID + "org/tsinghua-university", ID + "paper/pw2654", ID + "paper/pw7"


@pytest.fixture(scope="module")
def facts_store() -> ox.Store:
    """A small hand-written graph with entities, facts and evidence (tests/fixtures/viz-facts.trig)."""
    store = ox.Store()
    store.load((FIXTURES / "viz-facts.trig").read_bytes(), ox.RdfFormat.TRIG)
    return store


@pytest.fixture(scope="module")
def samples_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    build(sample_paths(), out)
    return out


@pytest.fixture(scope="module")
def payload_out(tmp_path_factory) -> Path:
    """A post whose title, recommender, topic, summary and links carry HTML/JS payloads."""
    out = tmp_path_factory.mktemp("payload")
    build([FIXTURES / "viz-payload.md"], out)
    return out


def _page(store, tmp_path: Path, name: str = "page.html", lang: str = "zh", **how) -> tuple[Path, object]:
    selection = select(store, **how)
    return write_page(render_page(selection, lang=lang), tmp_path / name), selection


def _data(html: str) -> str:
    return re.search(r'<script id="kg-data" type="application/json">(.*?)</script>', html, re.S).group(1)


# --- the graph -------------------------------------------------------------------------------
def test_node_types_look_different():
    looks = [(t.shape, t.colour) for t in node_types().values()]
    assert len(set(looks)) == len(looks)
    assert {t.shape for t in node_types().values()} <= {
        "dot", "diamond", "star", "triangle", "triangleDown", "square", "hexagon"}  # labels below
    assert [t.name for t in node_types().values() if not t.default] == ["post"]


def test_find_entities_by_any_label_alias_or_paper_id(facts_store):
    assert [(m.iri, m.exact) for m in find_entities(facts_store, "清华")] == [(TSINGHUA, True)]
    assert find_entities(facts_store, "  tsinghua   UNIVERSITY ")[0].iri == TSINGHUA
    assert find_entities(facts_store, "THU")[0].iri == TSINGHUA
    assert [m.iri for m in find_entities(facts_store, "pw2654")] == [GHM_PAPER]
    assert [m.iri for m in find_entities(facts_store, "2654")] == [GHM_PAPER]
    partial = find_entities(facts_store, "harmonized")
    assert [(m.iri, m.exact) for m in partial] == [(GHM_PAPER, False)]
    assert find_entities(facts_store, "no such thing") == ()


def test_load_graph_types_labels_links_and_evidence(facts_store):
    G = load_graph(facts_store)
    types = {n[len(ID):]: t for n, t in G.nodes(data="type")}
    assert types == {
        "paper/pw2654": "paper", "paper/pw7": "paper", "org/tsinghua-university": "org",
        "venue/aaai-2019": "venue", "venue/aaai": "venue", "venue/acl-2018": "venue",
        "topic/object-detection": "topic", "user/alice": "user", "code/github-com-a-ghm": "code",
        "dataset/coco": "dataset", "method/ghm": "method", "post/t1": "post"}
    paper = G.nodes[GHM_PAPER]
    assert (paper["venues"], paper["year"]) == (["AAAI 2019"], 2019)
    assert paper["summary"].startswith("本文是清华大学")
    fact = G.edges[GHM_PAPER, TSINGHUA]
    assert fact["relations"] == ["schema:sourceOrganization"]
    # the quote and 12 characters either side are cut from the summary at the annotation's offsets
    assert paper["summary"][3:7] == "清华大学"
    assert fact["evidence"] == [{"relation": "schema:sourceOrganization", "exact": "清华大学",
                                 "prefix": "本文是", "suffix": "发表于 AAAI 201",
                                 "rule": "affiliation template", "confidence": 0.95}]
    assert G.edges[GHM_PAPER, ID + "user/alice"]["relations"] == ["kg:recommendedBy"]


def test_focus_keeps_what_lies_within_depth(facts_store):
    one = select(facts_store, focus="清华", depth=1)
    assert set(one.graph) == {TSINGHUA, GHM_PAPER} and one.focus and one.seeds == (TSINGHUA,)
    two = select(facts_store, focus="Tsinghua University")  # depth 2 by default
    assert {ID + "dataset/coco", ID + "venue/aaai-2019", ID + "user/alice"} <= set(two.graph)
    assert ID + "paper/pw7" not in two.graph  # three links away, through alice
    assert ID + "post/t1" not in two.graph  # posts are not drawn unless asked for


def test_types_choose_node_types_but_keep_the_focus(facts_store):
    sel = select(facts_store, focus="COCO", depth=2, types=["paper", "org"])
    assert {sel.graph.nodes[n]["type"] for n in sel.graph} == {"paper", "org", "dataset"}
    every = select(facts_store, types=["all"])
    assert ID + "post/t1" in every.graph
    with pytest.raises(VizError, match="unknown node type 'papers'"):
        select(facts_store, types=["papers"])
    with pytest.raises(VizError, match="nothing to draw"):
        select(facts_store, types=["metric"])


def test_unknown_or_vague_focus_is_a_clear_error(facts_store):
    with pytest.raises(VizError, match="no node has a label or id 'Nowhere'"):
        select(facts_store, focus="Nowhere")
    with pytest.raises(VizError, match="not both"):
        select(facts_store, focus="清华", query="papers")


def test_query_draws_its_results_and_their_neighbours(samples_out):
    store = open_store(samples_out)
    sel = select(store, query="papers-with-code", params={"venue": "AAAI 2019"})
    papers = {n for n in sel.graph if sel.graph.nodes[n]["type"] == "paper"}
    assert papers == {ID + "paper/pw90011", ID + "paper/pw90012"}  # not pw90013: it has no code
    assert ID + "venue/aaai-2019" in sel.graph
    assert {sel.graph.nodes[n]["type"] for n in sel.graph} >= {"paper", "venue", "code", "user"}
    assert sel.title == "papers-with-code venue=AAAI 2019" and not sel.focus


def test_cap_leaves_out_the_least_connected_and_says_so(samples_out):
    sel = select(open_store(samples_out), max_nodes=5)
    assert len(sel.graph) == 5 and sum(sel.left_out.values()) > 0
    G = load_graph(open_store(samples_out))
    kept, _ = cap_graph(G, 5)
    assert min(G.degree(n) for n in kept) >= max(G.degree(n) for n in G if n not in kept)


def test_whole_dev_graph_fits_a_page(dev_built):
    sel = select(open_store(dev_built))
    assert 100 < len(sel.graph) <= MAX_NODES and not sel.left_out
    types = {sel.graph.nodes[n]["type"] for n in sel.graph}
    assert {"paper", "venue", "topic", "code", "user"} <= types


# --- the page --------------------------------------------------------------------------------
def _cards(html: str) -> dict[str, dict]:
    return {n["id"]: n["kg"] for n in json.loads(_data(html))["nodes"]}


def test_institution_cards_carry_ror_and_wikidata_ids(dev_built):
    store = open_store(dev_built)
    cards = _cards(render_page(select(store, focus="清华", depth=1)))
    assert cards[TSINGHUA]["links"] == [["ror_link", "https://ror.org/03cve4549"],
                                        ["wikidata_link", "http://www.wikidata.org/entity/Q16955"]]
    cards = _cards(render_page(select(store, focus="Microsoft Research Asia", depth=1), lang="en"))
    assert cards[ID + "org/microsoft-research-asia"]["links"][0] == ["ror_link", "https://ror.org/0300m5276"]
    assert cards[ID + "org/microsoft"]["links"][0] == ["ror_link", "https://ror.org/00d0nc645"]  # its parent
    cards = _cards(render_page(select(store, focus="Tencent AI Lab", depth=0)))
    assert cards[ID + "org/tencent-ai-lab"]["links"] == []  # ROR does not have it: no link rather than a wrong one


def test_page_is_self_contained_and_deterministic(facts_store, tmp_path):
    html = render_page(select(facts_store))
    assert html == render_page(select(facts_store))
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1", html, flags=re.S)  # the page without scripts
    assert re.findall(r"""\b(?:src|href)\s*=|url\((?!["']?data:)|@import|<link\b|<iframe|<img""", markup) == []
    assert "default-src 'none'" in html and "connect-src" not in html  # so nothing is fetched
    assert len(re.findall(r"^<script\b", html, re.M)) == 3  # the data, vis-network, kg's own script


def test_large_graph_is_laid_out_beforehand_with_physics_off():
    store = synthetic_store(PHYSICS_MAX_NODES + 200)
    html = render_page(select(store))
    data = json.loads(_data(html))
    assert data["options"]["physics"]["enabled"] is False
    assert len(data["nodes"]) > PHYSICS_MAX_NODES
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"])
    small = json.loads(_data(render_page(select(store, focus="Topic 1", depth=1))))
    assert small["options"]["physics"]["enabled"] is True and len(small["nodes"]) < PHYSICS_MAX_NODES


def test_payload_text_only_reaches_the_page_escaped(payload_out):
    html = render_page(select(open_store(payload_out), types=["all"]))
    data = _data(html)
    assert "<" not in data and ">" not in data  # tojson escapes them: nothing can close the block
    for needle in ("\\u003cimg src=x onerror", "\\u003csvg/onload", "\\u003c/script\\u003e\\u003cscript"):
        assert needle in data  # the payloads did get in (as text)
    parsed = json.loads(data)
    assert not any("title" in item for item in parsed["nodes"] + parsed["edges"])  # no vis tooltips


def test_labels_in_either_language(facts_store):
    zh, en = (_data(render_page(select(facts_store, focus="清华", depth=0), lang=lang)) for lang in ("zh", "en"))
    assert '"label":"清华大学"' in zh and '"label":"Tsinghua University"' in en
    assert "机构" in zh and "Institution" in en


def test_page_names():
    assert page_name(focus="清华") == "viz-focus-清华.html"


# --- the command -----------------------------------------------------------------------------
def test_cli_writes_pages(samples_out, tmp_path):
    run = CliRunner().invoke
    r = run(cli, ["viz", "--out", str(samples_out)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"wrote {samples_out / 'viz.html'}: ")
    r = run(cli, ["viz", "--out", str(samples_out), "--query", "papers-with-code", "--venue", "AAAI 2019",
                  "--types", "paper,venue,code", "--lang", "en", "-o", str(tmp_path / "q.html")])
    assert r.exit_code == 0, r.output
    assert "AAAI 2019" in (tmp_path / "q.html").read_text(encoding="utf-8")
    r = run(cli, ["viz", "--out", str(samples_out), "--focus", "AAAI 2019", "--depth", "1"])
    assert r.exit_code == 0 and (samples_out / "viz-focus-aaai-2019.html").exists()


def test_cli_says_what_the_cap_left_out(samples_out, tmp_path):
    r = CliRunner().invoke(cli, ["viz", "--out", str(samples_out), "--max-nodes", "4",
                                 "-o", str(tmp_path / "p.html")])
    assert r.exit_code == 0
    assert re.search(r"left out \d+ nodes \(.*\): a page holds at most 4", r.output)
    assert "--focus ENTITY, --query NAME or --types" in r.output


def test_cli_errors(samples_out):
    run = CliRunner().invoke
    r = run(cli, ["viz", "--out", str(samples_out), "--focus", "Nowhere"])
    assert r.exit_code == 1 and "no node has a label or id 'Nowhere'" in r.output
    r = run(cli, ["viz", "--out", str(samples_out), "--venue", "AAAI 2019"])
    assert r.exit_code == 2 and "need --query" in r.output
    r = run(cli, ["viz", "--out", str(samples_out), "--query", "papers", "--nope", "x"])
    assert r.exit_code == 1 and "nope" in r.output


# --- in a real browser ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():
    reason = browser.missing_reason()
    if reason:
        if os.environ.get("KG_REQUIRE_BROWSER"):
            pytest.fail(reason + " (KG_REQUIRE_BROWSER is set, so this is a failure)")
        pytest.skip(reason)
    with browser.chromium() as b:
        yield b


def _quiet(v: browser.Visit, page: Path) -> None:
    """The page said nothing, broke nothing, asked nothing and fetched nothing but itself."""
    assert v.errors == [] and v.dialogs == []
    assert [m for m in v.console if m[0] in ("error", "warning")] == []
    assert v.requests == [page.resolve().as_uri()]


def test_dev_page_in_browser(chromium, dev_built, tmp_path):
    page, sel = _page(open_store(dev_built), tmp_path, "dev.html")
    v = browser.visit(chromium, page)
    _quiet(v, page)
    assert v.js("kgViz.network.body.nodeIndices.length") == len(sel.graph)
    assert v.js("kgViz.network.body.edgeIndices.length") == sel.graph.number_of_edges()
    assert any("Noto Sans CJK" in f for f in browser.cjk_fonts())  # the page's first choice for 中文
    shots = ROOT / "outputs"
    shots.mkdir(exist_ok=True)
    v.page.screenshot(path=str(shots / "viz-dev.png"))
    # search by a label, pick the first hit: it is selected and its neighbours are highlighted
    venue = ID + "venue/aaai-2019"
    v.page.fill("#search", "aaai 2019")
    assert v.page.get_attribute("#results li:first-child", "data-id") == venue
    v.page.press("#search", "Enter")
    assert v.js("kgViz.network.getSelectedNodes()") == [venue]
    near = {venue, *sel.graph.successors(venue), *sel.graph.predecessors(venue)}
    assert set(v.js("kgViz.highlighted")) == near
    assert v.page.inner_text("#details .card-title") == "AAAI 2019"
    # hover a node: its card appears
    hover(v, venue)
    assert "AAAI 2019" in v.page.inner_text("#card")
    # filter: no papers, then one venue
    v.page.uncheck("#types input[value=paper]")
    papers = sum(1 for n in sel.graph if sel.graph.nodes[n]["type"] == "paper")
    assert v.js("kgViz.shown") == len(sel.graph) - papers
    v.page.check("#types input[value=paper]")
    v.page.select_option("#venue", "AAAI 2019")
    shown = v.js("kgViz.nodes.get({filter: n => !n.hidden}).map(n => n.id)")
    shown_papers = {n for n in shown if sel.graph.nodes[n]["type"] == "paper"}
    assert shown_papers == {p for p in sel.graph.predecessors(venue) if sel.graph.nodes[p]["type"] == "paper"}
    _quiet(v, page)


def test_focus_page_opens_on_the_focus(chromium, facts_store, tmp_path):
    page, sel = _page(facts_store, tmp_path, focus="清华", depth=2)
    v = browser.visit(chromium, page)
    _quiet(v, page)
    assert v.js("kgViz.network.getSelectedNodes()") == [TSINGHUA]
    assert set(v.js("kgViz.highlighted")) == {TSINGHUA, GHM_PAPER}
    assert v.page.inner_text("#details .card-title") == "清华大学"
    # the evidence quote of a fact is on the edge's card
    edge = v.js(f"kgViz.edges.get({{filter: e => e.from === {GHM_PAPER!r} && e.to === {TSINGHUA!r}}})[0].id")
    text = v.js(f"(() => {{ const d = document.createElement('div'); d.append(kgViz.edgeCard({edge!r})); return d.innerText; }})()")
    assert "本文是" in text and "清华大学" in text and "affiliation template" in text and "来自机构" in text


def test_payloads_run_nothing_in_browser(chromium, payload_out, facts_store, tmp_path):
    page, sel = _page(open_store(payload_out), tmp_path, "payload.html", types=["all"])
    v = browser.visit(chromium, page)
    # open every node's and every edge's card, pinned and on hover, with a real mouse on some
    texts = v.js("""() => {
        const out = [];
        for (const id of kgViz.nodes.getIds()) { kgViz.selectNode(id, false);
            out.push(document.getElementById('details').innerText); }
        for (const id of kgViz.edges.getIds()) { const d = document.createElement('div');
            d.append(kgViz.edgeCard(id)); document.body.append(d); out.push(d.innerText); }
        return out.join('\\n'); }""")
    for node in list(sel.graph)[:12]:
        xy = v.js(f"kgViz.network.canvasToDOM(kgViz.network.getPosition({node!r}))")
        box = v.page.locator("#graph").bounding_box()
        v.page.mouse.move(box["x"] + xy["x"], box["y"] + xy["y"])
        v.page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    v.page.fill("#search", "<")
    v.page.wait_for_timeout(300)
    assert v.js("window.__pwned") is None
    assert "<img src=x onerror" in texts and "<svg/onload" in texts and "</script><script>" in texts
    assert '<a href="javascript:window.__pwne' in texts  # the summary's link, shown as text
    assert v.js("document.querySelectorAll('img, svg [onload], iframe, object, embed').length") == 0
    links = v.js("Array.from(document.querySelectorAll('a')).map(a => a.href)")
    assert all(href.startswith("https://") for href in links)
    _quiet(v, page)
    # a link that is not http(s) is shown, never made a link
    page2, _ = _page(facts_store, tmp_path, "js-link.html", focus="pw7", depth=0)
    v2 = browser.visit(chromium, page2)
    assert "javascript:window.__pwned='url'" in v2.page.inner_text("#details")
    assert v2.js("document.querySelectorAll('#details a').length") == 0
    _quiet(v2, page2)


def hover(v, node: str) -> None:
    """Move the mouse onto ``node`` in the page and wait for its card."""
    v.js(f"kgViz.network.moveTo({{position: kgViz.network.getPosition({node!r}), scale: 1.5}})")
    v.page.wait_for_timeout(100)
    xy = v.js(f"kgViz.network.canvasToDOM(kgViz.network.getPosition({node!r}))")
    box = v.page.locator("#graph").bounding_box()
    v.page.mouse.move(box["x"] + xy["x"], box["y"] + xy["y"])
    v.page.wait_for_selector("#card:not([hidden])", timeout=3000)


def test_hover_card_links_the_ror_id(chromium, dev_built, tmp_path):
    page, _ = _page(open_store(dev_built), tmp_path, "ror.html", lang="en", focus="清华", depth=1)
    v = browser.visit(chromium, page)
    _quiet(v, page)
    hover(v, TSINGHUA)
    rows = v.js("Array.from(document.querySelectorAll('#card .card-row'))"
                ".map(r => [r.firstChild.textContent, r.lastChild.textContent])")
    assert ["ROR", "https://ror.org/03cve4549"] in rows
    assert ["Wikidata", "http://www.wikidata.org/entity/Q16955"] in rows
    links = v.js("Array.from(document.querySelectorAll('#card a')).map(a => [a.textContent, a.href, a.rel])")
    assert links == [["https://ror.org/03cve4549", "https://ror.org/03cve4549", "noopener noreferrer"],
                     ["http://www.wikidata.org/entity/Q16955", "http://www.wikidata.org/entity/Q16955",
                      "noopener noreferrer"]]
    _quiet(v, page)
