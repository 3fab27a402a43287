"""The whole system (issue #11): the real `smartlamp serve` binary + a private Mosquitto with TLS, a test CA and
password auth + host lamps (the firmware core on libmosquitto). The server sees the lamps announce themselves,
switches them from the API with acknowledgement (from native reports, and from Tasmota reports for a Tasmota
stand-in), follows a killed lamp's Will and its restart, signs commands for a lamp that has a secret, and fails a
command the lamp refuses with the lamp's code; commands published straight to the broker by another client do not
switch a lamp with a secret. Every process is started here on free ports and stopped afterwards."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import (FIRMWARE, KEEPALIVE, LAMP_PASSWORD, LAMP_USER, SERVER_PASSWORD, SERVER_USER, free_port, sign,
                      wait_until)

REPO = FIRMWARE.parent.parent
SERVER_BIN = Path(os.environ.get("SMARTLAMP_BIN", REPO / ".build" / "debug" / "smartlamp"))
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "admin-password-1"
SECRET = "teras-secret-7f3a91-server"


class Server:
    """`smartlamp serve` on a free port with its own SQLite file, connected to the broker as user `server`."""

    def __init__(self, broker, folder):
        self.folder = folder
        self.port = free_port()
        self.log_path = folder / "smartlamp.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SMARTLAMP_HTTP_PORT": str(self.port),
            "SMARTLAMP_DATABASE_URL": f"sqlite://{folder}/smartlamp.sqlite",
            "SMARTLAMP_DATA_DIR": str(folder / "data"),
            "SMARTLAMP_MQTT_URL": f"mqtts://127.0.0.1:{broker.port}",
            "SMARTLAMP_MQTT_CA_FILE": str(broker.certs["ca"]),
            "SMARTLAMP_MQTT_USERNAME": SERVER_USER,
            "SMARTLAMP_MQTT_PASSWORD": SERVER_PASSWORD,
            "SMARTLAMP_ADMIN_EMAIL": ADMIN_EMAIL,
            "SMARTLAMP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "SMARTLAMP_AUTH_BCRYPT_COST": "4",
            "SMARTLAMP_COMMANDS_ACK_TIMEOUT_MS": "5000",
        }
        self.process = None
        self.token = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen([str(SERVER_BIN), "serve"], cwd=self.folder, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"smartlamp exited: {self.log_path.read_text()[-3000:]}")
            try:
                return self.call("GET", "/api/v1/health/ready", auth=False)[0] == 200
            except OSError:
                return False

        wait_until(ready, 30, "the server to be ready (broker connected)")
        status, body, headers = self.call("POST", "/api/v1/auth/login", {"email": ADMIN_EMAIL,
                                                                          "password": ADMIN_PASSWORD}, auth=False)
        assert status == 200, body
        cookies = [value for name, value in headers if name.lower() == "set-cookie"]
        token = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("auth_token="))
        self.token = token
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()

    def call(self, method, path, body=None, *, auth=True, key=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        if key:
            request.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read() or b"null"), response.getheaders()
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), error.headers.items()

    def data(self, method, path, body=None, key=None, expect=200):
        status, answer, _ = self.call(method, path, body, key=key or (str(uuid.uuid4()) if method != "GET" else None))
        assert status == expect, f"{method} {path}: {status} {answer}"
        return answer["data"]

    def status(self, device):
        return self.data("GET", f"/api/v1/devices/{device}/status")

    def execute(self, device, action, request_id=None):
        request_id = request_id or f"e2e-{uuid.uuid4().hex[:10]}"
        return self.data("POST", "/api/v1/commands/execute", {"deviceId": device, "action": action,
                                                              "requestId": request_id, "waitForAck": True})

    def wait_status(self, device, predicate, timeout, what):
        return wait_until(lambda: (lambda s: s if predicate(s) else None)(self.status(device)), timeout,
                          f"{what} ({device})")


@pytest.fixture
def server(broker, tmp_path):
    if not SERVER_BIN.exists():
        if "SMARTLAMP_BIN" in os.environ:
            pytest.fail(f"SMARTLAMP_BIN={SERVER_BIN} does not exist")
        pytest.skip(f"{SERVER_BIN} is not built (the repository's scripts/test.sh builds it first)")
    instance = Server(broker, tmp_path).start()
    yield instance
    instance.stop()


def test_server_sees_switches_and_follows_three_host_lamps(broker, lamps, clients, server):
    watcher = clients()
    started = {name: lamps(name) for name in ("lampu-a", "lampu-b")}
    started["lampu-s"] = lamps("lampu-s", secret=SECRET)
    for name in started:
        watcher.wait_message(f"home/{name}/lwt", "ONLINE")
    # Registered after the lamps announced themselves: discovery already lists them from their retained messages.
    found = wait_until(lambda: (lambda d: d if {"lampu-a", "lampu-b", "lampu-s"} <= {e["mqttDeviceId"] for e in d}
                                else None)(server.data("GET", "/api/v1/devices/discovery")["devices"]), 10,
                       "the three lamps in discovery")
    assert all(e["profile"] == "native" for e in found if e["mqttDeviceId"].startswith("lampu-"))
    # One registered in another case than the lamp writes its id: ids map case-insensitively.
    server.data("POST", "/api/v1/devices", {"deviceId": "teras", "mqttDeviceId": "LAMPU-A", "name": "Teras"},
                expect=201)
    server.data("POST", "/api/v1/devices", {"deviceId": "lampu-b", "name": "Dapur"}, expect=201)
    created = server.data("POST", "/api/v1/devices", {"deviceId": "lampu-s", "name": "Kamar", "hmacSecret": SECRET},
                          expect=201)
    assert created["hasSecret"] is True and SECRET not in json.dumps(created)
    for device in ("teras", "lampu-b", "lampu-s"):
        server.wait_status(device, lambda s: s["online"] is True and s["profile"] == "native", 10, "online, native")

    # Switched from the API, acknowledged by the lamp.
    reply = server.execute("teras", "ON", "e2e-teras-on")
    assert reply["status"] == "ACKED" and reply["ackLatencyMs"] >= 0, reply
    watcher.wait_status("lampu-a", lambda s: s["power"] == "ON" and s["reason"] == "command", what="lamp ON")
    assert server.status("teras")["power"] == "ON"
    audit = server.data("GET", "/api/v1/commands/e2e-teras-on")
    assert audit["status"] == "ACKED" and audit["ackLatencyMs"] is not None

    # A signed command: acknowledged only by the lamp echoing its request id.
    signed = server.execute("lampu-s", "ON", "e2e-signed-on")
    assert signed["status"] == "ACKED", signed
    watcher.wait_status("lampu-s", lambda s: s.get("requestId") == "e2e-signed-on" and s["power"] == "ON",
                        what="the envelope's request id echoed")
    assert server.execute("lampu-s", "OFF")["status"] == "ACKED"

    # Another client with the lamps' shared broker credential publishes straight to the broker: refused.
    intruder = clients(user=LAMP_USER, password=LAMP_PASSWORD, topics=())
    intruder.publish("cmnd/lampu-s/POWER", "ON")
    watcher.wait_status("lampu-s", lambda s: s.get("error") == "SIGNATURE_REQUIRED", what="plain refused")
    intruder.publish("cmnd/lampu-s/POWER", json.dumps(sign("lampu-s", "ON", "guessed-secret", request_id="forged-9")))
    watcher.wait_status("lampu-s", lambda s: s.get("error") == "SIGNATURE_INVALID", what="forgery refused")
    assert server.status("lampu-s")["power"] == "OFF", "a refusal report is not a state change"
    late = clients(topics=("home/lampu-s/status",))
    retained = late.wait_status("lampu-s", lambda s: s["_retain"], what="retained state")
    assert retained["power"] == "OFF" and "error" not in retained

    # The server signs for lampu-b, which has no secret: the lamp refuses (NO_SECRET) and the command fails with it.
    server.data("PATCH", "/api/v1/devices/lampu-b", {"hmacSecret": "server-only-secret-123456"})
    refused = server.execute("lampu-b", "ON", "e2e-refused")
    assert refused["status"] == "FAILED" and refused["error"] == "NO_SECRET", refused
    wait_until(lambda: server.data("GET", "/api/v1/commands/e2e-refused")["error"] == "NO_SECRET", 10,
               "the audit row's error")
    assert server.data("GET", "/api/v1/commands/e2e-refused")["status"] == "FAILED"
    cleared = server.data("PATCH", "/api/v1/devices/lampu-b", {"hmacSecret": None})
    assert cleared["hasSecret"] is False
    assert server.execute("lampu-b", "ON")["status"] == "ACKED"

    # A power cut: the broker publishes the Will, the server shows the lamp offline; it comes back with its state.
    started["lampu-b"].kill()
    server.wait_status("lampu-b", lambda s: s["online"] is False, KEEPALIVE * 1.5 + 5, "offline through the Will")
    boots = len([s for s in watcher.statuses("lampu-b") if s["reason"] == "boot"])
    lamps("lampu-b")
    wait_until(lambda: len([s for s in watcher.statuses("lampu-b") if s["reason"] == "boot" and s["power"] == "ON"])
               > 0 and len([s for s in watcher.statuses("lampu-b") if s["reason"] == "boot"]) > boots, 15,
               "the restarted lamp's boot status with its restored state")
    restored = server.wait_status("lampu-b", lambda s: s["online"] is True and s["power"] == "ON", 15, "online again")
    assert restored["profile"] == "native"
    assert server.execute("lampu-b", "OFF")["status"] == "ACKED"


def test_acknowledgement_from_tasmota_reports_beside_native_lamps(broker, lamps, clients, server):
    """A Tasmota stand-in that only answers on stat/<id>/RESULT (no native reports) is acknowledged too, and keeps
    the tasmota profile next to a native host lamp."""
    lamps("lampu-n")
    tasmota = clients(user=LAMP_USER, password=LAMP_PASSWORD, topics=("cmnd/tasmota-x/+",))
    tasmota.publish("tele/tasmota-x/LWT", "Online", retain=True)

    def answer(client, userdata, message):
        payload = message.payload.decode().strip().upper()
        if payload in ("ON", "OFF"):
            client.publish("stat/tasmota-x/RESULT", json.dumps({"POWER": payload}), qos=1)

    tasmota.client.message_callback_add("cmnd/tasmota-x/+", answer)
    server.data("POST", "/api/v1/devices", {"deviceId": "tasmota-x", "name": "Tasmota"}, expect=201)
    server.data("POST", "/api/v1/devices", {"deviceId": "lampu-n", "name": "Native"}, expect=201)
    server.wait_status("tasmota-x", lambda s: s["online"] is True, 10, "tasmota online")
    server.wait_status("lampu-n", lambda s: s["online"] is True, 10, "native online")
    reply = server.execute("tasmota-x", "ON")
    assert reply["status"] == "ACKED", reply
    assert server.status("tasmota-x")["profile"] == "tasmota"
    assert server.execute("lampu-n", "ON")["status"] == "ACKED"
    assert server.status("lampu-n")["profile"] == "native", "its stat/ replies do not make it a Tasmota device"
