// #/akun: name and email, password change, language and theme, the person's signed-in sessions (this one
// marked) with revoke and "keluar dari sesi lain", and logout.
import { h, mount } from "../dom.js";
import { t, formatRelative, formatFull, currentLanguage } from "../i18n.js";
import { get, patch, del } from "../api.js";
import { state, emit, on, isAdmin } from "../store.js";
import { toast, errorText, confirmDialog } from "../ui.js";
import { chooseLanguage, chooseTheme } from "../prefs.js";
import { icons } from "../icons.js";

/** "Chrome di Linux" from a User-Agent text; the names are product names, not translated. */
export function describeAgent(ua) {
  if (!ua) return null;
  const browser = /Edg\//.test(ua) ? "Edge" : /OPR\//.test(ua) ? "Opera" : /Firefox\//.test(ua) ? "Firefox"
    : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : /curl\//i.test(ua) ? "curl" : null;
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad|iPod/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : null;
  return { browser, os };
}

function field(id, label, input, help) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, help);
}

function profileCard() {
  const name = h("input", { type: "text", autocomplete: "name", maxlength: 255, required: true, value: state.viewer.name || "" });
  const email = h("input", { type: "email", autocomplete: "email", maxlength: 255, required: true, value: state.viewer.email || "" });
  const note = h("p", { role: "status", class: "small" });
  const form = h("form", {
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      mount(note);
      note.className = "small";
      if (!name.value.trim()) {
        note.className = "field-error";
        mount(note, t("field.nameMissing"));
        return name.focus();
      }
      if (!/.+@.+\..+/.test(email.value.trim())) {
        note.className = "field-error";
        mount(note, t("field.email.invalid"));
        return email.focus();
      }
      try {
        const user = await patch("/api/v1/profile", { name: name.value.trim(), email: email.value.trim() });
        state.viewer.name = user?.name ?? name.value.trim();
        state.viewer.email = user?.email ?? email.value.trim();
        emit("viewer");
        note.className = "ok-text";
        mount(note, t("common.saved"));
      } catch (error) {
        note.className = "field-error";
        mount(note, error.code === "ALREADY_EXISTS" ? t("account.emailTaken") : errorText(error));
      }
    },
  },
  field("acc-name", t("field.name"), name),
  field("acc-email", t("field.email"), email),
  h("button", { type: "submit", class: "btn btn-primary" }, t("common.save")),
  note);
  return h("section", { class: "card", "aria-labelledby": "acc-profile" },
    h("h2", { id: "acc-profile" }, t("account.profile")),
    h("p", { class: "muted role-line" }, t("account.role"), " ", h("span", { class: "badge" }, t(isAdmin() ? "role.admin" : "role.member"))),
    form);
}

function passwordCard() {
  const current = h("input", { type: "password", autocomplete: "current-password", maxlength: 128, required: true });
  const next = h("input", { type: "password", autocomplete: "new-password", maxlength: 128, minlength: 8, required: true, "aria-describedby": "acc-new-help" });
  const note = h("p", { role: "status", class: "small" });
  const form = h("form", {
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      note.className = "field-error";
      if (!current.value) {
        mount(note, t("account.currentMissing"));
        return current.focus();
      }
      if (next.value.length < 8 || next.value.length > 128) {
        mount(note, t("field.password.rule"));
        return next.focus();
      }
      try {
        await patch("/api/v1/profile", { currentPassword: current.value, newPassword: next.value });
        current.value = next.value = "";
        note.className = "ok-text";
        mount(note, t("account.passwordChanged"));
        emit("sessions-changed");
      } catch (error) {
        mount(note, error.code === "AUTH_INVALID_CREDENTIALS" || error.status === 401 ? t("account.currentWrong") : errorText(error));
      }
    },
  },
  h("input", { type: "email", autocomplete: "username", value: state.viewer.email || "", hidden: true, tabindex: "-1", "aria-hidden": "true", readonly: true }),
  field("acc-current", t("field.currentPassword"), current),
  field("acc-new", t("field.newPassword"), next, h("p", { class: "help", id: "acc-new-help" }, t("field.password.rule"), " ", t("account.passwordEndsOthers"))),
  h("button", { type: "submit", class: "btn btn-primary" }, t("account.changePassword")),
  note);
  return h("section", { class: "card", "aria-labelledby": "acc-password" }, h("h2", { id: "acc-password" }, t("account.password")), form);
}

function radioGroup(name, legend, options, current, onChange) {
  return h("fieldset", {},
    h("legend", {}, legend),
    h("div", { class: "segmented" }, options.map(([value, label, lang]) => h("label", { lang },
      h("input", { type: "radio", name, value, checked: value === current, onchange: () => onChange(value) }),
      label))));
}

function appearanceCard() {
  const langs = radioGroup("acc-lang", t("account.language"), [["id", t("lang.id"), "id"], ["en", t("lang.en"), "en"]], currentLanguage(),
    (v) => chooseLanguage(v).catch((e) => toast(errorText(e), { kind: "error" })));
  const themes = radioGroup("acc-theme", t("account.theme"), [["system", t("theme.system")], ["light", t("theme.light")], ["dark", t("theme.dark")]],
    state.prefs.theme || "system", (v) => chooseTheme(v).catch((e) => toast(errorText(e), { kind: "error" })));
  return h("section", { class: "card", "aria-labelledby": "acc-look" }, h("h2", { id: "acc-look" }, t("account.appearance")), langs, themes);
}

function sessionsCard() {
  const list = h("ul", { class: "session-list" });
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const others = h("button", {
    type: "button", class: "btn", hidden: true,
    onclick: async () => {
      const ok = await confirmDialog({ title: t("account.signOutOthersTitle"), body: t("account.signOutOthersBody"), confirm: t("account.signOutOthers") });
      if (!ok) return;
      try {
        const result = await del("/api/v1/auth/sessions");
        toast(t("account.signedOutN", { n: result?.revoked ?? 0 }), { kind: "success" });
        load();
      } catch (error) {
        toast(errorText(error), { kind: "error" });
      }
    },
  }, t("account.signOutOthers"));

  function row(s) {
    const agent = describeAgent(s.userAgent);
    const name = agent && (agent.browser || agent.os)
      ? t("account.agent", { browser: agent.browser || t("account.browserUnknown"), os: agent.os || t("account.osUnknown") })
      : t("account.deviceUnknown");
    const when = s.lastUsedAt ?? s.createdAt;
    const revoke = s.current ? h("span", { class: "badge status-active" }, t("account.thisSession")) : h("button", {
      type: "button", class: "btn btn-small", "aria-label": t("account.revokeNamed", { name }),
      onclick: async () => {
        try {
          await del(`/api/v1/auth/sessions/${encodeURIComponent(s.id)}`);
          toast(t("account.revoked"), { kind: "success" });
          load();
        } catch (error) {
          toast(errorText(error), { kind: "error" });
        }
      },
    }, t("account.revoke"));
    return h("li", { dataset: { session: String(s.id), current: String(Boolean(s.current)) } },
      h("div", {},
        h("p", {}, h("strong", {}, name)),
        h("p", { class: "small muted" },
          when ? [t("account.lastUsed"), " ", h("time", { datetime: new Date(when).toISOString(), title: formatFull(when) }, formatRelative(when))] : null,
          s.ipAddress ? [" · ", h("span", { translate: "no" }, s.ipAddress)] : null)),
      revoke);
  }

  async function load() {
    try {
      const sessions = await get("/api/v1/auth/sessions");
      const items = Array.isArray(sessions) ? sessions : sessions?.items || [];
      mount(list, items.map(row));
      status.hidden = true;
      others.hidden = !items.some((s) => !s.current);
    } catch (error) {
      mount(status, errorText(error));
      status.hidden = false;
    }
  }
  load();
  return {
    el: h("section", { class: "card", "aria-labelledby": "acc-sessions" },
      h("h2", { id: "acc-sessions" }, t("account.sessions")), status, list, others),
    load,
  };
}

export function render(container) {
  const sessions = sessionsCard();
  const logoutButton = h("button", {
    type: "button", class: "btn btn-danger",
    onclick: async () => (await import("../app.js")).logout(),
  }, icons.logout(), t("account.logout"));
  mount(container, h("section", { class: "view", "aria-labelledby": "acc-title" },
    h("div", { class: "view-head page-actions" }, h("h1", { id: "acc-title" }, t("account.title")), logoutButton),
    h("div", { class: "account-grid" }, profileCard(), appearanceCard(), passwordCard(), sessions.el)));
  const off = on("sessions-changed", () => sessions.load());
  return off;
}
