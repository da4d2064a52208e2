"""Bad input at the reading and parsing level: each case is one error naming the file (and line),
or a warning naming the file and line, and the good post beside it still parses."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kg.errors import InputError, InputWarning
from kg.ingest import MAX_POST_BYTES, find_posts, is_duplicate, read_post, read_posts
from kg.link import paper_iri
from kg.parse import parse_paths, parse_post

from conftest import FIXTURES

GOOD = (FIXTURES / "digest-mini.md").read_text(encoding="utf-8")  # entries at lines 11 and 29


def _lock(path: Path) -> None:
    """chmod 000, or skip: root (as in CI containers) reads and lists such files anyway."""
    path.chmod(0)
    try:
        os.listdir(path) if path.is_dir() else path.open("rb").close()
    except PermissionError:
        return
    path.chmod(0o755)
    pytest.skip("chmod 000 does not stop this user (root?) from reading; the simulated test covers it")


def read_folder(folder: Path) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """What a build sees: entries per post, the error of each bad post, and the warnings."""
    entries: dict[str, int] = {}
    errors: dict[str, str] = {}
    warnings: list[InputWarning] = []
    seen: dict[str, str] = {}
    for f in find_posts([folder]):
        try:
            post = read_post(f)
            if not is_duplicate(post, seen, warnings):
                entries[f.relative_to(folder).as_posix()] = len(parse_post(post, warnings))
        except InputError as err:
            errors[f.relative_to(folder).as_posix()] = str(err)
    return entries, errors, [str(w) for w in warnings]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding one good post, good.md (two entries)."""
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    return tmp_path


def _bad(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# --- files that are no post: one error each, the good post still parses -----------------------
@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b" \n\r\n\t", "empty file"),
    (b"\xef\xbb\xbf\n", "empty file"),  # only a BOM
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file (contains NUL bytes), not a post"),
    (bytes(range(1, 32)) * 4, "binary file (control characters), not a post"),
    (b"\xff\xfe\xfd\xfc\x81\x30\xff", "neither UTF-8 nor GB18030/GBK text"),
    (bytes(range(0x80, 0x100)) * 4, "neither UTF-8 nor GB18030/GBK text"),
], ids=["empty", "blank", "bom-only", "png", "control", "garbage", "high-bytes"])
def test_unreadable_content(folder, content, message):
    bad = _bad(folder, "bad.md", content)
    assert read_folder(folder) == ({"good.md": 2}, {"bad.md": f"{bad}: {message}"}, [])


def test_post_without_entries(folder):
    bad = _bad(folder, "bad.md", "# 标题\n\n2019年01月02日\n\n只有一段话，没有推荐。\n")
    assert read_folder(folder)[1] == {
        "bad.md": f"{bad}: no paper entries found (no '**@user 推荐**' or '■ 论文 |' blocks)"}


def test_missing_path():
    with pytest.raises(InputError) as err:
        find_posts([Path("no/such/folder")])
    assert str(err.value) == "no/such/folder: no such file or folder"
    with pytest.raises(InputError) as err:
        read_post("no/such/post.md")
    assert str(err.value) == "no/such/post.md: no such file"


def test_folder_with_no_posts(tmp_path):
    (tmp_path / "figure.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(InputError) as err:
        find_posts([tmp_path])
    assert str(err.value) == f"{tmp_path}: folder holds no posts (.md or .txt files)"


def test_a_folder_named_as_a_post(tmp_path):
    with pytest.raises(InputError) as err:
        read_post(tmp_path)
    assert str(err.value) == f"{tmp_path}: is a folder, not a post file"


def test_unreadable_post(folder):
    bad = _bad(folder, "bad.md", GOOD.replace("2654", "2655"))
    _lock(bad)
    try:
        assert read_folder(folder) == ({"good.md": 2}, {"bad.md": f"{bad}: cannot read: Permission denied"}, [])
    finally:
        bad.chmod(0o644)


def test_unreadable_post_simulated(folder, monkeypatch):
    """As root (CI containers) chmod 000 does not stop reading, so the OS error is simulated."""
    bad = _bad(folder, "bad.md", GOOD.replace("2654", "2655"))
    real_open = Path.open

    def open_(self, *args, **kwargs):
        if self == bad:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    assert read_folder(folder) == ({"good.md": 2}, {"bad.md": f"{bad}: cannot read: Permission denied"}, [])


def test_unreadable_folder(folder):
    locked = folder / "locked"
    locked.mkdir()
    _lock(locked)
    try:
        with pytest.raises(InputError) as err:
            find_posts([folder])
        assert str(err.value) == f"{locked}: cannot read folder: Permission denied"
    finally:
        locked.chmod(0o755)


def test_unreadable_folder_simulated(folder, monkeypatch):
    locked = folder / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InputError) as err:
        find_posts([folder])
    assert str(err.value) == f"{locked}: cannot read folder: Permission denied"


def test_50_mb_post_is_refused_unread(folder):
    big = folder / "big.md"
    with big.open("wb") as f:
        f.truncate(50_000_000)  # sparse: nothing is written, and nothing should be read
    start = time.perf_counter()
    entries, errors, _ = read_folder(folder)
    assert time.perf_counter() - start < 1.0
    assert (entries, errors) == ({"good.md": 2}, {"big.md": (
        f"{big}: 50.0 MB is too large for a post: kg reads posts up to 5 MB (PaperDaily posts are under 100 KB)")})


def test_post_just_under_the_limit_is_read(tmp_path):
    post = tmp_path / "long.md"
    post.write_bytes(GOOD.encode() + b"\n" * (MAX_POST_BYTES - len(GOOD.encode())))
    assert len(parse_post(read_post(post))) == 2


# --- encodings -----------------------------------------------------------------------------------
def test_gbk_post_parses_like_utf8(folder):
    _bad(folder, "gbk.md", GOOD.replace("\u25b2", "^").encode("gbk"))
    assert read_folder(folder) == ({"gbk.md": 2, "good.md": 2}, {}, [])
    gbk = parse_post(read_post(folder / "gbk.md"))
    assert [(e.title, e.recommender, e.paper_url, e.venue and e.venue.label) for e in gbk] == [
        ("Gradient Harmonized Single-stage Detector", "alice", "https://www.paperweekly.site/papers/2654",
         "AAAI 2019"),
        (None, "bob", "http://www.paperweekly.site/papers/2459", None)]
    assert read_post(folder / "gbk.md").encoding == "gb18030"


def test_utf16_post_with_bom(folder):
    _bad(folder, "utf16.md", GOOD.replace("2654", "2656").encode("utf-16"))
    assert read_folder(folder) == ({"good.md": 2, "utf16.md": 2}, {}, [])
    assert read_post(folder / "utf16.md").encoding == "utf-16"


def test_damaged_utf8_reads_with_a_warning(folder):
    raw = bytearray(GOOD.replace("2654", "2657").encode())
    at = raw.index("杜克大学".encode())  # line 33
    raw[at + 1] = 0xFF
    bad = _bad(folder, "damaged.md", bytes(raw))
    assert read_folder(folder) == ({"damaged.md": 2, "good.md": 2}, {}, [
        (f"{bad}:33: 3 characters could not be read as UTF-8 and became U+FFFD (the first on this line); "
         "the file may be damaged")])
    assert "本文来自\ufffd\ufffd\ufffd克大学" in parse_post(read_post(bad))[1].text


def test_damaged_gbk_is_an_error(folder):
    """Random high bytes are mostly valid GB18030, so only a GBK post cut at its end is read with bad bytes."""
    raw = bytearray(GOOD.replace("\u25b2", "^").encode("gbk"))
    raw[raw.index("杜克大学".encode("gbk"))] = 0xFF
    bad = _bad(folder, "damaged.md", bytes(raw))
    assert read_folder(folder)[1] == {"damaged.md": f"{bad}: neither UTF-8 nor GB18030/GBK text"}


def test_gbk_post_cut_mid_character(tmp_path):
    raw = GOOD.replace("\u25b2", "^").encode("gbk")
    cut = raw[:raw.index("杜克大学".encode("gbk")) + 1]  # line 33, cut inside 杜
    bad = _bad(tmp_path, "cut.md", cut)
    warnings: list[InputWarning] = []
    assert len(parse_post(read_post(bad), warnings)) == 2
    assert str(warnings[0]) == (
        f"{bad}:33: 1 character could not be read as GB18030/GBK and became U+FFFD (the first on this line); "
        "the file may be damaged")


# --- saved web pages ---------------------------------------------------------------------------
def test_saved_web_page_is_read_as_its_text(folder):
    page = folder / "page.html.md"
    page.write_bytes((FIXTURES / "saved-page.html").read_bytes())
    assert read_folder(folder) == ({"good.md": 2, "page.html.md": 2}, {}, [
        f"{page}: saved web page (HTML), not Markdown: kg reads its text, so line numbers count lines of that text"])
    post = read_post(page)
    assert (post.title, post.number, str(post.published)) == ("网页版迷你周报 | PaperDaily #12", 12, "2019-03-04 10:15:00")
    first, second = parse_post(post)
    assert (first.title, first.recommender, first.topics, first.section, first.paper_url, first.code) == (
        "Attention Is All You Need", "alice", ("Machine Translation",), "自然语言处理",
        "https://arxiv.org/abs/1706.03762", ("https://github.com/tensorflow/tensor2tensor",))
    assert first.text == ("Attention Is All You Need\n本文是 Google Brain & Google Research 发表于 NIPS 2017 的工作，"
                          "论文提出了完全基于注意力机制的 Transformer，在 WMT 2014 英德翻译上取得了 28.4 BLEU。")
    assert first.venue.label == "NeurIPS 2017"
    assert (second.title, second.recommender, second.paper_url, second.code, second.venue.label) == (
        "Deep Residual Learning for Image Recognition", "bob", "https://arxiv.org/abs/1512.03385",
        ("https://github.com/KaimingHe/deep-residual-networks",), "CVPR 2016")
    assert "carol" not in post.text.split("关于PaperWeekly")[0]  # the sidebar comes after the post's tail


@pytest.mark.parametrize("page, message", [
    ("<!DOCTYPE html><html><head><title>登录</title></head><body><form>用户名 密码</form></body></html>",
     "no paper entries found (no '**@user 推荐**' or '■ 论文 |' blocks)"),
    ("<html><body><script>x()</script></body></html>", "saved web page (HTML) without any text"),
    ("<html><body><![foo[ x ]]></body></html>", ("saved web page (HTML) that kg cannot read "
                                                  "(unknown status keyword 'foo' in marked section); save it as Markdown")),
])
def test_web_pages_that_are_no_post(folder, page, message):
    bad = _bad(folder, "bad.md", page)
    assert read_folder(folder)[:2] == ({"good.md": 2}, {"bad.md": f"{bad}: {message}"})


def test_markdown_mentioning_html_is_not_a_web_page():
    post = read_post(FIXTURES / "viz-payload.md")  # a post with <script> and <img> in its text
    assert "<script>" in post.text and post.warnings == ()


# --- duplicates ----------------------------------------------------------------------------------
def test_duplicate_post_is_skipped_with_a_warning(folder):
    _bad(folder, "copy.md", GOOD)
    assert read_folder(folder) == ({"copy.md": 2}, {}, [f"{folder / 'good.md'}: same content as {folder / 'copy.md'}; skipped"])
    warnings: list[InputWarning] = []
    assert [p.name for p in read_posts([folder], warnings)] == ["copy.md"]
    assert len(warnings) == 1
    assert [p.name for p, _ in parse_paths([folder])] == ["copy.md"]


def test_same_file_given_twice_is_read_once(folder):
    assert find_posts([folder, folder / "good.md", folder / "." / "good.md"]) == [folder / "good.md"]


# --- posts that parse, with warnings naming the line -------------------------------------------
def _warnings_of(tmp_path: Path, text: str | bytes) -> list[str]:
    path = _bad(tmp_path, "post.md", text)
    warnings: list[InputWarning] = []
    parse_post(read_post(path), warnings)
    return [str(w).removeprefix(f"{path}:") for w in warnings]


NO_LINK = "entry at line {0} has no paper link; its paper gets an id from the post and position"
CUT_SHORT = ("post ends inside the entry at line 29 (no {}, none of the closing lines such as '关于PaperWeekly'): "
             "it looks cut short")


def test_entries_without_links(tmp_path):
    text = GOOD.replace("https://www.paperweekly.site/papers/2654", "").replace("http://www.paperweekly.site/papers/2459", "暂无")
    assert _warnings_of(tmp_path, text) == ["11: " + NO_LINK.format(11), "29: " + NO_LINK.format(29)]
    entries = parse_post(read_post(tmp_path / "post.md"))
    assert [e.paper_iri for e in entries] == [paper_iri(None, "post.md#1"), paper_iri(None, "post.md#2")]


def _cut(lines: int, chars: int = 0) -> str:
    """The fixture post cut after ``lines`` lines and ``chars`` characters of the next."""
    all_lines = GOOD.split("\n")
    return "\n".join(all_lines[:lines]) + "\n" + all_lines[lines][:chars]


def test_post_cut_after_a_recommender_line(tmp_path):
    assert _warnings_of(tmp_path, _cut(31)) == [
        "29: " + NO_LINK.format(29),
        "29: " + CUT_SHORT.format("summary or paper link")]


def test_post_cut_mid_summary(tmp_path):
    assert _warnings_of(tmp_path, _cut(32, 6)) == [
        "29: " + NO_LINK.format(29),
        "29: " + CUT_SHORT.format("paper link")]


def test_post_cut_mid_character(tmp_path):
    raw = _cut(32, 6).encode()[:-1]
    assert _warnings_of(tmp_path, raw) == [
        "33: 1 character could not be read as UTF-8 and became U+FFFD (the first on this line); the file may be damaged",
        "29: " + NO_LINK.format(29),
        "29: " + CUT_SHORT.format("paper link")]


def test_post_cut_between_entries(tmp_path):
    assert _warnings_of(tmp_path, _cut(38)) == [
        ("29: none of the closing lines (such as '关于PaperWeekly') after the entry at line 29: "
         "if the post was cut short, entries after it are missing")]


def test_entry_without_summary(tmp_path):
    assert _warnings_of(tmp_path, GOOD.replace("本文来自杜克大学，与 CVPR 2017 中的方法做了比较。", "")) == [
        "29: entry at line 29 has no summary"]


def test_same_paper_twice_in_a_post(tmp_path):
    text = GOOD.replace("http://www.paperweekly.site/papers/2459", "http://www.paperweekly.site/papers/2654/")
    assert _warnings_of(tmp_path, text) == ["29: entry at line 29 has the same paper link as the entry at line 11"]


def test_post_without_a_date(tmp_path):
    assert _warnings_of(tmp_path, GOOD.replace("2019年01月02日 09:30:00", "")) == [
        " no date (such as 2019年01月02日) in the post's first lines; its papers get no recommendation date"]


def test_warnings_are_optional(tmp_path):
    assert len(parse_post(read_post(_bad(tmp_path, "post.md", _cut(31))))) == 2


# --- the real posts ------------------------------------------------------------------------------
def test_dev_corpus_reads_with_one_warning(dev_dir):
    """All 27 posts parse; the only warning is the survey note, which has no paper link."""
    warnings: list[InputWarning] = []
    parsed = parse_paths([dev_dir], warnings)
    assert (len(parsed), sum(len(entries) for _, entries in parsed)) == (27, 153)
    assert warnings == [InputWarning(str(dev_dir / "0115_34976265976.md"), 39, NO_LINK.format(39))]
