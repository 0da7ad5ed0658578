import pytest
from django.core.exceptions import ValidationError

from apps.core.validators import validate_lei


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
