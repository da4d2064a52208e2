"""SPARQL text tools: syntax check, SERVICE detection and variable substitution on tokens.

Parameters are bound as RDF terms by :func:`substitute`, on every store: it applies the rule of
Oxigraph's ``substitutions`` (SPARQL-dev SEP-0007: each occurrence of the variable in its scope
is replaced by the term, and the term is still returned under the variable's name) to the
query's *tokens*. Only variable tokens are replaced, by the N-Triples form of the term (escaped
by pyoxigraph), so no value can change the query's structure. rdflib and SPARQL servers have no
substitutions of their own; Oxigraph's evaluates the pattern without the constant and joins it
afterwards (an entity lookup on 540 posts: 700 ms, against 35 ms with the constant in the
pattern). A trailing ``VALUES`` block would not do either: it is joined after the filters and
sub-queries that need the value, and gives other answers for optional parameters.

>>> import pyoxigraph as ox
>>> print(substitute('SELECT ?p ?t WHERE { ?p <urn:t> ?t } # ?t', {"t": ox.Literal('x" } #')}))
SELECT ?p ?t WHERE { ?p <urn:t> "x\\" } #"  BIND("x\\" } #" AS ?t) } # ?t
>>> uses_service("SELECT * { SERVICE <http://x> { ?s ?p ?o } }"), uses_service('ASK { ?s ?p "SERVICE" }')
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Mapping

import pyoxigraph as ox

from kg.errors import QueryError

__all__ = ["Token", "tokens", "check_syntax", "uses_service", "substitute", "select_lines"]

Term = ox.NamedNode | ox.Literal

# SPARQL's terminals that can hold text looking like a variable or keyword: comments, the four
# string forms, IRIs. Everything else is a variable, a word (keyword, prefixed name, number,
# blank node label) or one character of punctuation.
_TOKEN = re.compile(r'''
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<word>[\w:%\u00B7\u0300-\u036F\u203F-\u2040]+(?:[.\-][\w:%\u00B7\u0300-\u036F\u203F-\u2040]+)*)
  | (?P<punct>.)
''', re.X | re.S)


@dataclass(frozen=True)
class Token:
    kind: str  # space, comment, string, iri, var, word or punct
    text: str

    @property
    def keyword(self) -> str:
        """The upper-cased word, or "" for anything that is not a bare word."""
        return self.text.upper() if self.kind == "word" and ":" not in self.text else ""


def tokens(sparql: str) -> Iterator[Token]:
    """The query's tokens; joined they give back the text exactly.

    >>> [t.text for t in tokens("SELECT ?s { ?s <urn:p> 'a' }") if t.kind != "space"]
    ['SELECT', '?s', '{', '?s', '<urn:p>', "'a'", '}']
    """
    for m in _TOKEN.finditer(sparql):
        yield Token(m.lastgroup or "punct", m.group())


def check_syntax(sparql: str, source: str | None = None) -> None:
    """Raise :class:`QueryError` naming the line and column when ``sparql`` is not a valid query.

    Parsed by Oxigraph (nothing is evaluated). ``source`` (a file name) prefixes the message.

    >>> check_syntax("SELECT ?s WHERE {\\n  ?s ?p\\n}", "q.rq")
    Traceback (most recent call last):
    kg.errors.QueryError: q.rq: SPARQL syntax error: error at 3:2: expected one of LATERAL, SERVICE, [_]
    """
    try:
        ox.Store().query(sparql)  # an empty store; the answer is lazy and is never read
    except SyntaxError as err:
        raise QueryError(f"{source + ': ' if source else ''}SPARQL syntax error: {err}") from None


def uses_service(sparql: str) -> bool:
    """True when the query has a ``SERVICE`` clause (federation), outside strings and comments."""
    return any(t.keyword == "SERVICE" for t in tokens(sparql))


_CONDITION = re.compile(r"#\s*(?P<word>if|unless)\s+(?P<name>[A-Za-z_]\w*)\s*$")


def select_lines(sparql: str, given: set[str] | frozenset[str]) -> str:
    """Keep a line that ends in ``# if NAME`` only when parameter NAME is given, and one that ends
    in ``# unless NAME`` only when it is not; a line left out becomes empty (line numbers stay).

    This is how a named query has optional parameters: a constraint runs only when its value is
    there (the value itself is still bound by :func:`substitute`).

    >>> print(select_lines("SELECT * {\\n  ?p <urn:v> ?venue .  # if venue\\n  ?p ?q ?o  # unless venue\\n}", set()))
    SELECT * {
    <BLANKLINE>
      ?p ?q ?o  # unless venue
    }
    """
    lines = sparql.split("\n")
    number = 0
    for tok in tokens(sparql):
        if tok.kind == "comment":
            m = _CONDITION.search(tok.text)
            if m and (m.group("name") in given) != (m.group("word") == "if"):
                lines[number] = ""
        number += tok.text.count("\n")
    return "\n".join(lines)


@dataclass
class _Scope:
    depth: int  # brace depth at which the SELECT stands (0 for the query itself)
    names: frozenset[str] | None  # the variables it projects; None for SELECT * (or no SELECT)
    open: bool  # this scope and every enclosing one see the variable being substituted
    select: bool = False  # a SELECT (not CONSTRUCT/ASK/DESCRIBE)
    where: int | None = None  # brace depth of its WHERE group once opened; -1 once closed


def substitute(sparql: str, bindings: Mapping[str, Term]) -> str:
    """Bind variables to RDF terms in query text, as Oxigraph's ``substitutions`` do (SEP-0007).

    A bound variable is replaced by the term wherever it is in scope; a sub-query that does not
    project it has a variable of its own and is left alone. The query still answers the variable:
    when its SELECT names ``?v``, its WHERE group ends with ``BIND(TERM AS ?v)``; a sub-query that
    projected ``?v`` no longer does (and ``?v`` leaves its GROUP BY and ORDER BY: a constant
    changes neither). A variable the query assigns itself (``AS ?v``, ``VALUES ?v``) cannot be
    bound.

    >>> q = "SELECT ?n ?v { { SELECT ?s ?v { ?s ?v ?o } } { SELECT ?n { ?n ?v ?o } } } GROUP BY ?v ?n"
    >>> print(substitute(q, {"v": ox.NamedNode("urn:p")}))
    SELECT ?n ?v { { SELECT ?s  { ?s <urn:p> ?o } } { SELECT ?n { ?n ?v ?o } }  BIND(<urn:p> AS ?v) } GROUP BY ?v ?n
    """
    terms = {name.lstrip("?$"): term for name, term in bindings.items()}
    for name, term in terms.items():
        if not isinstance(term, (ox.NamedNode, ox.Literal)):
            raise QueryError(f"cannot bind ?{name} to {term!r} in query text: only IRIs and literals")
    if not terms:
        return sparql
    toks = list(tokens(sparql))
    out = [t.text for t in toks]
    for name, term in terms.items():
        _substitute_one(toks, out, name, str(term))
    return "".join(out)


def _punct(tok: Token, char: str) -> bool:
    return tok.kind == "punct" and tok.text == char


def _substitute_one(toks: list[Token], out: list[str], name: str, term: str) -> None:
    scopes = [_Scope(0, None, True)]  # the whole query, until its SELECT (if any) says more
    braces = 0
    clause = _Clause("")
    for i, tok in enumerate(toks):
        scope, kw = scopes[-1], tok.keyword
        if _punct(tok, "{"):
            braces += 1
            clause.close(name)
            clause = _Clause("")
            if scope.select and scope.where is None:
                scope.where = braces
        elif _punct(tok, "}"):
            clause.close(name)
            clause = _Clause("")
            if scope.select and scope.where == braces:
                scope.where = -1
                if scope.open and scope.depth == 0 and (scope.names is None or name in scope.names):
                    out[i] = f" BIND({term} AS ?{name}) " + out[i]  # before the "}" (and other BINDs)
            while len(scopes) > 1 and scopes[-1].depth >= braces:
                scopes.pop()
            braces -= 1
        elif _punct(tok, "(") or _punct(tok, ")"):
            clause.paren(tok.text)
        elif kw == "SELECT":
            names = _projection(toks, i + 1)
            sees = scope.open and (braces == 0 or names is None or name in names)
            if braces > 0 and sees and names == {name}:
                raise QueryError(f"?{name} is bound but is all that a sub-query selects")
            new = _Scope(braces, names, sees, select=True)
            if braces == 0:
                scopes[0] = new
            else:
                scopes.append(new)
            clause = _Clause("select", sub=braces > 0)
        elif kw in ("WHERE", "HAVING", "LIMIT", "OFFSET", "VALUES"):
            clause.close(name)
            clause = _Clause("")
        elif kw in ("GROUP", "ORDER"):
            clause.close(name)
            clause = _Clause(kw.lower(), sub=braces > 0)
        if kw in ("VALUES", "AS") and scope.open and _next_is_var(toks, i + 1, name, kw == "VALUES"):
            raise QueryError(f"?{name} is assigned by the query ({tok.text} ?{name}); it cannot be bound")
        if tok.kind == "var" and tok.text[1:] == name and scopes[-1].open:
            out[i] = clause.occurrence(term, tok.text)
        elif tok.kind in ("var", "iri") or (tok.kind == "word" and kw not in ("GROUP", "ORDER", "BY")):
            clause.other()


class _Clause:
    """Where a variable stands: a SELECT list, GROUP BY, ORDER BY, or patterns and expressions."""

    def __init__(self, kind: str, sub: bool = False) -> None:
        self.kind, self.sub = kind, sub
        self.depth = 0
        self.items = self.dropped = 0

    def paren(self, char: str) -> None:
        if char == "(":
            if self.depth == 0:
                self.items += 1
            self.depth += 1
        else:
            self.depth -= 1

    def other(self) -> None:
        """Another term of the clause (a variable, a function name, ASC or DESC)."""
        if self.depth == 0:
            self.items += 1

    def occurrence(self, term: str, var: str) -> str:
        """What a bound variable becomes here."""
        if not self.kind or self.depth > 0:
            return term
        self.items += 1
        if not self.sub:
            return var  # the query's own SELECT/GROUP BY/ORDER BY: bound by the BIND at its end
        self.dropped += 1
        return ""  # a sub-query no longer selects it; grouping or sorting on a constant does nothing

    def close(self, name: str) -> None:
        if self.kind in ("group", "order") and self.items and self.dropped == self.items:
            raise QueryError(f"?{name} is bound but is all that a sub-query's {self.kind.upper()} BY names")


def _projection(toks: list[Token], start: int) -> frozenset[str] | None:
    """The variables a SELECT projects (None for ``*``), read up to its WHERE or ``{``."""
    names: set[str] = set()
    depth = 0
    previous = ""
    for tok in toks[start:]:
        if tok.kind in ("space", "comment"):
            continue
        if tok.keyword == "WHERE" or (tok.text == "{" and tok.kind == "punct"):
            break
        if tok.text == "(" and tok.kind == "punct":
            depth += 1
        elif tok.text == ")" and tok.kind == "punct":
            depth -= 1
        elif tok.text == "*" and tok.kind == "punct" and depth == 0:
            return None
        elif tok.kind == "var" and (depth == 0 or previous == "AS"):
            names.add(tok.text[1:])  # ?x, or (expr AS ?x)
        previous = tok.keyword
    return frozenset(names)


def _next_is_var(toks: list[Token], start: int, name: str, values: bool) -> bool:
    """True when the tokens after AS/VALUES assign ?name (VALUES may list it in parentheses)."""
    for tok in toks[start:]:
        if tok.kind in ("space", "comment") or (values and tok.text == "(" and tok.kind == "punct"):
            continue
        if tok.kind == "var":
            if tok.text[1:] == name:
                return True
            if values:
                continue
        return False
    return False
