import pytest
from django.test import Client

from accord.core import services
from accord.core.models import ApiToken
from accord.core.testing import user_with_role

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_create_token_shows_the_secret_once_and_stores_only_its_hash():
    user = user_with_role("sales_manager")
    client = _client(user)

    posted = client.post("/profile/tokens/", {"name": "1C sync", "expires_on": "2099-01-31"})
    response = client.get(posted["Location"])  # post/redirect/get: a reload can't re-post

    token = ApiToken.objects.get(user=user)
    html = response.content.decode()
    assert posted.status_code == 302 and response.status_code == 200
    assert token.name == "1C sync" and token.expires_at.year == 2099
    secret = html.split('id="new-token-secret" type="text" readonly value="')[1].split('"')[0]
    assert token.token_hash == ApiToken.hash_secret(secret)
    assert secret not in client.get("/profile/tokens/").content.decode()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/me").status_code == 200


def test_token_list_shows_only_own_tokens():
    user = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    services.api_token_create(actor=user, name="Mine")
    services.api_token_create(actor=other, name="Theirs")

    html = _client(user).get("/profile/tokens/").content.decode()

    assert "Mine" in html and "Theirs" not in html


def test_empty_name_is_refused_next_to_the_field():
    user = user_with_role("sales_manager")

    response = _client(user).post("/profile/tokens/", {"name": ""})

    assert response.status_code == 200
    assert ApiToken.objects.count() == 0
    assert 'id="new-token-secret"' not in response.content.decode()


def test_revoke_own_token_by_post_only():
    user = user_with_role("sales_manager")
    token, _secret = services.api_token_create(actor=user, name="Mine")
    client = _client(user)

    assert client.get(f"/profile/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/profile/tokens/{token.pk}/revoke/")

    token.refresh_from_db()
    assert response.status_code == 302 and not token.is_active


def test_cannot_revoke_someone_elses_token():
    user = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    token, _secret = services.api_token_create(actor=other, name="Theirs")

    response = _client(user).post(f"/profile/tokens/{token.pk}/revoke/")

    token.refresh_from_db()
    assert response.status_code == 404 and token.is_active


def test_profile_links_to_tokens():
    user = user_with_role("sales_manager")

    assert 'href="/profile/tokens/"' in _client(user).get("/profile/").content.decode()
