"""Every view in id/en × light/dark × 360/1280 px, the administrator's Kelola views and their dialogs included:
0 console errors, 0 requests to other origins, axe 0 serious/critical, no horizontal scroll, 44 px targets;
screenshots into artifacts/. Every view in `id` and `en` shows only text from the dictionary. No horizontal scroll
at 320 px either."""

import itertools

import pytest
from playwright.sync_api import expect

from conftest import ADMIN
from harness import ADMIN_EMAIL, ADMIN_PASSWORD
from views import (
    ADMIN_DIALOGS, SIGNED_IN_VIEWS, TextChecker, admin_views, axe_serious, dictionary, horizontal_overflow,
    open_view, small_targets, used_keys, visible_texts,
)


@pytest.fixture(scope="module")
def with_schedule(household, admin_api):
    """One window schedule and one advanced schedule so the schedules view has cards."""
    made = []
    for body in (
        {"deviceId": "rumah_000001", "action": "ON", "cron": "* * * * * 1,2,3,4,5", "timezone": "Asia/Jakarta",
         "windowGroupId": "f0c7a0e2-3b7e-4e36-9a55-7c1d3a0b9e01", "windowStartMinute": 18 * 3600,
         "windowEndMinute": 23 * 3600, "enforceEveryMinute": 60},
        {"deviceId": "rumah_000003", "action": "OFF", "cron": "0 23 * * *", "timezone": "Asia/Makassar"},
    ):
        made.append(admin_api.post("/api/v1/schedules", body, idempotent=True))
    yield made
    for s in made:
        try:
            admin_api.delete(f"/api/v1/schedules/{s['id']}", idempotent=True)
        except Exception:  # noqa: BLE001 - a test may have deleted it
            pass


def close_drawer(w):
    """Escape closes the drawer and goes Back to #/lampu; wait for that before the next route."""
    w.page.keyboard.press("Escape")
    expect(w.page.locator("dialog.drawer")).to_have_count(0)
    expect(w.page).to_have_url(w.base + "/#/lampu")


def set_language(page, lang):
    if page.evaluate("document.documentElement.lang") != lang:
        page.locator(".lang-btn").first.click()
        expect(page.locator("html")).to_have_attribute("lang", lang)


def check_page(w, name, problems):
    page = w.page
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{name}: horizontal scroll of {overflow} px")
    for v in axe_serious(page):
        problems.append(f"{name}: axe {v['impact']} {v['id']} {v['targets']}")
    for t in small_targets(page):
        problems.append(f"{name}: target under 44 px: {t}")


COMBOS = list(itertools.product(["id", "en"], ["light", "dark"], [360, 1280]))
# The Kelola dialogs in half the combinations (both languages in both themes; light on the desktop where the text
# check runs, dark on the phone): they share the page's styles, and each axe run costs about a second of the suite.
DIALOG_COMBOS = {("id", "light", 1280), ("en", "light", 1280), ("id", "dark", 360), ("en", "dark", 360)}


def walk_admin_views(w, admin_data, lang, theme, width, problems):
    """Kelola's views (and some dialogs) in the signed-in admin page `w`; returns foreign texts (light desktop)."""
    checker = TextChecker(lang) if (theme, width) == ("light", 1280) else None
    foreign = {}
    for name, route, ready in admin_views(admin_data["member"]["id"]):
        open_view(w.page, route, ready)
        check_page(w, f"admin-{name}", problems)
        if checker:
            foreign[f"admin-{name}"] = checker.foreign(visible_texts(w.page))
        w.shot(f"admin-{name}-{lang}-{theme}-{width}", full_page=True)
        if name in ADMIN_DIALOGS and (lang, theme, width) in DIALOG_COMBOS:
            dialog_name, opener = ADMIN_DIALOGS[name]
            w.page.locator(opener).first.click()
            expect(w.page.locator("dialog[open]")).to_be_visible()
            check_page(w, f"admin-{dialog_name}", problems)
            if checker:
                foreign[f"admin-{dialog_name}"] = checker.foreign(visible_texts(w.page))
            w.shot(f"admin-{dialog_name}-{lang}-{theme}-{width}")
            w.page.keyboard.press("Escape")
            expect(w.page.locator("dialog[open]")).to_have_count(0)
    return {k: v for k, v in foreign.items() if v}


@pytest.mark.parametrize("lang,theme,width", COMBOS, ids=[f"{l}-{t}-{w}" for l, t, w in COMBOS])
def test_every_view(open_page, household, with_schedule, admin_data, lang, theme, width):
    problems = []
    # Signed out: the login page.
    w = open_page(viewport=(width, 800), color_scheme=theme)
    w.goto("/")
    expect(w.page.locator("#login-email")).to_be_visible()
    set_language(w.page, lang)
    check_page(w, "login", problems)
    w.shot(f"login-{lang}-{theme}-{width}")
    w.page.locator("#login-email").fill(ADMIN_EMAIL)
    w.page.locator("#login-password").fill(ADMIN_PASSWORD)
    w.page.locator("form button[type=submit]").click()
    expect(w.page.locator("article.tile").first).to_be_visible()
    expect(w.page.locator('.conn[data-stream="live"]')).to_have_count(1)
    set_language(w.page, lang)
    for name, route, ready in SIGNED_IN_VIEWS:
        open_view(w.page, route, ready)
        check_page(w, name, problems)
        w.shot(f"{name}-{lang}-{theme}-{width}", full_page=name.startswith("schedule"))
        if name == "lamp-history":
            close_drawer(w)
    foreign = walk_admin_views(w, admin_data, lang, theme, width, problems)
    assert not problems, "\n".join(problems)
    assert foreign == {}
    # A server without the adminapi routes answers 404 to /api/v1/system and /api/v1/history (the views say so).
    errors = w.console_errors if admin_data["full"] else [e for e in w.console_errors if "404 (Not Found)" not in e]
    assert errors == []
    assert w.foreign_requests == []


def test_no_horizontal_scroll_at_320(open_page, household, with_schedule, admin_data):
    w = open_page(user=ADMIN, viewport=(320, 640), color_scheme="dark")
    w.goto("/#/lampu")
    expect(w.page.locator("article.tile").first).to_be_visible()
    for name, route, ready in SIGNED_IN_VIEWS + admin_views(admin_data["member"]["id"]):
        open_view(w.page, route, ready)
        assert horizontal_overflow(w.page) <= 0, name
        if name == "lamp-history":
            close_drawer(w)
    w.shot("lamps-320")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_view_shows_only_dictionary_text(open_page, household, with_schedule, lang):
    """Indonesian (the brief) and English: any visible text that is not a dictionary entry (data aside) fails."""
    checker = TextChecker(lang)
    w = open_page(viewport=(1280, 900))
    w.goto("/")
    expect(w.page.locator("#login-email")).to_be_visible()
    set_language(w.page, lang)
    foreign = {"login": checker.foreign(visible_texts(w.page))}
    w.page.locator("#login-email").fill(ADMIN_EMAIL)
    w.page.locator("#login-password").fill(ADMIN_PASSWORD)
    w.page.locator("form button[type=submit]").click()
    expect(w.page.locator("article.tile").first).to_be_visible()
    set_language(w.page, lang)
    for name, route, ready in SIGNED_IN_VIEWS:
        open_view(w.page, route, ready)
        if name == "schedules":
            # Open a run history and the advanced form too.
            w.page.locator("article.schedule-card button[aria-expanded]").first.click()
        foreign[name] = checker.foreign(visible_texts(w.page))
        if name == "lamp-history":
            close_drawer(w)
    open_view(w.page, "#/jadwal/baru", "form.form-card")
    w.page.locator(".tabs .chip").nth(1).click()
    foreign["schedule-cron"] = checker.foreign(visible_texts(w.page))
    assert {k: v for k, v in foreign.items() if v} == {}


def test_dictionaries_have_the_same_keys_and_every_used_key():
    ids, ens = dictionary("id"), dictionary("en")
    assert set(ids) == set(ens)
    missing = sorted(k for k in used_keys() if k not in ids and k != "key")
    assert missing == []
    # The language switch reads in the other language, so the person can find it.
    assert ids["lang.switchLabel"] == "Switch to English" and ens["lang.switchLabel"].startswith("Ganti")
