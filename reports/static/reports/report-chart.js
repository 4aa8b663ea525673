// Draws each report chart from its spec (a json_script element the page holds):
// no inline script, so it runs under Baton's strict Content-Security-Policy.
// Series differ by pattern, dash and point shape as well as colour, so the
// chart reads without colour; the table beside it holds every number.
(function () {
  "use strict";

  // Okabe-Ito colours: told apart by most colour-blind readers too.
  const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];
  const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 2]];
  const POINTS = ["circle", "triangle", "rect", "rectRot", "star", "crossRot"];
  const ROW_HEIGHT = 28;

  // A fill pattern per series for bars: solid, stripes, dots, cross-hatch...
  function pattern(index, colour) {
    const size = 10;
    const tile = document.createElement("canvas");
    tile.width = size;
    tile.height = size;
    const pen = tile.getContext("2d");
    pen.fillStyle = colour;
    pen.strokeStyle = "#ffffff";
    pen.lineWidth = 2;
    pen.fillRect(0, 0, size, size);
    switch (index % 6) {
      case 1: // diagonal stripes
        pen.beginPath();
        pen.moveTo(0, size);
        pen.lineTo(size, 0);
        pen.stroke();
        break;
      case 2: // dots
        pen.fillStyle = "#ffffff";
        pen.beginPath();
        pen.arc(size / 2, size / 2, 2, 0, 2 * Math.PI);
        pen.fill();
        break;
      case 3: // cross-hatch
        pen.beginPath();
        pen.moveTo(0, 0);
        pen.lineTo(size, size);
        pen.moveTo(0, size);
        pen.lineTo(size, 0);
        pen.stroke();
        break;
      case 4: // horizontal lines
        pen.beginPath();
        pen.moveTo(0, size / 2);
        pen.lineTo(size, size / 2);
        pen.stroke();
        break;
      case 5: // vertical lines
        pen.beginPath();
        pen.moveTo(size / 2, 0);
        pen.lineTo(size / 2, size);
        pen.stroke();
        break;
      default: // solid
        break;
    }
    return pen.createPattern(tile, "repeat");
  }

  function dataset(series, index, kind) {
    const colour = COLOURS[index % COLOURS.length];
    const common = {
      label: series.label,
      data: series.data,
      borderColor: colour,
      pointStyle: POINTS[index % POINTS.length],
      pointRadius: 4,
      pointHoverRadius: 6,
    };
    if (kind === "line") {
      return Object.assign(common, {
        backgroundColor: colour,
        borderDash: DASHES[index % DASHES.length],
        borderWidth: 2,
        spanGaps: false,
        tension: 0,
      });
    }
    return Object.assign(common, {
      backgroundColor: pattern(index, colour),
      borderWidth: 1,
    });
  }

  function draw(figure) {
    const source = document.getElementById(figure.dataset.reportChart);
    const canvas = figure.querySelector("canvas");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    const spec = JSON.parse(source.textContent);
    const horizontal = spec.kind === "hbar";
    const language = document.documentElement.lang || undefined;
    const number = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });
    const holder = figure.querySelector(".reports-chart__canvas");
    if (horizontal) {
      // One row per label, so long labels (checklist items) stay readable.
      const rows = spec.labels.length * Math.max(1, spec.series.length);
      holder.style.height = `${Math.max(240, 48 + rows * ROW_HEIGHT)}px`;
    }
    const valueAxis = {
      beginAtZero: true,
      title: { display: Boolean(spec.unit), text: spec.unit },
      ticks: { callback: (value) => number.format(value) },
    };
    const labelAxis = { ticks: { autoSkip: !horizontal } };
    const chart = new window.Chart(canvas, {
      type: spec.kind === "line" ? "line" : "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map((series, index) => dataset(series, index, spec.kind)),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        indexAxis: horizontal ? "y" : "x",
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: {
          legend: {
            display: spec.series.length > 1,
            position: "bottom",
            labels: { usePointStyle: spec.kind === "line" },
          },
          tooltip: {
            callbacks: {
              label: (context) => {
                const value = context.raw;
                const text = value === null || value === undefined
                  ? spec.noValue
                  : `${number.format(value)}${spec.unit ? ` ${spec.unit}` : ""}`;
                return `${context.dataset.label}: ${text}`;
              },
            },
          },
        },
      },
    });
    figure.dataset.chartReady = "true";
    return chart;
  }

  function drawAll() {
    document.querySelectorAll("[data-report-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
