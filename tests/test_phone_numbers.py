"""Reading phone numbers with phonenumbers: E.164 out, and a plain reason for
every number refused, which never holds the number itself."""

from __future__ import annotations

import re

import pytest

from gateway.privacy import (
    InvalidNumber,
    region_for_country_code,
    to_e164,
    to_textable_e164,
)


@pytest.mark.parametrize(
    "written, e164",
    [
        ("447700900111", "+447700900111"),  # a country code without its +
        ("44 7700 900111", "+447700900111"),
        ("7700 900111", "+447700900111"),  # a spreadsheet dropped the 0
        ("+44 (0)7700 900111", "+447700900111"),
        ("(+44) 7700 900111", "+447700900111"),
        ("0044 7700 900111", "+447700900111"),
        ("+1 202 555 0123", "+12025550123"),
        ("12025550123", "+12025550123"),  # another country's code without its +
    ],
)
def test_mobile_numbers_in_any_form_can_be_invited(written, e164):
    assert to_textable_e164(written, "44") == e164
    assert to_e164(written, "44") == e164


@pytest.mark.parametrize(
    "written, reason",
    [
        ("", "not a phone number"),
        ("not known", "not a phone number"),
        ("0800-FLOWERS", "not a phone number"),
        ("07700 900123 ext 4", "not a phone number"),
        ("07700 900123 / 07700 900124", "not a phone number"),
        ("0770", "too short to be a phone number"),
        ("80085", "too short to be a phone number"),
        ("+44 7700 9001234", "too long to be a phone number"),
        ("+0123456789", "unknown country code"),
        ("+999 123456789", "unknown country code"),
        ("07911 12345", "no such number in its country"),  # a digit short
        ("020 7946 0000", "landline, which cannot get texts"),
        ("+353 1 812 3456", "landline, which cannot get texts"),
        ("0800 123 4567", "freephone number, which cannot get texts"),
        ("0909 879 0000", "premium rate number, which cannot get texts"),
        ("070 0012 3456", "forwarding number, which cannot get texts"),
        ("056 1234 5678", "internet phone number, which cannot get texts"),
    ],
)
def test_a_number_that_cannot_be_invited_is_refused_with_a_plain_reason(
    written, reason
):
    with pytest.raises(InvalidNumber) as refused:
        to_textable_e164(written, "44")
    assert refused.value.reason == str(refused.value) == reason
    assert not re.search(r"[0-9]", reason)  # never the number, nor part of it


@pytest.mark.parametrize("written", ["020 7946 0000", "+35318123456", "0800 123 4567"])
def test_a_landline_is_still_a_phone_number(written):
    """A text can come from one (Twilio delivers it): the sender is a person."""
    assert to_e164(written, "44").startswith("+")


@pytest.mark.parametrize(
    "country_code, written, e164",
    [
        ("44", "07700 900123", "+447700900123"),
        ("+44", "07700 900123", "+447700900123"),
        ("1", "(202) 555-0123", "+12025550123"),
        ("353", "087 123 4567", "+353871234567"),
        ("1", "447700900111", "+447700900111"),  # a UK number from a US list
    ],
)
def test_the_default_country_code_says_where_a_national_number_is(
    country_code, written, e164
):
    assert to_textable_e164(written, country_code) == e164


@pytest.mark.parametrize(
    "country_code, region",
    [("44", "GB"), ("+44", "GB"), ("1", "US"), ("353", "IE"), ("999", None)],
)
def test_a_country_code_maps_to_its_region(country_code, region):
    assert region_for_country_code(country_code) == region


@pytest.mark.parametrize("country_code", ["999", "800", "UK", ""])
def test_without_a_usable_default_country_only_international_numbers_are_read(
    country_code,
):
    assert to_textable_e164("+447700900123", country_code) == "+447700900123"
    with pytest.raises(InvalidNumber, match="GATEWAY_DEFAULT_COUNTRY_CODE"):
        to_textable_e164("07700 900123", country_code)


def test_ofcoms_drama_mobiles_count_as_mobiles():
    """07700 900000 to 900999 reach no one; examples and tests use them."""
    assert to_textable_e164("07700 900000") == "+447700900000"
    assert to_textable_e164("07700 900999") == "+447700900999"
    with pytest.raises(InvalidNumber, match="no such number"):
        to_textable_e164("07700 901000")
