"""Errors kg reports to users: each names the file (and line) it is about."""

from __future__ import annotations

from dataclasses import dataclass


class KgError(Exception):
    """Base of every error kg raises on purpose; the CLI prints it on one line."""


class InputError(KgError):
    """A post (or path) that cannot be read or holds no entries."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path, self.message, self.line = str(path), message, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class InputWarning:
    """Something a user should know about a post that kg still reads, e.g. an entry without a link.

    >>> str(InputWarning("posts/a.md", 12, "entry at line 12 has no paper link"))
    'posts/a.md:12: entry at line 12 has no paper link'
    >>> str(InputWarning("posts/a.md", None, "saved web page"))
    'posts/a.md: saved web page'
    """

    path: str
    line: int | None  # 1-based line of the post, None when the warning is about the whole post
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class QueryError(KgError):
    """A SPARQL query or named-query parameter that cannot be run."""


class StoreError(KgError):
    """A graph store that is missing, locked or unreadable."""


class VizError(KgError):
    """A graph page that cannot be drawn: an unknown entity, node type or query result."""
