"""Kelola → Anggota and Kunci API: a member created and given two lamps (one to watch, one to switch) from the
screen sees exactly those two with the right controls in a second browser context; taking a lamp away while their
page is open removes it live; the upstream's permission rules are applied and said; a whole room in one click; the
last-admin guard in words. An API key is shown once, works, is revoked behind a confirmation and is then refused."""

import json
import subprocess
import urllib.error
import urllib.request
import uuid

from playwright.sync_api import expect

from conftest import ADMIN
from harness import ADMIN_EMAIL
from test_admin_lamps import admin_page
from test_lamps import tile


def assignment_row(page, device_id):
    return page.locator(f'.assign-row[data-device="{device_id}"]')


def test_member_with_two_lamps_sees_them_and_loses_one_live(open_page, household, admin_api, browser):
    suffix = uuid.uuid4().hex[:6]
    email = f"budi{suffix}@rumah.test"
    w = admin_page(open_page, "#/kelola/anggota", ".member-list .admin-row")
    page = w.page
    page.get_by_role("button", name="Tambah anggota").click()
    dialog = page.get_by_role("dialog", name="Anggota baru")
    dialog.get_by_label("Nama").fill("Budi")
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Kata sandi awal").fill("pendek")
    dialog.get_by_role("button", name="Tambah anggota").click()
    expect(dialog.locator(".field-error:visible")).to_have_text("Kata sandi 8–128 karakter.")
    dialog.get_by_label("Kata sandi awal").fill("rahasia-budi-1")
    dialog.get_by_role("button", name="Tambah anggota").click()
    expect(page.get_by_role("heading", name="Budi")).to_be_visible()
    # Lampu Sofa to watch, Lampu Dapur to switch.
    sofa = assignment_row(page, "rumah_000001")
    dapur = assignment_row(page, "rumah_000003")
    sofa.get_by_role("checkbox").check()
    expect(sofa.get_by_label("Izin lampu")).to_have_value("monitoring")
    dapur.get_by_role("checkbox").check()
    dapur.get_by_label("Izin lampu").select_option("control")
    # The rules, applied and said: schedule "Kelola" lifts a watched lamp to Kendali; lowering it turns it back.
    sofa.get_by_label("Izin jadwal").select_option("manage")
    expect(sofa.get_by_label("Izin lampu")).to_have_value("control")
    expect(sofa.locator(".assign-note")).to_have_text("Izin lampu dinaikkan ke Kendali agar bisa mengelola jadwal.")
    sofa.get_by_label("Izin lampu").select_option("monitoring")
    expect(sofa.get_by_label("Izin jadwal")).to_have_value("monitoring")
    sofa.get_by_label("Izin jadwal").select_option("none")
    page.get_by_role("button", name="Simpan izin").click()
    expect(page.locator(".assign-foot [role=status]")).to_have_text("2 lampu diberikan.")
    users = admin_api.get("/api/v1/users")
    budi = next(u for u in users if u["email"] == email)
    got = {a["deviceId"]: (a["devicePermission"], a["schedulePermission"])
           for a in admin_api.get(f"/api/v1/users/{budi['id']}/assignments")["assignments"] if a["assigned"]}
    assert got == {"rumah_000001": ("monitoring", "none"), "rumah_000003": ("control", "none")}

    # Budi, in a second browser context: exactly those two, the watched one without a switch.
    m = open_page(user=(email, "rahasia-budi-1"))
    m.goto("/#/lampu")
    expect(m.page.locator('.conn[data-stream="live"]')).to_have_count(1)
    expect(m.page.locator("article.tile")).to_have_count(2)
    expect(tile(m.page, "rumah_000001").get_by_role("switch")).to_have_count(0)
    expect(tile(m.page, "rumah_000001")).to_contain_text("Hanya pantau")
    expect(tile(m.page, "rumah_000003").get_by_role("switch")).to_have_count(1)
    expect(m.page.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Kelola")).to_be_hidden()

    # Taken away while Budi's page is open: the lamp leaves his screen by itself.
    dapur.get_by_role("checkbox").uncheck()
    expect(dapur.get_by_label("Izin lampu")).to_be_disabled()
    page.get_by_role("button", name="Simpan izin").click()
    expect(page.locator(".assign-foot [role=status]")).to_have_text("1 lampu diberikan.")
    expect(tile(m.page, "rumah_000003")).to_have_count(0, timeout=10000)
    expect(m.page.locator("article.tile")).to_have_count(1)

    # A whole room in one click: both lamps of Ruang Tamu, as Kendali.
    room = page.locator('.assign-room[data-room="Ruang Tamu"]')
    room.get_by_role("button", name="Beri semua lampu di ruangan ini").click()
    expect(assignment_row(page, "rumah_000002").get_by_role("checkbox")).to_be_checked()
    expect(tile(m.page, "rumah_000002")).to_have_count(1, timeout=10000)
    got = {a["deviceId"]: a["devicePermission"]
           for a in admin_api.get(f"/api/v1/users/{budi['id']}/assignments")["assignments"] if a["assigned"]}
    assert got == {"rumah_000001": "control", "rumah_000002": "control"}
    assert w.console_errors == [] and m.console_errors == []


def test_member_search_archive_restore_and_last_admin_guard(open_page, household, admin_api):
    suffix = uuid.uuid4().hex[:6]
    email = f"sari{suffix}@rumah.test"
    sari = admin_api.post("/api/v1/users", {"email": email, "name": f"Sari {suffix}", "password": "rahasia-sari-1"})
    w = admin_page(open_page, "#/kelola/anggota", ".member-list .admin-row")
    page = w.page
    page.get_by_label("Cari nama atau email").fill(suffix)
    expect(page.locator(".member-list .admin-row")).to_have_count(1)
    page.get_by_role("link", name=f"Atur Sari {suffix}").click()
    page.get_by_role("button", name="Arsipkan").click()
    page.get_by_role("dialog").get_by_role("button", name="Arsipkan").click()
    expect(page.locator(".member-page .badges")).to_contain_text("Diarsipkan")
    assert next(u for u in admin_api.get("/api/v1/users?includeArchived=true") if u["id"] == sari["id"])["isArchived"]
    page.get_by_role("link", name="← Semua anggota").click()
    page.get_by_label("Cari nama atau email").fill(suffix)
    expect(page.locator(".member-list .admin-row")).to_have_count(0)
    page.get_by_label("Tampilkan yang diarsipkan").check()
    expect(page.locator('.member-list .admin-row[data-status="archived"]')).to_have_count(1)
    page.get_by_role("link", name=f"Atur Sari {suffix}").click()
    page.get_by_role("button", name="Pulihkan").click()
    expect(page.locator(".member-page .badges")).to_contain_text("Aktif")
    # Reset password: the new one works.
    page.get_by_label("Kata sandi baru").fill("sandi-baru-sari")
    page.get_by_role("button", name="Atur ulang").click()
    expect(page.locator(".toast", has_text="diatur ulang")).to_have_count(1)
    from harness import Api
    fresh = Api(admin_api.base)
    fresh.login(email, "sandi-baru-sari")

    # The only active admin: demoting is stopped with a sentence, nothing is sent.
    admin_id = next(u for u in admin_api.get("/api/v1/users") if u["email"] == ADMIN_EMAIL)["id"]
    page.evaluate(f"location.hash = '#/kelola/anggota/{admin_id}'")
    expect(page.locator(".member-page")).to_be_visible()
    page.get_by_label("Peran").select_option("member")
    page.locator(".member-page form").first.get_by_role("button", name="Simpan").click()
    expect(page.locator(".member-page .warning")).to_contain_text("satu-satunya administrator aktif")
    assert next(u for u in admin_api.get("/api/v1/users") if u["id"] == admin_id)["role"] == "admin"
    assert w.console_errors == []


def call(base, path, key, method="GET", body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", f"Bearer {key}")
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", "application/json")
        req.add_header("Idempotency-Key", str(uuid.uuid4()))
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def test_api_key_shown_once_works_then_revoked_and_refused(open_page, household, admin_api):
    name = f"Skrip {uuid.uuid4().hex[:4]}"
    w = admin_page(open_page, "#/kelola/kunci", "#keys-title")
    w.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = w.page
    # The how-to panel uses this server's own address.
    expect(page.locator(".howto code", has_text="curl").first).to_contain_text(f"{w.base}/api/v1/devices")
    page.get_by_role("button", name="Buat kunci").click()
    dialog = page.get_by_role("dialog", name="Kunci API baru")
    dialog.get_by_label("Nama kunci").fill(name)
    dialog.get_by_label("Perintah").check()
    dialog.get_by_role("button", name="Buat", exact=True).click()
    shown = page.get_by_role("dialog", name=f'Kunci "{name}" dibuat')
    expect(shown).to_contain_text("tidak akan ditampilkan lagi")
    key = shown.get_by_label("Kunci API").input_value()
    assert len(key) > 20
    expect(shown.locator(".howto code")).to_contain_text(f"Bearer {key}")
    example = shown.locator(".howto code").inner_text()
    # 127.0.0.1 is a secure context: the copy button is there and puts the key on the clipboard.
    shown.get_by_role("button", name="Salin", exact=True).click()
    expect(shown).to_contain_text("Tersalin ke papan klip.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    shown.get_by_role("button", name="Sudah saya salin").click()
    expect(page.locator("dialog")).to_have_count(0)
    # Shown once: nowhere on the page any more.
    assert key not in page.content()
    assert call(w.base, "/api/v1/devices", key) == 200
    # The example on the screen, run as printed: both requests succeed and the second one switches a lamp.
    run = subprocess.run(["bash", "-c", example.replace("curl ", "curl -sS -f ")], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 0, run.stderr
    assert '"success":true' in run.stdout.replace(" ", "")
    assert call(w.base, "/api/v1/commands/execute", key, "POST", {"deviceId": "rumah_000005", "action": "OFF",
                                                                      "requestId": str(uuid.uuid4())}) in (200, 202)
    row = page.locator(".key-list .admin-row", has_text=name)
    expect(row).to_have_attribute("data-status", "active")
    row.get_by_role("button", name=f"Cabut {name}").click()
    page.get_by_role("dialog", name=f"Cabut kunci {name}?").get_by_role("button", name="Cabut").click()
    expect(row).to_have_attribute("data-status", "revoked")
    assert call(w.base, "/api/v1/devices", key) == 401
    assert w.console_errors == []


def test_api_key_copy_degrades_without_a_secure_context(open_page, household):
    # A household at http://192.168.x.y has no clipboard API: the key is selected for a manual copy instead.
    w = admin_page(open_page, "#/kelola/kunci", "#keys-title",
                   init_script="Object.defineProperty(window, 'isSecureContext', { value: false });")
    page = w.page
    page.get_by_role("button", name="Buat kunci").click()
    dialog = page.get_by_role("dialog", name="Kunci API baru")
    dialog.get_by_label("Nama kunci").fill(f"Tanpa HTTPS {uuid.uuid4().hex[:4]}")
    dialog.get_by_role("button", name="Buat", exact=True).click()
    shown = page.locator("dialog[open]", has_text="tidak akan ditampilkan lagi")
    expect(shown.get_by_role("button", name="Salin", exact=True)).to_have_count(0)
    expect(shown).to_contain_text("Tombol salin hanya ada di alamat HTTPS.")
    field = shown.get_by_label("Kunci API")
    assert field.evaluate("el => el.selectionStart === 0 && el.selectionEnd === el.value.length")
    assert w.console_errors == []
