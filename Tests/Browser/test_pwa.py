"""The installable app: a manifest with 192 and 512 PNG icons, a service worker that caches the shell only (never
/api or the stream), an offline start that says "Server tidak terjangkau" with retry; and the page's own
requests: every asset same-origin, a first load under 150 KB."""

import json
import struct
import urllib.request

from playwright.sync_api import expect

from conftest import ADMIN
from harness import DASHBOARD, wait_until


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read(), dict(r.headers)


def test_manifest_and_icons(server):
    body, _ = fetch(server.base + "/manifest.webmanifest")
    manifest = json.loads(body)
    assert manifest["lang"] == "id" and manifest["start_url"].startswith("/")
    sizes = {}
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        data, headers = fetch(server.base + icon["src"])
        w, h = png_size(data)
        assert icon["sizes"] == f"{w}x{h}"
        sizes[icon["sizes"]] = icon.get("purpose", "any")
    assert "192x192" in sizes and "512x512" in sizes
    # The committed files are the ones the manifest names.
    for name in ("icon-192.png", "icon-512.png"):
        assert png_size((DASHBOARD / "icons" / name).read_bytes())[0] in (192, 512)


def test_service_worker_caches_the_shell_only_and_offline_start_says_so(open_page, household):
    w = open_page(user=ADMIN, service_workers="allow")
    page = w.page
    w.goto("/#/lampu")
    expect(page.locator("article.tile").first).to_be_visible()
    # (Polling from Python: the page's CSP forbids the eval behind wait_for_function with a string.)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    wait_until(lambda: page.evaluate("!!navigator.serviceWorker.controller"), 10, message="controlled page")
    expect(page.locator("article.tile").first).to_be_visible()
    cached = page.evaluate("""async () => {
        const out = [];
        for (const key of await caches.keys()) {
          const cache = await caches.open(key);
          for (const req of await cache.keys()) out.push(new URL(req.url).pathname);
        }
        return out;
    }""")
    assert cached, "nothing cached"
    assert not [p for p in cached if p.startswith("/api")]
    assert any(p.endswith("/js/app.js") for p in cached)
    # Start without a network: the cached shell loads and says the server cannot be reached.
    w.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Server tidak terjangkau")).to_be_visible()
    w.shot("offline-id-light-1280")
    retry = page.get_by_role("button", name="Coba lagi")
    w.context.set_offline(False)
    retry.click()
    expect(page.locator("article.tile").first).to_be_visible()


def test_first_load_is_small_and_same_origin(open_page, household):
    w = open_page(user=ADMIN)
    sizes = {}

    def on_response(response):
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # noqa: BLE001 - the stream has no finite body
            pass

    w.page.on("response", on_response)
    w.goto("/#/lampu")
    expect(w.page.locator("article.tile").first).to_be_visible()
    w.page.wait_for_load_state("networkidle")
    assets = {u: n for u, n in sizes.items() if "/api/" not in u}
    total = sum(assets.values())
    print(f"first load: {total} bytes in {len(assets)} files")
    assert total < 150 * 1024
    assert w.foreign_requests == []


def test_service_worker_lists_every_shell_file():
    """The shell list in sw.js names every module, stylesheet and the favicon, so an offline start finds them."""
    import re
    listed = set(re.findall(r'"((?:js|css|icons)/[^"]+)"', (DASHBOARD / "sw.js").read_text()))
    files = {str(p.relative_to(DASHBOARD)) for p in DASHBOARD.rglob("*") if p.suffix in (".js", ".css")}
    files.discard("sw.js")
    assert files - listed == set()
    assert "icons/icon-32.png" in listed
