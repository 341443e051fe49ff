// lingtan screens: small behaviours that need no server round trip.
document.addEventListener("DOMContentLoaded", function () {
  // A <select> or <input> marked data-autosubmit submits its form when changed.
  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () {
      if (field.form) field.form.submit();
    });
  });

  // Every table of a page (shown for a GET request: <main data-export="label">) gets a link
  // that downloads it as Excel: the same address with export=xlsx&table=KEY, KEY being the
  // table's id (unique, not a number) or else its number among the page's tables, from 1.
  // The server (lingtan.web.export) finds the table the same way.
  var main = document.querySelector("main[data-export]");
  if (!main) return;
  var tables = document.querySelectorAll("table");
  tables.forEach(function (table, index) {
    if (!main.contains(table) || table.parentElement.closest("table")) return;
    var id = table.id;
    var unique = id && !/^\d+$/.test(id) &&
      document.querySelectorAll("table#" + CSS.escape(id)).length === 1;
    var key = unique ? id : String(index + 1);
    var address = new URL(window.location.href);
    address.hash = "";
    address.searchParams.set("export", "xlsx");
    address.searchParams.set("table", key);
    var link = document.createElement("a");
    link.className = "export-link";
    link.href = address.pathname + address.search;
    link.textContent = main.dataset.export;
    link.dataset.table = key;
    var bar = document.createElement("p");
    bar.className = "table-tools";
    bar.appendChild(link);
    table.parentNode.insertBefore(bar, table);
  });
});
