"""The strict config loader, at the edges mutation testing found unguarded (docs/mutation/):
bounds hit exactly, the line of a bad character anywhere in a file, YAML syntax errors with and
without context, and validation errors in optional, annotated, dict-valued and union fields."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from etl.strict_yaml import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_MESSAGE,
    MAX_VALUES,
    ConfigFileError,
    YamlNumber,
    config_error_from_validation,
    load_config_file,
    show,
)
from tests.unit.test_strict_yaml import write


def load_error(path: Path, **kwargs) -> str:
    with pytest.raises(ConfigFileError) as err:
        load_config_file(path, kind="scenario", **kwargs)
    return str(err.value)


# ---- where a bad character or a syntax error is --------------------------------------------


def test_a_control_character_is_located_by_its_line_in_the_middle_of_a_file(tmp_path):
    # a leading blank line and lines after the bad one: the line number counts from the start
    path = write(tmp_path, "ctl.yaml", "\nid: a\nx: \x07bell\ny: b\nz: c\n")
    assert (
        load_error(path)
        == "scenario file ctl.yaml: line 3: character #x0007 is not allowed in YAML"
    )


def test_a_control_character_on_the_first_line(tmp_path):
    path = write(tmp_path, "ctl.yaml", "id: \x1b[31m\nx: 1\n")
    assert (
        load_error(path)
        == "scenario file ctl.yaml: line 1: character #x001b is not allowed in YAML"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # problem and context: both said, in YAML's words
        (
            "id: [unclosed\n",
            "line 2, column 1: not valid YAML: expected ',' or ']', but got '<stream end>' "
            "while parsing a flow sequence",
        ),
        # a problem without context: nothing appended to it
        ("id: a: b\n", "line 1, column 6: not valid YAML: mapping values are not allowed here"),
        ("a: *nope\n", "line 1, column 4: not valid YAML: found undefined alias 'nope'"),
    ],
)
def test_a_yaml_syntax_error_names_line_column_problem_and_context(tmp_path, text, message):
    assert load_error(write(tmp_path, "bad.yaml", text)) == f"scenario file bad.yaml: {message}"


def test_a_key_that_is_a_list_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "k.yaml", "id: a\n? [x, y]\n: b\n")
    assert load_error(path) == "scenario file k.yaml: (top level): line 2: keys must be plain text"


# ---- the bounds, exactly --------------------------------------------------------------------


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path):
    # 100 bytes, the last one part of the value: every byte up to the limit is read
    path = write(tmp_path, "edge.yaml", "id: " + "a" * 96)
    assert load_config_file(path, kind="scenario", max_bytes=100) == {"id": "a" * 96}
    assert load_error(path, max_bytes=99) == (
        "scenario file edge.yaml: (file): 100 bytes, more than the limit of 99"
    )


def test_exactly_max_aliases_alias_uses_are_allowed(tmp_path):
    uses = ", ".join(["*c"] * MAX_ALIASES)
    path = write(tmp_path, "a.yaml", f"c: &c soy\nall: [{uses}]\n")
    assert load_config_file(path, kind="scenario") == {"c": "soy", "all": ["soy"] * MAX_ALIASES}
    path = write(tmp_path, "b.yaml", f"c: &c soy\nall: [{uses}, *c]\n")
    assert load_error(path) == (
        f"scenario file b.yaml: all[{MAX_ALIASES}]: more than {MAX_ALIASES} alias uses (*c at "
        f"line 2); anchors and aliases are limited to {MAX_ALIASES} per file"
    )


def test_the_alias_bound_names_the_line_of_the_offending_alias(tmp_path):
    lines = ["c: &c soy"] + [f"k{i}: *c" for i in range(MAX_ALIASES + 1)]
    path = write(tmp_path, "lines.yaml", "\n".join(lines) + "\n")
    # the 21st use is on line 22 (line 1 holds the anchor)
    assert load_error(path).startswith(
        f"scenario file lines.yaml: k{MAX_ALIASES}: more than {MAX_ALIASES} alias uses "
        f"(*c at line {MAX_ALIASES + 2})"
    )


def test_nesting_exactly_max_depth_deep_is_allowed(tmp_path):
    # `a` is level 1 and holds the outermost list; each inner list is one level more
    depth = MAX_DEPTH
    path = write(tmp_path, "deep.yaml", "a: " + "[" * depth + "]" * depth + "\n")
    value = load_config_file(path, kind="scenario")["a"]
    for _ in range(depth - 1):
        (value,) = value
    assert value == []
    path = write(tmp_path, "deeper.yaml", "a: " + "[" * (depth + 1) + "]" * (depth + 1) + "\n")
    assert load_error(path).endswith(f": nested more than {MAX_DEPTH} levels deep")


def expansion(pad: int) -> str:
    """A file of 100,011 + `pad` values once aliases are expanded (19 alias uses): the top
    mapping 1, `big` 1 + 988, `mid` 1 + 10 x 989, `more` 1 + 9 x 9,891, `pad` 1 + `pad`."""
    big = ", ".join(["1"] * 988)
    return (
        f"big: &big [{big}]\nmid: &mid [" + ", ".join(["*big"] * 10) + "]\n"
        "more: [" + ", ".join(["*mid"] * 9) + "]\npad: [" + ", ".join(["2"] * pad) + "]\n"
    )


def test_expansion_up_to_exactly_max_values_is_allowed(tmp_path):
    assert MAX_VALUES == 100_000
    document = load_config_file(write(tmp_path, "ok.yaml", expansion(98)), kind="scenario")
    assert sum(len(block) for mid in document["more"] for block in mid) == 9 * 10 * 988
    assert len(document["pad"]) == 98
    assert load_error(write(tmp_path, "over.yaml", expansion(99))) == (
        "scenario file over.yaml: pad[98]: expands to more than 100,000 values (aliases)"
    )


def test_an_explicit_non_specific_tag_is_not_a_refused_tag(tmp_path):
    # `!` is YAML's non-specific tag (no type named): allowed, unlike `!!str` or `!!python/...`
    path = write(tmp_path, "t.yaml", "a: ! plain\nb: !!str x\n")
    assert load_error(path) == (
        "scenario file t.yaml: b: explicit tag 'tag:yaml.org,2002:str' at line 2 is not allowed"
    )


def test_a_quoted_merge_key_is_an_ordinary_key(tmp_path):
    path = write(tmp_path, "m.yaml", "'<<': text\n")
    assert load_config_file(path, kind="scenario") == {"<<": "text"}


def test_duplicate_keys_are_refused_at_any_depth_naming_both_lines(tmp_path):
    path = write(tmp_path, "d.yaml", "a:\n  b:\n    c: 1\n    d: 2\n    c: 3\n")
    assert load_error(path) == "scenario file d.yaml: a.b.c: duplicate key 'c' (lines 3 and 5)"


def test_unquoted_scalars_become_the_documented_types(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        'n: null\nt: TRUE\nf: false\nd: 2024-02-29\nfl: 1.5\ni: -7\ns: text 1\nq: "1.5"\n',
    )
    assert load_config_file(path, kind="scenario") == {
        "n": None,
        "t": True,
        "f": False,
        "d": __import__("datetime").date(2024, 2, 29),
        "fl": YamlNumber("1.5", 5),
        "i": YamlNumber("-7", 6),
        "s": "text 1",
        "q": "1.5",
    }


@pytest.mark.parametrize("word", ["yes", "No", "ON", "off", "y"])
def test_yaml11_boolean_words_are_refused_naming_the_word(tmp_path, word):
    path = write(tmp_path, "b.yaml", f"flag: {word}\n")
    if word == "y":  # PyYAML's resolver does not treat `y` as a boolean: it stays text
        assert load_config_file(path, kind="scenario") == {"flag": "y"}
        return
    assert load_error(path) == (
        f"scenario file b.yaml: flag: {word!r} is a boolean in YAML 1.1: write true or false, "
        "or quote it if you mean the text"
    )


# ---- how values are shown in a message ------------------------------------------------------


def test_a_value_is_shown_whole_up_to_60_characters_then_cut_with_dots():
    assert show("x" * 58) == repr("x" * 58)  # 60 characters with the quotes
    assert show("x" * 59) == "'" + "x" * 56 + "..."  # 61 would be too long: 60 in all
    assert len(show("y" * 500)) == 60
    assert show("x" * 10, limit=12) == repr("x" * 10)
    assert show(YamlNumber("0101", 1)) == "'0101'"


def test_a_message_of_exactly_the_cap_is_kept_whole():
    head = "scenario file x.yaml: id: "
    rule = "r" * (MAX_MESSAGE - len(head))
    assert str(ConfigFileError("scenario", "x.yaml", "id", rule)) == head + rule
    longer = str(ConfigFileError("scenario", "x.yaml", "id", rule + "s"))
    assert longer == (head + rule)[: MAX_MESSAGE - 3] + "..."


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("1" * 30, "the number " + "1" * 30),  # 30 characters: still read
        ("1" * 31, "a number"),  # longer: not parsed again for a message
        # YAML 1.1 resolves these as integers but cannot build them (no digits after 0x/0b)
        ("0x_", "a number"),
        ("0b_", "a number"),
    ],
)
def test_yaml11_reading_is_given_for_numbers_up_to_30_characters(text, reading):
    assert YamlNumber(text, 1).yaml11() == reading


# ---- validation errors in nested, optional, dict and union fields ---------------------------


class _Code(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    code: str


class _Name(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    label: str = ""
    maybe: _Code | None = None
    rows: Annotated[list[_Code], Field(max_length=5)] = []
    by_key: dict[str, _Code] = {}
    either: _Code | _Name | None = None
    tagged: list[Annotated[_Code, Field(description="a code with metadata")]] = []


def config_error(tmp_path: Path, document: object) -> str:
    with pytest.raises(ValidationError) as err:
        _Doc.model_validate(document)
    error = config_error_from_validation(err.value, tmp_path / "doc.yaml", "scenario", _Doc)
    return str(error).removeprefix("scenario file doc.yaml: ")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        # an optional nested mapping: its own keys are listed
        ({"maybe": {"code": "a", "colour": 1}}, "maybe.colour: unknown key; allowed: code"),
        # a list with a length bound (Annotated): the item's keys
        ({"rows": [{"code": "a", "colour": 1}]}, "rows[0].colour: unknown key; allowed: code"),
        # a mapping of free keys, or one of two shapes: no single list of keys to offer
        ({"by_key": {"k": {"code": "a", "colour": 1}}}, "by_key.k.colour: unknown key"),
        ({"either": {"code": "a", "colour": 1}}, "either._Code.colour: unknown key"),
        # an item type carrying metadata (Annotated) inside a list
        ({"tagged": [{"code": "a", "colour": 1}]}, "tagged[0].colour: unknown key; allowed: code"),
        (
            {"colour": 1},
            "colour: unknown key; allowed: label, maybe, rows, by_key, either, tagged",
        ),
    ],
)
def test_an_unknown_key_lists_the_allowed_keys_where_there_is_one_answer(
    tmp_path, document, message
):
    assert config_error(tmp_path, document) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "label: must be text, not an empty value"),
        ({"a": 1}, "label: must be text, not a mapping"),
        ([1], "label: must be text, not a list"),
        (True, "label: must be text, not a boolean"),
        (1.5, "label: must be text, not float"),
        (
            YamlNumber("12", 1),
            "label: must be text, not the unquoted number 12 (YAML 1.1 reads "
            "it as the number 12): quote it, e.g. '12'",
        ),
    ],
)
def test_a_wrong_type_names_what_was_written(tmp_path, value, message):
    assert config_error(tmp_path, {"label": value}) == message


def test_a_number_where_a_list_is_wanted_gets_no_quoting_hint(tmp_path):
    # the "quote it" advice is for text fields only
    assert config_error(tmp_path, {"rows": YamlNumber("7", 1)}) == (
        "rows: must be a list, not the unquoted number 7"
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # inside a key, the path says "(key)": a key has no name of its own yet
        ("window:\n  ? !!str a\n  : 1\n", "window.(key)"),
        ("? [a, !!str b]\n: 1\n", "(key)[1]"),
        # the value of a key that is not plain text
        ("? [a, b]\n: !!str x\n", "(key)"),
    ],
)
def test_a_tag_inside_or_under_a_complex_key_is_located(tmp_path, text, where):
    error = load_error(write(tmp_path, "k.yaml", text))
    assert error.startswith(f"scenario file k.yaml: {where}: explicit tag 'tag:yaml.org,2002:str'")


def test_a_long_anchor_name_is_cut_in_the_alias_message(tmp_path):
    anchor = "a" * 40
    uses = ", ".join([f"*{anchor}"] * (MAX_ALIASES + 1))
    error = load_error(write(tmp_path, "a.yaml", f"c: &{anchor} soy\nall: [{uses}]\n"))
    assert f"(*{'a' * 26}.. at line 2)" in error  # the name shown in at most 30 characters


@pytest.mark.parametrize(("word", "value"), [("True", True), ("FALSE", False), ("true", True)])
def test_the_three_spellings_of_true_and_false_are_booleans(tmp_path, word, value):
    assert load_config_file(write(tmp_path, "b.yaml", f"x: {word}\n"), kind="s") == {"x": value}


def test_a_path_the_system_cannot_stat_is_one_error_line(tmp_path):
    path = tmp_path / ("x" * 300 + ".yaml")  # longer than a file name may be
    assert load_error(path) == f"scenario file {path.name}: (file): cannot be read (OSError)"


def test_a_long_duplicate_key_is_shown_in_at_most_40_characters(tmp_path):
    key = "k" * 50
    error = load_error(write(tmp_path, "d.yaml", f"{key}: 1\n{key}: 2\n"))
    assert error == f"scenario file d.yaml: {key}: duplicate key '{'k' * 36}... (lines 1 and 2)"


def test_a_file_that_cannot_be_opened_is_one_error_line(tmp_path, monkeypatch):
    # found by stat but refused on open (as a permission problem would be; tests run as root,
    # which no file mode stops): the error names the file and the kind of failure
    path = write(tmp_path, "locked.yaml", "id: a\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    assert load_error(path) == "scenario file locked.yaml: (file): cannot be read (PermissionError)"


def test_a_file_that_grows_past_the_limit_after_its_size_check_is_refused(tmp_path, monkeypatch):
    # stat() says 10 bytes (the file was small when checked); 200 bytes are there to read
    path = write(tmp_path, "grows.yaml", "id: " + "a" * 195 + "\n")
    real_stat = Path.stat

    def stat_when_small(self, *args, **kwargs):
        info = real_stat(self, *args, **kwargs)
        return os.stat_result(
            (
                info.st_mode,
                info.st_ino,
                info.st_dev,
                info.st_nlink,
                info.st_uid,
                info.st_gid,
                10,
                0,
                0,
                0,
            )
        )

    monkeypatch.setattr(Path, "stat", stat_when_small)
    assert load_error(path, max_bytes=100) == (
        "scenario file grows.yaml: (file): more than the limit of 100 bytes"
    )


def test_a_non_utf8_byte_is_located_by_its_line_after_a_leading_blank_line(tmp_path):
    path = write(tmp_path, "l1.yaml", "\nid: a\ndescription: caf\xe9\n".encode("latin-1"))
    assert load_error(path) == "scenario file l1.yaml: line 3: byte 0xe9 at offset 23 is not UTF-8"
