"""Validators of identifiers and text used across domains.

Names and free text keep no invisible control character: the C0 and C1 controls (NUL, BEL,
escape...), the bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE and its
kin), which make a name read otherwise than it is stored, the line and paragraph separators
U+2028 and U+2029, and lone surrogates, which no database can store. A name is one line; free
text (an address, notes, reasons) may also hold line breaks and tabs. Zero-width joiners stay
allowed: some scripts need them.
"""

import re
import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

_LEI = re.compile(r"[0-9A-Z]{18}[0-9]{2}")

_INVISIBLE = (
    r"\x7f-\x9f"  # DEL and the C1 controls
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides
    r"\u2028\u2029"  # line and paragraph separators
    r"\ud800-\udfff"  # surrogates, which a text never holds alone
)
_IN_A_LINE = re.compile(rf"[\x00-\x1f{_INVISIBLE}]")
_IN_FREE_TEXT = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f{_INVISIBLE}]")
# Unicode gives the C0 controls no name; these are the ones people meet.
_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
}


def validate_lei(value: str) -> None:
    """Check a Legal Entity Identifier (ISO 17442): 18 characters, ISO 7064 check digits."""
    if not _LEI.fullmatch(value):
        raise ValidationError(
            "An LEI has 18 upper-case letters or digits followed by two check digits.",
            code="lei_format",
        )
    if int("".join(str(int(char, 36)) for char in value)) % 97 != 1:
        raise ValidationError("This LEI's check digits are wrong.", code="lei_checksum")


def control_character_in(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """Return the first control character of ``text`` and its position (from 1), or ``None``.

    ``multiline`` allows line feeds, carriage returns and tabs.
    """
    found = (_IN_FREE_TEXT if multiline else _IN_A_LINE).search(text)
    if found is None:
        return None
    return found.start() + 1, found.group()


def character_name(char: str) -> str:
    """Name a character for a person: its code point, and its Unicode name where it has one."""
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


@deconstructible(path="apps.core.validators.TextWithoutControlCharacters")
class TextWithoutControlCharacters:
    """Refuse a text (or each text of a list, such as reasons kept as JSON) holding a control
    character; ``multiline`` free text may hold line breaks and tabs."""

    code = "control_character"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: str | Iterable[str]) -> None:
        if isinstance(value, str):
            self._check(value, "")
            return
        if isinstance(value, list | tuple):
            for number, item in enumerate(value, start=1):
                if isinstance(item, str):
                    self._check(item, f"Item {number}: ")

    def _check(self, text: str, where: str) -> None:
        found = control_character_in(text, multiline=self.multiline)
        if found is None:
            return
        position, char = found
        raise ValidationError(
            "%(where)s%(char)s is an invisible control character (at character %(position)s): "
            "remove it.",
            code=self.code,
            params={"where": where, "char": character_name(char), "position": position},
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextWithoutControlCharacters) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((type(self), self.multiline))


# A name or any other one-line text.
text_without_control_characters = TextWithoutControlCharacters()
# Free text: an address, notes, reasons.
multiline_text_without_control_characters = TextWithoutControlCharacters(multiline=True)


def texts_without_control_characters(*, multiline: bool = False, **texts: str) -> None:
    """Check texts a service takes that are not model fields (a reason given to a transition);
    raise one ``ValidationError`` naming each keyword whose text holds a control character."""
    validator = TextWithoutControlCharacters(multiline=multiline)
    problems: dict[str, list[ValidationError]] = {}
    for field, text in texts.items():
        try:
            validator(text)
        except ValidationError as error:
            problems[field] = error.error_list
    if problems:
        raise ValidationError(problems)
