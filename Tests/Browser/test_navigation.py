"""Getting around: hash routes with a working Back, the keyboard (skip link, visible focus, Space on a switch),
aria-live announcements of confirmed changes, and reduced motion."""

from playwright.sync_api import expect

from conftest import ADMIN
from test_lamps import lamps_page, last_power, tile
from harness import wait_until


def test_hash_routes_and_back(open_page, household):
    w = lamps_page(open_page, viewport=(360, 780))
    page = w.page
    nav = page.get_by_role("navigation", name="Navigasi utama")
    nav.get_by_role("link", name="Jadwal").click()
    expect(page).to_have_url(w.base + "/#/jadwal")
    expect(page.get_by_role("heading", name="Jadwal", exact=True)).to_be_visible()
    nav.get_by_role("link", name="Akun").click()
    expect(page.get_by_role("heading", name="Akun", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Akun")).to_have_attribute("aria-current", "page")
    page.go_back()
    expect(page.get_by_role("heading", name="Jadwal", exact=True)).to_be_visible()
    page.go_back()
    expect(page.locator("article.tile").first).to_be_visible()
    expect(nav.get_by_role("link", name="Lampu")).to_have_attribute("aria-current", "page")
    # A lamp's drawer is a route too; Escape closes it and goes back.
    tile(page, "rumah_000003").get_by_role("link", name="Lampu Dapur").click()
    expect(page.get_by_role("dialog", name="Lampu Dapur")).to_be_visible()
    expect(page).to_have_url(w.base + "/#/lampu/rumah_000003")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).to_have_url(w.base + "/#/lampu")
    assert w.console_errors == [] or all("404" in e for e in w.console_errors)


def test_keyboard_switch_focus_and_announcement(open_page, household, observer):
    device_id = "rumah_000005"  # Lampu Gudang
    w = lamps_page(open_page)
    page = w.page
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Lewati ke konten")
    expect(skip).to_be_focused()
    t = tile(page, device_id)
    switch = t.get_by_role("switch", name="Lampu Gudang")
    # Reach the switch with the keyboard: Tab through the page until it has focus.
    for _ in range(200):
        page.keyboard.press("Tab")
        if switch.evaluate("el => el === document.activeElement"):
            break
    expect(switch).to_be_focused()
    outline = switch.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("none", ""), outline
    before = t.get_attribute("data-state")
    target = "OFF" if before == "on" else "ON"
    mark = observer.mark()
    page.keyboard.press("Space")
    observer.wait_for(rf"cmnd/{device_id}/POWER", target, mark)
    expect(t).to_have_attribute("data-state", target.lower())
    word = "menyala" if target == "ON" else "mati"
    expect(page.locator("#announcer")).to_contain_text(f"Lampu Gudang {word}")
    wait_until(lambda: last_power(observer, device_id) == target, 5, message="device state")
    page.keyboard.press("Space")
    expect(t).to_have_attribute("data-state", before)


def test_reduced_motion_switches_transitions_off(open_page, household):
    for motion, expected in (("reduce", "0s"), ("no-preference", "0.2s")):
        w = open_page(user=ADMIN, reduced_motion=motion)
        w.goto("/#/lampu")
        thumb = w.page.locator(".switch-thumb").first
        expect(thumb).to_be_visible()
        assert thumb.evaluate("el => getComputedStyle(el).transitionDuration") == expected
