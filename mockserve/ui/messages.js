// The journal page's WebSocket view: the spec's sockets (how many are open on each) and
// the messages both ways, newest first, mirrored from GET {admin}/websockets by polling.
// Hidden for a spec without `websockets`. Messages are data: text nodes only.
"use strict";

(() => {
  const ADMIN = location.pathname.replace(/\/ui\/?$/, "");
  const POLL_MS = 1000;
  const SHOWN = 500; // messages rendered at most
  const TOKEN_KEY = "mockserve-admin-token"; // set by page.js from the #token= fragment

  let messages = []; // oldest first
  let lastId = 0;

  const $ = (id) => document.getElementById(id);

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") el.className = value;
      else el.setAttribute(key, value);
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  async function get(path) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await fetch(ADMIN + path, { headers, cache: "no-store" });
    if (!response.ok) throw new Error(`GET ${ADMIN}${path} answered ${response.status}`);
    return response.json();
  }

  // As the requests view does: ask from the newest message's id less one; when that one
  // is gone, the messages were reset or cleared, and the answer is all of them.
  async function poll() {
    const got = await get(lastId > 0 ? `/websockets?since=${lastId - 1}` : "/websockets");
    if (lastId > 0 && got.length > 0 && got[0].id === lastId) {
      if (got.length === 1) return false;
      messages = messages.concat(got.slice(1));
    } else {
      if (got.length === 0 && messages.length === 0) return false;
      messages = got;
    }
    messages = messages.slice(-SHOWN);
    lastId = messages.length > 0 ? messages[messages.length - 1].id : 0;
    return true;
  }

  function rowOf(message) {
    const incoming = message.direction === "in";
    const text = typeof message.message === "string" ? message.message : JSON.stringify(message.message);
    return h(
      "tr",
      { class: message.unmatched ? "unmatched" : "" },
      h("td", { class: "time" }, clock(message.time)),
      h("td", { class: "num" }, String(message.socket)),
      h("td", {}, incoming ? "→ in" : "← out"),
      h("td", { class: "path" }, message.path),
      h("td", { class: "message" }, h("code", {}, text), message.unmatched ? h("span", { class: "tag" }, "unmatched") : null),
    );
  }

  function render() {
    $("messages").tBodies[0].replaceChildren(...messages.slice().reverse().map(rowOf));
    $("messages-empty").hidden = messages.length > 0;
  }

  function renderSockets(sockets) {
    $("sockets").tBodies[0].replaceChildren(
      ...sockets.map((socket) =>
        h(
          "tr",
          {},
          h("td", { class: "path" }, socket.path),
          h("td", {}, socket.subprotocols.join(", ") || "any"),
          h("td", { class: "num" }, String(socket.open)),
        ),
      ),
    );
  }

  function clock(iso) {
    const time = new Date(iso);
    if (Number.isNaN(time.getTime())) return iso;
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
  }

  async function loop() {
    try {
      const sockets = await get("/websockets/sockets");
      $("websockets").hidden = sockets.length === 0;
      if (sockets.length > 0) {
        renderSockets(sockets);
        if (await poll()) render();
      }
    } catch {
      // page.js says when the mock cannot be reached
    }
    setTimeout(loop, POLL_MS);
  }

  render();
  loop();
})();
