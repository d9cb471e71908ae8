// Long lists (time zones, countries, regions and markets) as searchable selects: the page
// ships only the chosen options; the rest load from the select's data-choices-url the
// first time the list opens. Tom Select (npm, static/vendor/tom-select) draws the control.
// enhanceChoices(root) can run again on new content; each select is enhanced once and
// keeps working as a plain form field (its options are what the form submits).
const loaded = new Map(); // url -> Promise of [{value, text}]

function loadOnce(url) {
  if (!loaded.has(url)) {
    loaded.set(url, fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .catch((error) => {
        loaded.delete(url); // try again next time
        throw error;
      }));
  }
  return loaded.get(url);
}

let vendor = null;
function tomSelect() {
  // The vendor file is a UMD build: importing it defines globalThis.TomSelect.
  vendor ||= import(new URL("../vendor/tom-select/tom-select.complete.min.js", import.meta.url))
    .then(() => globalThis.TomSelect);
  return vendor;
}

export async function enhanceChoices(root = document) {
  const selects = [...root.querySelectorAll("select[data-choices-url]")].filter(
    (select) => !select.tomselect,
  );
  if (!selects.length) return [];
  const TomSelect = await tomSelect();
  return selects.map((select) => {
    const multiple = select.multiple;
    const control = new TomSelect(select, {
      plugins: multiple ? ["remove_button"] : [],
      maxOptions: null,
      preload: "focus",
      closeAfterSelect: !multiple,
      hideSelected: multiple,
      // everything at once, then Tom Select filters as you type
      load(query, callback) {
        if (this.loadedAll) return callback();
        loadOnce(select.dataset.choicesUrl).then((rows) => {
          this.loadedAll = true;
          callback(rows);
        }, () => callback());
      },
      shouldLoad() {
        return !this.loadedAll;
      },
      // a chosen one clears the search, ready for the next (Tom Select keeps the text)
      onItemAdd() {
        if (!multiple) return;
        this.setTextboxValue("");
        this.refreshOptions(false);
      },
      render: {
        no_results: () => `<div class="no-results">${select.dataset.noResults || "No match"}</div>`,
        loading: () => `<div class="spinner-border spinner-border-sm m-2" role="status"><span class="visually-hidden">${select.dataset.loadingLabel || "Loading…"}</span></div>`,
      },
    });
    // Tom Select points the field's <label> at its own input, which stands for the
    // select; the select stays in the form, out of reach (tabindex -1) and out of the
    // accessibility tree, so there is one labelled control, not a nameless twin.
    select.setAttribute("aria-hidden", "true");
    return control;
  });
}
