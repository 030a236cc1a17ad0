import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.tests.factories import make_company
from accord.projects import selectors, services
from accord.projects.models import Project, ProjectStage, ProjectTemplate, TemplateStage
from accord.projects.tests.factories import default_template, make_deal

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 3, 2)


def _project(manager, company=None, budget="1000000.01", **kwargs):
    company = company or make_company(owner=manager, name="ООО Проектстрой")
    return services.project_create(
        actor=manager,
        company=company,
        name=kwargs.pop("name", "Школа на 550 мест"),
        template=kwargs.pop("template", default_template()),
        budget=Decimal(budget),
        currency="RUB",
        start_date=kwargs.pop("start_date", START),
        **kwargs,
    )


# --- templates ---------------------------------------------------------------------------


def test_seeded_default_template_has_four_stages_adding_up_to_100():
    template = default_template()
    rows = list(template.stages.values_list("name", "budget_share", "duration_days"))
    assert rows == [
        ("Engineering survey", Decimal("15.00"), 30),
        ("Design documentation", Decimal("35.00"), 60),
        ("Working documentation", Decimal("40.00"), 60),
        ("Author's supervision", Decimal("10.00"), 90),
    ]


def test_template_shares_must_add_up_to_100_and_nothing_is_saved_otherwise():
    admin = user_with_role("administrator")
    before = (ProjectTemplate.objects.count(), TemplateStage.objects.count())

    with pytest.raises(ValidationError) as info:
        services.template_save(
            actor=admin,
            fields={"name": "Survey only", "name_ru": "Только изыскания"},
            stages=[
                {"name": "Survey", "duration_days": 20, "budget_share": "60"},
                {"name": "Report", "duration_days": 10, "budget_share": "30"},
            ],
        )

    assert "budget_share" in info.value.message_dict
    assert "90" in info.value.message_dict["budget_share"][0]
    assert (ProjectTemplate.objects.count(), TemplateStage.objects.count()) == before


def test_administrator_creates_edits_reorders_and_removes_template_stages():
    admin = user_with_role("administrator")
    template = services.template_save(
        actor=admin,
        fields={"name": "Survey only", "name_ru": "Только изыскания"},
        stages=[
            {"name": "Survey", "name_ru": "Изыскания", "duration_days": 20, "budget_share": "60"},
            {
                "name": "Report",
                "duration_days": 10,
                "budget_share": "40",
                "has_payment_milestone": False,
            },
        ],
    )
    survey, report = template.stages.order_by("position")
    assert report.has_payment_milestone is False

    services.template_stage_move(actor=admin, stage=report, direction="up")
    assert list(template.stages.order_by("position").values_list("name", flat=True)) == [
        "Report",
        "Survey",
    ]

    services.template_save(
        actor=admin,
        template=template,
        fields={"name": "Survey"},
        stages=[{"id": survey.pk, "name": "Survey", "duration_days": 25, "budget_share": "100"}],
    )
    template.refresh_from_db()
    assert template.name == "Survey"
    assert list(template.stages.values_list("pk", "duration_days")) == [(survey.pk, 25)]
    assert (
        AuditEntry.objects.filter(
            object_type="projects.projecttemplate", object_id=template.pk
        ).count()
        == 3
    )


def test_only_administrators_edit_templates():
    manager = user_with_role("head_of_sales")
    with pytest.raises(PermissionDenied):
        services.template_save(
            actor=manager,
            fields={"name": "X"},
            stages=[{"name": "A", "duration_days": 1, "budget_share": "100"}],
        )
    assert not ProjectTemplate.objects.filter(name="X").exists()


# --- creating from the template ----------------------------------------------------------


def test_stages_generated_from_default_template_with_chained_deadlines_and_exact_milestones():
    manager = user_with_role("sales_manager")

    project = _project(manager)

    stages = list(project.stages.order_by("position"))
    assert [s.name for s in stages] == [
        "Engineering survey",
        "Design documentation",
        "Working documentation",
        "Author's supervision",
    ]
    assert [(s.start_date, s.deadline) for s in stages] == [
        (datetime.date(2026, 3, 2), datetime.date(2026, 4, 1)),
        (datetime.date(2026, 4, 1), datetime.date(2026, 5, 31)),
        (datetime.date(2026, 5, 31), datetime.date(2026, 7, 30)),
        (datetime.date(2026, 7, 30), datetime.date(2026, 10, 28)),
    ]
    # 15 % of 1 000 000.01 = 150 000.0015 -> 150 000.00; the kopeck left goes on the last.
    assert [s.milestone_amount for s in stages] == [
        Decimal("150000.00"),
        Decimal("350000.00"),
        Decimal("400000.00"),
        Decimal("100000.01"),
    ]
    assert sum(s.milestone_amount for s in stages) == Decimal("1000000.01")
    assert project.end_date == datetime.date(2026, 10, 28)
    assert project.owner == manager
    entry = AuditEntry.objects.get(object_type="project", object_id=project.pk, action="create")
    assert entry.related_type == "company" and entry.related_id == project.company_id


def test_stage_names_follow_the_users_language():
    manager = user_with_role("sales_manager", language="ru")
    project = _project(manager)
    assert project.stages.order_by("position").first().name == "Инженерные изыскания"


def test_odd_budget_milestones_sum_exactly():
    manager = user_with_role("sales_manager")
    project = _project(manager, budget="333333.33")
    amounts = list(project.stages.order_by("position").values_list("milestone_amount", flat=True))
    assert sum(amounts) == Decimal("333333.33")
    assert amounts[:3] == [Decimal("50000.00"), Decimal("116666.67"), Decimal("133333.33")]
    assert amounts[3] == Decimal("33333.33")


def test_project_from_deal_takes_name_client_budget_and_currency():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    deal = make_deal(owner=manager, company=company, amount="2400000.00", currency="EUR")

    project = services.project_create(actor=manager, deal=deal)

    assert (project.name, project.company, project.budget, project.currency, project.deal) == (
        "Office building, design",
        company,
        Decimal("2400000.00"),
        "EUR",
        deal,
    )
    assert project.stages.count() == 0


def test_project_from_a_deal_the_user_cannot_see_is_refused():
    owner = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    company = make_company(owner=owner)
    deal = make_deal(owner=owner, company=company)
    count = Project.objects.count()

    with pytest.raises(ValidationError) as info:
        services.project_create(actor=other, deal=deal, company=make_company(owner=other))

    assert "deal" in info.value.message_dict
    assert Project.objects.count() == count


def test_negative_budget_is_refused_naming_the_field():
    manager = user_with_role("sales_manager")
    with pytest.raises(ValidationError) as info:
        _project(manager, budget="-1")
    assert "budget" in info.value.message_dict
    assert not Project.objects.exists()


# --- budget changes and stages -------------------------------------------------------------


def test_budget_change_recomputes_unpaid_milestones_and_keeps_paid_ones():
    manager = user_with_role("sales_manager")
    project = _project(manager, budget="1000000.00")
    first = project.stages.order_by("position").first()
    services.stage_set_status(actor=manager, stage=first, status="done")
    services.stage_set_paid(actor=manager, stage=first, paid_on=START)

    project.refresh_from_db()
    updated = services.project_update(
        actor=manager,
        project=project,
        fields={"budget": Decimal("2000000.00")},
        expected_version=project.version,
    )

    amounts = list(updated.stages.order_by("position").values_list("milestone_amount", flat=True))
    # the paid 150 000 stays; 1 850 000 is spread 35 : 40 : 10 over the unpaid stages
    assert amounts == [
        Decimal("150000.00"),
        Decimal("761764.71"),
        Decimal("870588.24"),
        Decimal("217647.05"),
    ]
    assert sum(amounts) == Decimal("2000000.00")
    assert AuditEntry.objects.filter(
        object_type="project", object_id=project.pk, changes__has_key="milestones"
    ).exists()


def test_budget_below_paid_milestones_is_refused_and_nothing_changes():
    manager = user_with_role("sales_manager")
    project = _project(manager, budget="1000000.00")
    first = project.stages.order_by("position").first()
    services.stage_set_paid(actor=manager, stage=first, paid_on=START)
    project.refresh_from_db()

    with pytest.raises(ValidationError) as info:
        services.project_update(actor=manager, project=project, fields={"budget": Decimal("100")})

    assert "budget" in info.value.message_dict
    project.refresh_from_db()
    assert project.budget == Decimal("1000000.00")
    assert project.stages.get(pk=first.pk).milestone_amount == Decimal("150000.00")


def test_stage_shares_cannot_exceed_100_percent():
    manager = user_with_role("sales_manager")
    project = _project(manager)
    count = project.stages.count()

    with pytest.raises(ValidationError) as info:
        services.stage_add(actor=manager, project=project, name="Extra", budget_share=Decimal("5"))

    assert "budget_share" in info.value.message_dict
    assert project.stages.count() == count
    stage = project.stages.order_by("position").first()
    with pytest.raises(ValidationError) as info:
        services.stage_update(actor=manager, stage=stage, fields={"budget_share": Decimal("16")})
    assert "budget_share" in info.value.message_dict


def test_stage_add_update_move_and_remove():
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager, budget="1000.00", template=None)
    survey = services.stage_add(
        actor=manager, project=project, name="Survey", budget_share=Decimal("30")
    )
    design = services.stage_add(
        actor=manager,
        project=project,
        name="Design",
        budget_share=Decimal("70"),
        deadline=datetime.date(2026, 6, 1),
        responsible=engineer,
    )
    assert (survey.milestone_amount, design.milestone_amount) == (
        Decimal("300.00"),
        Decimal("700.00"),
    )

    design = services.stage_update(
        actor=manager,
        stage=design,
        fields={"budget_share": Decimal("50")},
        expected_version=design.version,
    )
    assert design.milestone_amount == Decimal("500.00")
    with pytest.raises(ConflictError):
        services.stage_update(actor=manager, stage=design, fields={"name": "X"}, expected_version=1)

    services.stage_move(actor=manager, stage=design, direction="up")
    assert list(project.stages.order_by("position").values_list("name", flat=True)) == [
        "Design",
        "Survey",
    ]

    services.stage_remove(actor=manager, stage=survey)
    assert list(project.stages.values_list("name", "position")) == [("Design", 0)]
    entry = AuditEntry.objects.filter(
        object_type="projects.projectstage", object_id=survey.pk, action="delete"
    ).get()
    assert entry.related_type == "company" and entry.related_id == project.company_id


def test_responsible_must_be_an_active_user():
    manager = user_with_role("sales_manager")
    gone = user_with_role("read_only", is_active=False)
    project = _project(manager)
    stage = project.stages.first()
    with pytest.raises(ValidationError) as info:
        services.stage_update(actor=manager, stage=stage, fields={"responsible": gone})
    assert "responsible" in info.value.message_dict
    stage.refresh_from_db()
    assert stage.responsible is None


# --- statuses ----------------------------------------------------------------------------


def test_stage_status_flow_with_completion_date_and_reopening():
    manager = user_with_role("sales_manager")
    project = _project(manager)
    stage = project.stages.order_by("position").first()

    stage = services.stage_set_status(actor=manager, stage=stage, status="in_progress")
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    stage = services.stage_set_status(
        actor=manager, stage=stage, status="done", completed_on=datetime.date(2026, 3, 30)
    )
    assert stage.completed_on == datetime.date(2026, 3, 30)

    stage = services.stage_set_status(actor=manager, stage=stage, status="in_progress")
    assert stage.completed_on is None
    reopened = AuditEntry.objects.filter(
        object_type="projects.projectstage", object_id=stage.pk
    ).first()
    assert reopened.message == "Stage reopened"
    assert reopened.changes["status"] == ["done", "in_progress"]


def test_completion_is_refused_while_a_stage_is_open():
    manager = user_with_role("sales_manager")
    project = _project(manager)
    stages = list(project.stages.order_by("position"))
    for stage in stages[:3]:
        services.stage_set_status(actor=manager, stage=stage, status="done")
    project.refresh_from_db()
    version = project.version

    with pytest.raises(ValidationError) as info:
        services.project_set_status(actor=manager, project=project, status="completed")

    assert "status" in info.value.message_dict
    project.refresh_from_db()
    assert (project.status, project.version) == (Project.Status.ACTIVE, version)

    services.stage_set_status(actor=manager, stage=stages[3], status="done")
    project.refresh_from_db()
    project = services.project_set_status(actor=manager, project=project, status="completed")
    assert project.status == Project.Status.COMPLETED


def test_illegal_project_status_move_is_refused():
    manager = user_with_role("sales_manager")
    project = _project(manager)
    with pytest.raises(ValidationError) as info:
        services.project_set_status(actor=manager, project=project, status="completed")
    assert "status" in info.value.message_dict


# --- progress ----------------------------------------------------------------------------


def test_progress_is_weighted_by_budget_share():
    manager = user_with_role("sales_manager")
    project = _project(manager)
    stages = list(project.stages.order_by("position"))
    services.stage_set_status(actor=manager, stage=stages[0], status="done")
    services.stage_set_status(actor=manager, stage=stages[2], status="done")
    services.stage_set_paid(actor=manager, stage=stages[0], paid_on=START)

    progress = selectors.progress_of(project, today=datetime.date(2026, 3, 10))

    assert progress.percent == 55  # 15 + 40
    assert (progress.done_count, progress.stage_count) == (2, 4)
    assert progress.paid_total == Decimal("150000.00")
    assert progress.next_deadline == datetime.date(2026, 5, 31)
    assert progress.overdue == []


def test_progress_with_equal_weights_when_no_shares():
    manager = user_with_role("sales_manager")
    project = _project(manager, template=None, budget="0")
    stages = [services.stage_add(actor=manager, project=project, name=n) for n in "ABC"]
    services.stage_set_status(actor=manager, stage=stages[1], status="done")
    assert selectors.progress_of(project).percent == 33


def test_overdue_stages_with_days_overdue_as_of_a_given_day():
    manager = user_with_role("sales_manager")
    project = _project(manager)
    stages = list(project.stages.order_by("position"))
    services.stage_set_status(actor=manager, stage=stages[0], status="done")

    progress = selectors.progress_of(project, today=datetime.date(2026, 6, 10))

    # survey is done; design (deadline 31 May) is 10 days late; working docs not yet due
    assert [(item.stage.name, item.days) for item in progress.overdue] == [
        ("Design documentation", 10)
    ]
    assert progress.next_deadline == datetime.date(2026, 7, 30)


def test_overdue_with_real_today_on_past_deadlines():
    manager = user_with_role("sales_manager")
    project = _project(manager, start_date=datetime.date(2020, 1, 1))
    progress = selectors.progress_of(project)
    assert progress.overdue_count == 4
    flagged = selectors.with_overdue_flag(Project.objects.filter(pk=project.pk)).get()
    assert flagged.has_overdue is True


# --- permissions -------------------------------------------------------------------------


def test_manager_sees_own_and_team_projects_only():
    team = TeamFactory()
    me = user_with_role("sales_manager", team=team)
    colleague = user_with_role("sales_manager", team=team)
    stranger = user_with_role("sales_manager")
    mine = _project(me)
    shared = _project(colleague, team=team)
    hidden = _project(stranger)

    visible = set(selectors.projects_visible_to(me).values_list("pk", flat=True))

    assert mine.pk in visible and shared.pk in visible and hidden.pk not in visible
    with pytest.raises(Http404):
        selectors.get_project_for(me, hidden.pk)
    with pytest.raises(Http404):
        selectors.get_project_for(me, shared.pk, "change")


def test_read_only_engineer_sees_but_cannot_change():
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager)
    stage = project.stages.order_by("position").first()

    assert selectors.get_project_for(engineer, project.pk) == project
    with pytest.raises(PermissionDenied):
        services.stage_set_status(actor=engineer, stage=stage, status="in_progress")
    with pytest.raises(PermissionDenied):
        services.project_update(actor=engineer, project=project, fields={"name": "X"})
    stage.refresh_from_db()
    project.refresh_from_db()
    assert stage.status == ProjectStage.Status.NOT_STARTED
    assert project.name == "Школа на 550 мест"


def test_my_stages_overdue_first_then_by_deadline():
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager)
    stages = list(project.stages.order_by("position"))
    for stage in stages:
        services.stage_update(actor=manager, stage=stage, fields={"responsible": engineer})

    mine = selectors.my_stages(engineer, today=datetime.date(2026, 6, 10))

    assert [s.name for s in mine] == [
        "Engineering survey",
        "Design documentation",
        "Working documentation",
        "Author's supervision",
    ]


def test_stages_of_a_cancelled_project_are_frozen_but_payments_still_recorded():
    manager = user_with_role("sales_manager")
    project = _project(manager)
    stage = project.stages.order_by("position").first()
    project = services.project_set_status(actor=manager, project=project, status="cancelled")
    count = project.stages.count()

    with pytest.raises(ValidationError) as info:
        services.stage_add(actor=manager, project=project, name="Extra")
    assert "status" in info.value.message_dict
    with pytest.raises(ValidationError):
        services.stage_set_status(actor=manager, stage=stage, status="done")
    assert project.stages.count() == count

    paid = services.stage_set_paid(actor=manager, stage=stage, paid_on=START)
    assert paid.milestone_paid_on == START
