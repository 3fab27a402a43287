"""HTTPS in Chromium: with the household CA from `smartlamp cert` in the browser's certificate store (NSS, as a
person importing ca.crt would), the dashboard loads over HTTP/2 as a secure context with no certificate warning;
a browser without the CA refuses the certificate. Starts its own server with TLS; no broker is needed."""

import os
import shutil
import subprocess

import pytest
from playwright.sync_api import Error as PlaywrightError

from harness import BINARY, free_port, port_open, wait_until

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CERTUTIL = shutil.which("certutil")


@pytest.mark.skipif(CERTUTIL is None, reason="certutil (libnss3-tools) is needed to trust a CA in Chromium")
def test_dashboard_over_https_is_trusted_once_the_household_ca_is(tmp_path, playwright_instance):
    tls = tmp_path / "tls"
    subprocess.run([BINARY, "cert", "--host", "lampu.local", "--dir", str(tls)], check=True, capture_output=True)
    homes = {True: tmp_path / "with-ca", False: tmp_path / "without-ca"}
    for home in homes.values():
        nssdb = home / ".pki" / "nssdb"
        nssdb.mkdir(parents=True)
        subprocess.run([CERTUTIL, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(
        [CERTUTIL, "-d", f"sql:{homes[True]}/.pki/nssdb", "-A", "-t", "C,,", "-n", "SmartLamp home CA",
         "-i", str(tls / "ca.crt")],
        check=True)

    port = free_port()
    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(
            [BINARY, "serve", "--port", str(port), "--set", f"data.dir={tmp_path}/data",
             "--database-url", f"sqlite://{tmp_path}/lamp.sqlite", "--mqtt-url", f"mqtt://127.0.0.1:{free_port()}",
             "--set", f"http.tls-cert-file={tls}/server.crt", "--set", f"http.tls-key-file={tls}/server.key"],
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            wait_until(lambda: port_open(port), timeout=30, message="the HTTPS port")
            url = f"https://lampu.local:{port}/"
            # The session's Playwright (a second sync_playwright() cannot start inside it), a browser of its own.
            p = playwright_instance
            for trusted, home in homes.items():
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, env={**os.environ, "HOME": str(home)},
                    args=["--host-resolver-rules=MAP lampu.local 127.0.0.1"])
                try:
                    page = browser.new_page()
                    if trusted:
                        response = page.goto(url)
                        assert response is not None and response.ok
                        assert page.evaluate("window.isSecureContext")
                        protocol = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
                        assert protocol == "h2"
                        assert page.title()
                    else:
                        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
                            page.goto(url)
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
