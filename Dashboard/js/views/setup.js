// First run: while no administrator exists, the page offers to create one — only with the one-time setup code
// that `smartlamp serve` prints in its log (and `smartlamp setup-code` prints again).
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { post } from "../api.js";
import { errorText } from "../ui.js";
import { demoNotice, authPage, passwordField, lockOut } from "./auth-parts.js";

export function render(root, { setup, onDone }) {
  const code = h("input", {
    id: "setup-code", name: "setupCode", autocomplete: "off", required: true, maxlength: 32, spellcheck: false,
    autocapitalize: "characters", "aria-describedby": "setup-code-help", placeholder: "XXXX-XXXX-XXXX",
  });
  const name = h("input", { id: "setup-name", name: "name", autocomplete: "name", required: true, maxlength: 255 });
  const email = h("input", { id: "setup-email", type: "email", name: "email", autocomplete: "username", required: true, maxlength: 255 });
  const pw = passwordField("setup-password", "new-password");
  pw.input.setAttribute("aria-describedby", "setup-password-help");
  pw.input.minLength = 8;
  const errors = {};
  const errorEl = (field) => (errors[field] = h("p", { class: "field-error", id: `setup-${field}-error`, hidden: true }));
  const message = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, t("setup.submit"));
  let stopCountdown = () => {};

  function fieldError(field, text) {
    const el = errors[field];
    el.textContent = text || "";
    el.hidden = !text;
  }

  const form = h("form", {
    class: "auth-form", novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      mount(message);
      const values = { setupCode: code.value.trim().toUpperCase(), name: name.value.trim(), email: email.value.trim(), password: pw.input.value };
      fieldError("setupCode", values.setupCode ? "" : t("setup.codeMissing"));
      fieldError("name", values.name ? "" : t("field.nameMissing"));
      fieldError("email", /.+@.+\..+/.test(values.email) ? "" : t("field.email.invalid"));
      fieldError("password", values.password.length >= 8 && values.password.length <= 128 ? "" : t("field.password.rule"));
      if (Object.values(errors).some((el) => !el.hidden)) {
        form.querySelector("[aria-invalid='true'], input")?.focus();
        for (const [field, el] of Object.entries(errors)) {
          const input = { setupCode: code, name, email, password: pw.input }[field];
          input.setAttribute("aria-invalid", String(!el.hidden));
        }
        return;
      }
      submit.disabled = true;
      try {
        await post("/api/v1/setup", values);
        await onDone();
      } catch (error) {
        submit.disabled = false;
        if (error.code === "SETUP_CODE_INVALID") {
          fieldError("setupCode", t("err.SETUP_CODE_INVALID"));
          code.setAttribute("aria-invalid", "true");
          code.focus();
        } else if (error.code === "SETUP_ALREADY_DONE") {
          mount(message, t("err.SETUP_ALREADY_DONE"), " ", h("a", { href: "#/lampu", onclick: () => location.reload() }, t("setup.toLogin")));
        } else if (error.code === "RATE_LIMITED") {
          stopCountdown();
          stopCountdown = lockOut(submit, message, error.retryAfterSec || 30);
        } else if (error.code === "VALIDATION_ERROR") {
          const fe = error.fieldErrors;
          if (fe.name) fieldError("name", t("field.nameMissing"));
          if (fe.email) fieldError("email", error.status === 409 ? t("err.ALREADY_EXISTS") : t("field.email.invalid"));
          if (fe.password) fieldError("password", t("field.password.rule"));
          if (!fe.name && !fe.email && !fe.password) mount(message, errorText(error));
        } else {
          mount(message, errorText(error));
        }
      }
    },
  },
  h("h1", {}, t("setup.title")),
  h("p", {}, t("setup.intro")),
  h("div", { class: "field" }, h("label", { for: "setup-code" }, t("setup.code")), code,
    h("p", { class: "help", id: "setup-code-help" }, t("setup.codeHelp"), " ", h("code", { translate: "no" }, "smartlamp setup-code")), errorEl("setupCode")),
  h("div", { class: "field" }, h("label", { for: "setup-name" }, t("field.name")), name, errorEl("name")),
  h("div", { class: "field" }, h("label", { for: "setup-email" }, t("field.email")), email, errorEl("email")),
  h("div", { class: "field" }, h("label", { for: "setup-password" }, t("field.password")), pw.wrap,
    h("p", { class: "help", id: "setup-password-help" }, t("field.password.rule")), errorEl("password")),
  message,
  submit);

  authPage(root, form, setup?.demo ? demoNotice(setup) : null);
  code.focus();
  return () => stopCountdown();
}
