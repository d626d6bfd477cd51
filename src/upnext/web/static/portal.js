// Progressive touches only: every page works without this file.
"use strict";

// A poster that fails to load leaves the card's title placeholder visible.
for (const img of document.querySelectorAll("img.poster")) {
  const broken = () => img.classList.add("broken");
  img.addEventListener("error", broken);
  if (img.complete && img.naturalWidth === 0) broken();
}

// Confirm destructive forms (revoking a key, rotating a secret).
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// Preview a chosen media file and check its size before it is uploaded.
for (const input of document.querySelectorAll('.upload input[type="file"]')) {
  input.addEventListener("change", () => {
    const file = input.files[0];
    const output = input.form.querySelector(".upload-check");
    const preview = input.closest(".media-slot").querySelector(".media-preview");
    if (!file) return;
    const url = URL.createObjectURL(file);
    const probe = new Image();
    probe.onload = () => {
      const want = `${input.dataset.width}x${input.dataset.height}`;
      const got = `${probe.naturalWidth}x${probe.naturalHeight}`;
      output.textContent = got === want ? `${got}: right size` : `${got}: needs ${want}`;
      output.className = "upload-check " + (got === want ? "good" : "bad");
      preview.replaceChildren(probe);
    };
    probe.src = url;
  });
}

// Arrow keys move along the row, as on a TV remote.
const row = document.getElementById("row");
if (row) {
  row.addEventListener("keydown", (event) => {
    const card = event.target.closest(".card");
    if (!card) return;
    const next = event.key === "ArrowRight" ? card.nextElementSibling
      : event.key === "ArrowLeft" ? card.previousElementSibling : null;
    if (next) { next.focus(); next.scrollIntoView({ block: "nearest", inline: "nearest" }); event.preventDefault(); }
  });
}
