import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accord.core import services
from accord.core.models import ApiToken, AuditEntry
from accord.core.testing import user_with_role
from accord.parties.models import Company

pytestmark = pytest.mark.django_db


def token_client(user, **kwargs):
    """A test client that authenticates with a fresh personal token of ``user``."""
    _token, secret = services.api_token_create(actor=user, name="test", **kwargs)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_token_is_stored_hashed_and_audited_without_the_secret():
    user = user_with_role("sales_manager")

    token, secret = services.api_token_create(actor=user, name="Script")

    assert secret.startswith("acc_")
    assert token.token_hash == ApiToken.hash_secret(secret)
    assert secret not in token.token_hash
    assert token.prefix == secret[:12]
    entry = AuditEntry.objects.get(object_id=token.pk, object_type="core.apitoken")
    assert entry.action == "create" and entry.actor == user
    assert secret not in str(entry.changes)


def test_token_name_is_required_and_expiry_in_the_future():
    user = user_with_role("sales_manager")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        services.api_token_create(
            actor=user, name=" ", expires_at=timezone.now() - datetime.timedelta(days=1)
        )

    assert set(info.value.message_dict) == {"name", "expires_at"}
    assert ApiToken.objects.count() == 0


def test_bearer_token_authenticates_and_marks_last_use():
    user = user_with_role("sales_manager", username="anna")
    client = token_client(user)

    response = client.get("/api/me")

    assert response.status_code == 200
    assert response.json()["username"] == "anna"
    assert ApiToken.objects.get(user=user).last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer acc_wrong", "Bearer ", "Basic abc"])
def test_wrong_token_is_401(header):
    user_with_role("sales_manager")

    response = Client(HTTP_AUTHORIZATION=header).get("/api/me")

    assert response.status_code == 401


def test_no_credentials_is_401():
    assert Client().get("/api/companies").status_code == 401


def test_revoked_token_is_401():
    user = user_with_role("sales_manager")
    token, secret = services.api_token_create(actor=user, name="Script")
    services.api_token_revoke(actor=user, token=token)

    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/me")

    assert response.status_code == 401
    assert AuditEntry.objects.filter(object_id=token.pk, action="change").count() == 1


def test_expired_token_is_401():
    user = user_with_role("sales_manager")
    token, secret = services.api_token_create(
        actor=user, name="Script", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/me")

    assert response.status_code == 401


def test_token_of_inactive_user_is_401():
    user = user_with_role("sales_manager")
    client = token_client(user)
    user.is_active = False
    user.save()

    assert client.get("/api/me").status_code == 401


def test_someone_elses_token_cannot_be_revoked():
    from django.core.exceptions import PermissionDenied

    owner = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    token, _secret = services.api_token_create(actor=owner, name="Script")

    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=other, token=token)

    token.refresh_from_db()
    assert token.is_active


def test_session_post_without_csrf_is_refused_and_nothing_created():
    user = user_with_role("sales_manager")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/api/companies", {"name": "Alpha"}, content_type="application/json")

    assert response.status_code == 403
    assert Company.objects.count() == 0


def test_session_post_with_csrf_works():
    user = user_with_role("sales_manager")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/profile/tokens/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/companies",
        {"name": "Alpha"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )

    assert response.status_code == 201
    assert Company.objects.get().owner == user


def test_session_get_works_and_inactive_session_user_is_refused():
    user = user_with_role("sales_manager")
    client = Client()
    client.force_login(user)

    assert client.get("/api/me").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/me").status_code == 401


def test_bad_token_does_not_fall_back_to_the_session():
    user = user_with_role("sales_manager")
    client = Client(HTTP_AUTHORIZATION="Bearer acc_wrong")
    client.force_login(user)

    assert client.get("/api/me").status_code == 401


def test_openapi_and_docs_load_offline():
    user = user_with_role("sales_manager")
    client = Client()
    client.force_login(user)

    schema = client.get("/api/openapi.json")
    docs = client.get("/api/docs")

    assert schema.status_code == 200
    assert "/api/companies" in schema.json()["paths"]
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
