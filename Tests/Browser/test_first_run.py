"""First run in the browser: while no administrator exists the page offers to create one, only with the one-time
setup code from the server's log; a --demo household says which lamps are simulated. Login: wrong/right and the
429 countdown from Retry-After (the button stays disabled until 0), on Playwright's clock."""

import re

import pytest
from playwright.sync_api import expect

from harness import ApiError, Server
from views import axe_serious


@pytest.fixture(scope="module")
def fresh_demo_server(broker, workdir):
    s = Server(broker, workdir, admin=False, demo=True, settings={"demo.devices": "2"})
    yield s
    s.stop()


def test_first_admin_needs_the_setup_code(open_page, fresh_demo_server):
    srv = fresh_demo_server
    api = srv.api()
    assert api.get("/api/v1/setup")["needsSetup"] is True
    w = open_page(srv=srv, viewport=(360, 800))
    page = w.page
    w.goto("/")
    expect(page.get_by_role("heading", name="Buat administrator pertama")).to_be_visible()
    # The demo household is told which lamps are simulated.
    demo = api.get("/api/v1/setup")["demoDevices"]
    assert len(demo) == 2
    notice = page.locator(".demo-notice")
    expect(notice).to_contain_text("2 lampu simulasi")
    for device_id in demo:
        expect(notice.locator("li", has_text=device_id)).to_have_count(1)
    w.shot("setup-id-light-360")
    assert axe_serious(page) == []
    page.get_by_label("Nama").fill("Bapak Budi")
    page.get_by_label("Email").fill("budi@rumah.test")
    page.locator("#setup-password").fill("rahasia-budi-1")
    # Without a code nothing is sent; with a wrong one the server refuses and nothing is created.
    page.get_by_role("button", name="Buat administrator").click()
    expect(page.locator("#setup-setupCode-error")).to_have_text("Masukkan kode penyiapan dari log server.")
    page.get_by_label("Kode penyiapan").fill("AAAA-BBBB-CCCC")
    page.get_by_role("button", name="Buat administrator").click()
    expect(page.locator("#setup-setupCode-error")).to_have_text("Kode penyiapan salah atau sudah dipakai.")
    assert api.get("/api/v1/setup")["needsSetup"] is True
    with pytest.raises(ApiError):
        srv.api().login("budi@rumah.test", "rahasia-budi-1")
    code = srv.setup_code()
    page.get_by_label("Kode penyiapan").fill(code)
    page.get_by_role("button", name="Buat administrator").click()
    # Signed in at once, the two demo lamps on screen.
    expect(page.locator("article.tile")).to_have_count(2)
    expect(page.locator("article.tile").first).to_contain_text("Simulasi")
    assert api.get("/api/v1/setup")["needsSetup"] is False
    assert [e for e in w.console_errors if "403" not in e] == []  # the refused code is a 403 on the console
    assert w.foreign_requests == []
    budi = srv.api()
    assert budi.login("budi@rumah.test", "rahasia-budi-1")["user"]["role"] == "admin"
    # The code is single use.
    with pytest.raises(ApiError) as used:
        srv.api().post("/api/v1/setup", {"setupCode": code, "name": "X", "email": "x@rumah.test",
                                         "password": "rahasia-xxx-1"})
    assert used.value.status in (403, 409)


@pytest.fixture(scope="module")
def strict_server(broker, workdir):
    s = Server(broker, workdir, settings={
        "ratelimit.login-max": "2", "ratelimit.login-backoff-base-sec": "4", "ratelimit.login-window-sec": "60"})
    yield s
    s.stop()


def test_login_wrong_then_429_countdown(open_page, strict_server):
    from harness import ADMIN_EMAIL, ADMIN_PASSWORD
    w = open_page(srv=strict_server)
    page = w.page
    page.clock.install()
    w.goto("/")
    email, password = page.get_by_label("Email"), page.locator("#login-password")
    submit = page.get_by_role("button", name="Masuk")
    error = page.locator("#login-error")
    email.fill(ADMIN_EMAIL)
    password.fill("bukan-ini-1")
    submit.click()
    expect(error).to_have_text("Email atau kata sandi tidak sesuai. Periksa kembali lalu coba lagi.")
    # Keep trying until the server says 429; the page counts down from Retry-After.
    for _ in range(4):
        password.fill("bukan-ini-1")
        submit.click()
        expect(submit).to_have_text("Masuk")
        if "Terlalu banyak" in error.inner_text():
            break
    expect(error).to_have_text(re.compile(r"^Terlalu banyak percobaan masuk\. Tunggu \d+ detik lalu coba lagi\.$"))
    expect(submit).to_be_disabled()
    first = int(re.search(r"Tunggu (\d+)", error.inner_text()).group(1))
    assert first >= 2
    page.clock.fast_forward(1000)
    expect(error).to_have_text(f"Terlalu banyak percobaan masuk. Tunggu {first - 1} detik lalu coba lagi.")
    expect(submit).to_be_disabled()
    page.clock.fast_forward((first - 1) * 1000)
    expect(error).to_have_text("Waktu tunggu selesai. Silakan coba masuk lagi.")
    expect(submit).to_be_enabled()
    # (Signing in with the right password is covered by test_session; the server's own lock-out runs on real time.)
