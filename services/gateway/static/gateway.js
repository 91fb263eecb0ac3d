// Move the focus to the error summary so screen readers announce it at once; without one, to
// the section an action came back to (#prise-en-charge: a URL's fragment only scrolls), else
// to the message a redirect brought (« La réponse est validée… »): a live region already on
// the page at load is not announced, a focused element is read.
document.addEventListener("DOMContentLoaded", function () {
  var section = window.location.hash.length > 1 &&
    document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
  if (section && !section.hasAttribute("tabindex")) { section = null; }
  var target = document.getElementById("resume-erreurs") || section ||
    document.querySelector("[data-focus-on-load]");
  if (target) { target.focus(); }
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

// Moderation case: a passage selected in a field's original text goes into that field's
// « Masquer aussi ce passage » input; typing it there works the same without this script.
document.addEventListener("DOMContentLoaded", function () {
  function selectedIn(original) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { return ""; }
    var range = selection.getRangeAt(0);
    if (!original.contains(range.commonAncestorContainer)) { return ""; }
    var copy = range.cloneContents();
    // The words said to screen readers after each highlighted passage are not the usager's.
    copy.querySelectorAll(".fr-sr-only").forEach(function (hidden) { hidden.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }
  document.querySelectorAll("[data-selection-for]").forEach(function (block) {
    var name = block.getAttribute("data-selection-for");
    var original = document.getElementById(name + "-original");
    var input = document.getElementById(name + "-passage");
    var status = block.querySelector("[data-selection-status]");
    var button = block.querySelector("button");
    if (!original || !input || !button) { return; }
    var captured = "";
    // Some browsers drop the selection when the button is pressed: read it just before.
    button.addEventListener("mousedown", function () { captured = selectedIn(original); });
    button.addEventListener("click", function () {
      var passage = selectedIn(original) || captured;
      captured = "";
      if (!passage) {
        status.textContent = "Sélectionnez d'abord un passage dans le texte de l'usager de ce champ.";
        return;
      }
      input.value = passage;
      status.textContent = "Passage recopié : « " + passage + " ». Prévisualisez pour voir le texte publié.";
    });
    block.hidden = false;
  });
});
