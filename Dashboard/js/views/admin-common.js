// Pieces the administrator's screens share: labelled fields, a form inside a modal <dialog>, the rooms already in
// use, and the server's refusals in words (the last-admin guard and self-changes get their own sentences).
import { h, mount, uid } from "../dom.js";
import { t, has } from "../i18n.js";
import { state } from "../store.js";
import { errorText } from "../ui.js";

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
export const compare = (a, b) => collator.compare(a ?? "", b ?? "");
export const fold = (text) => String(text ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

/** A label, the input and an optional help line (wired with aria-describedby); the input gets an id. */
export function field(label, input, help, extra) {
  if (!input.id) input.id = uid("f");
  const helpEl = help ? h("p", { class: "help", id: `${input.id}-help` }, help) : null;
  if (helpEl) input.setAttribute("aria-describedby", helpEl.id);
  const error = h("p", { class: "field-error", id: `${input.id}-err`, hidden: true });
  return { el: h("div", { class: "field" }, h("label", { for: input.id }, label), input, helpEl, extra, error), error, input };
}

/** Shows `messages` ({fieldName: text}) under the named fields; returns whether any was shown. */
export function markFields(fields, messages) {
  let first = null;
  for (const [name, f] of Object.entries(fields)) {
    const message = messages[name];
    f.error.hidden = !message;
    mount(f.error, message || "");
    if (message) {
      f.input.setAttribute("aria-invalid", "true");
      f.input.setAttribute("aria-errormessage", f.error.id);
      first ??= f.input;
    } else {
      f.input.removeAttribute("aria-invalid");
      f.input.removeAttribute("aria-errormessage");
    }
  }
  first?.focus();
  return Boolean(first);
}

/** The server's field errors as words for our fields (unknown reasons read "Periksa isian ini."). */
export function serverFieldMessages(error, names) {
  const errs = error?.fieldErrors || {};
  const out = {};
  for (const name of names) {
    if (errs[name]) out[name] = has(`field.${name}.invalid`) ? t(`field.${name}.invalid`) : t("field.invalid");
  }
  if (error?.code === "ALREADY_EXISTS" || error?.status === 409) {
    for (const name of names) if (errs[name] || names.length === 1) out[name] = t("admin.err.taken");
  }
  return out;
}

/** Words for a refused administrative change, including the rules the server enforces in plain English. */
export function adminErrorText(error) {
  const message = String(error?.message || "");
  if (error?.code === "LAST_ADMIN" || /last active admin/i.test(message)) return t("members.lastAdmin");
  if (/your own account/i.test(message)) return t("members.notSelf");
  if (/must be restored/i.test(message)) return t("members.restoreFirst");
  return errorText(error);
}

/** Every room in use, sorted (from the lamps the viewer sees). */
export function knownRooms() {
  const rooms = new Set();
  for (const d of state.devices.values()) if (d.location?.trim()) rooms.add(d.location.trim());
  return [...rooms].sort(compare);
}

/**
 * A form in a modal dialog. `build(form)` returns the form's children; `submit()` resolves true to close or false
 * to stay open (it shows its own field errors); a thrown error is shown above the buttons.
 */
export function formDialog({ title, build, submitLabel, submit, danger = false, wide = false }) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const message = h("p", { class: "form-error", role: "alert" });
    const save = h("button", { type: "submit", class: ["btn", danger ? "btn-danger" : "btn-primary"] }, submitLabel);
    const cancel = h("button", { type: "button", class: "btn", onclick: () => dialog.close("cancel") }, t("common.cancel"));
    let result = null;
    const form = h("form", {
      novalidate: true, class: "dialog-form",
      onsubmit: async (event) => {
        event.preventDefault();
        mount(message);
        save.disabled = true;
        try {
          const value = await submit();
          if (value) {
            result = value;
            dialog.close("ok");
          }
        } catch (error) {
          mount(message, adminErrorText(error));
        } finally {
          save.disabled = false;
        }
      },
    });
    const dialog = h("dialog", { class: ["dialog", wide ? "dialog-wide" : null], "aria-labelledby": titleId },
      h("h2", { id: titleId }, title), form);
    mount(form, build(form), message, h("div", { class: "dialog-actions" }, cancel, save));
    dialog.addEventListener("close", () => {
      resolve(result);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** "3 menit yang lalu"-style words for a duration in seconds ("2 hari 3 jam"). */
export function durationText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  if (d) return t("duration.dh", { d, h: hh });
  if (hh) return t("duration.hm", { h: hh, m: mm });
  if (mm) return t("duration.m", { m: mm });
  return t("duration.s", { s });
}

export const DEVICE_PERMISSIONS = ["monitoring", "control", "manage"];
export const SCHEDULE_PERMISSIONS = ["none", "monitoring", "manage"];
