// The login page: email + password (show/hide), Indonesian messages for wrong credentials and validation, and a
// live countdown from Retry-After after too many attempts (the button stays disabled until 0).
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { post } from "../api.js";
import { errorText } from "../ui.js";
import { demoNotice, authPage, passwordField, lockOut } from "./auth-parts.js";

export function render(root, { reason, demo, onLoggedIn }) {
  const email = h("input", { id: "login-email", type: "email", name: "email", autocomplete: "username", required: true, maxlength: 255, inputmode: "email" });
  const pw = passwordField("login-password", "current-password");
  const message = h("p", { class: "form-error", role: "alert", id: "login-error" });
  const info = reason ? h("p", { class: "form-info", role: "status" }, t(`login.${reason}`)) : null;
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, t("login.submit"));
  let stopCountdown = () => {};

  const form = h("form", {
    class: "auth-form", novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      if (submit.disabled) return;
      mount(message);
      if (!email.value.trim() || !pw.input.value) {
        mount(message, t("login.missing"));
        (email.value.trim() ? pw.input : email).focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = t("login.busy");
      try {
        await post("/api/v1/auth/login", { email: email.value.trim(), password: pw.input.value });
        stopCountdown();
        await onLoggedIn();
        return;
      } catch (error) {
        submit.textContent = t("login.submit");
        submit.disabled = false;
        if (error.code === "RATE_LIMITED" || error.status === 429) {
          stopCountdown();
          stopCountdown = lockOut(submit, message, error.retryAfterSec || 30);
        } else if (error.code === "AUTH_INVALID_CREDENTIALS" || error.status === 401) {
          mount(message, t("login.wrong"));
          pw.input.select();
        } else if (error.code === "VALIDATION_ERROR") {
          mount(message, t("login.invalid"));
        } else {
          mount(message, errorText(error));
        }
      }
    },
  },
  h("h1", {}, t("login.title")),
  info,
  h("div", { class: "field" }, h("label", { for: "login-email" }, t("field.email")), email),
  h("div", { class: "field" }, h("label", { for: "login-password" }, t("field.password")), pw.wrap),
  message,
  submit,
  h("details", { class: "forgot" }, h("summary", {}, t("login.forgot")), h("p", {}, t("login.forgotHelp"))));

  authPage(root, form, demo?.demo ? demoNotice(demo) : null);
  email.focus();
  return () => stopCountdown();
}
