"""The firmware core, run as host lamps against a real Mosquitto over TLS with user/password auth, driven by
paho-mqtt clients: the behaviours a household relies on, end to end."""
import json
import signal
import subprocess
import sys
import time

from conftest import FIRMWARE, KEEPALIVE, LAMP_PASSWORD, LAMP_USER, Client, sign, wait_until

SECRET = "teras-secret-7f3a91"


def test_three_lamps_announce_online_and_retained_state(broker, lamps, clients):
    watcher = clients()
    started = [lamps("lampu-a"), lamps("lampu-b", secret=SECRET), lamps("lampu-c", restore="on")]
    for lamp in started:
        watcher.wait_message(f"home/{lamp.device_id}/lwt", "ONLINE")
        watcher.wait_status(lamp.device_id, lambda s: s["reason"] == "boot", what="boot status")
    assert watcher.statuses("lampu-c")[-1]["power"] == "ON", "restore=on switches the relay on at boot"
    # A late subscriber (a server that starts after the lamps) gets everything from retained messages.
    late = clients(topics=())
    late.client.subscribe([("home/+/lwt", 1), ("home/+/status", 1), ("stat/+/POWER", 1)])
    for lamp in started:
        late.wait_message(f"home/{lamp.device_id}/lwt", "ONLINE")
        status = late.wait_status(lamp.device_id, lambda s: s["_retain"], what="retained status")
        assert status["deviceId"] == lamp.device_id
        assert isinstance(status["ts"], int) and status["ts"] > 2**32, "ts is epoch milliseconds, beyond 32 bits"
        late.wait_message(f"stat/{lamp.device_id}/POWER", status["power"])
    assert all(retain for _, retain in late.received("home/lampu-a/lwt"))


def test_plain_commands_switch_and_status_and_stat_topics_follow(broker, lamps, clients):
    watcher = clients()
    lamps("lampu-a")
    watcher.wait_message("home/lampu-a/lwt", "ONLINE")
    commander = clients(user=LAMP_USER, password=LAMP_PASSWORD, topics=())
    commander.publish("cmnd/lampu-a/POWER", "ON")
    status = watcher.wait_status("lampu-a", lambda s: s["power"] == "ON", what="ON")
    assert status["reason"] == "command"
    watcher.wait_message("stat/lampu-a/POWER", "ON")
    watcher.wait_message("stat/lampu-a/RESULT", '{"POWER":"ON"}')
    # The Tasmota %topic%/%prefix% order and a case-insensitive command name.
    commander.publish("lampu-a/cmnd/Power", "off")
    watcher.wait_status("lampu-a", lambda s: s["power"] == "OFF" and s["reason"] == "command", what="OFF")
    # Another lamp's topic does not touch this one: the query that follows is answered with OFF.
    commander.publish("cmnd/lampu-zz/POWER", "ON")
    commander.publish("cmnd/lampu-a/POWER", "")
    query = watcher.wait_status("lampu-a", lambda s: s["reason"] == "query", what="query answer")
    assert query["power"] == "OFF"
    commander.publish("cmnd/lampu-a/POWER", "TOGGLE")
    watcher.wait_status("lampu-a", lambda s: s["power"] == "ON" and s["reason"] == "command", what="toggle")
    commander.publish("cmnd/lampu-a/POWER", "BLINK")
    watcher.wait_status("lampu-a", lambda s: s.get("error") == "MALFORMED", what="refusal")
    # Retained state is the last real state: a new subscriber sees ON without an error, not the refusal.
    late = clients(topics=("home/lampu-a/status",))
    retained = late.wait_status("lampu-a", lambda s: s["_retain"], what="retained status")
    assert retained["power"] == "ON" and "error" not in retained


def test_killed_lamp_goes_offline_through_its_will_and_restarts_with_its_state(broker, lamps, clients, tmp_path):
    watcher = clients()
    lamp = lamps("lampu-b")
    watcher.wait_message("home/lampu-b/lwt", "ONLINE")
    clients(user=LAMP_USER, password=LAMP_PASSWORD, topics=()).publish("cmnd/lampu-b/POWER", "ON")
    watcher.wait_status("lampu-b", lambda s: s["power"] == "ON", what="ON")
    lamp.kill()  # a power cut: no DISCONNECT, the broker publishes the Will
    watcher.wait_message("home/lampu-b/lwt", "OFFLINE", timeout=KEEPALIVE)
    late = clients(topics=("home/lampu-b/lwt",))
    wait_until(lambda: ("OFFLINE", True) in late.received("home/lampu-b/lwt"), 5, "retained OFFLINE")
    restarted = lamps("lampu-b")
    restarted.wait_log("booted: power ON")
    restarted.wait_log("relay ON")
    before = len(watcher.received("home/lampu-b/lwt"))
    wait_until(lambda: "ONLINE" in [p for p, _ in watcher.received("home/lampu-b/lwt")[before:]], 10, "ONLINE again")
    watcher.wait_status("lampu-b", lambda s: s["reason"] == "boot" and s["power"] == "ON", what="restored")


def test_half_open_connection_fires_the_will_within_the_keepalive_and_the_lamp_comes_back(broker, lamps, clients):
    watcher = clients()
    lamp = lamps("lampu-c")
    watcher.wait_message("home/lampu-c/lwt", "ONLINE")
    lamp.signal(signal.SIGSTOP)  # the TCP connection stays open but silent, like a lamp whose Wi-Fi vanished
    # The broker gives up after 1.5 x keep-alive of silence and publishes the Will.
    watcher.wait_message("home/lampu-c/lwt", "OFFLINE", timeout=KEEPALIVE * 1.5 + 5)
    count = len(watcher.received("home/lampu-c/lwt"))
    lamp.signal(signal.SIGCONT)
    wait_until(lambda: "ONLINE" in [p for p, _ in watcher.received("home/lampu-c/lwt")[count:]], 20,
               "ONLINE after the lamp resumed")
    watcher.wait_status("lampu-c", lambda s: s["reason"] == "reconnect", what="reconnect status")


def test_signed_command_switches_a_lamp_with_a_secret_but_plain_and_forged_commands_do_not(broker, lamps, clients):
    watcher = clients()
    lamps("lampu-s", secret=SECRET)
    watcher.wait_message("home/lampu-s/lwt", "ONLINE")
    # Another client holding the shared device credential, as a leaked lamp would.
    intruder = clients(user=LAMP_USER, password=LAMP_PASSWORD, topics=())
    intruder.publish("cmnd/lampu-s/POWER", "ON")
    watcher.wait_status("lampu-s", lambda s: s.get("error") == "SIGNATURE_REQUIRED", what="plain refused")
    forged = sign("lampu-s", "ON", "guessed-secret", request_id="forged-1")
    intruder.publish("cmnd/lampu-s/POWER", json.dumps(forged))
    refusal = watcher.wait_status("lampu-s", lambda s: s.get("error") == "SIGNATURE_INVALID", what="forgery refused")
    assert refusal["requestId"] == "forged-1" and refusal["power"] == "OFF"
    other = sign("lampu-other", "ON", SECRET, request_id="other-1")
    intruder.publish("cmnd/lampu-s/POWER", json.dumps(other))
    watcher.wait_status("lampu-s", lambda s: s.get("error") == "WRONG_DEVICE", what="foreign id refused")
    expired = sign("lampu-s", "ON", SECRET, request_id="old-1", issued_at=int(time.time() * 1000) - 120_000)
    intruder.publish("cmnd/lampu-s/POWER", json.dumps(expired))
    watcher.wait_status("lampu-s", lambda s: s.get("error") == "EXPIRED", what="expired refused")
    assert all(s["power"] == "OFF" for s in watcher.statuses("lampu-s"))

    server = clients(topics=())
    good = sign("lampu-s", "ON", SECRET, request_id="cmd-42")
    server.publish("cmnd/lampu-s/POWER", json.dumps(good))
    ack = watcher.wait_status("lampu-s", lambda s: s.get("requestId") == "cmd-42" and "error" not in s,
                              what="signed command acknowledged")
    assert ack["power"] == "ON" and ack["reason"] == "command"
    watcher.wait_message("stat/lampu-s/POWER", "ON")
    late = clients(topics=("home/lampu-s/status",))
    retained = late.wait_status("lampu-s", lambda s: s["_retain"], what="retained status")
    assert retained["requestId"] == "cmd-42" and retained["power"] == "ON"
    # Recording the good envelope and playing it back later does not work.
    server.publish("cmnd/lampu-s/POWER", "OFF")
    intruder.publish("cmnd/lampu-s/POWER", json.dumps(good))
    watcher.wait_status("lampu-s", lambda s: s.get("error") == "REPLAYED", what="replay refused")
    # The upstream envelope topic works as well, and a query stays open to plain clients.
    server.publish("home/lampu-s/cmd", json.dumps(sign("lampu-s", "OFF", SECRET, request_id="cmd-43")))
    watcher.wait_status("lampu-s", lambda s: s.get("requestId") == "cmd-43" and s["power"] == "OFF", what="OFF")
    intruder.publish("cmnd/lampu-s/POWER", "")
    watcher.wait_status("lampu-s", lambda s: s["reason"] == "query" and s["power"] == "OFF", what="query answer")


def test_button_toggles_offline_and_the_state_is_published_when_the_broker_returns(broker, lamps, clients):
    lamp = lamps("lampu-d")
    lamp.wait_log(": connected")
    broker.stop()
    lamp.wait_log("disconnected")
    lamp.press()
    lamp.wait_log("relay ON")
    broker.start()
    watcher = clients(topics=("home/lampu-d/status",))
    status = watcher.wait_status("lampu-d", lambda s: s["reason"] == "reconnect", timeout=15, what="reconnect")
    assert status["power"] == "ON", "the offline button press is reported once the broker is back"
    lamp.press()
    watcher.wait_status("lampu-d", lambda s: s["reason"] == "button" and s["power"] == "OFF", what="button OFF")


def test_lamp_crosses_the_32_bit_millisecond_wrap_while_running(broker, lamps, clients):
    watcher = clients()
    lamp = lamps("lampu-w", extra=("--monotonic-start", str(2**32 - 1500)))
    watcher.wait_message("home/lampu-w/lwt", "ONLINE")
    lamp.wait_log("32-bit millisecond counter wrapped", timeout=10)
    clients(user=LAMP_USER, password=LAMP_PASSWORD, topics=()).publish("cmnd/lampu-w/POWER", "ON")
    watcher.wait_status("lampu-w", lambda s: s["power"] == "ON", what="ON after the wrap")
    lamp.press()
    watcher.wait_status("lampu-w", lambda s: s["reason"] == "button" and s["power"] == "OFF", what="button after wrap")


def test_lamp_refuses_a_broker_whose_certificate_its_ca_did_not_sign(broker, lamps, clients):
    watcher = clients(topics=("home/#",))
    lamp = lamps("lampu-x", ca=broker.certs["other_ca"])
    lamp.wait_log("reconnect in", timeout=10)
    lamp.wait_log("reconnect in", timeout=10, after=lamp.output().index("reconnect in") + 1)
    assert ": connected\n" not in lamp.output()
    # The proof that nothing got through: a lamp with the right CA is seen, this one never.
    lamps("lampu-y")
    watcher.wait_message("home/lampu-y/lwt", "ONLINE")
    assert watcher.received("home/lampu-x/lwt") == []


def test_shared_signing_vectors_are_current_and_verify_with_python(tmp_path):
    fresh = tmp_path / "signing.json"
    subprocess.run([sys.executable, str(FIRMWARE / "TestVectors" / "make_signing_vectors.py"), str(fresh)], check=True)
    committed = (FIRMWARE / "TestVectors" / "signing.json").read_text()
    assert fresh.read_text() == committed, "run TestVectors/make_signing_vectors.py and commit signing.json"
    import hashlib
    import hmac
    for case in json.loads(committed)["cases"]:
        if case.get("signingSecret") and case.get("envelope"):
            mac = hmac.new(case["signingSecret"].encode(), case["canonical"].encode(), hashlib.sha256).hexdigest()
            assert mac == case["envelope"]["sig"], case["name"]
