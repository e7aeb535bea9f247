// Participants rows: add and remove without a page load, and show only the employee or the
// customer select that the row's type needs. Without JavaScript the form still works as a plain
// Django formset (both selects visible, a "Remove" checkbox per row).
(function () {
  "use strict";
  document.querySelectorAll("[data-participant-rows]").forEach(function (rows) {
    var section = rows.closest("fieldset");
    var template = section.querySelector("[data-participant-template]");
    var addButton = section.querySelector("[data-add-participant]");
    var total = section.querySelector("input[name$='-TOTAL_FORMS']");

    function syncType(row) {
      var type = row.querySelector("[data-participant-type]");
      row.querySelectorAll("[data-participant-for]").forEach(function (select) {
        select.closest(".field").hidden = select.getAttribute("data-participant-for") !== type.value;
      });
    }

    function number() {
      var visible = rows.querySelectorAll("[data-participant-row]:not([hidden])");
      visible.forEach(function (row, index) {
        row.querySelector("legend").textContent = "Participant " + (index + 1);
      });
    }

    function enhance(row) {
      var holder = row.querySelector("[data-remove-checkbox]");
      var checkbox = holder.querySelector("input[type=checkbox]");
      holder.hidden = true;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button--ghost button--danger";
      remove.textContent = "Remove";
      remove.addEventListener("click", function () {
        checkbox.checked = true;
        row.hidden = true;
        number();
        addButton.focus();
      });
      holder.after(remove);
      var type = row.querySelector("[data-participant-type]");
      type.addEventListener("change", function () { syncType(row); });
      syncType(row);
    }

    rows.querySelectorAll("[data-participant-row]").forEach(function (row) {
      var checkbox = row.querySelector("[data-remove-checkbox] input[type=checkbox]");
      if (checkbox && checkbox.checked) { row.hidden = true; }
      enhance(row);
    });
    number();

    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var row = rows.lastElementChild;
      enhance(row);
      number();
      row.querySelector("select").focus();
    });
  });

  // After a failed submit, take keyboard and screen-reader users to the error summary.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
})();
