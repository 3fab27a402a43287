"""Every Kelola view (and its add/edit dialogs) in id/en × light/dark × 360/1280 px: 0 console errors, 0 requests
to other origins, axe 0 serious/critical, no horizontal scroll, 44 px targets, only dictionary text; screenshots
into artifacts/ as admin-<view>-<lang>-<theme>-<width>.png."""

import itertools
import uuid

import pytest
from playwright.sync_api import expect

from conftest import ADMIN
from harness import ApiError, create_member
from test_views import check_page, set_language
from views import TextChecker, open_view, visible_texts


@pytest.fixture(scope="module")
def admin_data(household, admin_api):
    """A member with two lamps and an API key, so the lists and the matrix have rows."""
    suffix = uuid.uuid4().hex[:6]
    member = create_member(admin_api, f"rina{suffix}@rumah.test", "Rina", "rahasia-rina-1",
                           {"rumah_000001": ("monitoring", "none"), "rumah_000003": ("control", "manage")})
    key = admin_api.post("/api/v1/integrations/clients", {"name": "Home Assistant", "scopes": ["read", "command"]})
    try:
        admin_api.get("/api/v1/system")
        full = True
    except ApiError as error:
        full = error.status != 404
    yield {"member": member, "key": key, "full": full}
    try:
        admin_api.delete(f"/api/v1/integrations/clients/{key['id']}")
    except Exception:  # noqa: BLE001 - a test may have revoked it
        pass


def admin_views(member_id):
    return [
        ("lamps", "#/kelola/lampu", ".lamp-admin-list .admin-row"),
        ("discovery", "#/kelola/penemuan", ".discovery-card"),
        ("members", "#/kelola/anggota", ".member-list .admin-row"),
        ("member", f"#/kelola/anggota/{member_id}", ".assign-row"),
        ("keys", "#/kelola/kunci", ".key-list .admin-row"),
        ("audit", "#/kelola/audit", ".audit-filters"),
        ("system", "#/kelola/sistem", "#system-title"),
    ]


def open_dialog(page, name):
    """Opens one of the dialogs worth a look; returns a closer."""
    if name == "lamp-dialog":
        page.locator(".lamp-admin-list .admin-row").first.locator("button").first.click()
    elif name == "key-dialog":
        page.locator("#key-add").click()
    elif name == "member-dialog":
        page.locator("#member-add").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    return lambda: (page.keyboard.press("Escape"), expect(page.locator("dialog[open]")).to_have_count(0))


DIALOGS = {"lamps": "lamp-dialog", "keys": "key-dialog", "members": "member-dialog"}
COMBOS = list(itertools.product(["id", "en"], ["light", "dark"], [360, 1280]))
# The dialogs in half the combinations (both languages in both themes; light on the desktop where the text check
# runs, dark on the phone): they share the page's styles, and each axe run costs about a second of the suite.
DIALOG_COMBOS = {("id", "light", 1280), ("en", "light", 1280), ("id", "dark", 360), ("en", "dark", 360)}


@pytest.mark.parametrize("lang,theme,width", COMBOS, ids=[f"{l}-{t}-{w}" for l, t, w in COMBOS])
def test_every_admin_view(open_page, admin_data, lang, theme, width):
    problems = []
    w = open_page(user=ADMIN, viewport=(width, 800), color_scheme=theme)
    w.goto("/#/kelola/lampu")
    expect(w.page.locator(".lamp-admin-list .admin-row").first).to_be_visible()
    set_language(w.page, lang)
    # Text from the dictionaries only: checked once per language, on the desktop in the light theme.
    checker = TextChecker(lang) if (theme, width) == ("light", 1280) else None
    foreign = {}
    for name, route, ready in admin_views(admin_data["member"]["id"]):
        open_view(w.page, route, ready)
        check_page(w, f"admin-{name}", problems)
        if checker:
            foreign[name] = checker.foreign(visible_texts(w.page))
        w.shot(f"admin-{name}-{lang}-{theme}-{width}", full_page=True)
        if name in DIALOGS and (lang, theme, width) in DIALOG_COMBOS:
            close = open_dialog(w.page, DIALOGS[name])
            check_page(w, f"admin-{DIALOGS[name]}", problems)
            if checker:
                foreign[DIALOGS[name]] = checker.foreign(visible_texts(w.page))
            w.shot(f"admin-{DIALOGS[name]}-{lang}-{theme}-{width}")
            close()
    assert not problems, "\n".join(problems)
    assert {k: v for k, v in foreign.items() if v} == {}
    # A server without the adminapi routes answers 404 to /api/v1/system and /api/v1/history (the views say so).
    errors = w.console_errors if admin_data["full"] else [e for e in w.console_errors if "404 (Not Found)" not in e]
    assert errors == []
    assert w.foreign_requests == []
