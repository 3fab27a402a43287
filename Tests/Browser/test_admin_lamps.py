"""Kelola → Lampu and Penemuan: add, edit and delete a lamp from the screen and see it through the API; a 4-relay
simulated device appears in the discovery inbox by itself and becomes 4 lamps in one click each, each switching its
own relay (checked on the broker); a member who manages a lamp edits it but cannot add or delete."""

import re
import uuid

from playwright.sync_api import expect

from conftest import ADMIN
from harness import ApiError, Simulator, create_member, register, wait_until
from test_lamps import tile


def admin_page(open_page, route, ready, user=ADMIN, **kw):
    w = open_page(user=user, **kw)
    w.goto("/" + route)
    expect(w.page.locator(ready).first).to_be_visible()
    return w


def test_lamp_add_edit_delete_seen_through_the_api(open_page, household, admin_api):
    suffix = uuid.uuid4().hex[:6]
    device_id = f"teras_{suffix}"
    w = admin_page(open_page, "#/kelola/lampu", ".lamp-admin-list .admin-row")
    page = w.page
    # Add: a new room typed in, channel from the fallback list (the device never reported its relays).
    page.get_by_role("button", name="Tambah lampu").click()
    dialog = page.get_by_role("dialog", name="Tambah lampu")
    dialog.get_by_label("ID lampu").fill(device_id)
    dialog.get_by_label("Nama lampu").fill("Lampu Teras")
    dialog.get_by_label("Ruangan").fill(f"Teras {suffix}")
    expect(dialog.locator("code.topic")).to_have_text(f"cmnd/{device_id}/POWER")
    dialog.get_by_label("Relai (kanal perintah)").select_option("POWER2")
    expect(dialog.locator("code.topic")).to_have_text(f"cmnd/{device_id}/POWER2")
    dialog.get_by_role("button", name="Tambah", exact=True).click()
    expect(dialog).to_have_count(0)
    row = page.locator(f'.admin-row[data-id="{device_id}"]')
    expect(row).to_contain_text("Lampu Teras")
    got = admin_api.get(f"/api/v1/devices/{device_id}")
    assert (got["name"], got["location"], got["commandChannel"]) == ("Lampu Teras", f"Teras {suffix}", "POWER2")

    # A taken ID is said next to the field, not as a code.
    page.get_by_role("button", name="Tambah lampu").click()
    dialog = page.get_by_role("dialog", name="Tambah lampu")
    dialog.get_by_label("ID lampu").fill(device_id)
    dialog.get_by_label("Nama lampu").fill("Kembar")
    dialog.get_by_role("button", name="Tambah", exact=True).click()
    expect(dialog.locator(".field-error:visible")).to_have_text("Sudah ada lampu dengan ID ini.")
    dialog.get_by_role("button", name="Batal").click()

    # Edit: rename, pick an existing room from the list.
    row.get_by_role("button", name="Ubah Lampu Teras").click()
    dialog = page.get_by_role("dialog", name="Ubah lampu")
    expect(dialog.get_by_label("ID lampu")).to_have_attribute("readonly", "")
    options = dialog.locator("datalist option").evaluate_all("els => els.map((e) => e.value)")
    assert "Dapur" in options and f"Teras {suffix}" in options
    dialog.get_by_label("Nama lampu").fill("Lampu Teras Depan")
    dialog.get_by_label("Ruangan").fill("Dapur")
    dialog.get_by_role("button", name="Simpan").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("Lampu Teras Depan")
    got = admin_api.get(f"/api/v1/devices/{device_id}")
    assert (got["name"], got["location"]) == ("Lampu Teras Depan", "Dapur")

    # Delete: the dialog names what goes with it (one schedule here).
    admin_api.post("/api/v1/schedules", {"deviceId": device_id, "action": "ON", "cron": "0 18 * * *",
                                         "timezone": "Asia/Jakarta"}, idempotent=True)
    row.get_by_role("button", name="Hapus Lampu Teras Depan").click()
    confirm = page.get_by_role("dialog", name="Hapus Lampu Teras Depan?")
    expect(confirm).to_contain_text("1 jadwal")
    confirm.get_by_role("button", name="Hapus lampu").click()
    expect(row).to_have_count(0)
    try:
        admin_api.get(f"/api/v1/devices/{device_id}")
        raise AssertionError("the lamp is still there")
    except ApiError as error:
        assert error.status == 404
    # The taken ID answered 409 on purpose (a server without the usage route answers 404 there too).
    assert [e for e in w.console_errors if "409 (Conflict)" not in e and "404 (Not Found)" not in e] == []


def test_four_relay_device_becomes_four_lamps_each_on_its_own_relay(open_page, household, broker, workdir, observer,
                                                                     admin_api):
    prefix = f"papan{uuid.uuid4().hex[:4]}"
    mqtt_id = f"{prefix}_000001"
    w = admin_page(open_page, "#/kelola/penemuan", "#discovery-title")
    page = w.page
    sim = Simulator(broker, workdir, prefix, 1, relays=4)
    try:
        # By itself: no button pressed.
        card = page.locator(f'.discovery-card[data-mqtt="{mqtt_id}"]')
        expect(card).to_be_visible(timeout=15000)
        expect(card.locator(".relay-row")).to_have_count(4)
        # "Periksa lagi" asks every device and waits a bounded time; the device answers.
        page.get_by_role("button", name="Periksa lagi").click()
        expect(page.locator("#discovery-probe-note")).to_have_text(
            re.compile(r"^(\d+ dari \d+ perangkat menjawab\.|Perangkat sudah ditanyai\.)$"), timeout=15000)
        expect(card.locator(".relay-row")).to_have_count(4)
        card.get_by_label("Ruangan untuk lampu baru (opsional)").fill("Panel Listrik")
        for n in range(1, 5):
            relay = card.locator(f'.relay-row[data-channel="POWER{n}"]')
            relay.get_by_role("button").click()
            expect(relay).to_have_attribute("data-registered", "true")
        lamps = {d["commandChannel"]: d for d in admin_api.get("/api/v1/devices") if d["mqttDeviceId"] == mqtt_id}
        assert sorted(lamps) == ["POWER1", "POWER2", "POWER3", "POWER4"]
        assert all(d["location"] == "Panel Listrik" for d in lamps.values())
        # Each lamp switches its own relay: the command on the broker and the device's own report.
        page.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Lampu").click()
        for channel, d in sorted(lamps.items()):
            t = tile(page, d["id"])
            expect(t).to_have_attribute("data-state", "off", timeout=10000)
            mark = observer.mark()
            t.get_by_role("switch").click()
            observer.wait_for(rf"cmnd/{mqtt_id}/{channel}", "ON", mark)
            observer.wait_for(rf"stat/{mqtt_id}/{channel}", "ON", mark)
            expect(t).to_have_attribute("data-state", "on")
            others = [c for c in lamps if c != channel]
            assert not any(observer.since(mark, rf"cmnd/{mqtt_id}/{o}") for o in others)
    finally:
        sim.stop()
        for d in admin_api.get("/api/v1/devices"):
            if d["mqttDeviceId"] == mqtt_id:
                admin_api.delete(f"/api/v1/devices/{d['id']}", idempotent=True)
    # A server without POST …/discovery/probe answers 404 and the page falls back to GET ?waitMs.
    assert [e for e in w.console_errors if "404 (Not Found)" not in e] == []


def test_member_who_manages_a_lamp_edits_it_but_cannot_add_or_delete(open_page, household, admin_api):
    suffix = uuid.uuid4().hex[:6]
    device_id = f"meja_{suffix}"
    register(admin_api, device_id, "Lampu Meja", "Kamar Anak")
    email = f"anak{suffix}@rumah.test"
    create_member(admin_api, email, "Anak", "rahasia-anak-1", {device_id: ("manage", "none"), "rumah_000001": ("control", "none")})
    try:
        w = admin_page(open_page, "#/lampu", "article.tile", user=(email, "rahasia-anak-1"))
        page = w.page
        nav = page.get_by_role("navigation", name="Navigasi utama")
        nav.get_by_role("link", name="Kelola").click()
        expect(page.locator(f'.admin-row[data-id="{device_id}"]')).to_be_visible()
        # Only the lamp it manages; only the lamp and audit parts; no add, no delete.
        expect(page.locator(".lamp-admin-list .admin-row")).to_have_count(1)
        expect(page.locator(".subnav a")).to_have_text(["Lampu", "Log audit"])
        expect(page.get_by_role("button", name="Tambah lampu")).to_have_count(0)
        expect(page.get_by_role("button", name="Hapus Lampu Meja")).to_have_count(0)
        page.get_by_role("button", name="Ubah Lampu Meja").click()
        dialog = page.get_by_role("dialog", name="Ubah lampu")
        expect(dialog.get_by_label("ID MQTT perangkat")).to_have_count(0)
        dialog.get_by_label("Nama lampu").fill("Lampu Belajar")
        dialog.get_by_role("button", name="Simpan").click()
        expect(dialog).to_have_count(0)
        assert admin_api.get(f"/api/v1/devices/{device_id}")["name"] == "Lampu Belajar"
        # The list shows the new name once the page's lamps were reloaded (the drawer reads them).
        expect(page.locator(f'.admin-row[data-id="{device_id}"]')).to_contain_text("Lampu Belajar")
        # The lamp's drawer offers the same edit to whoever manages it, and nothing on a lamp it only controls.
        page.evaluate(f"location.hash = '#/lampu/{device_id}'")
        drawer = page.get_by_role("dialog", name="Lampu Belajar")
        drawer.get_by_role("button", name="Ubah").click()
        dialog = page.get_by_role("dialog", name="Ubah lampu")
        dialog.get_by_label("Ruangan").fill("Kamar Belajar")
        dialog.get_by_role("button", name="Simpan").click()
        expect(dialog).to_have_count(0)
        assert admin_api.get(f"/api/v1/devices/{device_id}")["location"] == "Kamar Belajar"
        page.keyboard.press("Escape")
        expect(page).to_have_url(w.base + "/#/lampu")
        page.evaluate("location.hash = '#/lampu/rumah_000001'")
        expect(page.get_by_role("dialog", name="Lampu Sofa")).to_be_visible()
        expect(page.locator("#drawer-edit")).to_have_count(0)
        page.keyboard.press("Escape")
        expect(page).to_have_url(w.base + "/#/lampu")
        # An admin part typed in by hand leads back to the lamps part.
        page.evaluate("location.hash = '#/kelola/kunci'")
        expect(page).to_have_url(w.base + "/#/kelola/lampu")
    finally:
        # Also when the test fails: a leftover lamp would change the rooms other tests count.
        admin_api.delete(f"/api/v1/devices/{device_id}", idempotent=True)
    assert w.console_errors == []


def test_kelola_is_hidden_from_members_without_manage(open_page, household, admin_api):
    suffix = uuid.uuid4().hex[:6]
    email = f"tamu{suffix}@rumah.test"
    create_member(admin_api, email, "Tamu", "rahasia-tamu-1", {"rumah_000002": ("control", "manage")})
    w = admin_page(open_page, "#/lampu", "article.tile", user=(email, "rahasia-tamu-1"))
    nav = w.page.get_by_role("navigation", name="Navigasi utama")
    expect(nav.get_by_role("link", name="Jadwal")).to_be_visible()
    expect(nav.get_by_role("link", name="Kelola")).to_be_hidden()
    w.page.evaluate("location.hash = '#/kelola/anggota'")
    expect(w.page).to_have_url(w.base + "/#/lampu")
    wait_until(lambda: w.page.locator("article.tile").count() == 1, 5, message="one tile")
