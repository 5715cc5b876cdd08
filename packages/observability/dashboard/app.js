// The dashboard: no framework, one EventSource, one SVG chart (chart.js). The
// server sends a snapshot on connect, then the last finished requests (so the
// tail is not empty), a `tick` every second and a `request` per finished request.
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
    drawTrafficChart($('chart'), series);
    const recent = series.slice(-60);
    const count = recent.reduce((a, p) => a + p[1], 0);
    const errors = recent.reduce((a, p) => a + p[2], 0);
    $('totals').textContent = `last minute: ${count} requests, ${errors} errors (${count ? ((100 * errors) / count).toFixed(1) : '0.0'} %)`;
  }

  /**
   * The error, or params and result as indented JSON; a string's line breaks
   * are shown as breaks, not as `\n`, so a tool's text reads as it was sent.
   */
  function detail(e) {
    const td = cell('', 'detail');
    if (e.error !== undefined) td.textContent = e.error;
    else if (e.payload !== undefined) {
      const pre = document.createElement('pre');
      const p = e.payload;
      const text = p && typeof p.cut === 'string' && typeof p.bytes === 'number' ? `${p.cut}\n(cut: ${p.bytes} bytes in all)` : JSON.stringify(p, null, 2);
      pre.textContent = text.replace(/(?<!\\)((?:\\\\)*)\\n/g, '$1\n');
      td.append(pre);
    }
    return td;
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
      detail(e),
    );
    const body = $('tail').tBodies[0];
    body.prepend(tr);
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  }

  // The chart is as wide as the window lets it be.
  let resizing;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(drawChart, 100);
  });

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
