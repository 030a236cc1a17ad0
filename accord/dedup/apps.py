from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupConfig(AppConfig):
    name = "accord.dedup"
    label = "dedup"
    verbose_name = _("Duplicates and merge")

    def ready(self) -> None:
        from accord.core.cards import CardAction, register_card_action
        from accord.core.permissions import Action
        from accord.dedup import scan  # noqa: F401 - registers the "duplicate_scan" job runner

        # "Merge with…" on the client card: shown to users who may delete some companies
        # (merging deletes the duplicates); the merge page checks each record itself.
        register_card_action(
            CardAction(
                key="merge",
                label=_("Merge with…"),
                url_name="dedup:merge",
                object_type="company",
                action=Action.DELETE,
                position=900,
            )
        )
