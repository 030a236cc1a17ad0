"""Knowledge-base test data, written through the services (so stems and versions exist)."""

from __future__ import annotations

from typing import Any

from accord.core.models import Team, User
from accord.core.testing import user_with_role
from accord.kb import services
from accord.kb.models import Article, KbCategory
from accord.service.models import Case


def author() -> User:
    return user_with_role("service_manager")


def make_category(name: str = "Boilers", **fields: Any) -> KbCategory:
    return KbCategory.objects.create(name=name, **fields)


def make_article(
    actor: User | None = None,
    *,
    title: str = "Boiler does not start",
    body_html: str = "<p>Check the gas valve and the ignition electrode.</p>",
    language: str = "en",
    status: str = Article.Status.PUBLISHED,
    visibility: str = Article.Visibility.INTERNAL,
    **fields: Any,
) -> Article:
    return services.article_create(
        actor=actor or author(),
        title=title,
        body_html=body_html,
        language=language,
        status=status,
        visibility=visibility,
        **fields,
    )


def make_case(
    *, subject: str, description: str = "", team: Team | None = None, owner: User | None = None
) -> Case:
    """A bare case row: the knowledge base only reads its subject, description and scope."""
    return Case.objects.create(subject=subject, description=description, team=team, owner=owner)
