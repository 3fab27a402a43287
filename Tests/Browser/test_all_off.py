""""Matikan semua": a room's button and the house-wide one go out as one POST /api/v1/commands/batch; the broker
sees exactly the OFF commands expected (lamps on or unknown that the person may control), and the 5-second
undo turns back on exactly the lamps that were on."""

import uuid

from playwright.sync_api import expect

from conftest import ADMIN
from harness import wait_until
from test_lamps import lamps_page, last_power, tile


def switch_on(admin_api, device_id):
    admin_api.post("/api/v1/commands/execute",
                   {"deviceId": device_id, "action": "ON", "requestId": str(uuid.uuid4()), "waitForAck": True},
                   idempotent=True)


def test_room_all_off_sends_exactly_the_expected_commands(open_page, simulate, admin_api, observer):
    room = f"Ruang Keluarga {uuid.uuid4().hex[:4]}"
    sim = simulate("keluarga", [(f"Lampu Keluarga {i + 1}", room) for i in range(3)] + [("Lampu Luar", f"Luar {room}")])
    for device_id in sim.ids:
        wait_until(lambda: last_power(observer, device_id), 10, message="first report")
    for device_id in (sim.ids[0], sim.ids[1], sim.ids[3]):
        switch_on(admin_api, device_id)
    w = lamps_page(open_page)
    page = w.page
    section = page.locator("section.room", has=tile(page, sim.ids[0]))
    expect(section.locator(".room-count")).to_have_text("2 dari 3 menyala")
    batches = []
    page.on("request", lambda r: batches.append(r.post_data_json) if r.url.endswith("/api/v1/commands/batch") else None)
    mark = observer.mark()
    section.get_by_role("button", name="Matikan semua").click()
    expect(tile(page, sim.ids[0])).to_have_attribute("data-state", "off")
    expect(tile(page, sim.ids[1])).to_have_attribute("data-state", "off")
    expect(section.locator(".room-count")).to_have_text("0 dari 3 menyala")
    observer.wait_for(rf"cmnd/{sim.ids[1]}/POWER", "OFF", mark)
    assert sorted(observer.commands(mark, "keluarga_.*")) == sorted([(sim.ids[0], "OFF"), (sim.ids[1], "OFF")])
    assert len(batches) == 1
    assert sorted(i["deviceId"] for i in batches[0]["items"]) == sorted(sim.ids[:2])
    expect(tile(page, sim.ids[3])).to_have_attribute("data-state", "on")
    assert w.console_errors == []


def test_house_all_off_with_undo(open_page, simulate, admin_api, observer, household):
    sim = simulate("rumah2", [(f"Lampu Rumah {i + 1}", "Rumah Dua") for i in range(3)])
    for device_id in sim.ids:
        wait_until(lambda: last_power(observer, device_id), 10, message="first report")
    switch_on(admin_api, sim.ids[0])
    switch_on(admin_api, sim.ids[2])
    w = lamps_page(open_page)
    page = w.page
    expect(tile(page, sim.ids[2])).to_have_attribute("data-state", "on")
    # What the page will switch: every lamp it shows as on or unknown.
    states = page.eval_on_selector_all("article.tile", "els => els.map(e => [e.dataset.id, e.dataset.state])")
    was_on = sorted(i for i, s in states if s == "on")
    targets = sorted(i for i, s in states if s in ("on", "unknown"))
    assert set(sim.ids[0:3:2]) <= set(was_on)
    mark = observer.mark()
    page.get_by_role("button", name="Matikan semua lampu").click()
    undo = page.get_by_role("button", name="Batalkan")
    expect(undo).to_be_visible()
    for device_id in targets:
        observer.wait_for(rf"cmnd/{device_id}/POWER", "OFF", mark)
    expect(tile(page, sim.ids[0])).to_have_attribute("data-state", "off")
    assert sorted(d for d, p in observer.commands(mark)) == targets
    mark = observer.mark()
    undo.click()
    for device_id in was_on:
        observer.wait_for(rf"cmnd/{device_id}/POWER", "ON", mark)
    expect(tile(page, sim.ids[0])).to_have_attribute("data-state", "on")
    expect(tile(page, sim.ids[1])).to_have_attribute("data-state", "off")
    expect(tile(page, sim.ids[2])).to_have_attribute("data-state", "on")
    assert sorted(d for d, p in observer.commands(mark)) == was_on
    assert all(p == "ON" for _, p in observer.commands(mark))
