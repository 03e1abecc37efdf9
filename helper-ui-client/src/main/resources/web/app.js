'use strict';
// The web console page. Everything that came from QEMU, the guest or a helper is put into the
// page with textContent or as image data; never as markup (no innerHTML anywhere).
(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const bench = params.has('bench');
  const consoleId = Number(params.get('console') || 0);
  const canvas = document.getElementById('screen');
  const ctx = canvas.getContext('2d');
  const cursor = document.getElementById('cursor');
  const statusEl = document.getElementById('status');
  const vmEl = document.getElementById('vm');
  const select = document.getElementById('console-select');
  const helpersEl = document.getElementById('helpers');
  let drawn = 0;

  // Input goes out one request at a time so a key's press and release keep their order.
  let sending = Promise.resolve();
  function post(path, body) {
    sending = sending.then(() => fetch(path, {
      method: 'POST',
      headers: { 'X-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })).catch(() => {});
  }

  // Benchmark mode: report, in batches, which Update (server time t) each drawn rectangle
  // showed and how long ago it was drawn, so the batching delay is not counted as latency.
  const acks = [];
  if (bench) {
    setInterval(() => {
      if (!acks.length) return;
      const now = performance.now();
      const batch = acks.splice(0, 40).map((a) => ({ t: a.t, ageMs: now - a.drawnAt }));
      fetch('/ack', { method: 'POST', headers: { 'X-Token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ acks: batch }) }).catch(() => {});
    }, 250);
  }

  // Rectangles are decoded in parallel but drawn strictly in arrival order.
  let drawing = Promise.resolve();
  function inOrder(step) { drawing = drawing.then(step).catch(() => {}); }

  const es = new EventSource('/events?console=' + consoleId + '&token=' + encodeURIComponent(token));
  es.addEventListener('state', (e) => {
    const s = JSON.parse(e.data);
    vmEl.textContent = s.vm || 'VM';
    statusEl.textContent = s.state === 'refused' ? 'refused: ' + s.refusal : s.state;
    statusEl.className = s.state;
    select.replaceChildren();
    for (const c of s.consoles) {
      const o = document.createElement('option');
      o.value = String(c.id);
      o.textContent = c.id + ': ' + c.label;
      o.selected = c.id === consoleId;
      select.appendChild(o);
    }
  });
  es.addEventListener('size', (e) => {
    const s = JSON.parse(e.data);
    inOrder(() => {
      if (canvas.width !== s.w || canvas.height !== s.h) { // setting the size clears the canvas
        canvas.width = s.w;
        canvas.height = s.h;
      }
      document.body.dataset.size = s.w + 'x' + s.h;
    });
  });
  es.addEventListener('rect', (e) => {
    const r = JSON.parse(e.data);
    const img = new Image();
    img.src = 'data:image/png;base64,' + r.png;
    const decoded = img.decode();
    inOrder(() => decoded.then(() => {
      ctx.drawImage(img, r.x, r.y);
      drawn++;
      document.body.dataset.drawn = String(drawn);
      if (bench) acks.push({ t: r.t, drawnAt: performance.now() });
    }));
  });
  es.addEventListener('cursor', (e) => {
    const c = JSON.parse(e.data);
    if (c.png) {
      cursor.src = 'data:image/png;base64,' + c.png;
      cursor.dataset.hx = c.hx;
      cursor.dataset.hy = c.hy;
    }
    cursor.hidden = !c.visible || !cursor.src;
    const sx = canvas.clientWidth / (canvas.width || 1);
    cursor.style.left = ((c.x - Number(cursor.dataset.hx || 0)) * sx) + 'px';
    cursor.style.top = ((c.y - Number(cursor.dataset.hy || 0)) * sx) + 'px';
  });
  es.addEventListener('helpers', (e) => renderHelpers(JSON.parse(e.data).helpers));
  es.onerror = () => { statusEl.textContent = 'disconnected (reload with the token)'; };

  select.addEventListener('change', () => {
    params.set('console', select.value);
    location.search = params.toString();
  });

  // Keyboard: KeyboardEvent.code names the physical key; the server maps it to a qnum.
  canvas.addEventListener('keydown', (e) => {
    e.preventDefault();
    post('/input', { console: consoleId, kind: 'key', code: e.code, down: true });
  });
  canvas.addEventListener('keyup', (e) => {
    e.preventDefault();
    post('/input', { console: consoleId, kind: 'key', code: e.code, down: false });
  });

  // Mouse: console coordinates for absolute pointers, movement deltas for relative ones.
  let pendingMove = null;
  canvas.addEventListener('mousemove', (e) => {
    const sx = canvas.width / (canvas.clientWidth || 1);
    const sy = canvas.height / (canvas.clientHeight || 1);
    const m = pendingMove || { console: consoleId, kind: 'move', dx: 0, dy: 0 };
    m.x = Math.floor(e.offsetX * sx);
    m.y = Math.floor(e.offsetY * sy);
    m.dx += e.movementX;
    m.dy += e.movementY;
    if (!pendingMove) {
      pendingMove = m;
      requestAnimationFrame(() => { post('/input', pendingMove); pendingMove = null; });
    }
  });
  canvas.addEventListener('mousedown', (e) => {
    canvas.focus();
    e.preventDefault();
    post('/input', { console: consoleId, kind: 'button', button: e.button, down: true });
  });
  canvas.addEventListener('mouseup', (e) => {
    post('/input', { console: consoleId, kind: 'button', button: e.button, down: false });
  });
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    post('/input', { console: consoleId, kind: 'wheel', dy: Math.sign(e.deltaY) });
  }, { passive: false });

  function el(tag, text, cls) {
    const n = document.createElement(tag);
    if (text !== undefined) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  function table(headers, rows) {
    const t = el('table');
    const head = el('tr');
    headers.forEach((h) => head.appendChild(el('th', h)));
    t.appendChild(head);
    rows.forEach((r) => {
      const tr = el('tr');
      r.forEach((v) => tr.appendChild(el('td', v)));
      t.appendChild(tr);
    });
    return t;
  }

  function renderHelpers(helpers) {
    helpersEl.replaceChildren();
    if (!helpers.length) {
      helpersEl.appendChild(el('p', 'no helpers on the bus', 'muted'));
      return;
    }
    for (const h of helpers) {
      const box = el('section', undefined, 'helper');
      box.dataset.bus = h.busName;
      const title = el('h3');
      title.appendChild(el('span', h.name + ' '));
      title.appendChild(el('span', h.status, 'status-' + String(h.status).replace(/[^a-z]/g, '')));
      box.appendChild(title);
      box.appendChild(el('div', h.description, 'description'));
      box.appendChild(el('div', h.busName + ' · ' + h.version + ' · trust ' + h.trust + ' · uid ' + h.uid
        + ' · pid ' + h.pid, 'muted mono'));
      if (h.leases) {
        box.appendChild(el('h4', 'DHCP leases (' + h.leases.length + ')'));
        box.appendChild(table(['MAC', 'IP', 'hostname', 'expires'], h.leases.map((l) => [l.mac, l.ip, l.hostname,
          l.expiry === 0 ? 'static' : new Date(l.expiry * 1000).toLocaleTimeString()])));
      }
      if (h.flows) {
        box.appendChild(el('h4', 'NAT flows (' + h.flows.length + ')'));
        box.appendChild(table(['proto', 'state', 'guest', 'remote', 'host side', 'buffered'], h.flows.map((f) => [
          f.proto, f.state, f.guest, f.remote, f.host, f.buffered])));
      }
      if (h.jobs) {
        box.appendChild(el('h4', 'Jobs (' + h.jobs.length + ')'));
        box.appendChild(table(['job', 'state', 'progress', 'error'], h.jobs.map((j) => [j.id, j.State,
          j.TotalBytes > 0 ? Math.floor(100 * j.BytesIn / j.TotalBytes) + '%' : j.BytesIn + ' B', j.Error])));
      }
      if (h.pcrs) {
        box.appendChild(el('h4', 'PCRs 0-7 (' + h.pcrs.bank + ')'));
        box.appendChild(table(['PCR', 'value'], h.pcrs.values.map((v, i) => [i, v])));
      }
      if (h.error) box.appendChild(el('div', 'error: ' + h.error, 'muted'));
      helpersEl.appendChild(box);
    }
  }
})();
