// SmartLamp service worker: caches the app shell only (the page and the versioned /assets files), so the app
// starts without the network and can say "Server tidak terjangkau". Never /api, never the realtime stream.
const ASSETS = "{{ASSETS}}";
const CACHE = `smartlamp-shell-${ASSETS}`;
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "css/app.css",
  "icons/icon-32.png",
  "icons/icon-192.png",
  "js/app.js",
  "js/api.js",
  "js/commands.js",
  "js/dom.js",
  "js/i18n.js",
  "js/i18n/id.js",
  "js/i18n/en.js",
  "js/icons.js",
  "js/prefs.js",
  "js/realtime.js",
  "js/schedule-model.js",
  "js/store.js",
  "js/ui.js",
  "js/views/account.js",
  "js/views/activity.js",
  "js/views/admin.js",
  "js/views/admin-audit.js",
  "js/views/admin-common.js",
  "js/views/admin-discovery.js",
  "js/views/admin-keys.js",
  "js/views/admin-lamps.js",
  "js/views/admin-members.js",
  "js/views/admin-system.js",
  "js/views/auth-parts.js",
  "js/views/history.js",
  "js/views/lamps.js",
  "js/views/login.js",
  "js/views/offline.js",
  "js/views/schedule-form.js",
  "js/views/schedules.js",
  "js/views/setup.js",
  "js/views/tile.js",
].map((path) => (path.startsWith("/") ? path : `${ASSETS}/${path}`));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("smartlamp-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/api" || url.pathname.startsWith("/api/") || url.pathname === "/health" || url.pathname === "/metrics") return;
  if (request.mode === "navigate") {
    // The page: network first (it names the current asset version), the cached shell when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put("/", copy));
          }
          return response;
        })
        .catch(() => caches.match("/", { cacheName: CACHE }).then((hit) => hit || Response.error())),
    );
    return;
  }
  if (url.pathname.startsWith(`${ASSETS}/`) || url.pathname === "/manifest.webmanifest") {
    // Versioned files never change: cache first.
    event.respondWith(
      caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })),
    );
  }
});
