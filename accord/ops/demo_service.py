"""The service desk's part of ``accord demo`` (issue 5): each app seeds its own demo data
through its services; this module only runs them in the order they depend on each other.

Order: service levels (calendars, policies) → installed units and contracts (so cases
opened with a serial number come under one) → queues and routed cases → the cases demo →
incoming mail → knowledge base → work orders → survey answers → SLA clocks and one check.
Mail the demo sends (replies, surveys) goes to an in-memory outbox, not to the console."""

from __future__ import annotations

from collections.abc import Callable

from django.test.utils import override_settings

from accord.service import demo as cases_demo


def is_loaded() -> bool:
    return cases_demo.is_loaded()


def load(*, say: Callable[[str], None]) -> dict[str, int]:
    from accord.contracts import demo as contracts_demo
    from accord.feedback import demo as feedback_demo
    from accord.fieldservice import demo as field_demo
    from accord.kb import demo as kb_demo
    from accord.service import demo_mailin, demo_queues
    from accord.sla import demo as sla_demo

    counts: dict[str, int] = {}

    def add(part: dict[str, int]) -> None:
        for key, value in part.items():
            if isinstance(value, int):
                counts[key] = counts.get(key, 0) + value

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        say("Service desk: service levels, contracts, queues, cases, mail, articles, visits")
        add(sla_demo.seed_demo(say=say))
        add(contracts_demo.seed_demo(say=say))
        add(demo_queues.seed_demo(say=say))
        add(cases_demo.seed_demo(say=say))
        add(demo_mailin.seed_demo(say=say))
        add(kb_demo.seed_demo(say=say))
        add({"work_orders": field_demo.seed_demo()})
        add(feedback_demo.seed_demo(say=say))
        # Clocks for cases the demos opened before their policies existed, and one check.
        add(sla_demo.seed_demo(say=say))
    return counts
