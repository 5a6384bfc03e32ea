import Hummingbird

/// The dashboard's stylesheet and script, compiled into the binary and served at `/assets/`.
struct AssetRoutes {
    func add(to router: Router<AppContext>) {
        router.get("/assets/app.css") { _, _ in Self.serve(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/app.js") { _, _ in Self.serve(Assets.js, type: "text/javascript; charset=utf-8") }
    }

    static func serve(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

enum Assets {
    static let css = """
    :root { --bg:#0e1217; --panel:#161c23; --panel2:#1c242d; --ink:#e6edf3; --dim:#8b98a5; --line:#27313c;
            --actual:#3fb950; --estimated:#d29922; --edited:#58a6ff; --suspect:#f85149; --accent:#58a6ff; --series:#7ee787; }
    * { box-sizing:border-box; }
    body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
    a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
    code { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:12px; background:var(--panel2); padding:1px 4px; border-radius:4px; }
    header.top { display:flex; align-items:center; gap:20px; padding:12px 24px; border-bottom:1px solid var(--line); background:var(--panel); position:sticky; top:0; z-index:2; }
    .brand { font-weight:700; font-size:17px; color:var(--ink); letter-spacing:.02em; }
    header nav { display:flex; gap:16px; } header nav a { color:var(--dim); } header nav a:hover { color:var(--ink); }
    .live { margin-left:auto; color:var(--dim); font-size:13px; } .live::before { content:"●"; margin-right:6px; color:var(--dim); }
    .live.on::before { color:var(--actual); } .live.off::before { color:var(--suspect); }
    main { padding:20px 24px 40px; max-width:1500px; margin:0 auto; } main.narrow { max-width:420px; margin-top:60px; }
    h1 { font-size:22px; margin:0 0 4px; } h2 { font-size:15px; margin:0 0 10px; color:var(--dim); font-weight:600; text-transform:uppercase; letter-spacing:.06em; }
    .dim { color:var(--dim); } .outcome-key { display:block; color:var(--dim); font-size:11px; font-family:ui-monospace,SFMono-Regular,Menlo,monospace; } .error { color:var(--suspect); }
    .panel { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
    .kpis { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:12px; margin:16px 0 20px; }
    .kpi { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
    .kpi .label { color:var(--dim); font-size:12px; text-transform:uppercase; letter-spacing:.06em; }
    .kpi .value { font-size:26px; font-weight:650; font-variant-numeric:tabular-nums; margin-top:2px; }
    .kpi .value small { font-size:13px; color:var(--dim); font-weight:400; white-space:nowrap; }
    .grid2 { display:grid; grid-template-columns:minmax(0,3fr) minmax(280px,1fr); gap:16px; align-items:start; }
    @media (max-width:1000px) { .grid2 { grid-template-columns:1fr; } }
    .sources { display:grid; grid-template-columns:repeat(auto-fill,minmax(330px,1fr)); gap:14px; }
    .source h3 { margin:0 0 6px; font-size:15px; display:flex; justify-content:space-between; }
    .source h3 span { color:var(--dim); font-weight:400; font-variant-numeric:tabular-nums; }
    .meter { display:grid; grid-template-columns:1fr 120px 78px; align-items:center; gap:10px; padding:6px 4px; border-top:1px solid var(--line); color:var(--ink); border-radius:6px; }
    .meter:hover { background:var(--panel2); text-decoration:none; }
    .meter .id { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; } .meter .id small { display:block; color:var(--dim); font-family:system-ui,sans-serif; }
    .meter .kwh { text-align:right; font-variant-numeric:tabular-nums; } .meter .kwh small { display:block; font-size:11px; }
    .source a.more { display:block; padding:8px 4px 2px; border-top:1px solid var(--line); }
    .meter-list { display:grid; grid-template-columns:repeat(auto-fill,minmax(330px,1fr)); column-gap:24px; }
    .health { color:var(--actual); } .health.fair { color:var(--estimated); } .health.poor { color:var(--suspect); }
    form.filters { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-end; margin:12px 0; }
    form.filters label { margin:0; } form.filters input, form.filters select { display:block; margin-top:4px; padding:7px 8px; border-radius:6px; border:1px solid var(--line); background:var(--bg); color:var(--ink); width:auto; min-width:160px; }
    form.filters button { margin:0; }
    table.quarantine td { vertical-align:top; } table.quarantine code { white-space:pre-wrap; overflow-wrap:anywhere; } /* lines break after a field's comma first */
    nav.pager { display:flex; gap:18px; align-items:center; justify-content:center; margin:16px 0; }
    .meter.silent { opacity:.6; } .q-silent { color:var(--suspect); }
    .meter.flash { animation:flash 1.2s ease-out; } @keyframes flash { from { background:#23405f; } to { background:transparent; } }
    .q-actual { color:var(--actual); } .q-estimated { color:var(--estimated); } .q-edited { color:var(--edited); } .q-suspect { color:var(--suspect); }
    svg.spark { width:120px; height:32px; } svg.spark polyline { fill:none; stroke:var(--series); stroke-width:1.5; }
    svg.chart { width:100%; height:auto; display:block; }
    svg.chart .grid { stroke:var(--line); stroke-width:1; } svg.chart .axis { fill:var(--dim); font-size:11px; }
    svg.chart .series { fill:none; stroke:var(--series); stroke-width:1.6; stroke-linejoin:round; }
    svg.chart .estimated { fill:var(--estimated); } svg.chart .bar { fill:#3b82c4; } svg.chart .bar.estimated { fill:var(--estimated); }
    svg.chart .band { fill:var(--suspect); opacity:.18; } svg.chart .empty { fill:var(--dim); font-size:14px; }
    svg.chart .fc95 { fill:var(--accent); opacity:.14; } svg.chart .fc80 { fill:var(--accent); opacity:.26; }
    svg.chart .fcmean { fill:none; stroke:var(--accent); stroke-width:1.6; stroke-dasharray:5 4; }
    .legend i.forecast-key { background:var(--accent); opacity:.5; }
    ul.anomalies { list-style:none; margin:0; padding:0; }
    ul.anomalies li { padding:8px 0; border-top:1px solid var(--line); } ul.anomalies li:first-child { border-top:0; }
    .sev { display:inline-block; font-size:11px; padding:1px 6px; border-radius:9px; margin-right:6px; text-transform:uppercase; letter-spacing:.05em; }
    .sev-info { background:#1f3a5a; } .sev-warning { background:#5a4a1f; } .sev-critical { background:#6a2323; }
    table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; } th, td { text-align:left; padding:5px 8px; border-top:1px solid var(--line); }
    th { color:var(--dim); font-weight:500; font-size:12px; text-transform:uppercase; letter-spacing:.05em; border-top:0; }
    td.num, th.num { text-align:right; }
    tr.new { animation:flash 1.5s ease-out; }
    .section { margin-top:16px; } .tabs a { margin-right:10px; } .tabs a.on { color:var(--ink); font-weight:600; }
    form label { display:block; margin:10px 0; color:var(--dim); } form input { display:block; width:100%; margin-top:4px; padding:8px; border-radius:6px; border:1px solid var(--line); background:var(--bg); color:var(--ink); }
    button { margin-top:8px; padding:8px 16px; border:0; border-radius:6px; background:var(--accent); color:#0b1520; font-weight:600; cursor:pointer; }
    .legend span { margin-right:14px; font-size:12px; color:var(--dim); } .legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
    """

    /// The live part of every page: one WebSocket, subscriptions named by the page's `data-subscribe`,
    /// and small updaters for the fleet cards, the meter page and the anomaly list.
    static let js = """
    "use strict";
    (function () {
      const live = document.getElementById("live");
      const root = document.querySelector("[data-subscribe]");
      const fmt = (v) => (v === null || v === undefined || !isFinite(v)) ? "–" : Number(v).toFixed(3);
      const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
      const when = (iso) => iso ? iso.replace("T", " ").replace(/:00Z$/, " UTC").replace(/Z$/, " UTC") : "–";
      // As the server labels a time in a figure: month, day, hour and minute (UTC said beside it).
      const short = (iso) => iso.slice(5, 16).replace("T", " ");
      function setLive(state, text) { if (live) { live.className = "live " + state; live.textContent = text; } }
      if (!root) { setLive("", ""); return; }

      // The start of the fleet's latest interval: as the page was served, then as summaries tell.
      let fleetLatest = (document.getElementById("as-of") || {}).dataset?.t ||
        [...document.querySelectorAll(".meter[data-t]")].reduce((m, c) => c.dataset.t > m ? c.dataset.t : m, "");

      function spark(values) {
        if (values.length < 2) return "";
        const w = 120, h = 32, top = Math.max(...values, 0.001);
        return values.map((v, i) => (i * w / (values.length - 1)).toFixed(1) + "," + (h - 2 - Math.max(v, 0) / top * (h - 4)).toFixed(1)).join(" ");
      }

      function onReadings(msg) {
        for (const r of msg.readings) {
          const card = document.querySelector('.meter[data-meter="' + CSS.escape(r.meter_id) + '"]');
          if (card) {
            const values = JSON.parse(card.dataset.values || "[]");
            values.push(r.kwh); while (values.length > 48) values.shift();
            card.dataset.values = JSON.stringify(values);
            const line = card.querySelector("polyline"); if (line) line.setAttribute("points", spark(values));
            card.querySelector(".kwh").innerHTML = fmt(r.kwh) + '<small class="q-' + esc(r.quality) + '">' + esc(r.quality) + "</small>";
            if (!card.dataset.t || r.start > card.dataset.t) card.dataset.t = r.start;
            card.classList.remove("silent");
            card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash");
          }
          const table = document.querySelector('table.readings[data-meter="' + CSS.escape(r.meter_id) + '"] tbody');
          if (table && !table.querySelector('tr[data-start="' + r.start + '"]')) {
            const tr = document.createElement("tr");
            tr.className = "new"; tr.dataset.start = r.start;
            tr.innerHTML = "<td>" + esc(when(r.start)) + '</td><td class="num">' + fmt(r.kwh) + '</td><td class="q-' + esc(r.quality) + '">' + esc(r.quality) + "</td>";
            table.insertBefore(tr, table.firstChild);
            while (table.children.length > 24) table.removeChild(table.lastChild);
            scheduleChart();
          }
          const latestKwh = document.getElementById("latest-kwh");
          if (table && latestKwh && r.start >= (latestKwh.dataset.t || "")) {
            latestKwh.dataset.t = r.start; latestKwh.textContent = fmt(r.kwh);
            const at = document.getElementById("latest-at");
            if (at) at.textContent = "at " + short(r.start) + " UTC";
          }
        }
      }

      // The fleet's latest interval, and its and each source's consumption there, from the summary
      // of every stored batch (the page is sent the readings of the meters it shows only).
      function onSummary(msg) {
        const asOf = document.getElementById("as-of");
        for (const interval of msg.intervals) {
          if (interval.start < fleetLatest) continue;
          if (interval.start > fleetLatest) {
            fleetLatest = interval.start;
            if (asOf) { asOf.dataset.t = fleetLatest; asOf.textContent = short(fleetLatest); }
          }
          for (const total of [document.getElementById("fleet-kwh"), ...document.querySelectorAll(".source-kwh")]) {
            if (!total) continue;
            if (total.dataset.t !== fleetLatest) { total.dataset.t = fleetLatest; total.dataset.sum = "0"; }
            const source = total.dataset.source;
            const add = source ? (interval.sources[source] || 0) : Object.values(interval.sources).reduce((a, v) => a + v, 0);
            total.dataset.sum = String(Number(total.dataset.sum) + add); total.textContent = fmt(Number(total.dataset.sum));
          }
          // How many meters have reported into the interval, the fleet's and each source's: readings,
          // at most one a meter (a repeat or a correction is not another meter).
          for (const reported of document.querySelectorAll(".reported")) {
            if (reported.dataset.t !== fleetLatest) { reported.dataset.t = fleetLatest; reported.dataset.n = "0"; }
            const source = reported.dataset.source, counts = interval.counts || {};
            const add = source ? (counts[source] || 0) : interval.readings;
            const n = Math.min(Number(reported.dataset.n) + add, Number(reported.dataset.of));
            reported.dataset.n = String(n); reported.textContent = n + " of " + reported.dataset.of;
          }
        }
        markSilent(fleetLatest);
      }

      // A meter four intervals or more behind the fleet's latest reading is marked silent, as the
      // fleet page marks it when served.
      function markSilent(latest) {
        if (!latest) return;
        const now = Date.parse(latest);
        for (const card of document.querySelectorAll(".meter[data-t]")) {
          const behind = now - Date.parse(card.dataset.t), step = Number(card.dataset.step || 1800) * 1000;
          if (behind < 5 * step || card.classList.contains("silent")) continue;
          card.classList.add("silent");
          const small = card.querySelector(".kwh small");
          if (small) { small.className = "q-silent"; small.textContent = "silent " + (behind / 3600000).toFixed(1) + " h"; }
        }
      }

      function onOutcomes(msg) {
        const table = document.getElementById("outcomes");
        const none = table && table.querySelector("tr.none"); if (none) none.remove();
        for (const [key, n] of Object.entries(msg.outcomes)) {
          let el = document.querySelector('[data-outcome="' + CSS.escape(key) + '"]');
          if (!el && table) {
            // An outcome not seen since the page was served: a row of its own, in key order.
            const labels = JSON.parse(table.dataset.labels || "{}");
            const tr = document.createElement("tr");
            tr.innerHTML = "<td>" + (labels[key] ? esc(labels[key]) + '<small class="outcome-key">' + esc(key) + "</small>" : esc(key))
              + '</td><td class="num">0</td>';
            el = tr.lastChild; el.dataset.outcome = key;
            const after = [...table.children].find((row) => (row.lastChild.dataset.outcome || "") > key);
            table.insertBefore(tr, after || null);
          }
          if (el) el.textContent = String(Number(el.textContent || 0) + n);
        }
        const t = msg.totals, share = document.getElementById("measured-share"), quarantined = document.getElementById("quarantined");
        if (t && share) {
          const stored = Number(share.dataset.stored) + t.stored, estimated = Number(share.dataset.estimated) + t.estimated;
          share.dataset.stored = String(stored); share.dataset.estimated = String(estimated);
          share.textContent = (stored > 0 ? Math.max(stored - estimated, 0) / stored * 100 : 100).toFixed(1);
        }
        if (t && quarantined) quarantined.textContent = String(Number(quarantined.textContent || 0) + t.quarantined);
      }

      function onAnomaly(msg) {
        const a = msg.anomaly, list = document.getElementById("anomalies");
        if (!list) return;
        let li = list.querySelector('li[data-id="' + CSS.escape(a.id) + '"]');
        const seen = li !== null, wasOpen = seen && li.dataset.open === "1";
        const open = document.getElementById("open-anomalies"), all = document.getElementById("all-anomalies");
        if (list.dataset.openOnly && !a.open) {
          // A list of what is open drops an event as it closes.
          if (li) li.remove();
          if (open && wasOpen) open.textContent = String(Math.max(0, Number(open.textContent || 0) - 1));
          if (!list.querySelector("li")) list.innerHTML = '<li class="none dim">None open.</li>';
          return;
        }
        const empty = list.querySelector(".none"); if (empty) empty.remove();
        if (!li) {
          li = document.createElement("li"); li.dataset.id = a.id; list.insertBefore(li, list.firstChild);
          while (list.children.length > 30) list.removeChild(list.lastChild);
        }
        li.dataset.open = a.open ? "1" : "0";
        li.innerHTML = '<span class="sev sev-' + esc(a.severity) + '">' + esc(a.severity) + "</span><b>" + esc(a.kind) + "</b> " +
          (a.meter_id ? '<a href="/meters/' + encodeURIComponent(a.meter_id) + '">' + esc(a.meter_id) + "</a>" : "source " + esc(a.source || "")) +
          '<br><span class="dim">' + esc(when(a.start)) + (a.open ? " · open" : " · closed") + " · " + esc(a.detail) + "</span>";
        // The counts move by what this report changed: a new event, an open one closing.
        if (open) open.textContent = String(Math.max(0, Number(open.textContent || 0) + (a.open ? 1 : 0) - (wasOpen ? 1 : 0)));
        if (all && !seen) all.textContent = String(Number(all.textContent || 0) + 1);
      }

      // The meter page's readings chart and daily totals, redrawn by the server a moment after
      // readings arrive (one fetch each for a burst of them).
      let chartTimer = null;
      function scheduleChart() {
        const parts = [document.getElementById("chart"), document.getElementById("daily")].filter((el) => el && el.dataset.src);
        if (!parts.length || chartTimer) return;
        chartTimer = setTimeout(async () => {
          chartTimer = null;
          for (const el of parts) {
            try {
              const res = await fetch(el.dataset.src, { cache: "no-store" });
              if (res.ok) el.innerHTML = await res.text();
            } catch (e) { /* the next reading tries again */ }
          }
        }, 800);
      }

      let retry = 500;
      function connect() {
        const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/stream");
        ws.onopen = () => {
          retry = 500; setLive("on", "live");
          for (const topic of root.dataset.subscribe.split(" ")) {
            const [kind, name] = topic.split(":");
            const msg = { type: "subscribe" };
            if (kind === "fleet" || kind === "summary") msg[kind] = true; else msg[kind] = decodeURIComponent(name);
            ws.send(JSON.stringify(msg));
          }
        };
        ws.onmessage = (event) => {
          let msg; try { msg = JSON.parse(event.data); } catch (e) { return; }
          if (msg.type === "readings") onReadings(msg);
          else if (msg.type === "summary") onSummary(msg);
          else if (msg.type === "outcomes") onOutcomes(msg);
          else if (msg.type === "anomaly") onAnomaly(msg);
        };
        ws.onclose = () => { setLive("off", "reconnecting"); setTimeout(connect, retry); retry = Math.min(retry * 2, 10000); };
      }
      connect();
    })();
    """
}
