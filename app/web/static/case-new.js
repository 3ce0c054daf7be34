// Reading a credential takes a moment (signature checks, SHACL shapes): say so while it runs.
// No inline script (the page's CSP); without JavaScript the form works the same.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("read-form");
  var status = document.getElementById("read-status");
  if (!form || !status) { return; }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.setAttribute("aria-disabled", "true"); button.disabled = true; }
    status.textContent = status.getAttribute("data-reading") || "";
  });
});
