"""The heart: lamps by room with truthful states, toggles confirmed by the device (seen on the broker by an
independent MQTT client), reverts on silence, LWT live, member permissions, "Matikan semua" batches."""

import json
import re
import uuid

from playwright.sync_api import expect

from conftest import ADMIN
from harness import create_member, register, wait_until


def tile(page, device_id):
    return page.locator(f'article.tile[data-id="{device_id}"]')


def lamps_page(open_page, user=ADMIN, **kw):
    """A signed-in lamps view whose realtime stream is connected (snapshot received)."""
    w = open_page(user=user, **kw)
    w.goto("/#/lampu")
    expect(w.page.locator("article.tile").first).to_be_visible()
    expect(w.page.locator('.conn[data-stream="live"]')).to_have_count(1)
    return w


def last_power(observer, device_id):
    """The last power state the device itself reported on the broker (stat/…/POWER, stat/…/RESULT or the POWER
    field of tele/…/STATE)."""
    state = None
    for topic, payload in observer.since(0, rf"(stat/{device_id}/(POWER|RESULT))|(tele/{device_id}/STATE)"):
        if topic.endswith("/POWER"):
            state = payload.strip().upper()
        else:
            try:
                state = json.loads(payload).get("POWER", state)
            except ValueError:
                pass
    return state


def fake_lamp(observer, admin_api, name, room, power="OFF"):
    """A lamp driven by the test itself on the broker (it never answers commands unless the test does)."""
    device_id = f"fake_{uuid.uuid4().hex[:8]}"
    register(admin_api, device_id, name, room)
    observer.publish(f"tele/{device_id}/LWT", "Online", retain=True)
    observer.publish(f"stat/{device_id}/POWER", power)
    return device_id


def test_lamps_render_per_room_with_truthful_states(open_page, household, observer):
    w = lamps_page(open_page)
    page = w.page
    for device_id, info in household["devices"].items():
        t = tile(page, device_id)
        expect(t).to_have_count(1)
        section = page.locator("section.room", has=t)
        expect(section.locator("h2")).to_have_text(info["room"] or "Tanpa ruangan")
    # A lamp never seen on the broker is unknown (two buttons), never drawn as off.
    never = tile(page, "rumah_never")
    expect(never).to_have_attribute("data-state", "unknown")
    expect(never.get_by_role("button", name="Nyalakan")).to_be_visible()
    expect(never.get_by_role("button", name="Matikan")).to_be_visible()
    expect(never.get_by_role("switch")).to_have_count(0)
    # Every simulated lamp shows what the device reported on the broker.
    for device_id in household["sim"].ids:
        reported = wait_until(lambda: last_power(observer, device_id), 10, message=f"{device_id} report")
        t = tile(page, device_id)
        expect(t).to_have_attribute("data-state", "on" if reported == "ON" else "off")
        switch = t.get_by_role("switch", name=household["devices"][device_id]["name"])
        expect(switch).to_have_attribute("aria-checked", "true" if reported == "ON" else "false")
    # Rooms are sorted by name with "Tanpa ruangan" last; each says how many lamps are on.
    # text_content: a section below the fold is not rendered (content-visibility), so its inner text is empty.
    headings = [t.strip() for t in page.locator("section.room:not(.room-favourites) h2").all_text_contents()]
    sections = page.locator("section.room").evaluate_all(
        "els => els.map((e) => [e.dataset.room, e.hidden, e.className, [...e.querySelectorAll('article')].map((a) => a.dataset.id)])")
    assert headings[-1] == "Tanpa ruangan", "\n".join(map(str, sections))
    assert headings[:-1] == sorted(headings[:-1], key=str.lower)
    room = page.locator("section.room", has=tile(page, "rumah_000001"))
    expect(room.locator(".room-count")).to_have_text(re.compile(r"^\d+ dari 2 menyala$"))
    assert w.console_errors == []
    assert w.foreign_requests == []


def test_toggle_sends_command_and_waits_for_the_device(open_page, simulate, admin_api, observer):
    sim = simulate("lambat", [("Lampu Teras", "Teras")], latency_ms=700)
    device_id = sim.ids[0]
    wait_until(lambda: last_power(observer, device_id), 10, message="first report")
    w = lamps_page(open_page)
    t = tile(w.page, device_id)
    expect(t).to_have_attribute("data-state", "off")
    mark = observer.mark()
    t.get_by_role("switch", name="Lampu Teras").click()
    # Pending until the device confirms: busy, the switch still says what the device last reported.
    expect(t).to_have_attribute("data-state", "pending")
    expect(t.get_by_role("switch")).to_have_attribute("aria-busy", "true")
    expect(t.get_by_role("switch")).to_have_attribute("aria-checked", "false")
    expect(t).to_contain_text("Menunggu perangkat")
    observer.wait_for(rf"cmnd/{device_id}/POWER", "ON", mark)
    observer.wait_for(rf"stat/{device_id}/(POWER|RESULT)", None, mark)
    expect(t).to_have_attribute("data-state", "on")
    expect(t.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    expect(t.get_by_role("switch")).not_to_have_attribute("aria-busy", "true")
    assert last_power(observer, device_id) == "ON"
    assert observer.commands(mark, device_id) == [(device_id, "ON")]
    # Back off again, through the same path.
    mark = observer.mark()
    t.get_by_role("switch", name="Lampu Teras").click()
    observer.wait_for(rf"cmnd/{device_id}/POWER", "OFF", mark)
    expect(t).to_have_attribute("data-state", "off")
    assert w.console_errors == []


def test_silent_device_reverts_with_a_message(open_page, admin_api, observer):
    device_id = fake_lamp(observer, admin_api, "Lampu Diam", "Garasi", "OFF")
    w = lamps_page(open_page)
    t = tile(w.page, device_id)
    expect(t).to_have_attribute("data-state", "off")
    mark = observer.mark()
    t.get_by_role("switch", name="Lampu Diam").click()
    expect(t).to_have_attribute("data-state", "pending")
    observer.wait_for(rf"cmnd/{device_id}/POWER", "ON", mark)
    # Nobody answers: the server's acknowledgement times out, the tile reverts and says so in words.
    expect(t).to_have_attribute("data-state", "off", timeout=15000)
    expect(t.get_by_role("switch")).to_have_attribute("aria-checked", "false")
    expect(w.page.locator(".toast-error")).to_contain_text("Lampu Diam tidak menjawab")


def test_lwt_offline_and_online_flip_the_tile_live(open_page, admin_api, observer):
    device_id = fake_lamp(observer, admin_api, "Lampu Pagar", "Halaman", "ON")
    w = lamps_page(open_page)
    t = tile(w.page, device_id)
    expect(t).to_have_attribute("data-state", "on")
    observer.publish(f"tele/{device_id}/LWT", "Offline", retain=True)
    expect(t).to_have_attribute("data-state", "offline")
    expect(t).to_contain_text(re.compile(r"Offline sejak \d{2}\.\d{2}"))
    switch = t.get_by_role("switch", name="Lampu Pagar")
    expect(switch).to_be_disabled()
    # The last known value is kept while offline.
    expect(switch).to_have_attribute("aria-checked", "true")
    observer.publish(f"tele/{device_id}/LWT", "Online", retain=True)
    expect(t).to_have_attribute("data-state", "on")
    expect(switch).to_be_enabled()


def test_reload_keeps_the_session_and_the_view(open_page, household):
    w = lamps_page(open_page)
    w.page.goto(w.base + "/#/lampu/rumah_000002")
    expect(w.page.locator("dialog.drawer")).to_be_visible()
    w.page.reload()
    expect(w.page.locator("dialog.drawer")).to_be_visible()
    expect(w.page.locator("#login-email")).to_have_count(0)


def test_random_uuid_missing_toggle_still_works(open_page, simulate, admin_api, observer):
    """Plain HTTP from a LAN address has no crypto.randomUUID: toggling must not need it."""
    sim = simulate("lan", [("Lampu LAN", "Lan")])
    device_id = sim.ids[0]
    wait_until(lambda: last_power(observer, device_id), 10, message="first report")
    w = lamps_page(open_page, init_script="delete Crypto.prototype.randomUUID; delete crypto.randomUUID;")
    assert w.page.evaluate("typeof crypto.randomUUID") == "undefined"
    t = tile(w.page, device_id)
    mark = observer.mark()
    t.get_by_role("switch", name="Lampu LAN").click()
    observer.wait_for(rf"cmnd/{device_id}/POWER", "ON", mark)
    expect(t).to_have_attribute("data-state", "on")
    assert w.console_errors == []


def test_member_sees_only_assigned_lamps_and_cannot_control_monitoring_ones(
    open_page, household, admin_api, server, observer
):
    email = f"anak-{uuid.uuid4().hex[:6]}@rumah.test"
    create_member(admin_api, email, "Anak", "rahasia-anak-1", {
        "rumah_000001": ("control", "none"),
        "rumah_000003": ("monitoring", "none"),
        "rumah_000004": ("manage", "manage"),
    })
    w = lamps_page(open_page, user=(email, "rahasia-anak-1"))
    page = w.page
    expect(page.locator("article.tile")).to_have_count(3)
    for hidden in ("rumah_000002", "rumah_000005", "rumah_never"):
        expect(tile(page, hidden)).to_have_count(0)
    expect(tile(page, "rumah_000001")).to_contain_text("Kendali")
    expect(tile(page, "rumah_000004")).to_contain_text("Kelola")
    watch = tile(page, "rumah_000003")
    expect(watch).to_contain_text("Pantau")
    expect(watch.get_by_role("switch")).to_have_count(0)
    expect(watch.get_by_role("button", name=re.compile("Nyalakan|Matikan"))).to_have_count(0)
    # The server agrees: this member may not switch the monitoring-only lamp.
    api = server.api()
    api.login(email, "rahasia-anak-1")
    try:
        api.post("/api/v1/commands/execute", {"deviceId": "rumah_000003", "action": "ON", "requestId": "x-1"},
                 idempotent=True)
        raise AssertionError("monitoring-only lamp accepted a command")
    except Exception as error:  # noqa: BLE001 - ApiError carries the status
        assert getattr(error, "status", None) == 403
    # The controllable one works from the screen, confirmed on the broker.
    mark = observer.mark()
    t = tile(page, "rumah_000001")
    before = t.get_attribute("data-state")
    t.get_by_role("switch").click()
    target = "OFF" if before == "on" else "ON"
    observer.wait_for(r"cmnd/rumah_000001/POWER", target, mark)
    expect(t).to_have_attribute("data-state", target.lower())
    t.get_by_role("switch").click()
    expect(t).to_have_attribute("data-state", before)
