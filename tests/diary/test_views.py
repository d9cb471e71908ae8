import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from diary.models import Appointment
from tests.diary.factories import appointment
from uc_web.lib import publicid

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def london(alice, bob):
    for user in (alice, bob):
        user.profile.time_zone = "Europe/London"
        user.profile.save()
    return alice


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["day", "week", "month", "agenda"])
def test_each_view_shows_the_appointment(client, london, view):
    appointment(london, "Budget review", start=dt.datetime(2026, 3, 4, 10, 0, tzinfo=LONDON))
    client.force_login(london)
    html = client.get(f"/diary/?view={view}&date=2026-03-04").content.decode()
    assert "Budget review" in html


@pytest.mark.django_db
def test_week_view_positions_by_time_and_puts_overlaps_side_by_side(client, london):
    day = dt.date(2026, 3, 4)
    appointment(london, "A", start=dt.datetime(2026, 3, 4, 6, 0, tzinfo=LONDON), hours=2)
    appointment(london, "B", start=dt.datetime(2026, 3, 4, 7, 0, tzinfo=LONDON), hours=2)
    appointment(london, "C", start=dt.datetime(2026, 3, 4, 12, 0, tzinfo=LONDON), hours=1)
    client.force_login(london)
    html = client.get(f"/diary/?view=week&date={day}").content.decode()
    boxes = re.findall(
        r'data-lane="(\d)" data-lanes="(\d)" style="top: ([\d.]+)%; height: ([\d.]+)%; '
        r'left: ([\d.]+)%; width: ([\d.]+)%" aria-label="([^",]+)',
        html,
    )
    got = {b[6]: b[:6] for b in boxes}
    assert got["A"] == ("0", "2", "25.0", "8.333", "0.0", "50.0")
    assert got["B"] == ("1", "2", "29.167", "8.333", "50.0", "50.0")
    assert got["C"] == ("0", "1", "50.0", "4.167", "0.0", "100.0")


@pytest.mark.django_db
def test_clicking_a_slot_opens_the_form_with_that_time(client, london):
    client.force_login(london)
    html = client.get("/diary/?view=week&date=2026-03-04").content.decode()
    assert 'href="/diary/new/?view=week&amp;start=2026-03-04T14:00"' in html
    form = client.get("/diary/new/?view=week&start=2026-03-04T14:00").content.decode()
    assert 'value="2026-03-04"' in form and 'value="14:00"' in form and 'value="15:00"' in form


@pytest.mark.django_db
def test_the_form_creates_a_weekly_appointment_in_my_zone(client, london):
    client.force_login(london)
    response = client.post(
        "/diary/new/",
        {
            "title": "Stand-up",
            "date": "2026-03-23",
            "start_time": "09:30",
            "end_time": "10:00",
            "repeat": "weekly",
            "interval": "1",
            "weekdays": ["MO"],
            "ends": "count",
            "count": "4",
            "show_as": "busy",
            "reminders": ["15"],
        },
    )
    assert response.status_code == 302
    row = Appointment.objects.get(owner=london)
    assert row.rrule == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    assert row.time_zone == "Europe/London"
    html = client.get("/diary/?view=week&date=2026-03-30").content.decode()
    assert "Stand-up" in html
    assert "08:30" not in re.findall(
        r'<span class="diary-time">([^<]+)</span> <span class="diary-title">Stand-up', html
    )
    assert re.findall(
        r'<span class="diary-time">([^<]+)</span> <span class="diary-title">Stand-up', html
    ) == ["09:30"]


@pytest.mark.django_db
def test_a_bad_form_says_why_and_saves_nothing(client, london):
    client.force_login(london)
    response = client.post(
        "/diary/new/",
        {"title": "", "date": "2026-03-23", "start_time": "09:30", "show_as": "busy"},
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    response = client.post(
        "/diary/new/",
        {
            "title": "X",
            "date": "2026-03-23",
            "start_time": "09:30",
            "end_time": "08:00",
            "end_date": "2026-03-22",
            "show_as": "busy",
        },
    )
    assert "The end is before the start." in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_charlie_cannot_open_edit_delete_or_download_alices_appointment(client, alice, charlie):
    row = appointment(alice, "Secret merger")
    client.force_login(charlie)
    pk = publicid.of(row)
    assert client.get(f"/diary/{pk}/edit/").status_code == 404
    assert client.post(f"/diary/{pk}/delete/").status_code == 404
    assert client.get(f"/diary/{pk}.ics").status_code == 404
    assert client.post(f"/diary/{pk}/answer/", {"status": "accepted"}).status_code == 404
    assert "Secret merger" not in client.get("/diary/?view=month&date=2026-03-02").content.decode()
    assert "Secret merger" not in client.get("/diary/export.ics").content.decode()
    assert Appointment.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_a_forged_id_is_404(client, alice):
    client.force_login(alice)
    assert client.get("/diary/AAAAAAAAAAAAAAAAAAAAAA/edit/").status_code == 404
    assert client.get("/diary/12/edit/").status_code == 404


@pytest.mark.django_db
def test_month_view_queries_do_not_grow_with_appointments(
    client, london, django_assert_num_queries
):
    client.force_login(london)
    for i in range(30):
        appointment(london, f"A{i}", start=dt.datetime(2026, 3, 1 + i % 28, 9, tzinfo=LONDON))
    appointment(
        london, "Daily", start=dt.datetime(2026, 1, 1, 8, tzinfo=LONDON), rrule="FREQ=DAILY"
    )
    client.get("/diary/?view=month&date=2026-03-02")
    # The signed-in request's own (session, user, profile, company), then the diary's
    # two: appointments overlapping the month, and the moved occurrences of its series.
    with django_assert_num_queries(6):
        html = client.get("/diary/?view=month&date=2026-03-02").content.decode()
    assert html.count("Daily") >= 28
    for i in range(30):
        appointment(london, f"B{i}", start=dt.datetime(2026, 3, 1 + i % 28, 14, tzinfo=LONDON))
    weekly = appointment(
        london, "Weekly", start=dt.datetime(2026, 2, 2, 8, tzinfo=LONDON), rrule="FREQ=WEEKLY"
    )
    from diary import services

    services.appointment_update(
        appointment=weekly,
        by=london,
        scope="this",
        occurrence=dt.datetime(2026, 3, 9, 8, tzinfo=dt.UTC),
        changes={"title": "Weekly, moved"},
    )
    with django_assert_num_queries(6):
        html = client.get("/diary/?view=month&date=2026-03-02").content.decode()
    assert "Weekly, moved" in html and "more</a>" in html


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["day", "week", "agenda"])
def test_other_views_take_the_same_queries_whatever_is_in_them(
    client, london, bob, view, django_assert_num_queries
):
    from diary import services

    client.force_login(london)
    for i in range(12):
        appointment(london, f"A{i}", start=dt.datetime(2026, 3, 2 + i % 5, 9 + i, tzinfo=LONDON))
    weekly = appointment(
        london, "Weekly", start=dt.datetime(2026, 1, 5, 8, tzinfo=LONDON), rrule="FREQ=WEEKLY"
    )
    services.appointment_update(
        appointment=weekly,
        by=london,
        scope="this",
        occurrence=dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC),
        changes={"title": "Weekly, moved", "location": "Room 9"},
    )
    invited = appointment(
        bob,
        "Bob's review",
        start=dt.datetime(2026, 3, 2, 15, tzinfo=LONDON),
        attendees=[services.Invitee(email=london.email, user=london)],
    )
    services.attendee_respond(appointment=invited, user=london, status="accepted")
    url = f"/diary/?view={view}&date=2026-03-02"
    client.get(url)
    with django_assert_num_queries(6):
        html = client.get(url).content.decode()
    assert "Weekly, moved" in html and "Bob&#x27;s review" in html and "A0" in html


@pytest.mark.django_db
def test_the_form_opens_in_the_calendars_dialog_and_still_works_as_a_page(client, london):
    client.force_login(london)
    html = client.get("/diary/?view=week&date=2026-03-04").content.decode()
    # The links into the form target the dialog's frame (with scripts); they are plain
    # links to the form page all the same (without).
    assert '<turbo-frame id="appointment-form" data-diary-form-frame>' in html
    slot = 'href="/diary/new/?view=week&amp;start=2026-03-04T14:00"'
    assert f'data-turbo-frame="appointment-form" {slot}' in html
    page = client.get("/diary/new/?view=week&start=2026-03-04T14:00").content.decode()
    assert '<turbo-frame id="appointment-form">' in page
    assert 'action="/diary/new/?view=week&amp;start=2026-03-04T14:00"' in page
    data = {
        "title": "Design review",
        "date": "2026-03-04",
        "start_time": "14:00",
        "end_time": "15:00",
        "repeat": "",
        "show_as": "busy",
        "reminders": ["15"],
        "view": "week",
    }
    # From the dialog: the frame says where to go next; the "saved" notice waits there.
    framed = client.post(
        "/diary/new/?view=week&start=2026-03-04T14:00",
        data,
        headers={"Turbo-Frame": "appointment-form"},
    )
    assert framed.status_code == 200
    assert 'data-form-saved="/diary/?view=week&amp;date=2026-03-04"' in framed.content.decode()
    after = client.get("/diary/?view=week&date=2026-03-04").content.decode()
    assert "Appointment “Design review” saved." in after and "Design review" in after
    # A mistake is answered inside the frame, with the reason, and saves nothing.
    bad = client.post(
        "/diary/new/", {**data, "title": ""}, headers={"Turbo-Frame": "appointment-form"}
    )
    assert bad.status_code == 200 and '<turbo-frame id="appointment-form">' in bad.content.decode()
    assert "This field is required." in bad.content.decode()
    # Without scripts, the same form is a page that redirects back to the calendar.
    plain = client.post("/diary/new/", {**data, "title": "Plain"})
    assert plain.status_code == 302 and plain["Location"] == "/diary/?view=week&date=2026-03-04"
    assert Appointment.objects.filter(owner=london).count() == 2
