"""Sessions in the browser: one refresh shared by parallel 401s (single flight) then each call once more; an
expired session returns to the login and, after signing in, to the view the person was on."""

from playwright.sync_api import expect

from conftest import ADMIN
from harness import ADMIN_EMAIL, ADMIN_PASSWORD

API_MODULE = "new URL('./api.js', document.querySelector('script[type=module]').src).href"


def test_expired_access_token_is_refreshed_once_for_parallel_calls(open_page, household):
    w = open_page(user=ADMIN)
    page = w.page
    w.goto("/#/lampu")
    expect(page.locator('.conn[data-stream="live"]')).to_have_count(1)
    refreshes = []
    page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/api/v1/auth/refresh") else None)
    # The access token "expires": the cookie is gone, the refresh cookie remains.
    w.context.clear_cookies(name="auth_token")
    results = page.evaluate(
        f"""async () => {{
          const api = await import({API_MODULE});
          const paths = ['/api/v1/status', '/api/v1/devices', '/api/v1/profile', '/api/v1/bootstrap'];
          const out = await Promise.all(paths.map((p) => api.get(p).then(() => 'ok', (e) => e.code)));
          return out;
        }}"""
    )
    assert results == ["ok", "ok", "ok", "ok"]
    assert len(refreshes) == 1
    assert any(c["name"] == "auth_token" for c in w.context.cookies())


def test_expired_session_returns_to_login_then_to_the_same_view(open_page, household):
    w = open_page(user=ADMIN)
    page = w.page
    w.goto("/#/riwayat")
    expect(page.locator("nav a[aria-current='page']")).to_have_attribute("data-nav", "riwayat")
    w.context.clear_cookies()
    page.evaluate(f"import({API_MODULE}).then((api) => api.get('/api/v1/status')).catch(() => null)")
    expect(page.get_by_role("status").filter(has_text="Sesi Anda sudah berakhir")).to_be_visible()
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.locator("#login-password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("nav a[aria-current='page']")).to_have_attribute("data-nav", "riwayat")
    assert page.url.endswith("#/riwayat")


def test_logout_and_login_wrong_then_right(open_page, household):
    w = open_page(user=ADMIN)
    page = w.page
    w.goto("/#/akun")
    page.get_by_role("button", name="Keluar", exact=True).click()
    expect(page.get_by_role("heading", name="Masuk", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Anda sudah keluar.")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.locator("#login-password").fill("salah-sekali")
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("#login-error")).to_have_text(
        "Email atau kata sandi tidak sesuai. Periksa kembali lalu coba lagi.")
    # Show/hide password.
    toggle = page.get_by_role("button", name="Tampilkan kata sandi")
    toggle.click()
    expect(page.locator("#login-password")).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(page.locator("#login-password")).to_have_attribute("type", "password")
    page.locator("#login-password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("article.tile").first).to_be_visible()
    page.reload()
    expect(page.locator("article.tile").first).to_be_visible()
