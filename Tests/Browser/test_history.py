"""A lamp's history names who switched it: the person's name, or "di perangkat" for a change the device
reported on its own (a wall switch); the "today" bar is drawn."""

import uuid

from playwright.sync_api import expect

from harness import create_member, register, wait_until
from test_lamps import fake_lamp, lamps_page, tile


def test_history_shows_the_persons_name_and_a_device_side_change(open_page, admin_api, observer, server):
    device_id = fake_lamp(observer, admin_api, "Lampu Kamar Mandi", "Kamar Mandi", "OFF")
    email = f"ibu-{uuid.uuid4().hex[:6]}@rumah.test"
    create_member(admin_api, email, "Ibu Sari", "rahasia-ibu-12", {device_id: ("control", "none")})
    # Ibu Sari switches it from her phone; the test answers like the lamp.
    w = lamps_page(open_page, user=(email, "rahasia-ibu-12"), viewport=(360, 780))
    t = tile(w.page, device_id)
    mark = observer.mark()
    t.get_by_role("switch", name="Lampu Kamar Mandi").click()
    observer.wait_for(rf"cmnd/{device_id}/POWER", "ON", mark)
    observer.publish(f"stat/{device_id}/POWER", "ON")
    expect(t).to_have_attribute("data-state", "on")
    # Later someone uses the wall switch: the device reports OFF with no command behind it.
    observer.publish(f"stat/{device_id}/POWER", "OFF")
    expect(t).to_have_attribute("data-state", "off")
    # The administrator opens the lamp's history.
    a = lamps_page(open_page)
    a.page.locator(f"article.tile[data-id='{device_id}'] a.tile-name").click()
    drawer = a.page.locator("dialog.drawer")
    expect(drawer).to_be_visible()
    assert a.page.url.endswith(f"#/lampu/{device_id}")
    items = drawer.locator("li.history-item")
    expect(items.first).to_contain_text("Dimatikan di perangkat")
    expect(drawer.locator("li.history-item[data-kind='command']").first).to_contain_text("Dinyalakan oleh Ibu Sari")
    expect(drawer.locator("li.history-item[data-kind='device']")).to_have_count(1)
    expect(drawer.locator(".today-bar .seg-on")).to_have_count(1)
    a.shot("history-drawer-admin")
    # Back closes the drawer and stays in the app.
    a.page.go_back()
    expect(drawer).to_have_count(0)
    assert a.page.url.endswith("#/lampu")
