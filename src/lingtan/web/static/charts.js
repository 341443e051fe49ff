// Draw every chart of a page: <div class="chart" data-chart="ID"> takes the Plotly figure
// ({"data": [...], "layout": {...}}) of <script type="application/json" id="ID">.
// Plotly comes from /static/plotly.min.js (served by lingtan from the plotly package).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".chart[data-chart]").forEach(function (box) {
    var source = document.getElementById(box.dataset.chart);
    if (!source || typeof Plotly === "undefined") return;
    var figure = JSON.parse(source.textContent);
    box.textContent = "";
    Plotly.newPlot(box, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d"],
    }).then(function () {
      box.classList.add("drawn");
    });
  });
});
