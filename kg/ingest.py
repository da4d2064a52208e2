"""Find post files, decode them (UTF-8, GB18030/GBK or UTF-16), turn saved web pages into text
and read the post header. Whatever cannot be a post is an :class:`~kg.errors.InputError` naming
the file; what a user should know about a post that can be read is in ``Post.warnings``.

>>> post = read_post(sample_paths()[0])
>>> post.encoding, post.number is not None
('utf-8', True)
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path, PurePath
from typing import Iterable, Iterator

from kg.errors import InputError, InputWarning

__all__ = [
    "Post", "POST_SUFFIXES", "MAX_POST_BYTES", "find_posts", "read_post", "read_posts", "post_from_bytes",
    "decode", "page_text", "is_duplicate", "sample_paths",
]

POST_SUFFIXES = (".md", ".txt")
# Real PaperDaily posts are under 100 KB; a file this big is not one post, and extracting it
# would take minutes, so it is refused before it is read.
MAX_POST_BYTES = 5_000_000
_NEARLY_ALL = 10  # decode with U+FFFD when there are ≥ 10 good non-ASCII characters per bad one
# (GBK Chinese read as UTF-8 has about 0.1 good per bad one)

_TITLE = re.compile(r"^#\s+(.+?)\s*$")
_TITLE_SUFFIX = re.compile(r"\s*-\s*Paper\s*weekly\s*-\s*CSDN.*$", re.I)
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_NUMBER = re.compile(r"这是\s*PaperDaily\s*的第\s*\**\s*(\d+)\s*\**\s*篇")
_TITLE_NUMBER = re.compile(r"PaperDaily\s*\\?#\s*(\d+)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HTML = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>/]", re.I | re.S)
_WEB_LINK = re.compile(r"https?://[^\s()<>\[\]]+", re.I)
_LINK_TEXT = re.compile(r"[^\[\]\n]+")


@dataclass(frozen=True)
class Post:
    """One post file as read from disk, with its header metadata."""

    path: str  # as given by the user; used in messages and as the entries' source
    name: str  # file name
    text: str  # decoded text with "\n" line ends
    encoding: str  # "utf-8", "gb18030" or "utf-16"
    sha256: str  # of the raw bytes
    title: str | None
    published: datetime | None
    number: int | None  # PaperDaily number
    warnings: tuple[InputWarning, ...] = ()  # found while reading: bad bytes, HTML, no date


def decode(raw: bytes, path: str, warnings: list[InputWarning] | None = None) -> tuple[str, str]:
    """Return (text with "\\n" line ends, encoding); :class:`InputError` for empty, binary or
    undecodable bytes.

    UTF-8 (with or without BOM), GB18030 (a superset of GBK and GB2312) and UTF-16 with a BOM
    are read. Text that is nearly all good UTF-8, or cut in the middle of its last character, is
    read with U+FFFD for the bad bytes and a warning naming the line of the first.

    >>> decode("论文链接".encode("gbk"), "a.md")
    ('论文链接', 'gb18030')
    >>> ws = []
    >>> decode("论文链接\\n源码".encode()[:-1], "a.md", ws)[0]
    '论文链接\\n源\\ufffd'
    >>> print(ws[0])
    a.md:2: 1 character could not be read as UTF-8 and became U+FFFD (the first on this line); the file may be damaged
    """
    if not raw.strip():
        raise InputError(path, "empty file")
    text = encoding = None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if text is None:
        if b"\x00" in raw:
            raise InputError(path, "binary file (contains NUL bytes), not a post")
        text, encoding = _decode_8bit(raw, path, warnings)
    if len(_CONTROL.findall(text[:65536])) > 8:
        raise InputError(path, "binary file (control characters), not a post")
    text = _newlines(text)
    if not text.strip():
        raise InputError(path, "empty file")
    return text, encoding


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_8bit(raw: bytes, path: str, warnings: list[InputWarning] | None) -> tuple[str, str]:
    """Strict UTF-8, nearly-all UTF-8, strict GB18030, in that order; either cut at the end.

    Damaged UTF-8 often decodes as GB18030 without error, into nonsense, so UTF-8 with a few
    bad bytes comes first (GBK text is never nearly all UTF-8). Random high bytes are mostly
    valid GB18030, so GB18030 is only read with bad bytes when its last character is cut.
    """
    without_bom = raw.removeprefix(codecs.BOM_UTF8)
    for data, name in ((without_bom, "utf-8"), (raw, "gb18030")):
        try:
            return data.decode(name), name
        except UnicodeDecodeError as err:
            first_bad = err.start
        text = data.decode(name, "replace")
        bad = text.count("\ufffd") - data.count("\ufffd".encode(name))
        non_ascii = len(text) - len(text.encode("ascii", "ignore"))
        cut_short = bad == 1 and first_bad >= len(data) - 4  # the last character cut in two
        nearly_all = name == "utf-8" and bad * _NEARLY_ALL <= non_ascii - bad
        if 0 < bad and (cut_short or nearly_all):
            line = _newlines(data[:first_bad].decode(name)).count("\n") + 1
            label = "UTF-8" if name == "utf-8" else "GB18030/GBK"
            _warn(warnings, path, line, f"{bad} character{'s' if bad > 1 else ''} could not be read as "
                  f"{label} and became U+FFFD (the first on this line); the file may be damaged")
            return text, name
    raise InputError(path, "neither UTF-8 nor GB18030/GBK text")


def _warn(warnings: list[InputWarning] | None, path: str, line: int | None, message: str) -> None:
    if warnings is not None:
        warnings.append(InputWarning(path, line, message))


class _PageText(HTMLParser):
    """A saved web page's text in the Markdown shapes posts use: ``**bold**``, ``# headings``,
    ``[text](url)``, one line per block; scripts, styles and images dropped."""

    _BLOCK = frozenset(
        "address article aside blockquote dd div dl dt figcaption figure footer form header hr li "
        "main nav ol p pre section table tbody td tfoot th thead tr ul".split())
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg"})
    _HEADING = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.title: list[str] = []
        self.links: list[tuple[str, int]] = []  # (href, where in out its text starts)
        self.skip = self.pre = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "br":
            self.out.append("\n")
        elif tag in self._HEADING:
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self._BLOCK:
            self.out.append("\n\n")
            self.pre += tag == "pre"
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "title":
            self.in_title = False
        elif tag in self._HEADING or tag in self._BLOCK:
            self.out.append("\n\n")
            self.pre = max(0, self.pre - (tag == "pre"))
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            if _WEB_LINK.fullmatch(href):
                text = "".join(self.out[start:]).strip()
                if not text or text == href:
                    self.out[start:] = [href]
                else:
                    self.out[start:] = [f"[{text}]({href})" if _LINK_TEXT.fullmatch(text) else f"{text} {href}"]

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skip:
            self.out.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.out).split("\n")]
        body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        title = re.sub(r"\s+", " ", "".join(self.title)).strip()
        return f"# {title}\n\n{body}\n" if title else body + "\n"


def page_text(html: str, path: str) -> str:
    """The text of a saved web page (HTML), in the Markdown shapes the parser reads.

    >>> page_text("<html><title>T</title><p><b>@ann 推荐</b></p><p><a href='https://x.org/1'>论文</a>", "a.html")
    '# T\\n\\n**@ann 推荐**\\n\\n[论文](https://x.org/1)\\n'
    """
    parser = _PageText()
    try:
        parser.feed(html)
        parser.close()
    except Exception as err:  # noqa: BLE001 (html.parser raises AssertionError on malformed "<![" markup)
        reason = " ".join(str(err).split())[:200]
        raise InputError(path, f"saved web page (HTML) that kg cannot read ({reason}); save it as Markdown") from None
    return parser.text()


def _header(text: str) -> tuple[str | None, datetime | None, int | None]:
    head = text[:4000]
    title = None
    for line in head.split("\n"):
        if m := _TITLE.match(line):
            title = _TITLE_SUFFIX.sub("", m.group(1)).strip() or None
            break
        if line.strip():
            break
    published = None
    if m := _DATE.search(head):
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        try:
            published = datetime(y, mo, d, h, mi, s)
        except ValueError:
            published = None
    number = None
    if m := _NUMBER.search(head):
        number = int(m.group(1))
    elif title and (m := _TITLE_NUMBER.search(title)):
        number = int(m.group(1))
    return title, published, number


def read_post(path: str | Path) -> Post:
    """Read and decode one post file; posts over :data:`MAX_POST_BYTES` are refused unread."""
    try:
        with Path(path).open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_POST_BYTES:
                raise InputError(str(path), _too_large(size))
            raw = f.read(MAX_POST_BYTES + 1)  # bounded also when the size is unknown (a pipe)
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a folder, not a post file") from None
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from None
    if len(raw) > MAX_POST_BYTES:
        raise InputError(str(path), _too_large(len(raw)))
    return post_from_bytes(raw, str(path))


def _too_large(size: int) -> str:
    return (f"{size / 1e6:.1f} MB is too large for a post: kg reads posts up to "
            f"{MAX_POST_BYTES / 1e6:.0f} MB (PaperDaily posts are under 100 KB)")


def post_from_bytes(raw: bytes, path: str) -> Post:
    """A post from its bytes: decoded, a saved web page turned into text, header read.

    What the reader should know (bad bytes, HTML, no date) is in ``Post.warnings``.

    >>> post = post_from_bytes("# 标题\\n\\n2019年01月02日 09:30:00".encode(), "a.md")
    >>> post.title, post.published.year, post.warnings
    ('标题', 2019, ())
    """
    warnings: list[InputWarning] = []
    text, encoding = decode(raw, path, warnings)
    if _HTML.match(text[:4096]):
        text = page_text(text, path)
        if not text.strip():
            raise InputError(path, "saved web page (HTML) without any text")
        _warn(warnings, path, None, "saved web page (HTML), not Markdown: kg reads its text, "
              "so line numbers count lines of that text")
    title, published, number = _header(text)
    if published is None:
        _warn(warnings, path, None, "no date (such as 2019年01月02日) in the post's first lines; "
              "its papers get no recommendation date")
    return Post(path, PurePath(path).name, text, encoding, hashlib.sha256(raw).hexdigest(),
                title, published, number, tuple(warnings))


def find_posts(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively) into post files, sorted within each folder.

    A named file is taken whatever its suffix; in folders only ``.md`` and ``.txt`` count,
    and hidden files and folders are left out.
    """
    found: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            inside = _posts_in(p)
            if not inside:
                raise InputError(str(path), "folder holds no posts (.md or .txt files)")
            found.extend(inside)
        elif p.exists():
            found.append(p)
        else:
            raise InputError(str(path), "no such file or folder")
    seen: set[tuple[int, int]] = set()  # (device, inode): a file reached twice is read once
    unique = []
    for f in found:
        st = f.stat()
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            unique.append(f)
    return unique


def _posts_in(folder: Path) -> list[Path]:
    """The post files under ``folder``, hidden ones left out. The directory entries say which are
    regular files, so only symbolic links cost a stat (10,000 posts: 10,000 calls fewer)."""
    found: list[str] = []
    todo = [str(folder)]
    while todo:
        current = todo.pop()
        try:
            with os.scandir(current) as entries:
                for e in entries:
                    if e.name.startswith("."):
                        continue
                    if e.is_dir(follow_symlinks=False):  # (as os.walk: a linked folder is not entered)
                        todo.append(e.path)
                    elif os.path.splitext(e.name)[1].lower() in POST_SUFFIXES and e.is_file():
                        found.append(e.path)
        except OSError as err:
            raise InputError(err.filename or current, f"cannot read folder: {err.strerror or err}") from None
    return [Path(f) for f in sorted(found)]


def is_duplicate(post: Post, seen: dict[str, str], warnings: list[InputWarning] | None = None) -> bool:
    """True when ``post`` has the same bytes as an earlier post: skip it; a warning says so.

    ``seen`` (start with ``{}``) maps the content hash of each post so far to its path.

    >>> seen, warnings = {}, []
    >>> [is_duplicate(read_post(p), seen, warnings) for p in sample_paths() * 2]
    [False, False, False, True, True, True]
    """
    if post.sha256 in seen:
        _warn(warnings, post.path, None, f"same content as {seen[post.sha256]}; skipped")
        return True
    seen[post.sha256] = post.path
    return False


def read_posts(paths: Iterable[str | Path], warnings: list[InputWarning] | None = None) -> Iterator[Post]:
    """Read every post under ``paths`` (see :func:`find_posts`), skipping repeats (:func:`is_duplicate`)."""
    seen: dict[str, str] = {}
    for f in find_posts(paths):
        post = read_post(f)
        if not is_duplicate(post, seen, warnings):
            yield post


def sample_paths() -> list[Path]:
    """The sample posts that ship with kg (written for kg about real papers)."""
    root = files("kg") / "samples"
    return sorted(
        Path(str(f)) for f in root.iterdir()
        if f.name.endswith(POST_SUFFIXES) and not f.name.startswith("README")
    )
