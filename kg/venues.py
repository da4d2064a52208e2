"""Venues (AAAI 2019, ICCV'17, NIPS 2017 → NeurIPS 2017): names, and where an entry appeared.

>>> find_venue("本文是北京大学和微软发表于 AAAI 2019 的工作。")
Venue(series='AAAI', year=2019, text='AAAI 2019', status=None)
>>> parse_venue_label("nips 2017").label
'NeurIPS 2017'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["Venue", "VenueSeries", "venue_series", "find_venue", "parse_venue_label"]


@dataclass(frozen=True)
class Venue:
    """Where a paper appeared: a series in its canonical spelling and, usually, a year."""

    series: str  # canonical short name: "NeurIPS", "ACL", "arXiv"
    year: int | None
    text: str = ""  # as written in the post ("NIPS 2017", "SIGIR ’18")
    status: str | None = None  # "submitted", "challenge" or None (published)

    @property
    def label(self) -> str:
        return f"{self.series} {self.year}" if self.year else self.series


@dataclass(frozen=True)
class VenueSeries:
    """A row of ``resources/venues.tsv``."""

    series: str
    aliases: tuple[str, ...]
    name: str


@cache
def venue_series() -> dict[str, VenueSeries]:
    """Every known series by canonical name, read from the packaged ``venues.tsv``."""
    table: dict[str, VenueSeries] = {}
    text = (files("kg") / "resources" / "venues.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            series, aliases, name = line.split("\t")
            table[series] = VenueSeries(series, tuple(aliases.split("|")), name)
    return table


@cache
def _alias_index() -> dict[str, str]:
    return {a: s.series for s in venue_series().values() for a in s.aliases}


_YEAR_AFTER = r"(?:\s*['’‘`]\s*(?P<y2>\d{2})|\s*(?P<y4>(?:19|20)\d{2})|\s+(?P<y2b>[01]\d))(?![\d.%])"
_YEAR_BEFORE = r"(?:(?P<b4>(?:19|20)\d{2})\s*(?:年\s*)?|(?P<b2>[01]\d)\s*年\s*)"


@cache
def _mention_re() -> re.Pattern[str]:
    names = "|".join(re.escape(a) for a in sorted(_alias_index(), key=len, reverse=True))
    return re.compile(
        rf"(?<![\d]){_YEAR_BEFORE}?(?<![A-Za-z\-])(?P<name>{names})(?![A-Za-z\-])(?:{_YEAR_AFTER})?"
    )


# Words around a venue that say the paper appeared there (not just that the venue is named).
_BEFORE = re.compile(r"(发表于|发表在|发表|来自|收录于|收录|入选|被|投稿|投稿至|中稿|录用于|接收于|是|为|于|在|of|at|in)\s*$", re.I)
_AFTER = re.compile(
    r"^\s*(的|上|录用|接收|收录|最佳|论文|会议|文章|工作|Oral|Poster|Spotlight|挑战赛|比赛|challenge|workshop|best|accepted|paper)",
    re.I,
)
_ARXIV = re.compile(r"(发表于|发表在|发布于|发布在)\s*\||^[^|]*\|\s*上\s*(发表|发布|公开)")
_SUBMITTED = re.compile(r"(投稿|投递|submitted|under review)\s*(至|到)?\s*$", re.I)
_CHALLENGE = re.compile(r"^\s*\S{0,8}?(挑战赛|比赛|竞赛|challenge|competition)", re.I)


def _year(m: re.Match[str]) -> int | None:
    for key in ("y4", "b4"):
        if m.group(key):
            return int(m.group(key))
    for key in ("y2", "y2b", "b2"):
        if m.group(key):
            return 2000 + int(m.group(key))
    return None


def _plain(text: str) -> str:
    return text.replace("*", "")


def find_venue(*texts: str) -> Venue | None:
    """The venue the first text that names one says the paper appeared at, in context.

    A venue counts when words around it say so ("发表于 AAAI 2019", "ACL 2018 的工作",
    "CVPR 2017 Oral", "本文来自 SIGIR ’18") or it opens the text ("NIPS 2017 录用论文");
    a series without a year counts only for arXiv ("在 arXiv 上发表").
    """
    for text in texts:
        text = _plain(text or "")
        for m in _mention_re().finditer(text):
            series = _alias_index()[m.group("name")]
            year = _year(m)
            before, after = text[max(0, m.start() - 12):m.start()], text[m.end():m.end() + 16]
            at_start = not text[:m.start()].strip(" \t\n#|:：·【[(（")
            in_context = bool(_BEFORE.search(before) or _AFTER.search(after))
            if year is None and not (series == "arXiv" and _ARXIV.search(before + "|" + after)):
                continue
            if not (at_start or in_context):
                continue
            status = "submitted" if _SUBMITTED.search(before) else (
                "challenge" if _CHALLENGE.search(after) else None)
            return Venue(series, year, m.group(0).strip(), status)
    return None


def parse_venue_label(label: str) -> Venue | None:
    """Read a venue a user typed ("AAAI 2019", "nips 2017", "ICCV'17", "ACL") in any case.

    >>> parse_venue_label("ACL"), parse_venue_label("ICCV'17").label
    (Venue(series='ACL', year=None, text='ACL', status=None), 'ICCV 2017')
    """
    folded = {a.casefold(): s for a, s in _alias_index().items()}
    m = re.fullmatch(r"\s*(.+?)\s*(?:['’`]\s*(\d{2})|\s(\d{2}|\d{4}))?\s*", label)
    if not m or m.group(1).casefold() not in folded:
        return None
    digits = m.group(2) or m.group(3)
    year = None if not digits else int(digits) + (2000 if len(digits) == 2 else 0)
    return Venue(folded[m.group(1).casefold()], year, label.strip())
