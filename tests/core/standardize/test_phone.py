import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.standardize.phone import phone_to_e164, standardize_phones
from segmentation_pipeline.core.standardize.text import Parsed


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(650) 253-0000", "US", "+16502530000"),
        ("1-650-253-0000", "US", "+16502530000"),
        ("+1 650 253 0000", None, "+16502530000"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("+44 (0)20 7946 0000", "FR", "+442079460000"),
        ("0044 20 7946 0000", "DE", "+442079460000"),
        ("030 123456", "DE", "+4930123456"),
        ("06 1234 5678", "IT", "+390612345678"),
    ],
)
def test_numbers_become_e164(raw, region, e164):
    assert phone_to_e164(raw, region) == Parsed(e164, None)


def test_unusable_numbers_say_why():
    assert phone_to_e164("", "US") == Parsed(None, "missing")
    assert phone_to_e164("020 7946 0000", None) == Parsed(None, "no_country")
    assert phone_to_e164("call reception", "US") == Parsed(None, "unparseable")
    assert phone_to_e164("+1 123", "US") == Parsed(None, "invalid")


def test_column_uses_each_rows_country():
    e164, reasons = standardize_phones(
        pd.Series(["020 7946 0000", "(650) 253-0000", "12345", None]),
        pd.Series(["GB", "US", "US", "US"]),
    )
    assert e164.tolist()[:2] == ["+442079460000", "+16502530000"]
    assert reasons.tolist()[2:] == ["invalid", "missing"]


REGIONS = [
    "US",
    "CA",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "AU",
    "NZ",
    "JP",
    "BR",
    "AR",
    "MX",
    "IN",
    "SG",
    "CH",
    "SE",
    "IE",
    "ZA",
    "BE",
    "AT",
    "DK",
    "RU",
    "KZ",
    "CN",
    "HK",
    "JE",
    "IM",
]
TYPES = [
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
]


@st.composite
def written_numbers(draw):
    """A real-looking number as people write it: a region's example number with random
    trailing digits, in a random format, sometimes mangled."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(TYPES)))
    if example is None:
        example = phonenumbers.example_number(region)
    national = phonenumbers.national_significant_number(example)
    tail = draw(st.text("0123456789", min_size=0, max_size=min(5, len(national) - 2)))
    national = national[: len(national) - len(tail)] + tail
    number = phonenumbers.parse(f"+{example.country_code}{national}", None)
    text = phonenumbers.format_number(number, draw(st.sampled_from([0, 1, 2, 3])))
    text = draw(
        st.sampled_from(
            [
                text,
                text.replace(" ", "-"),
                text.replace(" ", ""),
                text[:-1],
                "00" + text.lstrip("+"),
                text.replace("+", ""),
            ]
        )
    )
    written_in = draw(st.sampled_from([region, region, None, "US", "GB"]))
    return text, written_in


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(written_numbers(), min_size=1, max_size=20))
def test_fast_column_road_agrees_with_phonenumbers(numbers):
    texts, regions = zip(*numbers, strict=True)
    e164, reasons = standardize_phones(pd.Series(texts), pd.Series(regions))
    for text, region, value, reason in zip(texts, regions, e164, reasons, strict=True):
        expected = phone_to_e164(text, region)
        assert (None if pd.isna(value) else value, None if pd.isna(reason) else reason) == (
            expected.value,
            expected.reason,
        ), (text, region)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text("0123456789+ -()", max_size=20), st.sampled_from(REGIONS))))
def test_fast_column_road_agrees_on_random_digit_strings(numbers):
    texts = [t for t, _ in numbers]
    regions = [r for _, r in numbers]
    e164, _ = standardize_phones(pd.Series(texts, dtype="str"), pd.Series(regions, dtype="str"))
    for text, region, value in zip(texts, regions, e164, strict=True):
        assert (None if pd.isna(value) else value) == phone_to_e164(text, region).value
