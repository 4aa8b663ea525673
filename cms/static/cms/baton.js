// Small behaviours shared by every Baton page (no inline scripts: CSP-friendly).
document.addEventListener("change", (event) => {
  const control = event.target;
  if (control instanceof HTMLSelectElement && control.hasAttribute("data-submit-on-change")) {
    control.form?.submit();
  }
});
