"""Voice and video mail: what is accepted, what is refused (and then nothing is stored),
and who may play it."""

import os

import av
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as account_services
from messaging import selectors
from messaging.models import CompanySettings, Message
from tests.messaging import recordings
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(scope="module")
def voice_3s() -> bytes:
    return recordings.recording(3.0)


@pytest.fixture(scope="module")
def video_3s() -> bytes:
    return recordings.recording(3.0, video=True)


def stored_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


def upload(client, to, data: bytes, *, kind="voice", name="message.webm", ctype="audio/webm"):
    return client.post(
        "/api/v1/messages/recordings/",
        {
            "kind": kind,
            "to": [publicid.of(u) for u in to],
            "subject": "Voice note",
            "recording": SimpleUploadedFile(name, data, content_type=ctype),
        },
    )


def test_a_voice_mail_is_measured_remuxed_and_stored(client_for, alice, bob, voice_3s, media_root):
    response = upload(client_for(alice), [bob], voice_3s)
    assert response.status_code == 201, response.content
    assert 2900 <= response.json()["duration_ms"] <= 3100
    message = Message.objects.get()
    assert message.kind == "voice" and message.media_content_type == "audio/webm"
    path = media_root / message.media
    with av.open(str(path)) as container:  # the stored file states its own length now
        assert container.duration is not None
        assert 2.9 <= container.duration / av.time_base <= 3.1
    copy = selectors.delivery_list(user=bob, folder="voice").get()
    assert copy.is_unread


def test_a_video_mail_gets_a_poster(client_for, alice, bob, video_3s, media_root):
    response = upload(client_for(alice), [bob], video_3s, kind="video", ctype="video/webm")
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert message.poster.endswith(".webp") and (media_root / message.poster).exists()
    copy = selectors.delivery_list(user=bob, folder="video").get()
    poster = client_for(bob).get(f"/messages/{publicid.of(copy)}/media/poster")
    assert poster.status_code == 200 and poster["Content-Type"] == "image/webp"


BAD = {
    "text named .webm": (
        lambda: b"Dear Bob, this is not a recording at all. " * 50,
        "not a recording",
    ),
    "truncated WebM": (lambda: recordings.recording(3.0)[:20000], "damaged or incomplete"),
    "JPEG": (recordings.jpeg, "not a recording"),
    "WAV": (recordings.wav, "not a recording"),
    "video sent as voice": (lambda: recordings.recording(1.0, video=True), "sound and no picture"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_uploads_are_refused_with_a_reason_and_nothing_is_stored(
    client_for, alice, bob, media_root, case
):
    make, reason = BAD[case]
    response = upload(client_for(alice), [bob], make())
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not Message.objects.exists()
    assert stored_files(media_root) == []


def test_a_recording_over_the_companys_limit_is_refused(client_for, alice, bob, media_root):
    CompanySettings.objects.create(company=alice.company, max_recording_seconds=10)
    response = upload(client_for(alice), [bob], recordings.recording(12.0))
    assert response.status_code == 400
    assert response.json()["detail"] == "The recording is too long: the limit is 0 min 10 s."
    assert not Message.objects.exists() and stored_files(media_root) == []


def test_an_oversized_upload_is_cut_off_while_it_streams(
    client_for, alice, bob, media_root, settings, voice_3s
):
    settings.MESSAGE_UPLOAD_MAX_BYTES = 10_000
    response = upload(client_for(alice), [bob], voice_3s)
    assert response.status_code == 413
    assert response.json()["detail"] == "The recording is too large: the limit is 0 MB."
    assert not Message.objects.exists() and stored_files(media_root) == []


def test_an_upload_over_the_companys_quota_is_refused(client_for, alice, bob, media_root, voice_3s):
    CompanySettings.objects.create(company=alice.company, quota_bytes=len(voice_3s) * 3 // 2)
    assert upload(client_for(alice), [bob], voice_3s).status_code == 201
    response = upload(client_for(alice), [bob], voice_3s)
    assert response.status_code == 400
    assert "storage for recorded messages is full" in response.json()["detail"]
    assert Message.objects.count() == 1


def test_a_blocked_person_cannot_send_a_recording(client_for, alice, bob, voice_3s, media_root):
    account_services.block_create(blocker=bob, blocked=alice)
    response = upload(client_for(alice), [bob], voice_3s)
    assert response.status_code == 400
    assert response.json()["to"] == ["You cannot send a message to one of the people you chose."]
    assert stored_files(media_root) == []


def test_the_recording_is_served_in_ranges_for_seeking(client_for, alice, bob, voice_3s):
    upload(client_for(alice), [bob], voice_3s)
    copy = selectors.delivery_list(user=bob).get()
    url = f"/messages/{publicid.of(copy)}/media/recording"
    client = client_for(bob)
    whole = client.get(url)
    body = b"".join(whole.streaming_content)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "audio/webm"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert part.content == body[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-50")
    assert tail.status_code == 206 and tail.content == body[-50:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(body)}-").status_code == 416


def test_strangers_and_the_sender_cannot_fetch_bobs_copy(client_for, alice, bob, charlie, voice_3s):
    upload(client_for(alice), [bob], voice_3s)
    copy = selectors.delivery_list(user=bob).get()
    url = f"/messages/{publicid.of(copy)}/media/recording"
    assert client_for(charlie).get(url).status_code == 404
    assert client_for(alice).get(url).status_code == 404  # alice plays her own Sent copy
    sent = selectors.delivery_list(user=alice, folder="sent").get()
    assert (
        client_for(alice).get(f"/messages/{publicid.of(sent)}/media/recording").status_code == 200
    )
    assert client_for(charlie).get(f"/messages/{'Q' * 22}/media/recording").status_code == 404


def test_emptying_both_trashes_deletes_the_file(
    client_for, alice, bob, voice_3s, media_root, django_capture_on_commit_callbacks
):
    upload(client_for(alice), [bob], voice_3s)
    for user, folder in ((bob, "voice"), (alice, "sent")):
        client = client_for(user)
        pid = publicid.of(selectors.delivery_list(user=user, folder=folder).get())
        client.post(f"/api/v1/messages/{pid}/trash/")
        assert stored_files(media_root) != []
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/api/v1/messages/trash/empty/")
    assert stored_files(media_root) == []
