"""jieba's tokenizer for kg's segmenter (kg/extract.py), with its dictionary loaded lazily.

A fresh process that extracts one post (a one-post ``kg build``) would spend half a second
loading jieba's whole dictionary; this one loads only the part the texts it cuts need, from a
cache file that it writes once (``$XDG_CACHE_HOME/kg/jieba.marshal``), and cuts exactly as jieba
does (tests/test_extract.py).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import zlib


def _import_jieba():
    """jieba, imported without setuptools' pkg_resources: jieba/_compat.py takes it only to open
    its own data files, and falls back to a plain ``open`` without it. Importing pkg_resources
    took 0.12 s of the extraction pipeline's start (and warns that it is deprecated)."""
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
    try:
        import jieba
    finally:
        if blocked:
            del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
Tokenizer = jieba.Tokenizer

__all__ = ["Tokenizer", "zh_tokenizer"]

jieba.setLogLevel(60)

_ZH_WORD_FREQ = 20000  # jieba's frequency for kg's words: enough to keep a name whole


class _LazyJieba(jieba.Tokenizer):
    """A jieba tokenizer whose dictionary loads one first character at a time.

    ``jieba.Tokenizer().initialize()`` unmarshals ~498k prefixes (about 0.5 s, on the critical
    path of a one-post ``kg build``), yet cutting a text only looks up substrings of it: the
    entries whose first character is in the text suffice. ``FREQ`` stays a plain dict; before
    each cut it gets the parts of the cache file (:func:`zh_tokenizer`) for the text's new characters.
    """

    def __init__(self, parts: memoryview, index: dict[str, tuple[int, int]], total: int):
        super().__init__()
        self.total, self.initialized = total, True  # jieba never loads its own dictionary
        self._parts, self._index, self._loaded = parts, index, set()

    def _load(self, text: str) -> None:
        new = set(text) - self._loaded
        for ch in new:
            if ch in self._index:
                at, n = self._index[ch]
                self.FREQ.update(marshal.loads(self._parts[at:at + n]))
        self._loaded |= new

    def cut(self, sentence, *args, **kwargs):
        self._load(sentence)
        return super().cut(sentence, *args, **kwargs)

    def add_word(self, word, freq=None, tag=None):
        self._load(word[:1])  # so that a later load cannot overwrite the word
        super().add_word(word, freq, tag)


def _jieba_cache(words: list[str]) -> tuple[str, str]:
    """The cache file's path and the key of what it must hold: jieba, its dictionary, kg's words."""
    dict_path = os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME)
    st = os.stat(dict_path)
    h = hashlib.sha256(f"{jieba.__version__} {marshal.version} {dict_path} {st.st_size} {st.st_mtime_ns}"
                       .encode())
    h.update("".join(f"\n{w} {_ZH_WORD_FREQ}" for w in words).encode())
    folder = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(folder, "kg", "jieba.marshal"), h.hexdigest()


def zh_tokenizer(words: list[str]) -> jieba.Tokenizer:
    """jieba's tokenizer with ``words`` added: lazy from the cache file, else fully loaded.

    The file is the CRC-32 of the rest (4 bytes), ``len(head)`` (8 bytes), ``head = marshal((key,
    total, index))`` and the parts: for each first character, the marshalled dict of its ``FREQ``
    entries, at ``index[char] = (offset, length)``. Failing to read or write it only costs time.
    """
    path = key = None
    try:
        path, key = _jieba_cache(words)
        with open(path, "rb") as f:
            data = memoryview(f.read())
        if zlib.crc32(data[4:]) == int.from_bytes(data[:4], "little"):
            n = int.from_bytes(data[4:12], "little")
            file_key, total, index = marshal.loads(data[12:12 + n])
            if file_key == key:
                return _LazyJieba(data[12 + n:], index, total)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    tok = jieba.Tokenizer()
    tok.initialize()
    for w in words:
        tok.add_word(w, _ZH_WORD_FREQ)
    if path:
        _write_jieba_cache(path, key, tok)
    return tok


def _write_jieba_cache(path: str, key: str, tok: jieba.Tokenizer) -> None:
    by_char: dict[str, dict[str, int]] = {}
    for w, freq in tok.FREQ.items():
        by_char.setdefault(w[:1], {})[w] = freq
    parts, index, at = [], {}, 0
    for ch, entries in by_char.items():
        parts.append(marshal.dumps(entries))
        index[ch] = (at, len(parts[-1]))
        at += len(parts[-1])
    head = marshal.dumps((key, tok.total, index))
    rest = len(head).to_bytes(8, "little") + head + b"".join(parts)
    try:  # a temporary file renamed into place: a concurrent reader never sees half a file
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".jieba-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(zlib.crc32(rest).to_bytes(4, "little") + rest)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
