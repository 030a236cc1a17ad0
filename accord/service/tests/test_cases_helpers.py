"""Shared set-up for the case tests: a service team with its queue, agents and a client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.core.models import Team, User
from accord.core.testing import user_with_role
from accord.parties.models import Company, Contact
from accord.parties.tests.factories import make_company, make_contact
from accord.service import services
from accord.service.models import Case, Queue


@dataclass
class Desk:
    team: Team
    queue: Queue
    agent: User
    colleague: User
    manager: User
    company: Company
    contact: Contact


def make_desk(*, queue_email: str = "") -> Desk:
    team = Team.objects.create(name="Service line A")
    queue = Queue.objects.create(
        name="Line A", team=team, method=Queue.Method.MANUAL, email=queue_email
    )
    agent = user_with_role("service_agent", team=team, first_name="Olga", last_name="Ivanova")
    colleague = user_with_role("service_agent", team=team, first_name="Pavel", last_name="Smirnov")
    manager = user_with_role("service_manager", first_name="Irina", last_name="Head")
    company = make_company(owner=manager, name="Uralproekt")
    contact = make_contact(
        owner=manager,
        company=company,
        first_name="Anna",
        last_name="Petrova",
        emails=["anna@uralproekt.example"],
    )
    return Desk(team, queue, agent, colleague, manager, company, contact)


def make_case(desk: Desk, **kwargs: Any) -> Case:
    values: dict[str, Any] = {
        "actor": desk.agent,
        "subject": "Pump P-12 leaks",
        "company": desk.company,
        "contact": desk.contact,
        "queue": desk.queue,
        "owner": desk.agent,
    }
    values.update(kwargs)
    return services.open_case(**values)
