"""Call setup in Chromium: from the callee's click on Accept video to the first decoded
frame of the caller's video on the callee's screen, over CALLS (20) video calls.

Two Chromium contexts (fake camera/microphone) sign in to one daphne process and call
each other through the real UI and signalling: the caller chooses Video call in the Online
Monitor, the callee clicks Accept video. The page records performance.now() at the click
and at the first frame presented by the remote <video> (requestVideoFrameCallback); see
static/js/calls.js `timing`. Run by hand, inside the test network (media must stay on
10.231.0.1); figures go to docs/performance.md:

    scripts/testnet .venv/bin/python bench/call_setup.py

SQLite in var/bench-call-setup.sqlite3 (recreated), the in-process channel layer unless
REDIS_URL is set. daphne listens on 127.0.0.1 inside the namespace, stopped by PID.
"""

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _server import free_port, percentile, production_environment, start_daphne  # noqa: E402

CALLS = int(os.environ.get("CALLS", 20))
DB = ROOT / "var" / "bench-call-setup.sqlite3"
LOG = ROOT / "var" / "bench-call-setup-daphne.log"
PASSWORD = "bench-password-2026"  # noqa: S105 (a throw-away bench database)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def prepare() -> tuple[str, str]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    os.environ.update(DATABASE_URL=f"sqlite:///{DB}", DJANGO_SETTINGS_MODULE="uc_web.settings")
    production_environment()  # as the servers it starts: DEBUG off, the same key
    import django

    django.setup()
    from django.core.management import call_command

    from accounts import services
    from accounts.models import Company

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    company = Company.objects.create(name="Bench Co")
    users = []
    for first, email in (("Alice", "alice@bench.example"), ("Bob", "bob@bench.example")):
        services.user_create(
            company=company, email=email, password=PASSWORD, first_name=first, last_name="Bench"
        )
        users.append(email)
    return users[0], users[1]


def sign_in(page, email: str) -> None:
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Email*", exact=True).fill(email)
    page.get_by_label("Password*", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    alice, bob = prepare()
    port = free_port()
    daphne = start_daphne(port, LOG)
    setup_ms: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
            )
            contexts = [
                browser.new_context(
                    base_url=f"http://127.0.0.1:{port}", viewport={"width": 1400, "height": 900}
                )
                for _ in range(2)
            ]
            alices, bobs = (c.new_page() for c in contexts)
            for context in contexts:
                context.set_default_timeout(15_000)
            sign_in(alices, alice)
            sign_in(bobs, bob)
            for _ in range(CALLS):
                alices.get_by_role("button", name="Bob Bench: Online. Options").click()
                alices.get_by_role("menuitem", name="Video call").click()
                toast = bobs.get_by_role("alertdialog")
                toast.get_by_role("button", name="Accept video").click()
                bobs.wait_for_function("() => window.ucCalls.timing.firstFrameAt")
                window = bobs.get_by_role("dialog", name="Call with Alice Bench")
                expect(window).to_contain_text("Connected")
                timing = bobs.evaluate("() => window.ucCalls.timing")
                setup_ms.append(timing["firstFrameAt"] - timing["acceptedAt"])
                window.get_by_role("button", name="Hang up").click()
                expect(window).to_contain_text("Call ended")
                window.get_by_role("button", name="Close").click()
                alices.get_by_role("dialog").get_by_role("button", name="Close").click()
                bobs.wait_for_timeout(300)
            browser.close()
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
    print(f"{CALLS} video calls, callee's Accept -> first decoded remote video frame:")
    print(
        f"median {statistics.median(setup_ms):.0f} ms, p95 {percentile(setup_ms, 95):.0f} ms,"
        f" min {min(setup_ms):.0f} ms, max {max(setup_ms):.0f} ms"
    )
    print("all:", " ".join(f"{v:.0f}" for v in setup_ms))


if __name__ == "__main__":
    if os.environ.get("UC_TESTNET") != "10.231.0.1":
        raise SystemExit("run inside the test network: scripts/testnet .venv/bin/python ...")
    main()
