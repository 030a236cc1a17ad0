"""Test helpers shared by every app: factories for users with roles, and query counting."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import factory
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.models import Role, Team, User
from accord.core.permissions import clear_cache


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


# The time zone of the users the factories make; conftest runs every test in it too.
TEST_TIME_ZONE = "Europe/Moscow"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    language = "en"
    time_zone = TEST_TIME_ZONE
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-123")

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            codes = [extracted] if isinstance(extracted, str) else extracted
            self.roles.set(Role.objects.filter(code__in=codes))
            clear_cache(self)
        if create:
            self.save()

    @factory.post_generation
    def teams(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.teams.set(extracted)
            clear_cache(self)


def user_with_role(role: str, *, team: Team | None = None, **kwargs: Any) -> User:
    user = UserFactory(roles=role, teams=[team] if team else None, **kwargs)
    return User.objects.get(pk=user.pk)


@contextlib.contextmanager
def assert_num_queries(expected: int) -> Iterator[CaptureQueriesContext]:
    """Exact query budget; on failure prints the queries so the regression is obvious."""
    with CaptureQueriesContext(connection) as context:
        yield context
    executed = len(context.captured_queries)
    if executed != expected:
        listing = "\n".join(f"{i + 1}. {q['sql']}" for i, q in enumerate(context.captured_queries))
        raise AssertionError(f"{executed} queries executed, {expected} expected:\n{listing}")
