// The CCO dashboard: polls /v1/personas with If-None-Match and redraws only when the data changed.
// The API key lives in sessionStorage only (never localStorage, never a URL); every request sends it as a
// Bearer header. All text from the API goes into the page through textContent, never as HTML.
(() => {
  "use strict";

  const KEY_STORAGE = "personas.dashboard.key";
  const DEFAULT_POLL_SECONDS = 30;
  const MIN_POLL_SECONDS = 1;
  const CORE_GROWTH_ROWS = 25;
  const GRADE_COLOURS = { A: "#2e7d32", B: "#f9a825", C: "#c62828" };
  const GRADE_NAMES = { A: "core growth", B: "serve as is", C: "avoid or fix" };

  const $ = (id) => document.getElementById(id);

  // `?poll=N` on /dashboard sets the interval in seconds (at least 1); the default is 30.
  function pollSeconds() {
    const value = Number(new URLSearchParams(window.location.search).get("poll"));
    return Number.isFinite(value) && value > 0 ? Math.max(MIN_POLL_SECONDS, value) : DEFAULT_POLL_SECONDS;
  }

  const state = {
    pollSeconds: pollSeconds(),
    etag: null,
    data: null,
    timer: null,
    generation: 0, // bumped when the key changes: answers to older requests are dropped
    sent: 0, // polls sent, and the newest one whose data is on screen: a late old answer never wins
    shown: 0,
    freshnessShown: 0, // the poll whose /v1/status answer is on screen
    lastChecked: null,
    renaming: null, // the persona id whose inline editor is open
    memoryKey: null, // used only when sessionStorage is unavailable
  };

  // ---- the key ---------------------------------------------------------------------------------------

  function getKey() {
    try {
      return window.sessionStorage.getItem(KEY_STORAGE);
    } catch (_) {
      return state.memoryKey;
    }
  }

  function setKey(value) {
    try {
      if (value === null) window.sessionStorage.removeItem(KEY_STORAGE);
      else window.sessionStorage.setItem(KEY_STORAGE, value);
    } catch (_) {
      state.memoryKey = value;
    }
    state.generation += 1;
    state.etag = null;
    clearFreshness();
    showKeyState();
  }

  function showKeyState() {
    const key = getKey();
    $("key-forget").hidden = !key;
    $("key-state").textContent = key ? `key …${key.slice(-4)} in use` : "";
  }

  function authHeaders(extra) {
    return Object.assign({ Authorization: `Bearer ${getKey()}`, Accept: "application/json" }, extra || {});
  }

  // ---- status line -----------------------------------------------------------------------------------

  function setStatus(kind, message) {
    const status = $("status");
    status.className = `status status-${kind}`;
    status.textContent = message;
  }

  async function problemDetail(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || response.statusText;
    } catch (_) {
      return response.statusText || `HTTP ${response.status}`;
    }
  }

  // ---- formatting ------------------------------------------------------------------------------------

  const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function money(value) {
    if (value === null || value === undefined) return "–";
    return Math.abs(value) >= 100 ? integer.format(value) : decimal.format(value);
  }

  function percent(share) {
    return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
  }

  function sentimentText(value) {
    const word = value > 0.05 ? "positive" : value < -0.05 ? "negative" : "neutral";
    return `${value > 0 ? "+" : ""}${value.toFixed(2)} (${word})`;
  }

  function when(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // ---- polling ---------------------------------------------------------------------------------------

  function schedule() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(poll, state.pollSeconds * 1000);
  }

  function stopPolling() {
    window.clearTimeout(state.timer);
    state.timer = null;
  }

  async function poll() {
    stopPolling();
    if (!getKey()) return;
    const generation = state.generation;
    const seq = ++state.sent;
    loadFreshness(generation, seq); // not awaited: the personas never wait for (or fail with) the status
    const headers = authHeaders(state.etag ? { "If-None-Match": state.etag } : {});
    let response;
    try {
      // no-store: the browser cache stays out of it, so our own If-None-Match decides and a 304 reaches us.
      response = await fetch("v1/personas", { headers, cache: "no-store" });
    } catch (error) {
      if (generation !== state.generation) return;
      setStatus("error", `Network error: cannot reach the service (${error.message}). Retrying in ${state.pollSeconds} s.`);
      schedule();
      return;
    }
    if (generation !== state.generation) return;
    state.lastChecked = new Date();

    if (response.status === 304) {
      renderRunMeta();
      setStatus("ok", `Up to date (checked ${state.lastChecked.toLocaleTimeString()}).`);
      schedule();
      return;
    }
    if (response.ok) {
      let data;
      try {
        data = await response.json();
      } catch (error) {
        setStatus("error", `The service sent an unreadable answer (${error.message}). Retrying in ${state.pollSeconds} s.`);
        schedule();
        return;
      }
      if (generation !== state.generation || seq < state.shown) return;
      state.shown = seq;
      state.etag = response.headers.get("ETag");
      state.data = data;
      render(data);
      setStatus("ok", `Updated ${state.lastChecked.toLocaleTimeString()}: ${data.personas.length} personas.`);
      schedule();
      await loadCoreGrowth(generation);
      await loadChanges(generation, data.run_id);
      return;
    }

    const detail = await problemDetail(response);
    if (generation !== state.generation) return;
    if (response.status === 401) {
      stopPolling();
      clearContent();
      setStatus("error", `The key was refused (401): ${detail} Enter a valid read or admin key.`);
      $("key-input").focus();
    } else if (response.status === 403) {
      stopPolling();
      clearContent();
      setStatus("error", `This key may not read personas (403): ${detail} A read or admin key is needed.`);
      $("key-input").focus();
    } else if (response.status === 404) {
      clearContent();
      setStatus("warn", `No personas yet (404): ${detail} Checking again every ${state.pollSeconds} s.`);
      schedule();
    } else {
      setStatus("error", `The service answered ${response.status}: ${detail} Retrying in ${state.pollSeconds} s.`);
      schedule();
    }
  }

  // ---- rendering -------------------------------------------------------------------------------------

  function clearContent() {
    state.data = null;
    state.etag = null;
    closeRename();
    $("content").hidden = true;
    $("personas").replaceChildren();
    $("core-growth-list").replaceChildren();
    $("totals").replaceChildren();
    $("run-meta").textContent = "";
    if (window.Plotly) window.Plotly.purge($("quadrant"));
  }

  function render(data) {
    $("content").hidden = false;
    renderTotals(data.totals);
    renderRunMeta();
    renderCards(data.personas);
    drawQuadrant(data.personas);
  }

  function renderTotals(totals) {
    const items = [
      ["Customers", integer.format(totals.customers)],
      ["With an account", integer.format(totals.matched_customers)],
      ["Transcripts", integer.format(totals.transcripts)],
      ["Revenue", money(totals.revenue)],
      ["Cost to serve", money(totals.cost_to_serve)],
    ];
    $("totals").replaceChildren(...items.map(([name, value]) => el("div", {}, el("dt", {}, name), el("dd", {}, value))));
  }

  function renderRunMeta() {
    const data = state.data;
    if (!data) return;
    $("run-meta").replaceChildren(
      "Run ", el("code", { id: "run-id" }, data.run_id),
      ` · generated ${when(data.generated_at)}`,
      " · last updated ", el("span", { id: "last-updated" }, state.lastChecked ? state.lastChecked.toLocaleTimeString() : "–"),
      ` · checks every ${state.pollSeconds} s`,
    );
  }

  function fact(name, value, title) {
    return el("div", { title }, el("dt", {}, name), el("dd", {}, value));
  }

  function examples(items) {
    return items.map((e) =>
      el("blockquote", { className: "example" }, `“${e.quote}”`, el("cite", {}, `conversation ${e.transcript_id}`)));
  }

  // A job opens to its typical conversations; "Show conversations" lists all of them (redacted) from the API.
  // Its position in p.jobs is its number in GET /v1/transcripts?persona_id=&job=.
  function renderJob(p, job, index) {
    const cover = `${integer.format(job.transcripts)} conversations` +
      (job.customers ? ` from ${integer.format(job.customers)} customers` : "");
    return el("li", {},
      el("details", { className: "job" },
        el("summary", {}, el("span", {}, job.label), el("span", { className: "share" }, percent(job.share))),
        el("p", { className: "job-cover" }, cover),
        examples(job.examples || []),
        el("button", { type: "button", className: "job-conversations", dataset: { personaId: p.id, job: String(index) } },
          "Show conversations"),
        el("div", { className: "conversations" })));
  }

  function renderPhrases(title, items) {
    if (!items || !items.length) return null;
    return el("div", { className: "phrases" }, el("h4", {}, title),
      el("ul", {}, items.slice(0, 3).map((m) => el("li", {}, `“${m.text}” `, el("span", { className: "share" }, `×${m.count}`)))));
  }

  async function showConversations(button) {
    const box = button.nextElementSibling;
    const query = `persona_id=${encodeURIComponent(button.dataset.personaId)}&job=${encodeURIComponent(button.dataset.job)}`;
    box.replaceChildren(el("p", { className: "muted" }, "Loading…"));
    let response;
    try {
      response = await fetch(`v1/transcripts?${query}&limit=20`, { headers: authHeaders(), cache: "no-store" });
    } catch (error) {
      box.replaceChildren(el("p", { className: "muted" }, "Could not reach the service."));
      return;
    }
    if (!response.ok) {
      box.replaceChildren(el("p", { className: "muted" }, `Not loaded (${response.status}): ${await problemDetail(response)}`));
      return;
    }
    const page = await response.json();
    const items = page.items.map((t) => el("li", {}, el("span", { className: "muted" }, `#${t.id} · ${t.channel} · `),
      t.turns.filter((turn) => turn.speaker === "customer").map((turn) => turn.text).join(" / ")));
    box.replaceChildren(items.length ? el("ol", { className: "conversation-list" }, items)
      : el("p", { className: "muted" }, "No stored conversation for this job (runs stored before jobs were recorded have none)."),
      page.next_cursor ? el("p", { className: "muted" }, "First 20 shown.") : null);
  }

  function renderCard(p) {
    const quote = p.quotes.find((q) => q && q.trim());
    const margin = p.margin_per_customer;
    return el(
      "article",
      { className: `persona-card grade-${p.grade}`, dataset: { personaId: p.id, grade: p.grade } },
      el(
        "header",
        { className: "card-head" },
        el("h3", { className: "persona-label", title: p.label_is_human ? "Named by a person" : "Automatic label" }, p.label),
        el(
          "div",
          { className: "badges" },
          el("span", { className: `badge grade-badge grade-${p.grade}`, title: GRADE_NAMES[p.grade] || "" }, `Grade ${p.grade}`),
          p.core_growth ? el("span", { className: "badge core-growth-badge" }, "Core growth") : null,
        ),
      ),
      p.core_growth_note ? el("p", { className: "card-note" }, p.core_growth_note) : null,
      el(
        "dl",
        { className: "facts" },
        fact("Customers", `${integer.format(p.customers)} (${percent(p.share)})`),
        fact("Revenue / customer", money(p.revenue.per_customer)),
        fact("Cost to serve / customer", money(p.cost_to_serve.per_customer)),
        fact("Margin / customer", money(margin)),
        fact("R · C", `${p.revenue_index === null ? "–" : p.revenue_index.toFixed(2)} · ${p.cost_index.toFixed(2)}`,
          "R = revenue per customer / overall; C = cost to serve per customer / overall"),
        fact("Sentiment", sentimentText(p.sentiment)),
        fact("Contacts / customer", decimal.format(p.contacts_per_customer)),
        fact("Avg handle time", p.avg_handle_minutes === null ? "–" : `${decimal.format(p.avg_handle_minutes)} min`),
        p.stability === null || p.stability === undefined
          ? null
          : fact("Reappears", percent(p.stability), "Share of runs on resampled customers in which this persona comes back"),
      ),
      p.summary ? el("p", { className: "summary" }, p.summary) : null,
      p.jobs.length
        ? el("div", { className: "jobs" }, el("h4", {}, "Jobs"), el("ul", {}, p.jobs.map((j, i) => renderJob(p, j, i))))
        : null,
      renderPhrases("Why they get in touch", p.motivations),
      renderPhrases("What a gap costs them", p.consequences),
      quote ? el("blockquote", { className: "quote" }, `“${quote}”`) : null,
      p.keywords.length ? el("p", { className: "keywords" }, p.keywords.slice(0, 6).join(" · ")) : null,
      el("div", { className: "card-actions" },
        el("button", { type: "button", className: "rename-button", dataset: { personaId: p.id } }, "Rename")),
    );
  }

  function renderCards(personas) {
    const form = $("rename-form");
    const hadFocus = form.contains(document.activeElement) ? document.activeElement : null;
    $("personas").replaceChildren(...personas.map(renderCard));
    if (state.renaming) {
      // Keep an open editor (and what was typed in it) across a redraw.
      const card = cardOf(state.renaming);
      if (card) {
        card.append(form);
        if (hadFocus) hadFocus.focus();
      } else {
        closeRename();
      }
    }
  }

  function cardOf(personaId) {
    return [...document.querySelectorAll(".persona-card")].find((card) => card.dataset.personaId === personaId) || null;
  }

  function plotText(text) {
    // Plotly renders a few HTML-like tags in labels: escape them, a label is plain text.
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function drawQuadrant(personas) {
    const node = $("quadrant");
    const note = $("quadrant-note");
    if (!window.Plotly) {
      note.hidden = false;
      note.textContent = "The chart library did not load; the chart is not available.";
      return;
    }
    const plotted = personas.filter((p) => p.revenue_index !== null && p.revenue_index !== undefined);
    const missing = personas.length - plotted.length;
    note.hidden = missing === 0;
    note.textContent = missing ? `${missing} persona(s) have no revenue (no customer with an account) and are not plotted.` : "";
    const maxCustomers = Math.max(1, ...plotted.map((p) => p.customers));
    const traces = ["A", "B", "C"]
      .map((grade) => {
        const group = plotted.filter((p) => p.grade === grade);
        return {
          type: "scatter",
          mode: "markers+text",
          name: `${grade} · ${GRADE_NAMES[grade]}`,
          x: group.map((p) => p.cost_index),
          y: group.map((p) => p.revenue_index),
          text: group.map((p) => plotText(p.label)),
          customdata: group.map((p) => [p.customers, p.share * 100]),
          textposition: "top center",
          cliponaxis: false,
          hovertemplate: "<b>%{text}</b><br>R %{y:.2f} · C %{x:.2f}<br>%{customdata[0]} customers (%{customdata[1]:.0f}%)<extra></extra>",
          marker: {
            size: group.map((p) => p.customers),
            sizemode: "area",
            sizeref: (2 * maxCustomers) / 70 ** 2,
            sizemin: 10,
            color: GRADE_COLOURS[grade],
            opacity: 0.85,
            line: { color: "#ffffff", width: 1.5 },
          },
        };
      })
      .filter((trace) => trace.x.length);
    const span = (values) => Math.max(2, ...values.map((v) => v * 1.25));
    const xMax = span(plotted.map((p) => p.cost_index));
    const yMax = span(plotted.map((p) => p.revenue_index));
    const dashed = { color: "#757575", width: 1.5, dash: "dash" };
    const corner = (x, y, text, xanchor, yanchor) => ({
      x, y, xref: "x", yref: "y", text, showarrow: false, xanchor, yanchor, font: { size: 12, color: "#757575" },
    });
    const layout = {
      margin: { l: 60, r: 20, t: 20, b: 50 },
      height: 420,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#fafafa",
      xaxis: { title: { text: "C · cost to serve index (1 = average)" }, range: [0, xMax], zeroline: false },
      yaxis: { title: { text: "R · revenue index (1 = average)" }, range: [0, yMax], zeroline: false },
      legend: { orientation: "h", y: -0.18 },
      shapes: [
        { type: "line", xref: "x", yref: "paper", x0: 1, x1: 1, y0: 0, y1: 1, line: dashed },
        { type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: 1, y1: 1, line: dashed },
      ],
      annotations: [
        corner(0.02 * xMax, 0.98 * yMax, "Core growth", "left", "top"),
        corner(0.98 * xMax, 0.02 * yMax, "Avoid or fix", "right", "bottom"),
      ],
    };
    window.Plotly.react(node, traces, layout, {
      displaylogo: false,
      responsive: true,
      modeBarButtonsToRemove: ["lasso2d", "select2d"],
    });
  }

  async function loadCoreGrowth(generation) {
    let response;
    try {
      response = await fetch(`v1/customers?core_growth=true&limit=${CORE_GROWTH_ROWS}`, { headers: authHeaders(), cache: "no-store" });
    } catch (error) {
      if (generation === state.generation) setStatus("error", `Network error loading core-growth accounts (${error.message}).`);
      return;
    }
    if (generation !== state.generation) return;
    if (!response.ok) {
      setStatus("error", `Core-growth accounts failed (${response.status}): ${await problemDetail(response)}`);
      return;
    }
    const page = await response.json();
    if (generation !== state.generation) return;
    const labels = new Map((state.data ? state.data.personas : []).map((p) => [p.id, p.label]));
    $("core-growth-list").replaceChildren(
      ...page.items.map((c) =>
        el("tr", { dataset: { customerId: c.customer_id } },
          el("td", {}, el("code", {}, c.customer_id)),
          el("td", {}, c.name || "–"),
          el("td", {}, labels.get(c.persona_id) || c.persona_id),
          el("td", {}, el("span", { className: `badge grade-badge grade-${c.grade}` }, c.grade)),
          el("td", { className: "num" }, money(c.annual_revenue)),
          el("td", { className: "num" }, money(c.cost_to_serve)),
          el("td", { className: "num" }, money(c.margin)),
          el("td", { className: "num" }, integer.format(c.contacts)),
          el("td", { className: "num" }, percent(c.confidence)),
        ),
      ),
    );
    $("core-growth-empty").hidden = page.items.length > 0;
  }

  // ---- what moved since the previous run: GET /v1/runs/{id}/changes, the alert rules' default thresholds ----

  const SHIFT_POINTS = 5;
  const SHIFT_COST = 0.2;

  function shiftBadges(change) {
    const badges = [];
    if (change.status === "new") badges.push("New since the last run");
    const points = (change.share_after - change.share_before) * 100;
    if (change.status === "kept" && Math.abs(points) >= SHIFT_POINTS - 1e-9) {
      badges.push(`${points > 0 ? "▲" : "▼"} ${percent(change.share_before)} → ${percent(change.share_after)} of customers`);
    }
    const before = change.cost_per_customer_before;
    const after = change.cost_per_customer_after;
    if (change.status === "kept" && before > 0 && after !== null && Math.abs(after / before - 1) >= SHIFT_COST - 1e-9) {
      const moved = Math.round((after / before - 1) * 100);
      badges.push(`Cost / customer ${moved > 0 ? "+" : ""}${moved}% (${money(before)} → ${money(after)})`);
    }
    return badges;
  }

  async function loadChanges(generation, runId) {
    let response;
    try {
      response = await fetch(`v1/runs/${encodeURIComponent(runId)}/changes`, { headers: authHeaders(), cache: "no-store" });
    } catch (error) {
      return; // the personas are shown; what moved is a bonus that the next poll retries
    }
    // 409: the first succeeded run has nothing to compare with.
    if (generation !== state.generation || !response.ok) return;
    const changes = await response.json();
    if (generation !== state.generation) return;
    for (const change of changes.personas) {
      const card = cardOf(change.id);
      const badges = shiftBadges(change);
      if (!card || !badges.length) continue;
      card.classList.add("moved");
      card.querySelector(".badges").append(
        ...badges.map((text) => el("span", { className: "badge shift-badge", title: "Since the last run" }, text)),
      );
    }
    const gone = changes.personas.filter((c) => c.status === "gone").map((c) => `${c.label} (${percent(c.share_before)})`);
    $("run-meta").append(gone.length ? ` · gone since the last run: ${gone.join(", ")}` : "");
  }

  // ---- data freshness: GET /v1/status, fetched with every personas poll -----------------------------------

  // Drawn only for the key in use, and never over the answer to a newer poll.
  function freshnessIsCurrent(generation, seq) {
    if (generation !== state.generation || seq < state.freshnessShown) return false;
    state.freshnessShown = seq;
    return true;
  }

  function clearFreshness() {
    state.freshnessShown = 0;
    $("freshness").hidden = true;
  }

  function freshnessError(message) {
    $("freshness").hidden = false;
    $("freshness-body").hidden = true;
    $("freshness-error").hidden = false;
    $("freshness-error").textContent = message;
  }

  function renderFreshness(status) {
    const { embedded, pending, model } = status.embedding;
    const total = status.transcripts;
    const bar = $("freshness-bar");
    bar.max = Math.max(total, 1); // a <progress> needs max > 0; with no transcripts the bar stays empty
    bar.value = embedded;
    $("freshness-count").textContent = total
      ? `${integer.format(embedded)} of ${integer.format(total)} transcripts embedded`
      : "No transcripts stored yet";
    const waiting = $("freshness-pending");
    waiting.classList.toggle("waiting", pending > 0);
    waiting.textContent = pending > 0
      ? `${integer.format(pending)} waiting`
      : total ? "all embedded: the next run needs only clustering" : "";
    waiting.title = pending > 0 ? "Not yet prepared for grouping; the next run prepares these first." : "";
    const { queued, running } = status.runs;
    $("freshness-runs").textContent = queued || running
      ? `Runs: ${integer.format(running)} running, ${integer.format(queued)} queued`
      : "No run queued or running";
    // The cache key is "model|text recipe": the model's name is what a reader recognises; the whole key is on hover.
    $("freshness-model").textContent = `model ${model.split("|")[0]}`;
    $("freshness-model").title = model;
    $("freshness-error").hidden = true;
    $("freshness-body").hidden = false;
    $("freshness").hidden = false;
  }

  async function loadFreshness(generation, seq) {
    let response;
    try {
      response = await fetch("v1/status", { headers: authHeaders(), cache: "no-store" });
    } catch (error) {
      if (freshnessIsCurrent(generation, seq)) freshnessError("Not available: cannot reach the service.");
      return;
    }
    if (!response.ok) {
      const detail = await problemDetail(response);
      if (!freshnessIsCurrent(generation, seq)) return;
      freshnessError(response.status === 403
        ? "Not shown: this key may not read the service status (403)."
        : `Not available (${response.status}): ${detail}`);
      return;
    }
    let status;
    try {
      status = await response.json();
    } catch (error) {
      if (freshnessIsCurrent(generation, seq)) freshnessError("Not available: the service sent an unreadable answer.");
      return;
    }
    if (freshnessIsCurrent(generation, seq)) renderFreshness(status);
  }

  // ---- CSV download: a link cannot carry the Authorization header, so fetch it and hand over a blob ---------

  async function downloadCsv(event) {
    event.preventDefault();
    if (!getKey()) {
      setStatus("error", "Enter an API key first.");
      return;
    }
    const link = $("csv-download");
    let response;
    try {
      response = await fetch(link.getAttribute("href"), { headers: authHeaders({ Accept: "text/csv" }), cache: "no-store" });
    } catch (error) {
      setStatus("error", `Network error downloading the CSV (${error.message}).`);
      return;
    }
    if (!response.ok) {
      setStatus("error", `CSV download failed (${response.status}): ${await problemDetail(response)}`);
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const filename = match ? match[1] : "core-growth-customers.csv";
    const url = URL.createObjectURL(await response.blob());
    const anchor = el("a", { href: url, download: filename, hidden: true });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setStatus("ok", `Downloaded ${filename}.`);
  }

  // ---- rename ----------------------------------------------------------------------------------------

  function openRename(personaId) {
    const card = cardOf(personaId);
    if (!card) return;
    const persona = state.data.personas.find((p) => p.id === personaId);
    state.renaming = personaId;
    const form = $("rename-form");
    $("rename-error").hidden = true;
    $("rename-error").textContent = "";
    $("rename-input").value = persona ? persona.label : "";
    form.hidden = false;
    card.append(form);
    $("rename-input").focus();
    $("rename-input").select();
  }

  function closeRename() {
    state.renaming = null;
    const form = $("rename-form");
    form.hidden = true;
    $("rename-save").disabled = false;
    document.body.append(form);
  }

  function renameError(message) {
    $("rename-error").textContent = message;
    $("rename-error").hidden = false;
    setStatus("error", message);
  }

  async function saveRename(event) {
    event.preventDefault();
    const personaId = state.renaming;
    const label = $("rename-input").value.trim();
    if (!personaId) return;
    if (!label) {
      renameError("The name cannot be empty.");
      return;
    }
    $("rename-save").disabled = true;
    let response;
    try {
      response = await fetch(`v1/personas/${encodeURIComponent(personaId)}`, {
        method: "PATCH",
        headers: authHeaders({ "Content-Type": "application/json" }),
        body: JSON.stringify({ label }),
        cache: "no-store",
      });
    } catch (error) {
      $("rename-save").disabled = false;
      renameError(`Network error: the rename was not saved (${error.message}).`);
      return;
    }
    $("rename-save").disabled = false;
    if (response.ok) {
      closeRename();
      await poll(); // the label is part of the personas, so the ETag changed and this poll redraws
      setStatus("ok", `Renamed to “${label}”.`);
      return;
    }
    const detail = await problemDetail(response);
    if (response.status === 403) {
      renameError(`Not renamed: an admin key is needed to rename personas (this key may only read). Enter an admin key above.`);
    } else if (response.status === 401) {
      renameError(`Not renamed: the key was refused (401): ${detail}`);
    } else {
      renameError(`Not renamed (${response.status}): ${detail}`);
    }
  }

  // ---- wiring ----------------------------------------------------------------------------------------

  function start() {
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("key-input");
      const value = input.value.trim();
      if (!value) return;
      input.value = "";
      setKey(value);
      clearContent();
      setStatus("info", "Loading personas…");
      poll();
    });
    $("key-forget").addEventListener("click", () => {
      setKey(null);
      stopPolling();
      clearContent();
      setStatus("info", "Key forgotten. Enter an API key to load the personas.");
    });
    $("personas").addEventListener("click", (event) => {
      const button = event.target.closest(".rename-button");
      if (button) openRename(button.dataset.personaId);
      const conversations = event.target.closest(".job-conversations");
      if (conversations) showConversations(conversations);
    });
    $("rename-form").addEventListener("submit", saveRename);
    $("rename-cancel").addEventListener("click", closeRename);
    $("csv-download").addEventListener("click", downloadCsv);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && getKey() && state.timer !== null) poll();
    });
    showKeyState();
    if (getKey()) {
      setStatus("info", "Loading personas…");
      poll();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
