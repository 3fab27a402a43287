"""Kelola → Log audit and Sistem (routes of the adminapi server; run with SMARTLAMP_BIN=…/smartlamp-adminapi): the
audit table's rows under filters are exactly the API's rows, and the CSV link with the same filters carries the same
rows; the system page shows the broker down (the test stops Mosquitto) and then recovered."""

import csv
import datetime
import io
import uuid

import pytest
from playwright.sync_api import expect

from conftest import ADMIN
from harness import ApiError, Broker, Server, register, wait_until
from test_admin_lamps import admin_page


def has_route(api, path):
    try:
        api.get(path)
        return True
    except ApiError as error:
        return error.status != 404


@pytest.fixture(scope="module")
def audit_lamp(household, admin_api, broker, workdir):
    if not has_route(admin_api, "/api/v1/history?limit=1"):
        pytest.skip("this server has no /api/v1/history (use the adminapi binary)")
    from harness import Simulator
    prefix = f"audit{uuid.uuid4().hex[:4]}"
    device_id = f"{prefix}_000001"
    register(admin_api, device_id, "Lampu Audit", "Gudang")
    sim = Simulator(broker, workdir, prefix, 1)
    wait_until(lambda: admin_api.get(f"/api/v1/devices/{device_id}/status").get("online") is True, 10,
               message="audit lamp online")
    key = admin_api.post("/api/v1/integrations/clients", {"name": "Audit key", "scopes": ["read", "command"]})
    # Commands from a person and from a key; both confirmed by the simulated lamp.
    for action in ("ON", "OFF", "ON"):
        admin_api.post("/api/v1/commands/execute", {"deviceId": device_id, "action": action,
                                                    "requestId": str(uuid.uuid4()), "waitForAck": True},
                       idempotent=True)
    keyed = type(admin_api)(admin_api.base)
    keyed.call("POST", "/api/v1/commands/execute", {"deviceId": device_id, "action": "OFF",
                                                    "requestId": str(uuid.uuid4()), "waitForAck": True},
               idempotent=True, headers={"Authorization": f"Bearer {key['apiKey']}"})
    yield {"id": device_id, "key": key}
    sim.stop()


def table_ids(page):
    return page.locator(".audit-table tbody tr").evaluate_all("rows => rows.map((r) => r.dataset.id)")


def api_ids(api, query):
    return [item["id"] for item in api.get(f"/api/v1/history?{query}&limit=200")["items"]]


def csv_ids(api, href):
    with api.opener.open(api.base + href, timeout=30) as resp:
        assert resp.headers.get("Content-Type", "").startswith("text/csv")
        text = resp.read().decode()
    return [row["id"] for row in csv.DictReader(io.StringIO(text))]


def test_audit_filters_and_csv_match_the_api(open_page, admin_api, audit_lamp):
    device_id = audit_lamp["id"]
    w = admin_page(open_page, "#/kelola/audit", ".audit-table tbody tr")
    page = w.page
    page.get_by_label("Lampu", exact=True).select_option(device_id)
    expected = api_ids(admin_api, f"deviceId={device_id}")
    wait_until(lambda: table_ids(page) == expected, 10, message="rows of the lamp")
    assert len([i for i in expected if i.startswith("c")]) == 4
    assert csv_ids(admin_api, page.locator("#audit-csv").get_attribute("href")) == expected
    # Person + outcome: the admin's confirmed commands (a key's commands count for its owner too).
    admin_id = next(u for u in admin_api.get("/api/v1/users") if u["role"] == "admin")["id"]
    page.get_by_label("Oleh").select_option(f"user:{admin_id}")
    page.get_by_label("Hasil").select_option("ACKED")
    expected = api_ids(admin_api, f"deviceId={device_id}&userId={admin_id}&status=ACKED")
    assert len(expected) >= 3
    wait_until(lambda: table_ids(page) == expected, 10, message="the admin's confirmed commands")
    href = page.locator("#audit-csv").get_attribute("href")
    assert "userId=" in href and "status=ACKED" in href
    assert csv_ids(admin_api, href) == expected
    expect(page.locator(".audit-table tbody tr").first.locator("td.num")).to_contain_text("ms")
    # The key, by origin.
    page.get_by_label("Oleh").select_option("")
    page.get_by_label("Hasil").select_option("")
    page.get_by_label("Asal").select_option("api_key")
    expected = api_ids(admin_api, f"deviceId={device_id}&origin=api_key")
    assert len(expected) == 1
    wait_until(lambda: table_ids(page) == expected, 10, message="the key's command")
    expect(page.locator(".audit-table tbody tr")).to_contain_text("Audit key")
    # A date range that ends before today has nothing.
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    page.get_by_label("Sampai tanggal").fill(yesterday)
    expect(page.locator(".audit-table tbody tr")).to_have_count(0)
    expect(page.get_by_text("Tidak ada catatan untuk saringan ini.")).to_be_visible()
    assert csv_ids(admin_api, page.locator("#audit-csv").get_attribute("href")) == []
    page.get_by_role("button", name="Hapus saringan").click()
    expect(page.locator(".audit-table tbody tr").first).to_be_visible()
    assert w.console_errors == []


def test_system_page_shows_the_broker_down_and_recovered(open_page, workdir):
    own = workdir / f"system-{uuid.uuid4().hex[:4]}"
    own.mkdir()
    broker = Broker(own)
    srv = Server(broker, own)
    try:
        if not has_route(srv.admin(), "/api/v1/system"):
            pytest.skip("this server has no /api/v1/system (use the adminapi binary)")
        w = open_page(user=ADMIN, srv=srv)
        w.goto("/#/kelola/sistem")
        page = w.page
        check = page.locator('[data-check="broker"]')
        expect(check).to_have_attribute("data-ok", "true", timeout=10000)
        expect(page.locator('[data-fact="version"]')).not_to_be_empty()
        expect(page.locator('[data-fact="streams"]')).not_to_have_text("0")
        broker.stop()
        expect(check).to_have_attribute("data-ok", "false", timeout=15000)
        expect(check).to_contain_text("terputus")
        expect(page.locator("[data-ready]")).to_have_text("Tidak siap")
        w.shot("admin-system-broker-down")
        broker.start_again()
        expect(check).to_have_attribute("data-ok", "true", timeout=30000)
        expect(page.locator("[data-ready]")).to_have_text("Siap")
        assert page.locator("#system-openapi").get_attribute("href") == "/api/v1/openapi.json"
        # The page's own polling hit no errors; failed stream reconnects while the broker was away are not errors.
        assert w.console_errors == []
    finally:
        srv.stop()
        broker.stop()


def test_audit_pages_with_a_cursor(open_page, admin_api, observer, audit_lamp):
    """More rows than one page: "Muat lebih banyak" follows nextCursor and the rows are the API's, in order."""
    from test_lamps import fake_lamp
    device_id = fake_lamp(observer, admin_api, "Lampu Kedip", "Gudang")
    for i in range(60):
        observer.publish(f"stat/{device_id}/POWER", "ON" if i % 2 == 0 else "OFF")
    # Every report stored (the last one is OFF), so the list no longer grows while the page reads it.
    wait_until(lambda: len(api_ids(admin_api, f"deviceId={device_id}")) >= 60, 15, interval=0.2,
               message="device-side rows")
    expected = api_ids(admin_api, f"deviceId={device_id}")
    assert len(expected) > 50
    w = admin_page(open_page, "#/kelola/audit", ".audit-table tbody tr")
    page = w.page
    page.get_by_label("Lampu", exact=True).select_option(device_id)
    wait_until(lambda: table_ids(page) == expected[:50], 10, message="the first page")
    page.get_by_role("button", name="Muat lebih banyak").click()
    wait_until(lambda: table_ids(page) == expected, 10, message="both pages")
    expect(page.get_by_role("button", name="Muat lebih banyak")).to_be_hidden()
    expect(page.locator(".audit-table tbody tr").first).to_contain_text("Di perangkat")
    admin_api.delete(f"/api/v1/devices/{device_id}", idempotent=True)
    assert w.console_errors == []
