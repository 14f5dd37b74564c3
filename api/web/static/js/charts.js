// Small SVG charts drawn by hand: horizontal bars, a line chart and a column chart. No library.

const NS = "http://www.w3.org/2000/svg";
export const PALETTE = ["#1d5fb4", "#d9822b", "#1b7a3d", "#b3261e", "#6b4fbb", "#0f8a8a"];

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function svg(width, height, label) {
  return s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
}

// rows: [{label, value, highlight}] ; value in [0, max]
export function hbars(rows, { label = "", max = null, format = (v) => v, width = 560, bar = 18, labelWidth = 150 } = {}) {
  const gap = 8;
  const height = rows.length * (bar + gap) + 24;
  const top = Math.max(max ?? 0, ...rows.map((r) => r.value ?? 0)) || 1;
  const plot = width - labelWidth - 60;
  const el = svg(width, height, label);
  for (let i = 0; i <= 4; i++) {
    const x = labelWidth + (plot * i) / 4;
    el.append(s("line", { x1: x, x2: x, y1: 0, y2: height - 18, class: "grid" }));
    el.append(s("text", { x, y: height - 4, "text-anchor": "middle" }, format((top * i) / 4)));
  }
  rows.forEach((r, i) => {
    const y = i * (bar + gap) + 2;
    const w = r.value === null || r.value === undefined ? 0 : Math.max(1, (plot * r.value) / top);
    const name = r.label.length > 11 ? `${r.label.slice(0, 10)}…` : r.label;
    el.append(s("text", { x: labelWidth - 8, y: y + bar * 0.72, "text-anchor": "end" }, name));
    const rect = s("rect", { x: labelWidth, y, width: w, height: bar, rx: 2, fill: r.highlight ? "#b3261e" : PALETTE[0] });
    rect.append(s("title", {}, `${r.label}：${r.value === null || r.value === undefined ? "—" : format(r.value)}`));
    el.append(rect);
    el.append(s("text", { x: labelWidth + w + 6, y: y + bar * 0.72 }, r.value === null || r.value === undefined ? "—" : format(r.value)));
  });
  return el;
}

// series: [{name, values: [number|null]}], xs: labels
export function lines(xs, series, { label = "", width = 560, height = 200, max = null, format = (v) => v } = {}) {
  const pad = { l: 44, r: 24, t: 10, b: 26 };
  const el = svg(width, height, label);
  const all = series.flatMap((x) => x.values).filter((v) => v !== null && v !== undefined);
  const top = max ?? (Math.max(...all, 0) || 1);
  const px = (i) => pad.l + (xs.length <= 1 ? 0 : ((width - pad.l - pad.r) * i) / (xs.length - 1));
  const py = (v) => height - pad.b - ((height - pad.t - pad.b) * v) / top;
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    el.append(s("line", { x1: pad.l, x2: width - pad.r, y1: py(v), y2: py(v), class: "grid" }));
    el.append(s("text", { x: pad.l - 6, y: py(v) + 4, "text-anchor": "end" }, format(v)));
  }
  const step = Math.ceil(xs.length / 8);
  xs.forEach((x, i) => {
    if (i % step === 0 || i === xs.length - 1) el.append(s("text", { x: px(i), y: height - 8, "text-anchor": "middle" }, x));
  });
  series.forEach((ser, k) => {
    const color = ser.color || PALETTE[k % PALETTE.length];
    const pts = ser.values.map((v, i) => (v === null || v === undefined ? null : [px(i), py(v)]));
    const d = pts.reduce((acc, p, i) => (p ? `${acc}${acc && pts[i - 1] ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}` : acc), "");
    el.append(s("path", { d, fill: "none", stroke: color, "stroke-width": 2 }));
    pts.forEach((p, i) => {
      if (!p) return;
      const dot = s("circle", { cx: p[0], cy: p[1], r: 3, fill: color });
      dot.append(s("title", {}, `${ser.name} ${xs[i]}：${format(ser.values[i])}`));
      el.append(dot);
    });
  });
  return el;
}

// Vertical columns (counts over time or over cities).
export function columns(xs, values, { label = "", width = 560, height = 180, color = PALETTE[0], rotate = false } = {}) {
  const tiny = height < 60; // a sparkline: no axes, no labels
  const pad = tiny ? { l: 1, r: 1, t: 2, b: 1 } : { l: 34, r: 8, t: 14, b: rotate ? 52 : 26 };
  const el = svg(width, height, label);
  const top = Math.max(...values, 1);
  const cw = (width - pad.l - pad.r) / Math.max(xs.length, 1);
  const py = (v) => height - pad.b - ((height - pad.t - pad.b) * v) / top;
  for (let i = 0; i <= 3 && !tiny; i++) {
    const v = Math.round((top * i) / 3);
    el.append(s("line", { x1: pad.l, x2: width - pad.r, y1: py(v), y2: py(v), class: "grid" }));
    el.append(s("text", { x: pad.l - 5, y: py(v) + 4, "text-anchor": "end" }, v));
  }
  if (tiny) el.append(s("line", { x1: 0, x2: width, y1: height - pad.b, y2: height - pad.b, class: "axis" }));
  const step = rotate ? 1 : Math.ceil(xs.length / 10);
  xs.forEach((x, i) => {
    const bx = pad.l + i * cw + cw * 0.15;
    const rect = s("rect", { x: bx, y: py(values[i]), width: cw * 0.7, height: height - pad.b - py(values[i]), fill: color, rx: 1 });
    rect.append(s("title", {}, `${x}：${values[i]}`));
    el.append(rect);
    if (tiny) return;
    if (values[i] && cw > 18) el.append(s("text", { x: bx + cw * 0.35, y: py(values[i]) - 3, "text-anchor": "middle" }, values[i]));
    if (i % step === 0) {
      const tx = bx + cw * 0.35;
      el.append(rotate
        ? s("text", { x: tx, y: height - pad.b + 12, "text-anchor": "end", transform: `rotate(-35 ${tx} ${height - pad.b + 12})` }, x)
        : s("text", { x: tx, y: height - 8, "text-anchor": "middle" }, x));
    }
  });
  return el;
}
