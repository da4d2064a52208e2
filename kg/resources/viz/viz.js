// kg viz: legend and type filter, venue/year filters, search, hover cards, neighbour highlighting.
// Every text that came from a post is put into the page with textContent, never as HTML, and
// only http(s) links become links.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var meta = data.meta, S = meta.strings;
  var info = {}, edgeInfo = {}, typeOf = {};
  meta.types.forEach(function (t) { typeOf[t.name] = t; });
  var nodeList = data.nodes.map(function (n) {
    info[n.id] = n.kg;
    var copy = Object.assign({}, n);
    delete copy.kg;
    return copy;
  });
  var edgeList = data.edges.map(function (e) {
    edgeInfo[e.id] = e.kg;
    var copy = Object.assign({}, e);
    delete copy.kg;
    return copy;
  });
  // sizes and label sizes grow with the square root of a node's links, so hubs stand out
  // without dwarfing the rest; labels too small to read are not drawn (drawThreshold)
  data.options.nodes.scaling.customScalingFunction = function (min, max, total, value) {
    return max === min ? 0.5 : Math.pow((value - min) / (max - min), 0.75);
  };
  var nodes = new vis.DataSet(nodeList), edges = new vis.DataSet(edgeList);
  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var $ = function (id) { return document.getElementById(id); };

  // --- DOM helpers: text only ---------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function safeUrl(url) { return /^https?:\/\//i.test(String(url)) ? String(url) : null; }
  function shape(name, colour, size) {
    var ns = "http://www.w3.org/2000/svg", s = size || 12, h = s / 2, svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", s); svg.setAttribute("height", s); svg.setAttribute("class", "shape");
    var pts = {
      diamond: [[h, 0], [s, h], [h, s], [0, h]],
      triangle: [[h, 0], [s, s], [0, s]],
      triangleDown: [[0, 0], [s, 0], [h, s]],
      square: [[1, 1], [s - 1, 1], [s - 1, s - 1], [1, s - 1]],
      hexagon: [[h, 0], [s, s / 4], [s, 3 * s / 4], [h, s], [0, 3 * s / 4], [0, s / 4]],
      star: [[h, 0], [0.62 * s, 0.38 * s], [s, 0.38 * s], [0.69 * s, 0.61 * s], [0.81 * s, s], [h, 0.76 * s],
             [0.19 * s, s], [0.31 * s, 0.61 * s], [0, 0.38 * s], [0.38 * s, 0.38 * s]]
    }[name];
    var shp;
    if (pts) {
      shp = document.createElementNS(ns, "polygon");
      shp.setAttribute("points", pts.map(function (p) { return p.join(","); }).join(" "));
    } else {
      shp = document.createElementNS(ns, "circle");
      shp.setAttribute("cx", h); shp.setAttribute("cy", h); shp.setAttribute("r", h - 0.5);
    }
    shp.setAttribute("fill", colour);
    svg.appendChild(shp);
    return svg;
  }
  function row(label, value) {
    var r = el("div", "card-row");
    r.appendChild(el("b", null, label));
    if (value instanceof Node) r.appendChild(value); else r.appendChild(document.createTextNode(String(value)));
    return r;
  }

  // --- cards ---------------------------------------------------------------------------------
  function nodeCard(id) {
    var k = info[id], t = typeOf[k.type], f = document.createDocumentFragment();
    var head = el("div", "card-head");
    head.appendChild(shape(t.shape, t.colour));
    head.appendChild(el("span", null, t.label));
    f.appendChild(head);
    f.appendChild(el("div", "card-title", k.label));
    var others = k.names.filter(function (n) { return n !== k.label; });
    if (others.length) f.appendChild(row(S.labels, others.join(" · ")));
    if (k.ids && k.ids.length) f.appendChild(row("id", k.ids.join(" ")));
    if (k.venues && k.venues.length) f.appendChild(row(S.venue, k.venues.join(", ")));
    if (k.year) f.appendChild(row(S.year, k.year));
    (k.facts || []).forEach(function (p) { if (p[0] !== "year" || !k.year) f.appendChild(row(p[0], p[1])); });
    (k.links || []).forEach(function (l) {
      var url = safeUrl(l[1]), v;
      if (url) {
        v = el("a", null, l[1]);
        v.href = url; v.target = "_blank"; v.rel = "noopener noreferrer";
      } else {
        v = el("span", null, l[1]);
      }
      f.appendChild(row(S[l[0]] || l[0], v));
    });
    if (k.summary) f.appendChild(row(S.summary, k.summary));
    f.appendChild(el("div", "muted", network.getConnectedNodes(id).length + " " + S.neighbours));
    return f;
  }
  function edgeCard(id) {
    var k = edgeInfo[id], e = edges.get(id), f = document.createDocumentFragment();
    f.appendChild(el("div", "card-title", info[e.from].label + " → " + info[e.to].label));
    f.appendChild(el("div", "card-row", k.relations.join(" · ")));
    if (k.evidence.length) f.appendChild(el("div", "card-row", S.evidence));
    k.evidence.forEach(function (ev) {
      var q = el("div", "quote");
      q.appendChild(document.createTextNode(ev.prefix ? "…" + ev.prefix : ""));
      q.appendChild(el("mark", null, ev.exact || ""));
      q.appendChild(document.createTextNode(ev.suffix ? ev.suffix + "…" : ""));
      var bits = [ev.relation];
      if (ev.rule) bits.push(S.rule + ": " + ev.rule);
      if (ev.confidence !== undefined) bits.push(S.confidence + " " + ev.confidence);
      q.appendChild(el("div", "muted", bits.join(" · ")));
      f.appendChild(q);
    });
    return f;
  }
  var card = $("card"), mouse = { x: 0, y: 0 };
  container.addEventListener("mousemove", function (ev) { mouse.x = ev.clientX; mouse.y = ev.clientY; placeCard(); });
  function placeCard() {
    if (card.hidden) return;
    var w = card.offsetWidth, h = card.offsetHeight, x = mouse.x + 14, y = mouse.y + 14;
    if (x + w > window.innerWidth - 4) x = Math.max(4, mouse.x - w - 14);
    if (y + h > window.innerHeight - 4) y = Math.max(4, mouse.y - h - 14);
    card.style.left = x + "px"; card.style.top = y + "px";
  }
  function showCard(content) { card.replaceChildren(content); card.hidden = false; placeCard(); }
  function hideCard() { card.hidden = true; card.replaceChildren(); }
  network.on("hoverNode", function (p) { showCard(nodeCard(p.node)); });
  network.on("hoverEdge", function (p) { showCard(edgeCard(p.edge)); });
  network.on("blurNode", hideCard);
  network.on("blurEdge", hideCard);
  network.on("dragStart", hideCard);
  network.on("zoom", hideCard);

  var details = $("details"), detailsBody = $("details-body");
  function showDetails(content) { detailsBody.replaceChildren(content); details.hidden = false; }
  function hideDetails() { details.hidden = true; detailsBody.replaceChildren(); }
  $("close").addEventListener("click", function () { hideDetails(); highlight([]); network.unselectAll(); });

  // --- highlighting a node's neighbours ------------------------------------------------------
  // A veil is painted over the drawn graph and the node, its neighbours and their links are
  // painted again on top: no node is restyled, so this costs the same at 20 or 2,000 nodes
  // (restyling every node through the DataSet takes about 0.3 s per 1,000 nodes). The draw
  // methods are vis-network 9.1.2's own, which kg ships.
  var veil = null;
  function highlight(ids) {
    veil = null;
    if (ids.length) {
      var near = new Set(ids), links = new Set();
      ids.forEach(function (id) {
        network.getConnectedNodes(id).forEach(function (n) { near.add(n); });
        network.getConnectedEdges(id).forEach(function (e) { links.add(e); });
      });
      veil = { nodes: Array.from(near), edges: Array.from(links) };
    }
    kgViz.highlighted = veil ? veil.nodes.slice().sort() : [];
    network.redraw();
  }
  network.on("afterDrawing", function (ctx) {
    if (!veil) return;
    var w = container.clientWidth, h = container.clientHeight;
    var a = network.DOMtoCanvas({ x: 0, y: 0 }), b = network.DOMtoCanvas({ x: w, y: h });
    ctx.save();
    ctx.fillStyle = "rgba(251, 251, 252, 0.85)";
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.restore();
    veil.edges.forEach(function (id) { var e = network.body.edges[id]; if (e && !e.options.hidden) e.draw(ctx); });
    var labels = [];
    veil.nodes.forEach(function (id) {
      var n = network.body.nodes[id], drawn = n && !n.options.hidden ? n.draw(ctx) : null;
      if (drawn && drawn.drawExternalLabel) labels.push(drawn.drawExternalLabel);
    });
    labels.forEach(function (draw) { draw(); });
  });
  network.on("click", function (p) {
    hideCard();
    if (p.nodes.length) { highlight(p.nodes); showDetails(nodeCard(p.nodes[0])); }
    else if (p.edges.length) { highlight([]); showDetails(edgeCard(p.edges[0])); }
    else { highlight([]); hideDetails(); }
  });
  function selectNode(id, zoom) {
    if (nodes.get(id).hidden) resetFilters();
    network.selectNodes([id]);
    highlight([id]);
    showDetails(nodeCard(id));
    if (zoom !== false) network.focus(id, { scale: Math.max(network.getScale(), 0.8), animation: { duration: 300, easingFunction: "easeInOutQuad" } });
  }

  // --- search by any label --------------------------------------------------------------------
  var haystack = nodeList.map(function (n) {
    var k = info[n.id];
    return { id: n.id, keys: [k.label].concat(k.names, k.ids || []).map(function (s) { return String(s).toLowerCase(); }) };
  });
  function find(text) {
    var q = text.trim().toLowerCase();
    if (!q) return [];
    var hits = [];
    haystack.forEach(function (h) {
      var best = 9;
      h.keys.forEach(function (key) {
        var r = key === q ? 0 : key.indexOf(q) === 0 ? 1 : key.indexOf(q) > 0 ? 2 : 9;
        if (r < best) best = r;
      });
      if (best < 9) hits.push([best, info[h.id].label.length, info[h.id].label, h.id]);
    });
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0); });
    return hits.slice(0, 30).map(function (h) { return h[3]; });
  }
  var search = $("search"), results = $("results");
  search.placeholder = S.search;
  function showResults(ids) {
    results.replaceChildren();
    if (!ids.length && search.value.trim()) { results.appendChild(el("li", "muted", S.no_match)); return; }
    ids.forEach(function (id, k) {
      var t = typeOf[info[id].type], li = el("li", k === 0 ? "active" : null);
      li.dataset.id = id;
      li.appendChild(shape(t.shape, t.colour, 10));
      li.appendChild(el("span", "l", info[id].label));
      li.appendChild(el("span", "t", t.label));
      li.addEventListener("click", function () { selectNode(id); });
      results.appendChild(li);
    });
  }
  search.addEventListener("input", function () { showResults(find(search.value)); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var hit = find(search.value); if (hit.length) selectNode(hit[0]); }
    if (ev.key === "Escape") { search.value = ""; showResults([]); }
  });

  // --- legend and filters ------------------------------------------------------------------------
  var state = { types: new Set(meta.types.map(function (t) { return t.name; })), venue: "", year: "" };
  $("types-legend").textContent = S.types;
  meta.types.forEach(function (t) {
    var label = el("label"), box = el("input");
    box.type = "checkbox"; box.checked = true; box.value = t.name;
    box.addEventListener("change", function () {
      if (box.checked) state.types.add(t.name); else state.types.delete(t.name);
      applyFilters();
    });
    label.appendChild(box);
    label.appendChild(shape(t.shape, t.colour));
    label.appendChild(el("span", null, t.label));
    label.appendChild(el("span", "n", t.count));
    $("types").appendChild(label);
  });
  function fillSelect(select, values) {
    select.appendChild(el("option", null, S.all)).value = "";
    values.forEach(function (v) { select.appendChild(el("option", null, v)).value = String(v); });
  }
  var venues = new Set(), years = new Set();
  Object.keys(info).forEach(function (id) {
    (info[id].venues || []).forEach(function (v) { venues.add(v); });
    if (info[id].year) years.add(info[id].year);
  });
  fillSelect($("venue"), Array.from(venues).sort());
  fillSelect($("year"), Array.from(years).sort().reverse());
  $("venue-label").textContent = S.venue;
  $("year-label").textContent = S.year;
  $("venue").addEventListener("change", function (ev) { state.venue = ev.target.value; applyFilters(); });
  $("year").addEventListener("change", function (ev) { state.year = ev.target.value; applyFilters(); });
  $("reset").textContent = S.reset;
  $("reset").addEventListener("click", function () { resetFilters(); highlight([]); hideDetails(); network.unselectAll(); network.fit(); });
  var hidden = {};
  function paperShown(k) {
    return (!state.venue || (k.venues || []).indexOf(state.venue) >= 0) && (!state.year || String(k.year) === state.year);
  }
  function applyFilters() {
    var show = {}, paperFilter = state.venue || state.year;
    nodeList.forEach(function (n) {
      var k = info[n.id];
      show[n.id] = state.types.has(k.type) && (k.type !== "paper" || paperShown(k));
    });
    if (paperFilter && state.types.has("paper")) {
      nodeList.forEach(function (n) {
        if (info[n.id].type !== "paper" && show[n.id]) {
          show[n.id] = network.getConnectedNodes(n.id).some(function (m) { return info[m].type === "paper" && show[m]; });
        }
      });
    }
    var updates = [];
    nodeList.forEach(function (n) {
      if (!show[n.id] !== !!hidden[n.id]) { hidden[n.id] = !show[n.id]; updates.push({ id: n.id, hidden: hidden[n.id] }); }
    });
    if (updates.length) nodes.update(updates);
    showCounts();
  }
  function resetFilters() {
    state.types = new Set(meta.types.map(function (t) { return t.name; }));
    state.venue = state.year = "";
    $("venue").value = ""; $("year").value = "";
    Array.prototype.forEach.call($("types").querySelectorAll("input"), function (b) { b.checked = true; });
    applyFilters();
  }
  function showCounts() {
    var shown = nodeList.filter(function (n) { return !hidden[n.id]; }).length;
    var total = nodeList.length;
    $("counts").textContent = (shown === total ? total : shown + " / " + total) + " " + S.nodes + " · " + edgeList.length + " " + S.edges;
    kgViz.shown = shown;
  }

  // --- page text -------------------------------------------------------------------------------
  $("title").textContent = document.title;
  $("help").textContent = S.help;
  if (meta.leftOut.length) {
    $("left-out").hidden = false;
    $("left-out").textContent = S.left_out + ": " + meta.leftOut.map(function (l) { return l.count + " " + l.type; }).join(", ") +
      " (kg viz --focus / --query / --types)";
  }

  // --- ready: drawn and still ------------------------------------------------------------------
  var kgViz = window.kgViz = {
    network: network, nodes: nodes, edges: edges, info: info, ready: false, readyAt: null,
    find: find, selectNode: selectNode, highlight: highlight, applyFilters: applyFilters,
    nodeCard: nodeCard, edgeCard: edgeCard, state: state, highlighted: [], shown: nodeList.length
  };
  showCounts();
  function markReady() {
    if (kgViz.ready) return;
    if (meta.focus.length) {
      network.selectNodes(meta.focus);
      highlight(meta.focus);
      showDetails(nodeCard(meta.focus[0]));
    }
    kgViz.ready = true;
    kgViz.readyAt = performance.now();
    document.body.setAttribute("data-ready", "1");
  }
  if (data.options.physics.enabled) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: { enabled: false } });
      network.fit();
      network.once("afterDrawing", markReady);
      network.redraw();
    });
  } else {
    network.fit();
    network.once("afterDrawing", markReady);
    network.redraw();
  }
})();
