"""Fixtures: one private Mosquitto, one real smartlamp server and one headless Chromium for the session; pages
that record console errors and requests to other origins; signed-in pages without going through the login form
(a fresh session per page, so refresh-token rotation in one test never touches another)."""

import json
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from harness import (
    ADMIN_EMAIL, ADMIN_PASSWORD, ARTIFACTS, BINARY, ApiError, Broker, Observer, Server, Simulator, create_member,
    register,
)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SESSION_HINT = "smartlamp.session"


def pytest_configure(config):
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="smartlamp-browser-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def broker(workdir):
    if not Path(BINARY).exists():
        pytest.exit(f"smartlamp binary not found at {BINARY} (set SMARTLAMP_BIN)", returncode=2)
    b = Broker(workdir)
    yield b
    b.stop()


@pytest.fixture(scope="session")
def observer(broker):
    o = Observer(broker.port)
    yield o
    o.stop()


@pytest.fixture(scope="session")
def server(broker, workdir):
    s = Server(broker, workdir, settings={"commands.ack-timeout-ms": "1500"})
    yield s
    s.stop()


@pytest.fixture(scope="session")
def admin_api(server):
    return server.admin()


@pytest.fixture
def simulate(broker, workdir, admin_api):
    """Starts simulated lamps for one test, stopped afterwards: simulate("pfx", [(name, room), …]) registers the
    lamps `pfx_000001…` first (so the server asks each for its state when its LWT arrives), then starts them."""
    started = []

    def start(prefix, lamps, **kw):
        for i, (name, room) in enumerate(lamps):
            register(admin_api, f"{prefix}_{i + 1:06d}", name, room)
        sim = Simulator(broker, workdir, prefix, len(lamps), **kw)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
    )
    yield b
    b.close()


class Watched:
    """A page with what it logged: console errors, page errors and requests to any other origin."""

    def __init__(self, context, page, base):
        self.context = context
        self.page = page
        self.base = base
        self.console_errors = []
        self.foreign_requests = []
        origin = urlparse(base)
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))

        def on_request(request):
            u = urlparse(request.url)
            if u.scheme in ("data", "blob", "about"):
                return
            if (u.scheme, u.hostname, u.port) != (origin.scheme, origin.hostname, origin.port):
                self.foreign_requests.append(request.url)

        page.on("request", on_request)

    def goto(self, path="/"):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name, full_page=False):
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def open_page(browser, server):
    """open_page(user=(email, pw) | None, viewport=(w, h), color_scheme, init_script, server=..., service_workers)."""
    contexts = []

    def make(user=None, viewport=(1280, 800), color_scheme="light", init_script=None, srv=None,
             service_workers="block", reduced_motion="reduce", locale="id-ID", language=None):
        srv = srv or server
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, color_scheme=color_scheme,
            service_workers=service_workers, reduced_motion=reduced_motion, locale=locale,
            base_url=srv.base,
        )
        contexts.append(context)
        if user:
            api = srv.api()
            api.login(*user)
            context.add_cookies([
                {"name": c.name, "value": c.value, "domain": "127.0.0.1", "path": c.path or "/", "httpOnly": True,
                 "sameSite": "Lax"}
                for c in api.jar
            ])
        prefs = {}
        if language:
            prefs["language"] = language
        context.add_init_script(
            "try {"
            + (f"localStorage.setItem({json.dumps(SESSION_HINT)}, '1');" if user else "")
            + (f"localStorage.setItem('smartlamp.prefs', {json.dumps(json.dumps(prefs))});" if prefs else "")
            + "} catch (e) {}"
        )
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(10000)
        return Watched(context, page, srv.base)

    yield make
    for c in contexts:
        c.close()


ADMIN = (ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def household(server, admin_api, broker, workdir, observer):
    """A small house of simulated lamps in rooms (session-wide, state left as each test found it where it can).
    The observer is subscribed before the lamps start, so it sees their first reports."""
    rooms = ["Ruang Tamu", "Ruang Tamu", "Dapur", "Kamar Tidur", None]
    names = ["Lampu Sofa", "Lampu Baca", "Lampu Dapur", "Lampu Tidur", "Lampu Gudang"]
    devices = {}
    # Registered before the simulator starts: the server asks each lamp for its state when its LWT arrives.
    for i, (name, room) in enumerate(zip(names, rooms)):
        device_id = f"rumah_{i + 1:06d}"
        register(admin_api, device_id, name, room)
        devices[device_id] = {"name": name, "room": room}
    sim = Simulator(broker, workdir, "rumah", 5)
    # A lamp registered but never seen on the broker: it must read "unknown", never "off".
    register(admin_api, "rumah_never", "Lampu Loteng", "Loteng")
    devices["rumah_never"] = {"name": "Lampu Loteng", "room": "Loteng"}
    yield {"sim": sim, "devices": devices}
    sim.stop()


@pytest.fixture(autouse=True)
def admin_speaks_indonesian(request):
    """Tests read Indonesian words; a test that switched the admin to English (server preferences) must not leak."""
    yield
    if "admin_api" in request.fixturenames:
        try:
            request.getfixturevalue("admin_api").patch("/api/v1/profile", {"preferences": {"language": "id"}})
        except Exception:  # noqa: BLE001 - a server without preferences keeps nothing to reset
            pass


@pytest.fixture(scope="session")
def admin_data(household, admin_api):
    """For the Kelola views: a member with two lamps and an API key, so the lists and the matrix have rows; `full`
    tells whether the server has the adminapi routes (/api/v1/system, /api/v1/history)."""
    import uuid

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
