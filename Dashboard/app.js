// The starter page: shows the server's name, version and readiness from the API, in Indonesian or English.
const texts = {
  id: { server: "Server", version: "Versi", readiness: "Kesiapan", ready: "Siap", notReady: "Belum siap", offline: "Server tidak terjangkau" },
  en: { server: "Server", version: "Version", readiness: "Readiness", ready: "Ready", notReady: "Not ready", offline: "Server unreachable" },
};
let lang = localStorage.getItem("lang") === "en" ? "en" : "id";
let last = null;

function render() {
  const t = texts[lang];
  document.documentElement.lang = lang;
  document.getElementById("lang").textContent = lang === "id" ? "EN" : "ID";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t[el.dataset.i18n];
  const ready = document.getElementById("ready");
  if (!last) return;
  if (last.offline) { ready.textContent = t.offline; ready.className = "fail"; return; }
  ready.textContent = last.ready ? t.ready : `${t.notReady}: ${last.reason}`;
  ready.className = last.ready ? "ok" : "fail";
}

async function refresh() {
  try {
    const health = await (await fetch("/api/health")).json();
    document.getElementById("name").textContent = health.data.name;
    document.getElementById("version").textContent = health.data.version;
    const ready = await (await fetch("/api/v1/health/ready")).json();
    last = { ready: ready.success, reason: ready.error ? ready.error.message : "" };
  } catch {
    last = { offline: true };
  }
  render();
}

document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "id" ? "en" : "id";
  localStorage.setItem("lang", lang);
  render();
});
render();
refresh();
setInterval(refresh, 5000);
