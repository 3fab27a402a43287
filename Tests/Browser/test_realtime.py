"""Realtime: a cut or silent stream turns every tile `stale` with a banner (role=status), and the page recovers
by itself — backoff, no reload — then says "Tersambung kembali". Timers run on Playwright's clock, not sleeps."""

import re

from playwright.sync_api import expect

from conftest import ADMIN

STREAM = "**/api/v1/realtime/stream*"


def live_page(open_page):
    w = open_page(user=ADMIN)
    w.page.clock.install()
    w.goto("/#/lampu")
    expect(w.page.locator('.conn[data-stream="live"]')).to_have_count(1)
    expect(w.page.locator("article.tile").first).to_be_visible()
    w.page.evaluate("window.__noReload = 'still here'")
    return w


def assert_stale(page):
    banner = page.get_by_role("status").filter(has_text="Koneksi ke server terputus — mencoba lagi…")
    expect(banner).to_be_visible()
    expect(page.locator("#stream-banner")).to_have_attribute("role", "status")
    expect(page.locator('article.tile:not([data-state="stale"])')).to_have_count(0)
    for switch in page.get_by_role("switch").all():
        expect(switch).to_be_disabled()


def assert_recovered(page):
    expect(page.locator("#stream-banner")).to_have_text("Tersambung kembali")
    stale = page.eval_on_selector_all('article.tile[data-state="stale"]', "els => els.map((e) => e.dataset.id)")
    if stale:
        print("still stale:", stale, page.evaluate("document.querySelector('.conn').dataset.stream"))
    expect(page.locator('article.tile[data-state="stale"]')).to_have_count(0)
    expect(page.locator('.conn[data-stream="live"]')).to_have_count(1)
    assert page.evaluate("window.__noReload") == "still here"


def test_cut_stream_goes_stale_and_recovers_without_reload(open_page, household):
    w = live_page(open_page)
    page = w.page
    page.route(STREAM, lambda route: route.abort())
    # The network "returns": the app reconnects at once, and that connection is cut.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert_stale(page)
    page.unroute(STREAM)
    # Backoff 1 → 2 → … s: move the page's clock instead of sleeping.
    for _ in range(4):
        page.clock.fast_forward(2500)
        if page.locator('.conn[data-stream="live"]').count():
            break
    assert_recovered(page)
    page.clock.fast_forward(5000)
    expect(page.locator("#stream-banner")).to_be_hidden()


def test_silent_stream_trips_the_watchdog(open_page, household):
    w = live_page(open_page)
    page = w.page
    held = []
    # A stream that connects but never sends a frame, as a phone's dead background connection does.
    page.route(STREAM, lambda route: held.append(route))
    # The reconnect first re-fetches /status (real time), then opens the stream (arming the watchdog): wait for
    # that request before moving the clock.
    with page.expect_request(lambda r: "/api/v1/realtime/stream" in r.url):
        page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator('article.tile[data-state="stale"]')).to_have_count(0)
    page.clock.fast_forward(29000)
    expect(page.locator('article.tile[data-state="stale"]')).to_have_count(0)
    page.clock.fast_forward(2000)
    assert_stale(page)
    page.unroute(STREAM)
    for route in held:
        try:
            route.abort()
        except Exception:  # noqa: BLE001 - the page may already have given up on it
            pass
    for _ in range(6):
        page.clock.fast_forward(2500)
        if page.locator('.conn[data-stream="live"]').count():
            break
    assert_recovered(page)


def test_devices_event_refetches_the_lamp_list(open_page, household, admin_api):
    from harness import register
    import uuid
    w = live_page(open_page)
    device_id = f"baru_{uuid.uuid4().hex[:6]}"
    register(admin_api, device_id, "Lampu Baru", "Teras Belakang")
    tile = w.page.locator(f'article.tile[data-id="{device_id}"]')
    expect(tile).to_have_count(1, timeout=10000)
    expect(tile).to_have_attribute("data-state", "unknown")
    expect(w.page.locator("section.room", has=tile).locator("h2")).to_have_text(re.compile("Teras Belakang"))


def test_a_tab_closed_for_the_stream_limit_waits_instead_of_closing_another(open_page, household, browser, server):
    """Nine windows of one session (the server keeps 8 streams per session): the oldest window's stream is closed
    with STREAM_LIMIT. It must not reconnect at once — it would close another window's stream, which would do the
    same, round and round — but wait until it is shown again. Each window is its own browser context, as tabs of
    one context would share Chromium's six HTTP/1.1 connections to the server."""
    w = open_page(user=ADMIN)
    first = w.page
    first.clock.install()
    w.goto("/#/lampu")
    expect(first.locator('.conn[data-stream="live"]')).to_have_count(1)
    opened = []
    first.on("request", lambda r: opened.append(r.url) if "/api/v1/realtime/stream" in r.url else None)
    session = first.context.storage_state()
    others = []
    try:
        for _ in range(8):
            context = browser.new_context(storage_state=session, base_url=server.base, service_workers="block")
            others.append(context)
            tab = context.new_page()
            tab.goto("/#/lampu")
            expect(tab.locator('.conn[data-stream="live"]')).to_have_count(1)
        # The ninth stream closed the first window's: it says so and stops.
        expect(first.locator('.conn[data-stream="down"]')).to_have_count(1)
        before = len(opened)
        first.clock.fast_forward(20000)
        assert len(opened) == before, "a parked window reconnected by itself"
        for context in others:
            expect(context.pages[0].locator('.conn[data-stream="live"]')).to_have_count(1)
        # Shown again, it takes a stream at once.
        first.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(first.locator('.conn[data-stream="live"]')).to_have_count(1)
        assert w.console_errors == []
    finally:
        for context in others:
            context.close()
