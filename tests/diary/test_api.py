"""The diary API: public ids, tenancy, private appointments, answers, free/busy."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from diary.models import Appointment, Attendee
from tests.diary.factories import appointment
from uc_web.lib import publicid

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_create_a_weekly_appointment_and_read_its_occurrences(alice):
    response = api(alice).post(
        "/api/v1/diary/appointments/",
        {
            "title": "Stand-up",
            "start": "2026-03-02T09:30:00+00:00",
            "end": "2026-03-02T10:00:00+00:00",
            "time_zone": "Europe/London",
            "repeat": {"freq": "weekly", "weekdays": ["MO"], "count": 6},
            "reminders": [15],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert len(body["id"]) == 22 and body["rrule"] == "FREQ=WEEKLY;BYDAY=MO;COUNT=6"
    occ = api(alice).get("/api/v1/diary/occurrences/?start=2026-03-01&end=2026-05-01").json()
    starts = [o["start"] for o in occ["occurrences"]]
    assert starts[0] == "2026-03-02T09:30:00+00:00" and starts[4] == "2026-03-30T08:30:00+00:00"
    assert len(starts) == 6 and all(o["series"] == body["id"] for o in occ["occurrences"])


@pytest.mark.django_db
def test_bad_input_gets_a_clear_message_and_changes_nothing(alice):
    client = api(alice)
    cases = [
        (
            {"title": "X", "start": "2026-03-02T10:00:00Z", "end": "2026-03-02T09:00:00Z"},
            "The end is before the start.",
        ),
        (
            {
                "title": "X",
                "start": "2026-03-02T10:00:00Z",
                "end": "2026-03-02T11:00:00Z",
                "rrule": "FREQ=SECONDLY",
            },
            "Repeat daily, weekly, monthly or yearly.",
        ),
        (
            {
                "title": "X",
                "start": "2026-03-02T10:00:00Z",
                "end": "2026-03-02T11:00:00Z",
                "time_zone": "Mars/Olympus",
            },
            "Unknown time zone: Mars/Olympus",
        ),
        (
            {
                "title": "X",
                "start": "2026-03-02T10:00:00Z",
                "end": "2026-03-02T11:00:00Z",
                "attendees": [{"email": "not-an-email"}],
            },
            "Enter a valid email address.",
        ),
        (
            {
                "title": "X",
                "start": "2026-03-02T10:00:00Z",
                "end": "2026-03-02T11:00:00Z",
                "reminders": [-5],
            },
            "greater than or equal to 0",
        ),
    ]
    for body, message in cases:
        response = client.post("/api/v1/diary/appointments/", body, format="json")
        assert response.status_code == 400, body
        assert message in str(response.data), (message, response.data)
    assert not Appointment.objects.exists()
    assert (
        client.get("/api/v1/diary/occurrences/?start=2026-03-01&end=2020-01-01").status_code == 400
    )


@pytest.mark.django_db
def test_charlie_gets_404_for_alices_appointment_and_cannot_touch_it(alice, charlie):
    row = appointment(alice, "Board meeting")
    pk = publicid.of(row)
    client = api(charlie)
    assert client.get(f"/api/v1/diary/appointments/{pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/diary/appointments/{pk}/", {"title": "x"}, format="json").status_code
        == 404
    )
    assert client.delete(f"/api/v1/diary/appointments/{pk}/").status_code == 404
    assert (
        client.post(f"/api/v1/diary/appointments/{pk}/answer/", {"status": "accepted"}).status_code
        == 404
    )
    occ = client.get("/api/v1/diary/occurrences/?start=2026-03-01&end=2026-04-01").json()
    assert occ["occurrences"] == []
    assert Appointment.objects.get(pk=row.pk).title == "Board meeting"


@pytest.mark.django_db
def test_forged_and_foreign_kind_ids_are_404(alice):
    client = api(alice)
    assert client.get("/api/v1/diary/appointments/AAAAAAAAAAAAAAAAAAAAAA/").status_code == 404
    assert client.get(f"/api/v1/diary/appointments/{publicid.of(alice)}/").status_code == 404
    assert client.get("/api/v1/diary/appointments/1/").status_code == 404


@pytest.mark.django_db
def test_a_colleague_cannot_open_my_appointment_unless_invited(alice, bob):
    row = appointment(alice, "Dentist", private=True)
    assert api(bob).get(f"/api/v1/diary/appointments/{publicid.of(row)}/").status_code == 404


@pytest.mark.django_db
def test_an_invited_colleague_sees_answers_and_cannot_edit(alice, bob):
    response = api(alice).post(
        "/api/v1/diary/appointments/",
        {
            "title": "Planning",
            "start": "2026-03-03T10:00:00Z",
            "end": "2026-03-03T11:00:00Z",
            "attendees": [
                {"user": publicid.of(bob)},
                {"email": "guest@example.org", "name": "Guest"},
            ],
        },
        format="json",
    )
    pk = response.json()["id"]
    client = api(bob)
    seen = client.get("/api/v1/diary/occurrences/?start=2026-03-03&end=2026-03-04").json()[
        "occurrences"
    ]
    assert [(o["title"], o["mine"], o["status"]) for o in seen] == [
        ("Planning", False, "needs_action")
    ]
    assert (
        client.patch(
            f"/api/v1/diary/appointments/{pk}/", {"title": "Mine"}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/diary/appointments/{pk}/answer/", {"status": "maybe"}).status_code
        == 400
    )
    assert client.post(
        f"/api/v1/diary/appointments/{pk}/answer/", {"status": "accepted"}
    ).json() == {"status": "accepted"}
    detail = api(alice).get(f"/api/v1/diary/appointments/{pk}/").json()
    assert {a["email"]: a["status"] for a in detail["attendees"]} == {
        "bob@northwind.example": "accepted",
        "guest@example.org": "needs_action",
    }
    client.post(f"/api/v1/diary/appointments/{pk}/answer/", {"status": "declined"})
    assert (
        client.get("/api/v1/diary/occurrences/?start=2026-03-03&end=2026-03-04").json()[
            "occurrences"
        ]
        == []
    )


@pytest.mark.django_db
def test_the_off_net_guest_gets_an_ics_request_by_email(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api(alice).post(
            "/api/v1/diary/appointments/",
            {
                "title": "Pitch",
                "start": "2026-03-03T10:00:00Z",
                "end": "2026-03-03T11:00:00Z",
                "attendees": [{"email": "guest@example.org"}],
            },
            format="json",
        )
    assert [m.to for m in mailoutbox] == [["guest@example.org"]]
    name, content, mime = mailoutbox[0].attachments[0]
    assert mime.startswith("text/calendar; method=REQUEST")
    text = content.decode() if isinstance(content, bytes) else content
    assert (
        "METHOD:REQUEST" in text and "SUMMARY:Pitch" in text and "mailto:guest@example.org" in text
    )


@pytest.mark.django_db
def test_charlie_cannot_be_invited_by_id(alice, charlie):
    response = api(alice).post(
        "/api/v1/diary/appointments/",
        {
            "title": "X",
            "start": "2026-03-03T10:00:00Z",
            "end": "2026-03-03T11:00:00Z",
            "attendees": [{"user": publicid.of(charlie)}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert not Attendee.objects.exists() and not Appointment.objects.exists()


@pytest.mark.django_db
def test_freebusy_shows_busy_blocks_only_and_the_first_free_slot(alice, bob, charlie):
    for user in (alice, bob):
        user.profile.time_zone = "Europe/London"
        user.profile.save()
    appointment(
        bob,
        "Secret interview",
        start=dt.datetime(2026, 3, 4, 8, 0, tzinfo=LONDON),
        hours=2,
        private=True,
        location="HQ",
    )
    appointment(
        bob,
        "Holiday",
        start=dt.datetime(2026, 3, 4, tzinfo=UTC),
        end=dt.datetime(2026, 3, 5, tzinfo=UTC),
        all_day=True,
        show_as="free",
    )
    appointment(alice, "Mine", start=dt.datetime(2026, 3, 4, 10, 0, tzinfo=LONDON), hours=1)
    response = api(alice).get(
        f"/api/v1/diary/freebusy/?people={publicid.of(bob)}&date=2026-03-04&duration=60"
    )
    assert response.status_code == 200
    body = response.json()
    text = response.content.decode()
    assert "Secret" not in text and "HQ" not in text and "Holiday" not in text
    assert body["people"][publicid.of(bob)] == [
        {"start": "2026-03-04T08:00:00+00:00", "end": "2026-03-04T10:00:00+00:00"}
    ]
    assert body["first_free"] == "2026-03-04T11:00:00+00:00"
    refused = api(alice).get(
        f"/api/v1/diary/freebusy/?people={publicid.of(charlie)}&date=2026-03-04"
    )
    assert refused.status_code == 400
    assert (
        api(alice).get("/api/v1/diary/freebusy/?people=forged&date=2026-03-04").status_code == 400
    )


@pytest.mark.django_db
def test_freebusy_of_many_colleagues_takes_the_same_few_queries(
    alice, company, django_assert_max_num_queries
):
    from diary import services
    from tests.accounts.factories import UserFactory

    people = [UserFactory(company=company) for _ in range(8)]
    for n, person in enumerate(people):
        appointment(person, "Own", start=dt.datetime(2026, 3, 4, 8 + n, tzinfo=UTC))
        appointment(
            person,
            "Daily",
            start=dt.datetime(2026, 1, 5, 7, tzinfo=UTC),
            hours=0.5,
            rrule="FREQ=DAILY",
        )
    # An invitation the first one accepted, another declined: only the accepted one counts.
    meeting = appointment(
        alice,
        "Board",
        start=dt.datetime(2026, 3, 4, 17, tzinfo=UTC),
        attendees=[services.Invitee(email=p.email, user=p) for p in people[:2]],
    )
    services.attendee_respond(appointment=meeting, user=people[0], status="accepted")
    services.attendee_respond(appointment=meeting, user=people[1], status="declined")
    ids = ",".join(publicid.of(p) for p in people)
    client = api(alice)
    # Request: colleagues (1) and the profile's zone; free/busy: answers, appointments,
    # moved occurrences (3) - not a round of queries per person.
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/v1/diary/freebusy/?people={ids}&date=2026-03-04")
    assert response.status_code == 200
    body = response.json()["people"]
    for n, person in enumerate(people):
        starts = [b["start"] for b in body[publicid.of(person)]]
        expected = ["2026-03-04T07:00:00+00:00", f"2026-03-04T{8 + n:02d}:00:00+00:00"]
        if n == 0:
            expected.append("2026-03-04T17:00:00+00:00")
        assert starts == expected, (n, starts)
