"""Forms for deals, stage moves and pipeline administration (phone-first, short)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accord.core.models import Picklist, PicklistOption, Team, User
from accord.parties.models import Company, Contact
from accord.sales.models import Pipeline, Stage


def picklist_options(picklist: str) -> Any:
    return PicklistOption.objects.filter(picklist=picklist, is_active=True).order_by(
        "position", "id"
    )


def _queryset(form: forms.Form, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return cast(forms.ModelChoiceField, form.fields[name])  # type: ignore[type-arg]


class OptionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A picklist option shown in the reader's language."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.localized_label()


class DealForm(forms.Form):
    """Create or edit a deal. The client is picked with the company picker (a select filled by
    htmx with matching visible companies: 300,000 options would not load)."""

    name = forms.CharField(label=_("Name"), max_length=255)
    company = forms.IntegerField(label=_("Client"), widget=forms.Select)
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    currency = forms.ChoiceField(label=_("Currency"))
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.none(), required=False
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none(), required=False)
    expected_close = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts"), queryset=Contact.objects.none(), required=False
    )
    source = OptionChoiceField(
        label=_("Source"), queryset=PicklistOption.objects.none(), required=False
    )
    campaign = forms.CharField(label=_("Campaign"), max_length=120, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(
        label=_("Shared with team"), queryset=Team.objects.none(), required=False
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        user: User,
        company: Company | None = None,
        is_edit: bool = False,
        may_reassign: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["currency"]).choices = [
            (c, c) for c in settings.ACCORD_CURRENCIES
        ]
        self.fields["currency"].initial = settings.ACCORD_CURRENCIES[0]
        pipelines = Pipeline.objects.filter(is_active=True).order_by("position", "id")
        _queryset(self, "pipeline").queryset = pipelines
        _queryset(self, "stage").queryset = Stage.objects.filter(
            is_active=True, kind=Stage.Kind.OPEN, pipeline__is_active=True
        ).select_related("pipeline")
        self.fields["stage"].label_from_instance = (  # type: ignore[attr-defined]
            lambda s: f"{s.pipeline} — {s}"
        )
        self.fields["stage"].help_text = _("Leave empty to start in the first stage.")
        _queryset(self, "source").queryset = picklist_options(Picklist.SOURCE)
        _queryset(self, "team").queryset = Team.objects.all()
        # The chosen client is the select's only option until the picker fills it.
        widget = self.fields["company"].widget
        widget.choices = [("", "—")] + ([(company.pk, company.name)] if company else [])
        if company is not None:
            self.fields["company"].initial = company.pk
            _queryset(self, "contacts").queryset = Contact.objects.filter(
                employments__company=company
            ).order_by("full_name", "id")
        if not company:
            del self.fields["contacts"]
        if may_reassign:
            _queryset(self, "owner").queryset = User.objects.filter(is_active=True)
        else:
            del self.fields["owner"]
        if is_edit:
            del self.fields["stage"]
            self.fields["pipeline"].help_text = _(
                "Moving the deal to another pipeline puts it in that pipeline's first stage."
            )
        else:
            del self.fields["version"]

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values in the service's vocabulary (contacts and version apart)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("contacts", None)
        if data.get("amount") is None:
            data["amount"] = Decimal("0")
        if "owner" in data and data["owner"] is None:
            data.pop("owner")
        return data


class MoveForm(forms.Form):
    """Move a deal to a stage; won and lost ask for the reason and an optional comment."""

    stage = forms.ModelChoiceField(label=_("Move to"), queryset=Stage.objects.none())
    won_reason = OptionChoiceField(
        label=_("Why was it won?"), queryset=PicklistOption.objects.none(), required=False
    )
    lost_reason = OptionChoiceField(
        label=_("Why was it lost?"), queryset=PicklistOption.objects.none(), required=False
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, pipeline: Pipeline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "stage").queryset = Stage.objects.filter(pipeline=pipeline, is_active=True)
        _queryset(self, "won_reason").queryset = picklist_options(Picklist.WON_REASON)
        _queryset(self, "lost_reason").queryset = picklist_options(Picklist.LOST_REASON)


class PipelineForm(forms.Form):
    name = forms.CharField(label="English", max_length=120)
    name_ru = forms.CharField(label="Русский", max_length=120, required=False)
    name_fr = forms.CharField(label="Français", max_length=120, required=False)
    name_de = forms.CharField(label="Deutsch", max_length=120, required=False)
    is_default = forms.BooleanField(
        label=_("Default pipeline (new deals and the board use it)"), required=False
    )


class PipelineEditForm(PipelineForm):
    is_active = forms.BooleanField(label=_("Active"), required=False)


class StageForm(forms.Form):
    name = forms.CharField(label="English", max_length=120)
    name_ru = forms.CharField(label="Русский", max_length=120, required=False)
    name_fr = forms.CharField(label="Français", max_length=120, required=False)
    name_de = forms.CharField(label="Deutsch", max_length=120, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.Kind.choices)
    probability = forms.IntegerField(
        label=_("Probability, %"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class StageEditForm(StageForm):
    is_active = forms.BooleanField(label=_("Active"), required=False)
