// « Commencer un diagnostic »: choosing a structure ticks the contact channels it declares, and
// says so in a live region. Without this script, the « Cocher les canaux… » button does it.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.querySelector("select[data-channels-for]");
  if (!select) { return; }
  var boxes = document.querySelectorAll('input[name="' + select.getAttribute("data-channels-for") + '"]');
  var said = document.getElementById("channels-said");
  var button = document.querySelector("[data-channels-button]");
  // Removed, not hidden: it would stay the form's default button when Enter is pressed.
  if (button) { button.remove(); }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (!option || !option.hasAttribute("data-channels")) { return; }
    var wanted = option.getAttribute("data-channels").split(" ");
    boxes.forEach(function (box) { box.checked = wanted.indexOf(box.value) !== -1; });
    if (said) { said.textContent = option.getAttribute("data-channels-said") || ""; }
  });
});
