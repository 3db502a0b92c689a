// The journal page: mirrors GET {admin}/requests by polling and renders it as a table.
// Request data is data: every value reaches the page through text nodes (append,
// textContent) or plain attributes, never through innerHTML.
"use strict";

(() => {
  const ADMIN = location.pathname.replace(/\/ui\/?$/, ""); // the page lives at {admin}/ui
  const WINDOW = 200; // rows rendered at a time; "Show more" adds as many again
  const KEEP = 5000; // entries the page holds at most (the journal keeps 1000 by default)
  const POLL_MS = 1000;
  const TRIM_EVERY = 10; // polls
  const COLUMNS = 5;
  const CURL_SKIP = new Set(["host", "content-length", "connection", "transfer-encoding"]);

  let entries = []; // as the journal holds them, oldest first
  let lastId = 0; // the newest id seen; ids never repeat, even after a reset
  let shown = WINDOW;
  let rendered = []; // ids of the rows in the table, newest first
  let routes = [];
  let busy = false;
  let polls = 0;
  let grown = false; // entries came since the last trim
  const open = new Set(); // ids of the opened requests
  const rows = new Map(); // id -> {row, detail}: built once, moved, never rebuilt

  const $ = (id) => document.getElementById(id);
  const body = () => $("requests").tBodies[0];

  // An element; strings among the children become text nodes, never markup.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") el.className = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value);
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  // -- talking to the admin API (same origin; it never answers cross-site) -----------

  // A mock started with --admin-token: the page is opened as .../ui#token=TOKEN. The
  // fragment never reaches a server; the token is kept for this tab only.
  const TOKEN_KEY = "mockserve-admin-token";
  function takeToken() {
    const given = new URLSearchParams(location.hash.slice(1)).get("token");
    if (given) {
      sessionStorage.setItem(TOKEN_KEY, given);
      history.replaceState(null, "", location.pathname + location.search);
    }
    return Boolean(given);
  }
  takeToken();
  window.addEventListener("hashchange", () => takeToken() && live("Token taken; reading the journal."));

  function headers() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token
      ? { Accept: "application/json", Authorization: `Bearer ${token}` }
      : { Accept: "application/json" };
  }

  async function api(method, path) {
    const response = await fetch(ADMIN + path, { method, headers: headers(), cache: "no-store" });
    if (response.status === 401) {
      throw new Error("this mock's admin API needs its token: open this page as " +
        `${location.origin}${location.pathname}#token=TOKEN (the --admin-token)`);
    }
    if (!response.ok) throw new Error(`${method} ${ADMIN}${path} answered ${response.status}`);
    return response.status === 204 ? null : response.json();
  }

  // Read what the journal added since the newest entry the page has. Asking from one
  // before it tells whether that entry is still there: when it is not, the journal was
  // cleared or reset elsewhere (or overflowed), and the answer is the whole journal.
  async function poll() {
    const got = await api("GET", lastId > 0 ? `/requests?since=${lastId - 1}` : "/requests");
    if (lastId > 0 && got.length > 0 && got[0].id === lastId) {
      if (got.length > 1) add(got.slice(1));
      return got.length > 1;
    }
    if (got.length === 0 && entries.length === 0) return false;
    replace(got);
    return true;
  }

  // The journal drops its oldest entries when full, which `since` cannot tell: now and
  // then, after new entries came, read it whole and let go of what it no longer holds.
  async function trim() {
    const all = await api("GET", "/requests");
    const first = all.length > 0 ? all[0].id : lastId + 1;
    let drop = 0;
    while (drop < entries.length && entries[drop].id < first) drop++;
    if (drop > 0) {
      const gone = entries.splice(0, drop);
      for (const entry of gone) detach(entry.id);
      forget(gone);
      rendered = rendered.filter((id) => rows.has(id));
      summary();
    }
    const fresh = all.filter((entry) => entry.id > lastId);
    if (fresh.length > 0) add(fresh);
  }

  async function loop() {
    let changed = false;
    try {
      changed = await poll();
      grown = grown || changed;
      if (grown && ++polls % TRIM_EVERY === 0) {
        grown = false;
        await trim();
      }
      live(`Live: watching for requests (${entries.length} so far).`);
    } catch (error) {
      live(`Cannot reach the mock (${error.message}); retrying.`, true);
    }
    if (changed) refreshSide();
    setTimeout(loop, POLL_MS);
  }

  // -- the requests table --------------------------------------------------------------

  function add(fresh) {
    entries = entries.concat(fresh);
    if (entries.length > KEEP) forget(entries.splice(0, entries.length - KEEP));
    lastId = entries[entries.length - 1].id;
    const matching = fresh.filter(keep).reverse();
    if (matching.length >= shown) return render();
    // Put the new rows on top and drop the oldest: rows already there stay in place,
    // so an opened request and the keyboard focus stay where they were.
    body().prepend(...matching.flatMap(nodesOf));
    rendered = matching.map((entry) => entry.id).concat(rendered);
    for (const id of rendered.splice(shown)) detach(id);
    summary();
  }

  function replace(all) {
    const kept = new Set(all.map((entry) => entry.id));
    forget(entries.filter((entry) => !kept.has(entry.id)));
    entries = all.slice(-KEEP);
    if (entries.length > 0) lastId = entries[entries.length - 1].id;
    render();
  }

  function forget(gone) {
    for (const entry of gone) {
      rows.delete(entry.id);
      open.delete(entry.id);
    }
  }

  function render() {
    const view = matches();
    const window = view.slice(0, shown);
    rendered = window.map((entry) => entry.id);
    body().replaceChildren(...window.flatMap(nodesOf));
    summary(view.length);
  }

  function summary(total = matches().length) {
    const filtered = filtering();
    const count = $("count");
    if (entries.length === 0) count.textContent = "";
    else {
      const what = filtered ? `${total} matching the filters, of ${entries.length}` : `${total}`;
      count.textContent = `Showing ${rendered.length} of ${what} requests, newest first.`;
    }
    $("empty").hidden = rendered.length > 0;
    $("empty").textContent =
      entries.length === 0
        ? "No requests yet. Send one to the mock and it shows up here."
        : "No request matches the filters.";
    $("more").hidden = rendered.length >= total;
  }

  function matches() {
    const view = [];
    for (let i = entries.length - 1; i >= 0; i--) if (keep(entries[i])) view.push(entries[i]);
    return view;
  }

  function filtering() {
    return Boolean(
      $("filter-method").value ||
        $("filter-path").value ||
        $("filter-route").value ||
        $("filter-unmatched").checked ||
        $("filter-failing").checked,
    );
  }

  function keep(entry) {
    const method = $("filter-method").value;
    const path = $("filter-path").value.trim().toLowerCase();
    const route = $("filter-route").value;
    return (
      (!method || entry.method === method) &&
      (!path || entry.path.toLowerCase().includes(path)) &&
      (!route || entry.route === route) &&
      (!$("filter-unmatched").checked || entry.route === null) &&
      (!$("filter-failing").checked || (entry.failures || []).length > 0)
    );
  }

  function nodesOf(entry) {
    let nodes = rows.get(entry.id);
    if (!nodes) {
      nodes = { row: rowOf(entry), detail: null };
      rows.set(entry.id, nodes);
    }
    if (open.has(entry.id) && !nodes.detail) nodes.detail = detailOf(entry);
    return open.has(entry.id) ? [nodes.row, nodes.detail] : [nodes.row];
  }

  function detach(id) {
    const nodes = rows.get(id);
    if (!nodes) return;
    nodes.row.remove();
    if (nodes.detail) nodes.detail.remove();
  }

  function rowOf(entry) {
    const status = entry.status === null ? "dropped" : String(entry.status);
    const failures = (entry.failures || []).length;
    return h(
      "tr",
      { class: `entry ${tone(entry.status)}` },
      h("td", { class: "time" }, h("time", { datetime: entry.time }, clock(entry.time))),
      h(
        "th",
        { scope: "row", class: "request" },
        h(
          "button",
          {
            type: "button",
            class: "open",
            "aria-expanded": "false",
            "aria-controls": `detail-${entry.id}`,
            onclick: (event) => toggle(entry, event.currentTarget),
          },
          h("span", { class: "arrow", "aria-hidden": "true" }),
          h("span", { class: "method" }, entry.method),
          " ",
          h("span", { class: "path" }, entry.path + queryString(entry.query)),
          entry.graphql ? h("span", { class: "operation" }, " " + operationOf(entry.graphql)) : null,
        ),
      ),
      h("td", { class: "status" }, h("span", { class: "badge" }, status)),
      h(
        "td",
        { class: "route" },
        entry.route ??
          (entry.proxied ? h("span", { class: "forwarded" }, "forwarded") : h("span", { class: "miss" }, "unmatched")),
        failures ? h("span", { class: "failing" }, ` ${failures} failing`) : null,
        entry.stream ? h("span", { class: "streamed" }, ` ${streamText(entry.stream)}`) : null,
      ),
      h("td", { class: "num" }, (entry.duration_ms ?? 0).toFixed(1)),
    );
  }

  // A GraphQL request's operation: `query GetBook`, or `query (anonymous)`.
  function operationOf(graphql) {
    return `${graphql.type} ${graphql.operation ?? "(anonymous)"}`;
  }

  function toggle(entry, button) {
    const nodes = rows.get(entry.id);
    if (open.has(entry.id)) {
      open.delete(entry.id);
      if (nodes.detail) nodes.detail.remove();
      button.setAttribute("aria-expanded", "false");
    } else {
      open.add(entry.id);
      nodes.detail = nodes.detail || detailOf(entry);
      nodes.row.after(nodes.detail);
      button.setAttribute("aria-expanded", "true");
    }
  }

  // -- one request, opened --------------------------------------------------------------

  function detailOf(entry) {
    const parts = [part("Request", requestOf(entry)), part("Answer", answerOf(entry))];
    if (entry.route !== null) parts.push(part("Route", matchedOf(entry)));
    if (entry.proxied) parts.push(part("Forwarded", forwardedOf(entry)));
    else if (entry.route === null) parts.push(part("Closest routes", whyOf(entry)));
    if ((entry.failures || []).length > 0) parts.push(part("Contract failures", failuresOf(entry)));
    return h(
      "tr",
      { class: "detail", id: `detail-${entry.id}` },
      h("td", { colspan: String(COLUMNS) }, h("div", { class: "parts" }, parts)),
    );
  }

  function part(title, children) {
    return h("section", { class: "part" }, h("h3", {}, title), children);
  }

  function requestOf(entry) {
    const output = h("pre", { class: "code curl", hidden: "" });
    return [
      facts([
        ["Method", entry.method],
        ["Path", entry.path],
        ["Operation", entry.graphql ? operationOf(entry.graphql) : null],
        ["Query", Object.keys(entry.query || {}).length ? queryString(entry.query).slice(1) : null],
        ["Time", entry.time],
        ["Took", `${(entry.duration_ms ?? 0).toFixed(1)} ms`],
      ]),
      headersOf(entry.headers, "Request headers"),
      bodyOf(entry.body, "Request body"),
      h(
        "button",
        { type: "button", onclick: () => copyCurl(entry, output) },
        "Copy as curl",
      ),
      output,
    ];
  }

  function answerOf(entry) {
    const response = entry.response;
    if (entry.status === null) return h("p", {}, "None: the connection was dropped.");
    if (!response) {
      // journals before mockserve 1.1 keep the status only
      return h("p", {}, `Status ${entry.status}. This server's journal does not keep the answers.`);
    }
    return [
      facts([
        ["Status", String(response.status)],
        ["Stream", entry.stream ? streamText(entry.stream) : null],
        ["Stream error", entry.stream && entry.stream.error ? entry.stream.error : null],
      ]),
      headersOf(response.headers, "Answer headers"),
      bodyOf(response.body, "Answer body"),
      response.body_truncated ? h("p", { class: "note" }, "The body is cut at 64 KB.") : null,
    ];
  }

  // An answer sent over time: how far it got, and who ended it.
  function streamText(stream) {
    const events = `${stream.events} event${stream.events === 1 ? "" : "s"}`;
    if (stream.client_left) return `${events}, then the client left`;
    if (stream.fault) return `${events}, then a ${stream.fault} fault`;
    if (stream.error) return `${events}, then a template failed`;
    return `${events}, sent whole`;
  }

  function matchedOf(entry) {
    const route = routes.find((r) => r.name === entry.route);
    return h(
      "p",
      {},
      "Matched ",
      h("code", {}, entry.route),
      route ? ` (${route.methods.join(", ")} ${route.path})` : "",
      ".",
    );
  }

  function forwardedOf(entry) {
    // a request the spec's routes did not answer goes to the upstream (settings.proxy)
    const upstream = entry.upstream || {};
    const how =
      upstream.status === null || upstream.status === undefined
        ? `which did not answer (${entry.status ?? "no answer"} sent instead)`
        : `which answered ${upstream.status} in ${(upstream.duration_ms ?? 0).toFixed(1)} ms`;
    const who = entry.route === null ? "No route answered it: forwarded" : "Forwarded";
    return h("p", {}, `${who} to the upstream, ${how}.`);
  }

  function whyOf(entry) {
    if (!Array.isArray(entry.why)) {
      return h("p", {}, "No route matched. This server's journal does not say which came closest.");
    }
    if (entry.why.length === 0) return h("p", {}, "No route matched, and none comes close.");
    return table(
      "Closest routes, closest first, and why each missed",
      ["Route", "Why it missed"],
      entry.why.map((miss) => [
        [miss.route, h("br"), h("code", {}, `${miss.method} ${miss.path}`)],
        miss.why,
      ]),
    );
  }

  function failuresOf(entry) {
    return table(
      "Contract failures, as the 422 lists them",
      ["In", "Where", "Message"],
      entry.failures.map((failure) => [failure.in, failure.path || "(all of it)", failure.message]),
    );
  }

  function facts(pairs) {
    return h(
      "dl",
      { class: "facts" },
      pairs.filter(([, value]) => value !== null).map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]),
    );
  }

  function headersOf(headers, caption) {
    const pairs = Object.entries(headers || {});
    if (pairs.length === 0) return h("p", { class: "note" }, `${caption}: none.`);
    return table(caption, ["Name", "Value"], pairs);
  }

  function bodyOf(value, label) {
    const text = pretty(value);
    if (text === null) return h("p", { class: "note" }, `${label}: none.`);
    return h("figure", { class: "body" }, h("figcaption", {}, label), h("pre", { class: "code", tabindex: "0" }, text));
  }

  function table(caption, headings, data) {
    return h(
      "table",
      { class: "small" },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headings.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, data.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, Array.isArray(cell) ? cell : String(cell ?? "")))))),
    );
  }

  // -- copy as curl ------------------------------------------------------------------

  function curl(entry) {
    const words = ["curl"];
    if (entry.method === "HEAD") words.push("-I");
    else if (entry.method !== "GET" || entry.body) words.push("-X", entry.method);
    for (const [name, value] of Object.entries(entry.headers || {})) {
      if (!CURL_SKIP.has(name.toLowerCase())) words.push("-H", quote(`${name}: ${value}`));
    }
    if (entry.body) words.push("--data-raw", quote(entry.body));
    words.push(quote(location.origin + encodeURI(entry.path) + queryString(entry.query)));
    return words.join(" ");
  }

  async function copyCurl(entry, output) {
    const command = curl(entry);
    output.textContent = command;
    output.hidden = false;
    try {
      await navigator.clipboard.writeText(command);
      say("Copied the curl command to the clipboard; it is also shown below the button.");
    } catch {
      getSelection().selectAllChildren(output);
      say("The curl command is shown and selected below the button: copy it from there.");
    }
  }

  function quote(word) {
    return `'${String(word).replaceAll("'", "'\\''")}'`;
  }

  // -- routes, state and resources ----------------------------------------------------

  let sideText = {};

  async function refreshSide() {
    const [routesText, stateText] = await Promise.all([text("/routes"), text("/state")]);
    if (routesText !== null && routesText !== sideText.routes) {
      sideText.routes = routesText;
      routes = JSON.parse(routesText);
      $("routes").tBodies[0].replaceChildren(
        ...routes.map((route) =>
          h("tr", {}, h("td", {}, route.name), h("td", {}, route.methods.join(", ")), h("td", { class: "path" }, route.path)),
        ),
      );
      routeOptions();
    }
    if (stateText !== sideText.state) {
      sideText.state = stateText;
      const value = stateText === null ? null : JSON.parse(stateText);
      const missing = "This server does not show its state (no /state in its admin API).";
      $("state").textContent = value ? JSON.stringify(value.state, null, 2) : missing;
      $("resources").textContent = value ? JSON.stringify(value.resources, null, 2) : missing;
    }
  }

  async function text(path) {
    try {
      const response = await fetch(ADMIN + path, { headers: headers(), cache: "no-store" });
      return response.ok ? await response.text() : null;
    } catch {
      return null;
    }
  }

  function routeOptions() {
    const select = $("filter-route");
    const chosen = select.value;
    const names = [...new Set(routes.map((route) => route.name))];
    select.replaceChildren(h("option", { value: "" }, "any"), ...names.map((name) => h("option", { value: name }, name)));
    if (names.includes(chosen)) select.value = chosen;
    else if (chosen) {
      select.value = "";
      render();
    }
  }

  // -- buttons and messages ---------------------------------------------------------

  async function act(method, path, done, also) {
    if (busy) return;
    busy = true;
    try {
      await api(method, path);
      forget(entries);
      entries = [];
      render();
      say(done);
      if (also) await also();
    } catch (error) {
      say(`That did not work: ${error.message}.`);
    } finally {
      busy = false;
    }
  }

  // The status region is announced; saying the same thing twice must be heard twice.
  function say(message) {
    const status = $("status");
    status.textContent = "";
    requestAnimationFrame(() => {
      status.textContent = message;
    });
  }

  function live(message, trouble = false) {
    const element = $("live");
    element.textContent = message;
    element.classList.toggle("trouble", trouble);
  }

  // -- formatting ---------------------------------------------------------------------

  function pretty(value) {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value !== "string") return JSON.stringify(value, null, 2);
    const trimmed = value.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return JSON.stringify(JSON.parse(trimmed), null, 2);
      } catch {
        // not JSON after all: shown as it came
      }
    }
    return value;
  }

  function queryString(query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query || {})) {
      for (const one of Array.isArray(value) ? value : [value]) params.append(name, String(one));
    }
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  function clock(iso) {
    const time = new Date(iso);
    if (Number.isNaN(time.getTime())) return iso;
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
  }

  function tone(status) {
    if (status === null) return "bad";
    if (status >= 500) return "bad";
    if (status >= 400) return "warn";
    return "ok";
  }

  // -- start ---------------------------------------------------------------------------

  function refilter() {
    shown = WINDOW;
    render();
  }

  $("filters").addEventListener("input", refilter);
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("more").addEventListener("click", () => {
    shown += WINDOW;
    render();
  });
  $("reset").addEventListener("click", () =>
    act("POST", "/reset", "Reset the mock: the journal, state and resources are back to the start.", refreshSide),
  );
  $("clear").addEventListener("click", () => act("DELETE", "/requests", "Cleared the journal."));
  render();
  refreshSide();
  loop();
})();
