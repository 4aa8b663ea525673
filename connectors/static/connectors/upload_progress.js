// The spreadsheet import's progress: asks the small JSON endpoint again until
// the import ends, then reloads the page for the summary. Without JavaScript
// the page refreshes itself (a <noscript> meta refresh) instead.
(() => {
  "use strict";
  const panel = document.querySelector("[data-upload-progress]");
  if (!panel || !window.fetch) return;
  const url = panel.dataset.uploadProgress;
  const delay = Number(panel.dataset.refreshMs) || 2000;
  const bar = panel.querySelector("[data-progress-bar]");
  const label = panel.querySelector("[data-progress-label]");
  const state = panel.querySelector("[data-progress-state]");

  async function poll() {
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const progress = await response.json();
      if (progress.finished) {
        window.location.reload();
        return;
      }
      bar.max = progress.rows_total || 1;
      bar.value = progress.rows_done;
      bar.textContent = `${progress.percent}%`;
      label.textContent = progress.label;
      state.textContent = progress.state_label;
    } catch (error) {
      // A blip (a deploy, the network): the next round asks again.
    }
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
