"""The profile page's Voicemail section: the on/off setting and the greeting (recorded in
the browser, checked by messaging's pipeline, served only to its owner)."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from calls.models import VoicemailBox
from tests.messaging import recordings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored(root) -> list[str]:
    return sorted(f for _, _, files in os.walk(root) for f in files)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client, data: bytes, kind="voice", name="greeting.webm"):
    return client.post(
        reverse("calls:greeting-upload"),
        {"kind": kind, "greeting": SimpleUploadedFile(name, data, content_type="audio/webm")},
    )


def test_bob_records_a_voice_greeting_and_plays_it_back_on_his_profile(bob, media_root):
    client = client_for(bob)
    response = upload(client, recordings.recording(2.0))
    assert response.status_code == 200 and response.json()["ok"]
    box = VoicemailBox.objects.get(user=bob)
    assert box.greeting and not box.greeting_video and 1900 <= box.greeting_duration_ms <= 2100
    page = client.get(reverse("accounts:profile"))
    assert reverse("calls:greeting", args=["recording"]).encode() in page.content
    played = client.get(reverse("calls:greeting", args=["recording"]), HTTP_RANGE="bytes=0-99")
    assert played.status_code == 206
    assert played["Content-Type"] == "audio/webm"


def test_a_video_greeting_gets_a_poster(bob):
    client = client_for(bob)
    assert upload(client, recordings.recording(2.0, video=True), kind="video").status_code == 200
    box = VoicemailBox.objects.get(user=bob)
    assert box.greeting_video and box.greeting_poster
    assert client.get(reverse("calls:greeting", args=["poster"])).status_code == 200


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"just some text, not a recording", "not a recording we can play"),
        (recordings.jpeg(), "not a recording we can play"),
        (recordings.recording(65.0), "too long"),
    ],
)
def test_a_bad_greeting_is_refused_with_a_reason_and_nothing_is_stored(bob, media_root, data, says):
    response = upload(client_for(bob), data)
    assert response.status_code == 400 and says in response.json()["detail"]
    assert stored(media_root) == []
    assert not VoicemailBox.objects.filter(user=bob).exclude(greeting="").exists()


def test_a_voice_greeting_with_a_picture_is_refused(bob, media_root):
    response = upload(client_for(bob), recordings.recording(2.0, video=True), kind="voice")
    assert response.status_code == 400 and response.json()["code"] == "wrong_kind"
    assert stored(media_root) == []


def test_a_new_greeting_replaces_the_old_and_delete_removes_its_files(
    bob, media_root, django_capture_on_commit_callbacks
):
    client = client_for(bob)
    upload(client, recordings.recording(2.0))
    first = VoicemailBox.objects.get(user=bob).greeting
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, recordings.recording(3.0))
    assert stored(media_root) == [os.path.basename(VoicemailBox.objects.get(user=bob).greeting)]
    assert os.path.basename(first) not in stored(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("calls:greeting-delete"))
    assert response.status_code == 302
    assert stored(media_root) == [] and VoicemailBox.objects.get(user=bob).greeting == ""
    assert client.get(reverse("calls:greeting", args=["recording"])).status_code == 404


def test_charlie_never_gets_bobs_greeting(bob, charlie):
    upload(client_for(bob), recordings.recording(2.0))
    theirs = client_for(charlie).get(reverse("calls:greeting", args=["recording"]))
    assert theirs.status_code == 404  # the URL is always the signed-in person's own
    anonymous = Client().get(reverse("calls:greeting", args=["recording"]))
    assert anonymous.status_code == 302


def test_bob_turns_voicemail_off_and_on(bob):
    client = client_for(bob)
    client.post(reverse("calls:voicemail-settings"), {})
    assert VoicemailBox.objects.get(user=bob).enabled is False
    page = client.get(reverse("accounts:profile"))
    assert b'id="voicemail-enabled" checked' not in page.content
    client.post(reverse("calls:voicemail-settings"), {"enabled": "on"})
    assert VoicemailBox.objects.get(user=bob).enabled is True


def test_a_forged_greeting_post_without_csrf_changes_nothing(bob, media_root):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    response = upload(client, recordings.recording(2.0))
    assert response.status_code == 403 and stored(media_root) == []
