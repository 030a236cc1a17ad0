"""Forms of the project pages. They only parse input; the services validate and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accord.core.models import Team
from accord.projects.models import Project, ProjectStage, ProjectTemplate

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ErrorsFromServiceMixin:
    """Put a service's ValidationError next to the field it names (or on top of the form)."""

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        form: Any = self
        for name, messages in errors.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)


def _currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in settings.ACCORD_CURRENCIES]


class ProjectForm(ErrorsFromServiceMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    template = forms.ModelChoiceField(
        label=_("Stages from the template"),
        queryset=ProjectTemplate.objects.none(),
        required=False,
        empty_label=_("No template: I will add the stages"),
    )
    code = forms.CharField(label=_("Project code"), max_length=40, required=False)
    contract_number = forms.CharField(label=_("Contract number"), max_length=60, required=False)
    contract_date = forms.DateField(label=_("Contract date"), required=False, widget=DATE)
    budget = forms.DecimalField(
        label=_("Budget"), max_digits=14, decimal_places=2, min_value=Decimal("0"), initial=0
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=_currency_choices)
    start_date = forms.DateField(
        label=_("Start"),
        required=False,
        widget=DATE,
        help_text=_("Stage deadlines are counted from this date."),
    )
    end_date = forms.DateField(label=_("Planned end"), required=False, widget=DATE)
    team = forms.ModelChoiceField(
        label=_("Shared with team"), queryset=Team.objects.all(), required=False
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, is_edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_edit:
            del self.fields["template"]
        else:
            del self.fields["version"]
            templates = ProjectTemplate.objects.filter(is_active=True)
            self.fields["template"].queryset = templates  # type: ignore[attr-defined]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("template", None)
        return data

    @staticmethod
    def initial_for(project: Project) -> dict[str, Any]:
        return {
            name: getattr(project, name)
            for name in (
                "name",
                "code",
                "contract_number",
                "contract_date",
                "budget",
                "currency",
                "start_date",
                "end_date",
                "team",
                "description",
                "version",
            )
        }


class StageForm(ErrorsFromServiceMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    start_date = forms.DateField(label=_("Start"), required=False, widget=DATE)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DATE)
    responsible = forms.ModelChoiceField(
        label=_("Responsible engineer"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
    )
    budget_share = forms.DecimalField(
        label=_("Share of the budget, %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        initial=0,
    )
    has_payment_milestone = forms.BooleanField(
        label=_("Payment due on completion"), required=False, initial=True
    )
    milestone_paid_on = forms.DateField(label=_("Milestone paid on"), required=False, widget=DATE)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, is_edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_edit:
            del self.fields["milestone_paid_on"]
            del self.fields["version"]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("version", "milestone_paid_on"):
            data.pop(name, None)
        return data

    @staticmethod
    def initial_for(stage: ProjectStage) -> dict[str, Any]:
        return {
            name: getattr(stage, name)
            for name in (
                "name",
                "start_date",
                "deadline",
                "responsible",
                "budget_share",
                "has_payment_milestone",
                "milestone_paid_on",
                "notes",
                "version",
            )
        }


# --- templates (administrators) ------------------------------------------------------------


class TemplateForm(ErrorsFromServiceMixin, forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=120)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=120, required=False)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120, required=False)
    name_de = forms.CharField(label=_("Name (German)"), max_length=120, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_active = forms.BooleanField(
        label=_("Offered for new projects"), required=False, initial=True
    )


class TemplateStageForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=120, required=False)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120, required=False)
    name_de = forms.CharField(label=_("Name (German)"), max_length=120, required=False)
    duration_days = forms.IntegerField(
        label=_("Usual length, days"), min_value=0, max_value=3650, initial=30
    )
    budget_share = forms.DecimalField(
        label=_("Share of the budget, %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        initial=0,
    )
    has_payment_milestone = forms.BooleanField(
        label=_("Payment due on completion"), required=False, initial=True
    )


class BaseTemplateStageFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def rows(self) -> list[dict[str, Any]]:
        """The filled-in rows in their order (blank extra rows and deleted rows left out)."""
        result = []
        ordered = sorted(
            (f for f in self.forms if f.has_changed() or f.cleaned_data.get("id")),
            # rows without a number (new ones) come after the numbered ones
            key=lambda f: (f.cleaned_data.get("ORDER") or 10_000, self.forms.index(f)),
        )
        for form in ordered:
            data = dict(form.cleaned_data)
            if data.pop("DELETE", False):
                continue
            data.pop("ORDER", None)
            if not data.get("id"):
                data.pop("id", None)
            result.append(data)
        return result


TemplateStageFormSet = forms.formset_factory(
    TemplateStageForm,
    formset=BaseTemplateStageFormSet,
    extra=2,
    can_delete=True,
    can_order=True,
)


def template_stage_initial(template: ProjectTemplate | None) -> list[dict[str, Any]]:
    if template is None:
        return []
    return [
        {
            "id": s.pk,
            "name": s.name,
            "name_ru": s.name_ru,
            "name_fr": s.name_fr,
            "name_de": s.name_de,
            "duration_days": s.duration_days,
            "budget_share": s.budget_share,
            "has_payment_milestone": s.has_payment_milestone,
            "ORDER": index + 1,
        }
        for index, s in enumerate(template.stages.order_by("position", "id"))
    ]
