"""Fuzzing the reader and the parser: whatever bytes or text come in, the only error is kg's own
InputError (a KgError, which the CLI prints on one line), and every entry and warning points at a
line the post has.

Deterministic (derandomized, no example database), so CI sees the same examples every run.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import InputError, InputWarning
from kg.ingest import Post, decode, page_text, post_from_bytes
from kg.parse import parse_post

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

PAPER = "https://www.paperweekly.site/papers/2654"
URLS = st.sampled_from([
    PAPER, "http://www.paperweekly.site/papers/", "https://github.com/libuyu/GHM_Detection",
    "https://arxiv.org/abs/1706.03762", "javascript:alert(1)", "http://", "https://x.org/a_(b)",
])
WORDS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
NAMES = st.sampled_from(["alice", "TwistedW", "李雷", "", " ", "@", "a b c", "**"]) | WORDS

# The shapes of real post lines, and the ways they go wrong.
LINE = st.one_of(
    st.builds("**@{} 推荐**".format, NAMES),
    st.builds("****@{}** 推荐**".format, NAMES),
    st.builds("**{}**".format, WORDS),
    st.builds("\\#{}".format, WORDS),
    st.builds("#{} #{}".format, WORDS, WORDS),
    st.builds("{}{}{}".format, st.sampled_from(["论文链接", "源码链接", "代码链接", "数据集链接", "**论文链接**"]),
              st.sampled_from(["", "：", ": ", " "]), URLS | st.just("")),
    URLS,
    st.builds("[{}]({})".format, WORDS, URLS),
    st.builds("■ {} | {}".format, st.sampled_from(["论文", "链接", "源码", "代码", "作者"]), WORDS | URLS),
    st.builds("{} {}".format, st.sampled_from(["#", "##", "######", "# 关于作者：", "**关于作者**"]), WORDS),
    st.builds("[ {} ]".format, WORDS),
    st.builds("![{}]({})".format, WORDS, URLS),
    st.sampled_from([
        "", "这是 PaperDaily 的第 **7** 篇文章", "2019年01月02日 09:30:00", "2019年13月45日 99:99",
        "本文是清华大学和商汤科技发表于 ECCV 2018 的工作。", "本文来自 Facebook AI Research，发表于 NIPS 2017。",
        "**本文由 AI 学术社区 PaperWeekly 精选推荐**", "**关于PaperWeekly**", "往期推荐", "作者丨王晋东",
        "本期推荐的论文笔记来自 PaperWeekly 社区用户 **@carol**。", "**▲**论文模型：点击查看大图", "阅读原文",
        "<html>", "<!DOCTYPE html>", "<p>", "</strong>", "<![foo[", "\x00", "\r", "\r\n", "\x1b[31m", "\ufeff",
        "[", "](", "![", "**", "\\", "■", "｜", "\u2028", "\ud7ff", "\U0001f600",
    ]),
    WORDS,
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "[", "![a](", "#", " ", "*", "论", "@", "\\#"]),
              st.integers(1_000, 20_000)),  # very long lines
)
# A whole digest entry or note header, with any of its lines dropped or replaced by a random one.
ENTRY_LINES = [
    st.builds("**{}**".format, WORDS), st.builds("**@{} 推荐**".format, NAMES), st.builds("\\#{}".format, WORDS),
    st.just("本文是香港中文大学发表于 AAAI 2019 的工作。"), st.just("论文链接"), URLS, st.just("源码链接"), URLS,
]
NOTE_LINES = [st.builds("■ 论文 | {}".format, WORDS), st.builds("■ 链接 | {}".format, URLS),
              st.builds("■ 源码 | {}".format, URLS), st.builds("■ 作者 | {}".format, NAMES), WORDS]
BLOCK = st.one_of(*(
    st.tuples(*(st.one_of(line, line, line, st.just(""), LINE) for line in lines)).map("\n\n".join)
    for lines in (ENTRY_LINES, NOTE_LINES)
))
POST_TEXT = st.builds(lambda lines, sep: sep.join(lines), st.lists(LINE | BLOCK, max_size=30),
                      st.sampled_from(["\n", "\n\n", "\r\n", "\r"]))
ENCODED = st.builds(lambda text, codec: text.encode(codec, "replace"), POST_TEXT,
                    st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]))


def check_post(post: Post, warnings: list[InputWarning]) -> None:
    """parse_post raises only InputError, and what it returns points inside the post."""
    lines = len(post.text.split("\n"))
    try:
        entries = parse_post(post, warnings)
    except InputError as err:
        assert str(err).startswith(f"{post.path}: ") and "\n" not in str(err)
        return
    assert [e.position for e in entries] == list(range(1, len(entries) + 1))
    for e in entries:
        assert 1 <= e.line <= lines
        assert e.kind in ("digest", "note") and (e.source, e.post) == (post.path, post.name)
        assert isinstance(e.topics, tuple) and isinstance(e.text, str)
        assert str(e.paper_iri).startswith("https://w3id.org/paperweekly-kg/id/paper/")
    for w in warnings:
        assert w.path == post.path and (w.line is None or 1 <= w.line <= lines)
        assert str(w).startswith(post.path) and "\n" not in w.message


def read_and_parse(raw: bytes, path: str = "posts/fuzz.md") -> None:
    try:
        post = post_from_bytes(raw, path)
    except InputError as err:
        assert str(err).startswith(f"{path}: ") and "\n" not in str(err)
        return
    assert "\r" not in post.text
    check_post(post, [])  # the post's lines are its "\n" lines, no CR left in


@FUZZ
@given(st.binary(max_size=3000))
def test_decode_random_bytes(raw):
    try:
        text, encoding = decode(raw, "fuzz.md", [])
    except InputError as err:
        assert str(err).startswith("fuzz.md: ")
        return
    assert encoding in ("utf-8", "gb18030", "utf-16") and "\r" not in text and text.strip()


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_read_and_parse(raw):
    read_and_parse(raw)


@FUZZ
@given(ENCODED)
def test_post_shaped_bytes(raw):
    read_and_parse(raw)


@FUZZ
@given(POST_TEXT)
def test_post_shaped_text(text):
    """A Post made directly (as a caller may), with NULs, CRs and anything else left in."""
    check_post(Post("posts/fuzz.md", "fuzz.md", text, "utf-8", "0" * 64, None, None, None), [])


@FUZZ
@given(st.lists(st.one_of(
    st.sampled_from(["<html>", "<p>", "</p>", "<strong>", "</strong>", "<b>", "<br>", "<h2>", "</h2>", "<a href='",
                     "'>", "</a>", "<script>", "</script>", "<style>", "<svg/>", "<!--", "-->", "<![", "]]>",
                     "&amp;", "&#0;", "&#xd800;", "<pre>", "</pre>", "<li>", "<title>", "</title>", "<", ">"]),
    LINE), max_size=40))
def test_web_pages(parts):
    html = "".join(parts)
    try:
        text = page_text(html, "fuzz.html")
    except InputError as err:
        assert str(err).startswith("fuzz.html: saved web page (HTML) that kg cannot read")
        return
    assert isinstance(text, str)
    read_and_parse(("<!DOCTYPE html>" + html).encode())
