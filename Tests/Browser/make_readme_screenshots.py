"""Makes the README screenshots (docs/screenshots/): the login page on a phone, the lamps on a desktop, a family
member's per-lamp permissions (Kelola → Anggota) and the schedules, from the real binary with simulated lamps. Run with the venv's python; SMARTLAMP_BIN as for the tests."""

import sys
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, REPO, Broker, Server, Simulator, create_member, register,
                     wait_until)

OUT = REPO / "docs" / "screenshots"
LAMPS = [("Lampu Sofa", "Ruang Tamu"), ("Lampu Baca", "Ruang Tamu"), ("Lampu Dapur", "Dapur"),
         ("Lampu Tidur", "Kamar Tidur"), ("Lampu Teras", "Teras"), ("Lampu Pagar", "Teras")]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="readme-shots-"))
    broker = Broker(work)
    server = Server(broker, work)
    admin = server.admin()
    for i, (name, room) in enumerate(LAMPS):
        register(admin, f"rumah_{i + 1:06d}", name, room)
    sim = Simulator(broker, work, "rumah", len(LAMPS))
    try:
        wait_until(lambda: all(s["power"] != "UNKNOWN" for s in admin.get("/api/v1/status")), 30)
        for device_id in ("rumah_000001", "rumah_000005"):
            admin.post("/api/v1/commands/execute", {"deviceId": device_id, "action": "ON",
                                                    "requestId": str(uuid.uuid4()), "waitForAck": True},
                       idempotent=True)
        member = create_member(admin, "budi@rumah.test", "Budi", "rahasia-budi-1",
                               {"rumah_000001": ("control", "manage"), "rumah_000003": ("monitoring", "none"),
                                "rumah_000004": ("control", "monitoring")})
        for body in ({"deviceId": "rumah_000005", "action": "ON", "cron": "0 18 * * *", "timezone": "Asia/Jakarta"},
                     {"deviceId": "rumah_000005", "action": "OFF", "cron": "0 5 * * *", "timezone": "Asia/Jakarta"},
                     {"deviceId": "rumah_000004", "action": "OFF", "cron": "30 22 * * 1-5",
                      "timezone": "Asia/Jakarta"}):
            admin.post("/api/v1/schedules", body, idempotent=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            phone = browser.new_context(viewport={"width": 360, "height": 640}, color_scheme="dark",
                                        service_workers="block")
            page = phone.new_page()
            page.goto(server.base + "/")
            expect(page.locator("#login-email")).to_be_visible()
            page.locator("#login-email").fill(ADMIN_EMAIL)
            page.locator("#login-email").blur()
            page.screenshot(path=str(OUT / "login-phone.png"))
            desk = browser.new_context(viewport={"width": 1100, "height": 640}, color_scheme="dark",
                                       service_workers="block")
            page = desk.new_page()
            page.goto(server.base + "/")
            page.locator("#login-email").fill(ADMIN_EMAIL)
            page.locator("#login-password").fill(ADMIN_PASSWORD)
            page.locator("form button[type=submit]").click()
            expect(page.locator('.conn[data-stream="live"]')).to_have_count(1)
            expect(page.locator('article.tile[data-state="on"]')).to_have_count(2)
            page.screenshot(path=str(OUT / "lamps-desktop.png"))
            page.set_viewport_size({"width": 1100, "height": 1060})
            page.evaluate(f"location.hash = '#/kelola/anggota/{member['id']}'")
            expect(page.get_by_role("heading", name="Budi")).to_be_visible()
            expect(page.locator(".assign-row").first).to_be_visible()
            page.screenshot(path=str(OUT / "member-permissions-desktop.png"))
            page.evaluate("location.hash = '#/jadwal'")
            expect(page.locator("article.schedule-card")).to_have_count(3)
            page.screenshot(path=str(OUT / "schedules-desktop.png"))
            browser.close()
    finally:
        sim.stop()
        server.stop()
        broker.stop()
    for f in sorted(OUT.glob("*.png")):
        print(f, f.stat().st_size, "bytes")


if __name__ == "__main__":
    sys.exit(main())
