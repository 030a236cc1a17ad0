"""A client's HTML mail on the case page, on a phone: pictures pasted into the mail show in
place, a wide newsletter table scrolls inside the message, nothing sticks out sideways."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

import pytest

from accord.core.testing import user_with_role
from accord.service.mailin import receive_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A 2×2 red PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


def _mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Claire Martin <claire@batiplan.example>"
    message["To"] = "support@accord.test"
    message["Subject"] = "Relevé de la chaudière"
    message["Message-ID"] = "<browser-1@batiplan.example>"
    message.set_content("Voir le tableau.")
    cells = "".join(f"<td>Mesure {n}: 12,{n} bar</td>" for n in range(30))
    message.add_alternative(
        f'<p>Voir le tableau.</p><table><tr>{cells}</tr></table><img src="cid:photo@x" alt="photo">'
        '<p><a href="javascript:alert(1)" onclick="alert(2)">lien</a></p>',
        subtype="html",
    )
    html_part = message.get_payload()[1]  # type: ignore[index]
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<photo@x>")
    return message.as_bytes()


def test_html_mail_on_the_case_page_at_390_px(chromium: Any, live_server: Any) -> None:
    case = receive_mail(_mail()).case
    assert case is not None
    user = user_with_role("service_manager", username="mail390")
    user.set_password("pass-Word-123")
    user.save()
    context = chromium.new_context(viewport={"width": 390, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}{case.get_absolute_url()}")
        image = page.locator(".body-html img[alt=photo]")
        image.wait_for()
        page.wait_for_function("document.querySelector('.body-html img[alt=photo]').complete")
        assert image.evaluate("img => img.naturalWidth") == 2  # the pasted picture loaded
        page.locator(".body-html a", has_text="lien").click()
        assert dialogs == []  # neither the javascript: link nor its onclick ran
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # the wide table scrolls inside the message, not the page
    finally:
        context.close()
