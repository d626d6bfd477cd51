// Progressive touches only: every page works without this file.
"use strict";

// A poster that fails to load leaves the card's title placeholder visible.
function watchPosters(root) {
  for (const img of root.querySelectorAll("img.poster")) {
    const broken = () => img.classList.add("broken");
    img.addEventListener("error", broken);
    if (img.complete && img.naturalWidth === 0) broken();
  }
}
watchPosters(document);

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
document.addEventListener("keydown", (event) => {
  const card = event.target.closest && event.target.closest(".row .card");
  if (!card) return;
  const next = event.key === "ArrowRight" ? card.nextElementSibling
    : event.key === "ArrowLeft" ? card.previousElementSibling : null;
  if (next) {
    next.focus();
    next.scrollIntoView({ block: "nearest", inline: "nearest" });
    event.preventDefault();
  }
});

// Hide and Unhide without losing the row's scroll position: post the same form, then
// swap in the page the server answers with. Without this script the form posts normally.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches(".hide-form")) return;
  event.preventDefault();
  const card = form.closest(".card");
  const scroll = document.getElementById("row").scrollLeft;
  const response = await fetch(form.getAttribute("action"), {
    method: "POST",
    body: new FormData(form, event.submitter),
    credentials: "same-origin",
  });
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const main = page.querySelector("main");
  if (!main) { window.location.reload(); return; }
  document.querySelector("main").replaceWith(main);
  watchPosters(main);
  const row = document.getElementById("row");
  if (row) row.scrollLeft = scroll;
  const again = card && document.getElementById(card.id);
  if (again) again.focus({ preventScroll: true });
});
