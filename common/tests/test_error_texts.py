"""Every problem code common answers with reads in Portuguese and, on request, in English."""

import pytest

from common.errors import (
    ERROR_TEXTS,
    DomainError,
    ErrorCode,
    ErrorText,
    problem,
    register_error_texts,
)
from common.testing import error_texts_not_in_portuguese


def test_every_shared_code_has_a_portuguese_title_and_detail():
    assert error_texts_not_in_portuguese(ErrorCode) == {}


def test_the_walk_names_a_code_left_in_english_or_without_texts():
    assert error_texts_not_in_portuguese(["never_registered"]) == {
        "never_registered": "no texts registered"
    }
    ERROR_TEXTS["left_in_english"] = ErrorText("Some title", "Some detail.", status=409)
    try:
        assert error_texts_not_in_portuguese(["left_in_english"]) == {
            "left_in_english": "title 'Some title' is not translated"
        }
    finally:
        del ERROR_TEXTS["left_in_english"]


def test_a_code_cannot_get_two_meanings():
    with pytest.raises(ValueError, match="already has other texts"):
        register_error_texts(
            {ErrorCode.CONFLICT: ErrorText("Conflict", "Another meaning.", status=409)}
        )


@pytest.mark.default_language
def test_a_domain_error_reads_in_the_active_language_when_it_is_read():
    from django.utils import translation

    error = DomainError(code=ErrorCode.PAYLOAD_TOO_LARGE, params={"length": 9, "limit": 5})
    with translation.override("en"):
        assert error.detail == "The request body has 9 bytes; the limit is 5."
    with translation.override("pt-br"):
        assert error.detail == "O corpo da requisição tem 9 bytes; o limite é 5."


def test_a_problem_has_its_codes_title_whoever_raised_it():
    from django.utils import translation

    with translation.override("pt-br"):
        assert problem(400, code="too_deeply_nested", detail="x")["title"] == "JSON aninhado demais"
        assert problem(400, code="parse_error", detail="x")["title"] == "Requisição inválida"
    with translation.override("en"):
        assert problem(400, code="too_deeply_nested", detail="x")["title"] == (
            "JSON nested too deeply"
        )


def test_the_status_stated_with_a_code_is_the_one_its_error_class_answers_with():
    # The table of codes in docs/api.md reads the stated status; these classes answer it.
    from common.errors import (
        DOMAIN_ERROR_STATUS,
        DatabaseUnavailable,
        TransientConflict,
        error_text,
    )
    from common.parsers import TooDeeplyNested

    kinds = [kind for kind in DOMAIN_ERROR_STATUS if "default_code" in vars(kind)]
    assert {kind.default_code for kind in kinds} >= {"bad_request", "not_found", "conflict"}
    for kind in kinds:
        assert error_text(kind.default_code).status == DOMAIN_ERROR_STATUS[kind], kind
    for drf_error in (DatabaseUnavailable, TransientConflict, TooDeeplyNested):
        assert error_text(drf_error.default_code).status == drf_error.status_code, drf_error
