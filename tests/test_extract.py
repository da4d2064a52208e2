"""Extraction: the spaCy pipeline, templates, patterns, linking, and the scorer on the dev corpus."""

from __future__ import annotations

import json

import jieba
import pytest
import spacy
from click.testing import CliRunner

from kg.cli import cli
from kg.extract import PIPELINE, Segmenter, _build_scanner, extract_text, make_nlp, nlp
from kg.gazetteer import TYPES, gazetteer
from kg.jiebadict import _LazyJieba, zh_tokenizer



def found(text: str, type_: str, kind: str = "digest", title: str | None = None) -> list[tuple[str, str]]:
    return [(m.text, m.label) for m in extract_text(text, kind, title) if m.type == type_]


# ------------------------------------------------------------------ the pipeline

def test_pipeline_is_blank_chinese_with_registered_parts():
    pipe = make_nlp()
    assert pipe.lang == "zh" and pipe.pipe_names == list(PIPELINE)
    assert isinstance(pipe.tokenizer, Segmenter)
    assert "kg.segmenter.v1" in spacy.registry.tokenizers.get_all()
    assert all(name in spacy.registry.factories.get_all() or pipe.has_factory(name) for name in PIPELINE)


@pytest.mark.parametrize("text", [
    "本文是清华大学和 Vision Semantics 发表于 CVPR 2018 的工作。\n\n  两个空格  后",
    "ＡＢＣ全角　空格 tab\there", "", "😀 emoji 北大西洋", "a" * 3 + "\n",
])
def test_segmenter_keeps_the_text(text):
    doc = nlp().make_doc(text)
    assert doc.text == text


def test_spans_carry_types_and_iris():
    doc = nlp()("本文来自清华大学，提出了 ZetaNet 模型，在 CIFAR-10 上测试准确率。")
    spans = {(s.text, s.label_) for s in doc.spans["kg"]}
    assert {("清华大学", "institution"), ("ZetaNet", "method"), ("CIFAR-10", "dataset"),
            ("准确率", "metric")} <= spans
    assert {s.kb_id_ for s in doc.spans["kg"] if s.text == "清华大学"} == {
        "https://w3id.org/paperweekly-kg/id/org/tsinghua-university"}


# ------------------------------------------------------------------ jieba's dictionary, lazily

ZH_WORDS = ["微软亚洲研究院", "旷视科技", "清华", "北大", "图灵猫科技"]  # curated names, and one made up
CUT_TEXTS = ["本文是微软亚洲研究院和旷视科技联合发表的工作", "清华大学与北大的研究团队", "图灵猫科技提出了一种新方法",
             "北大西洋的天气数据", "基于深度学习的目标检测任务", "张三丰教授和吴恩达老师", "一二三四五六七八九十",
             "乒乓球拍卖完了", "南京市长江大桥", "结婚的和尚未结婚的", "我们提出的模型在数据集上取得了最好的结果"]


@pytest.fixture(scope="module")
def full_jieba():
    tok = jieba.Tokenizer()
    tok.initialize()
    for w in ZH_WORDS:
        tok.add_word(w, 20000)
    return tok


@pytest.fixture
def cache_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "kg" / "jieba.marshal"


def cuts(tok) -> list[list[str]]:
    return [tok.lcut(text, HMM=hmm) for text in CUT_TEXTS + ["".join(CUT_TEXTS)] for hmm in (True, False)]


def test_lazy_jieba_cuts_like_the_full_dictionary(cache_file, full_jieba):
    cold = zh_tokenizer(ZH_WORDS)  # a miss: fully loaded, and the cache is written
    assert not isinstance(cold, _LazyJieba) and cache_file.exists()
    warm = zh_tokenizer(ZH_WORDS)
    assert isinstance(warm, _LazyJieba) and warm.total == full_jieba.total
    assert cuts(warm) == cuts(cold) == cuts(full_jieba)
    assert "微软亚洲研究院" in warm.lcut("本文是微软亚洲研究院的工作")
    assert 0 < len(warm.FREQ) < len(full_jieba.FREQ) / 4  # only what those texts need
    warm._load("".join(warm._index))
    assert warm.FREQ == full_jieba.FREQ


def test_lazy_jieba_with_kgs_own_words(cache_file):
    full, lazy = _build_scanner(gazetteer()).jieba, _build_scanner(gazetteer()).jieba
    assert isinstance(lazy, _LazyJieba) and not isinstance(full, _LazyJieba)
    assert full.FREQ.get("清华大学") == 20000  # a curated institution kg adds
    text = "本文是清华大学和微软亚洲研究院发表于 CVPR 2018 的工作，旷视科技团队与北大合作。"
    assert lazy.lcut(text) == full.lcut(text) and "清华大学" in lazy.lcut(text)
    assert cuts(lazy) == cuts(full)


@pytest.fixture(scope="module")
def cache_bytes(tmp_path_factory) -> bytes:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(home := tmp_path_factory.mktemp("cache")))
        zh_tokenizer(ZH_WORDS)
        return (home / "kg" / "jieba.marshal").read_bytes()


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2], lambda b: b"not a cache" * 100,
    lambda b: b[:6] + bytes([b[6] ^ 1]) + b[7:], lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:],
], ids=["truncated", "garbage", "flipped-length-byte", "flipped-index-byte"])
def test_a_damaged_cache_falls_back_to_the_full_dictionary(cache_file, cache_bytes, full_jieba, damage):
    cache_file.parent.mkdir()
    cache_file.write_bytes(cache_bytes)
    assert isinstance(zh_tokenizer(ZH_WORDS), _LazyJieba)
    cache_file.write_bytes(damage(cache_bytes))
    tok = zh_tokenizer(ZH_WORDS)
    assert not isinstance(tok, _LazyJieba) and cuts(tok) == cuts(full_jieba)
    assert isinstance(zh_tokenizer(ZH_WORDS), _LazyJieba)  # and it was written again


def test_an_unwritable_cache_folder_only_costs_time(tmp_path, monkeypatch, full_jieba):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    tok = zh_tokenizer(ZH_WORDS)
    assert not isinstance(tok, _LazyJieba) and cuts(tok) == cuts(full_jieba)


def test_the_cache_is_rebuilt_when_its_key_changes(cache_file, monkeypatch):
    zh_tokenizer(["图灵猫科技"])
    before = cache_file.read_bytes()
    tok = zh_tokenizer(["图灵猫科技", "甲乙丙丁"])  # another word list
    assert not isinstance(tok, _LazyJieba) and cache_file.read_bytes() != before
    lazy = zh_tokenizer(["图灵猫科技", "甲乙丙丁"])
    assert isinstance(lazy, _LazyJieba) and lazy.lcut("甲乙丙丁") == ["甲乙丙丁"]
    monkeypatch.setattr(jieba, "__version__", "0.0.0")  # another jieba
    assert not isinstance(zh_tokenizer(["图灵猫科技", "甲乙丙丁"]), _LazyJieba)
    assert isinstance(zh_tokenizer(["图灵猫科技", "甲乙丙丁"]), _LazyJieba)


# ------------------------------------------------------------------ institutions

@pytest.mark.parametrize("text,expected", [
    ("本文是浙江大学和阿里巴巴发表于 KDD 2019 的工作。", {"Zhejiang University", "Alibaba Group"}),
    ("本文是 Tencent AI Lab 与复旦大学联合发表于 ACL 2019 的论文。", {"Tencent AI Lab", "Fudan University"}),
    ("这是一篇来自 Google Brain 和多伦多大学的论文。", {"Google Brain", "University of Toronto"}),
    ("本文来自 Face++，论文提出了一种检测器。", {"Megvii"}),
    ("微软亚洲研究院团队提出了一种新的预训练方法。", {"Microsoft Research Asia"}),
    ("本文是北大发表于 ACL 2018 的工作。", {"Peking University"}),
])
def test_affiliation_templates(text, expected):
    assert {label for _, label in found(text, "institution")} == expected


def test_organisations_no_gazetteer_lists_get_a_stable_iri():
    first = [m for m in extract_text("本文来自 Quux Robotics 和清华大学。") if m.type == "institution"]
    again = [m for m in extract_text("本文是 Quux  Robotics 发表于 ICML 2019 的工作。") if m.type == "institution"]
    quux = next(m for m in first if m.text == "Quux Robotics")
    assert quux.rule == "affiliation-template" and not quux.entity.curated
    assert quux.iri == next(m for m in again if "Quux" in m.text).iri
    zh = found("本文是图灵猫科技发表于 AAAI 2019 的工作。", "institution")
    assert zh == [("图灵猫科技", "图灵猫科技")]


def test_word_boundaries_in_mixed_text():
    # MIT is not matched inside MITRE (which the template finds as an organisation of its own)
    assert found("本文来自 MITRE 和 MIT。", "institution") == [
        ("MITRE", "MITRE"), ("MIT", "Massachusetts Institute of Technology")]
    assert found("北大西洋的天气数据由本文提出的方法分析。", "institution") == []


def test_only_the_papers_own_institutions():
    text = "本文是清华大学发表于 ACL 2018 的工作，效果优于 Google 的方法，本文是 Reddit 推荐的热文。"
    assert found(text, "institution") == [("清华大学", "Tsinghua University")]
    # a digest that names a company outside any affiliation sentence
    assert found("作者在淘宝和京东的日志上做了实验。", "institution") == []


def test_one_thing_one_node():
    g = gazetteer()
    tsinghua = {g.lookup("institution", s).iri for s in ("清华大学", "清华", "Tsinghua University", "THU")}
    assert len(tsinghua) == 1
    assert g.lookup("institution", "旷视科技").iri == g.lookup("institution", "Face++").iri
    assert g.lookup("institution", "微软亚洲研究院").parent == "microsoft"
    assert g.lookup("institution", "National Tsing Hua University").iri not in tsinghua
    misspelt = [m for m in extract_text("本文来自斯坦福斯大学。") if m.type == "institution"]
    assert [m.label for m in misspelt] == ["Stanford University"]


def test_gazetteers_are_consistent():
    g = gazetteer()
    for type_ in TYPES:
        assert len([e for e in g.entities.values() if e.type == type_]) >= (
            50 if type_ == "person" else 150), type_
    for e in g.entities.values():
        assert e.en or e.zh
        if e.parent:
            assert g.get("institution", e.parent) is not None, e


# ------------------------------------------------------------------ other types

def test_datasets_methods_metrics_people():
    text = ("本文提出了一种名为 ZetaNet 的模型，基于 LSTM，在 SVHN、FSNS 和 Omega-7 数据集上验证，"
            "BLEU 值和准确率均有提升。吴恩达团队和张三丰教授参与了工作。")
    ms = extract_text(text)
    by_type = {t: {m.text for m in ms if m.type == t} for t in TYPES}
    assert by_type["dataset"] == {"SVHN", "FSNS", "Omega-7"}
    assert {"ZetaNet", "LSTM"} <= by_type["method"]
    assert {"BLEU 值", "准确率"} <= by_type["metric"]
    assert by_type["person"] == {"吴恩达", "张三丰"}
    roles = {m.text: m.role for m in ms if m.type == "method"}
    assert roles["ZetaNet"] == "proposed" and roles["LSTM"] == "used"
    assert next(m for m in ms if m.text == "吴恩达").label == "Andrew Ng"


def test_title_names_methods_and_tasks():
    title = "Zebra Networks for Open Domain Whale Counting"
    ms = extract_text(title + "\n本文来自某大学。", title=title)
    assert ("Zebra Networks", "method") in {(m.text, m.type) for m in ms}
    assert ("Open Domain Whale Counting", "task") in {(m.text, m.type) for m in ms}


def test_author_line_and_own_reference():
    title = "A Study of Things"
    text = f"{title}\n作者 | Alice Smith / Bob Jones\n正文。\n[1]. Smith A, Jones B, et al. {title}[J]. 2018.\n[2]. Other C, Person D, et al. Else."
    people = {t for t, _ in found(text, "person", "note", title)}
    assert people == {"Alice Smith", "Bob Jones", "Smith A", "Jones B"}


# ------------------------------------------------------------------ the dev corpus

def test_dev_mentions_are_exact_spans(dev_dir):
    r = CliRunner().invoke(cli, ["extract", str(dev_dir)])
    rows = [json.loads(line) for line in r.output.splitlines()]
    mentions = [(row, m) for row in rows for m in row["mentions"]]
    assert len(mentions) > 1500
    for row, m in mentions:
        assert row["text"][m["start"]:m["end"]] == m["text"]
        assert m["type"] in TYPES and m["iri"].startswith("https://w3id.org/paperweekly-kg/id/")
        assert 0 < m["confidence"] <= 1
    # a note writer's school is never a paper institution
    note = next(row for row in rows if row["source"].endswith("0095_34261337413.md"))
    assert {m["label"] for m in note["mentions"] if m["type"] == "institution"} == {"Stanford University"}


THRESHOLDS = {"institution": 0.95, "dataset": 0.90, "person": 0.85, "method~": 0.80, "task~": 0.75,
              "metric~": 0.80, "venue": 0.98}


def test_scorer_targets_on_dev(dev_scores):
    """The issue's targets, measured by shared/eval/score.py on `kg extract`'s output."""
    for field, floor in THRESHOLDS.items():
        assert dev_scores[field]["f1"] >= floor, (field, dev_scores[field])
    ident = dev_scores["institution_identity"]
    assert ident["p"] >= 0.98 and ident["r"] >= 0.98, ident
