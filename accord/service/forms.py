"""Forms of the case pages. They only parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.catalog.models import Product
from accord.core.models import User
from accord.service.models import Case, CaseMessage, Category, Queue
from accord.sla.models import Priority


class ErrorsFromServiceMixin:
    """Put a service's ValidationError next to the field it names (or on top of the form)."""

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        form: Any = self
        for name, messages in errors.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the service checks each file's size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def uploaded(files: Any) -> list[tuple[str, bytes, str]]:
    """Uploaded files as the services take them: (name, content, content type)."""
    return [(f.name, f.read(), getattr(f, "content_type", "") or "") for f in files or []]


def _category_choices() -> Any:
    return Category.objects.filter(is_active=True).order_by("position", "id")


class CaseForm(ErrorsFromServiceMixin, forms.Form):
    """New case and edit. Client-dependent fields (contact, order, project) are choices the
    view fills from the chosen client; the service checks they belong to it."""

    subject = forms.CharField(label=_("Subject"), max_length=255)
    company = forms.IntegerField(label=_("Client"), required=False, widget=forms.HiddenInput)
    contact = forms.TypedChoiceField(
        label=_("Contact"), required=False, coerce=int, empty_value=None
    )
    channel = forms.ChoiceField(
        label=_("Received via"), choices=Case.Channel.choices, initial=Case.Channel.PHONE
    )
    category = forms.ModelChoiceField(
        label=pgettext_lazy("case category", "Category"),
        queryset=Category.objects.none(),
        required=False,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the client reports, in their words."),
    )
    serial_number = forms.CharField(
        label=_("Serial number"),
        required=False,
        max_length=80,
        help_text=_("Of the installed unit: shows its warranty and service contract."),
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    order = forms.TypedChoiceField(label=_("Order"), required=False, coerce=int, empty_value=None)
    project = forms.TypedChoiceField(
        label=_("Project"), required=False, coerce=int, empty_value=None
    )
    requester_name = forms.CharField(
        label=_("Requester's name"),
        required=False,
        max_length=255,
        help_text=_("When the caller is not a known contact."),
    )
    requester_email = forms.EmailField(label=_("Requester's e-mail"), required=False)
    queue = forms.ModelChoiceField(
        label=_("Queue"),
        queryset=Queue.objects.none(),
        required=False,
        empty_label=_("By the routing rules"),
    )
    assign_to_me = forms.BooleanField(label=_("I take this case myself"), required=False)
    attachments = MultipleFileField(label=_("Files"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        choices: dict[str, list[tuple[int, str]]] | None = None,
        is_edit: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = choices or {}
        contacts = choices.get("contacts", [])
        orders = choices.get("orders", [])
        projects = choices.get("projects", [])
        self.fields["category"].queryset = _category_choices()  # type: ignore[attr-defined]
        self.fields["queue"].queryset = Queue.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "name", "id"
        )
        self.fields["contact"].choices = [("", "—"), *contacts]  # type: ignore[attr-defined]
        self.fields["order"].choices = [("", "—"), *orders]  # type: ignore[attr-defined]
        self.fields["project"].choices = [("", "—"), *projects]  # type: ignore[attr-defined]
        if is_edit:
            for name in ("queue", "assign_to_me", "attachments"):
                del self.fields[name]

    @staticmethod
    def initial_for(case: Case) -> dict[str, Any]:
        return {
            "subject": case.subject,
            "company": case.company_id,
            "contact": case.contact_id,
            "channel": case.channel,
            "category": case.category_id,
            "priority": case.priority,
            "description": case.description,
            "serial_number": case.serial_number,
            "product": case.product_id,
            "order": case.order_id,
            "project": case.project_id,
            "requester_name": case.requester_name,
            "requester_email": case.requester_email,
            "version": case.version,
        }

    def case_fields(self) -> dict[str, Any]:
        """The facts as the services take them (ids for related records)."""
        data = self.cleaned_data
        return {
            "subject": data["subject"],
            "company": data.get("company"),
            "contact": data.get("contact"),
            "channel": data["channel"],
            "category": data.get("category"),
            "priority": data["priority"],
            "description": data.get("description", ""),
            "serial_number": data.get("serial_number", ""),
            "product": data.get("product"),
            "order": data.get("order"),
            "project": data.get("project"),
            "requester_name": data.get("requester_name", ""),
            "requester_email": data.get("requester_email", ""),
        }


class MessageForm(ErrorsFromServiceMixin, forms.Form):
    """A reply to the client or an internal note, with files."""

    kind = forms.ChoiceField(
        choices=[
            (CaseMessage.Kind.REPLY, _("Reply to the client")),
            (CaseMessage.Kind.NOTE, _("Internal note")),
            (CaseMessage.Kind.INBOUND, _("From the client (logged by hand)")),
        ],
        widget=forms.HiddenInput,
    )
    body_text = forms.CharField(
        label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    cc_addresses = forms.CharField(label=_("Copy to"), required=False, max_length=1000)
    attachments = MultipleFileField(label=_("Files"))
    then_status = forms.ChoiceField(
        label=_("Then"),
        required=False,
        choices=[
            ("", _("Keep the status")),
            (Case.Status.WAITING, _("Wait for the client")),
            (Case.Status.RESOLVED, _("Mark resolved (this reply is the resolution)")),
        ],
    )


class StatusForm(ErrorsFromServiceMixin, forms.Form):
    status = forms.ChoiceField(choices=Case.Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Resolution or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class HandoverForm(ErrorsFromServiceMixin, forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Agent"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.none(), required=False, empty_label="—"
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when someone already works the case or the queue changes."),
    )

    def __init__(self, *args: Any, agents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = (  # type: ignore[attr-defined]
            agents if agents is not None else User.objects.none()
        )


class MergeForm(ErrorsFromServiceMixin, forms.Form):
    duplicates = forms.CharField(
        label=_("Duplicates"),
        max_length=500,
        required=False,
        help_text=_("References of the cases to fold into this one, e.g. CS-12, CS-15."),
    )
    confirm_other_client = forms.BooleanField(
        label=_("Yes, merge even cases of another client"), required=False
    )


class CategoryForm(ErrorsFromServiceMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=120, required=False)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120, required=False)
    name_de = forms.CharField(label=_("Name (German)"), max_length=120, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
