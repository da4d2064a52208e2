"""A made-up graph of about N nodes in kg's model, for the size tests and benchmarks of ``kg viz``.

>>> store = synthetic_store(200)
>>> from kg.viz import load_graph
>>> 190 <= len(load_graph(store)) <= 210
True
"""

from __future__ import annotations

import random

import pyoxigraph as ox

ID = "https://w3id.org/paperweekly-kg/id/"
KG = "https://w3id.org/paperweekly-kg/ns#"
SDO = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ORG = "http://www.w3.org/ns/org#Organization"
TITLE = "http://purl.org/dc/terms/title"
SUBJECT = "http://purl.org/dc/terms/subject"


def synthetic_store(n_nodes: int, seed: int = 1) -> ox.Store:
    """An in-memory store of about ``n_nodes`` nodes: papers with venues, topics, institutions,
    recommenders and code, connected the way the real posts connect them."""
    rng = random.Random(seed)
    graph = ox.NamedNode(ID + "graph/synthetic")
    quads: list[ox.Quad] = []

    def add(s: str, p: str, o: str | int | ox.Literal) -> None:
        obj = o if isinstance(o, ox.Literal) else ox.Literal(o) if isinstance(o, int) else ox.NamedNode(o)
        quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, graph))

    series = [f"Conf{k}" for k in range(8)]
    editions = [(s, y) for s in series for y in range(2015, 2020)]
    n_topics = n_orgs = n_users = max(3, n_nodes // 10)
    n_papers = max(5, int(n_nodes * 0.45))
    n_code = max(0, n_nodes - n_papers - n_topics - n_orgs - n_users - len(series) - len(editions))
    for s in series:
        add(ID + f"venue/{s}", RDF_TYPE, KG + "VenueSeries")
        add(ID + f"venue/{s}", SKOS + "prefLabel", ox.Literal(s, language="en"))
    for s, y in editions:
        v = ID + f"venue/{s}-{y}"
        add(v, RDF_TYPE, KG + "VenueEdition")
        add(v, SKOS + "prefLabel", ox.Literal(f"{s} {y}", language="en"))
        add(v, KG + "year", y)
        add(v, SDO + "superEvent", ID + f"venue/{s}")
    for k in range(n_topics):
        add(ID + f"topic/t{k}", RDF_TYPE, SKOS + "Concept")
        add(ID + f"topic/t{k}", SKOS + "prefLabel", ox.Literal(f"Topic {k}", language="en"))
    for k in range(n_orgs):
        add(ID + f"org/o{k}", RDF_TYPE, ORG)
        add(ID + f"org/o{k}", SKOS + "prefLabel", ox.Literal(f"Institute {k}", language="en"))
        add(ID + f"org/o{k}", SKOS + "prefLabel", ox.Literal(f"研究所{k}号", language="zh"))
    for k in range(n_users):
        add(ID + f"user/u{k}", RDF_TYPE, KG + "CommunityUser")
        add(ID + f"user/u{k}", RDFS + "label", ox.Literal(f"user{k}"))
    for k in range(n_papers):
        p = ID + f"paper/pw{k + 1}"
        add(p, RDF_TYPE, SDO + "ScholarlyArticle")
        add(p, TITLE, ox.Literal(f"A Synthetic Study of Problem {k}"))
        add(p, KG + "paperweeklyId", ox.Literal(str(k + 1)))
        s, y = editions[int(rng.paretovariate(1.2)) % len(editions)]
        add(p, KG + "venue", ID + f"venue/{s}-{y}")
        for t in rng.sample(range(n_topics), rng.randint(1, 2)):
            add(p, SUBJECT, ID + f"topic/t{t}")
        for o in rng.sample(range(n_orgs), rng.randint(1, 2)):
            add(p, SDO + "sourceOrganization", ID + f"org/o{o}")
        entry = ID + f"post/synthetic/entry/{k}"
        add(entry, RDF_TYPE, KG + "Entry")
        add(entry, SDO + "about", p)
        add(entry, KG + "recommendedBy", ID + f"user/u{rng.randrange(n_users)}")
        if k < n_code:
            add(ID + f"code/c{k}", RDF_TYPE, SDO + "SoftwareSourceCode")
            add(ID + f"code/c{k}", SDO + "codeRepository", f"https://github.com/example/repo{k}")
            add(p, KG + "code", ID + f"code/c{k}")
    store = ox.Store()
    store.extend(quads)
    return store
