"""Forms of the knowledge-base pages. They only parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_prose_editor.widgets import ProseEditorWidget

from accord.core.models import Team, User
from accord.kb.models import Article, KbCategory

# The editor's tools: what an article needs and what the sanitiser keeps.
EDITOR_CONFIG: dict[str, Any] = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Underline": True,
        "Strike": True,
        "Heading": {"levels": [2, 3]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "CodeBlock": True,
        "Code": True,
        "HorizontalRule": True,
        "HardBreak": True,
        "Link": {"enableTarget": False},
        "Table": True,
        "TableRow": True,
        "TableHeader": True,
        "TableCell": True,
        "History": True,
        "HTML": True,
        "Typographic": True,
    }
}


class ErrorsFromServiceMixin:
    """Put a service's ValidationError next to the field it names (or on top of the form)."""

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        form: Any = self
        for name, messages in errors.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)


class ArticleForm(ErrorsFromServiceMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One or two sentences shown in search results."),
    )
    body_html = forms.CharField(
        label=_("Text"),
        required=False,
        widget=ProseEditorWidget(config=EDITOR_CONFIG, preset="configurable"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=KbCategory.objects.none(), required=False
    )
    language = forms.ChoiceField(label=_("Language"), choices=Article.Language.choices)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=Article.Visibility.choices,
        help_text=_("Public articles, once published, can be read by anyone on the public page."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Article.Status.choices)
    keywords = forms.CharField(
        label=_("Keywords"),
        max_length=300,
        required=False,
        help_text=_("Words people search for that the text may not use, separated by commas."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Who looks after this article. Only the head of service changes it."),
    )
    team = forms.ModelChoiceField(
        label=_("Shared with team"), queryset=Team.objects.all(), required=False
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=200,
        required=False,
        help_text=_("Shown in the version list."),
    )

    def __init__(
        self,
        *args: Any,
        article: Article | None = None,
        may_reassign: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if article is None or not may_reassign:
            del self.fields["owner"]
        queryset = KbCategory.objects.filter(is_active=True)
        if article is not None and article.category_id is not None:
            queryset = queryset | KbCategory.objects.filter(pk=article.category_id)
        self.fields["category"].queryset = queryset  # type: ignore[attr-defined]
        if article is None:
            del self.fields["note"]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("note", None)
        if data.get("owner") is None:
            data.pop("owner", None)  # left empty: the owner stays
        return data


class FeedbackForm(forms.Form):
    is_helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class CategoryForm(ErrorsFromServiceMixin, forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=120)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=120, required=False)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120, required=False)
    name_de = forms.CharField(label=_("Name (German)"), max_length=120, required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
