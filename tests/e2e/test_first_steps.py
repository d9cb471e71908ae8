"""What a new user meets first, in Chromium: the first-run path from setup to a colleague
invited from the app who joins by the mailed link and is given every role, and one test for
each rough edge issue 13 found (the monitor's menu on the keyboard, live announcements,
the contact-request badge and notice, times, colours, a taken address, the favicon)."""

import re

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.models import ContactRequest, Profile, User
from tests.e2e.test_presence import WIDE
from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST = "First-passphrase-2026"
ERINS = "Erin-chooses-a-long-passphrase-9"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def watch_for_errors(page) -> list[str]:
    """Script errors, console errors and failed requests of a page, as they happen."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return problems


def test_first_run_setup_invite_from_the_app_join_by_mail_and_every_role(new_page, daphne_server):
    page = new_page("/")
    problems = watch_for_errors(page)
    page.reload()  # from the very first request: no favicon 404, no console error
    expect(page).to_have_url(re.compile(r"/setup/$"))
    page.get_by_label("Company name").fill("Northwind Trading")
    page.get_by_label("Your first name").fill("Alice")
    page.get_by_label("Your last name").fill("Fernandez")
    page.get_by_label("Your email address").fill("alice@northwind.example")
    page.get_by_label("Password*", exact=True).fill(FIRST)
    page.get_by_label("Password (again)*").fill(FIRST)
    page.get_by_role("button", name="Create company and sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    # A fresh company says what to do next, on the home page and in the Online Monitor.
    steps = page.get_by_role("region", name="First steps")
    expect(steps.get_by_role("link", name="Invite your colleagues")).to_be_visible()
    expect(steps.get_by_role("link", name="Import your contacts")).to_be_visible()
    expect(steps.get_by_role("link", name="Set your photo")).to_be_visible()
    sidebar = page.get_by_role("complementary", name="Online Monitor")
    expect(sidebar.get_by_text("Nobody here yet.")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Invite your colleagues")).to_be_visible()

    # Invite Erin from the app's own page.
    daphne_server.clear_mails()
    steps.get_by_role("link", name="Invite your colleagues").click()
    expect(page.get_by_role("heading", name="Users and invitations")).to_be_visible()
    page.get_by_label("Email address*").fill("erin@northwind.example")
    page.get_by_label("First name").fill("Erin")
    page.get_by_label("Last name").fill("Walsh")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("An invitation was sent to erin@northwind.example.")).to_be_visible()
    waiting = page.get_by_role("region", name="Invitations waiting")
    expect(waiting.get_by_role("button", name="Resend the invitation to erin@")).to_be_visible()
    expect(waiting.get_by_role("button", name="Revoke the invitation to erin@")).to_be_visible()

    (mail,) = daphne_server.mails()
    assert "Subject: [UC Web] Alice Fernandez invited you to join Northwind Trading" in mail
    link = re.search(r"http://\S+/join/\S+", mail).group(0)

    # Erin follows the mailed link, sets a password, and is signed in and welcomed.
    erin = new_page(link)
    expect(erin.get_by_role("heading", name="Join Northwind Trading")).to_be_visible()
    expect(erin.get_by_text(re.compile("reset", re.I))).to_have_count(0)
    erin.get_by_label("Password*", exact=True).fill(ERINS)
    erin.get_by_label("Password (again)*").fill(ERINS)
    erin.get_by_role("button", name="Set password and join").click()
    expect(erin.get_by_role("heading", name="Welcome to Northwind Trading, Erin!")).to_be_visible()
    expect(erin.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(erin.get_by_role("region", name="First steps")).to_be_visible()

    # The invitation is no longer waiting; Alice gives Erin every other role in admin.
    page.reload()
    expect(page.get_by_text("No invitations are waiting")).to_be_visible()
    page.get_by_role("link", name="Roles and account of Erin Walsh").click()
    for role in (roles.CRM_USER, roles.PSTN_CALLER, roles.ANNOUNCER):
        page.get_by_role("checkbox", name=re.compile(f"^{role}")).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    erin_user = User.objects.get(email="erin@northwind.example")
    assert erin_user.has_perm("accounts.use_crm") and erin_user.has_perm("accounts.call_pstn")
    assert erin_user.has_perm("accounts.send_announcements")
    assert not erin_user.is_staff and not erin_user.is_superuser
    assert problems == []


def test_adding_a_taken_address_in_admin_says_so_without_the_constraint(
    new_page, alice, bob, password
):
    page = new_page("/accounts/login/")
    sign_in(page, alice, password)
    page.goto("/admin/accounts/user/add/")
    page.get_by_label("Email address").fill("BOB@Northwind.example")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("A user with this email address already exists.")).to_be_visible()
    expect(page.get_by_text("Constraint")).to_have_count(0)


def test_escape_home_end_and_tab_in_the_monitor_menu(new_page, alice, bob, charlie, password):
    from tests.accounts.factories import UserFactory

    UserFactory(company=alice.company, first_name="Carol", last_name="Price")
    page = new_page("/accounts/login/", **WIDE)
    problems = watch_for_errors(page)
    sign_in(page, alice, password)
    bobs_button = page.get_by_role("button", name="Bob Okafor: Offline. Options")
    carols_button = page.get_by_role("button", name="Carol Price: Offline. Options")
    menu = page.get_by_role("menu", name="Options")

    bobs_button.focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("menuitem", name="Call", exact=True)).to_be_focused()
    # the menu follows its button in the document
    assert bobs_button.evaluate("b => b.nextElementSibling.getAttribute('role')") == "menu"
    page.keyboard.press("End")
    expect(menu.get_by_role("menuitem", name="Block")).to_be_focused()
    page.keyboard.press("Home")
    expect(menu.get_by_role("menuitem", name="Call", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(bobs_button).to_be_focused()

    # Tab leaves the menu for the next person in the list, not the footer
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    page.keyboard.press("Tab")
    expect(menu).to_be_hidden()
    expect(carols_button).to_be_focused()
    # and Shift+Tab goes back to the menu's own button
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    expect(menu).to_be_hidden()
    expect(carols_button).to_be_focused()
    assert problems == []


def test_presence_changes_and_contact_requests_are_announced_badged_and_noticed(
    new_page, alice, bob, charlie, password
):
    Profile.objects.filter(user=alice).update(directory_visible_outside=True)
    alices = new_page("/accounts/login/", **PHONE)  # the monitor sidebar is hidden here
    sign_in(alices, alice, password)
    polite = alices.locator("#announce-polite")

    bobs = new_page("/accounts/login/", **WIDE)
    sign_in(bobs, bob, password)
    expect(polite).to_have_text("Bob Okafor is now Online")
    bobs.get_by_label("My status").select_option(label="Busy")
    expect(polite).to_have_text("Bob Okafor is now Busy")

    charlies = new_page("/accounts/login/", **WIDE)
    sign_in(charlies, charlie, password)
    charlies.get_by_label("Add someone by email").fill(alice.email)
    charlies.get_by_role("button", name="Add", exact=True).click()
    expect(charlies.get_by_role("status").filter(has_text="Contact request sent")).to_be_visible()

    expect(polite).to_have_text("Contact request. Charlie Nguyen asks to become your contact.")
    notice = alices.locator("#notices .toast")
    expect(notice).to_contain_text("Charlie Nguyen asks to become your contact.")
    alices.get_by_role("button", name="Toggle navigation").click()
    main_nav = alices.get_by_role("navigation", name="Main")
    badge = main_nav.get_by_role("link", name=re.compile("^Online Monitor"))
    expect(badge).to_contain_text("1")
    expect(badge.locator(".visually-hidden")).to_have_text(" contact requests waiting")
    notice.get_by_role("link", name="Answer in the Online Monitor").click()
    expect(alices).to_have_url(re.compile(r"/monitor/$"))
    request = (
        alices.get_by_role("listitem")
        .filter(has_text="Charlie Nguyen")
        .filter(has=alices.get_by_role("button", name="Accept: Charlie Nguyen"))
    )
    request.get_by_role("button", name="Accept: Charlie Nguyen").click()
    expect(request).to_have_count(0)
    expect(alices.locator("[data-nav-badge=contact-requests]")).to_have_attribute("hidden", "")
    assert ContactRequest.objects.get().state == ContactRequest.State.ACCEPTED


def test_the_call_log_and_profile_read_times_the_same_way(new_page, alice, bob, password):
    from datetime import UTC, datetime

    from tests.calls.factories import CallFactory

    Profile.objects.filter(user=alice).update(date_format="iso", time_zone="Asia/Tokyo")
    CallFactory(caller=bob, callee=alice, created_at=datetime(2026, 12, 1, 18, 31, tzinfo=UTC))
    page = new_page("/accounts/login/")
    sign_in(page, alice, password)
    page.goto("/calls/")
    expect(page.get_by_role("table", name="Call log")).to_contain_text("2026-12-02 03:31 JST")
    page.goto("/profile/")
    expect(
        page.get_by_text(re.compile(r"Last signed in: \d{4}-\d\d-\d\d \d\d:\d\d JST"))
    ).to_be_visible()


def test_away_and_waiting_icons_stand_out_from_the_page(new_page, alice, password):
    page = new_page("/accounts/login/")
    sign_in(page, alice, password)
    page.goto("/help/online-monitor/")
    ratios = page.evaluate(
        """() => {
          const lum = (rgb) => {
            const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map(Number).map((c) => {
              c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const white = lum("rgb(255, 255, 255)");
          return ["away", "pending"].map((state) => {
            const icon = document.querySelector(`.presence-${state}`);
            const c = lum(getComputedStyle(icon).color);
            return (Math.max(c, white) + 0.05) / (Math.min(c, white) + 0.05);
          });
        }"""
    )
    assert all(ratio >= 3 for ratio in ratios), ratios  # WCAG 1.4.11, non-text contrast
