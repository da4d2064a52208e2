import json
import subprocess
import sys

import pytest

from kg.errors import InputError
from kg.ingest import read_post, read_posts, sample_paths
from kg.parse import clean_markup, parse_post

from conftest import FIXTURES, ROOT


def test_digest_fixture_entries():
    first, second = parse_post(read_post(FIXTURES / "digest-mini.md"))
    assert first.title == "Gradient Harmonized Single-stage Detector"
    assert (first.position, first.kind, first.recommender) == (1, "digest", "alice")
    assert first.topics == ("Object Detection",)
    assert first.section == "计算机视觉"
    assert first.paper_url == "https://www.paperweekly.site/papers/2654"
    assert first.code == ("https://github.com/libuyu/GHM_Detection",)
    assert first.venue.label == "AAAI 2019"
    assert first.text == ("Gradient Harmonized Single-stage Detector\n"
                          "本文是香港中文大学发表于 AAAI 2019 的工作，论文提出梯度均衡机制。")
    assert first.line == 11
    assert second.title is None and second.recommender == "bob"
    assert second.topics == ("Text Classification", "Word Embeddings")
    assert second.code == ("https://github.com/guoyinwang/LEAM",)
    assert second.dataset_links == ("https://example.org/data.html",)
    assert second.venue is None


def test_boilerplate_tail_never_becomes_an_entry():
    entries = parse_post(read_post(FIXTURES / "digest-mini.md"))
    assert [e.paper_url for e in entries] == [
        "https://www.paperweekly.site/papers/2654", "http://www.paperweekly.site/papers/2459"]


def test_note_fixture():
    (note,) = parse_post(read_post(FIXTURES / "note-mini.md"))
    assert (note.kind, note.title, note.recommender) == ("note", "Mask R-CNN", "carol")
    assert note.paper_url == "https://www.paperweekly.site/papers/1234"
    assert note.code == ("https://github.com/facebookresearch/Detectron", "https://github.com/matterport/Mask_RCNN")
    assert note.venue.label == "ICCV 2017"  # from the post title "… | ICCV 2017论文解读"
    assert "浙江大学" not in note.text  # the note writer's school is not the paper's
    assert "本文来自 Facebook AI Research。" in note.text
    assert "往期" not in note.text


def test_post_without_entries_is_an_error(tmp_path):
    empty = tmp_path / "no-entries.md"
    empty.write_text("# 标题 - Paper weekly - CSDN博客\n\n这是 PaperDaily 的第 **3** 篇文章\n\n只有一段话。\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match=r"no-entries\.md: no paper entries found"):
        parse_post(read_post(empty))


def test_clean_markup():
    assert clean_markup(r"**a** \#b ![i](http://x/y.png) [c](https://d)") == "a #b c"


def test_samples_parse():
    entries = [e for p in read_posts(sample_paths()) for e in parse_post(p)]
    assert len(entries) == 11
    aaai = [e.paper_url for e in entries if e.venue and e.venue.label == "AAAI 2019"]
    assert len(aaai) == 3
    assert {e.section for e in entries if e.post == "paperdaily-902-sections.md"} == {
        "自然语言处理", "计算机视觉", "机器学习"}


def test_dev_corpus_entries(dev_dir):
    entries = [e for p in read_posts([dev_dir]) for e in parse_post(p)]
    assert len(entries) == 153
    by_url = {e.paper_url: e for e in entries if e.paper_url}
    ghm = by_url["https://www.paperweekly.site/papers/2654"]
    assert (ghm.venue.label, ghm.code, ghm.recommender) == (
        "AAAI 2019", ("https://github.com/libuyu/GHM_Detection",), "darksoul")
    note = by_url["https://www.paperweekly.site/papers/2182"]
    assert note.recommender == "TwistedW"  # the note writer, not "■ 作者 |" (the paper's authors)
    assert by_url["http://www.paperweekly.site/papers/1008"].venue.status in ("submitted", None)
    survey = [e for e in entries if e.post == "0115_34976265976.md"]
    assert len(survey) == 1 and survey[0].paper_url is None and survey[0].recommender is None


def test_dev_corpus_scores(dev_dir, gold_path, tmp_path):
    """entries, code and topics F1 = 1.00 and venue F1 >= 0.97 with the shared scorer."""
    from click.testing import CliRunner

    from kg.cli import cli

    result = CliRunner().invoke(cli, ["extract", str(dev_dir), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    system = tmp_path / "system.jsonl"
    system.write_text(result.output, encoding="utf-8")
    scorer = gold_path.parent / "score.py"
    out = subprocess.run([sys.executable, str(scorer), str(gold_path), str(system), "--json"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    scores = json.loads(out.stdout)
    assert scores["entries"]["f1"] == 1.0
    assert scores["code"]["f1"] == 1.0
    assert scores["topics"]["f1"] == 1.0
    assert scores["venue"]["f1"] >= 0.97
