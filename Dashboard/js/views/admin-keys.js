// #/kelola/kunci: API keys for integrations. Create with a name, an owner, scopes and an optional expiry; the key
// is shown once, in a dialog with a copy button (the clipboard exists only in a secure context — on plain-HTTP LAN
// addresses the field is selected for a manual copy instead) and a warning that it will not be shown again. The
// list shows owner, scopes, created, last used and expiry; revoking asks first. A "how to use" panel carries a curl
// example with this server's own address.
import { h, mount, uid } from "../dom.js";
import { t, formatDateTime, formatRelative, formatFull } from "../i18n.js";
import { get, post, del } from "../api.js";
import { state } from "../store.js";
import { toast, confirmDialog, errorText } from "../ui.js";
import { icons } from "../icons.js";
import { field, markFields, serverFieldMessages, formDialog, compare } from "./admin-common.js";

const SCOPES = ["read", "command", "schedule", "admin"];
const EXPIRY_DAYS = ["", "7", "30", "90", "365"];
const KEY_PLACEHOLDER = "$SMARTLAMP_KEY";

function origin() {
  return location.origin;
}

/** The curl lines for a key (or the placeholder variable). */
function curlExample(key, deviceId) {
  const auth = `-H "Authorization: Bearer ${key}"`;
  return [
    `curl ${auth} \\\n  ${origin()}/api/v1/devices`,
    `ID=$(cat /proc/sys/kernel/random/uuid)\ncurl -X POST ${auth} \\\n  -H "Content-Type: application/json" -H "Idempotency-Key: $ID" \\\n  -d '{"deviceId":"${deviceId}","action":"ON","requestId":"'$ID'","waitForAck":true}' \\\n  ${origin()}/api/v1/commands/execute`,
  ].join("\n\n");
}

function firstLampId() {
  return [...state.devices.keys()].sort(compare)[0] || "lampu_teras";
}

function howTo(key) {
  const withKey = key != null;
  return h("section", { class: "card howto", "aria-labelledby": withKey ? "howto-key" : "howto-title" },
    h("h3", { id: withKey ? "howto-key" : "howto-title" }, t("keys.howTo")),
    h("p", { class: "help" }, withKey ? t("keys.howToKey") : t("keys.howToText")),
    withKey ? null : h("pre", { class: "code-block", tabindex: "0", "aria-label": t("keys.exportLabel") }, h("code", { translate: "no" }, `export SMARTLAMP_KEY='…'`)),
    h("pre", { class: "code-block", tabindex: "0", "aria-label": t("keys.example") }, h("code", { translate: "no" }, curlExample(withKey ? key : KEY_PLACEHOLDER, firstLampId()))),
    h("p", { class: "help" }, t("keys.docs"), " ", h("a", { href: "/api/v1/openapi.json", target: "_blank", rel: "noopener" }, t("system.openapi"))));
}

/** The once-only view of a new key. */
function showKey(client) {
  return new Promise((resolve) => {
    const titleId = uid("key");
    const value = h("input", { type: "text", readOnly: true, value: client.apiKey, class: "key-value", translate: "no", spellcheck: false });
    value.id = uid("keyv");
    const note = h("p", { class: "small", role: "status" });
    // Feature test: navigator.clipboard is only there in a secure context (HTTPS or localhost).
    const canCopy = window.isSecureContext && typeof navigator.clipboard?.writeText === "function";
    const copy = canCopy ? h("button", {
      type: "button", class: "btn btn-primary", id: "key-copy",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(client.apiKey);
          mount(note, t("keys.copied"));
        } catch {
          value.select();
          mount(note, t("keys.copyManual"));
        }
      },
    }, t("keys.copy")) : null;
    const close = h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, t("keys.done"));
    const dialog = h("dialog", { class: "dialog dialog-wide", "aria-labelledby": titleId },
      h("h2", { id: titleId }, t("keys.createdTitle", { name: client.name })),
      h("p", { class: "warning", role: "alert" }, t("keys.onceWarning")),
      h("div", { class: "field" }, h("label", { for: value.id }, t("keys.key")), h("div", { class: "key-row" }, value, copy)),
      canCopy ? null : h("p", { class: "help" }, t("keys.copyInsecure")),
      note,
      howTo(client.apiKey),
      h("div", { class: "dialog-actions" }, close));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
    value.focus();
    value.select();
  });
}

async function createKey(users) {
  const name = h("input", { type: "text", autocomplete: "off", maxlength: 255, required: true });
  const owner = h("select", {},
    h("option", { value: "" }, t("keys.ownerNone")),
    users.map((u) => h("option", { value: String(u.id), translate: "no", selected: u.id === state.viewer?.id }, `${u.name} (${u.email})`)));
  const scopeBoxes = SCOPES.map((s) => h("input", { type: "checkbox", value: s, checked: s === "read", id: uid("sc") }));
  const expiry = h("select", {}, EXPIRY_DAYS.map((d) => h("option", { value: d, selected: d === "" }, d ? t("keys.expiresInDays", { n: d }) : t("keys.never"))));
  const scopeError = h("p", { class: "field-error", hidden: true, id: uid("scerr") });
  const fields = {
    name: field(t("keys.name"), name, t("keys.nameHelp")),
    ownerUserId: field(t("keys.owner"), owner, t("keys.ownerHelp")),
    expiresAt: field(t("keys.expiry"), expiry),
  };
  const scopes = h("fieldset", { class: "scopes" },
    h("legend", {}, t("keys.scopes")),
    SCOPES.map((s, i) => h("div", { class: "check-row" },
      h("label", { class: "check", for: scopeBoxes[i].id }, scopeBoxes[i], h("span", {}, h("strong", {}, t(`scope.${s}`)), " — ", t(`scope.${s}.help`))))),
    scopeError);
  return formDialog({
    title: t("keys.addTitle"),
    submitLabel: t("keys.create"),
    wide: true,
    build: () => [fields.name.el, fields.ownerUserId.el, scopes, fields.expiresAt.el],
    submit: async () => {
      const chosen = scopeBoxes.filter((b) => b.checked).map((b) => b.value);
      const problems = {};
      if (!name.value.trim()) problems.name = t("field.nameMissing");
      scopeError.hidden = chosen.length > 0;
      mount(scopeError, chosen.length ? "" : t("keys.scopesMissing"));
      if (markFields(fields, problems) || !chosen.length) return null;
      const body = { name: name.value.trim(), scopes: chosen };
      if (owner.value) body.ownerUserId = Number(owner.value);
      if (expiry.value) body.expiresAt = Date.now() + Number(expiry.value) * 86_400_000;
      try {
        return await post("/api/v1/integrations/clients", body);
      } catch (error) {
        if (markFields(fields, serverFieldMessages(error, ["name", "ownerUserId", "expiresAt"]))) return null;
        throw error;
      }
    },
  });
}

export function render(container) {
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const list = h("ul", { class: "admin-list key-list" });
  const add = h("button", { type: "button", class: "btn btn-primary", id: "key-add" }, icons.plus(), t("keys.add"));
  mount(container, h("section", { "aria-labelledby": "keys-title" },
    h("div", { class: "page-actions section-head" }, h("h2", { id: "keys-title" }, t("keys.title")), add),
    h("p", { class: "muted small" }, t("keys.note")),
    status, list, howTo(null)));
  let alive = true;
  let users = [];

  function when(ms, empty) {
    return ms ? h("time", { datetime: new Date(ms).toISOString(), title: formatFull(ms) }, formatDateTime(ms)) : empty;
  }

  function paint(keys) {
    const byId = new Map(users.map((u) => [u.id, u]));
    const now = Date.now();
    const sorted = [...keys].sort((a, b) => Number(b.isActive && !b.revokedAt) - Number(a.isActive && !a.revokedAt) || compare(a.name, b.name));
    mount(list, sorted.map((k) => {
      const revoked = !k.isActive || k.revokedAt;
      const expired = !revoked && k.expiresAt && k.expiresAt <= now;
      const st = revoked ? "revoked" : expired ? "expired" : "active";
      const ownerName = k.ownerName ?? byId.get(k.ownerUserId)?.name ?? null;
      const created = typeof k.createdAt === "number" ? k.createdAt : Date.parse(k.createdAt);
      return h("li", { class: "admin-row", dataset: { id: String(k.id), status: st } },
        h("div", { class: "admin-row-main" },
          h("p", { class: "admin-row-title" }, h("strong", { translate: "no" }, k.name), " ",
            h("span", { class: ["badge", `key-${st}`] }, t(`keys.status.${st}`))),
          h("dl", { class: "facts" },
            h("dt", {}, t("keys.prefix")), h("dd", {}, h("code", { translate: "no" }, `${k.keyPrefix}…`)),
            h("dt", {}, t("keys.owner")), h("dd", {}, ownerName ? h("span", { translate: "no" }, ownerName) : t("keys.ownerNone")),
            h("dt", {}, t("keys.scopes")), h("dd", { class: "badges" }, (k.scopes || []).map((s) => h("span", { class: "badge" }, t(`scope.${s === "*" ? "all" : s}`)))),
            h("dt", {}, t("keys.created")), h("dd", {}, when(Number.isNaN(created) ? null : created, t("common.none"))),
            h("dt", {}, t("keys.lastUsed")), h("dd", {}, k.lastUsedAt ? h("time", { datetime: new Date(k.lastUsedAt).toISOString(), title: formatFull(k.lastUsedAt) }, formatRelative(k.lastUsedAt)) : t("keys.neverUsed")),
            h("dt", {}, t("keys.expiry")), h("dd", {}, k.expiresAt ? when(k.expiresAt) : t("keys.never")))),
        h("div", { class: "actions" }, revoked ? null : h("button", {
          type: "button", class: "btn btn-small btn-danger", "aria-label": t("keys.revokeNamed", { name: k.name }),
          onclick: () => revoke(k),
        }, t("keys.revoke"))));
    }));
    status.hidden = keys.length > 0;
    mount(status, t("keys.empty"));
  }

  async function load() {
    try {
      const [keys, all] = await Promise.all([get("/api/v1/integrations/clients"), get("/api/v1/users")]);
      if (!alive) return;
      users = (Array.isArray(all) ? all : all?.items || []).filter((u) => u.isActive && !u.isArchived);
      paint(Array.isArray(keys) ? keys : keys?.items || []);
    } catch (error) {
      if (!alive) return;
      mount(status, errorText(error));
      status.hidden = false;
    }
  }

  async function revoke(k) {
    const ok = await confirmDialog({ title: t("keys.revokeTitle", { name: k.name }), body: t("keys.revokeBody"), confirm: t("keys.revoke") });
    if (!ok) return;
    try {
      await del(`/api/v1/integrations/clients/${k.id}`);
      toast(t("keys.revoked", { name: k.name }), { kind: "success" });
    } catch (error) {
      toast(errorText(error), { kind: "error" });
    }
    load();
  }

  add.addEventListener("click", async () => {
    const client = await createKey(users);
    if (!client) return;
    load();
    if (client.apiKey) await showKey(client);
  });
  load();
  return () => {
    alive = false;
  };
}
