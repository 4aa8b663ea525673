// People pickers: every <select data-people-picker> becomes a search-as-you-type
// box (Tom Select, vendored) asking its data-search-url for matches, so a
// company of any size never lists everyone in the page. No inline code (CSP).
(() => {
  "use strict";

  const searchUrl = (select, query) => {
    const url = new URL(select.dataset.searchUrl, window.location.href);
    url.searchParams.set("q", query);
    return url;
  };

  const render = (select) => ({
    option: (person, escape) =>
      '<div class="baton-person"><span class="baton-person__name">' +
      escape(person.text) +
      "</span>" +
      (person.detail
        ? '<span class="baton-person__detail">' + escape(person.detail) + "</span>"
        : "") +
      "</div>",
    item: (person, escape) => "<div>" + escape(person.text) + "</div>",
    no_results: (_data, escape) =>
      '<div class="no-results">' + escape(select.dataset.noResults || "") + "</div>",
    loading: (_data, escape) =>
      '<div class="spinner" aria-label="' + escape(select.dataset.loading || "") + '"></div>',
  });

  const picker = (select) => {
    if (select.tomselect || !window.TomSelect) {
      return;
    }
    const multiple = select.multiple;
    new window.TomSelect(select, {
      valueField: "value",
      labelField: "text",
      // The server has matched already: these only keep its matches shown.
      searchField: ["text", "detail"],
      sortField: [{ field: "$score" }, { field: "$order" }],
      maxOptions: 50,
      loadThrottle: 250,
      preload: false,
      placeholder: select.dataset.placeholder,
      plugins: multiple ? ["remove_button"] : [],
      closeAfterSelect: !multiple,
      hidePlaceholder: true,
      allowEmptyOption: !multiple,
      shouldLoad: (query) => query.trim().length > 0,
      load(query, callback) {
        fetch(searchUrl(select, query), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then((response) => (response.ok ? response.json() : { results: [] }))
          .then((data) => callback(data.results || []))
          .catch(() => callback());
      },
      render: render(select),
    });
  };

  const start = (root) => {
    root.querySelectorAll("select[data-people-picker]").forEach(picker);
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => start(document));
  } else {
    start(document);
  }
})();
