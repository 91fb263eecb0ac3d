// Move the focus to the error summary so screen readers announce it at once.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("resume-erreurs");
  if (summary) { summary.focus(); }
});

// Long lists of checkboxes (a network's structures) get a filter field: the choices whose label
// does not contain the text are hidden, the ticked ones always stay.
document.addEventListener("DOMContentLoaded", function () {
  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("input[data-filter-for]").forEach(function (field) {
    var name = field.getAttribute("data-filter-for");
    field.addEventListener("input", function () {
      var wanted = plain(field.value.trim());
      document.querySelectorAll('[data-choice-of="' + name + '"]').forEach(function (choice) {
        var box = choice.querySelector("input[type=checkbox]");
        var shown = !wanted || box.checked || plain(choice.textContent).indexOf(wanted) !== -1;
        choice.hidden = !shown;
      });
    });
    field.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  // filtering never sends the form
    });
  });
});
