"""Harness for the host-lamp integration tests: a private Mosquitto (TLS listener, test CA made with openssl,
user/password auth) on free loopback ports, host-lamp processes, and paho-mqtt clients. Everything is started per
test and stopped afterwards; waits poll with deadlines, never fixed sleeps."""
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

FIRMWARE = Path(__file__).resolve().parent.parent
HOST_LAMP = Path(os.environ.get("HOST_LAMP_BIN", FIRMWARE / ".build" / "debug" / "host-lamp"))
LAMP_USER, LAMP_PASSWORD = "lamp", "lamp-shared-secret"
SERVER_USER, SERVER_PASSWORD = "server", "server-secret"
KEEPALIVE = 5


def wait_until(predicate, timeout, what):
    """Polls `predicate` until it returns a truthy value or the deadline passes (then fails with `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*args, cwd=None):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "ca.key", "-out",
        "ca.crt", "-subj", f"/CN={name}", cwd=folder)
    return folder / "ca.crt"


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A test CA, a server certificate for 127.0.0.1/localhost signed by it, and an unrelated second CA."""
    folder = tmp_path_factory.mktemp("certs")
    ca = make_ca(folder, "smartlamp-firmware-test-CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
        "/CN=localhost", cwd=folder)
    (folder / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                       "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "server.ext", cwd=folder)
    other_ca = make_ca(folder / "other", "someone-else-CA")
    for path in folder.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)  # Mosquitto drops to user mosquitto when started as root
    folder.chmod(0o755)
    return {"ca": ca, "cert": folder / "server.crt", "key": folder / "server.key", "other_ca": other_ca}


class Broker:
    """A private Mosquitto with a TLS listener and password auth."""

    def __init__(self, folder, certs):
        self.folder = folder
        self.certs = certs
        self.port = free_port()
        self.process = None
        passwd = folder / "passwd"
        passwd.write_text("")
        run("mosquitto_passwd", "-b", str(passwd), LAMP_USER, LAMP_PASSWORD)
        run("mosquitto_passwd", "-b", str(passwd), SERVER_USER, SERVER_PASSWORD)
        passwd.chmod(0o644)
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            ""
            # pytest's folders are private to the user: as root, keep the broker root instead of dropping to
            # user mosquitto, which could not read them.
            + ("user root\n" if os.geteuid() == 0 else "")
            + "per_listener_settings false\nallow_anonymous false\n"
            f"password_file {passwd}\npersistence false\nlog_dest stderr\nlog_type all\nconnection_messages true\n"
            f"listener {self.port} 127.0.0.1\nprotocol mqtt\n"
            f"cafile {certs['ca']}\ncertfile {certs['cert']}\nkeyfile {certs['key']}\n")
        self.log_path = folder / "mosquitto.log"

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.config)], stdout=self.log,
                                        stderr=subprocess.STDOUT)

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"mosquitto exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        wait_until(ready, 10, "mosquitto to listen")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()
        self.process = None


@pytest.fixture
def broker(tmp_path, certs):
    instance = Broker(tmp_path, certs).start()
    yield instance
    instance.stop()


class Client:
    """A paho-mqtt client over TLS that records every message it receives."""

    def __init__(self, broker, user=SERVER_USER, password=SERVER_PASSWORD, topics=("home/#", "stat/#")):
        self.messages = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        self.client.username_pw_set(user, password)
        self.client.tls_set(ca_certs=str(broker.certs["ca"]))
        self.subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.connect("127.0.0.1", broker.port, keepalive=30)
        self.client.loop_start()
        if topics:
            self.client.subscribe([(topic, 1) for topic in topics])
            if not self.subscribed.wait(10):
                raise AssertionError("subscription not acknowledged")

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.messages.append((message.topic, message.payload.decode(errors="replace"), bool(message.retain)))

    def publish(self, topic, payload, qos=1, retain=False):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(10)

    def received(self, topic):
        with self.lock:
            return [(payload, retain) for (t, payload, retain) in self.messages if t == topic]

    def statuses(self, device):
        return [json.loads(payload) | {"_retain": retain} for payload, retain in self.received(f"home/{device}/status")]

    def wait_status(self, device, predicate, timeout=10, what="a status"):
        def find():
            for status in self.statuses(device):
                if predicate(status):
                    return status
            return None

        return wait_until(find, timeout, f"{what} from {device}")

    def wait_message(self, topic, payload, timeout=10):
        return wait_until(lambda: any(p == payload for p, _ in self.received(topic)), timeout,
                          f"{payload!r} on {topic}")

    def close(self):
        self.client.disconnect()  # wakes paho's network thread, so loop_stop returns at once
        self.client.loop_stop()


@pytest.fixture
def clients(broker):
    made = []

    def make(**kwargs):
        client = Client(broker, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


class HostLamp:
    """One host-lamp process (the firmware core on libmosquitto) with its log."""

    def __init__(self, broker, folder, device_id, secret=None, restore="last", ca=None, extra=()):
        self.broker = broker
        self.device_id = device_id
        self.state_file = folder / f"{device_id}.state"
        self.log_path = folder / f"{device_id}.log"
        self.args = [str(HOST_LAMP), "--broker", f"mqtts://127.0.0.1:{broker.port}", "--cafile",
                     str(ca or broker.certs["ca"]), "--user", LAMP_USER, "--device-id", device_id, "--restore",
                     restore, "--state-file", str(self.state_file), "--keepalive", str(KEEPALIVE),
                     "--reconnect-ms", "200,2000", *extra]
        self.env = dict(os.environ, LAMP_MQTT_PASSWORD=LAMP_PASSWORD)
        if secret:
            self.env["LAMP_SECRET"] = secret
        self.process = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(self.args, env=self.env, stdin=subprocess.PIPE, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        return self

    def output(self):
        return self.log_path.read_text() if self.log_path.exists() else ""

    def wait_log(self, text, timeout=10, after=0):
        return wait_until(lambda: text in self.output()[after:], timeout, f"{text!r} in {self.device_id}'s log")

    def press(self):
        self.process.stdin.write(b"press\n")
        self.process.stdin.flush()

    def kill(self):
        self.process.kill()
        self.process.wait()
        self.log.close()

    def signal(self, number):
        self.process.send_signal(number)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.log.close()


@pytest.fixture
def lamps(broker, tmp_path):
    started = []

    def start(device_id, **kwargs):
        lamp = HostLamp(broker, tmp_path, device_id, **kwargs).start()
        started.append(lamp)
        return lamp

    yield start
    for lamp in started:
        if lamp.process and lamp.process.poll() is None:
            lamp.process.send_signal(signal.SIGCONT)
        lamp.stop()


def sign(device_id, action, secret, *, request_id=None, issued_at=None, ttl_ms=30_000, nonce=None):
    """The server's side of the envelope, written independently of the lamp's Swift code (Python hmac)."""
    issued_at = issued_at if issued_at is not None else int(time.time() * 1000)
    envelope = {"deviceId": device_id, "action": action, "requestId": request_id or f"req-{uuid.uuid4().hex[:12]}",
                "issuedAt": issued_at, "expiresAt": issued_at + ttl_ms, "nonce": nonce or str(uuid.uuid4())}
    canonical = "|".join([envelope["deviceId"], envelope["action"], envelope["requestId"], str(envelope["issuedAt"]),
                          str(envelope["expiresAt"]), envelope["nonce"]])
    envelope["sig"] = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    return envelope


@pytest.fixture(scope="session", autouse=True)
def host_lamp_binary():
    if not HOST_LAMP.exists():
        pytest.fail(f"{HOST_LAMP} is missing: build it with `swift build` in {FIRMWARE}")
    for tool in ("mosquitto", "mosquitto_passwd", "openssl"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (scripts/install-deps.sh --test installs it)")
