import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company
from accord.projects import services
from accord.projects.models import Project, ProjectTemplate
from accord.projects.tests.factories import default_template, make_deal

pytestmark = pytest.mark.django_db

PAST = datetime.date(2020, 1, 1)
FUTURE = timezone.localdate() + datetime.timedelta(days=10)


def _project(manager, company=None, budget="1000000.01", **kwargs):
    company = company or make_company(owner=manager, name="ООО Проектстрой")
    return services.project_create(
        actor=manager,
        company=company,
        name=kwargs.pop("name", "Школа на 550 мест"),
        template=kwargs.pop("template", default_template()),
        budget=Decimal(budget),
        currency="RUB",
        start_date=kwargs.pop("start_date", FUTURE),
        **kwargs,
    )


def test_project_list_with_filters_and_fixed_query_count(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    for index in range(3):
        _project(manager, company=company, name=f"Project {index}")
    late = _project(manager, company=company, name="Late one", start_date=PAST)
    client.force_login(manager)
    url = reverse("projects:project_list")
    client.get(url)  # warm the session and caches

    # session, user, grants, teams, page of projects, their stages (one prefetch), count,
    # saved views, unread notifications, administrator flag (menu)
    with assert_num_queries(10):
        response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("Project ") >= 3 and "Late one" in body

    response = client.get(url, {"overdue": "yes"})
    assert [row.obj for row in response.context["rows"]] == [late]

    for index in range(3, 8):
        _project(manager, company=company, name=f"Project {index}")
    with assert_num_queries(10):
        client.get(url)


def test_project_export_csv(client):
    manager = user_with_role("sales_manager")
    _project(manager, name="=cmd|calc")
    client.force_login(manager)
    response = client.get(reverse("projects:project_export"))
    body = b"".join(response.streaming_content).decode()
    assert "'=cmd|calc" in body


def test_detail_shows_stages_progress_and_overdue(client):
    manager = user_with_role("sales_manager")
    project = _project(manager, start_date=PAST)
    client.force_login(manager)

    response = client.get(project.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert "Engineering survey" in body and "is-overdue" in body
    assert "days overdue" in body
    assert response.context["progress"].overdue_count == 4


def test_create_from_company_with_template_via_form(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    client.force_login(manager)
    url = reverse("projects:project_create")

    assert client.get(url, {"company": company.pk}).status_code == 200
    response = client.post(
        url,
        {
            "company": company.pk,
            "name": "Склад",
            "template": default_template().pk,
            "budget": "100.00",
            "currency": "RUB",
            "start_date": "2026-01-10",
        },
    )

    project = Project.objects.get(name="Склад")
    assert response.status_code == 302 and response.url == project.get_absolute_url()
    assert project.stages.count() == 4


def test_create_from_deal_prefills_the_form(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    deal = make_deal(owner=manager, company=company, amount="750000.00")
    client.force_login(manager)

    response = client.get(reverse("projects:project_create"), {"deal": deal.pk})

    form = response.context["form"]
    assert form.initial["name"] == deal.name
    assert form.initial["budget"] == Decimal("750000.00")


def test_create_form_errors_show_next_to_the_field(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    client.force_login(manager)
    response = client.post(
        reverse("projects:project_create"),
        {"company": company.pk, "name": "X", "budget": "-5", "currency": "RUB"},
    )
    assert response.status_code == 200
    assert "budget" in response.context["form"].errors
    assert not Project.objects.exists()


def test_read_only_engineer_sees_page_without_actions_and_cannot_post(client):
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager)
    stage = project.stages.first()
    client.force_login(engineer)

    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    assert (
        reverse("projects:stage_status", args=[project.pk, stage.pk])
        not in response.content.decode()
    )

    response = client.post(
        reverse("projects:stage_status", args=[project.pk, stage.pk]), {"status": "done"}
    )
    assert response.status_code == 404
    stage.refresh_from_db()
    assert stage.status == "not_started"


def test_template_rows_keep_their_order_and_new_rows_come_last(client):
    admin = user_with_role("administrator")
    client.force_login(admin)
    template = default_template()
    stages = list(template.stages.order_by("position"))
    data = {
        "name": template.name,
        "is_active": "on",
        "stages-TOTAL_FORMS": "6",
        "stages-INITIAL_FORMS": "4",
    }
    shares = ["15", "35", "40", "5"]
    for index, stage in enumerate(stages):
        data.update(
            {
                f"stages-{index}-id": stage.pk,
                f"stages-{index}-name": stage.name,
                f"stages-{index}-duration_days": stage.duration_days,
                f"stages-{index}-budget_share": shares[index],
                f"stages-{index}-has_payment_milestone": "on",
                f"stages-{index}-ORDER": index + 1,
            }
        )
    data.update(
        {
            "stages-4-name": "Warranty",
            "stages-4-duration_days": "365",
            "stages-4-budget_share": "5",
            "stages-5-duration_days": "30",
            "stages-5-budget_share": "0",
            "stages-5-has_payment_milestone": "on",
        }
    )
    response = client.post(reverse("projects:template_edit", args=[template.pk]), data)
    assert response.status_code == 302
    assert list(template.stages.order_by("position").values_list("name", flat=True)) == [
        "Engineering survey",
        "Design documentation",
        "Working documentation",
        "Author's supervision",
        "Warranty",
    ]


def test_stage_status_buttons_and_stage_edit(client):
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager)
    stage = project.stages.order_by("position").first()
    client.force_login(manager)

    client.post(reverse("projects:stage_status", args=[project.pk, stage.pk]), {"status": "done"})
    stage.refresh_from_db()
    assert stage.status == "done"

    response = client.post(
        reverse("projects:stage_edit", args=[project.pk, stage.pk]),
        {
            "name": stage.name,
            "deadline": "2026-04-01",
            "responsible": engineer.pk,
            "budget_share": "15",
            "has_payment_milestone": "on",
            "milestone_paid_on": "2026-04-05",
            "version": stage.version,
        },
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.responsible, stage.milestone_paid_on) == (engineer, datetime.date(2026, 4, 5))


def test_company_card_panel_shows_active_projects_with_progress_and_overdue(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    late = _project(manager, company=company, name="Late one", start_date=PAST)
    first = late.stages.order_by("position").first()
    services.stage_set_status(actor=manager, stage=first, status="done")
    done = _project(manager, company=company, name="Finished", template=None)
    services.project_set_status(actor=manager, project=done, status="cancelled")
    client.force_login(manager)

    response = client.get(reverse("projects:company_projects", args=[company.pk]))

    body = response.content.decode()
    assert "Late one" in body and "Finished" not in body
    assert "15 %" in body  # survey (15 %) done
    assert "3 overdue stages" in body
    card = client.get(company.get_absolute_url()).content.decode()
    assert reverse("projects:company_projects", args=[company.pk]) in card
    assert f"{reverse('projects:project_create')}?company={company.pk}" in card


def test_deal_fragment_lists_projects_of_the_deal(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    deal = make_deal(owner=manager, company=company)
    services.project_create(actor=manager, deal=deal)
    client.force_login(manager)
    body = client.get(reverse("projects:deal_projects", args=[deal.pk])).content.decode()
    assert deal.name in body
    other = user_with_role("sales_manager")
    client.force_login(other)
    assert client.get(reverse("projects:deal_projects", args=[deal.pk])).status_code == 404


def test_my_stages_page(client):
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager, start_date=PAST)
    stage = project.stages.order_by("position").first()
    services.stage_update(actor=manager, stage=stage, fields={"responsible": engineer})
    client.force_login(engineer)
    body = client.get(reverse("projects:my_stages")).content.decode()
    assert "Engineering survey" in body and "is-overdue" in body


def test_template_admin_pages(client):
    admin = user_with_role("administrator")
    manager = user_with_role("head_of_sales")
    client.force_login(manager)
    assert client.get(reverse("projects:template_admin")).status_code == 403
    client.force_login(admin)
    assert "Design contract" in client.get(reverse("projects:template_admin")).content.decode()
    template = default_template()
    assert client.get(reverse("projects:template_edit", args=[template.pk])).status_code == 200

    data = {
        "name": "Small job",
        "is_active": "on",
        "stages-TOTAL_FORMS": "2",
        "stages-INITIAL_FORMS": "0",
        "stages-0-name": "Survey",
        "stages-0-duration_days": "10",
        "stages-0-budget_share": "50",
        "stages-0-ORDER": "1",
        "stages-1-name": "Design",
        "stages-1-duration_days": "20",
        "stages-1-budget_share": "40",
        "stages-1-ORDER": "2",
    }
    response = client.post(reverse("projects:template_create"), data)
    assert response.status_code == 200
    assert "must add up to 100" in response.content.decode()
    assert not ProjectTemplate.objects.filter(name="Small job").exists()

    data["stages-1-budget_share"] = "50"
    response = client.post(reverse("projects:template_create"), data)
    assert response.status_code == 302
    template = ProjectTemplate.objects.get(name="Small job")
    assert list(template.stages.values_list("name", "budget_share")) == [
        ("Survey", Decimal("50.00")),
        ("Design", Decimal("50.00")),
    ]


def test_invoice_this_milestone_creates_an_invoice_for_the_stage(client):
    from accord.commerce.models import Invoice
    from accord.projects.views import invoice_service

    if invoice_service() is None:
        pytest.skip("the invoicing service is not there")
    manager = user_with_role("sales_manager")
    project = _project(manager, budget="1000000.01")
    last = project.stages.order_by("position").last()
    client.force_login(manager)

    page = client.get(project.get_absolute_url()).content.decode()
    assert reverse("projects:stage_invoice", args=[project.pk, last.pk]) in page
    response = client.post(reverse("projects:stage_invoice", args=[project.pk, last.pk]))

    invoice = Invoice.objects.get(project_stage=last)
    assert response.status_code == 302
    assert invoice.total == Decimal("100000.01")
    assert invoice.company == project.company and invoice.currency == "RUB"
    page = client.get(project.get_absolute_url()).content.decode()
    assert reverse("projects:stage_invoice", args=[project.pk, last.pk]) not in page
    assert invoice.get_absolute_url() in page
