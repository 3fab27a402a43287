"""Real parts for the browser tests: a private Mosquitto, the real `smartlamp` binary, simulated Tasmota lamps
(`smartlamp simulate`), an independent paho-mqtt observer, and a small REST client. Everything binds to 127.0.0.1
on free ports and is stopped by its PID afterwards."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "Dashboard"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BINARY = os.environ.get("SMARTLAMP_BIN") or str(REPO / ".build" / "debug" / "smartlamp")
ADMIN_EMAIL = "admin@rumah.test"
ADMIN_PASSWORD = "rahasia-admin-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.02, message="condition"):
    """Polls `predicate` until it returns a truthy value or the deadline passes (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Process:
    """A child process with its output in a log file; stopped by PID."""

    def __init__(self, args, log_path, env=None, cwd=None):
        self.args = args
        self.log_path = Path(log_path)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=cwd)

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Broker:
    """A private Mosquitto: one plain MQTT listener on a free loopback port, anonymous, no persistence."""

    def __init__(self, workdir):
        self.dir = Path(workdir) / "mosquitto"
        self.dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(5):
            self.port = free_port()
            conf = self.dir / "mosquitto.conf"
            conf.write_text(
                "per_listener_settings false\nallow_anonymous true\npersistence false\n"
                "log_dest stderr\nlog_type error\nlog_type warning\nset_tcp_nodelay true\n"
                f"listener {self.port} 127.0.0.1\nprotocol mqtt\nuser root\n"
            )
            self.process = Process(["mosquitto", "-c", str(conf)], self.dir / "mosquitto.log")
            try:
                wait_until(lambda: port_open(self.port) or not self.process.alive(), 10, message="mosquitto")
            except AssertionError:
                self.process.stop()
                raise
            if self.process.alive():
                return
            self.process.stop()
        raise RuntimeError("mosquitto did not start: " + self.process.output())

    @property
    def url(self):
        return f"mqtt://127.0.0.1:{self.port}"

    def stop(self):
        self.process.stop()

    def start_again(self):
        """After stop(): the same broker on the same port (a broker outage that ends)."""
        self.process = Process(["mosquitto", "-c", str(self.dir / "mosquitto.conf")], self.dir / "mosquitto-again.log")
        wait_until(lambda: port_open(self.port) or not self.process.alive(), 10, message="mosquitto again")
        if not self.process.alive():
            raise RuntimeError("mosquitto did not start again: " + self.process.output())


class Observer:
    """An independent MQTT client (paho) that records every message, to check the screen against the broker."""

    def __init__(self, port):
        self.messages = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"observer-{uuid.uuid4().hex[:8]}")
        self.client.on_message = self._on_message
        connected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p=None: (c.subscribe("#", qos=1), connected.set())
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not connected.wait(10):
            raise RuntimeError("observer could not connect")

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages.append((time.monotonic(), msg.topic, msg.payload.decode(errors="replace"), msg.retain))

    def mark(self):
        with self.lock:
            return len(self.messages)

    def since(self, mark, topic=None):
        with self.lock:
            items = self.messages[mark:]
        return [(t, p) for _, t, p, _ in items if topic is None or re.fullmatch(topic, t)]

    def wait_for(self, topic, payload=None, mark=0, timeout=10):
        """Waits for a message on `topic` (a regex) whose payload equals `payload` (when given) after `mark`."""

        def find():
            for t, p in self.since(mark, topic):
                if payload is None or p.strip().upper() == payload.upper():
                    return (t, p)
            return None

        return wait_until(find, timeout, message=f"{topic} {payload}")

    def commands(self, mark, device_pattern=".*"):
        """Power commands published since `mark`: [(device, payload)]."""
        out = []
        for t, p in self.since(mark, rf"cmnd/({device_pattern})/POWER\d*"):
            if p.strip():
                out.append((t.split("/")[1], p.strip().upper()))
        return out

    def publish(self, topic, payload, retain=False):
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(5)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class Api:
    """A REST client with its own cookie jar (a signed-in person)."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method, path, body=None, idempotent=False, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if method not in ("GET", "HEAD"):
            req.add_header("Content-Type", "application/json")
        if idempotent:
            req.add_header("Idempotency-Key", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with self.opener.open(req, timeout=30) as resp:
                payload = json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            raise ApiError(error.code, text) from None
        return payload.get("data") if isinstance(payload, dict) and "success" in payload else payload

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body if body is not None else {}, **kw)

    def patch(self, path, body, **kw):
        return self.call("PATCH", path, body, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def login(self, email, password):
        return self.post("/api/v1/auth/login", {"email": email, "password": password})

    def cookies(self):
        return {c.name: c.value for c in self.jar}


class Server:
    """The real `smartlamp serve` on a free port, SQLite in a temp folder, the working tree's Dashboard/."""

    def __init__(self, broker, workdir, settings=None, admin=True, demo=False):
        self.dir = Path(tempfile.mkdtemp(prefix="server-", dir=workdir))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [
            BINARY, "serve",
            "--set", f"http.port={self.port}",
            "--set", f"mqtt.url={broker.url}",
            "--set", f"database.url=sqlite://{self.dir}/db.sqlite",
            "--set", f"data.dir={self.dir}/data",
            "--set", "auth.bcrypt-cost=4",
            "--set", "log.level=notice",
            "--set", "ratelimit.command-max=0",
        ]
        if os.environ.get("SMARTLAMP_TEST_EMBEDDED") != "1":
            # The working tree's dashboard, re-read on every request (the binary's embedded copy may be older).
            args += ["--set", f"dashboard.dir={DASHBOARD}"]
        if admin:
            args += ["--set", f"admin.email={ADMIN_EMAIL}", "--set", f"admin.password={ADMIN_PASSWORD}"]
        if demo:
            args += ["--demo"]
        for key, value in (settings or {}).items():
            args += ["--set", f"{key}={value}"]
        self.process = Process(args, self.dir / "server.log", cwd=self.dir)
        wait_until(lambda: self._healthy() or not self.process.alive(), 30, message="smartlamp serve")
        if not self.process.alive():
            raise RuntimeError("smartlamp serve exited: " + self.process.output())

    def _healthy(self):
        try:
            with urllib.request.urlopen(self.base + "/api/health", timeout=1) as r:
                return r.status == 200
        except Exception:
            return False

    def api(self):
        return Api(self.base)

    def admin(self):
        api = self.api()
        api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        return api

    def setup_code(self):
        """The one-time setup code from the server's log line containing `setup code`."""

        def find():
            for line in self.process.output().splitlines():
                if "setup code" in line.lower():
                    m = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", line)
                    if m:
                        return m.group(1)
            return None

        return wait_until(find, 10, message="setup code in the server log")

    def stop(self):
        self.process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Simulator:
    """`smartlamp simulate`: simulated Tasmota lamps `<prefix>_000001…` on the broker."""

    def __init__(self, broker, workdir, prefix, devices=1, drop_rate=0.0, latency_ms=0, relays=1):
        self.prefix = prefix
        self.ids = [f"{prefix}_{i:06X}" for i in range(1, devices + 1)]
        args = [
            BINARY, "simulate", "--broker", broker.url, "--devices", str(devices), "--prefix", prefix,
            "--teleperiod", "0", "--drop-rate", str(drop_rate), "--latency-ms", str(latency_ms),
        ]
        if relays != 1:
            args += ["--relays", str(relays)]
        self.process = Process(args, Path(workdir) / f"simulate-{prefix}.log")

    def stop(self):
        self.process.stop()


def register(admin, device_id, name, location=None, mqtt_id=None):
    body = {"deviceId": device_id, "name": name}
    if location:
        body["location"] = location
    if mqtt_id:
        body["mqttDeviceId"] = mqtt_id
    return admin.post("/api/v1/devices", body, idempotent=True)


def create_member(admin, email, name, password, assignments):
    """Creates a member and assigns devices: assignments = {deviceId: (devicePermission, schedulePermission)}."""
    user = admin.post("/api/v1/users", {"email": email, "name": name, "password": password})
    admin.put(
        f"/api/v1/users/{user['id']}/assignments",
        {"assignments": [
            {"deviceId": d, "assigned": True, "devicePermission": p, "schedulePermission": s}
            for d, (p, s) in assignments.items()
        ]},
    )
    return user
