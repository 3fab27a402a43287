"""Walking every view: where each one lives, what marks it as loaded, and the page-level checks (axe, horizontal
scroll, touch targets, text from the dictionaries)."""

import json
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from harness import DASHBOARD, wait_until

AXE = Axe()

# (name, hash route, selector that shows the view is ready)
SIGNED_IN_VIEWS = [
    ("lamps", "#/lampu", "article.tile"),
    ("lamp-history", "#/lampu/rumah_000001", "dialog.drawer h2"),
    ("schedules", "#/jadwal", "article.schedule-card"),
    ("schedule-new", "#/jadwal/baru", "form.form-card"),
    ("history", "#/riwayat", "#activity-lamp"),
    ("account", "#/akun", "#acc-name"),
]


def dictionary(lang):
    src = (DASHBOARD / "js" / "i18n" / f"{lang}.js").read_text()
    return json.loads(src[src.index("{"): src.rindex("}") + 1])


def open_view(page, route, ready):
    page.evaluate(f"location.hash = {json.dumps(route)}")
    try:
        expect(page.locator(ready).first).to_be_visible(timeout=10000)
    except AssertionError:
        raise AssertionError(f"{route}: {ready} not shown; main says: {page.locator('main').inner_text()[:300]!r}") from None
    # Let view-level fetches settle (a loading line turns into content).
    # Polled from Python: the page's CSP (script-src 'self') forbids the eval behind wait_for_function(string).
    loading = ("() => [...document.querySelectorAll('[role=status]')]"
               ".some((e) => !e.closest('[hidden]') && /Memuat|Loading/.test(e.textContent))")
    try:
        wait_until(lambda: not page.evaluate(loading), 10, message=f"{route} loaded")
    except AssertionError:
        still = page.eval_on_selector_all("[role=status]", "els => els.map((e) => e.outerHTML.slice(0, 200))")
        raise AssertionError(f"{route} still loading: {still}") from None


def axe_serious(page):
    results = AXE.run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


SMALL_TARGETS_JS = """
() => {
  const out = [];
  const sel = 'button, a[href], input:not([type=hidden]), select, textarea, [role=switch], summary';
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (el.closest('[inert], [hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    // WCAG 2.5.5 exceptions: links inside running text, and the inline time toggle and lamp name in a tile
    // (each tile's main control, the switch, is 44 px).
    if (el.matches('.tile-name, .time-toggle, .skip-link, p a, .help a') ) continue;
    if (el.matches('input[type=radio], input[type=checkbox]')) continue;
    if (r.height < 43.5 || (r.width < 43.5 && !el.matches('input, select, textarea'))) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.width)}x${Math.round(r.height)} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}"`);
    }
  }
  return out;
}
"""


def small_targets(page):
    return page.evaluate(SMALL_TARGETS_JS)


VISIBLE_TEXT_JS = """
() => {
  const skip = (el) => el.closest('[translate=no], time, code, svg, script, style, noscript, option[value*="/"], #announcer, .toasts');
  const shown = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || e.hidden) return false;
      if (e.tagName === 'DETAILS' && !e.open && el !== e && !el.closest('summary')) return false;
    }
    return true;
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.replace(/\\s+/g, ' ').trim();
    if (!text) continue;
    const el = n.parentElement;
    if (!el || skip(el) || !shown(el)) continue;
    texts.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    if (skip(el) || !shown(el)) continue;
    for (const name of ['aria-label', 'placeholder']) {
      const v = el.getAttribute(name);
      if (v && v.trim()) texts.push(v.trim());
    }
  }
  return texts;
}
"""

NEUTRAL = re.compile(r"^[\d\s.,:;·—–\-()/%+×…!?*]*$")
# Product and place names that are never translated (the brand, the setup placeholder).
PROPER = {"SmartLamp", "XXXX-XXXX-XXXX"}


class TextChecker:
    """Accepts a text when a dictionary template produces it, or when it is a literal piece of a template around
    a placeholder filled by an element (e.g. "oleh " before a name)."""

    def __init__(self, lang):
        values = list(dictionary(lang).values())
        self.exact = set()
        self.patterns = []
        self.pieces = set()
        for v in values:
            self.exact.add(v.strip())
            if "{" in v:
                parts = re.split(r"\{\w+\}", v)
                self.patterns.append(re.compile("^" + r"(.+?)".join(re.escape(p) for p in parts) + "$", re.S))
                for p in parts:
                    if p.strip():
                        self.pieces.add(p.strip())

    def ok(self, text):
        if text in PROPER or NEUTRAL.match(text) or text in self.exact or text in self.pieces:
            return True
        return any(p.match(text) for p in self.patterns)

    def foreign(self, texts):
        return sorted({t for t in texts if not self.ok(t)})


def visible_texts(page):
    return page.evaluate(VISIBLE_TEXT_JS)


def used_keys():
    """Every literal t("key") in the dashboard's code."""
    keys = set()
    for path in (DASHBOARD / "js").rglob("*.js"):
        keys.update(re.findall(r"\bt\(\"([a-zA-Z0-9_.]+)\"", path.read_text()))
    return keys


def admin_views(member_id):
    """The Kelola views: (name, route, selector that shows the view is ready)."""
    return [
        ("lamps", "#/kelola/lampu", ".lamp-admin-list .admin-row"),
        ("discovery", "#/kelola/penemuan", ".discovery-card"),
        ("members", "#/kelola/anggota", ".member-list .admin-row"),
        ("member", f"#/kelola/anggota/{member_id}", ".assign-row"),
        ("keys", "#/kelola/kunci", ".key-list .admin-row"),
        ("audit", "#/kelola/audit", ".audit-filters"),
        ("system", "#/kelola/sistem", "#system-title"),
    ]


# Which button opens each view's dialog worth a look.
ADMIN_DIALOGS = {
    "lamps": ("lamp-dialog", ".lamp-admin-list .admin-row button"),
    "members": ("member-dialog", "#member-add"),
    "keys": ("key-dialog", "#key-add"),
}


__all__ = [
    "SIGNED_IN_VIEWS", "dictionary", "open_view", "axe_serious", "horizontal_overflow", "small_targets",
    "TextChecker", "visible_texts", "used_keys", "Path", "admin_views", "ADMIN_DIALOGS",
]
