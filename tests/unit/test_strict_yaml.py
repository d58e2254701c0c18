"""The strict config loader: each hostile or careless file is one line naming file, key, rule."""

from __future__ import annotations

import os
import pickle
import time
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from etl import strict_yaml
from etl.errors import EtlError
from etl.strict_yaml import (
    MAX_ALIASES,
    ConfigFileError,
    YamlNumber,
    config_error_from_validation,
    load_config_file,
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb: `width ** levels` strings once expanded."""
    lines = ['l0: &l0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def load_error(path: Path, kind: str = "scenario", **kwargs) -> str:
    with pytest.raises(ConfigFileError) as err:
        load_config_file(path, kind=kind, **kwargs)
    text = str(err.value)
    assert "\n" not in text and "\r" not in text
    assert isinstance(err.value, EtlError)  # the CLI maps it to exit 2
    return text


HOSTILE = [
    (
        "duplicate_top_key",
        "id: a\ndescription: x\nid: b\n",
        "dup.yaml: id: duplicate key 'id' (lines 1 and 3)",
    ),
    (
        "duplicate_nested_key",
        "window:\n  start: 2025-06-01\n  months: 6\n  start: 2025-07-01\n",
        "dup.yaml: window.start: duplicate key 'start' (lines 2 and 4)",
    ),
    (
        "duplicate_key_in_list_item",
        "items:\n  - {a: 1, b: 2, a: 3}\n",
        "dup.yaml: items[0].a: duplicate key 'a' (lines 2 and 2)",
    ),
    (
        "alias_bomb_in_base",
        billion_laughs() + "base: *l9\n",
        # 9 aliases on line 2, 9 on line 3: the third on line 4 is the 21st
        f"dup.yaml: l3[2]: more than {MAX_ALIASES} alias uses (*l2 at line 4)",
    ),
    (
        "recursive_alias",
        "window: &w {start: 2025-06-01, again: *w}\n",
        "dup.yaml: window.again: an alias refers to a node that contains it",
    ),
    (
        "expansion_within_alias_bound",
        "big: &big ["
        + ", ".join(["1"] * 1000)
        + "]\nmid: &mid ["
        + ", ".join(["*big"] * 10)
        + "]\nmany: ["
        + ", ".join(["*mid"] * 10)
        + "]\n",
        # 20 aliases; 11,014 values before `many`, 10,011 per *mid and 1,001 per *big in it
        "dup.yaml: many[8][8][888]: expands to more than 100,000 values (aliases)",
    ),
    (
        "python_tag",
        'base: !!python/object/apply:os.system ["echo pwned"]\n',
        "dup.yaml: base: explicit tag 'tag:yaml.org,2002:python/object/appl... at line 1 "
        "is not allowed",
    ),
    ("str_tag", "code: !!str 0101\n", "dup.yaml: code: explicit tag 'tag:yaml.org,2002:str'"),
    (
        "merge_key",
        "a: &x {k: 1}\nb:\n  <<: *x\n",
        "dup.yaml: b.<<: merge keys (<<) are not allowed (line 3)",
    ),
    (
        "tab_indentation",
        "window:\n\tstart: 2025-06-01\n",
        "dup.yaml: line 2, column 1: a tab character where YAML allows only spaces",
    ),
    (
        "two_documents",
        "id: a\n---\nid: b\n",
        "dup.yaml: line 2, column 1: more than one YAML document (---): one document per file",
    ),
    ("unclosed_flow", "id: [unclosed\n", "dup.yaml: line 2, column 1: not valid YAML: expected"),
    (
        "control_character",
        "id: a\ndescription: \x07bell\n",
        "dup.yaml: line 2: character #x0007 is not allowed in YAML",
    ),
    (
        "yaml11_boolean",
        "include:\n  categories: [soybeans, no]\n",
        "dup.yaml: include.categories[1]: 'no' is a boolean in YAML 1.1: write true or false",
    ),
    (
        "timestamp_with_time",
        "window: {start: 2025-06-01 10:00:00}\n",
        "dup.yaml: window.start: '2025-06-01 10:00:00' is not a date written YYYY-MM-DD",
    ),
    (
        "iso_timestamp",
        "base: 2025-06-01T10:00:00Z\n",
        "dup.yaml: base: '2025-06-01T10:00:00Z' is not a date written YYYY-MM-DD",
    ),
    (
        "impossible_date",
        "window: {start: 2025-02-30}\n",
        "dup.yaml: window.start: 2025-02-30 is not a calendar date (day is out of range",
    ),
    (
        "feb_29_2100",
        "window: {start: 2100-02-29}\n",
        "dup.yaml: window.start: 2100-02-29 is not a calendar date",
    ),
    (
        "deep_nesting",
        "a: " + "[" * 200 + "]" * 200 + "\n",
        "dup.yaml: a" + "[0]" * 50 + ": nested more than 50 levels deep",
    ),
]


@pytest.mark.parametrize(("case", "text", "message"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_yaml_is_one_line_naming_file_key_and_rule(tmp_path, case, text, message):
    path = write(tmp_path, "dup.yaml", text)
    started = time.perf_counter()
    error = load_error(path)
    assert time.perf_counter() - started < 10.0  # the unbounded bomb took 28 s
    assert error.startswith("scenario file dup.yaml: ")
    assert message in error, error


def test_billion_laughs_from_window_is_refused_in_well_under_a_second(tmp_path):
    text = billion_laughs(levels=12, width=10) + "window: {start: 2025-06-01, months: *l12}\n"
    path = write(tmp_path, "bomb.yaml", text)
    started = time.perf_counter()
    error = load_error(path, kind="tariff action")
    assert time.perf_counter() - started < 10.0
    # 10 aliases on each of lines 2 and 3: the first on line 4 is the 21st
    assert error == (
        "tariff action file bomb.yaml: l3[0]: more than 20 alias uses (*l2 at line 4); "
        "anchors and aliases are limited to 20 per file"
    )


def test_a_few_aliases_are_allowed_and_expanded(tmp_path):
    path = write(tmp_path, "ok.yaml", "cats: &c [soybeans, pharmaceuticals]\nmore: *c\n")
    assert load_config_file(path, kind="scenario") == {
        "cats": ["soybeans", "pharmaceuticals"],
        "more": ["soybeans", "pharmaceuticals"],
    }


def test_a_12_mb_file_is_refused_by_its_size_before_parsing(tmp_path, monkeypatch):
    path = write(tmp_path, "huge.yaml", b"id: " + b"a" * (12 * 1024 * 1024) + b"\n")

    def no_parsing(*args, **kwargs):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(strict_yaml, "_StrictLoader", no_parsing)
    started = time.perf_counter()
    error = load_error(path)
    assert time.perf_counter() - started < 10.0
    assert error == (
        "scenario file huge.yaml: (file): 12,582,917 bytes, more than the limit of 256,000"
    )


def test_size_limit_is_a_parameter(tmp_path):
    path = write(tmp_path, "small.yaml", "id: " + "a" * 100 + "\n")
    assert load_config_file(path, kind="scenario") == {"id": "a" * 100}
    assert "105 bytes, more than the limit of 100" in load_error(path, max_bytes=100)


def test_non_utf8_bytes_name_the_line_and_offset(tmp_path):
    path = write(tmp_path, "latin1.yaml", "id: a\ndescription: caf\xe9\n".encode("latin-1"))
    assert load_error(path) == (
        "scenario file latin1.yaml: line 2: byte 0xe9 at offset 22 is not UTF-8"
    )


def test_a_utf8_bom_and_non_ascii_text_are_fine(tmp_path):
    path = write(tmp_path, "bom.yaml", "\ufeffid: a\ndescription: 税委会公告〔2019〕6号\n")
    assert load_config_file(path, kind="scenario") == {
        "id": "a",
        "description": "税委会公告〔2019〕6号",
    }


def test_directories_fifos_and_missing_files_are_named_as_such(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    assert load_error(tmp_path / "dir.yaml").endswith("dir.yaml: (file): is not a regular file")
    os.mkfifo(tmp_path / "fifo.yaml")
    started = time.perf_counter()
    assert load_error(tmp_path / "fifo.yaml").endswith("(file): is not a regular file")
    assert time.perf_counter() - started < 10.0  # never opened: opening a FIFO blocks
    assert load_error(tmp_path / "gone.yaml").endswith("gone.yaml: (file): not found")


@pytest.mark.parametrize(
    ("text", "yaml11"),
    [
        ("0101", "the octal number 65"),
        ("0110", "the octal number 72"),
        ("0108", "the text '0108' (YAML 1.2: a number)"),
        ("1:30", "the sexagesimal number 90"),
        ("1_000", "the number 1000"),
        ("0x1f", "the number 31"),
        (".inf", "the number inf"),
        ("30049090", "the number 30049090"),
    ],
)
def test_unquoted_numbers_are_kept_as_written(tmp_path, text, yaml11):
    path = write(tmp_path, "n.yaml", f"codes: [{text}, '{text}']\n")
    number, quoted = load_config_file(path, kind="scenario")["codes"]
    assert number == YamlNumber(text, 1)
    assert quoted == text
    assert number.yaml11() == yaml11


def test_numbers_convert_only_from_plain_decimal_notation():
    assert YamlNumber("12", 1).to_int() == 12
    assert YamlNumber("-3", 1).to_int() == -3
    assert YamlNumber("0.05", 1).to_float() == 0.05
    assert YamlNumber("1", 1).to_float() == 1.0
    for text in ("012", "1_2", "1:30", "0x1f", "12.0", "9" * 40):
        with pytest.raises(ValueError, match="is not a plain decimal integer"):
            YamlNumber(text, 1).to_int()
    for text in (".inf", ".nan", "1_0.5", "1:30.5"):
        with pytest.raises(ValueError, match="is not a plain decimal number"):
            YamlNumber(text, 1).to_float()


def test_scalars_other_than_numbers(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        "d: 2096-02-29\nq: '2025-06-01'\nt: true\nf: False\nn: ~\ne:\nb: |\n  0101\n"
        "key with spaces: plain text\n0101: number-looking key\n",
    )
    assert load_config_file(path, kind="scenario") == {
        "d": date(2096, 2, 29),
        "q": "2025-06-01",
        "t": True,
        "f": False,
        "n": None,
        "e": None,
        "b": "0101\n",
        "key with spaces": "plain text",
        "0101": "number-looking key",
    }


def test_an_empty_file_is_none(tmp_path):
    assert load_config_file(write(tmp_path, "empty.yaml", ""), kind="scenario") is None


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    code: str
    count: int = 0


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    items: list[_Inner] = []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"name": "x", "items": [{"code": YamlNumber("0101", 3)}]},
            "items[0].code: must be text, not the unquoted number 0101 (YAML 1.1 reads it as the "
            "octal number 65): quote it, e.g. '0101'",
        ),
        (
            {"name": "x", "items": [{"code": "a", "colour": "red"}]},
            "items[0].colour: unknown key; allowed: code, count",
        ),
        ({"name": "x", "extra": 1}, "extra: unknown key; allowed: name, items"),
        ({"items": []}, "name: required key is missing"),
        ({"name": "x", "items": "abc"}, "items: must be a list, not the text 'abc'"),
        (["name"], "(top level): must be a mapping, not a list"),
        (
            {"name": "x", "items": [{"code": "a", "count": True}]},
            "items[0].count: must be a whole number, not a boolean",
        ),
    ],
)
def test_a_validation_error_becomes_one_config_line(tmp_path, document, message):
    with pytest.raises(ValidationError) as err:
        _Outer.model_validate(document)
    error = config_error_from_validation(err.value, tmp_path / "t.yaml", "tariff action", _Outer)
    assert isinstance(error, ConfigFileError)
    assert str(error).startswith(f"tariff action file t.yaml: {message}")
    assert "\n" not in str(error)


def test_long_or_control_laden_messages_are_capped_and_escaped():
    error = ConfigFileError("scenario", "x.yaml", "id", "bad value\n\x1b[31m" + "y" * 1000)
    text = str(error)
    assert len(text) == strict_yaml.MAX_MESSAGE
    assert "\n" not in text and "\x1b" not in text
    assert "bad value\\x0a\\x1b[31m" in text
    assert (error.kind, error.file_name, error.key_path) == ("scenario", "x.yaml", "id")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.rule) == (ConfigFileError, text, error.rule)
