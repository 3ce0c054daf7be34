// The decision letter's "Print or save as PDF" button (no inline script: the page's CSP).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-letter");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
