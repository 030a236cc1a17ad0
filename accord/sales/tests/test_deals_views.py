import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accord.activities.models import Activity
from accord.activities.selectors import timeline_for_company
from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company
from accord.sales.models import Deal, Pipeline, Stage, StageChange
from accord.sales.services_deals import deal_create, deal_move, pipeline_create

pytestmark = pytest.mark.django_db


def _stages() -> dict[str, Stage]:
    return {s.name: s for s in Pipeline.objects.get(is_default=True).stages.all()}


def _login(client, role="sales_manager", **kwargs):
    user = user_with_role(role, **kwargs)
    client.force_login(user)
    return user


def _counts():
    return Deal.objects.count(), StageChange.objects.count(), AuditEntry.objects.count()


def test_pages_render(client):
    user = _login(client)
    company = make_company(owner=user, name="Alpha")
    deal = deal_create(actor=user, company=company, name="Big one", amount=Decimal("1500"))
    for url in (
        reverse("sales:deal_board"),
        reverse("sales:deal_list"),
        reverse("sales:deal_detail", args=[deal.pk]),
        reverse("sales:deal_edit", args=[deal.pk]),
        reverse("sales:deal_create") + f"?company={company.pk}",
        reverse("sales:deal_move", args=[deal.pk]),
        reverse("sales:company_deals_panel", args=[company.pk]),
        reverse("sales:deal_export"),
        company.get_absolute_url(),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(reverse("sales:deal_board")).content.decode()
    assert "Big one" in body
    card = client.get(company.get_absolute_url()).content.decode()
    assert reverse("sales:company_deals_panel", args=[company.pk]) in card
    assert f"{reverse('sales:deal_create')}?company={company.pk}" in card


def test_create_form_prefills_company_and_creates(client):
    user = _login(client)
    company = make_company(owner=user, name="Alpha")
    page = client.get(reverse("sales:deal_create") + f"?company={company.pk}").content.decode()
    assert f'<option value="{company.pk}" selected>Alpha</option>' in page

    response = client.post(
        reverse("sales:deal_create"),
        {"name": "Survey", "company": company.pk, "amount": "1200.50", "currency": "EUR"},
    )

    deal = Deal.objects.get(name="Survey")
    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    assert (deal.company, deal.amount, deal.currency) == (company, Decimal("1200.50"), "EUR")
    assert deal.stage == _stages()["Enquiry"]


def test_create_form_shows_service_error_next_to_the_field(client):
    _login(client)
    other = make_company(owner=user_with_role("sales_manager"))
    response = client.post(
        reverse("sales:deal_create"),
        {"name": "Survey", "company": other.pk, "amount": "1", "currency": "RUB"},
    )
    assert response.status_code == 404  # an invisible client is not even shown
    response = client.post(
        reverse("sales:deal_create"), {"name": "Survey", "company": "", "currency": "RUB"}
    )
    assert response.status_code == 200
    assert "company" in response.context["form"].errors
    assert Deal.objects.count() == 0


def test_board_query_count_and_cards_per_column(client):
    user = _login(client, "head_of_sales")
    company = make_company(owner=user)
    stages = _stages()
    for index in range(25):
        deal_create(actor=user, company=company, name=f"D{index:02}", amount=Decimal(index))
    for name in ("Negotiation", "Contract"):
        deal = deal_create(actor=user, company=company, name=name, amount=Decimal("5"))
        deal_move(actor=user, deal=deal, stage=stages[name])
    won = deal_create(actor=user, company=company, name="Won one", amount=Decimal("7"))
    deal_move(
        actor=user,
        deal=won,
        stage=stages["Won"],
        won_reason=PicklistOption.objects.filter(picklist=Picklist.WON_REASON).first(),
    )
    old = deal_create(actor=user, company=company, name="Old loss", amount=Decimal("9"))
    deal_move(
        actor=user,
        deal=old,
        stage=stages["Lost"],
        lost_reason=PicklistOption.objects.filter(picklist=Picklist.LOST_REASON).first(),
    )
    Deal.objects.filter(pk=old.pk).update(closed_at=timezone.now() - datetime.timedelta(days=90))
    client.get(reverse("sales:deal_board"))

    # session, user, grants, default pipeline, stages, totals (one aggregate), one query per
    # non-empty column (Enquiry, Negotiation, Contract, Won), pipelines, teams, won and lost
    # reasons for the dialog, unread notifications, administrator flag
    with assert_num_queries(16):
        response = client.get(reverse("sales:deal_board"))

    columns = {c.stage.name: c for c in response.context["columns"]}
    assert [c.stage.name for c in response.context["columns"]] == [
        "Enquiry",
        "Technical assignment",
        "Commercial proposal",
        "Negotiation",
        "Contract",
        "Won",
        "Lost",
    ]
    assert columns["Enquiry"].count == 25 and len(columns["Enquiry"].deals) == 20
    assert columns["Enquiry"].deals[0].name == "D24"  # largest first
    assert columns["Won"].count == 1 and columns["Lost"].count == 0  # old loss hidden
    assert columns["Enquiry"].sums == ["₽300.00"] or "300" in columns["Enquiry"].sums[0]
    more = client.get(columns["Enquiry"].more_url)
    assert more.status_code == 200
    assert [d.name for d in more.context["deals"]] == ["D04", "D03", "D02", "D01", "D00"]
    assert more.context["more_url"] == ""


def test_board_filters_mine(client):
    user = _login(client, "head_of_sales")
    other = user_with_role("sales_manager")
    deal_create(actor=user, company=make_company(owner=user), name="Mine")
    deal_create(actor=other, company=make_company(owner=other), name="Theirs")
    response = client.get(reverse("sales:deal_board") + "?mine=1")
    names = [d.name for c in response.context["columns"] for d in c.deals]
    assert names == ["Mine"]


def test_list_page_query_count(client):
    user = _login(client, "head_of_sales")
    company = make_company(owner=user)
    for index in range(30):
        deal_create(actor=user, company=company, name=f"D{index}", amount=Decimal(index))
    client.get(reverse("sales:deal_list"))

    # session, user, grants, page, count, saved views, notifications, is_admin, and the
    # filter selects (pipelines, stages, owners, teams, sources) because a filter is in use
    with assert_num_queries(13):
        response = client.get(reverse("sales:deal_list") + "?status=open&sort=-amount")

    assert response.status_code == 200
    assert [row.obj.name for row in response.context["rows"]][:2] == ["D29", "D28"]
    export = client.get(reverse("sales:deal_export") + "?status=open")
    content = b"".join(export.streaming_content).decode()
    assert content.count("\n") == 31


def test_move_json_ok_and_named_errors(client):
    user = _login(client)
    deal = deal_create(actor=user, company=make_company(owner=user), name="D")
    stages = _stages()
    url = reverse("sales:deal_move", args=[deal.pk])
    before = _counts()

    refused = client.post(
        url, {"stage": stages["Won"].pk, "version": 1}, HTTP_ACCEPT="application/json"
    )
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["won_reason"]
    assert _counts() == before

    moved = client.post(
        url, {"stage": stages["Contract"].pk, "version": 1}, HTTP_ACCEPT="application/json"
    )
    assert moved.status_code == 200
    assert moved.json() == {"id": deal.pk, "stage": stages["Contract"].pk, "version": 2}

    stale = client.post(
        url, {"stage": stages["Negotiation"].pk, "version": 1}, HTTP_ACCEPT="application/json"
    )
    assert stale.status_code == 409


def test_move_without_javascript(client):
    user = _login(client)
    deal = deal_create(actor=user, company=make_company(owner=user), name="D")
    stages = _stages()
    url = reverse("sales:deal_move", args=[deal.pk])
    board = reverse("sales:deal_board")

    response = client.post(url, {"stage": stages["Contract"].pk, "next": board})
    assert response.status_code == 302 and response["Location"] == board

    asks = client.post(url, {"stage": stages["Lost"].pk, "next": board})
    assert asks.status_code == 200
    assert "lost_reason" in asks.context["form"].errors
    reason = PicklistOption.objects.filter(picklist=Picklist.LOST_REASON).first()
    done = client.post(
        url, {"stage": stages["Lost"].pk, "lost_reason": reason.pk, "comment": "Too late"}
    )
    assert done.status_code == 302
    deal.refresh_from_db()
    assert deal.is_closed and not deal.is_won and deal.close_comment == "Too late"


@pytest.mark.parametrize("role", ["read_only", "service_agent"])
def test_viewers_cannot_move(client, role):
    owner = user_with_role("sales_manager")
    deal = deal_create(actor=owner, company=make_company(owner=owner), name="D")
    _login(client, role)
    before = _counts()

    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 200
    response = client.post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"stage": _stages()["Contract"].pk},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 403
    assert _counts() == before
    assert client.get(reverse("sales:deal_edit", args=[deal.pk])).status_code == 404


def test_hidden_deal_is_404(client):
    other = user_with_role("sales_manager")
    deal = deal_create(actor=other, company=make_company(owner=other), name="D")
    _login(client)
    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 404
    assert client.post(reverse("sales:deal_move", args=[deal.pk]), {}).status_code == 404


def test_activity_on_deal_and_company_timeline_shows_moves(client):
    user = _login(client)
    company = make_company(owner=user)
    deal = deal_create(actor=user, company=company, name="Tender")
    url = reverse("activities:activity_create") + f"?kind=note&deal={deal.pk}"
    assert client.get(url).status_code == 200

    response = client.post(url, {"kind": "note", "body": "Asked for a discount"})

    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    note = Activity.objects.get(deal=deal)
    assert note.company == company
    deal_move(actor=user, deal=deal, stage=_stages()["Negotiation"])
    page = timeline_for_company(user, company)
    assert note in [item.activity for item in page.items]
    moves = [i.entry for i in page.items if i.entry is not None and i.entry.object_type == "deal"]
    assert any("stage_id" in entry.changes for entry in moves)
    detail = client.get(deal.get_absolute_url())
    kinds = [item.kind for item in detail.context["timeline"]]
    assert kinds.count("activity") == 1 and kinds.count("move") == 2


def test_activity_on_invisible_deal_is_404(client):
    other = user_with_role("sales_manager")
    deal = deal_create(actor=other, company=make_company(owner=other), name="D")
    _login(client)
    url = reverse("activities:activity_create") + f"?kind=note&deal={deal.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "note", "body": "x"}).status_code == 404
    assert Activity.objects.count() == 0


def test_company_panel_counts(client):
    user = _login(client)
    company = make_company(owner=user)
    deal_create(actor=user, company=company, name="Open", amount=Decimal("10"))
    lost = deal_create(actor=user, company=company, name="Lost")
    deal_move(
        actor=user,
        deal=lost,
        stage=_stages()["Lost"],
        lost_reason=PicklistOption.objects.filter(picklist=Picklist.LOST_REASON).first(),
    )
    response = client.get(reverse("sales:company_deals_panel", args=[company.pk]))
    assert [d.name for d in response.context["deals"]] == ["Open"]
    counts = response.context["counts"]
    assert (counts.open_count, counts.won_count, counts.lost_count) == (1, 0, 1)


def test_pipeline_admin_rules(client):
    _login(client)
    assert client.get(reverse("sales:pipeline_admin")).status_code == 403
    admin = _login(client, "administrator")
    assert client.get(reverse("sales:pipeline_admin")).status_code == 200

    response = client.post(
        reverse("sales:pipeline_create"), {"name": "Equipment", "name_ru": "Оборудование"}
    )
    pipeline = Pipeline.objects.get(name="Equipment")
    assert response.status_code == 302
    assert [s.kind for s in pipeline.stages.order_by("position")] == ["open", "won", "lost"]

    second_won = client.post(
        reverse("sales:stage_create", args=[pipeline.pk]),
        {"name": "Won again", "kind": "won", "probability": 100},
    )
    assert second_won.status_code == 200
    assert "kind" in second_won.context["form"].errors
    bad_probability = client.post(
        reverse("sales:stage_create", args=[pipeline.pk]),
        {"name": "X", "kind": "open", "probability": 150},
    )
    assert "probability" in bad_probability.context["form"].errors

    for index in range(5):
        client.post(
            reverse("sales:stage_create", args=[pipeline.pk]),
            {"name": f"Step {index}", "kind": "open", "probability": 30},
        )
    assert pipeline.stages.count() == 8
    warnings = [m.message for m in get_messages(response.wsgi_request)]
    last = client.post(
        reverse("sales:stage_create", args=[pipeline.pk]),
        {"name": "Step 9", "kind": "open", "probability": 30},
    )
    warnings = [str(m) for m in get_messages(last.wsgi_request)]
    assert any("9 active stages" in w for w in warnings)

    # the only lost stage cannot be deactivated; a stage with deals cannot be deleted
    lost = pipeline.stages.get(kind="lost")
    response = client.post(
        reverse("sales:stage_edit", args=[lost.pk]),
        {"name": "Lost", "kind": "lost", "probability": 0},
    )
    assert "kind" in response.context["form"].errors
    first = pipeline.stages.order_by("position").first()
    deal_create(
        actor=admin, company=make_company(owner=admin), name="D", pipeline=pipeline, stage=first
    )
    client.post(reverse("sales:stage_delete", args=[first.pk]))
    assert Stage.objects.filter(pk=first.pk).exists()
    unused = pipeline.stages.get(name="Step 0")
    client.post(reverse("sales:stage_delete", args=[unused.pk]))
    assert not Stage.objects.filter(pk=unused.pk).exists()
    assert AuditEntry.objects.filter(object_type="sales.stage", action="delete").count() == 1


def test_pipeline_services_audit_and_reorder():
    admin = user_with_role("administrator")
    pipeline = pipeline_create(actor=admin, name="Equipment", is_default=True)
    assert Pipeline.objects.get(is_default=True) == pipeline
    from accord.sales.services_deals import stages_reorder

    ids = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    stages_reorder(actor=admin, pipeline=pipeline, stage_ids=list(reversed(ids)))
    assert list(pipeline.stages.order_by("position").values_list("pk", flat=True)) == list(
        reversed(ids)
    )
    assert AuditEntry.objects.filter(object_type="sales.pipeline").count() == 2


def test_board_cards_of_deals_one_may_not_change_have_no_move_control(client):
    from accord.core.testing import TeamFactory

    team = TeamFactory(name="North")
    me = _login(client, team=team)
    mate = user_with_role("sales_manager", team=team)
    mine = deal_create(actor=me, company=make_company(owner=me), name="Mine")
    theirs = deal_create(actor=mate, company=make_company(owner=mate, team=team), name="Theirs")

    body = client.get(reverse("sales:deal_board")).content.decode()

    assert f'id="move-{mine.pk}"' in body
    assert f'id="deal-card-{theirs.pk}"' in body and f'id="move-{theirs.pk}"' not in body
