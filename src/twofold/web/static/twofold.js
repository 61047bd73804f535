// Twofold hosted pages: progressive enhancement only; every page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // "Copy" buttons: <button data-copy="#element-id">, for the TOTP secret and recovery codes.
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.classList.remove("hidden");
    button.addEventListener("click", async () => {
      const source = document.querySelector(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    });
  }
  // Forms that change something ask first: <form data-confirm="Remove this authenticator?">.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
