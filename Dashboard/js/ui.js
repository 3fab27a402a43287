// Shared pieces of the interface: the aria-live announcer, toasts (with an optional action such as "Batalkan"),
// the confirmation <dialog>, and the server error code → words mapping.
import { h, mount } from "./dom.js";
import { t, has } from "./i18n.js";

let live = null;
let toasts = null;

export function installUI(root) {
  live = h("div", { class: "sr-only", "aria-live": "polite", "aria-atomic": "true", id: "announcer" });
  toasts = h("div", { class: "toasts", id: "toasts" });
  root.append(live, toasts);
}

let announceTimer = null;
let queue = [];
/** Tells screen-reader users what changed; messages within 400 ms are read together. */
export function announce(message) {
  if (!live) return;
  queue.push(message);
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    live.textContent = queue.slice(-3).join(". ");
    queue = [];
  }, 400);
}

/**
 * Shows a toast. options: {kind: "info"|"error"|"success", action: {label, run}, seconds (auto close),
 * countdown: true (label shows the seconds left)}. Returns {close, update(message)}.
 */
export function toast(message, options = {}) {
  if (!toasts) return { close() {}, update() {} };
  const seconds = options.seconds ?? (options.kind === "error" ? 8 : 5);
  let left = seconds;
  let timer = null;
  const text = h("span", { class: "toast-text" }, message);
  const close = () => {
    clearInterval(timer);
    el.remove();
  };
  let actionButton = null;
  if (options.action) {
    actionButton = h("button", {
      type: "button", class: "btn btn-small toast-action",
      onclick: () => {
        close();
        options.action.run();
      },
    }, options.countdown ? t("toast.actionCountdown", { label: options.action.label, n: left }) : options.action.label);
  }
  const closeButton = h("button", { type: "button", class: "icon-btn toast-close", "aria-label": t("common.close"), onclick: close }, "×");
  const el = h("div", { class: ["toast", `toast-${options.kind || "info"}`], role: options.kind === "error" ? "alert" : "status" },
    text, actionButton, closeButton);
  toasts.append(el);
  timer = setInterval(() => {
    left -= 1;
    if (left <= 0) close();
    else if (actionButton && options.countdown) {
      actionButton.textContent = t("toast.actionCountdown", { label: options.action.label, n: left });
    }
  }, 1000);
  return { close, update: (next) => { text.textContent = next; }, element: el };
}

/** A modal confirmation; resolves true when confirmed. */
export function confirmDialog({ title, body, confirm, danger = true }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title),
      body ? h("p", {}, body) : null,
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "btn", value: "cancel", onclick: () => dialog.close("cancel") }, t("common.cancel")),
        h("button", { type: "button", class: ["btn", danger ? "btn-danger" : "btn-primary"], onclick: () => dialog.close("ok") }, confirm)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The words for an API error (never the server's raw English). */
export function errorText(error) {
  const code = error?.code || "UNKNOWN";
  if (code === "RATE_LIMITED" && error.retryAfterSec) return t("err.RATE_LIMITED_IN", { n: error.retryAfterSec });
  if (has(`err.${code}`)) return t(`err.${code}`);
  if (error?.status >= 500) return t("err.INTERNAL_ERROR");
  return t("err.UNKNOWN");
}

/** Shows field errors of a validation error next to the inputs named in `fields` ({field: errorElement}). */
export function showFieldErrors(error, fields) {
  const errs = error?.fieldErrors || {};
  let any = false;
  for (const [name, el] of Object.entries(fields)) {
    if (errs[name]) {
      mount(el, has(`field.${name}`) ? t(`field.${name}`) : t("field.invalid"));
      el.hidden = false;
      any = true;
    } else {
      mount(el);
      el.hidden = true;
    }
  }
  return any;
}
