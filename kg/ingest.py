"""Find post files, decode them (UTF-8 or GB18030/GBK) and read the post header.

>>> post = read_post(sample_paths()[0])
>>> post.encoding, post.number is not None
('utf-8', True)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Iterable, Iterator

from kg.errors import InputError

__all__ = ["Post", "POST_SUFFIXES", "find_posts", "read_post", "read_posts", "decode", "sample_paths"]

POST_SUFFIXES = (".md", ".txt")

_TITLE = re.compile(r"^#\s+(.+?)\s*$")
_TITLE_SUFFIX = re.compile(r"\s*-\s*Paper\s*weekly\s*-\s*CSDN.*$", re.I)
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_NUMBER = re.compile(r"这是\s*PaperDaily\s*的第\s*\**\s*(\d+)\s*\**\s*篇")
_TITLE_NUMBER = re.compile(r"PaperDaily\s*\\?#\s*(\d+)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Post:
    """One post file as read from disk, with its header metadata."""

    path: str  # as given by the user; used in messages and as the entries' source
    name: str  # file name
    text: str  # decoded text with "\n" line ends
    encoding: str  # "utf-8" or "gb18030"
    sha256: str  # of the raw bytes
    title: str | None
    published: datetime | None
    number: int | None  # PaperDaily number


def decode(raw: bytes, path: str) -> tuple[str, str]:
    """Return (text, encoding); raise :class:`InputError` for binary or unknown encodings."""
    if not raw.strip():
        raise InputError(path, "empty file")
    if b"\x00" in raw[:65536]:
        raise InputError(path, "binary file (contains NUL bytes), not a post")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text[:65536])) > 8:
            raise InputError(path, "binary file (control characters), not a post")
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding.removesuffix("-sig")
    raise InputError(path, "neither UTF-8 nor GB18030/GBK text")


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
    """Read and decode one post file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a folder, not a post file") from None
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from None
    text, encoding = decode(raw, str(path))
    title, published, number = _header(text)
    return Post(str(path), p.name, text, encoding, hashlib.sha256(raw).hexdigest(), title, published, number)


def find_posts(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively) into post files, sorted within each folder.

    A named file is taken whatever its suffix; in folders only ``.md`` and ``.txt`` count.
    """
    found: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            inside = sorted(
                f for f in p.rglob("*")
                if f.suffix.lower() in POST_SUFFIXES and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not inside:
                raise InputError(str(path), "folder holds no posts (.md or .txt files)")
            found.extend(inside)
        elif p.exists():
            found.append(p)
        else:
            raise InputError(str(path), "no such file or folder")
    seen: set[Path] = set()
    return [f for f in found if not (f.resolve() in seen or seen.add(f.resolve()))]


def read_posts(paths: Iterable[str | Path]) -> Iterator[Post]:
    """Read every post under ``paths`` (see :func:`find_posts`)."""
    for f in find_posts(paths):
        yield read_post(f)


def sample_paths() -> list[Path]:
    """The sample posts that ship with kg (written for kg about real papers)."""
    root = files("kg") / "samples"
    return sorted(
        Path(str(f)) for f in root.iterdir()
        if f.name.endswith(POST_SUFFIXES) and not f.name.startswith("README")
    )
