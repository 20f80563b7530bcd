"""sort / orderBy, fields and limit / offset, as the OneRoster collection endpoints read them."""

from __future__ import annotations

import pytest

from gateway.oneroster.query import (
    Page,
    QueryError,
    SortKey,
    parse_fields,
    parse_page,
    parse_sort,
)

USER_FIELDS = {"sourcedId", "givenName", "familyName", "email", "dateLastModified"}
known = USER_FIELDS.__contains__


def refusal(call, *args, **kwargs) -> QueryError:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError) as caught:
        call(*args, **kwargs)
    return caught.value


# sort / orderBy


def test_no_sort_means_no_client_keys() -> None:
    assert parse_sort(None, None, known) == []
    assert parse_sort(None, "desc", known) == []


def test_sort_defaults_to_ascending() -> None:
    assert parse_sort("familyName", None, known) == [SortKey("familyName", descending=False)]


@pytest.mark.parametrize("order_by, descending", [("asc", False), ("DESC", True), (" Desc ", True)])
def test_order_by_is_case_insensitive(order_by: str, descending: bool) -> None:
    assert parse_sort("givenName", order_by, known) == [SortKey("givenName", descending)]


def test_a_comma_list_sorts_on_each_field_in_turn() -> None:
    assert parse_sort("familyName, givenName,familyName", "desc", known) == [
        SortKey("familyName", True),
        SortKey("givenName", True),
    ]


def test_an_unknown_sort_field_is_an_invalid_sort_field() -> None:
    error = refusal(parse_sort, "familyName,shoeSize", None, known)
    assert error.code_minor == "invalid_sort_field"
    assert error.parameter == "sort"
    assert error.field == "shoeSize"
    assert error.message == "sort: cannot sort on 'shoeSize'"


def test_a_blank_sort_is_refused() -> None:
    assert refusal(parse_sort, " , ", None, known).message == "sort: no field name given"


def test_an_order_other_than_asc_or_desc_is_refused_even_without_sort() -> None:
    error = refusal(parse_sort, None, "up", known)
    assert (error.code_minor, error.parameter) == ("invalid_sort_field", "orderBy")
    assert error.message == "orderBy: expected 'asc' or 'desc', got 'up'"


# fields


def test_absent_fields_select_everything() -> None:
    assert parse_fields([], known) is None


def test_fields_may_be_comma_separated_repeated_and_spaced() -> None:
    values = ["sourcedId, givenName", "familyName", " givenName ,email,"]
    assert parse_fields(values, known) == ["sourcedId", "givenName", "familyName", "email"]


def test_unknown_fields_are_all_named() -> None:
    error = refusal(parse_fields, ["givenName,shoeSize", "hatSize"], known)
    assert error.code_minor == "invalid_selection_field"
    assert error.parameter == "fields"
    assert error.field == "shoeSize"
    assert error.message == "fields: unknown fields 'shoeSize', 'hatSize'"


def test_fields_with_no_names_are_refused() -> None:
    error = refusal(parse_fields, ["", " , "], known)
    assert error.code_minor == "invalid_selection_field"
    assert error.message == "fields: no field name given"


# limit / offset


def test_defaults_apply_when_paging_is_absent() -> None:
    assert parse_page(None, None, maximum=1000) == Page(limit=100, offset=0)
    assert parse_page(None, None, default=25, maximum=1000) == Page(limit=25, offset=0)


def test_limit_and_offset_are_read_as_whole_numbers() -> None:
    assert parse_page("50", " 200 ", maximum=1000) == Page(limit=50, offset=200)


def test_an_oversize_limit_is_clamped_not_refused() -> None:
    assert parse_page("10000", "0", maximum=500) == Page(limit=500, offset=0)
    assert parse_page("9" * 40, None, maximum=500).limit == 500
    assert parse_page(None, None, default=100, maximum=50).limit == 50


@pytest.mark.parametrize("limit", ["abc", "1e3", "-5", "10.0", "", "+5", "0x10", "٣"])
def test_a_limit_that_is_not_a_plain_whole_number_is_invalid_data(limit: str) -> None:
    error = refusal(parse_page, limit, None, maximum=500)
    assert error.code_minor == "invalid_data"
    assert error.parameter == "limit"
    assert error.message == f"limit: expected a whole number such as 100, got '{limit}'"


def test_a_zero_limit_is_refused_because_the_spec_minimum_is_one() -> None:
    error = refusal(parse_page, "0", None, maximum=500)
    assert error.message == "limit: must be at least 1, got '0'"


@pytest.mark.parametrize("offset", ["-1", "ten", "1.5"])
def test_a_bad_offset_is_invalid_data(offset: str) -> None:
    error = refusal(parse_page, "10", offset, maximum=500)
    assert (error.code_minor, error.parameter) == ("invalid_data", "offset")


def test_an_offset_beyond_int32_is_refused() -> None:
    error = refusal(parse_page, None, str(2**31), maximum=500)
    assert error.message == f"offset: must be at most {2**31 - 1}, got '{2**31}'"


def test_the_maximum_must_allow_a_page() -> None:
    with pytest.raises(ValueError):
        parse_page(None, None, maximum=0)


def test_every_reason_the_query_language_raises_has_a_wire_form() -> None:
    from gateway.oneroster.errors import CODES
    from gateway.oneroster.query import (
        INVALID_DATA,
        INVALID_FILTER_FIELD,
        INVALID_SELECTION_FIELD,
        INVALID_SORT_FIELD,
    )

    reasons = {INVALID_DATA, INVALID_FILTER_FIELD, INVALID_SELECTION_FIELD, INVALID_SORT_FIELD}
    assert reasons <= set(CODES)
    assert {CODES[reason][0] for reason in reasons} == {400}
