import pytest

from kg.venues import Venue, find_venue, parse_venue_label, venue_series


@pytest.mark.parametrize(
    "text, label, written, status",
    [
        ("本文是北京大学和微软发表于 AAAI 2019 的工作。", "AAAI 2019", "AAAI 2019", None),
        ("本文来自 SIGIR ’18。深度表征学习", "SIGIR 2018", "SIGIR ’18", None),
        ("这篇论文发表在刚刚结束的 2017CIKM 会议上", "CIKM 2017", "2017CIKM", None),
        ("node2vec 是 16 年 KDD 的一个工作", "KDD 2016", "16 年 KDD", None),
        ("NIPS 2017 录用论文，通过对数正态乘法噪声", "NeurIPS 2017", "NIPS 2017", None),
        ("微软亚洲研究院 ICCV'17 的论文", "ICCV 2017", "ICCV'17", None),
        ("本期推荐的是 NVIDIA 投稿 ICLR 2018 的新作", "ICLR 2018", "ICLR 2018", "submitted"),
        ("本文是图鸭科技于 CVPR 2018 图像压缩挑战赛的方案", "CVPR 2018", "CVPR 2018", "challenge"),
        ("学者在 arXiv 上发表论文提出", "arXiv", "arXiv", None),
        ("本文是亚马逊和 UT Austin 发表于ICLR 2018 的工作", "ICLR 2018", "ICLR 2018", None),
    ],
)
def test_venue_in_context(text, label, written, status):
    v = find_venue(text)
    assert (v.label, v.text, v.status) == (label, written, status)


@pytest.mark.parametrize(
    "text",
    [
        "与 CVPR 2017 中的方法做了比较",  # named, but not where the paper appeared
        "在 ACLU 2018 的报告",  # inside a longer word
        "这是 IBM 在 arXiv，2018 年 1 月 9 日新挂的一篇论文",
        "提升了 ACL 2018% 的指标",
        "使用 WMT 2014 英德数据",  # not a venue series
    ],
)
def test_no_venue(text):
    assert find_venue(text) is None


def test_first_text_that_names_a_venue_wins():
    assert find_venue("", "COLING 2018 最佳论文解读", "发表于 ACL 2018").label == "COLING 2018"


def test_parse_label_any_case_and_alias():
    assert parse_venue_label("nips 2017") == Venue("NeurIPS", 2017, "nips 2017")
    assert parse_venue_label("KDD 18").label == "KDD 2018"
    assert parse_venue_label("ACL").year is None
    assert parse_venue_label("Foo 2019") is None


def test_series_table_has_canonical_spellings():
    table = venue_series()
    assert "NIPS" in table["NeurIPS"].aliases
    assert table["RecSys"].name == "ACM Conference on Recommender Systems"
