// Accord's own small behaviours; htmx does the rest.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".menu-toggle");
  if (toggle) {
    const open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", String(!open));
    document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", !open);
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) {
    const box = document.getElementById("global-q");
    if (box) { event.preventDefault(); box.focus(); }
  }
});
