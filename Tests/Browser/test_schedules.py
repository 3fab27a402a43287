"""Schedules from the screen: a window schedule is previewed by the server's engine, created, paused and deleted
(through the <dialog>), and each step is visible through the API; ON/OFF overlaps are flagged; the advanced
cron mode shows the server's validation message."""

import re

from playwright.sync_api import expect

from conftest import ADMIN


def schedules_of(api, device_id):
    return [s for s in api.get("/api/v1/schedules") if s["deviceId"] == device_id]


def set_clock(page, prefix, hh, mm):
    page.locator(f"input[id$='{prefix}-h']").fill(hh)
    page.locator(f"input[id$='{prefix}-m']").fill(mm)


def test_create_preview_pause_delete_window_schedule(open_page, household, admin_api):
    device_id = "rumah_000002"  # Lampu Baca, Ruang Tamu
    for s in schedules_of(admin_api, device_id):
        admin_api.delete(f"/api/v1/schedules/{s['id']}", idempotent=True)
    w = open_page(user=ADMIN)
    page = w.page
    w.goto("/#/jadwal/baru")
    form = page.locator("form.form-card")
    expect(form).to_be_visible()
    form.get_by_label("Lampu").select_option(device_id)
    form.get_by_role("button", name="Hari kerja").click()
    expect(form.locator("button[data-day='6']")).to_have_attribute("aria-pressed", "false")
    expect(form.locator("button[data-day='1']")).to_have_attribute("aria-pressed", "true")
    set_clock(page, "from", "18", "30")
    set_clock(page, "until", "22", "15")
    form.get_by_label("Zona waktu").select_option("Asia/Makassar")
    form.locator("input[id$='-im']").fill("02")
    form.locator("input[id$='-is']").fill("30")
    # The plain-language sentence and the next three runs from the server's schedule engine.
    expect(form.locator(".preview .sentence")).to_have_text("Lampu Baca menyala setiap hari kerja, 18.30–22.15 WITA")
    expect(form.locator(".preview ol li")).to_have_count(3)
    # Each run is on a weekday inside the window: at its start, or (while the window is open when the test runs)
    # at the next enforcement inside it.
    for text in form.locator(".preview ol li").all_inner_texts():
        m = re.search(r"^(Sen|Sel|Rab|Kam|Jum), .* (\d\d)\.(\d\d) WITA$", text)
        assert m, text
        assert 18 * 60 + 30 <= int(m.group(2)) * 60 + int(m.group(3)) <= 22 * 60 + 15, text
    form.get_by_role("button", name="Buat jadwal").click()
    expect(page.locator("article.schedule-card").filter(has_text="Lampu Baca menyala setiap hari kerja")).to_be_visible()
    made = schedules_of(admin_api, device_id)
    assert len(made) == 1
    s = made[0]
    assert s["cron"] == "* * * * * 1,2,3,4,5"
    assert (s["windowStartMinute"], s["windowEndMinute"], s["enforceEveryMinute"]) == (66600, 80100, 150)
    assert s["timezone"] == "Asia/Makassar" and s["action"] == "ON" and s["enabled"] is True
    assert s["windowGroupId"]
    card = page.locator(f"article.schedule-card[data-schedule='{s['id']}']")
    # Pause → the API says disabled; resume → enabled.
    card.get_by_role("button", name="Jeda").click()
    expect(card.locator(".badge.status-paused")).to_have_text("Dijeda")
    assert schedules_of(admin_api, device_id)[0]["enabled"] is False
    card = page.locator(f"article.schedule-card[data-schedule='{s['id']}']")
    card.get_by_role("button", name="Lanjutkan").click()
    expect(card.locator(".badge.status-active")).to_have_text("Aktif")
    assert schedules_of(admin_api, device_id)[0]["enabled"] is True
    # Delete asks first; "Batal" keeps it.
    card = page.locator(f"article.schedule-card[data-schedule='{s['id']}']")
    card.get_by_role("button", name="Hapus").click()
    dialog = page.get_by_role("dialog", name="Hapus jadwal ini?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Batal").click()
    expect(dialog).to_have_count(0)
    assert len(schedules_of(admin_api, device_id)) == 1
    card.get_by_role("button", name="Hapus").click()
    page.get_by_role("dialog").get_by_role("button", name="Hapus").click()
    expect(page.locator(f"article.schedule-card[data-schedule='{s['id']}']")).to_have_count(0)
    assert schedules_of(admin_api, device_id) == []
    assert w.console_errors == []


def test_overlapping_on_and_off_windows_are_flagged(open_page, household, admin_api):
    device_id = "rumah_000004"  # Lampu Tidur
    for s in schedules_of(admin_api, device_id):
        admin_api.delete(f"/api/v1/schedules/{s['id']}", idempotent=True)
    admin_api.post("/api/v1/schedules", {
        "deviceId": device_id, "action": "OFF", "cron": "* * * * * *", "timezone": "Asia/Jakarta",
        "windowGroupId": "0b1e7b8e-4d53-4c1e-9a0e-2f4a6c8d0e11", "windowStartMinute": 22 * 3600,
        "windowEndMinute": 23 * 3600, "enforceEveryMinute": 60}, idempotent=True)
    w = open_page(user=ADMIN)
    page = w.page
    w.goto("/#/jadwal/baru")
    form = page.locator("form.form-card")
    form.get_by_label("Lampu").select_option(device_id)
    set_clock(page, "from", "21", "00")
    set_clock(page, "until", "22", "30")
    expect(form.locator(".warning")).to_contain_text("bertabrakan")
    set_clock(page, "until", "22", "00")
    expect(form.locator(".warning")).to_be_hidden()
    # Overnight window 23.30–06.00 does not touch 22.00–23.00 either.
    set_clock(page, "from", "23", "30")
    set_clock(page, "until", "06", "00")
    expect(form.locator(".preview .sentence")).to_contain_text("23.30–06.00 WIB")
    expect(form.locator(".warning")).to_be_hidden()
    for s in schedules_of(admin_api, device_id):
        admin_api.delete(f"/api/v1/schedules/{s['id']}", idempotent=True)


def test_advanced_cron_shows_the_server_message(open_page, household):
    w = open_page(user=ADMIN)
    page = w.page
    w.goto("/#/jadwal/baru")
    form = page.locator("form.form-card")
    form.get_by_role("button", name="Lanjutan (cron)").click()
    form.get_by_label("Pola cron").fill("61 25 * * *")
    expect(form.locator(".preview .field-error")).to_contain_text("Pola cron tidak valid.")
    expect(form.locator(".preview .server-message")).not_to_be_empty()
    form.get_by_label("Pola cron").fill("0 18 * * 1-5")
    expect(form.locator(".preview ol li")).to_have_count(3)


def test_member_with_monitoring_sees_schedules_without_forms(open_page, household, admin_api):
    import uuid
    from harness import create_member
    made = admin_api.post("/api/v1/schedules", {
        "deviceId": "rumah_000005", "action": "OFF", "cron": "0 23 * * *", "timezone": "Asia/Jayapura"},
        idempotent=True)
    email = f"kakek-{uuid.uuid4().hex[:6]}@rumah.test"
    create_member(admin_api, email, "Kakek", "rahasia-kakek-1", {"rumah_000005": ("control", "monitoring")})
    try:
        w = open_page(user=(email, "rahasia-kakek-1"))
        page = w.page
        w.goto("/#/jadwal")
        card = page.locator(f"article.schedule-card[data-schedule='{made['id']}']")
        expect(card).to_contain_text("Anda hanya bisa melihat jadwal ini.")
        expect(card).to_contain_text("WIT")
        for name in ("Ubah", "Jeda", "Hapus"):
            expect(card.get_by_role("button", name=name)).to_have_count(0)
        expect(card.get_by_role("link", name="Ubah")).to_have_count(0)
        expect(page.get_by_role("link", name="Jadwal baru")).to_have_count(0)
        # The run history is still open to read.
        card.get_by_role("button", name="Riwayat jalan").click()
        expect(card).to_contain_text("Jadwal ini belum pernah berjalan.")
        # Opening the form by its address says there is nothing to manage.
        w.goto("/#/jadwal/baru")
        expect(page.locator(".empty")).to_have_text("Anda belum punya izin mengelola jadwal lampu mana pun.")
    finally:
        admin_api.delete(f"/api/v1/schedules/{made['id']}", idempotent=True)
