from datetime import datetime

import pytest

from kg.errors import InputError
from kg.ingest import find_posts, read_post, sample_paths

from conftest import FIXTURES


def test_reads_header_of_fixture():
    post = read_post(FIXTURES / "digest-mini.md")
    assert post.title == "测试用的迷你周报 | PaperDaily #7"
    assert post.published == datetime(2019, 1, 2, 9, 30)
    assert post.number == 7
    assert post.encoding == "utf-8"
    assert len(post.sha256) == 64


def test_gbk_post_reads_like_utf8(tmp_path):
    text = (FIXTURES / "digest-mini.md").read_text(encoding="utf-8")
    gbk = tmp_path / "gbk.md"
    gbk.write_bytes(text.replace("\u25b2", "^").encode("gbk"))
    post = read_post(gbk)
    assert post.encoding == "gb18030"
    assert post.title == "测试用的迷你周报 | PaperDaily #7"


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty file"), (b"  \n\n", "empty file"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
     (b"\xff\xfe\xfd\xfc\x81\x30\xff", "neither UTF-8 nor GB18030")],
)
def test_unreadable_files_name_the_file(tmp_path, content, message):
    bad = tmp_path / "bad.md"
    bad.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_post(bad)
    assert str(err.value).startswith(f"{bad}: ")
    assert message in str(err.value)


def test_find_posts_recurses_and_sorts(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("b/2.md", "a.txt", "b/1.txt", "skip.png", ".hidden.md"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in find_posts([tmp_path])]
    assert found == ["a.txt", "b/1.txt", "b/2.md"]


def test_find_posts_takes_linked_posts_but_does_not_enter_linked_folders(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "1.md").write_text("x", encoding="utf-8")
    (tmp_path / "b" / "loop").symlink_to(tmp_path, target_is_directory=True)  # would never end
    (tmp_path / "2.md").symlink_to(tmp_path / "b" / "1.md")
    (tmp_path / "3.md").symlink_to(tmp_path / "nowhere.md")  # a broken link is no post
    found = [p.relative_to(tmp_path).as_posix() for p in find_posts([tmp_path])]
    assert found == ["2.md"] or found == ["b/1.md"]  # one file reached twice is read once
    assert len(find_posts([tmp_path / "b" / "loop" / "b"])) == 1  # a link given by name is followed


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        find_posts([tmp_path / "nope"])
    with pytest.raises(InputError, match="folder holds no posts"):
        find_posts([tmp_path])


def test_samples_ship_with_the_package():
    names = [p.name for p in sample_paths()]
    assert names == ["paperdaily-901-digest.md", "paperdaily-902-sections.md", "paperdaily-903-note.md"]


def test_dev_corpus_headers(dev_dir):
    posts = {p.name: read_post(p) for p in find_posts([dev_dir])}
    assert len(posts) == 27
    assert posts["0027_34208118463.md"].number == 27  # body line wins over the title's "#26"
    assert posts["0001_34762375779.md"].number == 1
    assert posts["000_264c2ff0198d3c50.txt"].published == datetime(2018, 12, 21, 15, 7, 6)
    assert posts["0086_34167072057.md"].title == "COLING 2018 最佳论文解读：序列标注经典模型复现"
    assert all(p.published for p in posts.values())
