// #/kelola/anggota: family members. The list has a search and an "archived too" switch; a new member is made in a
// dialog. #/kelola/anggota/<id> edits one person (name, email, role, active), resets their password, archives or
// restores them, and holds the assignment matrix: one row per lamp, by room, with the lamp permission (Pantau /
// Kendali / Kelola) and the schedule permission (Tidak ada / Pantau / Kelola). The upstream's rules are applied as
// the person chooses and said next to the row: schedule "Kelola" needs Kendali or Kelola on the lamp (so it lifts
// the lamp to Kendali), lowering the lamp to Pantau turns schedule "Kelola" into "Pantau", removing a lamp resets
// both. A whole room is given in one click. The last active administrator cannot be demoted, deactivated or
// archived: checked here first and said in words (the server refuses it too).
import { h, mount, uid } from "../dom.js";
import { t, formatNumber } from "../i18n.js";
import { get, post, patch, put, del } from "../api.js";
import { state } from "../store.js";
import { toast, confirmDialog, errorText } from "../ui.js";
import { icons } from "../icons.js";
import {
  field, markFields, serverFieldMessages, formDialog, adminErrorText, compare, fold,
  DEVICE_PERMISSIONS, SCHEDULE_PERMISSIONS,
} from "./admin-common.js";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
let showArchived = false;
let query = "";

function statusOf(user) {
  if (user.isArchived || user.deletedAt) return "archived";
  return user.isActive ? "active" : "inactive";
}

function listOf(data) {
  return Array.isArray(data) ? data : data?.items || [];
}

/** Whether `user` is the only active administrator among `users`. */
function lastAdmin(user, users) {
  if (user.role !== "admin" || statusOf(user) !== "active") return false;
  return !users.some((u) => u.id !== user.id && u.role === "admin" && statusOf(u) === "active");
}

async function createMember() {
  const name = h("input", { type: "text", autocomplete: "off", maxlength: 255, required: true });
  const email = h("input", { type: "email", autocomplete: "off", maxlength: 255, required: true });
  const password = h("input", { type: "password", autocomplete: "new-password", minlength: 8, maxlength: 128, required: true });
  const role = h("select", {}, ["member", "admin"].map((r) => h("option", { value: r }, t(`role.${r}`))));
  const fields = {
    name: field(t("field.name"), name),
    email: field(t("field.email"), email),
    password: field(t("members.firstPassword"), password, t("field.password.rule")),
    role: field(t("members.role"), role, t("members.roleHelp")),
  };
  return formDialog({
    title: t("members.addTitle"),
    submitLabel: t("members.add"),
    build: () => Object.values(fields).map((f) => f.el),
    submit: async () => {
      const problems = {};
      if (!name.value.trim()) problems.name = t("field.nameMissing");
      if (!EMAIL_RE.test(email.value.trim())) problems.email = t("field.email.invalid");
      if (password.value.length < 8 || password.value.length > 128) problems.password = t("field.password.rule");
      if (markFields(fields, problems)) return null;
      try {
        return await post("/api/v1/users", { name: name.value.trim(), email: email.value.trim(), password: password.value, role: role.value });
      } catch (error) {
        if (markFields(fields, serverFieldMessages(error, ["name", "email", "password"]))) return null;
        throw error;
      }
    },
  });
}

// ------------------------------------------------------------------ the list

function renderList(container) {
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  const list = h("ul", { class: "admin-list member-list" });
  const search = h("input", { type: "search", class: "search-input", placeholder: t("members.search"), "aria-label": t("members.search"), autocomplete: "off", value: query });
  const archived = h("input", { type: "checkbox", id: "members-archived", checked: showArchived });
  const add = h("button", { type: "button", class: "btn btn-primary", id: "member-add" }, icons.plus(), t("members.add"));
  mount(container, h("section", { "aria-labelledby": "members-title" },
    h("div", { class: "page-actions section-head" }, h("h2", { id: "members-title" }, t("members.title")), add),
    h("div", { class: "toolbar" },
      h("label", { class: "search admin-search" }, icons.search(), search),
      h("label", { class: "check", for: "members-archived" }, archived, t("members.showArchived"))),
    status, list));
  let users = [];
  let alive = true;

  function paint() {
    const q = fold(query.trim());
    const shown = users
      .filter((u) => !q || fold(u.name).includes(q) || fold(u.email).includes(q))
      .sort((a, b) => compare(a.name, b.name));
    mount(list, shown.map((u) => {
      const st = statusOf(u);
      return h("li", { class: "admin-row", dataset: { id: String(u.id), status: st } },
        h("div", { class: "admin-row-main" },
          h("p", { class: "admin-row-title" }, h("strong", { translate: "no" }, u.name), " ",
            u.id === state.viewer?.id ? h("span", { class: "badge" }, t("members.you")) : null),
          h("p", { class: "muted small", translate: "no" }, u.email),
          h("p", { class: "badges" },
            h("span", { class: ["badge", u.role === "admin" ? "perm-manage" : null] }, t(`role.${u.role}`)),
            h("span", { class: ["badge", `user-${st}`] }, t(`members.status.${st}`)))),
        h("div", { class: "actions" },
          h("a", { class: "btn btn-small", href: `#/kelola/anggota/${u.id}`, "aria-label": t("members.openNamed", { name: u.name }) }, icons.manage(), t("members.open"))));
    }));
    status.hidden = shown.length > 0;
    mount(status, users.length ? t("members.noMatch") : t("members.empty"));
  }

  async function load() {
    try {
      const data = await get(`/api/v1/users${showArchived ? "?includeArchived=true" : ""}`);
      if (!alive) return;
      users = listOf(data);
      paint();
    } catch (error) {
      if (!alive) return;
      mount(status, errorText(error));
      status.hidden = false;
    }
  }
  search.addEventListener("input", () => {
    query = search.value;
    paint();
  });
  archived.addEventListener("change", () => {
    showArchived = archived.checked;
    load();
  });
  add.addEventListener("click", async () => {
    const user = await createMember();
    if (user) {
      toast(t("members.created", { name: user.name }), { kind: "success" });
      location.hash = `#/kelola/anggota/${user.id}`;
    }
  });
  load();
  return () => {
    alive = false;
  };
}

// ------------------------------------------------------------------ one person

function assignmentMatrix(user, rows, onSaved) {
  /** deviceId → {assigned, devicePermission, schedulePermission} as currently chosen. */
  const chosen = new Map(rows.map((r) => [r.deviceId, { assigned: r.assigned, devicePermission: r.devicePermission || "monitoring", schedulePermission: r.schedulePermission || "none" }]));
  const saved = new Map([...chosen].map(([k, v]) => [k, { ...v }]));
  const message = h("p", { class: "small", role: "status" });
  const save = h("button", { type: "button", class: "btn btn-primary", id: "assign-save" }, t("assign.save"));
  const controls = new Map();

  function fix(id, changedField) {
    const c = chosen.get(id);
    let note = null;
    if (!c.assigned) {
      c.devicePermission = "monitoring";
      c.schedulePermission = "none";
    } else if (changedField === "schedule" && c.schedulePermission === "manage" && c.devicePermission === "monitoring") {
      c.devicePermission = "control";
      note = t("assign.fixRaised");
    } else if (changedField === "device" && c.devicePermission === "monitoring" && c.schedulePermission === "manage") {
      c.schedulePermission = "monitoring";
      note = t("assign.fixLowered");
    }
    return note;
  }

  function paintRow(id, note) {
    const c = chosen.get(id);
    const k = controls.get(id);
    k.check.checked = c.assigned;
    k.device.value = c.devicePermission;
    k.schedule.value = c.schedulePermission;
    k.device.disabled = !c.assigned;
    k.schedule.disabled = !c.assigned;
    k.row.dataset.assigned = String(c.assigned);
    if (note !== undefined) {
      mount(k.note, note || "");
      k.note.hidden = !note;
    }
    paintDirty();
  }

  function dirty() {
    return [...chosen].some(([id, c]) => {
      const s = saved.get(id);
      return s.assigned !== c.assigned || (c.assigned && (s.devicePermission !== c.devicePermission || s.schedulePermission !== c.schedulePermission));
    });
  }
  function paintDirty() {
    const n = [...chosen.values()].filter((c) => c.assigned).length;
    mount(message, dirty() ? t("assign.unsaved", { n: formatNumber(n) }) : t("assign.count", { n: formatNumber(n) }));
  }

  function row(r) {
    const check = h("input", { type: "checkbox", id: uid("as") });
    const device = h("select", { id: uid("dp") }, DEVICE_PERMISSIONS.map((p) => h("option", { value: p }, t(`perm.${p}`))));
    const schedule = h("select", { id: uid("sp") }, SCHEDULE_PERMISSIONS.map((p) => h("option", { value: p }, t(`schedperm.${p}`))));
    const note = h("p", { class: "assign-note small", role: "status", hidden: true });
    const el = h("li", { class: "assign-row", dataset: { device: r.deviceId } },
      h("div", { class: "assign-lamp" },
        check, h("label", { for: check.id }, h("span", { translate: "no" }, r.name), h("span", { class: "sr-only" }, " ", t("assign.give")))),
      h("div", { class: "assign-perm" }, h("label", { for: device.id, class: "small" }, t("assign.device")), device),
      h("div", { class: "assign-perm" }, h("label", { for: schedule.id, class: "small" }, t("assign.schedule")), schedule),
      note);
    controls.set(r.deviceId, { row: el, check, device, schedule, note });
    check.addEventListener("change", () => {
      const c = chosen.get(r.deviceId);
      c.assigned = check.checked;
      paintRow(r.deviceId, fix(r.deviceId, "assigned"));
    });
    device.addEventListener("change", () => {
      chosen.get(r.deviceId).devicePermission = device.value;
      paintRow(r.deviceId, fix(r.deviceId, "device"));
    });
    schedule.addEventListener("change", () => {
      chosen.get(r.deviceId).schedulePermission = schedule.value;
      paintRow(r.deviceId, fix(r.deviceId, "schedule"));
    });
    return el;
  }

  async function persist() {
    save.disabled = true;
    try {
      const body = { assignments: [...chosen].filter(([, c]) => c.assigned).map(([deviceId, c]) => ({ deviceId, assigned: true, devicePermission: c.devicePermission, schedulePermission: c.schedulePermission })) };
      await put(`/api/v1/users/${user.id}/assignments`, body);
      for (const [id, c] of chosen) saved.set(id, { ...c });
      paintDirty();
      onSaved?.();
      return true;
    } catch (error) {
      mount(message, adminErrorText(error));
      return false;
    } finally {
      save.disabled = false;
    }
  }
  save.addEventListener("click", async () => {
    if (await persist()) toast(t("assign.saved", { name: user.name }), { kind: "success" });
  });

  const byRoom = new Map();
  for (const r of [...rows].sort((a, b) => compare(a.name, b.name))) {
    const key = r.location?.trim() || "";
    if (!byRoom.has(key)) byRoom.set(key, []);
    byRoom.get(key).push(r);
  }
  const rooms = [...byRoom.keys()].sort((a, b) => (a === "" ? 1 : b === "" ? -1 : compare(a, b)));
  const groups = rooms.map((key) => {
    const items = byRoom.get(key);
    const headingId = uid("room");
    const level = h("select", { "aria-label": t("assign.roomLevel", { room: key || t("lamps.noRoom") }) }, DEVICE_PERMISSIONS.map((p) => h("option", { value: p, selected: p === "control" }, t(`perm.${p}`))));
    const roomName = key ? h("span", { translate: "no" }, key) : t("lamps.noRoom");
    const give = h("button", { type: "button", class: "btn btn-small", "aria-describedby": headingId }, t("assign.room"));
    give.addEventListener("click", async () => {
      for (const r of items) {
        const c = chosen.get(r.deviceId);
        c.assigned = true;
        c.devicePermission = level.value;
        if (level.value === "monitoring" && c.schedulePermission === "manage") c.schedulePermission = "monitoring";
        paintRow(r.deviceId, null);
      }
      if (await persist()) toast(t("assign.roomDone", { n: formatNumber(items.length), room: key || t("lamps.noRoom"), name: user.name }), { kind: "success" });
    });
    return h("section", { class: "assign-room", "aria-labelledby": headingId, dataset: { room: key } },
      h("div", { class: "assign-room-head" }, h("h4", { id: headingId }, roomName),
        h("div", { class: "assign-room-actions" }, level, give)),
      h("ul", { class: "assign-list" }, items.map(row)));
  });
  for (const id of chosen.keys()) paintRow(id, null);
  return h("section", { class: "card assign-card", "aria-labelledby": "assign-title" },
    h("h3", { id: "assign-title" }, t("assign.title")),
    h("div", { class: "help assign-rules" },
      h("p", {}, t("assign.rulesIntro")),
      h("ul", {}, h("li", {}, t("assign.rule1")), h("li", {}, t("assign.rule2")), h("li", {}, t("assign.rule3")), h("li", {}, t("assign.rule4")))),
    rows.length ? groups : h("p", { class: "muted" }, t("assign.noLamps")),
    h("div", { class: "assign-foot" }, message, save));
}

function renderPerson(container, idText) {
  const status = h("p", { class: "muted", role: "status" }, t("common.loading"));
  mount(container, h("section", {}, h("p", {}, h("a", { href: "#/kelola/anggota" }, t("members.back"))), status));
  let alive = true;

  async function load() {
    try {
      const [assignments, all] = await Promise.all([
        get(`/api/v1/users/${encodeURIComponent(idText)}/assignments`).catch((error) => {
          if (error.status === 404 || error.code === "VALIDATION_ERROR") return null;
          throw error;
        }),
        get("/api/v1/users?includeArchived=true"),
      ]);
      if (!alive) return;
      const users = listOf(all);
      const user = users.find((u) => String(u.id) === idText) || assignments?.user;
      if (!user) {
        mount(status, t("err.USER_NOT_FOUND"));
        return;
      }
      build(user, users, assignments?.assignments || []);
    } catch (error) {
      if (alive) mount(status, errorText(error));
    }
  }

  function build(user, users, rows) {
    const st = statusOf(user);
    const self = user.id === state.viewer?.id;
    const isLast = lastAdmin(user, users);
    const guard = h("p", { class: "warning", role: "alert", hidden: true });
    function refuse(text) {
      mount(guard, text);
      guard.hidden = false;
      guard.scrollIntoView?.({ block: "nearest" });
    }

    // --- details
    const name = h("input", { type: "text", maxlength: 255, autocomplete: "off", value: user.name });
    const email = h("input", { type: "email", maxlength: 255, autocomplete: "off", value: user.email });
    const role = h("select", {}, ["member", "admin"].map((r) => h("option", { value: r, selected: r === user.role }, t(`role.${r}`))));
    const active = h("input", { type: "checkbox", id: uid("act"), checked: Boolean(user.isActive) });
    const fields = { name: field(t("field.name"), name), email: field(t("field.email"), email), role: field(t("members.role"), role, t("members.roleHelp")) };
    const archivedNote = st === "archived" ? h("p", { class: "form-info" }, t("members.archivedNote")) : null;
    const detailsSave = h("button", { type: "submit", class: "btn btn-primary" }, t("common.save"));
    const details = h("form", {
      class: "card", novalidate: true, "aria-labelledby": "member-details",
      onsubmit: async (event) => {
        event.preventDefault();
        guard.hidden = true;
        const problems = {};
        if (!name.value.trim()) problems.name = t("field.nameMissing");
        if (!EMAIL_RE.test(email.value.trim())) problems.email = t("field.email.invalid");
        if (markFields(fields, problems)) return;
        const body = {};
        if (name.value.trim() !== user.name) body.name = name.value.trim();
        if (email.value.trim() !== user.email) body.email = email.value.trim();
        if (role.value !== user.role) body.role = role.value;
        if (active.checked !== Boolean(user.isActive)) body.isActive = active.checked;
        if (!Object.keys(body).length) return toast(t("members.nothingChanged"));
        if (isLast && (body.role === "member" || body.isActive === false)) return refuse(t("members.lastAdmin"));
        if (self && body.isActive === false) return refuse(t("members.notSelf"));
        detailsSave.disabled = true;
        try {
          await patch(`/api/v1/users/${user.id}`, body);
          toast(t("members.saved", { name: body.name ?? user.name }), { kind: "success" });
          load();
        } catch (error) {
          if (!markFields(fields, serverFieldMessages(error, ["name", "email"]))) refuse(adminErrorText(error));
        } finally {
          detailsSave.disabled = false;
        }
      },
    },
    h("h3", { id: "member-details" }, t("members.details")),
    archivedNote, fields.name.el, fields.email.el, fields.role.el,
    h("div", { class: "field" }, h("label", { class: "check", for: active.id }, active, t("members.active")), h("p", { class: "help" }, t("members.activeHelp"))),
    h("div", { class: "actions" }, detailsSave));
    if (st === "archived") for (const el of details.querySelectorAll("input, select, button")) el.disabled = true;

    // --- password reset
    const password = h("input", { type: "password", autocomplete: "new-password", minlength: 8, maxlength: 128 });
    const pwField = field(t("members.newPassword"), password, t("members.resetHelp"));
    const reset = h("form", {
      class: "card", novalidate: true, "aria-labelledby": "member-reset",
      onsubmit: async (event) => {
        event.preventDefault();
        if (markFields({ password: pwField }, password.value.length < 8 || password.value.length > 128 ? { password: t("field.password.rule") } : {})) return;
        try {
          await patch(`/api/v1/users/${user.id}`, { password: password.value });
          password.value = "";
          toast(t("members.passwordReset", { name: user.name }), { kind: "success" });
        } catch (error) {
          refuse(adminErrorText(error));
        }
      },
    }, h("h3", { id: "member-reset" }, t("members.resetTitle")), pwField.el,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn", disabled: st === "archived" }, t("members.resetButton"))));
    if (st === "archived") password.disabled = true;

    // --- archive / restore
    const archiveButton = st === "archived"
      ? h("button", { type: "button", class: "btn", id: "member-restore" }, t("members.restore"))
      : h("button", { type: "button", class: "btn btn-danger", id: "member-archive" }, icons.trash(), t("members.archive"));
    archiveButton.addEventListener("click", async () => {
      guard.hidden = true;
      try {
        if (st === "archived") {
          await post(`/api/v1/users/${user.id}/restore`, {});
          toast(t("members.restored", { name: user.name }), { kind: "success" });
        } else {
          if (isLast) return refuse(t("members.lastAdmin"));
          if (self) return refuse(t("members.notSelf"));
          const ok = await confirmDialog({ title: t("members.archiveTitle", { name: user.name }), body: t("members.archiveBody"), confirm: t("members.archive") });
          if (!ok) return;
          await del(`/api/v1/users/${user.id}`);
          toast(t("members.archived", { name: user.name }), { kind: "success" });
        }
        load();
      } catch (error) {
        refuse(adminErrorText(error));
      }
    });
    const lifecycle = h("section", { class: "card", "aria-labelledby": "member-life" },
      h("h3", { id: "member-life" }, t(st === "archived" ? "members.restoreTitle" : "members.archiveHeading")),
      h("p", { class: "help" }, t(st === "archived" ? "members.restoreHelp" : "members.archiveHelp")),
      h("div", { class: "actions" }, archiveButton));

    const matrix = user.role === "admin"
      ? h("section", { class: "card assign-card", "aria-labelledby": "assign-title" }, h("h3", { id: "assign-title" }, t("assign.title")), h("p", { class: "muted" }, t("assign.admin")))
      : assignmentMatrix(user, rows);

    mount(container, h("section", { "aria-labelledby": "member-title", class: "member-page", dataset: { id: String(user.id) } },
      h("p", {}, h("a", { href: "#/kelola/anggota" }, t("members.back"))),
      h("div", { class: "page-actions section-head" },
        h("h2", { id: "member-title", translate: "no" }, user.name),
        h("p", { class: "badges" },
          h("span", { class: ["badge", user.role === "admin" ? "perm-manage" : null] }, t(`role.${user.role}`)),
          h("span", { class: ["badge", `user-${st}`] }, t(`members.status.${st}`)))),
      guard,
      h("div", { class: "member-grid" }, h("div", { class: "stack" }, details, reset, lifecycle), matrix)));
  }

  load();
  return () => {
    alive = false;
  };
}

let current = null;
let host = null;

function show(rest) {
  current?.();
  current = rest[0] ? renderPerson(host, rest[0]) : renderList(host);
}

export function render(container, rest) {
  host = container;
  show(rest);
  return () => {
    current?.();
    current = null;
  };
}

export function update(rest) {
  show(rest);
}
