// paved's pages: charts from the data the server put on each <canvas
// data-chart="…">, drawn with the vendored Chart.js, in the page's colours
// (light or dark, as the system says) and again when the system changes.
// Content that htmx swaps in gets its charts the same way.
(function () {
  "use strict";

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // Each series names a colour class ("lvl-0", "lvl-none", "before"…)
  // whose colour is the CSS variable of the same name.
  function colour(cls) {
    return cssVar("--" + cls) || cssVar("--accent");
  }

  function config(spec) {
    var fg = cssVar("--fg"), grid = cssVar("--border");
    var scales = {
      x: { stacked: !!spec.stacked, ticks: { color: fg }, grid: { color: grid } },
      y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { color: fg, precision: 0 }, grid: { color: grid } },
    };
    var type = "bar", area = spec.kind === "area";
    if (area) {
      // Counts per day stacked as areas (a campaign's burndown).
      type = "line";
    } else if (spec.kind === "levels") {
      // A service's level per day: a stepped line over the levels, best on top.
      type = "line";
      scales.y = { type: "category", labels: spec.categories, offset: true, ticks: { color: fg }, grid: { color: grid } };
    }
    return {
      type: type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          var c = colour(s.class);
          return {
            label: s.name, data: s.data, backgroundColor: c, borderColor: c,
            stepped: spec.kind === "levels", pointRadius: type === "line" ? (area ? 0 : 3) : undefined,
            borderWidth: type === "line" ? (area ? 1 : 2) : 0, fill: area ? (i === 0 ? "origin" : "-1") : undefined,
          };
        }),
      },
      options: {
        animation: false, // draw at once: nothing to wait for, and calmer
        responsive: true,
        maintainAspectRatio: false,
        scales: scales,
        plugins: {
          legend: { display: spec.series.length > 1, labels: { color: fg } },
          tooltip: { mode: "index", intersect: false },
        },
      },
    };
  }

  function draw(canvas) {
    var old = window.Chart && Chart.getChart(canvas);
    if (old) old.destroy();
    new Chart(canvas, config(JSON.parse(canvas.dataset.chart)));
  }

  function drawAll(root) {
    if (!window.Chart || !root.querySelectorAll) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (c) {
      if (!Chart.getChart(c)) draw(c);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (e) { drawAll(e.target); });
  // Every htmx request carries the session's CSRF token (the server checks
  // it on posts), also from buttons outside a form.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) e.detail.headers["X-CSRF-Token"] = meta.content;
  });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
      document.querySelectorAll("canvas[data-chart]").forEach(draw);
    });
  }
})();
