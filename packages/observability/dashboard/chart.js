// The traffic chart, drawn as SVG at the width of its box (redrawn when the
// window changes), so text stays sharp and readable at any size: bars of
// requests per second (errors in red) against the left axis, mean latency as a
// line against the right one, clock times along the bottom.
// scripts/build-dashboard.mjs inlines this file before app.js, in one script, so app.js sees it.
const drawTrafficChart = (() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const SECONDS = 300;
  const HEIGHT = 200;
  const M = { top: 12, right: 64, bottom: 26, left: 64 };

  const el = (name, attrs, text) => {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };

  /** A round top for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
  const niceMax = (max) => {
    if (max <= 1) return 1;
    const p = 10 ** Math.floor(Math.log10(max));
    return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= max);
  };

  const clock = (seconds) => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  /** Draws `series` (`[t, count, errors, meanMs, maxMs]` per second, oldest first) into `box`. */
  return function drawTrafficChart(box, series) {
    const width = Math.max(320, box.clientWidth);
    const plotW = width - M.left - M.right;
    const plotH = HEIGHT - M.top - M.bottom;
    const last = series.length ? series[series.length - 1][0] : Math.floor(Date.now() / 1000);
    const first = last - SECONDS + 1;
    const maxRate = niceMax(Math.max(...series.map((p) => p[1]), 0));
    const maxMs = niceMax(Math.max(...series.map((p) => p[3]), 0));
    const x = (t) => M.left + ((t - first) / SECONDS) * plotW;
    const yRate = (v) => M.top + plotH - (v / maxRate) * plotH;
    const yMs = (v) => M.top + plotH - (v / maxMs) * plotH;
    const svg = el('svg', { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img' });
    svg.append(el('title', {}, 'requests per second and mean latency, last 5 minutes'));

    const grid = el('g', { class: 'grid' });
    const left = el('g', { class: 'axis y-left' });
    const right = el('g', { class: 'axis y-right' });
    for (const f of [0, 0.5, 1]) {
      const y = M.top + plotH - f * plotH;
      grid.append(el('line', { x1: M.left, x2: M.left + plotW, y1: y, y2: y }));
      left.append(el('text', { x: M.left - 6, y: y + 4, 'text-anchor': 'end' }, `${+(f * maxRate).toFixed(2)} req/s`));
      right.append(el('text', { x: M.left + plotW + 6, y: y + 4 }, `${+(f * maxMs).toFixed(1)} ms`));
    }
    // A tick at each whole minute in view, labelled with the clock time.
    const bottom = el('g', { class: 'axis x-axis' });
    for (let t = Math.ceil(first / 60) * 60; t <= last; t += 60) {
      const tick = el('g', { class: 'x-tick', 'data-t': t });
      tick.append(el('line', { x1: x(t), x2: x(t), y1: M.top + plotH, y2: M.top + plotH + 4 }));
      tick.append(el('text', { x: x(t), y: HEIGHT - 8, 'text-anchor': 'middle' }, clock(t)));
      bottom.append(tick);
    }
    bottom.append(el('line', { x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH }));

    const bars = el('g', { class: 'bars' });
    const bar = Math.max(1, plotW / SECONDS - 0.5);
    for (const [t, count, errors] of series) {
      if (count === 0 || t < first) continue;
      bars.append(el('rect', { class: 'req', x: x(t), y: yRate(count), width: bar, height: yRate(errors) - yRate(count) }));
      if (errors > 0) bars.append(el('rect', { class: 'err', x: x(t), y: yRate(errors), width: bar, height: M.top + plotH - yRate(errors) }));
    }
    const points = series.filter((p) => p[0] >= first).map((p) => `${(x(p[0]) + bar / 2).toFixed(1)},${yMs(p[3]).toFixed(1)}`);
    const line = el('polyline', { class: 'latency', points: points.join(' '), fill: 'none' });
    svg.append(grid, bars, line, left, right, bottom);
    box.replaceChildren(svg);
  };
})();
