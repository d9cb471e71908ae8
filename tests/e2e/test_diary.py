"""The diary in real Chromium: a weekly appointment made by clicking a slot of the week
view, seen on the following weeks; a colleague invited, who accepts in their own browser
while the organiser hears it live; a reminder arriving as a toast from the embedded
server's schedule."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_embedded_server import PASSPHRASE, embedded_env, start_serve, stop
from tests.fixtures.live import BASE_DIR, _free_port, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _next_monday(user) -> dt.date:
    today = timezone.now().astimezone(ZoneInfo(user.time_zone_name)).date()
    return today + dt.timedelta(days=7 - today.weekday())


def test_weekly_appointment_invitation_accepted_live(new_page, alice, bob, password):
    monday = _next_monday(alice)
    a = new_page("/accounts/login/")
    sign_in(a, alice, password)
    b = new_page("/accounts/login/")
    sign_in(b, bob, password)

    a.get_by_role("link", name="Diary", exact=True).click()
    a.get_by_role("link", name="Next period").click()
    expect(a.get_by_role("heading", name=re.compile(monday.strftime("%-d %b")))).to_be_visible()
    # Quick add: click the Monday 10:00 slot; the form opens with that time.
    slot_name = f"New appointment {monday:%A} {monday.day} {monday:%B} 10:00"
    a.get_by_role("link", name=slot_name).click()
    # The form opens in a dialog over the calendar (the page stays the calendar); Cancel
    # closes it, and the same slot opens it again.
    form_dialog = a.get_by_role("dialog", name="New appointment")
    expect(form_dialog).to_be_visible()
    assert "/diary/new/" not in a.url
    form_dialog.get_by_role("link", name="Cancel").click()
    expect(form_dialog).to_be_hidden()
    a.get_by_role("link", name=slot_name).click()
    expect(form_dialog).to_be_visible()
    expect(a.get_by_label("Date*", exact=True)).to_have_value(monday.isoformat())
    expect(a.get_by_label("Starts", exact=True)).to_have_value("10:00")
    a.get_by_label("Title*", exact=True).fill("Design review")
    a.get_by_label("Ends", exact=True).fill("11:30")
    a.get_by_label("Repeat", exact=True).select_option(label="Weekly")
    a.get_by_label("Mon", exact=True).check()
    a.get_by_label("Invite colleagues").select_option(label="Bob Okafor")
    expect(a.locator("[data-freebusy]")).to_contain_text("First time everyone is free:")
    a.get_by_role("button", name="Save").click()

    # The dialog closes; the week shows the saved appointment and says so.
    expect(a.get_by_role("dialog", name="New appointment")).to_be_hidden()
    expect(a.get_by_text("Appointment “Design review” saved.")).to_be_visible()
    # Back on the week: the box sits at 10:00 and lasts 1.5 hours of the 24.
    review = a.get_by_role("button", name=re.compile(r"^Design review, 10:00–11:30, repeats"))
    expect(review).to_be_visible()
    style = review.get_attribute("style")
    assert "top: 41.667%" in style and "height: 6.25%" in style
    # And on the weeks after.
    for _ in range(3):
        a.get_by_role("link", name="Next period").click()
        expect(a.get_by_role("button", name=re.compile(r"^Design review, 10:00"))).to_be_visible()

    # Bob hears of it at once: one notice, of the Invitation message in his inbox.
    invitation = b.locator("[data-notice]").filter(has_text="Invitation: Design review")
    expect(invitation).to_be_visible()
    expect(b.locator("[data-notice]")).to_have_count(1)
    # He finds it in his diary waiting for an answer.
    b.get_by_role("link", name="Diary", exact=True).click()
    b.get_by_role("link", name="Next period").click()
    box = b.get_by_role(
        "button", name=re.compile(r"^Design review, 10:00–11:30, repeats, invitation, not answered")
    )
    box.click()
    dialog = b.get_by_role("dialog", name="Design review")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Alice Fernandez")
    dialog.get_by_role("button", name="Accept").click()
    expect(b.get_by_text("You answered accepted.")).to_be_visible()
    expect(
        b.get_by_role("button", name=re.compile(r"^Design review, 10:00–11:30, repeats, accepted"))
    ).to_be_visible()

    # Alice hears the answer live, and the appointment's window shows it.
    expect(a.locator("[data-notice]").filter(has_text="Accepted: Design review")).to_be_visible()
    a.get_by_role("button", name=re.compile(r"^Design review, 10:00")).click()
    expect(a.get_by_role("dialog", name="Design review")).to_contain_text("Bob Okafor: accepted")


def test_a_reminder_arrives_as_a_toast(chromium, tmp_path: Path):
    """`make run`'s server runs the reminder schedule in-process; the toast arrives on the
    open page without a reload."""
    port = _free_port()
    env = embedded_env(tmp_path, port)
    env["DIARY_REMINDERS_EVERY"] = "2"
    log = tmp_path / "serve.log"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    server = start_serve(env, log)
    try:
        context = chromium.new_context(base_url=f"http://127.0.0.1:{port}")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Company name").fill("Northwind Trading")
        page.get_by_label("Your first name").fill("Alice")
        page.get_by_label("Your last name").fill("Fernandez")
        page.get_by_label("Your email address").fill("alice@northwind.example")
        page.get_by_label("Password*", exact=True).fill(PASSPHRASE)
        page.get_by_label("Password (again)*").fill(PASSPHRASE)
        page.get_by_role("button", name="Create company and sign in").click()
        expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
        page.get_by_role("link", name="Diary", exact=True).click()
        zone = page.locator("[data-controller=diary]").get_attribute("data-zone")
        # Starting this minute, with a reminder at the start: due now (under a minute ago,
        # so on time, not late); the schedule looks every 2 s here.
        at = page.evaluate(
            """(zone) => {
                const t = new Date();
                const f = (o) => t.toLocaleString("en-CA", { timeZone: zone, ...o });
                return [f({ year: "numeric", month: "2-digit", day: "2-digit" }),
                        f({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" })];
            }""",
            zone,
        )
        page.get_by_role("link", name="New appointment", exact=True).click()
        page.get_by_label("Title*", exact=True).fill("Call the bank")
        page.get_by_label("Date*", exact=True).fill(at[0])
        page.get_by_label("Starts", exact=True).fill(at[1])
        page.get_by_label("15 minutes before").uncheck()
        page.get_by_label("At the start", exact=True).check()
        page.get_by_role("button", name="Save").click()
        toast = page.locator("[data-notice]").filter(has_text="Call the bank")
        expect(toast).to_be_visible(timeout=20_000)
        expect(toast).to_contain_text("Reminder")
        expect(toast).not_to_contain_text("late")
        context.close()
    finally:
        stop(server)
