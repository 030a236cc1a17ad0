import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.services import clients_reassign
from accord.parties.tests.factories import make_company, make_contact
from accord.sales.models import Deal, Pipeline, Stage, StageChange
from accord.sales.selectors_deals import deals_visible_to, get_deal_for
from accord.sales.services_deals import (
    deal_create,
    deal_delete,
    deal_move,
    deal_reopen,
    deal_update,
)

pytestmark = pytest.mark.django_db


def _stages() -> dict[str, Stage]:
    pipeline = Pipeline.objects.get(is_default=True)
    return {s.name: s for s in pipeline.stages.all()}


def _reason(picklist: str, code: str = "price") -> PicklistOption:
    return PicklistOption.objects.get(picklist=picklist, code=code)


def _counts() -> tuple[int, int, int]:
    return Deal.objects.count(), StageChange.objects.count(), AuditEntry.objects.count()


def test_create_uses_defaults_and_logs_first_stage():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    contact = make_contact(owner=manager, company=company)

    deal = deal_create(
        actor=manager,
        company=company,
        name="Substation design",
        amount="150000.5",
        contacts=[contact],
    )

    stages = _stages()
    assert deal.pipeline.is_default
    assert deal.stage == stages["Enquiry"]
    assert deal.amount == Decimal("150000.50")
    assert deal.currency == "RUB"
    assert deal.owner == manager
    assert list(deal.contacts.all()) == [contact]
    change = StageChange.objects.get(deal=deal)
    assert change.from_stage is None and change.to_stage == stages["Enquiry"]
    entry = AuditEntry.objects.get(object_type="deal", object_id=deal.pk)
    assert entry.action == "create"
    assert entry.related_type == "company" and entry.related_id == company.pk
    assert entry.changes["contacts"] == [None, [contact.pk]]


def test_create_refuses_invisible_company_and_bad_amount_with_field_names():
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    company = make_company(owner=other)
    before = _counts()

    with pytest.raises(ValidationError) as info:
        deal_create(actor=manager, company=company, name="X", amount="-5")

    assert set(info.value.message_dict) == {"company", "amount"}
    assert _counts() == before


def test_move_writes_stage_change_and_audit_with_time_in_previous_stage():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    deal = deal_create(actor=manager, company=company, name="D", amount=Decimal("1000"))
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(hours=2)
    )
    deal.refresh_from_db()
    stages = _stages()

    moved = deal_move(actor=manager, deal=deal, stage=stages["Negotiation"], expected_version=1)

    assert moved.stage == stages["Negotiation"] and moved.version == 2
    change = StageChange.objects.filter(deal=deal).latest("id")
    assert change.from_stage == stages["Enquiry"] and change.to_stage == stages["Negotiation"]
    assert 7190 <= change.seconds_in_previous <= 7300
    assert change.amount == Decimal("1000.00")
    entry = AuditEntry.objects.filter(object_type="deal", object_id=deal.pk).latest("id")
    assert entry.changes["stage_id"] == [stages["Enquiry"].pk, stages["Negotiation"].pk]
    assert entry.related_id == company.pk


@pytest.mark.parametrize(
    ("target", "kwargs", "field"),
    [
        ("Won", {}, "won_reason"),
        ("Lost", {}, "lost_reason"),
        ("Enquiry", {}, "stage"),
        ("Won", {"won_reason": "lost-option"}, "won_reason"),
    ],
)
def test_illegal_moves_are_refused_with_named_error_and_nothing_changed(target, kwargs, field):
    manager = user_with_role("sales_manager")
    deal = deal_create(actor=manager, company=make_company(owner=manager), name="D")
    if kwargs.get("won_reason") == "lost-option":
        kwargs = {"won_reason": _reason(Picklist.LOST_REASON)}
    before = _counts()

    with translation.override("ru"), pytest.raises(ValidationError) as info:
        deal_move(actor=manager, deal=deal, stage=_stages()[target], **kwargs)

    assert list(info.value.message_dict) == [field]
    assert _counts() == before
    deal.refresh_from_db()
    assert deal.stage.name == "Enquiry" and deal.version == 1


def test_error_messages_are_translated():
    manager = user_with_role("sales_manager")
    deal = deal_create(actor=manager, company=make_company(owner=manager), name="D")
    with translation.override("ru"), pytest.raises(ValidationError) as info:
        deal_move(actor=manager, deal=deal, stage=_stages()["Won"])
    message = info.value.message_dict["won_reason"][0]
    with translation.override("en"):
        assert message != "" and isinstance(message, str)


def test_stage_of_another_pipeline_is_refused():
    manager = user_with_role("sales_manager")
    admin = user_with_role("administrator")
    from accord.sales.services_deals import pipeline_create

    other = pipeline_create(actor=admin, name="Equipment")
    deal = deal_create(actor=manager, company=make_company(owner=manager), name="D")
    before = _counts()

    with pytest.raises(ValidationError) as info:
        deal_move(actor=manager, deal=deal, stage=other.stages.first())

    assert list(info.value.message_dict) == ["stage"]
    assert _counts() == before


def test_won_then_reopen_clears_outcome_and_closed_deal_cannot_jump_to_lost():
    manager = user_with_role("sales_manager")
    deal = deal_create(actor=manager, company=make_company(owner=manager), name="D")
    stages = _stages()

    won = deal_move(
        actor=manager,
        deal=deal,
        stage=stages["Won"],
        won_reason=_reason(Picklist.WON_REASON),
        comment="Signed on Monday",
    )
    assert won.is_closed and won.is_won and won.closed_at is not None
    assert won.close_comment == "Signed on Monday"
    before = _counts()
    with pytest.raises(ValidationError) as info:
        deal_move(
            actor=manager, deal=won, stage=stages["Lost"], lost_reason=_reason(Picklist.LOST_REASON)
        )
    assert list(info.value.message_dict) == ["stage"]
    assert _counts() == before

    reopened = deal_reopen(actor=manager, deal=won, stage=stages["Contract"])

    assert not reopened.is_closed and not reopened.is_won
    assert reopened.closed_at is None and reopened.won_reason is None
    assert reopened.close_comment == ""
    entry = AuditEntry.objects.filter(object_type="deal", object_id=deal.pk).latest("id")
    assert entry.message.startswith("Reopened")
    assert entry.changes["is_closed"] == [True, False]


def test_stale_version_and_permissions():
    manager = user_with_role("sales_manager")
    reader = user_with_role("read_only")
    agent = user_with_role("service_agent")
    deal = deal_create(actor=manager, company=make_company(owner=manager), name="D")
    stages = _stages()
    before = _counts()

    with pytest.raises(ConflictError):
        deal_move(actor=manager, deal=deal, stage=stages["Contract"], expected_version=7)
    for user in (reader, agent):
        assert get_deal_for(user, deal.pk) == deal
        with pytest.raises(PermissionDenied):
            deal_move(actor=user, deal=deal, stage=stages["Contract"])
        with pytest.raises(PermissionDenied):
            deal_update(actor=user, deal=deal, fields={"name": "Hacked"})
    assert _counts() == before


def test_manager_sees_own_and_team_deals_only():
    team = TeamFactory(name="North")
    me = user_with_role("sales_manager", team=team)
    mate = user_with_role("sales_manager", team=team)
    stranger = user_with_role("sales_manager")
    mine = deal_create(actor=me, company=make_company(owner=me), name="Mine")
    shared = deal_create(actor=mate, company=make_company(owner=mate, team=team), name="Team")
    hidden = deal_create(actor=stranger, company=make_company(owner=stranger), name="Hidden")

    assert set(deals_visible_to(me)) == {mine, shared}
    with pytest.raises(Http404):
        get_deal_for(me, hidden.pk)
    with pytest.raises(Http404):
        get_deal_for(me, 999999)
    # May see the teammate's deal but not change it.
    with pytest.raises(PermissionDenied):
        deal_move(actor=me, deal=shared, stage=_stages()["Contract"])


def test_update_contacts_audited_and_pipeline_change_recorded():
    manager = user_with_role("sales_manager")
    admin = user_with_role("administrator")
    from accord.sales.services_deals import pipeline_create

    company = make_company(owner=manager)
    first = make_contact(owner=manager, company=company)
    second = make_contact(owner=manager, company=company)
    deal = deal_create(actor=manager, company=company, name="D", contacts=[first])
    other = pipeline_create(actor=admin, name="Equipment")

    updated = deal_update(
        actor=manager,
        deal=deal,
        fields={"pipeline": other, "amount": "10"},
        contacts=[second],
        expected_version=1,
    )

    assert updated.pipeline == other and updated.stage.pipeline == other
    assert list(updated.contacts.all()) == [second]
    entry = AuditEntry.objects.filter(object_type="deal", object_id=deal.pk).latest("id")
    assert entry.changes["contacts"] == [[first.pk], [second.pk]]
    assert entry.changes["pipeline_id"] == [deal.pipeline_id, other.pk]
    change = StageChange.objects.filter(deal=deal).latest("id")
    assert change.to_stage.pipeline == other


def test_delete_and_reassign_hook_moves_only_open_deals():
    head = user_with_role("head_of_sales")
    leaving = user_with_role("sales_manager")
    taking = user_with_role("sales_manager")
    company = make_company(owner=leaving)
    open_deal = deal_create(actor=leaving, company=company, name="Open")
    won = deal_create(actor=leaving, company=company, name="Won")
    deal_move(
        actor=leaving,
        deal=won,
        stage=_stages()["Won"],
        won_reason=_reason(Picklist.WON_REASON),
    )

    result = clients_reassign(actor=head, from_user=leaving, to_user=taking)

    assert result.related["deals"] == 1
    open_deal.refresh_from_db()
    won.refresh_from_db()
    assert open_deal.owner == taking and won.owner == leaving
    assert (
        AuditEntry.objects.filter(
            object_type="deal", object_id=open_deal.pk, action="reassign"
        ).count()
        == 1
    )

    deal_delete(actor=taking, deal=open_deal)
    assert not Deal.objects.filter(pk=open_deal.pk).exists()


def test_stage_with_open_deals_cannot_be_deactivated_and_default_switches():
    from accord.sales.services_deals import pipeline_create, pipeline_update, stage_update

    admin = user_with_role("administrator")
    manager = user_with_role("sales_manager")
    deal = deal_create(actor=manager, company=make_company(owner=manager), name="D")
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as info:
        stage_update(actor=admin, stage=deal.stage, fields={"is_active": False})
    assert list(info.value.message_dict) == ["is_active"]
    with pytest.raises(PermissionDenied):
        stage_update(actor=manager, stage=deal.stage, fields={"probability": 50})
    assert AuditEntry.objects.count() == before

    old_default = Pipeline.objects.get(is_default=True)
    new = pipeline_create(actor=admin, name="Equipment")
    pipeline_update(actor=admin, pipeline=new, fields={"is_default": True})
    assert Pipeline.objects.get(is_default=True) == new
    with pytest.raises(ValidationError) as info:
        pipeline_update(actor=admin, pipeline=new, fields={"is_active": False})
    assert list(info.value.message_dict) == ["is_active"]
    old_default.refresh_from_db()
    assert not old_default.is_default


def test_history_names_the_stages_of_a_move_in_the_readers_language():
    from accord.core.history import history_page

    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    deal = deal_create(actor=manager, company=company, name="D", amount=Decimal("10"))
    deal_move(actor=manager, deal=deal, stage=_stages()["Negotiation"])

    with translation.override("ru"):
        rows = [row for item in history_page(manager, deal).items for row in item.rows]
    stage_rows = [row for row in rows if row.label == "этап"]
    assert (stage_rows[0].old, stage_rows[0].new) == ("Обращение", "Переговоры")
