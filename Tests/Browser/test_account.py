"""Account: the signed-in sessions (this one marked) with revoke and "keluar dari sesi lain"; language and theme
choices that persist (server preferences) and drive <html lang> and the theme."""

import uuid

from playwright.sync_api import expect

from harness import ApiError, create_member


def member(admin_api, name="Ayah"):
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@rumah.test"
    create_member(admin_api, email, name, "rahasia-ayah-1", {"rumah_000001": ("control", "none")})
    return email, "rahasia-ayah-1"


def test_sessions_list_and_revoke(open_page, household, admin_api, server):
    creds = member(admin_api)
    other_phone = server.api()
    other_phone.login(*creds)
    tablet = server.api()
    tablet.login(*creds)
    w = open_page(user=creds)
    page = w.page
    w.goto("/#/akun")
    rows = page.locator(".session-list li")
    expect(rows).to_have_count(3)
    expect(page.locator(".session-list li[data-current='true']")).to_contain_text("Sesi ini")
    # Revoke one other session: that device is signed out, this one is not.
    page.locator(".session-list li[data-current='false']").first.get_by_role("button", name="Keluarkan").click()
    expect(rows).to_have_count(2)
    still = []
    for api in (other_phone, tablet):
        try:
            api.get("/api/v1/profile")
            still.append(api)
        except ApiError as error:
            assert error.status == 401
    assert len(still) == 1
    # "Keluar dari sesi lain" ends every other one.
    page.get_by_role("button", name="Keluar dari sesi lain").click()
    page.get_by_role("dialog").get_by_role("button", name="Keluar dari sesi lain").click()
    expect(rows).to_have_count(1)
    try:
        still[0].get("/api/v1/profile")
        raise AssertionError("the other session still works")
    except ApiError as error:
        assert error.status == 401
    page.reload()
    expect(page.locator("#acc-name")).to_have_value("Ayah")


def test_language_and_theme_persist(open_page, household, admin_api, server):
    creds = member(admin_api, "Nenek")
    w = open_page(user=creds, color_scheme="light")
    page = w.page
    w.goto("/#/akun")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    page.get_by_label("Dark").check()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    api = server.api()
    api.login(*creds)
    prefs = api.get("/api/v1/profile")["preferences"]
    assert prefs["language"] == "en" and prefs["theme"] == "dark"
    # A new browser (no local storage) signs in and gets the same choices from the server.
    fresh = open_page(user=creds, color_scheme="light")
    fresh.goto("/#/lampu")
    expect(fresh.page.locator("html")).to_have_attribute("lang", "en")
    expect(fresh.page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(fresh.page.get_by_role("heading", name="Lamps", exact=True)).to_be_visible()
    fresh.page.get_by_role("button", name="Ganti ke Bahasa Indonesia").click()
    expect(fresh.page.locator("html")).to_have_attribute("lang", "id")
    expect(fresh.page.get_by_role("heading", name="Lampu", exact=True)).to_be_visible()
    assert api.get("/api/v1/profile")["preferences"]["language"] == "id"
