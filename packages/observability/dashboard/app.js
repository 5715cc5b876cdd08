// The dashboard: no framework, one EventSource, one canvas. The server sends a
// snapshot on connect, a `tick` every second and a `request` per finished request.
(() => {
  const $ = (id) => document.getElementById(id);
  const MAX_ROWS = 200;
  let series = [];
  let paused = false;

  const cell = (text, cls) => {
    const td = document.createElement('td');
    td.textContent = text ?? '';
    if (cls) td.className = cls;
    return td;
  };

  function renderUpstreams(list) {
    const body = $('upstreams').tBodies[0];
    body.replaceChildren(
      ...list.map((u) => {
        const tr = document.createElement('tr');
        tr.dataset.upstream = u.name;
        tr.dataset.route = u.route;
        tr.append(
          cell(u.route),
          cell(u.name + (u.required ? ' *' : '')),
          cell(u.state, u.state),
          cell(u.latencyMs == null ? '–' : `${u.latencyMs} ms`),
          cell(String(u.restarts)),
          cell(String(u.sessions)),
          cell(u.era),
          cell(u.lastError ?? '', 'detail'),
        );
        return tr;
      }),
    );
  }

  function renderReady(reason) {
    const el = $('ready');
    el.textContent = reason ? 'not ready' : 'ready';
    el.title = reason ?? '';
    el.className = `pill ${reason ? 'bad' : 'ok'}`;
  }

  function addPoints(points) {
    for (const p of points) {
      if (series.length > 0 && series[series.length - 1][0] === p[0]) series[series.length - 1] = p;
      else series.push(p);
    }
    if (series.length > 300) series = series.slice(-300);
    drawChart();
  }

  function drawChart() {
    const canvas = $('chart');
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 900;
    const h = canvas.clientHeight || 180;
    canvas.width = w * ratio;
    canvas.height = h * ratio;
    const g = canvas.getContext('2d');
    g.scale(ratio, ratio);
    g.clearRect(0, 0, w, h);
    const n = 300;
    const bar = w / n;
    const maxRate = Math.max(1, ...series.map((p) => p[1]));
    const maxMs = Math.max(1, ...series.map((p) => p[3]));
    const last = series.length ? series[series.length - 1][0] : 0;
    series.forEach((p) => {
      const x = w - (last - p[0] + 1) * bar;
      const total = (p[1] / maxRate) * (h - 20);
      const bad = (p[2] / maxRate) * (h - 20);
      g.fillStyle = '#4a90d9';
      g.fillRect(x, h - total, Math.max(1, bar - 0.5), total - bad);
      g.fillStyle = '#c62828';
      g.fillRect(x, h - bad, Math.max(1, bar - 0.5), bad);
    });
    g.strokeStyle = '#b26a00';
    g.beginPath();
    series.forEach((p, i) => {
      const x = w - (last - p[0] + 0.5) * bar;
      const y = h - (p[3] / maxMs) * (h - 20);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = '#888';
    g.fillText(`${maxRate} req/s`, 4, 12);
    g.fillText(`${maxMs} ms`, w - 60, 12);
    const recent = series.slice(-60);
    const count = recent.reduce((a, p) => a + p[1], 0);
    const errors = recent.reduce((a, p) => a + p[2], 0);
    $('totals').textContent = `last minute: ${count} requests, ${errors} errors (${count ? ((100 * errors) / count).toFixed(1) : '0.0'} %)`;
  }

  function addTail(e) {
    if (paused || ($('errorsOnly').checked && e.outcome === 'ok')) return;
    const tr = document.createElement('tr');
    tr.className = 'new';
    tr.dataset.method = e.method;
    tr.append(
      cell(new Date(e.t).toLocaleTimeString()),
      cell(e.method),
      cell(e.name),
      cell(e.route),
      cell(e.upstream),
      cell(e.outcome, e.outcome),
      cell(String(e.ms)),
      cell(e.error ?? (e.payload === undefined ? '' : JSON.stringify(e.payload)), 'detail'),
    );
    const body = $('tail').tBodies[0];
    body.prepend(tr);
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  }

  $('pause').onclick = () => {
    paused = !paused;
    $('pause').textContent = paused ? 'resume' : 'pause';
  };

  const source = new EventSource('events');
  source.onopen = () => {
    $('live').textContent = 'live';
    $('live').className = 'pill ok';
  };
  source.onerror = () => {
    $('live').textContent = 'reconnecting';
    $('live').className = 'pill bad';
  };
  source.addEventListener('snapshot', (m) => {
    const s = JSON.parse(m.data);
    $('about').textContent = [s.about.name, s.about.version].filter(Boolean).join(' ');
    series = [];
    addPoints(s.series);
    renderUpstreams(s.upstreams);
    renderReady(s.ready);
    $('tail').tBodies[0].replaceChildren();
  });
  source.addEventListener('tick', (m) => {
    const s = JSON.parse(m.data);
    addPoints(s.series);
    renderUpstreams(s.upstreams);
    renderReady(s.ready);
  });
  source.addEventListener('request', (m) => addTail(JSON.parse(m.data)));
})();
