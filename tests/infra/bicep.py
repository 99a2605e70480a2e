"""A reader for the Bicep in infra/, enough to hold it to the code without the Bicep CLI.

It understands what these files use: comments, single-quoted strings with `${...}` interpolation,
top-level declarations (param, var, output, resource, module) with their decorators, object
literals and for-expressions (`[for x in items: body]`, also as the body of a resource or module).
It is not a Bicep parser; when it meets something it does not understand it raises
BicepSyntaxError rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

KEYWORDS = (
    "param",
    "var",
    "output",
    "resource",
    "module",
    "targetScope",
    "metadata",
    "func",
    "type",
    "import",
)
_OPEN, _CLOSE = "([{", ")]}"


class BicepSyntaxError(ValueError):
    """Text the reader does not understand."""


def _string_end(text: str, start: int) -> int:
    """Index just past the single-quoted string starting at `start` (interpolations included)."""
    if text.startswith("'''", start):
        end = text.find("'''", start + 3)
        if end < 0:
            raise BicepSyntaxError(f"unterminated multi-line string at offset {start}")
        return end + 3
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "'":
            return i + 1
        elif text.startswith("${", i):
            i = _interpolation_end(text, i + 2)
        elif c == "\n":
            raise BicepSyntaxError(f"unterminated string at offset {start}")
        else:
            i += 1
    raise BicepSyntaxError(f"unterminated string at offset {start}")


def _interpolation_end(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        c = text[i]
        if c == "'":
            i = _string_end(text, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise BicepSyntaxError(f"unterminated interpolation at offset {start}")


@dataclass(frozen=True)
class Segment:
    kind: str  # "code", "string" or "comment"
    start: int
    end: int


def segments(text: str) -> list[Segment]:
    """Split text into code, string literal and comment segments."""
    out: list[Segment] = []
    code_start = 0
    i = 0
    while i < len(text):
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            kind = "comment"
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise BicepSyntaxError(f"unterminated comment at offset {i}")
            end += 2
            kind = "comment"
        elif text[i] == "'":
            end = _string_end(text, i)
            kind = "string"
        else:
            i += 1
            continue
        if code_start < i:
            out.append(Segment("code", code_start, i))
        out.append(Segment(kind, i, end))
        i = code_start = end
    if code_start < len(text):
        out.append(Segment("code", code_start, len(text)))
    return out


def strip_comments(text: str) -> str:
    """The text with every comment blanked out (newlines kept, so line numbers still match)."""
    chars = list(text)
    for seg in segments(text):
        if seg.kind == "comment":
            for i in range(seg.start, seg.end):
                if chars[i] != "\n":
                    chars[i] = " "
    return "".join(chars)


def string_literals(text: str) -> list[str]:
    """The contents of every string literal, interpolations left in place."""
    found = []
    for seg in segments(text):
        if seg.kind == "string":
            quote = 3 if text.startswith("'''", seg.start) else 1
            found.append(text[seg.start + quote : seg.end - quote])
    return found


def split_top_level(text: str, *, commas: bool = True) -> list[str]:
    """Split text at newlines (and commas) that are outside brackets and strings."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for seg in segments(text):
        chunk = text[seg.start : seg.end]
        if seg.kind == "comment":
            continue
        if seg.kind == "string":
            current.append(chunk)
            continue
        for c in chunk:
            if c in _OPEN:
                depth += 1
            elif c in _CLOSE:
                depth -= 1
                if depth < 0:
                    raise BicepSyntaxError(f"unbalanced {c!r} in {text[:60]!r}")
            if depth == 0 and (c == "\n" or (commas and c == ",")):
                parts.append("".join(current))
                current = []
            else:
                current.append(c)
    if depth != 0:
        raise BicepSyntaxError(f"unbalanced brackets in {text[:60]!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


_ENTRY = re.compile(r"^('(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*)\s*:\s*(.*)$", re.DOTALL)


def object_entries(literal: str) -> dict[str, str]:
    """Top-level `key: value` entries of an object literal `{ ... }` (values as text)."""
    literal = literal.strip()
    if not (literal.startswith("{") and literal.endswith("}")):
        raise BicepSyntaxError(f"not an object literal: {literal[:60]!r}")
    entries: dict[str, str] = {}
    for part in split_top_level(literal[1:-1]):
        match = _ENTRY.match(part)
        if not match:
            raise BicepSyntaxError(f"not an object entry: {part[:60]!r}")
        key = match.group(1).strip("'")
        entries[key] = match.group(2).strip()
    return entries


def object_literals(expression: str) -> list[str]:
    """Every object literal that appears in an expression (outermost ones first)."""
    found = []
    for seg in segments(expression):
        if seg.kind != "code":
            continue
        for i in range(seg.start, seg.end):
            if expression[i] == "{":
                found.append(expression[i : _matching(expression, i) + 1])
    return found


def _code_chars(text: str, start: int) -> Iterator[tuple[int, str, int]]:
    """(index, character, bracket depth before it) for each code character from `start` on."""
    depth = 0
    for seg in segments(text[start:]):
        if seg.kind != "code":
            continue
        for i in range(start + seg.start, start + seg.end):
            yield i, text[i], depth
            depth += (text[i] in _OPEN) - (text[i] in _CLOSE)


def _matching(text: str, start: int) -> int:
    """Index of the bracket closing the one at `start`, skipping strings."""
    for i, c, depth in _code_chars(text, start):
        if c in _CLOSE and depth == 1:
            return i
    raise BicepSyntaxError(f"unbalanced bracket at offset {start}")


def code_text(expression: str) -> str:
    """The expression's code with string literals reduced to their interpolations, each in parentheses.

    `'https://${name}.x'` becomes `(name)`: what is left is every identifier the expression reads.
    """
    out: list[str] = []
    for seg in segments(expression):
        chunk = expression[seg.start : seg.end]
        if seg.kind == "code":
            out.append(chunk)
        elif seg.kind == "string" and not chunk.startswith("'''"):  # multi-line strings never interpolate
            i = 0
            while (start := chunk.find("${", i)) >= 0:
                end = _interpolation_end(chunk, start + 2)
                out.append(f"({code_text(chunk[start + 2 : end - 1])})")
                i = end
        out.append(" ")
    return "".join(out)


@dataclass(frozen=True)
class ForExpression:
    """`[for item in iterable: if (condition) body]`: the three parts as text."""

    text: str
    iterable: str
    condition: str
    body: str


_FOR_HEAD = re.compile(r"\[\s*for\s+(?:\([^)]*\)|[A-Za-z_]\w*)\s+in\s+")


def _colon_at_depth_zero(text: str, start: int) -> int:
    """Index of the `:` that ends a for-expression's iterable (ternaries inside it are skipped)."""
    ternaries = 0
    for i, c, depth in _code_chars(text, start):
        if depth != 0:
            continue
        if c == "?" and text[i + 1 : i + 2] not in ("?", ".", "[") and text[i - 1] != "?":
            ternaries += 1
        elif c == ":" and ternaries:
            ternaries -= 1
        elif c == ":":
            return i
    raise BicepSyntaxError(f"for-expression without ':' at offset {start}")


def for_expressions(expression: str) -> list[ForExpression]:
    """Every for-expression in an expression, outermost ones first."""
    found = []
    for seg in segments(expression):
        if seg.kind != "code":
            continue
        for match in _FOR_HEAD.finditer(expression, seg.start, seg.end):
            end = _matching(expression, match.start())
            colon = _colon_at_depth_zero(expression, match.end())
            rest = expression[colon + 1 : end].strip()
            condition = ""
            if rest.startswith("if") and rest[2:].lstrip().startswith("("):
                open_at = rest.index("(")
                close_at = _matching(rest, open_at)
                condition, rest = rest[open_at + 1 : close_at].strip(), rest[close_at + 1 :].strip()
            iterable = expression[match.end() : colon].strip()
            found.append(ForExpression(expression[match.start() : end + 1], iterable, condition, rest))
    return found


def path(literal: str, dotted: str) -> str | None:
    """The value at `a.b.c` inside nested object literals, or None when a step is missing."""
    value = literal
    for step in dotted.split("."):
        if not value.strip().startswith("{"):
            return None
        entries = object_entries(value)
        if step not in entries:
            return None
        value = entries[step]
    return value


@dataclass(frozen=True)
class Declaration:
    """One top-level statement: `kind name ...` with its decorators."""

    kind: str
    name: str
    text: str
    decorators: tuple[str, ...] = ()
    type: str = ""  # param/output type, or resource type 'Provider/type' (without the api version)
    api_version: str = ""
    value: str = ""  # default (param), expression (var/output) or body (resource/module)
    condition: str = ""  # `if (...)` of a conditional resource or module
    existing: bool = False
    source: str = ""  # module path
    loop: str = ""  # the iterable of a resource or module declared with `[for ...]`

    @property
    def secure(self) -> bool:
        return any(d.startswith("@secure(") for d in self.decorators)


_PARAM = re.compile(r"^param\s+(\w+)\s+([\w.?\[\]]+)\s*(?:=\s*(.*))?$", re.DOTALL)
_VAR = re.compile(r"^var\s+(\w+)\s*=\s*(.*)$", re.DOTALL)
_OUTPUT = re.compile(r"^output\s+(\w+)\s+([\w.?\[\]]+)\s*=\s*(.*)$", re.DOTALL)
_RESOURCE = re.compile(
    r"^resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s*(existing\s*)?=\s*(?:if\s*\((.*?)\)\s*)?(\{.*\}|\[.*\])$",
    re.DOTALL,
)
_MODULE = re.compile(r"^module\s+(\w+)\s+'([^']+)'\s*=\s*(?:if\s*\((.*?)\)\s*)?(\{.*\}|\[.*\])$", re.DOTALL)


def _body(value: str) -> tuple[str, str, str]:
    """(body, condition, loop iterable) of a resource or module value: `{...}` or `[for x in y: {...}]`."""
    if value.startswith("{"):
        return value, "", ""
    loops = for_expressions(value)
    if not loops or loops[0].text != value:
        raise BicepSyntaxError(f"not a body or a for-expression: {value[:60]!r}")
    return loops[0].body, loops[0].condition, loops[0].iterable


def _declaration(statement: str, decorators: tuple[str, ...]) -> Declaration:
    if match := _PARAM.match(statement):
        name, type_, default = match.groups()
        return Declaration("param", name, statement, decorators, type=type_, value=(default or "").strip())
    if match := _VAR.match(statement):
        return Declaration("var", match.group(1), statement, decorators, value=match.group(2).strip())
    if match := _OUTPUT.match(statement):
        name, type_, expr = match.groups()
        return Declaration("output", name, statement, decorators, type=type_, value=expr.strip())
    if match := _RESOURCE.match(statement):
        name, type_, version, existing, condition, value = match.groups()
        body, loop_condition, loop = _body(value)
        return Declaration(
            "resource",
            name,
            statement,
            decorators,
            type=type_,
            api_version=version,
            value=body,
            condition=(condition or loop_condition).strip(),
            existing=bool(existing),
            loop=loop,
        )
    if match := _MODULE.match(statement):
        name, source, condition, value = match.groups()
        body, loop_condition, loop = _body(value)
        return Declaration(
            "module",
            name,
            statement,
            decorators,
            value=body,
            condition=(condition or loop_condition).strip(),
            source=source,
            loop=loop,
        )
    keyword = statement.split(None, 1)[0]
    if keyword in KEYWORDS:
        return Declaration(keyword, keyword, statement, decorators)
    raise BicepSyntaxError(f"not a declaration: {statement[:80]!r}")


@dataclass
class BicepFile:
    """The declarations of one .bicep file."""

    path: str
    text: str
    declarations: list[Declaration] = field(default_factory=list)

    @classmethod
    def parse(cls, path: str, text: str) -> BicepFile:
        found: list[Declaration] = []
        decorators: list[str] = []
        for statement in split_top_level(strip_comments(text), commas=False):
            if statement.startswith("@"):
                decorators.append(statement)
                continue
            if statement.startswith("#disable"):
                continue
            found.append(_declaration(statement, tuple(decorators)))
            decorators = []
        if decorators:
            raise BicepSyntaxError(f"{path}: decorators with nothing to decorate: {decorators}")
        return cls(path, text, found)

    def of_kind(self, kind: str) -> dict[str, Declaration]:
        return {d.name: d for d in self.declarations if d.kind == kind}

    @property
    def params(self) -> dict[str, Declaration]:
        return self.of_kind("param")

    @property
    def vars(self) -> dict[str, Declaration]:
        return self.of_kind("var")

    @property
    def outputs(self) -> dict[str, Declaration]:
        return self.of_kind("output")

    @property
    def resources(self) -> dict[str, Declaration]:
        return self.of_kind("resource")

    @property
    def modules(self) -> dict[str, Declaration]:
        return self.of_kind("module")

    def resources_of_type(self, type_: str) -> list[Declaration]:
        return [r for r in self.resources.values() if r.type.lower() == type_.lower()]


def unquote(value: str) -> str | None:
    """The text of a plain string literal (no interpolation), else None."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'" and "${" not in value and "'" not in value[1:-1]:
        return value[1:-1]
    return None


def references(expression: str, name: str) -> bool:
    """Whether an identifier is used in an expression's code or interpolations (not in string text)."""
    pattern = re.compile(rf"(?<![\w.$]){re.escape(name)}(?!\w)")
    for seg in segments(expression):
        chunk = expression[seg.start : seg.end]
        if seg.kind == "code" and pattern.search(chunk):
            return True
        if seg.kind == "string":
            for interpolation in re.findall(r"\$\{(.*?)\}", chunk):
                if pattern.search(interpolation):
                    return True
    return False
