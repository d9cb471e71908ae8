// Screen-reader announcements through the two live regions of base.html, which exist
// from the first load and never leave the document (data-keep-mounted): a region created
// together with its text is often not read out.
const CLEAR_AFTER_MS = 7000;
const timers = new Map();

/** Read `text` out; `assertive` interrupts (an incoming call), otherwise when idle. */
export function announce(text, { assertive = false } = {}) {
  const region = document.getElementById(assertive ? "announce-assertive" : "announce-polite");
  if (!region) return;
  clearTimeout(timers.get(region));
  // Emptied first so that the same text twice is announced twice.
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
    timers.set(region, setTimeout(() => {
      region.textContent = "";
    }, CLEAR_AFTER_MS));
  }, 50);
}
