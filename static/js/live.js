// The live connection: one websocket per tab to /ws/ (protocol: docs/realtime.md).
//
// Features subscribe to event types with live.on(type, fn) and register a resync
// function with live.onResync(fn). The server delivers events at most once, so after
// every (re)connect each resync function fetches a fresh snapshot from the API; events
// that arrive while snapshots load are held back and delivered afterwards, in order.

const CLOSE_SESSION_ENDED = 4401;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class LiveConnection extends EventTarget {
  constructor({ url, meUrl, loginUrl }) {
    super();
    this.url = url;
    this.meUrl = meUrl;
    this.loginUrl = loginUrl;
    this.state = "connecting";
    this.session = null;
    this.socket = null;
    this.failures = 0;
    this.handlers = new Map();
    this.resyncHooks = new Set();
    this.held = null; // events queued while a resync runs
    this.heartbeatTimer = null;
    this.reconnectTimer = null;
    this.lastMessageAt = 0;
    window.addEventListener("online", () => this.reconnectNow());
  }

  /** Call fn(event) for every event of this type ("*" for all); returns an unsubscribe. */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type).delete(fn);
  }

  /** Call fn() after each (re)connect to reload a snapshot; runs now if already connected. */
  onResync(fn) {
    this.resyncHooks.add(fn);
    if (this.state === "connected") this.runResync([fn]);
    return () => this.resyncHooks.delete(fn);
  }

  /** Send a message; false when the socket is not open (callers retry after resync). */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  start() {
    this.connect();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state } }));
  }

  connect() {
    clearTimeout(this.reconnectTimer);
    if (this.state === "signed-out") return;
    this.setState("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
    });
    socket.addEventListener("message", (msg) => this.receive(msg));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopHeartbeat();
      this.afterClose(event.code, opened);
    });
  }

  async afterClose(code, opened) {
    // The server refuses the handshake (403) without a session, and closes with 4401
    // when the session ends; then ask the API whether we are still signed in. Wait a
    // moment first: a form this page just posted (a password change) may be handing the
    // browser a new session cookie, and asking with the old one would delete it.
    if (code === CLOSE_SESSION_ENDED || !opened) {
      await sleep(code === CLOSE_SESSION_ENDED ? 1000 : 0);
      if ((await this.stillSignedIn()) === false) {
        this.setState("signed-out");
        await sleep(1500);
        if ((await this.stillSignedIn()) === false) {
          const next = encodeURIComponent(location.pathname + location.search);
          location.assign(`${this.loginUrl}?next=${next}`);
          return;
        }
        this.state = "connecting";
      }
    }
    this.failures += 1;
    this.setState(this.failures > 2 ? "offline" : "connecting");
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.state === "connected" || this.state === "signed-out") return;
    this.failures = 0;
    this.connect();
  }

  async stillSignedIn() {
    try {
      const response = await fetch(this.meUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401 || response.status === 403) return false;
      return response.ok ? true : null;
    } catch {
      return null; // network down: unknown, keep retrying
    }
  }

  receive(msg) {
    this.lastMessageAt = Date.now();
    let event;
    try {
      event = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (event.type === "session.ready") {
      this.session = event;
      this.failures = 0;
      this.startHeartbeat(event.heartbeat || 20);
      this.setState("connected");
      this.runResync([...this.resyncHooks]);
      return;
    }
    if (event.type === "pong") return;
    if (event.type === "shared_state.reset") {
      // The server lost its shared state (a Redis restart): reload every snapshot.
      this.runResync([...this.resyncHooks]);
      return;
    }
    if (event.type === "session.ended") {
      this.setState("connecting");
      return;
    }
    if (this.held) this.held.push(event);
    else this.deliver(event);
  }

  async runResync(hooks) {
    const mine = (this.held = this.held || []);
    await Promise.allSettled(hooks.map((fn) => Promise.resolve().then(fn)));
    if (this.held !== mine) return;
    this.held = null;
    for (const event of mine) this.deliver(event);
  }

  deliver(event) {
    for (const type of [event.type, "*"]) {
      for (const fn of this.handlers.get(type) || []) {
        try {
          fn(event);
        } catch (error) {
          console.error("live: handler for", event.type, "failed", error);
        }
      }
    }
  }

  startHeartbeat(seconds) {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      // No frame for two periods: the connection is dead without a close frame.
      if (Date.now() - this.lastMessageAt > seconds * 2000 && this.socket) {
        this.socket.close();
        return;
      }
      this.send({ type: "ping" });
    }, seconds * 1000);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }
}

function fromPage() {
  const body = document.body.dataset;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return new LiveConnection({
    url: `${scheme}://${location.host}${body.liveUrl || "/ws/"}`,
    meUrl: body.meUrl || "/api/v1/me/",
    loginUrl: body.loginUrl || "/accounts/login/",
  });
}

export const live = fromPage();
