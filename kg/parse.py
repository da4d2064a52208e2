"""Split a post into paper entries: digests (``**@user 推荐**`` blocks) and notes (``■ 论文 |``).

>>> from kg.ingest import read_post, sample_paths
>>> entries = parse_post(read_post(sample_paths()[0]))
>>> entries[0].position, entries[0].paper_url.startswith("https://www.paperweekly.site/papers/")
(1, True)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rdflib import URIRef

from kg.errors import InputError, InputWarning
from kg.ingest import Post, read_posts
from kg.link import paper_iri, paper_key
from kg.venues import Venue, find_venue

__all__ = ["Entry", "parse_post", "parse_paths", "clean_markup"]


@dataclass(frozen=True)
class Entry:
    """One paper as a post presents it."""

    source: str  # path of the post
    post: str  # file name of the post
    position: int  # 1-based, in post order
    kind: str  # "digest" or "note"
    line: int  # 1-based line of the post where the entry starts
    paper_url: str | None
    title: str | None
    recommender: str | None
    topics: tuple[str, ...]
    section: str | None
    text: str  # title line (when there is one) and prose, markup removed; mention offsets index into it
    code: tuple[str, ...]
    dataset_links: tuple[str, ...]
    venue: Venue | None

    @property
    def paper_iri(self) -> URIRef:
        """The paper's node: from its link, or from post and position when it has none."""
        return paper_iri(self.paper_url, fallback=f"{self.post}#{self.position}")


# --- line shapes ------------------------------------------------------------------------------
# No "[" inside images and links, and no two adjacent optional runs of the same characters:
# that keeps every pattern linear in the length of a line (a 1 MB line parses in well under a second).
_IMAGE = re.compile(r"!\[[^\]\[]*\]\([^)\[]*\)")
_LINK = re.compile(r"\[([^\]\[]*)\]\((https?://[^)\s\[]*)\)")
_URL = re.compile(r"https?://[^\s<>\"'）)\]，。；、]+")
_RECOMMENDER = re.compile(r"^@\s*(?P<user>[^@\s][^@]{0,40}?)\s*推荐$")  # matched with "*" removed
_TOPIC = re.compile(r"^(?:\*\*)?\\?#(?!#)\s*(?P<topic>.+?)(?:\*\*)?$")
_BOLD_LINE = re.compile(r"^\*\*(?P<text>[^*].*?)\*\*$")
_SECTION = re.compile(r"(?:^|文章)\s*\[\s*(?P<name>[^\]\[\d]{1,30}?)\s*\](?!\()")
_LABEL = re.compile(
    r"^(?:\*\*)?(?P<label>论文|源码|代码|项目|数据集|数据)(?:链接|地址|主页)(?:\*\*)?\s*[:：]?\s*(?P<rest>.*)$"
)
_NOTE_FIELD = re.compile(r"^■\s*(?P<field>论文|链接|源码|代码|作者)\s*[|｜]\s*(?P<value>.*?)\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*$")
_PAPERDAILY_LINE = re.compile(r"这是\s*PaperDaily\s*的第")
_NOTE_FROM = re.compile(r"论文笔记来自\s*PaperWeekly\s*社区用户\s*(?:\*\*)?\s*@\s*(?P<user>[^*\s。，,]+)")
_WRITER_BLOCK = re.compile(r"^(?:作者|学校|单位|研究方向)\s*丨")
_ABOUT_WRITER = re.compile(r"^#*\s*(?:\*\*\s*)?关于作者")
_CODE_HOST = re.compile(r"https?://(?:[\w.-]*\.)?(?:github\.com|gitlab\.com|bitbucket\.org|github\.io)/", re.I)

# Where a post's content ends: every line from the first of these on is boilerplate.
_TAIL = re.compile(
    r"本文由\s*AI\s*学术社区|关于\s*PaperWeekly|推\s*荐\s*有\s*礼|点击以下标题查看|投\s*稿\s*通\s*道"
    r"|本期所有入选论文的推荐人|往期推荐|往期回顾"
)
# Lines inside the content that are not part of any entry's prose.
_NOISE = re.compile(
    r"^(?:\*\*)?▲|点击查看大图|如果你对本文工作感兴趣|点击本文底部|在碎片化阅读充斥眼球|在这个栏目里，你会快速"
)

_LABEL_KIND = {"论文": "paper", "源码": "code", "代码": "code", "项目": "code", "数据集": "dataset", "数据": "dataset"}


def clean_markup(line: str) -> str:
    """Markdown line → plain text: images dropped, links to their text, bold and escapes removed.

    >>> clean_markup(r"**本文提出** \\#BERT ![x](http://a/b.png)[论文](http://c)")
    '本文提出 #BERT 论文'
    """
    line = _IMAGE.sub("", line)
    line = _LINK.sub(lambda m: m.group(1) or m.group(2), line)
    line = line.replace("**", "").replace("\\#", "#").replace("\\*", "*").replace("\\_", "_")
    return re.sub(r"[ \t]{2,}", " ", line).strip()


def _recommender(line: str) -> re.Match[str] | None:
    """``**@user 推荐**`` in any of the bold spellings posts use."""
    if "@" not in line or "推荐" not in line:
        return None
    return _RECOMMENDER.match(line.replace("*", "").strip())


def _urls(line: str) -> list[str]:
    return [u.rstrip(".,;") for u in _URL.findall(_IMAGE.sub("", line))]


@dataclass
class _Lines:
    """The post's lines with images removed, and where its content ends."""

    raw: list[str]
    bare: list[str]  # images removed, stripped
    end: int  # index of the first boilerplate tail line (or len)

    @classmethod
    def of(cls, post: Post) -> _Lines:
        raw = post.text.split("\n")
        bare = [(_IMAGE.sub("", r) if "![" in r else r).strip() for r in raw]
        return cls(raw, bare, len(raw))

    def cut_tail(self, after: int) -> None:
        for i in range(after, len(self.bare)):
            if self.bare[i] and _TAIL.search(self.bare[i]):
                self.end = i
                return

    def next_nonempty(self, i: int, stop: int) -> int | None:
        while i < stop and not self.bare[i]:
            i += 1
        return i if i < stop else None

    def prose(self, start: int, stop: int) -> str:
        out = []
        for i in range(start, min(stop, self.end)):
            b = self.bare[i]
            if not b or _NOISE.search(b) or _ABOUT_WRITER.match(b) or _WRITER_BLOCK.match(b):
                continue
            text = clean_markup(b)
            if text and not _URL.fullmatch(text):
                out.append(text)
        return "\n".join(out)


# --- digests ------------------------------------------------------------------------------------
def _digest_entries(post: Post, lines: _Lines) -> list[Entry]:
    recs = [i for i in range(lines.end) if _recommender(lines.bare[i])]
    if not recs:
        return []
    sections = {i: m.group("name") for i in range(lines.end)
                if "[" in lines.bare[i] and (m := _SECTION.search(lines.bare[i]))}
    section_lines = sorted(sections)
    entries: list[Entry] = []
    prev_end = 0
    for k, r in enumerate(recs):
        stop = recs[k + 1] if k + 1 < len(recs) else lines.end
        title, title_line = _title_before(lines, r, prev_end)
        if k + 1 < len(recs):
            _, next_title_line = _title_before(lines, recs[k + 1], r + 1)
            stop = next_title_line if next_title_line is not None else stop
        topics, body_start = _topics_after(lines, r, stop)
        links, body_stop, prev_end = _links_block(lines, body_start, stop)
        above = bisect_left(section_lines, r)
        section = sections[section_lines[above - 1]] if above else None
        summary = lines.prose(body_start, body_stop)
        text = "\n".join(t for t in (title, summary) if t)
        entries.append(Entry(
            source=post.path, post=post.name, position=len(entries) + 1, kind="digest",
            line=(title_line if title_line is not None else r) + 1,
            paper_url=next(iter(links["paper"]), None), title=title,
            recommender=_recommender(lines.bare[r]).group("user").strip(),
            topics=topics, section=section, text=text,
            code=tuple(links["code"]), dataset_links=tuple(links["dataset"]),
            venue=find_venue(summary, title or ""),
        ))
    return entries


def _title_before(lines: _Lines, r: int, floor: int) -> tuple[str | None, int | None]:
    """The bold line right above a recommender line, if there is one."""
    i = r - 1
    while i >= floor and not lines.bare[i]:
        i -= 1
    if i < floor:
        return None, None
    m = _BOLD_LINE.match(lines.bare[i])
    if not m or _recommender(lines.bare[i]) or _TAIL.search(lines.bare[i]):
        return None, None
    title = clean_markup(m.group("text"))
    return (title, i) if title and not _LABEL.match(title) else (None, None)


def _topics_after(lines: _Lines, r: int, stop: int) -> tuple[tuple[str, ...], int]:
    i = lines.next_nonempty(r + 1, stop)
    if i is None:
        return (), r + 1
    m = _TOPIC.match(lines.bare[i])
    if not m:
        return (), i
    parts = [p.strip(" *#\\") for p in re.split(r"\s+\\?#|\\?#\s*", m.group("topic"))]
    return tuple(p for p in parts if p), i + 1


def _links_block(lines: _Lines, start: int, stop: int) -> tuple[dict[str, list[str]], int, int]:
    """Labelled links (论文链接, 源码链接, …) after an entry's prose.

    Returns the links by kind, where the prose stops, and where the entry ends.
    """
    links: dict[str, list[str]] = {"paper": [], "code": [], "dataset": []}
    first = next((i for i in range(start, stop) if _LABEL.match(lines.bare[i])), None)
    if first is None:
        return links, stop, stop
    kind, end = None, first
    for i in range(first, stop):
        b = lines.bare[i]
        if not b:
            continue
        if m := _LABEL.match(b):
            kind = _LABEL_KIND[m.group("label")]
            found = _urls(m.group("rest"))
        elif (found := _urls(b)) and clean_markup(b).startswith(("http", "[")) and kind:
            pass
        else:
            break
        for u in found:
            if u not in links[kind]:
                links[kind].append(u)
        end = i + 1
    return links, first, end


# --- notes --------------------------------------------------------------------------------------
def _note_blocks(lines: _Lines) -> list[tuple[int, int, dict[str, list[str]]]]:
    """Runs of ``■ field | value`` lines: (first line, line after, fields)."""
    blocks: list[tuple[int, int, dict[str, list[str]]]] = []
    i = 0
    while i < lines.end:
        if not _NOTE_FIELD.match(lines.bare[i]):
            i += 1
            continue
        start, fields = i, {}
        while i < lines.end and (not lines.bare[i] or (m := _NOTE_FIELD.match(lines.bare[i]))):
            if lines.bare[i]:
                fields.setdefault(m.group("field"), []).append(m.group("value"))
            i += 1
        if "论文" in fields or "链接" in fields:
            blocks.append((start, i, fields))
    return blocks


def _header_end(lines: _Lines) -> int:
    for i in range(min(lines.end, 80)):
        if _PAPERDAILY_LINE.search(lines.bare[i]):
            return i + 1
    for i in range(min(lines.end, 40)):
        if "阅读原文" in lines.bare[i]:
            return i + 1
    return 1


def _section_above(lines: _Lines, i: int, floor: int) -> tuple[str | None, int]:
    j = i - 1
    while j >= floor and not lines.bare[j]:
        j -= 1
    if j >= floor and (m := _HEADING.match(lines.bare[j])) and not _ABOUT_WRITER.match(lines.bare[j]):
        return clean_markup(m.group("text")), j
    return None, i


def _note_entries(post: Post, lines: _Lines) -> list[Entry]:
    blocks = _note_blocks(lines)
    head = _header_end(lines)
    intro_user = _NOTE_FROM.search(post.text[:8000])
    if not blocks:
        writer = next((i for i in range(head, min(lines.end, head + 40)) if _WRITER_BLOCK.match(lines.bare[i])), None)
        if writer is None:
            return []
        text = "\n".join(t for t in (post.title, lines.prose(head, lines.end)) if t)
        venue = find_venue(post.title or "", text)
        user = intro_user.group("user") if intro_user else None
        return [Entry(post.path, post.name, 1, "note", writer + 1, None, None, user, (), None, text,
                      tuple(_code_urls(lines, head, lines.end)), (), venue)]
    entries: list[Entry] = []
    for k, (start, after, fields) in enumerate(blocks):
        section, section_line = _section_above(lines, start, blocks[k - 1][1] if k else head)
        stop = blocks[k + 1][0] if k + 1 < len(blocks) else lines.end
        if k + 1 < len(blocks):
            stop = _section_above(lines, stop, after)[1]
        intro = lines.prose(head, section_line) if len(blocks) == 1 else ""
        body = lines.prose(after, stop)
        headline = post.title if len(blocks) == 1 else None
        authors = _paper_authors(fields.get("作者", []), intro_user.group("user") if intro_user else None)
        title = clean_markup(fields["论文"][0]) if fields.get("论文") else None
        text = "\n".join(t for t in (headline, title, authors, intro, body) if t)
        paper = next((u for v in fields.get("链接", []) for u in _urls(v)), None)
        code = [u for v in fields.get("源码", []) + fields.get("代码", []) for u in _urls(v)]
        code += [u for u in _code_urls(lines, after, stop) if u not in code]
        author = (fields.get("作者") or [None])[0]
        user = intro_user.group("user") if intro_user and len(blocks) == 1 else author
        venue = find_venue(post.title or "", intro, body) if len(blocks) == 1 else find_venue(body)
        entries.append(Entry(post.path, post.name, k + 1, "note", start + 1, paper, title or None,
                             user or None, (), section, text, tuple(code), (), venue))
    return entries


_NAME = re.compile(r"[A-Z][\w'.\-]*(?: [A-Z][\w'.\-]*){1,3}")


def _paper_authors(values: list[str], writer: str | None) -> str | None:
    """The ``■ 作者`` line as "作者 | …" when it lists the paper's authors, not the note writer.

    >>> _paper_authors(["Rishi Sharma / Shane Barratt"], "TwistedW")
    '作者 | Rishi Sharma / Shane Barratt'
    >>> _paper_authors(["britin"], "britin") is None, _paper_authors(["Gapeng"], None) is None
    (True, True)
    """
    if not values:
        return None
    value = clean_markup(values[0]).strip()
    names = [n.strip() for n in re.split(r"[/,，;；、]", value) if n.strip()]
    if not names or (writer and value.casefold() == writer.casefold()):
        return None
    if not all(_NAME.fullmatch(n) for n in names):
        return None
    return f"作者 | {value}"


def _code_urls(lines: _Lines, start: int, stop: int) -> list[str]:
    found: list[str] = []
    for i in range(start, min(stop, lines.end)):
        for u in _urls(lines.raw[i]):
            if _CODE_HOST.match(u) and u not in found:
                found.append(u)
    return found


# --- the post -----------------------------------------------------------------------------------
def parse_post(post: Post, warnings: list[InputWarning] | None = None) -> tuple[Entry, ...]:
    """All paper entries of a post, in order; :class:`InputError` if it has none.

    When ``warnings`` is a list, what a user should know about the post is appended to it:
    first ``post.warnings`` (from reading it), then entries without a paper link or summary,
    a paper given twice, a post that looks cut short; each names the line its entry starts on.

    >>> from kg.ingest import post_from_bytes
    >>> post = post_from_bytes("2019年01月02日\\n\\n**@ann 推荐**\\n\\n#NLP\\n\\n本文来自清华大学。".encode(), "a.md")
    >>> warnings = []
    >>> [e.recommender for e in parse_post(post, warnings)]
    ['ann']
    >>> for w in warnings: print(w)
    a.md:3: entry at line 3 has no paper link; its paper gets an id from the post and position
    a.md:3: post ends inside the entry at line 3 (no paper link, none of the closing lines such as '关于PaperWeekly'): it looks cut short
    """
    lines = _Lines.of(post)
    first = next((i for i, b in enumerate(lines.bare) if b and (_recommender(b) or _NOTE_FIELD.match(b))), 0)
    lines.cut_tail(first)
    entries = _digest_entries(post, lines) or _note_entries(post, lines)
    if not entries:
        raise InputError(post.path, "no paper entries found (no '**@user 推荐**' or '■ 论文 |' blocks)")
    if warnings is not None:
        warnings.extend(post.warnings)
        warnings.extend(_entry_warnings(post, entries, has_tail=lines.end < len(lines.raw)))
    return tuple(entries)


def _entry_warnings(post: Post, entries: list[Entry], has_tail: bool) -> list[InputWarning]:
    found: list[InputWarning] = []

    def warn(entry: Entry, message: str) -> None:
        found.append(InputWarning(post.path, entry.line, message))

    first_of: dict[str, int] = {}
    for e in entries:
        missing = _missing(e)
        if e.paper_url is None:
            warn(e, f"entry at line {e.line} has no paper link; its paper gets an id from the post and position")
        elif (key := paper_key(e.paper_url)) in first_of:
            warn(e, f"entry at line {e.line} has the same paper link as the entry at line {first_of[key]}")
        else:
            first_of[key] = e.line
        if "summary" in missing and (has_tail or e is not entries[-1]):
            warn(e, f"entry at line {e.line} has no summary")
    last = entries[-1]
    if not has_tail and (missing := _missing(last)):
        warn(last, f"post ends inside the entry at line {last.line} (no {' or '.join(missing)}, none of the "
             "closing lines such as '关于PaperWeekly'): it looks cut short")
    elif not has_tail:
        warn(last, f"none of the closing lines (such as '关于PaperWeekly') after the entry at line {last.line}: "
             "if the post was cut short, entries after it are missing")
    return found


def _missing(entry: Entry) -> list[str]:
    """What an entry cut short lacks: its summary (digests) and paper link."""
    missing = ["summary"] if entry.kind == "digest" and entry.text == (entry.title or "") else []
    return missing + (["paper link"] if entry.paper_url is None else [])


def parse_paths(
    paths: Iterable[str | Path], warnings: list[InputWarning] | None = None
) -> list[tuple[Post, tuple[Entry, ...]]]:
    """Read and parse every post under ``paths``; the first bad post raises :class:`InputError`.

    A post with the same bytes as an earlier one is skipped; ``warnings`` collects what
    :func:`kg.ingest.read_posts` and :func:`parse_post` report.
    """
    return [(post, parse_post(post, warnings)) for post in read_posts(paths, warnings)]
