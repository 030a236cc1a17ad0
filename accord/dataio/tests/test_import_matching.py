"""Import matching by name similarity: the duplicate engine (accord.dedup) after the identifiers."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.testing import user_with_role
from accord.dataio.handlers import get_handler
from accord.dataio.handlers.base import RowResult
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def clean(object_type: str, user: Any, *raws: dict[str, str]) -> list[RowResult]:
    rows = [RowResult(number=index + 2, raw=raw) for index, raw in enumerate(raws)]
    get_handler(object_type).clean(rows, user)
    return rows


def matches(rows: list[RowResult]) -> list[tuple[int | None, str]]:
    return [(r.match_id, r.match_reason) for r in rows]


def test_company_matches_the_same_name_in_another_script_and_legal_form() -> None:
    user = user_with_role("sales_manager")
    romashka = make_company(owner=user, name="ООО «Ромашка»")
    rows = clean("company", user, {"name": "Romashka LLC"}, {"name": "Vasilek SARL"})
    assert matches(rows) == [
        (romashka.pk, "same name in another spelling (90)"),
        (None, ""),
    ]


def test_company_identifier_matches_come_first() -> None:
    user = user_with_role("sales_manager")
    make_company(owner=user, name="ООО «Ромашка»")
    other = make_company(owner=user, name="Лютик", emails=["info@lutik.example"])
    rows = clean("company", user, {"name": "Romashka LLC", "email": "info@lutik.example"})
    assert matches(rows) == [(other.pk, "same e-mail")]


def test_company_with_another_inn_is_not_the_same_company() -> None:
    user = user_with_role("sales_manager")
    make_company(owner=user, name="ООО «Ромашка»", inn="7707083893")
    rows = clean("company", user, {"name": "Romashka LLC", "inn": "7736207543"})
    assert matches(rows) == [(None, "")]


def test_company_the_user_may_not_see_is_never_matched() -> None:
    importer = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    make_company(owner=stranger, name="ООО «Ромашка»")
    rows = clean("company", importer, {"name": "Romashka LLC"})
    assert matches(rows) == [(None, "")]
    # the same row imported by the owner matches
    rows = clean("company", stranger, {"name": "Romashka LLC"})
    assert rows[0].match_reason == "same name in another spelling (90)"


def test_contact_matches_the_same_person_in_the_same_company() -> None:
    user = user_with_role("sales_manager")
    company = make_company(owner=user, name="Лютик")
    shchukin = make_contact(owner=user, company=company, last_name="Щукин", first_name="Иван")
    rows = clean(
        "contact",
        user,
        {"first_name": "Ivan", "last_name": "Shchukin", "company": "Лютик"},
        # only the first name is the same: another person
        {"first_name": "Ivan", "last_name": "Petrov", "company": "Лютик"},
    )
    assert matches(rows) == [
        (shchukin.pk, "same name in another spelling (90)"),
        (None, ""),
    ]


def test_contact_name_alone_needs_a_second_sign() -> None:
    # The engine counts a person's name alone as weak evidence (two Ivan Ivanovs are common):
    # without the same company or the same patronymic, the row is new.
    user = user_with_role("sales_manager")
    make_contact(owner=user, last_name="Щукин", first_name="Иван")
    petrovich = make_contact(
        owner=user, last_name="Смирнов", first_name="Олег", middle_name="Петрович"
    )
    rows = clean(
        "contact",
        user,
        {"first_name": "Ivan", "last_name": "Shchukin"},
        {"first_name": "Oleg", "last_name": "Smirnov", "middle_name": "Petrovich"},
    )
    assert matches(rows) == [
        (None, ""),
        (petrovich.pk, "same name in another spelling (90)"),
    ]
    other = clean(
        "contact", user, {"first_name": "Oleg", "last_name": "Smirnov", "middle_name": "Ivanovich"}
    )
    assert matches(other) == [(None, "")]


def test_contact_the_user_may_not_see_is_never_matched() -> None:
    importer = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    company = make_company(owner=importer, name="Лютик")
    make_contact(owner=stranger, company=company, last_name="Щукин", first_name="Иван")
    rows = clean(
        "contact", importer, {"first_name": "Ivan", "last_name": "Shchukin", "company": "Лютик"}
    )
    assert matches(rows) == [(None, "")]


def test_contact_identifier_match_keeps_its_reason() -> None:
    user = user_with_role("sales_manager")
    company = make_company(owner=user, name="Лютик")
    make_contact(owner=user, company=company, last_name="Щукин", first_name="Иван")
    other = make_contact(owner=user, last_name="Орлова", first_name="Анна", emails=["a@x.example"])
    rows = clean(
        "contact",
        user,
        {"first_name": "Ivan", "last_name": "Shchukin", "company": "Лютик", "email": "a@x.example"},
    )
    assert matches(rows) == [(other.pk, "same e-mail")]


def test_contact_row_with_an_unknown_e_mail_is_a_new_person() -> None:
    # Name similarity is for rows without e-mail and phone (cost: see the handler).
    user = user_with_role("sales_manager")
    company = make_company(owner=user, name="Лютик")
    make_contact(owner=user, company=company, last_name="Щукин", first_name="Иван")
    rows = clean(
        "contact",
        user,
        {
            "first_name": "Ivan",
            "last_name": "Shchukin",
            "company": "Лютик",
            "email": "new@x.example",
        },
    )
    assert matches(rows) == [(None, "")]


def test_name_matching_queries_do_not_grow_with_the_rows() -> None:
    user = user_with_role("sales_manager")
    company = make_company(owner=user, name="Лютик")
    for index in range(40):
        make_contact(owner=user, company=company, last_name=f"Фамилия{index}", first_name="Иван")

    def measure(count: int) -> tuple[int, int]:
        raws = [
            {"first_name": "Ivan", "last_name": f"Familiia{index}", "company": "Лютик"}
            for index in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            rows = clean("contact", user, *raws)
        return len(captured.captured_queries), sum(1 for r in rows if r.match_id)

    measure(4)  # warm the per-process caches (custom field definitions...)
    small, big = measure(4), measure(40)
    assert small[1] == 4
    assert big[1] == 40
    assert small[0] == big[0]


def test_company_name_matching_queries_do_not_grow_with_the_rows() -> None:
    user = user_with_role("sales_manager")
    for index in range(30):
        make_company(owner=user, name=f"ООО «Ромашка{index}»")

    def measure(count: int) -> tuple[int, int]:
        raws = [{"name": f"Romashka{index} LLC"} for index in range(count)]
        with CaptureQueriesContext(connection) as captured:
            rows = clean("company", user, *raws)
        return len(captured.captured_queries), sum(1 for r in rows if r.match_id)

    measure(3)  # warm the per-process caches
    small, big = measure(3), measure(30)
    assert (small[1], big[1]) == (3, 30)
    assert small[0] == big[0]
