"""The Bicep reader the infra checks stand on: what it finds in text it must find exactly."""

from __future__ import annotations

import pytest

from tests.infra.bicep import (
    BicepFile,
    BicepSyntaxError,
    code_text,
    for_expressions,
    object_entries,
    path,
    references,
    strip_comments,
)

SAMPLE = """// header comment
@secure()
@description('a // not a comment')
param token string = ''

var settings = {
  URL: 'https://${name}.example.com' // trailing comment
  NESTED: '${cond ? 'a}b' : 'c'}'
  'quoted-key': { inner: true, other: [1, 2] }
}

resource thing 'Microsoft.Example/things@2024-01-01' = if (!empty(token)) {
  name: 'thing'
  properties: {
    value: token
  }
}

output url string = settings.URL
"""


def test_comments_are_blanked_but_text_in_strings_is_kept() -> None:
    stripped = strip_comments(SAMPLE)
    assert "header comment" not in stripped and "trailing comment" not in stripped
    assert "'https://${name}.example.com'" in stripped and "'a // not a comment'" in stripped
    assert stripped.count("\n") == SAMPLE.count("\n")


def test_declarations_carry_their_decorators_types_and_conditions() -> None:
    bicep = BicepFile.parse("sample.bicep", SAMPLE)
    assert bicep.params["token"].secure and bicep.params["token"].value == "''"
    thing = bicep.resources["thing"]
    assert (thing.type, thing.api_version, thing.condition) == (
        "Microsoft.Example/things",
        "2024-01-01",
        "!empty(token)",
    )
    assert bicep.outputs["url"].value == "settings.URL"


def test_object_entries_keep_interpolations_and_nested_literals_whole() -> None:
    entries = object_entries(BicepFile.parse("sample.bicep", SAMPLE).vars["settings"].value)
    assert entries == {
        "URL": "'https://${name}.example.com'",
        "NESTED": "'${cond ? 'a}b' : 'c'}'",
        "quoted-key": "{ inner: true, other: [1, 2] }",
    }
    assert path(BicepFile.parse("s", SAMPLE).resources["thing"].value, "properties.value") == "token"
    assert path("{ a: { b: 1 } }", "a.c") is None


def test_references_see_identifiers_in_code_and_interpolations_only() -> None:
    assert references("'x-${token}'", "token")
    assert references("union(token, other)", "token")
    assert not references("'token'", "token")
    assert not references("tokens.token2", "token")


def test_for_expressions_split_into_iterable_condition_and_body() -> None:
    loops = for_expressions("[for (x, i) in (on ? a : b): if (x.ok) { v: [for y in x.ys: y] }]")
    assert [(f.iterable, f.condition, f.body) for f in loops] == [
        ("(on ? a : b)", "x.ok", "{ v: [for y in x.ys: y] }"),
        ("x.ys", "", "y"),
    ]


def test_code_text_keeps_interpolations_and_drops_string_text() -> None:
    assert "".join(code_text("'a ${b.c} d' == e // f").split()) == "(b.c)==e"


@pytest.mark.parametrize("text", ["var x = {", "var x = 'open", "var x = (1))", "nonsense here"])
def test_text_it_does_not_understand_is_an_error_not_a_guess(text: str) -> None:
    with pytest.raises(BicepSyntaxError):
        BicepFile.parse("bad.bicep", text)
