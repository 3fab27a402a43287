import { h, mount } from "../dom.js";
import { t } from "../i18n.js";

export function render(container) {
  mount(container, h("section", { class: "view" }, h("h1", {}, t("nav.history"))));
}
