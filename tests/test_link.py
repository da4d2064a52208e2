from kg.link import (
    canonical_paper_url, code_iri, entry_iri, graph_iri, paper_iri, post_iri, slug, topic_iri, user_iri,
    venue_iri,
)

BASE = "https://w3id.org/paperweekly-kg/id/"


def test_paper_iri_from_paperweekly_id_whatever_the_scheme():
    assert str(paper_iri("http://www.paperweekly.site/papers/2644")) == BASE + "paper/pw2644"
    assert paper_iri("https://www.paperweekly.site/papers/2644") == paper_iri("http://www.paperweekly.site/papers/2644")
    assert canonical_paper_url("http://www.paperweekly.site/papers/785") == "https://www.paperweekly.site/papers/785"


def test_paper_without_paperweekly_link():
    assert str(paper_iri("https://arxiv.org/abs/1703.06870")).startswith(BASE + "paper/u")
    assert paper_iri(None, "a.md#1") != paper_iri(None, "a.md#2")
    assert paper_iri(None, "a.md#1") == paper_iri(None, "a.md#1")


def test_entity_iris():
    assert str(venue_iri("NeurIPS")) == BASE + "venue/neurips"
    assert str(venue_iri("ACM MM", 2018)) == BASE + "venue/acm-mm-2018"
    assert topic_iri("Question  Answering") == topic_iri("question answering")
    assert str(user_iri("zkt18")) == BASE + "user/zkt18"
    assert str(user_iri("机器之心")).startswith(BASE + "user/x-")
    assert code_iri("https://github.com/a/b/") == code_iri("http://github.com/a/b.git")
    assert str(post_iri("dir/0001_34762375779.md")) == BASE + "post/0001-34762375779"
    assert str(graph_iri("0001_34762375779.md")) == BASE + "graph/0001-34762375779"
    assert str(entry_iri("0001_34762375779.md", 3)) == BASE + "post/0001-34762375779/entry/3"


def test_slug_is_ascii_and_stable():
    assert slug("Knowledge Graph") == "knowledge-graph"
    assert slug("C++") != slug("C")
    assert slug("自然语言处理") == slug("自然语言处理") and slug("自然语言处理").isascii()
