"""The part of Intuit's query language that clients use, with a real tokenizer and parser.

    SELECT * | COUNT(*) | Field[, Field...] FROM Entity
      [WHERE cond [AND cond]...]  cond: Field (= | < | > | <= | >=) literal | Field IN (literal, ...)
                                        | Field LIKE '%text%'
      [ORDERBY | ORDER BY Field [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]

Syntax errors are answered as Intuit does (fault 4000, ``QueryParserError: Encountered ... at line 1,
column N``); well-formed queries Intuit refuses (OR, a property that is not queryable, MAXRESULTS over
1000) get fault 4001 ``QueryValidationError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sandbox.quickbooks import faults as qf

KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "in",
    "like",
    "orderby",
    "order",
    "by",
    "asc",
    "desc",
    "startposition",
    "maxresults",
    "count",
    "true",
    "false",
    "iterator",
}
MAX_RESULTS = 1000
DEFAULT_MAX_RESULTS = 100


@dataclass(frozen=True)
class Token:
    kind: str  # keyword | ident | string | number | op | punct | eof | error (lexical, raised when reached)
    text: str
    column: int

    def describe(self) -> str:
        if self.kind == "eof":
            return "<EOF>"
        label = {"ident": "<IDENTIFIER>", "string": "<STRING>", "number": "<INTEGER>"}.get(
            self.kind, f'"{self.text.lower()}"'
        )
        return f'" {label} "{self.text} ""' if self.kind in ("ident", "string", "number") else label


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        column = i + 1
        if ch.isspace():
            i += 1
        elif ch.isalpha() or ch == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            tokens.append(Token("keyword" if word.lower() in KEYWORDS else "ident", word, column))
            i = j
        elif ch.isdigit() or (ch == "-" and i + 1 < len(text) and text[i + 1].isdigit()):
            j = i + 1
            while j < len(text) and (text[j].isdigit() or text[j] == "."):
                j += 1
            tokens.append(Token("number", text[i:j], column))
            i = j
        elif ch == "'":
            j = i + 1
            chars: list[str] = []
            while j < len(text):
                if text[j] == "\\" and j + 1 < len(text):
                    chars.append(text[j + 1])
                    j += 2
                    continue
                if text[j] == "'":
                    break
                chars.append(text[j])
                j += 1
            if j >= len(text):  # lexical errors surface when the parser reaches them, as in JavaCC
                message = (
                    f"Invalid content. Lexical error at line 1, column {len(text) + 1}.  "
                    f'Encountered: <EOF> after : "{text[i:]}"'
                )
                tokens.append(Token("error", message, column))
                return tokens
            tokens.append(Token("string", "".join(chars), column))
            i = j + 1
        elif text.startswith(("<=", ">="), i):
            tokens.append(Token("op", text[i : i + 2], column))
            i += 2
        elif ch in "=<>":
            tokens.append(Token("op", ch, column))
            i += 1
        elif ch in "(),*.":
            tokens.append(Token("punct", ch, column))
            i += 1
        else:
            message = (
                f"Invalid content. Lexical error at line 1, column {column}.  "
                f'Encountered: "{ch}" ({ord(ch)}), after : ""'
            )
            tokens.append(Token("error", message, column))
            return tokens
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # = < > <= >= in like
    values: tuple[Any, ...]


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list[str] = field(default_factory=list)  # empty: all fields
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS
    uses_or: bool = False


class Parser:
    def __init__(self, text: str) -> None:
        if not text or not text.strip():
            raise qf.query_parser_error("The query provided was empty")
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def current(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind == "error":
            raise qf.query_parser_error(token.text)
        return token

    def _fail(self, expected: list[str]) -> qf.QboFault:
        token = self.current
        wanted = "\n".join(f"    {e} ..." if not e.startswith("<EOF>") else f"    {e} " for e in expected)
        return qf.query_parser_error(
            f"Encountered {token.describe()} at line 1, column {token.column}.\nWas expecting one of:\n{wanted}\n    "
        )

    def _keyword(self, word: str) -> bool:
        if self.current.kind == "keyword" and self.current.text.lower() == word:
            self.pos += 1
            return True
        return False

    def _expect_keyword(self, word: str) -> None:
        if not self._keyword(word):
            raise self._fail([f'"{word}"'])

    def _punct(self, symbol: str) -> bool:
        if self.current.kind == "punct" and self.current.text == symbol:
            self.pos += 1
            return True
        return False

    def _expect_punct(self, symbol: str) -> None:
        if not self._punct(symbol):
            raise self._fail([f'"{symbol}"'])

    def _identifier(self) -> str:
        token = self.current
        if token.kind not in ("ident", "keyword") or token.text.lower() in (
            "select",
            "from",
            "where",
            "and",
            "or",
            "in",
            "like",
            "orderby",
            "order",
            "startposition",
            "maxresults",
        ):
            raise self._fail(["<IDENTIFIER>"])
        self.pos += 1
        return token.text

    def _field(self) -> str:
        parts = [self._identifier()]
        while self._punct("."):
            parts.append(self._identifier())
        return ".".join(parts)

    def _integer(self) -> int:
        token = self.current
        if token.kind != "number" or not token.text.isdigit():
            raise self._fail(["<INTEGER>"])
        self.pos += 1
        return int(token.text)

    def _literal(self) -> Any:
        token = self.current
        if token.kind == "string":
            self.pos += 1
            return token.text
        if token.kind == "number":
            self.pos += 1
            try:
                return Decimal(token.text)
            except InvalidOperation:
                raise self._fail(["<INTEGER>"]) from None
        if token.kind == "keyword" and token.text.lower() in ("true", "false"):
            self.pos += 1
            return token.text.lower() == "true"
        raise self._fail(["<STRING>", "<INTEGER>", '"true"', '"false"'])

    def parse(self) -> Query:
        self._expect_keyword("select")
        count = False
        fields: list[str] = []
        if self._keyword("count"):
            self._expect_punct("(")
            self._expect_punct("*")
            self._expect_punct(")")
            count = True
        elif self._punct("*"):
            while self._punct(","):
                self._field()  # "*, Sku": extra fields on top of all fields
        else:
            fields.append(self._field())
            while self._punct(","):
                fields.append(self._field())
        self._expect_keyword("from")
        query = Query(entity=self._identifier(), count=count, fields=fields)
        if self._keyword("where"):
            query.conditions.append(self._condition())
            while True:
                if self._keyword("and"):
                    query.conditions.append(self._condition())
                elif self._keyword("or"):
                    query.uses_or = True
                    query.conditions.append(self._condition())
                else:
                    break
        if self._keyword("orderby") or (self._keyword("order") and self._by()):
            query.order.append(self._order_item())
            while self._punct(","):
                query.order.append(self._order_item())
        if self._keyword("startposition"):
            query.start = self._integer()
        if self._keyword("maxresults"):
            query.max_results = self._integer()
        if self.current.kind != "eof":
            raise self._fail(["<EOF>", "<AND>", '"maxresults"', '"order"', '"orderby"', '"startposition"'])
        return query

    def _by(self) -> bool:
        self._expect_keyword("by")
        return True

    def _order_item(self) -> tuple[str, bool]:
        name = self._field()
        if self._keyword("desc"):
            return name, True
        self._keyword("asc")
        return name, False

    def _condition(self) -> Condition:
        name = self._field()
        token = self.current
        if token.kind == "op":
            self.pos += 1
            return Condition(name, token.text, (self._literal(),))
        if self._keyword("in"):
            self._expect_punct("(")
            values = [self._literal()]
            while self._punct(","):
                values.append(self._literal())
            self._expect_punct(")")
            return Condition(name, "in", tuple(values))
        if self._keyword("like"):
            pattern = self._literal()
            if not isinstance(pattern, str):
                raise self._fail(["<STRING>"])
            return Condition(name, "like", (pattern,))
        raise self._fail(['"="', '"<"', '">"', '"<="', '">="', '"in"', '"like"'])


def parse(text: str) -> Query:
    return Parser(text).parse()


def like_matcher(pattern: str) -> re.Pattern[str]:
    """Intuit's LIKE: ``%`` is the only wildcard; matching ignores case."""
    parts = [re.escape(p) for p in pattern.split("%")]
    return re.compile("^" + ".*".join(parts) + "$", re.IGNORECASE | re.DOTALL)
