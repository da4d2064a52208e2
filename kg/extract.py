"""Mentions of institutions, datasets, methods, tasks, metrics and people in an entry's text.

The extractor is a spaCy pipeline (``spacy.blank("zh")``, nothing downloaded) built from
registered parts:

- ``kg.segmenter.v1``, the tokenizer: one Aho-Corasick pass over the text finds every gazetteer
  spelling; jieba segments only the Chinese runs where a boundary must be decided (a short
  Chinese alias, or a name before 大学/科技/团队/老师…); every other run is cut at the hits'
  edges and kept whole. This is what keeps the pipeline fast: jieba on all the text would cost
  twenty times the scan.
- components ``kg_gazetteer`` (hits that respect word boundaries: "ACL" never inside "ACLU",
  清华 never inside a longer word), ``kg_patterns`` (organisations no gazetteer lists,
  "X 数据集", acronyms defined in brackets, names the paper 提出, CamelCase model names,
  people before 老师/教授/团队, author lists), ``kg_affiliation`` (the templates these posts
  use: "本文是 A 和 B 发表于 V 的工作", "本文来自 A", "A 与 B 联合发表于", "来自 A 的论文",
  "A 团队"), and ``kg_resolve`` (one reading per stretch of text, institutions only where the
  text says the paper comes from them, methods "proposed" or "used"). The result is
  ``doc.spans["kg"]`` (label = type, kb_id = entity IRI) and ``doc._.kg_mentions``.

>>> m = extract_text("本文是清华大学和 Vision Semantics 发表于 CVPR 2018 的工作，提出了 CPN。")
>>> [(x.type, x.text, x.label) for x in m if x.type == "institution"]
[('institution', '清华大学', 'Tsinghua University'), ('institution', 'Vision Semantics', 'Vision Semantics')]
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Iterable

import ahocorasick
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kg.gazetteer import Entity, gazetteer, norm, paused_gc, unknown_entity
from kg.jiebadict import Tokenizer, zh_tokenizer
from kg.ror import acronym_readings
from kg.parse import Entry

__all__ = ["Mention", "make_nlp", "nlp", "extract_text", "extract_entry", "extract_entries", "RULES"]


RULES: dict[str, str] = {
    "venue-context": "a venue with words that say the paper appeared there (发表于 AAAI 2019, ACL 2018 的工作) or opening the text",
    "gazetteer": "a spelling listed in the packaged gazetteer of its type",
    "affiliation-template": "a name inside an affiliation sentence (本文是 A 和 B 发表于…, 本文来自 A, 来自 A 的论文, A 团队)",
    "org-pattern": "an organisation name by its form (…大学, …研究院, …实验室, …科技, … Lab, … Research, University of …)",
    "dataset-pattern": "a name next to 数据集/dataset/corpus",
    "acronym-definition": "a full name with its acronym in brackets",
    "proposed-name": "a model name the paper 提出 (proposes)",
    "model-name": "a CamelCase or …Net/…GAN model name, or a name before 模型/网络/算法",
    "acronym": "an acronym that no gazetteer lists and nothing else explains (mostly a method)",
    "task-pattern": "a task before 任务, or after 关注/解决的问题是",
    "title-pattern": "a method or task name that an English paper title is made of (X for Y)",
    "person-pattern": "a name before 老师/教授/团队/等人, or in an author list",
}
"""The rules that produce mentions, with what each looks for (the graph's id:rule/… nodes)."""

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IS_CJK = re.compile(f"[{_CJK}]")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_HAS_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_CJK_RUN_FROM = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"[A-Za-z0-9]+")
_WS = re.compile(r"\s+")
_URL = re.compile(r"(?:https?://|www\.)[^\s，。）)]+|(?<![\w.\-])(?=[\w.\-]+\.(?:com|org|net|io|cn)/)[\w.\-]+/\S*", re.I)
_ORG_SUFFIX_ZH = "大学|学院|研究院|研究所|实验室|科技|公司|集团|研究中心"
_PERSON_CUE = "老师|教授|团队|课题组|研究组|组(?=[和与及共的，。在发])|等人|院士|博士"
_NEEDS_JIEBA = re.compile(f"{_ORG_SUFFIX_ZH}|{_PERSON_CUE}|任务|问题")
_STOP_LEFT = set("是和与及跟同由自在从于对被为了的、把将其该这此由向给让与或及并")
_STOP_WORDS = {"本文", "论文", "文章", "工作", "来自", "以及", "联合", "共同", "提出", "发表", "我们",
               "作者", "一种", "一个", "这篇", "该文", "基于", "利用", "使用", "通过", "其中", "就是"}

with resources.files("kg").joinpath("resources/chinese_surnames.txt").open(encoding="utf-8") as _f:
    _SURNAMES = frozenset(w for ln in _f if not ln.startswith("#") for w in ln.split())


@dataclass(frozen=True)
class Mention:
    """One mention: ``text == entry_text[start:end]``, linked to ``entity``."""

    type: str
    text: str
    start: int
    end: int
    entity: Entity
    rule: str
    confidence: float
    role: str | None = None  # methods: "proposed" or "used"

    @property
    def iri(self):
        return self.entity.iri

    @property
    def label(self) -> str:
        return self.entity.label


@dataclass
class _Cand:
    type: str
    start: int
    end: int
    entity: Entity | None
    rule: str
    confidence: float
    role: str | None = None
    options: tuple[Entity, ...] = ()  # other readings of the same text (another type)


# ---------------------------------------------------------------- the automaton

@dataclass
class _Scanner:
    automaton: ahocorasick.Automaton
    jieba: Tokenizer
    short_zh: frozenset[str] = field(default_factory=frozenset)


def _scan_key(text: str) -> str:
    if text.isascii():
        return "".join(text.split()).lower()
    return _WS.sub("", text.translate(_FULLWIDTH)).lower()


@cache
def _scanner() -> _Scanner:
    with paused_gc():
        return _build_scanner(gazetteer())


def _build_scanner(g) -> _Scanner:
    auto = ahocorasick.Automaton()
    by_key: dict[str, list[tuple[Entity, str]]] = {}
    for spelling, ent in g.terms():
        key = _scan_key(spelling)
        if len(key) < 2 and not _IS_CJK.search(key):
            continue
        readings = by_key.setdefault(key, [])
        if not ent.curated and any(e.curated for e, _ in readings):
            continue  # an organisation known only from ROR never takes a curated spelling
        readings.append((ent, spelling))
    short = set()
    for key, ents in by_key.items():
        # short all-ASCII spellings with capitals (acronyms) must match case exactly: "MI" is not "mi"
        readings = tuple((ent, spelling, spelling.replace(" ", "") if spelling.isascii() and any(
            c.isupper() for c in spelling) and len(spelling.replace(" ", "")) <= 5 else None)
            for ent, spelling in ents)
        auto.add_word(key, (key, len(key), key[0] in _ALNUM, key[-1] in _ALNUM, readings))
        if _IS_CJK.search(key) and len(key) <= 2:
            short.add(key)
    auto.make_automaton()
    # curated Chinese names are jieba words (ROR's long names need no help: the hits cut the text)
    words = [key for key, ents in by_key.items() if ents[0][0].curated and _CJK_RUN_FROM.fullmatch(key)]
    return _Scanner(auto, zh_tokenizer(words), frozenset(short))


def _strip_map(text: str) -> tuple[str, list[int], list[int]]:
    """Scan text (fullwidth folded, lower case, no whitespace) and how to map offsets back."""
    pos: list[int] = []
    cum: list[int] = []
    removed = 0
    for m in _WS.finditer(text):
        pos.append(m.start() - removed)
        removed += m.end() - m.start()
        cum.append(removed)
    if _HAS_FULLWIDTH.search(text):
        text = text.translate(_FULLWIDTH)
    return _WS.sub("", text).lower(), pos, cum


def _hits(text: str) -> list[tuple[int, int, str, tuple[tuple[Entity, str], ...]]]:
    """Gazetteer hits (start, end, key, readings) that respect ASCII word boundaries and case."""
    stripped, pos, cum = _strip_map(text)
    out = []
    n = len(text)
    url_starts = url_ends = None
    if "/" in text:
        urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
        url_starts, url_ends = [a for a, _ in urls], [b for _, b in urls]
    bisect_right = bisect.bisect_right
    for end_c, (key, klen, a0, a1, readings) in _scanner().automaton.iter(stripped):
        start_c = end_c - klen + 1
        if pos:
            k = bisect_right(pos, start_c)
            s = start_c + (cum[k - 1] if k else 0)
            k = bisect_right(pos, end_c)
            e = end_c + (cum[k - 1] if k else 0) + 1
        else:
            s, e = start_c, end_c + 1
        if (a0 and s > 0 and text[s - 1] in _ALNUM) or (a1 and e < n and text[e] in _ALNUM):
            continue
        if url_starts and (u := bisect_right(url_starts, s)) and s < url_ends[u - 1]:
            continue
        if e - s != klen:
            written = text[s:e]
            if "\n" in written:
                continue
            squeezed = _WS.sub("", written)
        else:
            squeezed = text[s:e]
        keep = tuple((ent, spelling) for ent, spelling, exact in readings
                     if exact is None or exact == squeezed)
        if keep:
            out.append((s, e, key, keep))
    return out


# ---------------------------------------------------------------- tokenizer

_CJK_BEFORE = re.compile(f"[{_CJK}]+$")


def _cjk_run(text: str, i: int) -> tuple[int, int]:
    """The run of Chinese characters around position ``i``."""
    m = _CJK_BEFORE.search(text, max(0, i - 64), i)
    end = _CJK_RUN_FROM.match(text, i)
    return (m.start() if m else i), (end.end() if end else i + 1)


class Segmenter:
    """jieba where a boundary must be decided, cuts at gazetteer hits elsewhere.

    Tokens are coarse on purpose: ASCII words, gazetteer hits and jieba's words where it ran;
    any other stretch of Chinese text (or spaces and punctuation) between them stays one token.
    ``doc.text`` is always exactly the input text.
    """

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        sc = _scanner()
        hits = _hits(text)
        cuts = {0, len(text)}
        for m in _WORD.finditer(text):  # ASCII words are tokens, so names align with them
            cuts.add(m.start())
            cuts.add(m.end())
        for h in hits:
            cuts.add(h[0])
            cuts.add(h[1])
        # the Chinese runs where a boundary must be decided: around a cue (大学, 团队, 任务…),
        # a short Chinese alias, or before a bracketed acronym
        seeds = [m.start() for m in _NEEDS_JIEBA.finditer(text)]
        seeds += [h[0] for h in hits if h[2] in sc.short_zh]
        seeds += [m.start() - 1 for m in _ACRONYM.finditer(text) if m.start()]
        done: set[int] = set()
        for i in seeds:
            if i in done or not _IS_CJK.match(text, i):
                continue
            a, b = _cjk_run(text, i)
            done.update(range(a, b))
            cuts.add(a)
            x = a
            for w in sc.jieba.cut(text[a:b], HMM=True):
                x += len(w)
                cuts.add(x)
        edges = sorted(cuts)
        words = [text[x:y] for x, y in zip(edges, edges[1:]) if y > x]
        doc = Doc(self.vocab, words=words, spaces=[False] * len(words))
        doc.user_data["kg_hits"] = hits
        doc.user_data["kg_text"] = text
        doc.user_data["kg_bounds"] = set(edges)
        return doc

    def to_bytes(self, **kw):
        return b""

    def from_bytes(self, data, **kw):
        return self

    def to_disk(self, path, **kw):
        pass

    def from_disk(self, path, **kw):
        return self


@spacy.registry.tokenizers("kg.segmenter.v1")
def _create_segmenter():
    def create(nlp):
        return Segmenter(nlp.vocab)
    return create


if not Doc.has_extension("kg_candidates"):
    Doc.set_extension("kg_candidates", default=None)
    Doc.set_extension("kg_mentions", default=None)


def _cands(doc: Doc) -> list[_Cand]:
    if doc._.kg_candidates is None:
        doc._.kg_candidates = []
    return doc._.kg_candidates


def _text(doc: Doc) -> str:
    """The text the segmenter was given (``doc.text`` joins every token on each call)."""
    return doc.user_data["kg_text"]


def _boundaries(doc: Doc) -> set[int]:
    """Character offsets where a token starts or ends."""
    return doc.user_data["kg_bounds"]


# ---------------------------------------------------------------- components

@Language.component("kg_gazetteer")
def gazetteer_component(doc: Doc) -> Doc:
    """Gazetteer hits, leftmost-longest, Chinese ones on word boundaries."""
    hits = sorted(doc.user_data.get("kg_hits", ()), key=lambda h: (h[0], -(h[1] - h[0])))
    bounds = _boundaries(doc)
    out = _cands(doc)
    taken_until = -1
    for s, e, key, ents in hits:
        if s < taken_until:
            continue
        if _IS_CJK.match(key[0]) and len(key) <= 2 and (s not in bounds or e not in bounds):
            continue  # 北大 inside 北大西洋
        types = []
        for ent, _ in ents:
            if ent.type not in [t.type for t in types]:
                types.append(ent)
        first = types[0]
        out.append(_Cand(first.type, s, e, first, "gazetteer", 0.9, options=tuple(types[1:])))
        taken_until = e
    return doc


_DATASET_CUE = re.compile(r"数据集|数据库|语料库|语料|dataset|corpus|benchmark")
_DATASET_NAME = re.compile(r"(?<![\w\-\u2212])(?P<n>[A-Za-z][\w\-\u2212\+\.]*(?:[ \-][A-Z0-9][\w\-\+\.]*){0,3})\s*$")
# the names listed before one 数据集: "在 SVHN、FSNS 和 MNIST 数据集上"
_LIST_BEFORE = re.compile(r"(?<![\w\-])(?P<n>[A-Za-z][\w\-\+\.]*)\s*(?:和|与|及|以及|、|，|,|and)\s*$")
_DATASET_BEFORE = re.compile(r"(?:数据集|dataset)\s*(?P<n>[A-Z][\w\-\+]*(?:[ \-][A-Z0-9][\w\-\+]*){0,2})")
_ACRONYM = re.compile(r"[（(]\s*(?P<acr>(?=[a-z]?[A-Z][\w\-\+]*[A-Z0-9])[A-Za-z][A-Za-z0-9\-\+]{1,14})\s*[)）]")
# an acronym nothing else explains: mostly a method in these texts (FPD, GAU, EWC, iCaRL)
_BARE_ACRONYM = re.compile(r"(?<![\w\-@./])(?P<n>[a-z]?[A-Z][A-Za-z]*[A-Z](?:-?[A-Z0-9]+)*)(?![\w\-])")
_NOT_METHODS = frozenset(
    "AI ML DL NLP CV IR RL GPU GPUS CPU TPU API URL PDF PPT SOTA QA NN DNN AGI IT ID OK PC PS "
    "CEO PHD MSC USA UK EU CN HTML CSS JSON XML SQL CSDN IEEE ACM CCF AAAI ACL EMNLP NAACL COLING "
    "ICLR ICML NIPS NEURIPS CVPR ICCV ECCV KDD WWW SIGIR IJCAI TOEFL GRE MOOC APP IOS FAQ TV "
    "AR VR OCR RGB RGBD UI UX NP FFT BP TODO LT IO OS GB MB KB TB".split())
_FULL_NAME = re.compile(
    rf"(?<![\w\-])(?P<full>[A-Za-z][\w\-\+]*(?:[ \-][A-Za-z][\w\-\+]*){{0,7}}|[{_CJK}A-Za-z\-]{{2,16}})\s*$")
_PROPOSED = re.compile(
    r"(?:提出|设计|引入|构建|开发)(?:了)?\s*(?:一种|一个|一套|新的|新型|全新的|名为|叫做|称为|叫|基于)*\s*"
    r"(?P<n>[A-Za-z][\w\-\+]*(?:[ \-][A-Z][\w\-\+]*){0,5})"
)
_MODEL_CUE = re.compile(r"模型|网络|算法|框架|方法|机制|架构|模块|结构")
_MODEL_NAME = re.compile(r"(?<![\w\-])(?P<n>[A-Za-z][\w\-\+]*)\s*$")


def _name_before(cue: re.Pattern, name: re.Pattern, text: str, window: int):
    """(name match, cue match) for each cue with a name right before it: the cue is found
    first (a cheap scan), then the name is looked for in the few characters before it."""
    for c in cue.finditer(text):
        m = name.search(text, max(0, c.start() - window), c.start())
        if m:
            yield m, c
_CAMEL = re.compile(r"(?<![\w\-])(?P<n>(?:[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+|[A-Za-z]*(?:Net|GAN|RNN|CNN|LSTM|BERT|VAE|NN))(?:[\-\+]+[A-Za-z0-9]+)*)(?![\w\-])")
_PHRASE = re.compile(
    r"(?<![\w\-])(?P<n>(?:[A-Z][\w\-]*\s){1,4}(?:Generators?|Discriminators?|Retriever|Enquirer|Encoders?|"
    r"Decoders?|Units?|Maps|Addressing|Norm|Discrimination|Model|Embeddings?|Strategy|Networks?|Loss|"
    r"Mining|Matching|Modules?|Layers?|Mechanism|Attention|Regularizer|Grammars?|Pooling|Connections?))(?![\w\-])")
_ORG_OF = re.compile(r"(?<![\w])(?P<n>(?:University|Institute) of(?: [A-Z][\w\-]*)+)")
_ORG_EN_CUE = re.compile(r"(?<=\s)(?:Research|Labs?|Laboratory|Institute|University|College|Group)(?![\w])")
_ORG_EN_NAME = re.compile(r"(?<![\w])(?P<n>(?:[A-Z][\w&\.\-]*\s){1,4})$")
_ORG_ZH = re.compile(rf"(?:{_ORG_SUFFIX_ZH})")
_TASK_CUE = re.compile(r"任务(?!中|上|里)")
_TASK_HEAD_ZH = re.compile(
    "(?:预测|识别|检测|生成|翻译|分类|分割|估计|抽取|摘要|问答|理解|推荐|检索|排序|标注|填空|扩展|控制|推理|对话|合成|增强|计数|跟踪|补全|消歧|解析)$")
_TASK_NOT_START = ("这", "那", "一些", "每个", "多个", "许多", "提高", "针对", "核心", "两种", "各种", "相关", "目标")
_TASK_AFTER = re.compile(rf"(?:关注|解决|研究|针对)的(?:问题|任务)是\s*(?P<n>[{_CJK}A-Za-z0-9\- ]{{2,24}}?)(?=[，。；！？,\n]|$)")
_PERSON_CUE_RX = re.compile(_PERSON_CUE)
_PERSON_ZH = re.compile(rf"(?P<n>[{_CJK}]{{2,3}})$")
_PERSON_EN = re.compile(r"(?<![\w])(?P<n>[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){1,2})\s*$")
_AUTHOR_LINE = re.compile(r"^作者\s*[|｜丨]\s*(?P<v>.+)$", re.M)
_CITE = re.compile(r"(?P<n>[A-Z][a-z]+ [A-Z]{1,2})(?=\s*,\s*(?:[A-Z][a-z]+ [A-Z]{1,2}\b|et al))")

_NOT_NAMES = frozenset(w.casefold() for w in (
    "GitHub PyTorch TensorFlow Keras Caffe MXNet PaperWeekly PaperDaily ArXiv YouTube LaTeX OpenReview "
    "JavaScript iPhone WeChat CSDN MacBook PowerPoint DeepMind OpenAI NVIDIA Google Microsoft "
    "The This That These In On For We Our It State Art Poster Oral Workshop Best Paper Abstract "
    "AI ML DL NLP CV IR RL GPU CPU TPU API URL SOTA PDF PPT QA NN DNN".split()))


def _left_name(doc: Doc, end: int, max_chars: int = 10) -> int:
    """Start of the Chinese name that ends at ``end``: back over tokens to a stop word."""
    text = _text(doc)
    i = doc.char_span(end - 1, end, alignment_mode="expand")
    if i is None:
        return end
    tok = i[0].i
    start = end
    while tok >= 0:
        t = doc[tok]
        if t.idx >= end:
            tok -= 1
            continue
        w = text[t.idx:min(t.idx + len(t.text), end)]
        if not _IS_CJK.fullmatch(w[:1] or " ") or w in _STOP_WORDS or (len(w) == 1 and w in _STOP_LEFT):
            break
        if len(w) <= 3 and (cut := max(w.rfind(c) for c in _STOP_LEFT)) >= 0 and end - t.idx > len(w):
            start = t.idx + cut + 1  # "组和" + 微软…: the name starts after 和
            break
        if end - t.idx > max_chars:
            break
        start = t.idx
        tok -= 1
    return start


def _name_ok(name: str) -> bool:
    n = name.strip()
    return len(n) >= 2 and n.casefold() not in _NOT_NAMES and not n.isdigit()


@cache
def _venue_names() -> frozenset[str]:
    from kg.venues import venue_series
    return frozenset(a.casefold() for v in venue_series().values() for a in (v.name, *v.aliases))


def _model_name_ok(text: str, s: int, name: str) -> bool:
    """A name that may be a model: not a plain English word, a venue or a user (@TwistedW)."""
    if not any(c.isupper() or c.isdigit() for c in name):
        return False
    if name.casefold() in _venue_names():
        return False
    return not (s > 0 and text[s - 1] == "@")


@Language.component("kg_patterns")
def patterns_component(doc: Doc) -> Doc:
    """Names by their form, for things no gazetteer lists."""
    text = _text(doc)
    out = _cands(doc)
    g = gazetteer()
    title = (doc.user_data.get("kg_title") or "").casefold()

    def add(type_, s, e, rule, conf, role=None):
        while e > s and text[e - 1] in " -.":
            e -= 1
        name = text[s:e]
        if not _name_ok(name):
            return
        ent = g.lookup(type_, name)
        out.append(_Cand(type_, s, e, ent, rule, conf if ent is None else max(conf, 0.8), role))

    for m in _ORG_OF.finditer(text):
        add("institution", m.start("n"), m.end("n"), "org-pattern", 0.7)
    for m, c in _name_before(_ORG_EN_CUE, _ORG_EN_NAME, text, 60):
        add("institution", m.start("n"), c.end(), "org-pattern", 0.7)
    for m in _ORG_ZH.finditer(text):
        start = _left_name(doc, m.end())
        if m.end() - start > len(m.group()) + 1:
            add("institution", start, m.end(), "org-pattern", 0.7)
    for m, _ in _name_before(_DATASET_CUE, _DATASET_NAME, text, 60):
        if not _model_name_ok(text, m.start("n"), m.group("n")):
            continue
        add("dataset", m.start("n"), m.end("n"), "dataset-pattern", 0.75)
        pos = m.start("n")
        while (prev := _LIST_BEFORE.search(text, max(0, pos - 30), pos)) and _model_name_ok(text, prev.start("n"), prev.group("n")):
            add("dataset", prev.start("n"), prev.end("n"), "dataset-pattern", 0.7)
            pos = prev.start("n")
    for m in _DATASET_BEFORE.finditer(text):
        add("dataset", m.start("n"), m.end("n"), "dataset-pattern", 0.75)
    for m, a in _name_before(_ACRONYM, _FULL_NAME, text, 80):
        full = m.group("full")
        fs = m.start("full")
        if full.startswith(("the ", "The ")):
            fs += 4
            full = full[4:]
        if _IS_CJK.search(full):
            # a Chinese full name: back to the start of the name
            fs = _left_name(doc, m.end("full"), 16) if _IS_CJK.search(full[-1]) else m.start("full")
        type_ = _kind_of(full)
        if type_:
            add(type_, fs, m.end("full"), "acronym-definition", 0.7)
            add(type_, a.start("acr"), a.end("acr"), "acronym-definition", 0.7)
    models = [(m, "proposed-name", 0.7, "proposed") for m in _PROPOSED.finditer(text)]
    models += [(m, "model-name", 0.6, None) for m, _ in _name_before(_MODEL_CUE, _MODEL_NAME, text, 30)]
    models += [(m, "model-name", 0.55, None) for m in _CAMEL.finditer(text)]
    models += [(m, "model-name", 0.5, None) for m in _PHRASE.finditer(text)]
    models += [(m, "acronym", 0.4, None) for m in _BARE_ACRONYM.finditer(text)
               if m.group("n").upper() not in _NOT_METHODS and len(m.group("n")) <= 8]
    for m, rule, conf, role in models:
        if _model_name_ok(text, m.start("n"), m.group("n")):
            add("method", m.start("n"), m.end("n"), rule, conf, role=role)
    if title and (at := text.find(doc.user_data.get("kg_title") or "\0")) >= 0:
        for type_, s, e in _title_phrases(text, at, at + len(title)):
            add(type_, s, e, "title-pattern", 0.5)
    for c in _TASK_CUE.finditer(text):
        start = _left_name(doc, c.start(), 10)
        name = text[start:c.start()]
        if c.start() - start >= 2 and _TASK_HEAD_ZH.search(name) and not name.startswith(_TASK_NOT_START):
            add("task", start, c.start(), "task-pattern", 0.5)
    for m in _TASK_AFTER.finditer(text):
        add("task", m.start("n"), m.end("n"), "task-pattern", 0.5)
    for m, _ in _name_before(_PERSON_CUE_RX, _PERSON_EN, text, 40):
        add("person", m.start("n"), m.end("n"), "person-pattern", 0.7)
    for m, _ in _name_before(_PERSON_CUE_RX, _PERSON_ZH, text, 3):
        name = m.group("n")
        for cut in (0, 1):
            cand = name[cut:]
            if len(cand) >= 2 and (cand[0] in _SURNAMES or cand[:2] in _SURNAMES):
                s = m.start("n") + cut
                if s in _boundaries(doc):
                    add("person", s, m.end("n"), "person-pattern", 0.6)
                break
    for m in _AUTHOR_LINE.finditer(text):
        base = m.start("v")
        for part in re.finditer(r"[^/,，;；、]+", m.group("v")):
            name = part.group().strip()
            if re.fullmatch(r"[A-Z][\w\-'.]*(?: [A-Z][\w\-'.]*){1,3}", name):
                s = base + part.start() + part.group().index(name)
                add("person", s, s + len(name), "person-pattern", 0.8)
    for m in _CITE.finditer(text):
        # authors in a reference list, only in the reference to the paper itself
        line = text[text.rfind("\n", 0, m.start()) + 1:text.find("\n", m.end()) % (len(text) + 1)]
        if title and title[:40] in line.casefold():
            add("person", m.start("n"), m.end("n"), "person-pattern", 0.6)
    return doc


_TITLE_SPLIT = re.compile(
    r"\s*(?:[:：?？,]|\s(?:for|with|via|using|by|through|from|in|on|and|to|of|as|at|into|towards?|based)\s)\s*", re.I)
_TITLE_LEAD = re.compile(
    r"^(?:(?:A|An|The|Towards?|Learning|Constructing|Improving|Improved|Exploring|Revisiting|Rethinking|"
    r"Understanding|Efficient|Effective|Simple|Novel|New|Deep|End-to-End|Neural|Unsupervised|Supervised|"
    r"Semi-Supervised|Joint|Fast|Robust|Scalable|Interpretable|Adversarial)\s+)+")
_METHOD_HEAD = re.compile(
    r"(?:Networks?|Nets?|Models?|GANs?|Attention|Transformations?|Grammars?|Graphs?|Embeddings?|Encoders?|"
    r"Decoders?|Machines?|Memory|Mechanisms?|Algorithms?|Frameworks?|Autoencoders?|Transformers?|Fields|"
    r"Matching|Mining|Regularization|Regularizers?|Training|Analogy|Units?|Layers?|Loss|Search|Sampling|"
    r"Distillation|Pooling|Convolutions?|Normalization|Encoding|Replay|Retriever|Fusion)$")


def _title_phrases(text: str, a: int, b: int):
    """(type, start, end) of the method and task names an English title is made of:
    "Transformation Networks for Target-Oriented Sentiment Classification"."""
    pos = a
    for part in _TITLE_SPLIT.split(text[a:b]) + [""]:
        if not part:
            continue
        s = text.index(part, pos)
        after_for = re.search(r"\bfor\s+$", text[max(a, s - 5):s]) is not None
        pos = s + len(part)
        lead = _TITLE_LEAD.match(part)
        if lead and lead.end() < len(part) and _TASK_HEAD.search(part) is None:
            s += lead.end()
            part = part[lead.end():]
        words = part.split()
        if not (2 <= len(words) <= 6) or not all(w[:1].isupper() or w[:1].isdigit() for w in words):
            continue
        if _METHOD_HEAD.search(part) and not _TASK_HEAD.search(part):
            yield "method", s, s + len(part)
        elif _TASK_HEAD.search(part) or after_for:
            yield "task", s, s + len(part)  # "… for Knowledge Grounded Conversation"


_TASK_HEAD = re.compile(
    r"(?:Recognition|Detection|Estimation|Translation|Classification|Segmentation|Answering|Parsing|"
    r"Tagging|Labeling|Extraction|Summarization|Captioning|Retrieval|Prediction|Recommendation|"
    r"Reasoning|Comprehension|Induction|Expansion|Completion|Inference|Filling|Counting|Tracking|"
    r"Super-Resolution|Adaptation|Generation)s?$", re.I)
_DATASET_HEAD = re.compile(r"(?:Dataset|Corpus|Benchmark|Treebank)s?$", re.I)
_METRIC_HEAD = re.compile(r"(?:Score|Error|Accuracy|Rate|Similarity|Coefficient)$", re.I)


def _kind_of(full: str) -> str | None:
    """What a bracketed acronym names, from the head word of its full name."""
    f = full.strip()
    if _IS_CJK.search(f):
        return "method"  # a Chinese full name with an acronym: in these texts, a method
    if _DATASET_HEAD.search(f):
        return "dataset"
    if _METRIC_HEAD.search(f):
        return "metric"
    if _TASK_HEAD.search(f):
        return "task"
    if len(f.split()) == 1 and f.islower():
        return None
    return "method"


# affiliation sentences: the stretch of text that says where the paper comes from.
# Each template starts with a literal cue, so the regex engine skips straight to it.
_AFFIL = [
    re.compile(r"本文(?:是|为)?\s*(?:由)?\s*(?P<x>[^，。；！？\n]{2,90}?)\s*(?:联合|共同|合作)?\s*(?:发表|被\s*[A-Z]|投稿|完成|于\s*[A-Z]|在\s*[A-Z]|提出|推出|发布|的工作|之作)"),
    re.compile(r"来自\s*(?P<x>[^，。；！？\n]{2,80}?)(?=\s*(?:[，。；！？\n,]|的|$))"),
    re.compile(r"来自\s*(?P<x>[^。；！？\n]{2,90}?)\s*的(?:学者|研究者|研究人员|研究团队|团队|论文|工作|作者)"),
    re.compile(r"由\s*(?P<x>[^，。；！？\n]{2,50}?)\s*(?:发布|推出|提出|开源|打造|联合|共同)"),
    re.compile(r"(?:这是|本期推荐的是)\s*(?P<x>[^，。；！？\n]{2,40}?)\s*(?:在|投稿|发表)"),
]
# templates whose cue comes after the names: the names are the clause before the cue
_TEAM_CUE = re.compile(r"(?:团队|课题组|老师组|研究组)(?=的|在|于|发表|提出|之作|最近|最新|开源|推出)")
_LAUNCH_CUE = re.compile(r"(?:联合|共同)?(?:提出|推出|发布|开源|打造)")
_CLAUSE_END = "，。；！？\n"
_SENTENCE_END = "。！？\n：:"


def _clause_before(text: str, pos: int, stops: str, limit: int) -> int:
    """Start of the clause that ends at ``pos``: just after the last stop character."""
    floor = max(0, pos - limit)
    return max([text.rfind(c, floor, pos) for c in stops] + [floor - 1]) + 1


def _affiliation_regions(text: str) -> list[tuple[int, int]]:
    regions = [(m.start("x"), m.end("x")) for rx in _AFFIL for m in rx.finditer(text)]
    for c in _TEAM_CUE.finditer(text):
        a = _clause_before(text, c.start(), _CLAUSE_END, 50)
        if c.start() - a >= 2:
            regions.append((a, c.start()))
    for c in _LAUNCH_CUE.finditer(text):
        a = _clause_before(text, c.start(), _SENTENCE_END, 50)
        seg = text[a:c.start()]
        if len(seg.strip()) >= 2 and not any(ch in seg for ch in "，；"):
            regions.append((a + len(seg) - len(seg.lstrip()), c.start()))
    return regions


_SPLIT = re.compile(r"\s*(?:、|，|,|&|和|与|及|以及|\band\b)\s*")
_COMPARE = re.compile(r"(?:比|相比|优于|超过|超越|不同于|对比|击败)\s*$")


@Language.component("kg_affiliation")
def affiliation_component(doc: Doc) -> Doc:
    """Affiliation sentences: mark where the text names the paper's organisations."""
    text = _text(doc)
    regions = _affiliation_regions(text)
    doc.user_data["kg_affiliation"] = regions
    out = _cands(doc)
    # names inside a region that no gazetteer or pattern covers: organisations by position
    covered = [(c.start, c.end) for c in out if c.type in ("institution", "person")]
    for a, b in regions:
        for part in _SPLIT.split(text[a:b]):
            if not part:
                continue
            s = text.index(part, a)
            e = s + len(part)
            if any(cs < e and s < ce for cs, ce in covered):
                continue
            if re.fullmatch(r"[A-Z][\w\+\-\.&]*(?:\s+[A-Z][\w\+\-\.&]*){0,4}", part) and _name_ok(part):
                ent = (gazetteer().lookup("institution", part) or _acronym_in_context(part, text)
                       or _unknown("institution", part))
                out.append(_Cand("institution", s, e, ent, "affiliation-template", 0.7))
                covered.append((s, e))
    return doc


_ACRONYM_ONLY = re.compile(r"[A-Z][A-Za-z&]*[A-Z][A-Za-z&]*")


def _acronym_in_context(name: str, text: str) -> Entity | None:
    """The institution a bare acronym means here (NTU: Nanyang or National Taiwan University?):
    of the organisations ROR gives it, the one this text also names in full; else none."""
    if not _ACRONYM_ONLY.fullmatch(name) or len(name) > 8:
        return None
    g = gazetteer()
    scanned = _scan_key(text)
    named = []
    for eid in acronym_readings(name):
        e = g.get("institution", eid)
        if e is not None and any(_scan_key(s) in scanned for s in e.spellings if _full_name(s)):
            named.append(e)
    return named[0] if len(named) == 1 else None


def _full_name(s: str) -> bool:
    """A spelling that is more than an acronym: Chinese of three or more characters, or words."""
    return len(s) >= 3 and bool(_IS_CJK.search(s)) or (" " in s.strip() and len(s) >= 8)


_unknown = lru_cache(maxsize=1 << 16)(unknown_entity)


@lru_cache(maxsize=1 << 16)
def _near_entity(type_: str, name: str) -> Entity | None:
    """The one listed entity a long name misspells by a single character (斯坦福斯大学)."""
    key = norm(name)
    if type_ != "institution" or len(key) < 5:
        return None
    index = gazetteer().curated_index[type_]
    found = {e.id: e for k, e in index.items()
             if abs(len(k) - len(key)) <= 1 and k[:2] == key[:2] and _one_edit(k, key)}
    if len(found) == 1:
        return next(iter(found.values()))
    # a listed Chinese name with characters added (香港中文科技大学): the listed name that
    # shares the longest beginning (at least four characters) and the same last two
    best: dict[int, set] = {}
    for k, e in index.items():
        if _IS_CJK.match(k) and len(k) < len(key) and k[-2:] == key[-2:] and _subsequence(k, key):
            p = len(os.path.commonprefix([k, key]))
            if p >= 4:
                best.setdefault(p, set()).add(e)
    if best and len(top := best[max(best)]) == 1:
        return next(iter(top))
    return None


def _subsequence(a: str, b: str) -> bool:
    it = iter(b)
    return all(c in it for c in a)


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


_SENTENCE = re.compile("[。！？\n]")
_PROPOSES = re.compile("(?:本文|作者|论文|我们|文章).{0,12}(?:提出|设计)")
_USES = re.compile("基于|使用|利用|采用|结合|借鉴|用了|引入了|比|相比|优于|超过|不同于")


def _before_person(chosen: list[_Cand], c: _Cand, text: str) -> bool:
    """An organisation right before a researcher's name: 浙江大学 Deng Cai 老师, 北京大学孙栩老师组."""
    return any(o.type == "person" and 0 <= o.start - c.end <= 1 and not text[c.end:o.start].strip()
               for o in chosen)


def _in(regions, s, e) -> bool:
    return any(a <= s and e <= b for a, b in regions)


@Language.component("kg_resolve")
def resolve_component(doc: Doc) -> Doc:
    """One reading per stretch of text; institutions only where the paper comes from them."""
    text = _text(doc)
    regions = doc.user_data.get("kg_affiliation", [])
    kind = doc.user_data.get("kg_kind", "digest")
    cands = sorted(_cands(doc), key=lambda c: (c.start, -(c.end - c.start), -c.confidence))
    chosen: list[_Cand] = []
    last_end = -1
    for c in cands:
        if c.start < last_end:
            continue
        chosen.append(c)
        last_end = c.end
    mentions: list[Mention] = []
    spans = []
    sentence_ends = None
    for c in chosen:
        type_, ent, rule, conf = c.type, c.entity, c.rule, c.confidence
        if type_ == "institution":
            before = text[max(0, c.start - 6):c.start]
            after = text[c.end:c.end + 4]
            clause = re.split(r"[，。；！？\n,]", text[c.end:c.end + 10])[0]
            if _COMPARE.search(before) or after.lstrip().startswith("推荐") or "数据" in clause:
                continue
            inside = _in(regions, c.start, c.end) or _before_person(chosen, c, text)
            if inside:
                conf = max(conf, 0.95 if rule == "gazetteer" else conf)
                rule = rule if rule != "gazetteer" else "affiliation-template"
            elif kind != "note":
                # named in a digest outside any affiliation sentence: another organisation
                continue
            else:
                conf = min(conf, 0.6)
        if ent is None:
            name = text[c.start:c.end]
            ent = (_near_entity(type_, name) or (type_ == "institution" and _acronym_in_context(name, text))
                   or _unknown(type_, name))
        role = c.role
        if type_ == "method" and role is None:
            if sentence_ends is None:
                sentence_ends = [m.end() for m in _SENTENCE.finditer(text)]
            sent_start = sentence_ends[bisect.bisect_right(sentence_ends, c.start) - 1] if sentence_ends and sentence_ends[0] <= c.start else 0
            role = "used"
            if _PROPOSES.search(text, sent_start, c.start):
                # …提出了一种名为 X 的模型: X is in the clause that 提出 opens, not after 基于/使用
                clause = text[_clause_before(text, c.start, "，,；;。！？\n", 80):c.start]
                if (p := clause.rfind("提出")) >= 0 and not _USES.search(clause, p):
                    role = "proposed"
        mentions.append(Mention(type_, text[c.start:c.end], c.start, c.end, ent, rule, round(conf, 2), role))
    if doc.user_data.get("kg_spans", True):  # extract_text wants the mentions only
        for m in mentions:
            sp = doc.char_span(m.start, m.end, label=m.type, kb_id=str(m.iri), alignment_mode="expand")
            if sp is not None:
                spans.append(sp)
        doc.spans["kg"] = spans
    doc._.kg_mentions = mentions
    return doc


PIPELINE = ("kg_gazetteer", "kg_patterns", "kg_affiliation", "kg_resolve")


def make_nlp() -> Language:
    """A fresh pipeline: blank Chinese, the kg segmenter, the kg components."""
    pipe = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "kg.segmenter.v1"}}})
    for name in PIPELINE:
        pipe.add_pipe(name)
    return pipe


@cache
def nlp() -> Language:
    """The shared pipeline (built once per process)."""
    return make_nlp()


@lru_cache(maxsize=4096)
def extract_text(text: str, kind: str = "digest", title: str | None = None) -> tuple[Mention, ...]:
    """Mentions in one entry text (``kind`` "note" keeps organisations named anywhere;
    ``title`` lets the authors of the paper's own reference count).

    Remembered for the last few thousand texts: a paper recommended again in another post (or
    a post copied under another name) is not extracted twice in one build."""
    pipe = nlp()
    doc = pipe.make_doc(text)
    doc.user_data["kg_kind"] = kind
    doc.user_data["kg_title"] = title
    doc.user_data["kg_spans"] = False
    for _, proc in pipe.pipeline:
        doc = proc(doc)
    return tuple(doc._.kg_mentions)


def extract_entry(entry: Entry) -> tuple[Mention, ...]:
    """Mentions in one parsed entry; offsets are into ``entry.text``."""
    return extract_text(entry.text, entry.kind, entry.title)


def extract_entries(entries: Iterable[Entry]) -> list[tuple[Mention, ...]]:
    return [extract_entry(e) for e in entries]


SCAN_PATTERNS: tuple[re.Pattern, ...] = (
    _URL, _WS, _WORD, _NEEDS_JIEBA, _ORG_OF, _ORG_EN_CUE, _ORG_ZH, _DATASET_CUE, _DATASET_BEFORE, _ACRONYM,
    _PROPOSED, _MODEL_CUE, _CAMEL, _PHRASE, _BARE_ACRONYM, _TASK_CUE, _TASK_AFTER,
    _PERSON_CUE_RX, _AUTHOR_LINE, _CITE, *_AFFIL, _TEAM_CUE, _LAUNCH_CUE,
)
"""Every regex the pipeline runs over whole entry texts (the benchmark's bare scan runs them too)."""
