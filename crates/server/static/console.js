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
