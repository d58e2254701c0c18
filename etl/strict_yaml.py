"""A strict, bounded YAML loader for the reviewed configuration files (scenarios, tariff actions).

`load_config_file(path, kind=...)` returns plain data (dict, list, str, bool, None,
`datetime.date`, `YamlNumber`) or raises `ConfigFileError`, whose message is one line:
``"<kind> file <name>: <key path>: <rule>"``.

What it refuses, and why:

- files larger than `max_bytes` (checked on the size before anything is parsed, and again on the
  bytes read), anything but a regular file, bytes that are not UTF-8;
- more than one YAML document, explicit tags (`!!python/...`, `!!str`, ...), merge keys (`<<`);
- duplicate keys at any depth (the error names the key and both lines);
- anchors and aliases beyond a small bound: at most `MAX_ALIASES` (20) alias uses per file, no
  alias that refers to a node containing itself, and at most `MAX_VALUES` values once aliases
  are expanded; nesting at most `MAX_DEPTH` deep. A billion-laughs file is refused while it is
  composed (nothing is expanded), so in milliseconds;
- YAML 1.1 booleans other than true/false (`yes`, `no`, `on`, `off`): write true/false, or quote;
- unquoted timestamps that are not a calendar date written YYYY-MM-DD (`2025-6-1`,
  `2025-02-30`, `2025-06-01 10:00`); `2025-06-01` becomes a `datetime.date`.

What it keeps as-is: every unquoted scalar that YAML 1.1 would turn into a number (`0101` is
octal 65, `1:30` is sexagesimal 90, `1_000` is 1000, `.inf`, `0x1f`), and every unquoted run of
digits (`0108`, which YAML 1.1 keeps as text but YAML 1.2 reads as 108), comes back as a
`YamlNumber` holding the text as written. The schema layer decides: a field that wants a number
calls `YamlNumber.to_int()`/`to_float()` (plain decimal notation only); a field that wants text
(an HS code) says "quote it". Keys are always their text as written.

`config_error_from_validation(exc, path, kind, model)` turns a pydantic `ValidationError` into
a `ConfigFileError` (first error, its location joined with '.', one line).
"""

from __future__ import annotations

import re
import stat
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from etl.errors import EtlError

MAX_ALIASES = 20
MAX_VALUES = 100_000
MAX_DEPTH = 50
MAX_MESSAGE = 400

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_DIGITS = re.compile(r"[-+]?[0-9][0-9_]*")
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})")
_DECIMAL_FLOAT = re.compile(
    r"[-+]?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,18})?(?:[eE][-+]?[0-9]{1,3})?"
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE, _FALSE = {"true", "True", "TRUE"}, {"false", "False", "FALSE"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def show(value: object, limit: int = 60) -> str:
    """`repr` of a value for an error line: control characters escaped, at most `limit` chars."""
    text = repr(value.text if isinstance(value, YamlNumber) else value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


class ConfigFileError(EtlError):
    """A reviewed configuration file is invalid: one line naming the file, the key and the rule."""

    def __init__(self, kind: str, name: str, key_path: str, rule: str) -> None:
        self.kind, self.file_name, self.key_path, self.rule = kind, name, key_path, rule
        super().__init__(_one_line(f"{kind} file {name}: {key_path}: {rule}"))

    def __reduce__(self) -> tuple:  # picklable across processes (Airflow task runners)
        return (type(self), (self.kind, self.file_name, self.key_path, self.rule))


@dataclass(frozen=True)
class YamlNumber:
    """An unquoted scalar that reads as a number, kept exactly as written."""

    text: str
    line: int

    def yaml11(self) -> str:
        """What YAML 1.1 (PyYAML's safe_load) would have made of it, for error messages."""
        if len(self.text) > 30:
            return "a number"
        try:
            value = yaml.safe_load(self.text)
        except (yaml.YAMLError, ValueError):  # pragma: no cover - the resolver matched it
            return "a number"
        if isinstance(value, str):
            return f"the text {self.text!r} (YAML 1.2: a number)"
        if isinstance(value, int) and re.fullmatch(r"[-+]?0[0-7_]+", self.text):
            return f"the octal number {value}"
        if isinstance(value, int) and ":" in self.text:
            return f"the sexagesimal number {value}"
        return f"the number {value}"

    def to_int(self) -> int:
        """The integer, if written in plain decimal notation (no leading zero, `_`, `:`, `0x`)."""
        if not _DECIMAL_INT.fullmatch(self.text):
            raise ValueError(
                f"{self.text} is not a plain decimal integer (YAML 1.1 reads it as "
                f"{self.yaml11()}); write it without leading zeros, '_' or ':'"
            )
        return int(self.text)

    def to_float(self) -> float:
        """The number, if written in plain decimal notation (no `.inf`, `.nan`, `_`, `:`)."""
        if not _DECIMAL_FLOAT.fullmatch(self.text):
            raise ValueError(f"{self.text} is not a plain decimal number (such as 0.05)")
        return float(self.text)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that only composes (no constructors), bounding aliases, tags and depth."""

    def __init__(self, stream: str, fail: Any) -> None:
        super().__init__(stream)
        self.fail = fail
        self.aliases = 0
        self.path: list[str] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if parent is None:
            part = None
        elif index is None:
            part = "(key)"
        elif isinstance(index, int):
            part = f"[{index}]"
        else:
            part = str(index.value) if isinstance(index, ScalarNode) else "(key)"
        if part is not None:
            self.path.append(part)
        if len(self.path) > MAX_DEPTH:
            self.fail(self.path, f"nested more than {MAX_DEPTH} levels deep")
        if self.check_event(AliasEvent):
            event = self.peek_event()
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                self.fail(
                    self.path,
                    f"more than {MAX_ALIASES} alias uses (*{show(event.anchor, 30)[1:-1]} at line "
                    f"{event.start_mark.line + 1}); anchors and aliases are limited to "
                    f"{MAX_ALIASES} per file",
                )
        else:
            event = self.peek_event()
            tag = getattr(event, "tag", None)
            if tag not in (None, "!"):
                self.fail(
                    self.path,
                    f"explicit tag {show(tag, 40)} at line {event.start_mark.line + 1} "
                    "is not allowed",
                )
        node = super().compose_node(parent, index)
        if part is not None:
            self.path.pop()
        return node


def _join(path: list[str]) -> str:
    out = ""
    for part in path:
        out += part if part.startswith("[") or not out else "." + part
    return out or "(top level)"


class _Builder:
    """Turns composed nodes into plain data, checking keys, scalars, cycles and expansion."""

    def __init__(self, fail: Any) -> None:
        self.fail = fail
        self.values = 0
        self.active: set[int] = set()

    def build(self, node: Node, path: list[str]) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            self.fail(path, f"expands to more than {MAX_VALUES:,} values (aliases)")
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.fail(
                path,
                f"an alias refers to a node that contains it (anchor at line "
                f"{node.start_mark.line + 1})",
            )
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, [*path, f"[{i}]"]) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            out: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self.fail(path, f"line {key_node.start_mark.line + 1}: keys must be plain text")
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key == "<<" and key_node.style is None:
                    self.fail([*path, key], f"merge keys (<<) are not allowed (line {line})")
                if key in lines:
                    self.fail(
                        [*path, key],
                        f"duplicate key {show(key, 40)} (lines {lines[key]} and {line})",
                    )
                lines[key] = line
                out[key] = self.build(value_node, [*path, key])
            return out
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, path: list[str]) -> Any:
        text = node.value
        if node.style is not None:  # quoted or block scalar: text, always
            return text
        line = node.start_mark.line + 1
        tag = node.tag
        if tag in (_INT_TAG, _FLOAT_TAG) or _DIGITS.fullmatch(text):
            return YamlNumber(text, line)
        if tag == _NULL_TAG:
            return None
        if tag == _BOOL_TAG:
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            self.fail(
                path,
                f"{show(text)} is a boolean in YAML 1.1: write true or false, "
                "or quote it if you mean the text",
            )
        if tag == _TIMESTAMP_TAG:
            if not _ISO_DATE.fullmatch(text):
                self.fail(
                    path,
                    f"{show(text)} is not a date written YYYY-MM-DD "
                    "(times and one-digit months or days are not accepted)",
                )
            try:
                return date.fromisoformat(text)
            except ValueError as exc:
                self.fail(path, f"{text} is not a calendar date ({exc})")
        return text


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[str, str]:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return f"line {line}", f"character #x{exc.character:04x} is not allowed in YAML"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = exc.problem or exc.context or "invalid YAML"
        if "'\\t'" in problem:
            return where, "a tab character where YAML allows only spaces: indent with spaces"
        if exc.context == "expected a single document in the stream":
            return where, "more than one YAML document (---): one document per file"
        context = f" {exc.context}" if exc.context else ""
        return where, f"not valid YAML: {problem}{context}"
    return "(file)", f"not valid YAML: {type(exc).__name__}"  # pragma: no cover


def load_config_file(path: Path, *, kind: str, max_bytes: int = 256_000) -> Any:
    """Parse one reviewed config file strictly (see the module docstring) or raise
    `ConfigFileError` naming the file, the key path (or line) and the rule."""
    name = path.name

    def fail(key_path: list[str] | str, rule: str) -> None:
        where = key_path if isinstance(key_path, str) else _join(key_path)
        raise ConfigFileError(kind, name, where, rule)

    try:
        info = path.stat()
    except FileNotFoundError:
        fail("(file)", "not found")
    except OSError as exc:
        fail("(file)", f"cannot be read ({type(exc).__name__})")
    if not stat.S_ISREG(info.st_mode):
        fail("(file)", "is not a regular file")
    if info.st_size > max_bytes:
        fail("(file)", f"{info.st_size:,} bytes, more than the limit of {max_bytes:,}")
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        fail("(file)", f"cannot be read ({type(exc).__name__})")
    if len(raw) > max_bytes:
        fail("(file)", f"more than the limit of {max_bytes:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        fail(f"line {line}", f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8")
    text = text.removeprefix("\ufeff")
    loader = None
    try:
        loader = _StrictLoader(text, fail)
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        fail(*_yaml_problem(exc, text))
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None
    return _Builder(fail).build(node, [])


_TYPE_RULES = {
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "date_type": "must be a date (YYYY-MM-DD)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
}


def _kind_of(value: Any) -> str:
    if isinstance(value, YamlNumber):
        return f"the unquoted number {value.text}"
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date):
        return f"the date {value}"
    if isinstance(value, str):
        return f"the text {show(value)}"
    return type(value).__name__


def _unwrap(tp: Any) -> Any:
    """Annotated[X, ...] -> X and Optional[X] -> X; list/tuple types are kept."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return None
            tp = args[0]
        else:
            return tp


def _allowed_keys(model: Any, loc: tuple) -> list[str] | None:
    """The field names of the pydantic model found at `loc` (the parent of an unknown key)."""
    from pydantic import BaseModel

    current = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if typing.get_origin(current) not in (list, tuple):
                return None
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def config_error_from_validation(
    exc: Any, path: Path, kind: str, model: Any = None, cls: type[ConfigFileError] = ConfigFileError
) -> ConfigFileError:
    """The first error of a pydantic `ValidationError` as one `ConfigFileError` line."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in loc]
    kind_ = error["type"]
    value = error.get("input")
    if kind_ == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1]) if model is not None else None
        rule = "unknown key" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    elif kind_ == "missing":
        rule = "required key is missing"
    elif kind_ in _TYPE_RULES:
        rule = f"{_TYPE_RULES[kind_]}, not {_kind_of(value)}"
        if isinstance(value, YamlNumber) and kind_ == "string_type":
            rule += f" (YAML 1.1 reads it as {value.yaml11()}): quote it, e.g. '{value.text}'"
    else:
        rule = str(error["msg"]).removeprefix("Value error, ")
    return cls(kind, path.name, _join(parts), rule)
