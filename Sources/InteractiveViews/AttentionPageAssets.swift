/// The style and the script of `AttentionPage`, kept here as plain strings so the page needs no
/// resource bundle. The script reads the trace from the JSON element `#trace-data` and builds
/// the three views with the DOM, SVG and canvas only (no library).
enum AttentionPageAssets {
    static let css = #"""
    :root { --ink: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; --accent: #0b57d0; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 "DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
           "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; color: var(--ink); background: #fff; }
    header { padding: 16px 24px 0; border-bottom: 1px solid var(--line); }
    h1 { font-size: 20px; margin: 0 0 4px; }
    #summary { margin: 0 0 10px; color: var(--muted); }
    nav button { font: inherit; border: 1px solid var(--line); border-bottom: none; background: #f5f5f7;
                 padding: 6px 14px; margin-right: 4px; border-radius: 6px 6px 0 0; cursor: pointer; }
    nav button.active { background: #fff; font-weight: bold; position: relative; top: 1px; }
    main { padding: 16px 24px; }
    .view { display: none; }
    .view.active { display: block; }
    .controls { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; margin-bottom: 12px; }
    .controls label { color: var(--muted); }
    select, .controls button { font: inherit; padding: 2px 6px; }
    .swatches { display: flex; gap: 4px; flex-wrap: wrap; }
    .swatch { width: 26px; height: 20px; border-radius: 4px; border: 2px solid transparent; cursor: pointer;
              color: #fff; font-size: 11px; text-align: center; line-height: 16px; user-select: none; }
    .swatch.off { opacity: 0.18; }
    svg text { font-size: 14px; cursor: default; }
    svg text.token.active { font-weight: bold; fill: var(--accent); }
    svg text.masked { fill: #aaa; text-decoration: line-through; }
    line.attn.hidden { display: none; }
    .note { color: var(--muted); max-width: 760px; }
    #model-grid { display: grid; gap: 4px; align-items: center; }
    #model-grid canvas { cursor: zoom-in; border: 1px solid var(--line); image-rendering: pixelated; }
    #model-grid .axis { color: var(--muted); font-size: 12px; text-align: center; }
    #enlarged { margin-top: 16px; }
    .vector { display: flex; align-items: center; gap: 8px; margin: 3px 0; }
    .vector .name { width: 170px; text-align: right; color: var(--muted); }
    .vector .cells { display: flex; }
    .vector .cells span { width: 9px; height: 22px; display: inline-block; }
    .vector .value { width: 110px; font-variant-numeric: tabular-nums; }
    table.scores { border-collapse: collapse; margin-top: 12px; }
    table.scores td, table.scores th { padding: 2px 10px; text-align: right; font-variant-numeric: tabular-nums; }
    table.scores th { color: var(--muted); font-weight: normal; }
    table.scores tr.chosen { background: #e8f0fe; font-weight: bold; }
    table.scores tr.masked td { color: #aaa; }
    .bar { display: inline-block; height: 10px; background: var(--accent); vertical-align: middle; }
    """#

    static let script = #"""
    "use strict";
    const trace = JSON.parse(document.getElementById("trace-data").textContent);
    const kinds = [...new Set(trace.entries.map(e => e.kind))];
    const kindNames = { "encoder-self": "encoder self-attention", "decoder-causal-self": "decoder causal self-attention",
                        "cross": "cross-attention" };
    const state = { kind: kinds[0], layer: 0, heads: new Set(), neuron: { layer: 0, head: 0, query: -1, key: -1 } };

    function entriesOf(kind) { return trace.entries.filter(e => e.kind === kind); }
    function layersOf(kind) { return [...new Set(entriesOf(kind).map(e => e.layer))].sort((a, b) => a - b); }
    function headsOf(kind) { return [...new Set(entriesOf(kind).map(e => e.head))].sort((a, b) => a - b); }
    function entry(kind, layer, head) { return trace.entries.find(e => e.kind === kind && e.layer === layer && e.head === head); }
    function headColor(head, count) { return `hsl(${Math.round(head * 360 / Math.max(count, 1))}, 70%, 45%)`; }
    // A key is masked when the model could not look at it: the trace's own mask when it has one,
    // the causal mask of decoder self-attention, and padding.
    function isMasked(e, i, j) {
      if (Array.isArray(e.hidden) && e.hidden[i] && e.hidden[i][j]) return true;
      if (e.kind === "decoder-causal-self" && j > i) return true;
      return e.keyTokens[j] === "<pad>" || e.keyTokens[j] === "[PAD]";
    }
    const svgNS = "http://www.w3.org/2000/svg";
    function el(tag, attributes = {}, text) {
      const node = tag === "svg" || ["line", "text", "rect", "g"].includes(tag)
        ? document.createElementNS(svgNS, tag) : document.createElement(tag);
      for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      return node;
    }
    function fmt(x, digits = 3) { return Number.isFinite(x) ? x.toFixed(digits) : String(x); }
    function viridis(t) {
      const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
      t = Math.min(1, Math.max(0, t)) * (stops.length - 1);
      const i = Math.min(stops.length - 2, Math.floor(t)), f = t - i;
      return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f));
    }
    function diverging(v, scale) {
      const t = Math.max(-1, Math.min(1, v / (scale || 1)));
      const a = Math.abs(t);
      return t >= 0 ? `rgb(255,${Math.round(255 - 170 * a)},${Math.round(255 - 200 * a)})`
                    : `rgb(${Math.round(255 - 200 * a)},${Math.round(255 - 130 * a)},255)`;
    }

    // ---- summary and tabs ----
    const first = trace.entries[0];
    document.getElementById("summary").textContent = [
      trace.model ? `Model: ${trace.model}` : null, trace.architecture,
      `${layersOf(state.kind).length} layers × ${headsOf(state.kind).length} heads`,
      first ? `${first.queryTokens.length} tokens` : "no attention recorded",
      trace.text ? `Text: “${trace.text}”` : null,
    ].filter(Boolean).join(" · ");
    function showView(name) {
      for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.view === name);
      for (const s of document.querySelectorAll(".view")) s.classList.toggle("active", s.id === name + "-view");
    }
    for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showView(b.dataset.view));

    function kindSelect(onChange) {
      const select = el("select", { class: "kind-select" });
      for (const k of kinds) select.appendChild(el("option", { value: k }, kindNames[k] || k));
      select.value = state.kind;
      select.addEventListener("change", () => { state.kind = select.value; onChange(); });
      return select;
    }

    // ---- head view ----
    const headView = document.getElementById("head-view");
    function buildHeadView() {
      headView.replaceChildren();
      const heads = headsOf(state.kind), layers = layersOf(state.kind);
      if (!layers.includes(state.layer)) state.layer = layers[0] ?? 0;
      if (state.heads.size === 0) heads.forEach(h => state.heads.add(h));
      const controls = el("div", { class: "controls" });
      if (kinds.length > 1) { controls.append(el("label", {}, "Attention:"), kindSelect(() => { state.heads.clear(); buildAll(); })); }
      const layerSelect = el("select", { id: "layer-select" });
      for (const l of layers) layerSelect.appendChild(el("option", { value: l }, `Layer ${l + 1}`));
      layerSelect.value = state.layer;
      layerSelect.addEventListener("change", () => { state.layer = Number(layerSelect.value); drawLines(); });
      controls.append(el("label", { for: "layer-select" }, "Layer:"), layerSelect, el("label", {}, "Heads:"));
      const swatches = el("div", { class: "swatches" });
      for (const h of heads) {
        const s = el("div", { class: "swatch", "data-head": h, title: `head ${h + 1}: click to hide or show` }, String(h + 1));
        s.style.background = headColor(h, heads.length);
        s.classList.toggle("off", !state.heads.has(h));
        s.addEventListener("click", () => {
          if (state.heads.has(h)) state.heads.delete(h); else state.heads.add(h);
          s.classList.toggle("off", !state.heads.has(h));
          drawLines();
        });
        swatches.appendChild(s);
      }
      controls.appendChild(swatches);
      headView.appendChild(controls);
      headView.appendChild(el("p", { class: "note" },
        "Each line joins a query (left) to a key (right); its colour is the head, its opacity the weight. " +
        "Hover a token to keep only its lines. Struck-through keys are masked for the hovered query."));
      const e0 = entry(state.kind, state.layer, heads[0]);
      const queries = e0 ? e0.queryTokens : [], keys = e0 ? e0.keyTokens : [];
      const rowHeight = 24, width = 560, top = 20;
      const svg = el("svg", { id: "head-svg", width, height: top + Math.max(queries.length, keys.length) * rowHeight + 10 });
      const lines = el("g", { id: "lines" });
      svg.appendChild(lines);
      queries.forEach((t, i) => {
        const node = el("text", { class: "token query", "data-index": i, x: 150, y: top + i * rowHeight + 5, "text-anchor": "end" }, t);
        node.addEventListener("mouseenter", () => focus("query", i));
        node.addEventListener("mouseleave", () => focus(null));
        svg.appendChild(node);
      });
      keys.forEach((t, j) => {
        const node = el("text", { class: "token key", "data-index": j, x: 410, y: top + j * rowHeight + 5 }, t);
        node.addEventListener("mouseenter", () => focus("key", j));
        node.addEventListener("mouseleave", () => focus(null));
        svg.appendChild(node);
      });
      headView.appendChild(svg);

      function drawLines() {
        lines.replaceChildren();
        for (const h of heads) {
          if (!state.heads.has(h)) continue;
          const e = entry(state.kind, state.layer, h);
          if (!e) continue;
          e.weights.forEach((row, i) => row.forEach((w, j) => {
            if (w <= 0.001) return;
            lines.appendChild(el("line", { class: "attn", "data-query": i, "data-key": j, "data-head": h,
              x1: 160, y1: top + i * rowHeight, x2: 400, y2: top + j * rowHeight,
              stroke: headColor(h, heads.length), "stroke-width": 2, "stroke-opacity": Math.min(1, w * 1.2).toFixed(3) }));
          }));
        }
      }
      function focus(side, index) {
        for (const line of lines.children) {
          const keep = side === null || Number(line.dataset[side]) === index;
          line.classList.toggle("hidden", !keep);
        }
        for (const t of svg.querySelectorAll("text.token")) {
          const isQuery = t.classList.contains("query"), i = Number(t.dataset.index);
          t.classList.toggle("active", side !== null && ((side === "query") === isQuery) && i === index);
          t.classList.toggle("masked", side === "query" && !isQuery && e0 && isMasked(e0, index, i));
        }
      }
      drawLines();
    }

    // ---- model view ----
    const modelView = document.getElementById("model-view");
    function drawHeatmap(canvas, e, cell, labels) {
      const rows = e.weights.length, cols = rows ? e.weights[0].length : 0;
      const left = labels ? 90 : 0, topPad = labels ? 70 : 0;
      canvas.width = left + cols * cell; canvas.height = topPad + rows * cell;
      const g = canvas.getContext("2d");
      g.fillStyle = "#fff"; g.fillRect(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        if (isMasked(e, i, j)) {
          g.fillStyle = "#e4e4e4"; g.fillRect(left + j * cell, topPad + i * cell, cell, cell);
          if (cell >= 8) { g.strokeStyle = "#b8b8b8"; g.beginPath();
            g.moveTo(left + j * cell, topPad + (i + 1) * cell); g.lineTo(left + (j + 1) * cell, topPad + i * cell); g.stroke(); }
          continue;
        }
        const [r, gr, b] = viridis(e.weights[i][j]);
        g.fillStyle = `rgb(${r},${gr},${b})`; g.fillRect(left + j * cell, topPad + i * cell, cell, cell);
      }
      if (labels) {
        g.fillStyle = "#1d1d1f"; g.font = "12px 'DejaVu Sans', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif";
        g.textAlign = "right"; g.textBaseline = "middle";
        e.queryTokens.forEach((t, i) => g.fillText(t, left - 6, topPad + i * cell + cell / 2));
        e.keyTokens.forEach((t, j) => { g.save(); g.translate(left + j * cell + cell / 2, topPad - 6); g.rotate(-Math.PI / 3);
          g.textAlign = "left"; g.fillText(t, 0, 0); g.restore(); });
      }
    }
    function buildModelView() {
      modelView.replaceChildren();
      const heads = headsOf(state.kind), layers = layersOf(state.kind);
      const controls = el("div", { class: "controls" });
      if (kinds.length > 1) { controls.append(el("label", {}, "Attention:"), kindSelect(buildAll)); }
      controls.appendChild(el("span", { class: "note" },
        "Rows: layers; columns: heads. Each thumbnail is one head's weights (rows: queries, columns: keys; grey: masked). Click one to enlarge it."));
      modelView.appendChild(controls);
      const grid = el("div", { id: "model-grid" });
      grid.style.gridTemplateColumns = `60px repeat(${heads.length}, auto)`;
      grid.appendChild(el("div"));
      heads.forEach(h => grid.appendChild(el("div", { class: "axis" }, `head ${h + 1}`)));
      const tokens = entriesOf(state.kind)[0]?.queryTokens.length || 1;
      const cell = Math.max(1, Math.min(6, Math.floor(Math.min(72, 900 / heads.length) / tokens)));
      for (const l of layers) {
        grid.appendChild(el("div", { class: "axis" }, `layer ${l + 1}`));
        for (const h of heads) {
          const e = entry(state.kind, l, h);
          const canvas = el("canvas", { class: "thumbnail", "data-layer": l, "data-head": h, title: `layer ${l + 1}, head ${h + 1}` });
          if (e) { drawHeatmap(canvas, e, cell, false); canvas.addEventListener("click", () => enlarge(e)); }
          grid.appendChild(canvas);
        }
      }
      modelView.appendChild(grid);
      modelView.appendChild(el("div", { id: "enlarged" }));
    }
    function enlarge(e) {
      const box = document.getElementById("enlarged");
      box.replaceChildren(el("h3", {}, `Layer ${e.layer + 1}, head ${e.head + 1} (${kindNames[e.kind] || e.kind})`));
      const canvas = el("canvas", { id: "enlarged-canvas" });
      drawHeatmap(canvas, e, Math.max(8, Math.min(30, Math.floor(520 / e.weights.length))), true);
      box.appendChild(canvas);
      box.scrollIntoView({ block: "nearest" });
    }

    // ---- neuron view ----
    const neuronView = document.getElementById("neuron-view");
    function buildNeuronView() {
      neuronView.replaceChildren();
      const n = state.neuron;
      const all = entriesOf(state.kind);
      if (!all.some(e => Array.isArray(e.queries) && Array.isArray(e.keys))) {
        neuronView.appendChild(el("p", { class: "note", id: "no-qk" },
          "This trace holds no queries and keys. Write it with --with-qk (tx attention … --html FILE --with-qk) to see " +
          "how one query and one key give one weight."));
        return;
      }
      const heads = headsOf(state.kind), layers = layersOf(state.kind);
      if (!layers.includes(n.layer)) n.layer = layers[0];
      if (!heads.includes(n.head)) n.head = heads[0];
      const e = entry(state.kind, n.layer, n.head);
      if (n.query < 0 || n.query >= e.queryTokens.length) n.query = e.queryTokens.length - 1;
      if (n.key < 0 || n.key >= e.keyTokens.length) {
        const row = e.weights[n.query]; n.key = row.indexOf(Math.max(...row));
      }
      const controls = el("div", { class: "controls" });
      if (kinds.length > 1) { controls.append(el("label", {}, "Attention:"), kindSelect(buildAll)); }
      function picker(label, id, values, names, current, set) {
        const s = el("select", { id });
        values.forEach((v, i) => s.appendChild(el("option", { value: v }, names[i])));
        s.value = current;
        s.addEventListener("change", () => { set(Number(s.value)); buildNeuronView(); });
        controls.append(el("label", { for: id }, label), s);
      }
      picker("Layer:", "neuron-layer", layers, layers.map(l => String(l + 1)), n.layer, v => n.layer = v);
      picker("Head:", "neuron-head", heads, heads.map(h => String(h + 1)), n.head, v => n.head = v);
      picker("Query:", "neuron-query", e.queryTokens.map((_, i) => i), e.queryTokens.map((t, i) => `${i}: ${t}`), n.query, v => n.query = v);
      picker("Key:", "neuron-key", e.keyTokens.map((_, j) => j), e.keyTokens.map((t, j) => `${j}: ${t}`), n.key, v => n.key = v);
      neuronView.appendChild(controls);

      const q = e.queries[n.query], k = e.keys[n.key];
      const scale = typeof e.scale === "number" ? e.scale : 1 / Math.sqrt(q.length);
      const product = q.map((x, i) => x * k[i]);
      const dot = product.reduce((a, b) => a + b, 0);
      const masked = isMasked(e, n.query, n.key);
      const magnitude = Math.max(...q.map(Math.abs), ...k.map(Math.abs), 1e-9);
      const productMagnitude = Math.max(...product.map(Math.abs), 1e-9);
      function vectorRow(name, values, scaleOf, value) {
        const row = el("div", { class: "vector" });
        row.appendChild(el("span", { class: "name" }, name));
        const cells = el("span", { class: "cells" });
        values.forEach((v, i) => { const c = el("span", { title: `${i}: ${fmt(v, 4)}` }); c.style.background = diverging(v, scaleOf); cells.appendChild(c); });
        row.appendChild(cells);
        row.appendChild(el("span", { class: "value" }, value));
        return row;
      }
      neuronView.appendChild(el("p", { class: "note" },
        `Layer ${n.layer + 1}, head ${n.head + 1}: how query “${e.queryTokens[n.query]}” scores key “${e.keyTokens[n.key]}”. ` +
        `Each cell is one of the head's ${q.length} features (red positive, blue negative).`));
      neuronView.appendChild(vectorRow(`query q (${e.queryTokens[n.query]})`, q, magnitude, `‖q‖ = ${fmt(Math.hypot(...q), 2)}`));
      neuronView.appendChild(vectorRow(`key k (${e.keyTokens[n.key]})`, k, magnitude, `‖k‖ = ${fmt(Math.hypot(...k), 2)}`));
      neuronView.appendChild(vectorRow("q ⊙ k", product, productMagnitude, `Σ = ${fmt(dot, 3)}`));
      const score = dot * scale;
      const scores = e.keys.map((key, j) => isMasked(e, n.query, j) ? -Infinity : key.reduce((a, x, i) => a + x * q[i], 0) * scale);
      const top = Math.max(...scores);
      const exps = scores.map(s => s === -Infinity ? 0 : Math.exp(s - top));
      const total = exps.reduce((a, b) => a + b, 0);
      const weights = exps.map(x => total > 0 ? x / total : 0);
      neuronView.appendChild(el("p", { id: "neuron-result" }, masked
        ? `score = Σ × ${fmt(scale, 4)} = ${fmt(score, 3)}, but this key is masked for this query: weight 0.`
        : `score = Σ × ${fmt(scale, 4)} (1/√${q.length}) = ${fmt(score, 3)};  weight = softmax over the keys = ${fmt(weights[n.key], 4)} ` +
          `(the model recorded ${fmt(e.weights[n.query][n.key], 4)}).`));
      const table = el("table", { class: "scores" });
      const head = el("tr");
      ["key", "score", "weight", ""].forEach(h => head.appendChild(el("th", {}, h)));
      table.appendChild(head);
      e.keyTokens.forEach((t, j) => {
        const tr = el("tr", { class: (j === n.key ? "chosen " : "") + (isMasked(e, n.query, j) ? "masked" : "") });
        tr.appendChild(el("td", {}, t));
        tr.appendChild(el("td", {}, scores[j] === -Infinity ? "masked" : fmt(scores[j], 3)));
        tr.appendChild(el("td", {}, fmt(weights[j], 4)));
        const bar = el("span", { class: "bar" }); bar.style.width = `${Math.round(weights[j] * 160)}px`;
        const cell = el("td"); cell.style.textAlign = "left"; cell.appendChild(bar); tr.appendChild(cell);
        tr.addEventListener("click", () => { n.key = j; buildNeuronView(); });
        table.appendChild(tr);
      });
      neuronView.appendChild(table);
    }

    function buildAll() { buildHeadView(); buildModelView(); buildNeuronView(); }
    buildAll();
    showView(["model", "neuron"].includes(location.hash.slice(1)) ? location.hash.slice(1) : "head");
    """#
}
