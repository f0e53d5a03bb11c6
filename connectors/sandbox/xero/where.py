"""Xero's ``where`` and ``order`` parameters: a small C#-like expression language.

    Reference=="RS-1042" AND Status=="AUTHORISED"
    Type=="ACCPAYCREDIT" && Date>=DateTime(2026, 01, 01)
    Contact.ContactID==Guid("9a3b...")  |  Name.StartsWith("Acme")  |  Reference!=null

Operators ``== != = > < >= <=``, ``AND/&&``, ``OR/||``, ``NOT/!``, parentheses; literals: strings in
double quotes, numbers, ``true``/``false``/``null``, ``Guid("...")``, ``DateTime(y, m, d[, h, m, s])``;
string methods ``StartsWith``, ``EndsWith``, ``Contains``, ``ToLower``, ``ToUpper``. A property the
document type does not have, or text that does not parse, is Xero's QueryParseException (400, 16).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sandbox.xero.dates import parse_ms

DATE_FIELDS = frozenset({"Date", "DueDate", "UpdatedDateUTC", "FullyPaidOnDate", "ExpectedPaymentDate"})


class QueryParseError(ValueError):
    pass


@dataclass(frozen=True)
class Tok:
    kind: str  # name | string | number | op | punct | eof
    text: str
    pos: int


_OPS = ("==", "!=", ">=", "<=", "&&", "||", "=", ">", "<", "!")


def _tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isalpha() or ch == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Tok("name", text[i:j], i))
            i = j
        elif ch.isdigit() or (ch == "-" and i + 1 < len(text) and text[i + 1].isdigit()):
            j = i + 1
            while j < len(text) and (text[j].isdigit() or text[j] == "."):
                j += 1
            out.append(Tok("number", text[i:j], i))
            i = j
        elif ch == '"':
            j = i + 1
            chars: list[str] = []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= len(text):
                raise QueryParseError(f"Unterminated string literal at position {i}")
            out.append(Tok("string", "".join(chars), i))
            i = j + 1
        else:
            op = next((o for o in _OPS if text.startswith(o, i)), None)
            if op is not None:
                out.append(Tok("op", op, i))
                i += len(op)
            elif ch in "().,":
                out.append(Tok("punct", ch, i))
                i += 1
            else:
                raise QueryParseError(f"Syntax error '{ch}' at position {i}")
    out.append(Tok("eof", "", len(text)))
    return out


# AST nodes are tuples: ("lit", value) ("field", "A.B") ("call", node, method, [args])
# ("cmp", op, left, right) ("and", l, r) ("or", l, r) ("not", node)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.fields: list[str] = []

    @property
    def cur(self) -> Tok:
        return self.toks[self.i]

    def _is(self, kind: str, *texts: str) -> bool:
        tok = self.cur
        return tok.kind == kind and (not texts or tok.text.upper() in texts or tok.text in texts)

    def _take(self) -> Tok:
        tok = self.cur
        self.i += 1
        return tok

    def _expect(self, kind: str, text: str) -> None:
        if not (self.cur.kind == kind and self.cur.text == text):
            raise QueryParseError(f"'{text}' expected at position {self.cur.pos}")
        self.i += 1

    def parse(self) -> Any:
        node = self._or()
        if self.cur.kind != "eof":
            raise QueryParseError(f"Syntax error '{self.cur.text}' at position {self.cur.pos}")
        return node

    def _or(self) -> Any:
        node = self._and()
        while self._is("op", "||") or self._is("name", "OR"):
            self._take()
            node = ("or", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._not()
        while self._is("op", "&&") or self._is("name", "AND"):
            self._take()
            node = ("and", node, self._not())
        return node

    def _not(self) -> Any:
        if self._is("op", "!") or self._is("name", "NOT"):
            self._take()
            return ("not", self._not())
        return self._cmp()

    def _cmp(self) -> Any:
        left = self._term()
        if self.cur.kind == "op" and self.cur.text in ("==", "!=", "=", ">", "<", ">=", "<="):
            op = self._take().text
            return ("cmp", "==" if op == "=" else op, left, self._term())
        return left

    def _term(self) -> Any:
        node = self._primary()
        while self._is("punct", "."):
            self._take()
            if self.cur.kind != "name":
                raise QueryParseError(f"Identifier expected at position {self.cur.pos}")
            name = self._take().text
            if self._is("punct", "("):
                node = ("call", node, name, self._args())
            elif node[0] == "field":
                node = ("field", f"{node[1]}.{name}")
            else:
                raise QueryParseError(f"Syntax error '.' at position {self.cur.pos}")
        if node[0] == "field":
            self.fields.append(node[1])
        return node

    def _args(self) -> list[Any]:
        self._expect("punct", "(")
        args: list[Any] = []
        if not self._is("punct", ")"):
            args.append(self._or())
            while self._is("punct", ","):
                self._take()
                args.append(self._or())
        self._expect("punct", ")")
        return args

    def _primary(self) -> Any:
        tok = self.cur
        if tok.kind == "string":
            self._take()
            return ("lit", tok.text)
        if tok.kind == "number":
            self._take()
            try:
                return ("lit", Decimal(tok.text))
            except InvalidOperation:
                raise QueryParseError(f"Invalid number '{tok.text}'") from None
        if self._is("punct", "("):
            self._take()
            node = self._or()
            self._expect("punct", ")")
            return node
        if tok.kind == "name":
            self._take()
            upper = tok.text.upper()
            if upper in ("TRUE", "FALSE"):
                return ("lit", upper == "TRUE")
            if upper == "NULL":
                return ("lit", None)
            if upper == "GUID" and self._is("punct", "("):
                args = self._args()
                if len(args) != 1 or args[0][0] != "lit" or not isinstance(args[0][1], str):
                    raise QueryParseError("Guid() takes one string")
                return ("lit", args[0][1].lower())
            if upper == "DATETIME" and self._is("punct", "("):
                return ("lit", _datetime_literal(self._args()))
            return ("field", tok.text)
        raise QueryParseError(f"Expression expected at position {tok.pos}")


def _datetime_literal(args: list[Any]) -> datetime:
    if any(a[0] != "lit" for a in args):
        raise QueryParseError("DateTime() takes numbers")
    if len(args) == 1 and isinstance(args[0][1], str):
        try:
            moment = datetime.fromisoformat(args[0][1])
        except ValueError:
            raise QueryParseError(f"Invalid DateTime '{args[0][1]}'") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        parts = [int(a[1]) for a in args] + [0, 0, 0]
        if len(args) < 3 or len(args) > 6:
            raise ValueError("wrong number of parts")
        return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], tzinfo=UTC)
    except (TypeError, ValueError):
        raise QueryParseError("DateTime() needs year, month, day[, hour, minute, second]") from None


@dataclass(frozen=True)
class WhereClause:
    tree: Any
    fields: tuple[str, ...]

    def matches(self, body: dict[str, Any]) -> bool:
        return bool(_truth(_eval(self.tree, body)))


def parse_where(text: str, entity: str, known_fields: set[str]) -> WhereClause:
    parser = _Parser(text)
    tree = parser.parse()
    for path in parser.fields:
        top = path.split(".")[0]
        if top not in known_fields:
            raise QueryParseError(f"No property or field '{top}' exists in type '{entity}'")
    return WhereClause(tree, tuple(parser.fields))


def parse_order(text: str, entity: str, known_fields: set[str]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryParseError(f"Syntax error in order '{text}'")
        if words[0].split(".")[0] not in known_fields:
            raise QueryParseError(f"No property or field '{words[0]}' exists in type '{entity}'")
        out.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
    return out


def value_at(body: dict[str, Any], path: str) -> Any:
    """A property for comparison: ``/Date()/`` values become datetimes, ids compare lower-case."""
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    last = path.split(".")[-1]
    if isinstance(value, str) and (last in DATE_FIELDS or value.startswith("/Date(")):
        seconds = parse_ms(value)
        if seconds is not None:
            return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str) and last.endswith("ID") and re.fullmatch(r"[0-9a-fA-F-]{36}", value):
        return value.lower()
    return value


def _eval(node: Any, body: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        return value_at(body, node[1])
    if kind == "and":
        return _truth(_eval(node[1], body)) and _truth(_eval(node[2], body))
    if kind == "or":
        return _truth(_eval(node[1], body)) or _truth(_eval(node[2], body))
    if kind == "not":
        return not _truth(_eval(node[1], body))
    if kind == "call":
        target = _eval(node[1], body)
        args = [_eval(a, body) for a in node[3]]
        return _call(target, node[2], args)
    if kind == "cmp":
        return _compare(node[1], _eval(node[2], body), _eval(node[3], body))
    raise QueryParseError(f"unknown node {kind}")


def _call(target: Any, method: str, args: list[Any]) -> Any:
    name = method.lower()
    if target is None:
        return None
    text = str(target)
    if name == "tolower":
        return text.lower()
    if name == "toupper":
        return text.upper()
    if name in ("startswith", "endswith", "contains") and len(args) == 1:
        arg = str(args[0])
        return {"startswith": text.startswith, "endswith": text.endswith, "contains": lambda a: a in text}[name](arg)
    raise QueryParseError(f"No applicable method '{method}' exists")


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        if op == "==":
            return left is None and right is None
        if op == "!=":
            return not (left is None and right is None)
        return False
    if isinstance(left, Decimal | int) and not isinstance(left, bool) and isinstance(right, str):
        try:
            right = Decimal(right)
        except InvalidOperation:
            return False
    if isinstance(left, datetime) and not isinstance(right, datetime):
        return False
    try:
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op == ">":
            return bool(left > right)
        if op == "<":
            return bool(left < right)
        if op == ">=":
            return bool(left >= right)
        if op == "<=":
            return bool(left <= right)
    except TypeError:
        return False
    return False


def _truth(value: Any) -> bool:
    return bool(value) if isinstance(value, bool) else value is not None and value is not False
