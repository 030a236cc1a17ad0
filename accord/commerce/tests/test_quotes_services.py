import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.commerce import services_quotes
from accord.commerce.models import Order, Quote, QuoteLine
from accord.commerce.selectors_quotes import quotes_visible_to
from accord.commerce.seller import get_seller_profile
from accord.commerce.tests.test_quotes_helpers import free_line, make_deal, make_quote
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def _state(quote: Quote) -> tuple:
    quote.refresh_from_db()
    lines = list(
        quote.lines.order_by("position").values_list(
            "position", "description", "quantity", "unit_price", "discount_percent", "net_amount"
        )
    )
    return (quote.status, quote.version, quote.total, quote.discount_percent, lines)


def test_create_from_deal_takes_client_currency_price_list_validity_and_language():
    manager = user_with_role("sales_manager", language="de")
    company = make_company(owner=manager, name="Société Générale d'Études", country="FR")
    deal = make_deal(owner=manager, company=company, currency="EUR")
    profile = get_seller_profile()
    profile.quote_validity_days = 45
    profile.save()

    quote = services_quotes.quote_create(actor=manager, deal=deal)

    assert quote.company == company and quote.deal == deal and quote.currency == "EUR"
    assert quote.price_list is not None and quote.price_list.currency == "EUR"
    assert quote.valid_until == timezone.localdate() + datetime.timedelta(days=45)
    assert quote.language == "fr"  # the client's, not the manager's
    assert quote.number.startswith(f"Q-{timezone.localdate().year}-")
    assert (quote.revision, quote.is_latest, quote.status) == (1, True, "draft")
    assert AuditEntry.objects.filter(
        object_type="quote", object_id=quote.pk, action="create", related_id=company.pk
    ).exists()


def test_language_falls_back_to_the_managers_for_other_countries():
    manager = user_with_role("sales_manager", language="de")
    company = make_company(owner=manager, country="US")
    quote = make_quote(owner=manager, company=company)
    assert quote.language == "de"


def test_totals_in_decimal_with_half_up_rounding_per_line():
    manager = user_with_role("sales_manager")
    # 33.335 units at 3.00 with 7.5 % line discount, 10 % quote discount, 20 % VAT:
    # gross 100.005 -> 100.01; after 7.5 %: 92.509250 -> 92.51; after 10 %: 83.259 -> 83.26;
    # VAT 16.652 -> 16.65; line total 99.91.
    # Second line: 1 × 10.00 at 10 % VAT, after 10 %: 9.00, VAT 0.90.
    quote = make_quote(
        owner=manager,
        lines=[
            free_line("Calculation", "33.335", "3.00", "7.5", "20"),
            free_line("Copy", "1", "10.00", "0", "10"),
        ],
        discount_percent=Decimal("10"),
    )
    quote.refresh_from_db()
    first, second = quote.lines.order_by("position")

    assert (first.net_amount, first.tax_amount, first.total_amount) == (
        Decimal("83.26"),
        Decimal("16.65"),
        Decimal("99.91"),
    )
    assert (second.net_amount, second.tax_amount) == (Decimal("9.00"), Decimal("0.90"))
    assert quote.subtotal == Decimal("110.01")
    assert quote.discount_total == Decimal("17.75")  # 110.01 − (83.26 + 9.00)
    assert quote.tax_total == Decimal("17.55")
    assert quote.total == Decimal("109.81")


def test_changing_the_quote_discount_recomputes_and_audits():
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager, lines=[free_line("Design", "2", "150.00")])
    assert quote.total == Decimal("360.00")

    updated = services_quotes.quote_update(
        actor=manager,
        quote=quote,
        fields={"discount_percent": Decimal("5")},
        expected_version=quote.version,
    )

    assert updated.total == Decimal("342.00") and updated.version == 2
    entry = AuditEntry.objects.filter(object_type="quote", object_id=quote.pk).first()
    assert entry.changes["discount_percent"] == ["0.00", "5"]
    assert entry.changes["total"] == ["360.00", "342.00"]


def test_discount_over_100_and_negative_quantity_refused_naming_the_field():
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    before = _state(quote)

    with pytest.raises(ValidationError) as quote_discount:
        services_quotes.quote_update(
            actor=manager, quote=quote, fields={"discount_percent": Decimal("100.5")}
        )
    with pytest.raises(ValidationError) as line_discount:
        services_quotes.quote_line_add(
            actor=manager, quote=quote, line=free_line("X", "1", "10", discount="120")
        )
    with pytest.raises(ValidationError) as quantity:
        services_quotes.quote_line_add(actor=manager, quote=quote, line=free_line("X", "-2"))
    with pytest.raises(ValidationError) as price_digits:
        services_quotes.quote_line_add(
            actor=manager, quote=quote, line=free_line("X", "3", "33.335")
        )

    assert "discount_percent" in quote_discount.value.message_dict
    assert "100" in quote_discount.value.message_dict["discount_percent"][0]
    assert "discount_percent" in line_discount.value.message_dict
    assert list(quantity.value.message_dict) == ["quantity"]
    assert "unit_price" in price_digits.value.message_dict
    assert _state(quote) == before
    assert QuoteLine.objects.filter(quote=quote).count() == 1


def test_lines_add_update_remove_reorder_keep_totals_and_versions():
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager, lines=[free_line("A", "1", "100.00")])

    line_b = services_quotes.quote_line_add(
        actor=manager, quote=quote, line=free_line("B", "2", "10.00"), expected_version=1
    )
    line_c = services_quotes.quote_line_add(
        actor=manager,
        quote=quote,
        line={"description": "C", "quantity": "1", "unit_price": "5", "tax_rate": "0"},
    )
    services_quotes.quote_line_update(
        actor=manager, quote=quote, line=line_b, fields={"quantity": Decimal("3")}
    )
    services_quotes.quote_line_move(actor=manager, quote=quote, line=line_c, offset=-2)
    line_a = quote.lines.get(description="A")
    services_quotes.quote_line_remove(actor=manager, quote=quote, line=line_a)

    quote.refresh_from_db()
    assert list(quote.lines.order_by("position").values_list("position", "description")) == [
        (1, "C"),
        (2, "B"),
    ]
    assert quote.total == Decimal("5.00") + Decimal("36.00")
    assert quote.version == 6
    with pytest.raises(ConflictError):
        services_quotes.quote_line_add(
            actor=manager, quote=quote, line=free_line(), expected_version=2
        )


def test_sent_quote_is_read_only_and_nothing_changes():
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    services_quotes.quote_mark_sent(actor=manager, quote=quote, sent_to="a@example.com")
    before = _state(quote)
    line = quote.lines.get()

    attempts = [
        lambda: services_quotes.quote_update(
            actor=manager, quote=quote, fields={"discount_percent": Decimal("5")}
        ),
        lambda: services_quotes.quote_line_add(actor=manager, quote=quote, line=free_line()),
        lambda: services_quotes.quote_line_update(
            actor=manager, quote=quote, line=line, fields={"quantity": Decimal("9")}
        ),
        lambda: services_quotes.quote_line_remove(actor=manager, quote=quote, line=line),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert "was sent on" in refused.value.message_dict["status"][0]
    assert _state(quote) == before


def test_edit_after_acceptance_refused_with_the_date_and_creates_the_order_once():
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager, lines=[free_line("Design", "2", "150.00")])
    services_quotes.quote_mark_sent(actor=manager, quote=quote, sent_to="a@example.com")

    accepted = services_quotes.quote_accept(actor=manager, quote=quote)

    order = Order.objects.get(quote=quote)
    assert accepted.status == "accepted" and accepted.decided_at is not None
    assert order.total == quote.total == Decimal("360.00") and order.deal_id == quote.deal_id
    before = _state(quote)
    with pytest.raises(ValidationError) as refused:
        services_quotes.quote_line_add(actor=manager, quote=quote, line=free_line())
    message = refused.value.message_dict["status"][0]
    assert message.startswith("This quote was accepted on ") and "make a new revision" in message
    with pytest.raises(ValidationError):
        services_quotes.quote_accept(actor=manager, quote=quote)
    assert _state(quote) == before
    assert Order.objects.filter(quote=quote).count() == 1


def test_only_sent_quotes_can_be_accepted_or_rejected():
    manager = user_with_role("sales_manager")
    quote = make_quote(owner=manager)
    with pytest.raises(ValidationError) as refused:
        services_quotes.quote_accept(actor=manager, quote=quote)
    assert "status" in refused.value.message_dict
    assert not Order.objects.exists()

    services_quotes.quote_mark_sent(actor=manager, quote=quote, sent_to="a@example.com")
    rejected = services_quotes.quote_reject(actor=manager, quote=quote, reason="Too expensive")
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Too expensive")


def test_new_revision_copies_lines_and_only_the_latest_can_be_sent():
    manager = user_with_role("sales_manager")
    quote = make_quote(
        owner=manager,
        lines=[free_line("A", "2", "10.00", "5"), free_line("B", "1", "7.00")],
        discount_percent=Decimal("3"),
    )
    services_quotes.quote_mark_sent(actor=manager, quote=quote, sent_to="a@example.com")

    revision = services_quotes.quote_revise(actor=manager, quote=quote)

    quote.refresh_from_db()
    assert (revision.number, revision.revision, revision.previous_id) == (
        quote.number,
        2,
        quote.pk,
    )
    assert revision.is_latest and not quote.is_latest and quote.status == "sent"
    assert revision.status == "draft" and revision.total == quote.total
    assert list(
        revision.lines.order_by("position").values_list(
            "description", "quantity", "unit_price", "discount_percent", "net_amount"
        )
    ) == list(
        quote.lines.order_by("position").values_list(
            "description", "quantity", "unit_price", "discount_percent", "net_amount"
        )
    )
    with pytest.raises(ValidationError) as refused:
        services_quotes.quote_accept(actor=manager, quote=quote)
    assert "old revision" in refused.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        services_quotes.quote_revise(actor=manager, quote=quote)
    services_quotes.quote_line_add(actor=manager, quote=revision, line=free_line("C"))
    assert quote.lines.count() == 2 and revision.lines.count() == 3


def test_expiry_job_marks_sent_quotes_past_validity():
    from accord.commerce.tasks import expire_quotes

    manager = user_with_role("sales_manager")
    old = make_quote(owner=manager)
    fresh = make_quote(owner=manager)
    draft = make_quote(owner=manager)
    for quote in (old, fresh):
        services_quotes.quote_mark_sent(actor=manager, quote=quote, sent_to="a@example.com")
    Quote.objects.filter(pk__in=[old.pk, draft.pk]).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )

    expired = expire_quotes.call_local()

    assert expired == 1
    assert Quote.objects.get(pk=old.pk).status == "expired"
    assert Quote.objects.get(pk=fresh.pk).status == "sent"
    assert Quote.objects.get(pk=draft.pk).status == "draft"
    assert AuditEntry.objects.filter(
        object_type="quote", object_id=old.pk, changes__status=["sent", "expired"]
    ).exists()
    assert services_quotes.quote_expire_due() == 0


def test_permissions_other_managers_quote_invisible_and_read_only_cannot_change():
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    stranger = user_with_role("sales_manager", team=TeamFactory())
    viewer = user_with_role("read_only")
    quote = make_quote(owner=manager)
    before = _state(quote)

    assert not quotes_visible_to(stranger).filter(pk=quote.pk).exists()
    assert quotes_visible_to(viewer).filter(pk=quote.pk).exists()
    with pytest.raises(PermissionDenied):
        services_quotes.quote_line_add(actor=viewer, quote=quote, line=free_line())
    with pytest.raises(PermissionDenied):
        services_quotes.quote_mark_sent(actor=viewer, quote=quote, sent_to="a@example.com")
    with pytest.raises(PermissionDenied):
        services_quotes.quote_create(actor=viewer, deal=quote.deal)
    assert _state(quote) == before
    assert Quote.objects.count() == 1
