/* Participant pages: signing dialogs, repeatable rows, and live updates by
   conditional polling. Plain ES2020, loaded with `defer`; no inline scripts. */
"use strict";

(() => {
  const POLL_MS = 1500;
  const root = document.getElementById("p-live");
  const pendingVersions = new Map();

  // Dialogs and repeatable rows -----------------------------------------------

  function openDialog(dialog) {
    if (!dialog || typeof dialog.showModal !== "function") return;
    if (dialog.open) dialog.close();
    dialog.showModal();
    const first = dialog.querySelector(
      "textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio])"
    );
    if (first) first.focus();
  }

  function addRow(button) {
    const list = button.closest("[data-list]");
    if (!list) return;
    const template = list.querySelector(":scope > template[data-row-template]");
    const rows = list.querySelector(":scope > [data-rows]");
    if (!template || !rows) return;
    const index = Number(button.dataset.nextIndex || rows.children.length);
    button.dataset.nextIndex = String(index + 1);
    rows.insertAdjacentHTML(
      "beforeend",
      template.innerHTML
        .replaceAll("__index__", String(index))
        .replaceAll("__number__", String(index + 1))
    );
    const form = button.closest("form");
    if (form) form.dataset.dirty = "1";
    const first = rows.lastElementChild?.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const opener = target.closest("[data-open-dialog]");
    if (opener) {
      openDialog(document.getElementById(opener.dataset.openDialog));
      return;
    }
    const closer = target.closest("[data-close-dialog]");
    if (closer) {
      closer.closest("dialog")?.close();
      return;
    }
    // The sticky section index folds away once a section is chosen, so the
    // section is not hidden under its list.
    const jump = target.closest("details[data-close-on-jump] a[href]");
    if (jump) {
      jump.closest("details").open = false;
      return;
    }
    const adder = target.closest("[data-add-row]");
    if (adder) {
      addRow(adder);
      return;
    }
    const showTheirs = target.closest("[data-show-theirs]");
    if (showTheirs) {
      const block = showTheirs.closest("[data-item-id], [data-live-id]");
      const fresh = block && pendingVersions.get(keyOf(block));
      if (fresh) {
        pendingVersions.delete(keyOf(block));
        replace(block, fresh);
      }
    }
  });

  // A form someone typed in is never replaced under their fingers.
  document.addEventListener("input", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form") : null;
    if (form) form.dataset.dirty = "1";
  });

  // Panels marked so start folded on a phone (open on a desk and without
  // scripts), unless they hold a refused action's message.
  if (window.matchMedia?.("(max-width: 719px)").matches) {
    for (const panel of document.querySelectorAll(
      "details[data-fold-on-phone]:not([data-keep-open])"
    )) {
      panel.open = false;
    }
  }

  // A refused signature comes back with its dialog open: make it modal again.
  for (const dialog of document.querySelectorAll("dialog[data-reopen]")) {
    openDialog(dialog);
  }

  if (!root || !window.fetch || !window.DOMParser) return;

  // Live updates ----------------------------------------------------------------

  let etag = root.dataset.etag || "";
  let inFlight = false;
  let stopped = false;

  function keyOf(element) {
    return element.dataset.itemId
      ? `item:${element.dataset.itemId}`
      : `live:${element.dataset.liveId}`;
  }

  function findCurrent(fresh) {
    if (fresh.dataset.itemId) {
      return document.querySelector(`[data-item-id="${CSS.escape(fresh.dataset.itemId)}"]`);
    }
    return document.querySelector(`[data-live-id="${CSS.escape(fresh.dataset.liveId)}"]`);
  }

  function isBusy(element) {
    const active = document.activeElement;
    if (active && active !== document.body && element.contains(active)
        && active.matches("input, textarea, select")) {
      return true;
    }
    return Boolean(element.querySelector("form[data-dirty], dialog[open]"));
  }

  function openDisclosures(element) {
    return [...element.querySelectorAll("details")].map((details) => details.open);
  }

  function replace(current, fresh) {
    const wasOpen = openDisclosures(current);
    const node = document.importNode(fresh, true);
    [...node.querySelectorAll("details")].forEach((details, index) => {
      if (wasOpen[index]) details.open = true;
    });
    // A disclosure with an id stays as the person left it, folded or open.
    for (const details of node.querySelectorAll("details[id]")) {
      const before = current.querySelector(`details[id="${CSS.escape(details.id)}"]`);
      if (before) details.open = before.open;
    }
    if (current.matches("details") && current.open) node.open = true;
    current.replaceWith(node);
  }

  function markChanged(current, fresh) {
    pendingVersions.set(keyOf(current), fresh);
    if (current.querySelector(":scope > .p-changed")) return;
    const notice = document.createElement("div");
    notice.className = "p-changed";
    notice.setAttribute("role", "status");
    const text = document.createElement("p");
    text.textContent = root.dataset.changedText || "";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "p-button p-button--quiet";
    button.dataset.showTheirs = "";
    button.textContent = root.dataset.showText || "";
    notice.append(text, button);
    current.prepend(notice);
  }

  async function refresh() {
    const response = await fetch(root.dataset.pageUrl, {
      headers: { Accept: "text/html" },
      cache: "no-store",
      credentials: "same-origin",
    });
    if (!response.ok) return false;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    let changed = 0;
    for (const fresh of doc.querySelectorAll("[data-item-id], [data-live-id]")) {
      const current = findCurrent(fresh);
      if (!current || current.dataset.version === fresh.dataset.version) continue;
      if (isBusy(current)) {
        // A list someone is working in keeps its items; each one that changed
        // is handled on its own below.
        if ("liveSoft" in current.dataset) continue;
        markChanged(current, fresh);
      } else {
        replace(current, fresh);
      }
      changed += 1;
    }
    const freshRoot = doc.getElementById("p-live");
    if (freshRoot) etag = freshRoot.dataset.etag || etag;
    const status = document.querySelector("[data-live-status]");
    if (status && changed) status.textContent = root.dataset.updatedText || "";
    return true;
  }

  async function poll() {
    if (stopped || inFlight || document.visibilityState !== "visible") return;
    inFlight = true;
    try {
      const response = await fetch(root.dataset.stateUrl, {
        headers: { Accept: "application/json", "If-None-Match": `"${etag}"` },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status === 200) {
        const body = await response.json();
        if (body.etag !== etag) await refresh();
      } else if (response.status >= 400 && response.status < 500) {
        stopped = true; // no longer allowed to see it, or signed out
      }
    } catch {
      // Offline or the server restarting: the next tick tries again.
    } finally {
      inFlight = false;
    }
  }

  window.setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll();
  });
})();
