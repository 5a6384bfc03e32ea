import Hummingbird

/// The fleet page at `/`: every asset inline, nothing fetched from elsewhere.
struct DashboardRoutes {
    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: DashboardPage.fleet)))
        }
    }
}

/// The fleet page: sources as columns of meter cards, each with its latest reading and a
/// sparkline of what arrived while the page was open; refreshed from `/api/v1/meters` every second.
enum DashboardPage {
    static let fleet = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Nut Cracker · fleet</title>
    <style>
      :root { --bg:#0f1419; --panel:#171e26; --ink:#e6edf3; --dim:#8b98a5; --line:#26313d;
              --actual:#3fb950; --estimated:#d29922; --suspect:#f85149; --accent:#58a6ff; }
      * { box-sizing: border-box; }
      body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
      header { display:flex; align-items:baseline; gap:24px; padding:16px 24px; border-bottom:1px solid var(--line); }
      header h1 { font-size:18px; margin:0; letter-spacing:.02em; }
      header .stat { color:var(--dim); }
      header .stat b { color:var(--ink); font-size:18px; font-variant-numeric: tabular-nums; }
      #live { margin-left:auto; color:var(--dim); }
      #live::before { content:"●"; color:var(--actual); margin-right:6px; }
      #live.stale::before { color:var(--suspect); }
      main { display:grid; grid-template-columns:repeat(auto-fit, minmax(320px, 1fr)); gap:16px; padding:16px 24px; }
      section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
      section h2 { margin:0 0 8px; font-size:15px; display:flex; justify-content:space-between; }
      section h2 span { color:var(--dim); font-weight:normal; font-variant-numeric: tabular-nums; }
      .meter { display:grid; grid-template-columns: 1fr 90px 64px; align-items:center; gap:8px; padding:6px 0; border-top:1px solid var(--line); }
      .meter:first-of-type { border-top:0; }
      .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
      .id small { display:block; color:var(--dim); font-family:system-ui, sans-serif; }
      .kwh { text-align:right; font-variant-numeric: tabular-nums; }
      .kwh small { display:block; color:var(--dim); }
      .q-actual { color:var(--actual); } .q-estimated { color:var(--estimated); } .q-edited { color:var(--accent); } .q-suspect { color:var(--suspect); }
      svg { width:90px; height:28px; }
      svg polyline { fill:none; stroke:var(--accent); stroke-width:1.5; }
      .empty { color:var(--dim); padding:24px; }
    </style>
    </head>
    <body>
    <header>
      <h1>Nut Cracker</h1>
      <div class="stat">meters <b id="n-meters">–</b></div>
      <div class="stat">fleet, last interval <b id="fleet-kwh">–</b> kWh</div>
      <div class="stat">fleet time <b id="as-of">–</b></div>
      <div id="live">live</div>
    </header>
    <main id="fleet"><div class="empty">Waiting for the first readings…</div></main>
    <script>
    "use strict";
    const history = new Map();
    const fmt = (v) => v === undefined || v === null ? "–" : v.toFixed(3);
    const when = (iso) => iso ? iso.replace("T", " ").replace(":00Z", " UTC") : "–";
    function spark(values) {
      if (values.length < 2) return "<svg></svg>";
      const max = Math.max(...values, 0.001), w = 90, h = 28;
      const pts = values.map((v, i) => `${(i * w / (values.length - 1)).toFixed(1)},${(h - 2 - v / max * (h - 4)).toFixed(1)}`).join(" ");
      return `<svg viewBox="0 0 ${w} ${h}" aria-hidden="true"><polyline points="${pts}"/></svg>`;
    }
    function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;"}[c])); }
    async function refresh() {
      const live = document.getElementById("live");
      try {
        const res = await fetch(history.size ? "/api/v1/meters" : "/api/v1/meters?recent=48", { cache: "no-store" });
        if (!res.ok) throw new Error(res.status);
        const data = await res.json();
        live.className = "";
        render(data.meters);
      } catch (e) {
        live.className = "stale";
      }
    }
    function render(meters) {
      const bySource = new Map();
      let total = 0, latest = "";
      for (const m of meters) {
        if (!bySource.has(m.source)) bySource.set(m.source, []);
        bySource.get(m.source).push(m);
        if (m.recent && !history.has(m.meter_id)) {
          history.set(m.meter_id, m.recent.map((kwh, i) => ({ kwh, start: i === m.recent.length - 1 && m.latest ? m.latest.start : String(i) })));
        }
        if (m.latest) {
          const h = history.get(m.meter_id) || [];
          if (!h.length || h[h.length - 1].start !== m.latest.start) h.push(m.latest);
          while (h.length > 48) h.shift();
          history.set(m.meter_id, h);
          if (m.latest.start > latest) latest = m.latest.start;
        }
      }
      for (const m of meters) if (m.latest && m.latest.start === latest) total += m.latest.kwh;
      document.getElementById("n-meters").textContent = meters.length;
      document.getElementById("fleet-kwh").textContent = fmt(total);
      document.getElementById("as-of").textContent = when(latest);
      const html = [];
      for (const [source, list] of [...bySource.entries()].sort()) {
        const sum = list.reduce((a, m) => a + (m.latest && m.latest.start === latest ? m.latest.kwh : 0), 0);
        html.push(`<section><h2>Source ${esc(source)} <span>${list.length} meters · ${fmt(sum)} kWh</span></h2>`);
        for (const m of list) {
          const l = m.latest;
          const values = (history.get(m.meter_id) || []).map(r => r.kwh);
          html.push(`<div class="meter" data-meter="${esc(m.meter_id)}"><div class="id">${esc(m.meter_id)}<small>${esc(m.kind)} · ${m.minutes} min</small></div>` +
            `${spark(values)}<div class="kwh">${l ? fmt(l.kwh) : "–"}<small class="q-${l ? esc(l.quality) : ""}">${l ? esc(l.quality) : "no data"}</small></div></div>`);
        }
        html.push("</section>");
      }
      document.getElementById("fleet").innerHTML = html.join("") || '<div class="empty">No meters yet.</div>';
    }
    refresh();
    setInterval(refresh, 1000);
    </script>
    </body>
    </html>
    """
}
