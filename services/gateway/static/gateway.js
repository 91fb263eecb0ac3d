// Move the focus to the error summary so screen readers announce it at once.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("resume-erreurs");
  if (summary) { summary.focus(); }
});
