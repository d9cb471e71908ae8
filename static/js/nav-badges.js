// Nav badges kept live (docs/realtime.md): a count next to a link in the top bar, e.g.
// missed calls or unread messages. The badge is rendered by includes/nav_badge.html with
// a stable id (name and language) and data-turbo-permanent, so it keeps its count across
// visits; the feature
// that owns the count calls setBadge(name, count) on its snapshot and on its events.
const counts = new Map();

function paint(name) {
  const badge = document.querySelector(`[data-nav-badge="${name}"]`);
  if (!badge) return;
  const count = counts.get(name) || 0;
  badge.querySelector(".count").textContent = count;
  badge.hidden = !count;
}

export function setBadge(name, count) {
  counts.set(name, count);
  paint(name);
}

// A page that did not show a badge (none in its bar) followed by one that does.
document.addEventListener("turbo:load", () => {
  for (const name of counts.keys()) paint(name);
});
