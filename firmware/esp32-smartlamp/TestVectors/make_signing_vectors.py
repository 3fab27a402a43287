#!/usr/bin/env python3
"""Writes signing.json: the signed-command test vectors shared by the lamp's tests and the server's signing tests.

The signatures are computed here with Python's own hmac/hashlib, an implementation independent of the lamp's Swift
SHA-256/HMAC, so the Swift tests check the lamp against a second implementation. Deterministic: running it again
gives the same file (the integration tests check that the committed file is current).
Usage: make_signing_vectors.py [output-path]
"""
import hashlib
import hmac
import json
import sys
from pathlib import Path

NOW = 1_764_831_600_000  # 2025-12-04T07:00:00Z in epoch ms: 13 digits, beyond 32 bits (the upstream bug)
LAMP = "lampu-teras"
SECRET = "f43a301812844e47ab5908ebae902934"
OTHER_LAMP = "lampu-dapur"
OTHER_SECRET = "dapur-secret-9b1c"
LONG_SECRET = "k" * 100
FORGER_SECRET = "not-the-secret"  # longer than the 64-byte HMAC block: the key is hashed first


def canonical(env):
    return "|".join(
        [env["deviceId"], env["action"], env["requestId"], str(env["issuedAt"]), str(env["expiresAt"]), env["nonce"]]
    )


def sign(env, secret):
    return hmac.new(secret.encode(), canonical(env).encode(), hashlib.sha256).hexdigest()


def envelope(action="ON", request="req-0001", nonce="nonce-0001-aaaa", issued=NOW - 1_000, ttl=30_000,
             device=LAMP, secret=SECRET):
    env = {"deviceId": device, "action": action, "requestId": request, "issuedAt": issued,
           "expiresAt": issued + ttl, "nonce": nonce}
    env["sig"] = sign(env, secret)
    return env


def payload(env, extra=None):
    body = dict(env)
    if extra:
        body.update(extra)
    return json.dumps(body, separators=(",", ":"))


def case(name, env, expect, *, power=None, after=(), lamp_secret=SECRET, now=NOW, text=None, signature_valid=None,
         note=""):
    item = {
        "name": name,
        "note": note,
        "lamp": {"deviceId": LAMP, "secret": lamp_secret, "nowMs": now, "initialPower": "OFF"},
        "after": list(after),
        "topic": f"cmnd/{LAMP}/POWER",
        "payload": text if text is not None else payload(env),
        "expect": expect,
    }
    if env is not None:
        item["envelope"] = env
        item["canonical"] = canonical(env)
        if signature_valid is None:
            signature_valid = hmac.compare_digest(env["sig"], sign(env, lamp_secret)) if lamp_secret else False
        item["signatureValid"] = signature_valid
        # The secret the sig was made with (null when it was tampered with): the server's signer must reproduce it.
        item["signingSecret"] = next((k for k in (SECRET, OTHER_SECRET, LONG_SECRET, FORGER_SECRET)
                                      if hmac.compare_digest(env["sig"], sign(env, k))), None)
    if power is not None:
        item["power"] = power
    return item


def build():
    cases = []
    valid_on = envelope()
    cases.append(case("valid-on", valid_on, "ACCEPT", power="ON", note="a fresh envelope switches the lamp"))
    cases.append(case("valid-off", envelope("OFF", "req-0002", "nonce-0002-bbbb"), "ACCEPT", power="OFF"))
    cases.append(case("valid-toggle", envelope("TOGGLE", "req-0003", "nonce-0003-cccc"), "ACCEPT", power="ON",
                      note="initial power OFF, so TOGGLE turns it ON"))
    tampered = dict(envelope("OFF", "req-0004", "nonce-0004-dddd"))
    tampered["action"] = "ON"
    cases.append(case("tampered-action", tampered, "SIGNATURE_INVALID", note="signed for OFF, action rewritten"))
    flipped = dict(envelope("ON", "req-0005", "nonce-0005-eeee"))
    flipped["sig"] = ("0" if flipped["sig"][0] != "0" else "1") + flipped["sig"][1:]
    cases.append(case("tampered-signature", flipped, "SIGNATURE_INVALID", note="first hex digit of sig changed"))
    cases.append(case("wrong-secret", envelope("ON", "req-0006", "nonce-0006-ffff", secret=FORGER_SECRET),
                      "SIGNATURE_INVALID", note="a forger who does not know the secret"))
    upper = dict(envelope("ON", "req-0007", "nonce-0007-gggg"))
    upper["sig"] = upper["sig"].upper()
    cases.append(case("uppercase-signature", upper, "SIGNATURE_INVALID", signature_valid=False,
                      note="sig is defined as lowercase hex"))
    cases.append(case("expired", envelope("ON", "req-0008", "nonce-0008-hhhh", issued=NOW - 60_000), "EXPIRED",
                      note="expiresAt (issuedAt + 30 s) is 30 s before now"))
    cases.append(case("not-yet-valid", envelope("ON", "req-0009", "nonce-0009-iiii", issued=NOW + 120_000),
                      "NOT_YET_VALID", note="issued 120 s in the lamp's future (allowed skew 30 s)"))
    cases.append(case("lifetime-too-long", envelope("ON", "req-0010", "nonce-0010-jjjj", ttl=600_000),
                      "LIFETIME_TOO_LONG", note="valid for 10 min; the lamp allows 5 min"))
    cases.append(case("replayed", valid_on, "REPLAYED", after=[payload(valid_on)],
                      note="the valid-on payload delivered a second time"))
    cases.append(case("foreign-device", envelope("ON", "req-0011", "nonce-0011-kkkk", device=OTHER_LAMP,
                                                 secret=OTHER_SECRET), "WRONG_DEVICE", signature_valid=False,
                      note="validly signed for another lamp, published on this lamp's topic"))
    cases.append(case("unknown-action", envelope("BLINK", "req-0012", "nonce-0012-llll"), "UNKNOWN_ACTION",
                      note="signed, but not ON/OFF/TOGGLE"))
    missing = {k: v for k, v in envelope("ON", "req-0013", "nonce-0013-mmmm").items() if k != "nonce"}
    cases.append(case("missing-nonce", None, "MALFORMED", text=json.dumps(missing, separators=(",", ":"))))
    bad_id = envelope("ON", "req|0014", "nonce-0014-nnnn")
    cases.append(case("separator-in-request-id", bad_id, "MALFORMED", note="'|' would make the canonical string "
                      "ambiguous; ids are limited to [A-Za-z0-9._:-]"))
    short = envelope("ON", "req-0015", "n-15")
    cases.append(case("short-nonce", short, "MALFORMED", note="nonces have 8 to 64 characters"))
    fractional = envelope("ON", "req-0016", "nonce-0016-pppp")
    text = payload(fractional).replace(f'"issuedAt":{fractional["issuedAt"]}', f'"issuedAt":{fractional["issuedAt"]}.0')
    cases.append(case("fractional-time", fractional, "MALFORMED", text=text, note="times are whole milliseconds"))
    cases.append(case("extra-member-ignored", envelope("ON", "req-0017", "nonce-0017-qqqq"), "ACCEPT", power="ON",
                      text=payload(envelope("ON", "req-0017", "nonce-0017-qqqq"), {"v": 1, "meta": {"by": "x"}}),
                      note="unknown members are ignored"))
    cases.append(case("long-secret", envelope("ON", "req-0018", "nonce-0018-rrrr", secret=LONG_SECRET), "ACCEPT",
                      power="ON", lamp_secret=LONG_SECRET, note="a 100-byte secret (hashed to 32 bytes as the key)"))
    cases.append(case("clock-not-set", envelope("ON", "req-0019", "nonce-0019-ssss"), "ACCEPT", power="ON", now=0,
                      note="nowMs 0: the lamp has no wall clock yet; lifetime and replay checks still apply"))
    cases.append(case("no-secret-on-lamp", envelope("ON", "req-0020", "nonce-0020-tttt"), "NO_SECRET",
                      lamp_secret="", signature_valid=False, note="a lamp without a secret cannot check envelopes"))
    cases.append(case("plain-command-to-secret-lamp", None, "SIGNATURE_REQUIRED", text="ON",
                      note="plain Tasmota payloads are refused by a lamp that has a secret (queries still answered)"))
    return {
        "description": "SmartLamp signed command envelope: shared test vectors for the ESP32 firmware core and the "
                       "server's signer. Generated by make_signing_vectors.py with Python hmac/hashlib.",
        "algorithm": "HMAC-SHA256",
        "key": "the UTF-8 bytes of the device secret",
        "canonical": "deviceId|action|requestId|issuedAt|expiresAt|nonce (times as decimal epoch milliseconds)",
        "sig": "lowercase hex, 64 characters",
        "fieldCharset": "[A-Za-z0-9._:-]; deviceId/requestId 1-64, nonce 8-64, action ON|OFF|TOGGLE",
        "limits": {"maxLifetimeMs": 300000, "maxClockSkewMs": 30000, "maxPayloadBytes": 512},
        "cases": cases,
    }


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("signing.json")
    out.write_text(json.dumps(build(), indent=2) + "\n")


if __name__ == "__main__":
    main()
