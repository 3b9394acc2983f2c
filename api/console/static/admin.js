// The admin pages' script: reorder a level's own milestone types by drag and drop.
//
// Only the rows of the level's own list (#local-types) are draggable; the global types shown
// after them are not, since they keep their own order (Gainsight's rule). A drop puts the
// dragged row before the row it lands on when it came from below, after it when it came from
// above, then posts the whole new order through the page's hidden form (#reorder-form, which
// carries the CSRF token), as the Up and Down buttons do without any script.
"use strict";

(function () {
  function setUp(list) {
    const form = document.getElementById(list.dataset.reorder);
    if (!form) return;
    let dragged = null;

    list.addEventListener("dragstart", (event) => {
      const row = event.target.closest("li[draggable='true']");
      if (!row) return;
      dragged = row;
      row.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.dataset.id);
    });

    list.addEventListener("dragend", () => {
      if (dragged) dragged.classList.remove("dragging");
      for (const row of list.querySelectorAll(".drop-target")) row.classList.remove("drop-target");
      dragged = null;
    });

    list.addEventListener("dragover", (event) => {
      const row = event.target.closest("li[draggable='true']");
      if (!dragged || !row || !list.contains(row)) return;
      event.preventDefault(); // allows the drop
      event.dataTransfer.dropEffect = "move";
      for (const other of list.querySelectorAll(".drop-target")) {
        if (other !== row) other.classList.remove("drop-target");
      }
      if (row !== dragged) row.classList.add("drop-target");
    });

    list.addEventListener("drop", (event) => {
      const row = event.target.closest("li[draggable='true']");
      if (!dragged || !row || row === dragged || !list.contains(row)) return;
      event.preventDefault();
      const rows = Array.from(list.children);
      const fromAbove = rows.indexOf(dragged) < rows.indexOf(row);
      row.classList.remove("drop-target");
      list.insertBefore(dragged, fromAbove ? row.nextSibling : row);
      const ids = Array.from(list.querySelectorAll("li[data-id]"), (li) => li.dataset.id);
      form.elements.ids.value = ids.join(",");
      list.setAttribute("aria-busy", "true");
      form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const list of document.querySelectorAll("ol[data-reorder]")) setUp(list);
  });
})();
