"""Forms of the queue and routing administration, the rule preview and the board filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.catalog.models import Product
from accord.core.models import Picklist, PicklistOption, Team, User
from accord.service.models import Case, Category, Queue, RoutingRule
from accord.service.routing import CaseFacts, record_version
from accord.sla.models import Priority


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's field-named errors next to the matching fields, the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        for message in errors:
            form.add_error(target, message)


def _options(picklist: str) -> Any:
    return PicklistOption.objects.filter(picklist=picklist, is_active=True)


def _set_queryset(form: forms.BaseForm, name: str, queryset: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class QueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=120, required=False)
    name_fr = forms.CharField(label=_("Name in French"), max_length=120, required=False)
    name_de = forms.CharField(label=_("Name in German"), max_length=120, required=False)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        help_text=_("Its members work the queue's cases and see them (the team record rule)."),
    )
    method = forms.ChoiceField(
        label=_("Hand cases out"), choices=Queue.Method.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Mail sent to this address opens cases in this queue."),
    )
    supervisor = forms.ModelChoiceField(
        label=_("Supervisor"), queryset=User.objects.none(), required=False
    )
    position = forms.IntegerField(
        label=_("Sort order"),
        min_value=0,
        max_value=32767,
        required=False,
        help_text=_("Queues are listed and shown on the board in this order."),
    )
    is_default = forms.BooleanField(
        label=_("Default queue"),
        required=False,
        help_text=_("Gets cases no routing rule matches."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        _set_queryset(self, "team", Team.objects.all())
        _set_queryset(self, "supervisor", User.objects.filter(is_active=True))

    @staticmethod
    def initial_from(queue: Queue) -> dict[str, Any]:
        return {
            "name": queue.name,
            "name_ru": queue.name_ru,
            "name_fr": queue.name_fr,
            "name_de": queue.name_de,
            "team": queue.team_id,
            "method": queue.method,
            "email": queue.email,
            "supervisor": queue.supervisor_id,
            "position": queue.position,
            "is_default": queue.is_default,
            "is_active": queue.is_active,
            "version": record_version(queue),
        }

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


CHANNEL_CHOICES = [("", _("Any channel")), *Case.Channel.choices]


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    category = forms.ModelChoiceField(
        label=_("When the category is"),
        required=False,
        queryset=Category.objects.none(),
        empty_label=_("Any category"),
    )
    product = forms.ModelChoiceField(
        label=_("When the product is"),
        required=False,
        queryset=Product.objects.none(),
        empty_label=_("Any product"),
    )
    region = forms.ModelChoiceField(
        label=_("When the client's region is"),
        required=False,
        queryset=PicklistOption.objects.none(),
        empty_label=_("Any region"),
    )
    tier = forms.ModelChoiceField(
        label=_("When the client's tier is"),
        required=False,
        queryset=PicklistOption.objects.none(),
        empty_label=_("Any tier"),
    )
    channel = forms.ChoiceField(
        label=_("When the case came by"), required=False, choices=CHANNEL_CHOICES
    )
    queue = forms.ModelChoiceField(
        label=_("Send to queue"),
        queryset=Queue.objects.none(),
        help_text=_("The first active rule, from the top, whose conditions all match decides."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        _set_queryset(self, "category", Category.objects.filter(is_active=True))
        _set_queryset(self, "product", Product.objects.filter(is_active=True).order_by("name"))
        _set_queryset(self, "region", _options(Picklist.REGION))
        _set_queryset(self, "tier", _options(Picklist.CLIENT_TIER))
        _set_queryset(self, "queue", Queue.objects.select_related("team"))

    @staticmethod
    def initial_from(rule: RoutingRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "is_active": rule.is_active,
            "category": rule.category_id,
            "product": rule.product_id,
            "region": rule.region_id,
            "tier": rule.tier_id,
            "channel": rule.channel,
            "queue": rule.queue_id,
            "version": record_version(rule),
        }

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class RoutingPreviewForm(forms.Form):
    """The facts of an imagined case: which rule would route it, to which queue and agent."""

    category = forms.ModelChoiceField(
        label=pgettext_lazy("case category", "Category"),
        required=False,
        queryset=Category.objects.none(),
        empty_label="—",
    )
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.none(), empty_label="—"
    )
    region = forms.ModelChoiceField(
        label=_("Client's region"),
        required=False,
        queryset=PicklistOption.objects.none(),
        empty_label="—",
    )
    tier = forms.ModelChoiceField(
        label=_("Client's tier"),
        required=False,
        queryset=PicklistOption.objects.none(),
        empty_label="—",
    )
    channel = forms.ChoiceField(
        label=_("Received via"), required=False, choices=[("", "—"), *Case.Channel.choices]
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        _set_queryset(self, "category", Category.objects.filter(is_active=True))
        _set_queryset(self, "product", Product.objects.filter(is_active=True).order_by("name"))
        _set_queryset(self, "region", _options(Picklist.REGION))
        _set_queryset(self, "tier", _options(Picklist.CLIENT_TIER))

    def facts(self) -> CaseFacts:
        data = self.cleaned_data

        def pk(name: str) -> int | None:
            return data[name].pk if data.get(name) is not None else None

        return CaseFacts(
            category_id=pk("category"),
            product_id=pk("product"),
            region_id=pk("region"),
            tier_id=pk("tier"),
            channel=data.get("channel") or "",
        )


class BoardFilterForm(forms.Form):
    """Board filters; bad values are ignored field by field (a stale bookmark still opens)."""

    queue = forms.TypedChoiceField(label=_("Queue"), required=False, coerce=int, empty_value=None)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any priority")), *Priority.choices]
    )
    category = forms.TypedChoiceField(
        label=pgettext_lazy("case category", "Category"),
        required=False,
        coerce=int,
        empty_value=None,
    )

    def __init__(self, data: Any, *, queues: list[Queue], categories: list[Category]) -> None:
        super().__init__(data)
        queue_field = self.fields["queue"]
        assert isinstance(queue_field, forms.ChoiceField)
        queue_field.choices = [("", _("All queues")), *[(q.pk, str(q)) for q in queues]]
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ChoiceField)
        category_field.choices = [
            ("", _("Any category")),
            *[(c.pk, str(c)) for c in categories],
        ]

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid one counts as unset."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned.get(name) or None
            for name in ("queue", "priority", "category")
            if name not in self.errors
        }
