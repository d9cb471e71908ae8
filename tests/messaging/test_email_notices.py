"""Email notices of new voice and video mail: on unless the person turned them off, after
commit, with an absolute link built from SITE_URL (never the request's Host), no media."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from messaging import selectors, services
from messaging.models import Preferences
from tests.accounts.factories import UserFactory
from tests.messaging import recordings
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


class FakeRecording:
    name = "recordings/x.webm"
    content_type = "audio/webm"
    size = 1000
    duration_ms = 3000
    poster = ""


@pytest.fixture(autouse=True)
def site(settings, tmp_path):
    settings.SITE_URL = "https://uc.example.com"
    settings.MEDIA_ROOT = str(tmp_path / "media")


def send(sender, to, *, kind="voice", subject="Quarter figures", capture=None):
    return services.message_send(
        sender=sender,
        recipients=to,
        kind=kind,
        subject=subject,
        recording=FakeRecording() if kind != "text" else None,
        body="" if kind != "text" else "hello",
    )


def test_a_voice_mail_recipient_gets_a_notice_with_a_link_after_commit(
    alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(alice, [bob])
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [[bob.email]]
    mail = mailoutbox[0]
    assert mail.subject == "New voice mail from Alice Fernandez"
    copy = selectors.delivery_list(user=bob, folder="voice").get()
    assert f"https://uc.example.com/messages/{publicid.of(copy)}/" in mail.body
    assert "Quarter figures" in mail.body and "0:03" in mail.body
    assert mail.attachments == []


def test_a_video_mail_is_announced_too_but_not_to_the_sender(
    alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, [bob], kind="video")  # alice holds it too, in Sent
    assert [m.to for m in mailoutbox] == [[bob.email]]
    assert mailoutbox[0].subject == "New video mail from Alice Fernandez"


def test_text_messages_send_no_email(alice, bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, [bob], kind="text")
    assert mailoutbox == []


def test_someone_who_turned_notices_off_gets_none(
    alice, bob, company, mailoutbox, django_capture_on_commit_callbacks
):
    dora = UserFactory(company=company, email="dora@northwind.example")
    services.email_recordings_set(user=bob, wanted=False)
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, [bob, dora])
    assert [m.to for m in mailoutbox] == [[dora.email]]


def test_the_link_ignores_the_requests_host(
    client_for, alice, bob, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            "/api/v1/messages/recordings/",
            {
                "kind": "voice",
                "to": [publicid.of(bob)],
                "recording": SimpleUploadedFile(
                    "m.webm", recordings.recording(1.0), content_type="audio/webm"
                ),
            },
            HTTP_HOST="evil.example",
        )
    assert response.status_code == 201, response.content
    assert len(mailoutbox) == 1
    assert "https://uc.example.com/messages/" in mailoutbox[0].body
    assert "evil.example" not in mailoutbox[0].body
    assert mailoutbox[0].attachments == []


def test_the_preference_is_on_by_default_and_turned_off_in_the_inbox(client_for, bob):
    client = client_for(bob)
    page = client.get(reverse("messaging:folder", args=["voice"])).content.decode()
    assert "New voice and video mail is also announced by email" in page
    response = client.post(
        reverse("messaging:email-preference"), {"wanted": "0", "folder": "voice"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:folder", args=["voice"])
    assert not selectors.email_recordings_wanted(user=bob)
    page = client.get(reverse("messaging:folder", args=["voice"])).content.decode()
    assert "You will no longer get emails about new voice and video mail." in page
    client.post(reverse("messaging:email-preference"), {"wanted": "1"})
    assert selectors.email_recordings_wanted(user=bob)


def test_the_preference_changes_only_ones_own(client_for, bob, charlie):
    client_for(charlie).post(reverse("messaging:email-preference"), {"wanted": "0", "user": bob.pk})
    assert selectors.email_recordings_wanted(user=bob)
    assert not Preferences.objects.get(user=charlie).email_recordings
    assert client_for(charlie).get(reverse("messaging:email-preference")).status_code == 405
