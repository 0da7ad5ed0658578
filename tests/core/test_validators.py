import pytest
from django.core.exceptions import ValidationError

from apps.core.validators import (
    TextWithoutControlCharacters,
    multiline_text_without_control_characters,
    text_without_control_characters,
    texts_without_control_characters,
    validate_lei,
)


@pytest.mark.parametrize("lei", ["5493001KJTIIGC8Y1R12", "529900T8BM49AURSDO55"])
def test_valid_lei_passes(lei):
    validate_lei(lei)


@pytest.mark.parametrize(
    ("lei", "code"),
    [
        ("5493001KJTIIGC8Y1R13", "lei_checksum"),
        ("5493001kjtiigc8y1r12", "lei_format"),
        ("5493001KJTIIGC8Y1R1", "lei_format"),
        ("5493001KJTIIGC8Y1RAB", "lei_format"),
    ],
)
def test_invalid_lei_is_refused_with_its_reason(lei, code):
    with pytest.raises(ValidationError) as error:
        validate_lei(lei)

    assert error.value.code == code


# --- names and free text without control characters -------------------------------------------

HOSTILE = [
    pytest.param("\u202e", id="right-to-left override"),
    pytest.param("\u202a", id="left-to-right embedding"),
    pytest.param("\u2066", id="left-to-right isolate"),
    pytest.param("\u2069", id="pop directional isolate"),
    pytest.param("\u200e", id="left-to-right mark"),
    pytest.param("\u200f", id="right-to-left mark"),
    pytest.param("\u061c", id="arabic letter mark"),
    pytest.param("\x00", id="NUL"),
    pytest.param("\x07", id="BEL"),
    pytest.param("\x1b", id="escape"),
    pytest.param("\x7f", id="DEL"),
    pytest.param("\x85", id="C1 next line"),
    pytest.param("\x9b", id="C1 control sequence introducer"),
    pytest.param("\u2028", id="line separator"),
    pytest.param("\u2029", id="paragraph separator"),
    pytest.param("\ud800", id="lone surrogate"),
]


@pytest.mark.parametrize("char", HOSTILE)
@pytest.mark.parametrize(
    "validator",
    [text_without_control_characters, multiline_text_without_control_characters],
    ids=["name", "free text"],
)
def test_a_control_character_is_refused_naming_it_and_where_it_is(validator, char):
    with pytest.raises(ValidationError) as refused:
        validator(f"Eve{char}Smith")

    assert refused.value.code == "control_character"
    message = refused.value.messages[0]
    assert f"U+{ord(char):04X}" in message
    assert "at character 4" in message


@pytest.mark.parametrize("char", ["\n", "\r", "\t"])
def test_line_breaks_and_tabs_are_refused_in_a_name_and_allowed_in_free_text(char):
    with pytest.raises(ValidationError):
        text_without_control_characters(f"Eve{char}Smith")

    multiline_text_without_control_characters(f"12 rue de la Paix{char}75002 Paris")


@pytest.mark.parametrize(
    "text",
    [
        "Élodie Marchand",
        "Сергей Иванов",
        "محمد الراشدي",
        "山田太郎",
        "मिताली\u200dराज",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, a zero-width non-joiner
        "",
    ],
)
def test_names_in_any_script_pass(text):
    text_without_control_characters(text)


def test_each_reason_of_a_list_is_checked_and_the_bad_one_named():
    multiline_text_without_control_characters(["checked", "passport\nseen"])

    with pytest.raises(ValidationError) as refused:
        multiline_text_without_control_characters(["checked", "ok\u202edecoy"])

    assert refused.value.messages == [
        "Item 2: U+202E RIGHT-TO-LEFT OVERRIDE is an invisible control character "
        "(at character 3): remove it."
    ]


def test_texts_given_to_a_service_are_refused_each_on_its_name():
    with pytest.raises(ValidationError) as refused:
        texts_without_control_characters(reason="fine", purpose="bell\x07")

    assert refused.value.message_dict == {
        "purpose": ["U+0007 BELL is an invisible control character (at character 5): remove it."]
    }


def test_the_validators_deconstruct_for_migrations_and_compare_equal():
    assert text_without_control_characters.deconstruct() == (
        "apps.core.validators.TextWithoutControlCharacters",
        (),
        {},
    )
    assert multiline_text_without_control_characters.deconstruct()[2] == {"multiline": True}
    assert TextWithoutControlCharacters(multiline=True) == multiline_text_without_control_characters
    assert TextWithoutControlCharacters() != multiline_text_without_control_characters
