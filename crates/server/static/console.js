// cloudward console: small enhancements only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a refused or completed action, move focus to the message so that screen
  // readers and keyboard users land on it.
  const message = document.querySelector("#refusal, .alert[role='status'], .alert[role='alert']");
  if (message) {
    message.setAttribute("tabindex", "-1");
    message.focus();
  }
  // "Back" on a refusal: the browser's own back keeps what was typed in the form.
  const back = document.querySelector("a[data-back]");
  if (back && window.history.length > 1) {
    back.addEventListener("click", (event) => {
      event.preventDefault();
      window.history.back();
    });
  }
  // The wizard says at once what the level is and whether the deployment model chosen is
  // one it allows (the same table the server applies when the engagement is created).
  const wizard = document.getElementById("wizard-form");
  const live = document.getElementById("w-live");
  if (wizard && live && wizard.dataset.rules) {
    const rules = JSON.parse(wizard.dataset.rules);
    const model = document.getElementById("w-model");
    const business = document.getElementById("w-business");
    const say = () => {
      const infos = [...wizard.querySelectorAll("input[name=information]:checked")].map((i) => i.value);
      live.hidden = false;
      live.classList.remove("ok", "error");
      model.removeAttribute("aria-invalid");
      if (infos.includes("classified")) {
        live.textContent = rules.text.classified;
        live.classList.add("error");
        return;
      }
      if (infos.length === 0) {
        live.textContent = rules.text.none;
        live.classList.add("error");
        return;
      }
      const levels = infos.map((i) => rules.levels[`${i}|${business.value}`]).filter(Boolean);
      const level = rules.order.filter((l) => levels.includes(l)).pop();
      const allowed = rules.allowed[level] || [];
      const ok = allowed.includes(model.value);
      const t = rules.text;
      live.textContent = `${t.level}${t.colon}${rules.names[level]} · ${t.allowed}${t.colon}${allowed.map((m) => rules.models[m]).join(t.sep)}` + (ok ? "" : ` · ${t.not_allowed}`);
      live.classList.add(ok ? "ok" : "error");
      if (!ok) model.setAttribute("aria-invalid", "true");
    };
    wizard.addEventListener("change", say);
    say();
  }
  // "Tick all" ticks every box of the form it names (the findings of the page).
  for (const all of document.querySelectorAll("input[data-ticks]")) {
    const boxes = () => [...document.querySelectorAll(`input[type=checkbox][form="${all.dataset.ticks}"]`)];
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
    });
  }
  // Ask before moving an engagement to its next phase.
  const advance = document.getElementById("advance");
  if (advance && advance.form) {
    advance.form.addEventListener("submit", (event) => {
      if (!window.confirm(advance.textContent.trim() + "?")) {
        event.preventDefault();
      }
    });
  }
});
