// The base class of every page script (docs/realtime.md, "Page navigation and page
// scripts"). Stimulus connects a controller when its element appears, on a full load or a
// Turbo visit, and disconnects it when the element goes; everything registered through
// these helpers is undone on disconnect, so a page visited twenty times listens once.
import { Controller } from "../vendor/stimulus/stimulus.js";
import { live } from "./live.js";

export class PageController extends Controller {
  connect() {
    this.cleanups = [];
    const aborter = new AbortController();
    /** Pass as `{ signal: this.signal }` to addEventListener: removed on disconnect. */
    this.signal = aborter.signal;
    this.cleanups.push(() => aborter.abort());
    this.setup();
  }

  disconnect() {
    this.teardown();
    for (const undo of this.cleanups.splice(0).reverse()) undo();
  }

  /** Override: bind to this.element (and below it). Runs on every connect. */
  setup() {}

  /** Override: undo what the helpers below do not (they clean up themselves). */
  teardown() {}

  /** fn(event) for each live event of this type while connected. */
  onLive(type, fn) {
    this.cleanups.push(live.on(type, fn));
  }

  /** fn() after each (re)connect of the live connection, and now if connected. */
  onResync(fn) {
    this.cleanups.push(live.onResync(fn));
  }

  /** setInterval / setTimeout that end with the controller. */
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    this.cleanups.push(() => clearInterval(timer));
  }

  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    this.cleanups.push(() => clearTimeout(timer));
    return timer;
  }
}
