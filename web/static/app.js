/*
 * jifen-web's pages. Plain JavaScript, no framework, no third-party code.
 *
 * - Every page is drawn with DOM calls (textContent, never innerHTML), so
 *   names and notes (user input) always show as text.
 * - Every text comes from the one catalogue (common/i18n_messages.def),
 *   served by GET /api/i18n; Chinese by default, English at a click,
 *   remembered in localStorage, like the large-text mode.
 * - Money is never computed here: the server sends fen integers and yuan
 *   text (formatted by libjifen); forms send yuan text, which the server
 *   parses exactly.
 * - Every form carries a request id fetched when the form is shown; a
 *   double click or a resubmission sends the same id, and the ledger
 *   applies it once. The CSRF token goes in a header on every write.
 */
'use strict';

const S = {
  lang: localStorage.getItem('jifen.lang') === 'en' ? 'en' : 'zh-CN',
  msgs: null,
  session: null,
};

/* --- basics -------------------------------------------------------------- */

function t(id, ...args) {
  const table = (S.msgs && S.msgs[S.lang]) || {};
  let i = 0;
  const s = table[id] !== undefined ? table[id] : id;
  return s.replace(/%[s%]/g, (m) => (m === '%%' ? '%' : String(args[i++] ?? '')));
}

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.code ? body.code : 'http ' + status);
    this.status = status;
    this.body = body || {};
  }
  hint() {
    const h = this.body.hint;
    return (h && h[S.lang]) || t('ERR_INTERNAL');
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && S.session) headers['X-CSRF-Token'] = S.session.csrf;
  /* The community this page was drawn for (communities.js): the server
   * refuses the call if the session's changed meanwhile. */
  if (S.session && S.session.community && path !== '/api/session/community') headers['X-Jifen-Community'] = S.session.community;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, { code: 'network', hint: { 'zh-CN': t('ERR_UNREACHABLE'), en: t('ERR_UNREACHABLE') } });
  }
  let json = null;
  try { json = await res.json(); } catch (e) { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

function qs(name) {
  return new URLSearchParams(location.search).get(name) || '';
}

function thisMonth() {
  /* Asia/Shanghai, whatever the browser's zone: only a default for a form. */
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .formatToParts(new Date());
  const get = (k) => p.find((x) => x.type === k).value;
  return get('year') + '-' + get('month');
}

function message(kind, text) {
  return el('p', { class: 'msg ' + kind, role: kind === 'error' ? 'alert' : 'status', text });
}

function commandName(cmd) {
  const known = ['household_add', 'award', 'deduct', 'bill', 'pay', 'redeem', 'reverse', 'object', 'approve', 'release', 'expire'];
  return known.includes(cmd) ? t('CMD_' + cmd.toUpperCase()) : t('CMD_OTHER');
}

function amountOf(e) {
  const parts = [];
  if (e.fen) parts.push('¥' + e.yuan);
  if (e.points) parts.push(e.points + ' ' + t('APP_POINTS'));
  return parts.join(' / ');
}

function table(headers, rows, opts) {
  return el('div', { class: 'tablewrap' },
    el('table', { class: (opts && opts.class) || '' },
      el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', null, rows.length ? rows.map((r) => el('tr', null, r.map((c) => el('td', null, c))))
        : el('tr', null, el('td', { colspan: headers.length, text: t('APP_NOTHING') })))));
}

/*
 * A form that writes: fields [{name, label, type, required, options,
 * value, attrs}], the endpoint, and what to do with the reply. It fetches
 * its request id when shown and a fresh one after each success; while a
 * request is out its button is disabled.
 */
function writeForm(spec) {
  const status = el('div', { class: 'formstatus', 'aria-live': 'polite' });
  const rid = el('input', { type: 'hidden', name: 'request_id' });
  const inputs = {};
  const rows = spec.fields.map((f) => {
    let input;
    const id = spec.id + '-' + f.name;
    if (f.options) {
      input = el('select', { id, name: f.name, required: f.required },
        f.options.map((o) => el('option', { value: o.value, text: o.label })));
    } else if (f.type === 'textarea') {
      input = el('textarea', { id, name: f.name, required: f.required, maxlength: 200, rows: 2 });
    } else {
      input = el('input', Object.assign({ id, name: f.name, type: f.type || 'text', required: f.required, autocomplete: 'off' }, f.attrs || {}));
    }
    if (f.value !== undefined) input.value = f.value;
    inputs[f.name] = input;
    return el('div', { class: 'field' }, el('label', { for: id, text: f.label }), input, f.after || null);
  });
  const button = el('button', { type: 'submit', class: 'primary', text: spec.button });
  const form = el('form', { id: spec.id, class: 'card', novalidate: true }, spec.title ? el('h3', { text: spec.title }) : null,
    spec.intro || null, rows, rid, button, status);
  const fresh = async () => {
    try { rid.value = (await api('GET', '/api/request-id')).request_id; } catch (e) { status.replaceChildren(message('error', e.hint())); }
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    const label = button.textContent;
    button.textContent = t('APP_SUBMIT_BUSY');
    const body = { request_id: rid.value };
    for (const [k, input] of Object.entries(inputs)) if (input.value !== '') body[k] = input.value;
    if (spec.extra) Object.assign(body, spec.extra());
    try {
      const reply = await api('POST', spec.path, body);
      const text = reply.status === 'exists' ? t('DESK_EXISTS', reply.entry) : t(spec.done || 'DESK_DONE', reply.entry);
      status.replaceChildren(message(reply.status === 'exists' ? 'warn' : 'ok', text), el('div', null, spec.after ? spec.after(reply) : null));
      for (const [k, input] of Object.entries(inputs)) if (!(spec.keep || []).includes(k) && !input.matches('select')) input.value = '';
      await fresh();
      if (spec.onDone) spec.onDone(reply);
    } catch (e) {
      status.replaceChildren(message('error', e.hint() + (e.body.field ? ' (' + e.body.field + ')' : '')));
      /* The ledger keeps a refused request under its id: the corrected
       * form needs a new one. Only when no answer came (the network, the
       * ledger out of reach) is the same id kept, so that submitting again
       * is a safe retry of what may have been recorded. */
      if (![0, 502, 503].includes(e.status)) await fresh();
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  });
  fresh();
  form.inputs = inputs;
  return form;
}

/* --- SVG charts (plain, no library) ------------------------------------- */

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/* bars: [{label, value (a number to draw), text (what to print)}]. */
function barChart(title, bars, color) {
  const w = 560, h = 220, pad = 30, bw = (w - 2 * pad) / Math.max(bars.length, 1);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const root = svg('svg', { viewBox: `0 0 ${w} ${h + 40}`, role: 'img', 'aria-label': title, class: 'chart' });
  root.append(svg('title', {}, title));
  root.append(svg('line', { x1: pad, y1: h, x2: w - pad, y2: h, class: 'axis' }));
  bars.forEach((b, i) => {
    const bh = Math.round((b.value / max) * (h - 30));
    const x = pad + i * bw + bw * 0.15;
    root.append(svg('rect', { x, y: h - bh, width: bw * 0.7, height: bh, fill: color || '#b5302a' }));
    root.append(svg('text', { x: x + bw * 0.35, y: h - bh - 6, 'text-anchor': 'middle', class: 'val' }, b.text));
    root.append(svg('text', { x: x + bw * 0.35, y: h + 18, 'text-anchor': 'middle', class: 'lab' }, b.label));
  });
  return el('figure', { class: 'card chartcard' }, el('figcaption', { text: title }), root);
}

function permille(p) {
  return Math.floor(p / 10) + '.' + (p % 10) + '%';
}

/* --- the frame ----------------------------------------------------------- */

const HOME = { terminal: '/desk', committee: '/committee', auditor: '/audit' };
/* A street office's or a property company's auditor starts at the
 * roll-up of its communities (communities.js). */
const homeOf = (s) => (s.scoped && s.role === 'auditor' ? '/street' : HOME[s.role]);

function frame() {
  document.documentElement.lang = S.lang;
  document.title = t('APP_NAME');
  document.getElementById('brand').textContent = t('APP_NAME');
  const lang = document.getElementById('lang');
  lang.textContent = t('APP_LANG_SWITCH');
  lang.onclick = () => {
    S.lang = S.lang === 'en' ? 'zh-CN' : 'en';
    localStorage.setItem('jifen.lang', S.lang === 'en' ? 'en' : 'zh');
    route();
  };
  const large = document.getElementById('large');
  large.textContent = t('APP_LARGE_TEXT');
  const on = localStorage.getItem('jifen.large') === '1';
  document.documentElement.classList.toggle('large', on);
  large.setAttribute('aria-pressed', on ? 'true' : 'false');
  large.onclick = () => {
    localStorage.setItem('jifen.large', document.documentElement.classList.contains('large') ? '0' : '1');
    frame();
  };
  const nav = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  const out = document.getElementById('signout');
  if (S.session) {
    const home = HOME[S.session.role];
    const names = { '/desk': 'APP_NAV_DESK', '/committee': 'APP_NAV_COMMITTEE', '/audit': 'APP_NAV_AUDIT' };
    nav.append(el('a', { href: home, text: t(names[home]) }),
      S.session.scoped && S.session.role === 'auditor' ? el('a', { href: '/street', text: t('APP_NAV_STREET') }) : '',
      el('a', { href: '/board' + (S.session.community ? '?community=' + encodeURIComponent(S.session.community) : ''), text: t('APP_NAV_BOARD') }));
    who.append(t('APP_SIGNED_IN_AS') + ': ', el('strong', { text: S.session.user }), ' (' + t('APP_ROLE_' + S.session.role.toUpperCase()) + ')');
    communityPicker(who);
    out.hidden = false;
    out.textContent = t('APP_SIGN_OUT');
    out.onclick = async () => {
      try { await api('POST', '/api/session/logout', {}); } catch (e) { /* signed out anyway */ }
      S.session = null;
      location.href = '/';
    };
  } else {
    nav.append(el('a', { href: '/board', text: t('APP_NAV_BOARD') }), el('a', { href: '/', text: t('APP_NAV_SIGNIN') }));
    out.hidden = true;
  }
}

function page(title, ...kids) {
  const main = clear(document.getElementById('main'));
  main.append(el('h1', { text: title }), ...kids);
  return main;
}

/* --- sign-in ------------------------------------------------------------- */

function signinPage() {
  const status = el('div', { 'aria-live': 'polite' });
  const user = el('input', { id: 'user', name: 'user', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = el('button', { type: 'submit', class: 'primary', text: t('SIGNIN_BUTTON') });
  const form = el('form', { id: 'signin', class: 'card narrow' },
    el('div', { class: 'field' }, el('label', { for: 'user', text: t('SIGNIN_USER') }), user),
    el('div', { class: 'field' }, el('label', { for: 'password', text: t('SIGNIN_PASSWORD') }), pass),
    button, status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      S.session = await api('POST', '/api/session', { user: user.value.trim(), password: pass.value });
      location.href = homeOf(S.session) || '/';
    } catch (e) {
      status.replaceChildren(message('error', e.hint()));
      button.disabled = false;
    }
  });
  page(t('SIGNIN_TITLE'), form, el('p', { class: 'hint', text: t('SIGNIN_RESIDENTS') }));
}

/* --- households (desk and committee) -------------------------------------- */

function searchBox(onPick) {
  const results = el('div', { id: 'results' });
  const q = el('input', { id: 'q', name: 'q', type: 'search', required: true, autocomplete: 'off', maxlength: 64 });
  const form = el('form', { id: 'search', class: 'card' },
    el('div', { class: 'field' }, el('label', { for: 'q', text: t('HH_SEARCH') }), el('div', { class: 'inline' }, q,
      el('button', { type: 'submit', class: 'primary', text: t('HH_SEARCH_BUTTON') }))), results);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!q.value.trim()) return;
    try {
      const r = await api('GET', '/api/households?q=' + encodeURIComponent(q.value.trim()));
      const rows = r.households.map((h) => [h.household, h.name, String(h.points), '¥' + h.fee_due_yuan,
        el('button', { type: 'button', class: 'pick', 'data-household': h.household, text: t('HH_SELECT'), onclick: () => onPick(h.household) })]);
      results.replaceChildren(
        r.households.length ? table([t('HH_CODE'), t('HH_NAME'), t('HH_POINTS'), t('HH_FEE_DUE'), ''], rows, { class: 'results' })
          : message('warn', t('HH_SEARCH_NONE')),
        r.more ? message('warn', t('HH_SEARCH_MORE')) : '');
      if (r.households.length === 1) onPick(r.households[0].household);
    } catch (e) {
      results.replaceChildren(message('error', e.hint()));
    }
  });
  return form;
}

function balanceCard(b) {
  const due = b.fee_due_fen < 0 ? [t('HH_PREPAID'), '¥' + b.fee_due_yuan.replace('-', '')] : [t('HH_FEE_DUE'), '¥' + b.fee_due_yuan];
  return el('dl', { class: 'balance' },
    el('dt', { text: t('HH_CODE') }), el('dd', { class: 'code', text: b.household }),
    el('dt', { text: t('HH_NAME') }), el('dd', { class: 'name', text: b.name }),
    el('dt', { text: t('HH_AREA') }), el('dd', { text: b.area_m2 }),
    el('dt', { text: t('HH_POINTS') }), el('dd', { class: 'points big', text: String(b.points) }),
    b.pending_points ? [el('dt', { text: t('HH_PENDING') }), el('dd', { text: String(b.pending_points) })] : null,
    el('dt', { text: due[0] }), el('dd', { class: 'fee big', text: due[1] }));
}

function historyTable(entries, slipFor) {
  return table([t('SLIP_ENTRY'), t('SLIP_TIME'), t('SLIP_WHAT'), t('SLIP_AMOUNT'), t('SLIP_BY'), t('COMM_NOTE'), ''],
    entries.map((e) => [String(e.entry), e.time, commandName(e.command) + (e.period ? ' ' + e.period : ''),
      amountOf(e), e.author, e.note,
      slipFor && ['pay', 'redeem', 'bill'].includes(e.command)
        ? el('a', { href: '/slip?h=' + encodeURIComponent(e.household) + '&entry=' + e.entry, class: 'slip', text: t('DESK_SLIP') }) : '']));
}

/* --- the front desk ------------------------------------------------------- */

async function deskHousehold(panel, h) {
  panel.replaceChildren(el('p', { text: t('APP_LOADING') }));
  history.replaceState(null, '', '/desk?h=' + encodeURIComponent(h));
  let d;
  try {
    d = await api('GET', '/api/household?h=' + encodeURIComponent(h));
  } catch (e) {
    panel.replaceChildren(message('error', e.hint()));
    return;
  }
  const b = d.balance, cap = d.redeem;
  const reload = () => deskHousehold(panel, h);
  const slipLink = (reply) => el('a', { href: '/slip?h=' + encodeURIComponent(h) + '&entry=' + reply.entry, class: 'slip', text: t('DESK_SLIP') });
  const capBox = el('div', { class: 'cap card', id: 'cap' },
    el('h3', { text: t('DESK_CAP') }),
    cap.most_points > 0
      ? [el('p', { class: 'big' }, el('span', { id: 'cap-points', text: String(cap.usable_points) }), ' ' + t('APP_POINTS') + ' = ¥',
        el('span', { id: 'cap-yuan', text: cap.usable_yuan })),
      el('p', { class: 'hint', text: t('DESK_CAP_DETAIL', cap.percent, cap.point_yuan, cap.rules) })]
      : el('p', { text: t('DESK_CAP_NONE') }));
  const pay = writeForm({
    id: 'pay', title: t('DESK_PAY'), path: '/api/desk/pay', button: t('DESK_PAY_BUTTON'),
    fields: [{ name: 'amount', label: t('DESK_PAY_AMOUNT'), required: true, attrs: { inputmode: 'decimal', placeholder: '128.50' } }],
    extra: () => ({ household: h }), after: slipLink, onDone: () => setTimeout(reload, 1500),
  });
  const redeem = writeForm({
    id: 'redeem', title: t('DESK_REDEEM'), path: '/api/desk/redeem', button: t('DESK_REDEEM_BUTTON'),
    fields: [{ name: 'points', label: t('DESK_REDEEM_POINTS'), required: true, attrs: { inputmode: 'numeric', type: 'number', min: 1, max: cap.usable_points || 0 } }],
    extra: () => ({ household: h }), after: slipLink, onDone: () => setTimeout(reload, 1500),
  });
  const bill = writeForm({
    id: 'bill', title: t('DESK_BILL'), path: '/api/desk/bill', button: t('DESK_BILL_BUTTON'), keep: ['period'],
    fields: [{ name: 'amount', label: t('DESK_BILL_AMOUNT'), required: true, attrs: { inputmode: 'decimal' } },
      { name: 'period', label: t('APP_PERIOD'), required: true, value: thisMonth(), attrs: { placeholder: 'YYYY-MM' } }],
    extra: () => ({ household: h }), onDone: () => setTimeout(reload, 1500),
  });
  panel.replaceChildren(
    el('section', { class: 'card', id: 'household' }, balanceCard(b)),
    capBox,
    el('div', { class: 'forms' }, pay, cap.most_points > 0 && b.points > 0 ? redeem : null, bill),
    el('section', { class: 'card' }, el('h3', { text: t('HH_HISTORY') }), historyTable(d.history, true)),
    d.link ? el('section', { class: 'card' }, el('h3', { text: t('HH_RESIDENT_LINK') }),
      el('p', { class: 'link' }, el('a', { href: d.link, id: 'resident-link', text: d.link }))) : null);
}

function deskPage() {
  const panel = el('div', { id: 'panel' });
  page(t('DESK_TITLE'), searchBox((h) => deskHousehold(panel, h)), panel);
  if (qs('h')) deskHousehold(panel, qs('h'));
}

async function slipPage() {
  const main = page(t('SLIP_TITLE'));
  main.classList.add('receipt-page');
  let d;
  try {
    d = await api('GET', '/api/desk/slip?h=' + encodeURIComponent(qs('h')) + '&entry=' + encodeURIComponent(qs('entry')));
  } catch (e) {
    main.append(message('error', e.hint()));
    return;
  }
  const e = d.entry;
  main.append(el('div', { class: 'receipt card', id: 'slip' },
    el('h2', { text: t('APP_NAME') }),
    el('dl', null,
      el('dt', { text: t('SLIP_ENTRY') }), el('dd', { class: 'big', text: String(e.entry) }),
      el('dt', { text: t('SLIP_TIME') }), el('dd', { text: e.time + ' (UTC+8)' }),
      el('dt', { text: t('HH_CODE') }), el('dd', { text: e.household }),
      el('dt', { text: t('HH_NAME') }), el('dd', { text: d.balance.name }),
      el('dt', { text: t('SLIP_WHAT') }), el('dd', { text: commandName(e.command) + (e.period ? ' ' + e.period : '') }),
      el('dt', { text: t('SLIP_AMOUNT') }), el('dd', { class: 'big', text: amountOf(e) }),
      el('dt', { text: t('SLIP_NOW') }), el('dd', { text: t('HH_FEE_DUE') + ' ¥' + d.balance.fee_due_yuan + ', ' + t('HH_POINTS') + ' ' + d.balance.points }),
      el('dt', { text: t('SLIP_BY') }), el('dd', { text: e.author }),
      el('dt', { text: t('SLIP_HASH') }), el('dd', { class: 'mono', text: d.hash || '-' }),
      el('dt', { text: t('SLIP_CHECKPOINT') }), el('dd', { class: 'mono', text: d.checkpoint || t('SLIP_NO_CHECKPOINT') })),
    el('p', { class: 'hint', text: t('SLIP_NOTE') })),
  el('p', { class: 'noprint' }, el('button', { type: 'button', class: 'primary', text: t('APP_PRINT'), onclick: () => window.print() }), ' ',
    el('a', { href: '/desk?h=' + encodeURIComponent(e.household), text: t('APP_BACK') })));
}

/* --- the committee -------------------------------------------------------- */

async function committeePage() {
  let rules = { activities: [], rules: [] };
  try { rules = await api('GET', '/api/policy'); } catch (e) { /* shown by the forms' refusals */ }
  const acts = rules.activities.map((a) => ({ value: a.code, label: a.code + ' — ' + a.description + ' (' + a.points + (a.per_hour ? '/h' : '') + ')' }));
  const rls = rules.rules.map((r) => ({ value: r.code, label: r.code + ' — ' + r.description + ' (' + r.points + ')' }));
  const hh = { name: 'household', label: t('HH_CODE'), required: true, attrs: { placeholder: '3-2-501', autocapitalize: 'none' } };
  const notices = el('section', { class: 'card', id: 'notices' });
  const register = writeForm({
    id: 'register', title: t('COMM_REGISTER'), path: '/api/committee/household', button: t('COMM_REGISTER_BUTTON'), done: 'COMM_DONE',
    fields: [hh, { name: 'name', label: t('HH_NAME'), attrs: { maxlength: 64 } },
      { name: 'area', label: t('HH_AREA'), attrs: { inputmode: 'decimal', placeholder: '85.5' } }],
  });
  const award = writeForm({
    id: 'award', title: t('COMM_AWARD'), path: '/api/committee/award', button: t('COMM_AWARD_BUTTON'), done: 'COMM_DONE',
    keep: ['activity'],
    fields: [hh, { name: 'activity', label: t('COMM_ACTIVITY'), required: true, options: acts },
      { name: 'hours', label: t('COMM_HOURS'), attrs: { type: 'number', min: 0, max: 24, inputmode: 'numeric' } },
      { name: 'points', label: t('COMM_POINTS_OVERRIDE'), attrs: { type: 'number', min: 0, inputmode: 'numeric' } },
      { name: 'note', label: t('COMM_NOTE'), type: 'textarea' }],
    after: (r) => (r.notice_ends ? [message('warn', t('COMM_PENDING_NOTE', r.notice_ends)), r.needs_approval ? message('warn', t('COMM_NEEDS_APPROVAL')) : ''] : ''),
    onDone: () => loadNotices(notices),
  });
  const deduct = writeForm({
    id: 'deduct', title: t('COMM_DEDUCT'), path: '/api/committee/deduct', button: t('COMM_DEDUCT_BUTTON'), done: 'COMM_DONE',
    keep: ['rule'],
    fields: [hh, { name: 'rule', label: t('COMM_RULE'), required: true, options: rls },
      { name: 'points', label: t('COMM_POINTS_OVERRIDE'), attrs: { type: 'number', min: 0, inputmode: 'numeric' } },
      { name: 'note', label: t('COMM_DEDUCT_NOTE'), type: 'textarea', required: true }],
  });
  const lookup = el('div', { id: 'lookup' });
  page(t('COMM_TITLE'),
    searchBox(async (h) => {
      award.inputs.household.value = h;
      deduct.inputs.household.value = h;
      try {
        const d = await api('GET', '/api/household?h=' + encodeURIComponent(h));
        lookup.replaceChildren(el('section', { class: 'card' }, balanceCard(d.balance),
          d.link ? el('p', { class: 'link' }, t('HH_RESIDENT_LINK') + ': ', el('a', { href: d.link, text: d.link })) : null));
      } catch (e) { lookup.replaceChildren(message('error', e.hint())); }
    }), lookup,
    el('div', { class: 'forms' }, award, deduct, register), notices);
  loadNotices(notices);
}

let noticeLoads = 0;
async function loadNotices(box, period, note) {
  /* Only the latest request draws: an older answer arriving late must not
   * replace a newer month's list. */
  const mine = ++noticeLoads;
  const p = el('input', { id: 'notice-period', value: period || qs('period') || thisMonth(), placeholder: 'YYYY-MM', size: 8 });
  const head = el('form', { class: 'inline noprint' }, el('label', { for: 'notice-period', text: t('APP_PERIOD') }), p,
    el('button', { type: 'submit', text: t('APP_SHOW') }));
  head.addEventListener('submit', (ev) => { ev.preventDefault(); loadNotices(box, p.value); });
  box.replaceChildren(el('h2', { text: t('COMM_NOTICES') }), head, el('p', { text: t('APP_LOADING') }));
  let d;
  try { d = await api('GET', '/api/notices?period=' + encodeURIComponent(p.value)); } catch (e) {
    if (mine === noticeLoads) box.replaceChildren(el('h2', { text: t('COMM_NOTICES') }), head, message('error', e.hint()));
    return;
  }
  if (mine !== noticeLoads) return;
  const status = el('div', { 'aria-live': 'polite' });
  const rows = d.notices.map((n) => {
    const actions = [];
    if (n.state === 'pending') {
      if (n.needs_approval && !n.approved) {
        actions.push(writeForm({ id: 'approve-' + n.entry, path: '/api/committee/approve', button: t('COMM_APPROVE'), done: 'COMM_DONE',
          fields: [], extra: () => ({ entry: String(n.entry) }), onDone: (r) => loadNotices(box, p.value, message('ok', t('COMM_DONE', r.entry))) }));
      }
      actions.push(writeForm({ id: 'object-' + n.entry, path: '/api/committee/object', button: t('COMM_OBJECT'), done: 'COMM_DONE',
        fields: [{ name: 'note', label: t('COMM_OBJECT_NOTE'), required: true }],
        extra: () => ({ entry: String(n.entry) }), onDone: (r) => loadNotices(box, p.value, message('ok', t('COMM_DONE', r.entry))) }));
    }
    return [String(n.entry), n.time, n.household, n.name, n.activity, String(n.points), stateText(n), el('div', { class: 'actions' }, actions)];
  });
  box.replaceChildren(el('h2', { text: t('COMM_NOTICES') }), head, ...(note ? [note] : []),
    table([t('BOARD_ENTRY'), t('BOARD_WHEN'), t('HH_CODE'), t('HH_NAME'), t('BOARD_ACTIVITY'), t('HH_POINTS'), t('BOARD_STATE'), ''], rows), status);
}

function stateText(n) {
  if (n.state === 'pending') return t('BOARD_PENDING', n.ends) + (n.needs_approval && !n.approved ? '，' + t('BOARD_NEEDS_APPROVAL') : '');
  return n.state === 'posted' ? t('BOARD_POSTED') : t('BOARD_VOIDED');
}

/* --- the street office ---------------------------------------------------- */

function reportTable(r) {
  const item = r.columns.length === 2 && r.columns[0] === 'item';
  const headers = r.columns.map((c) => t('COL_' + c));
  const rows = r.display.map((row) => row.map((cell, j) => (item && j === 0 ? t('ITEM_' + cell) : cell)));
  return table(headers, rows, { class: 'report' });
}

async function auditPage() {
  const period = el('input', { id: 'audit-period', value: qs('period') || thisMonth(), placeholder: 'YYYY-MM', size: 8 });
  const charts = el('section', { id: 'charts', class: 'charts' });
  const reports = el('section', { id: 'reports' });
  const verifyBox = el('section', { class: 'card', id: 'verify' });
  const head = el('form', { class: 'inline card noprint' }, el('label', { for: 'audit-period', text: t('APP_PERIOD') }), period,
    el('button', { type: 'submit', class: 'primary', text: t('APP_SHOW') }),
    el('button', { type: 'button', text: t('APP_PRINT'), onclick: () => window.print() }));
  head.addEventListener('submit', (ev) => {
    ev.preventDefault();
    history.replaceState(null, '', '/audit?period=' + encodeURIComponent(period.value));
    load();
  });
  page(t('AUDIT_TITLE'), head, el('h2', { text: t('AUDIT_CHARTS') }), charts, el('h2', { text: t('AUDIT_REPORTS') }), reports, verifyBox);

  const verifyButton = el('button', { type: 'button', class: 'primary', id: 'verify-button', text: t('AUDIT_VERIFY') });
  const verifyOut = el('div', { 'aria-live': 'polite' });
  verifyButton.onclick = async () => {
    verifyButton.disabled = true;
    try {
      const v = await api('POST', '/api/audit/verify', {});
      verifyOut.replaceChildren(v.ok ? message('ok', t('AUDIT_VERIFY_OK', v.entries))
        : message('error', t('AUDIT_VERIFY_BAD') + ': ' + v.problem + ' (' + v.bad_entry + ')'),
      el('p', { class: 'mono', text: 'head ' + v.head }));
    } catch (e) { verifyOut.replaceChildren(message('error', e.hint())); }
    verifyButton.disabled = false;
  };
  const cp = el('p', { class: 'mono', id: 'checkpoint' });
  verifyBox.append(el('h2', { text: t('AUDIT_VERIFY') }), verifyButton, verifyOut, el('h3', { text: t('AUDIT_CHECKPOINT') }), cp);
  api('GET', '/api/audit/checkpoint').then((c) => { cp.textContent = c.checkpoint || '-'; }).catch((e) => { cp.textContent = e.hint(); });

  async function load() {
    const p = period.value;
    charts.replaceChildren(el('p', { text: t('APP_LOADING') }));
    try {
      const s = await api('GET', '/api/audit/series?months=6&period=' + encodeURIComponent(p));
      const last = s.months[s.months.length - 1] || {};
      const ageLabels = ['COL_days_0_30', 'COL_days_31_90', 'COL_days_91_180', 'COL_days_over_180'];
      charts.replaceChildren(
        barChart(t('AUDIT_RATE_CHART'), s.months.map((m) => ({ label: m.period.slice(2), value: m.rate_permille || 0, text: m.rate_permille === undefined ? '-' : permille(m.rate_permille) })), '#b5302a'),
        barChart(t('AUDIT_REDEEMED'), s.months.map((m) => ({ label: m.period.slice(2), value: m.points_redeemed || 0, text: String(m.points_redeemed || 0) })), '#c98a1b'),
        barChart(t('AUDIT_OUTSTANDING'), s.months.map((m) => ({ label: m.period.slice(2), value: m.points_outstanding, text: String(m.points_outstanding) })), '#2f6f4f'),
        barChart(t('AUDIT_AGEING_CHART') + ' ' + last.period, (last.ageing_fen || []).map((v, i) => ({ label: t(ageLabels[i]), value: v, text: '¥' + last.ageing_yuan[i] })), '#6b4fa0'));
    } catch (e) { charts.replaceChildren(message('error', e.hint())); }

    reports.replaceChildren();
    const kinds = [['ageing', 'AUDIT_AGEING'], ['trial-balance', 'AUDIT_TRIAL'], ['liability', 'AUDIT_LIABILITY']];
    for (const [kind, title] of kinds) {
      const box = el('div', { class: 'card report-box', id: 'report-' + kind }, el('h3', { text: t(title) }));
      reports.append(box);
      const q = '?period=' + encodeURIComponent(p);
      try {
        const r = await api('GET', '/api/reports/' + kind + q);
        box.append(el('p', { class: 'hint', text: r.title }), reportTable(r),
          el('p', { class: 'noprint downloads' },
            el('a', { href: '/api/reports/' + kind + q + '&format=csv', download: '', class: 'button', text: t('AUDIT_CSV') }), ' ',
            el('a', { href: '/api/reports/' + kind + q + '&format=xlsx', download: '', class: 'button', text: t('AUDIT_XLSX') })));
      } catch (e) { box.append(message('error', e.hint())); }
    }
    const h = el('input', { id: 'statement-h', placeholder: '3-2-501', size: 10 });
    const out = el('div');
    const sf = el('form', { class: 'inline noprint' }, el('label', { for: 'statement-h', text: t('HH_CODE') }), h,
      el('button', { type: 'submit', text: t('APP_SHOW') }));
    sf.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const q = '?period=' + encodeURIComponent(p) + '&h=' + encodeURIComponent(h.value.trim());
      try {
        const r = await api('GET', '/api/reports/statement' + q);
        out.replaceChildren(el('p', { class: 'hint', text: r.title }), reportTable(r),
          el('p', { class: 'noprint downloads' },
            el('a', { href: '/api/reports/statement' + q + '&format=csv', download: '', class: 'button', text: t('AUDIT_CSV') }), ' ',
            el('a', { href: '/api/reports/statement' + q + '&format=xlsx', download: '', class: 'button', text: t('AUDIT_XLSX') })));
      } catch (e) { out.replaceChildren(message('error', e.hint())); }
    });
    reports.append(el('div', { class: 'card report-box', id: 'report-statement' }, el('h3', { text: t('AUDIT_STATEMENT') }), sf, out));
  }
  load();
}

/* --- residents (no sign-in) ----------------------------------------------- */

async function boardPage() {
  const community = qs('community');
  const where = community ? '&community=' + encodeURIComponent(community) : '';
  const p = el('input', { id: 'board-period', value: qs('period') || thisMonth(), placeholder: 'YYYY-MM', size: 8 });
  const body = el('div');
  const head = el('form', { class: 'inline noprint' }, el('label', { for: 'board-period', text: t('APP_PERIOD') }), p,
    el('button', { type: 'submit', text: t('APP_SHOW') }),
    el('button', { type: 'button', text: t('APP_PRINT'), onclick: () => window.print() }));
  head.addEventListener('submit', (ev) => { ev.preventDefault(); history.replaceState(null, '', '/board?period=' + encodeURIComponent(p.value) + where); load(); });
  page(t('BOARD_TITLE'), el('p', { class: 'hint', text: t('BOARD_INTRO') }), head, body);
  async function load() {
    body.replaceChildren(el('p', { text: t('APP_LOADING') }));
    try {
      const d = await api('GET', '/api/public/board?period=' + encodeURIComponent(p.value) + where);
      /* The signed tree head, its signature checked here, and its QR
       * code for the notice sheet (proof.js). */
      const sth = el('section', { class: 'card checkpoint' });
      body.replaceChildren(el('h2', { text: (d.community_name ? d.community_name + ' · ' : '') + d.period }),
        table([t('BOARD_ENTRY'), t('BOARD_WHEN'), t('HH_CODE'), t('HH_NAME'), t('BOARD_ACTIVITY'), t('HH_POINTS'), t('BOARD_STATE')],
          d.notices.map((n) => [String(n.entry), n.time, n.household, n.name, n.activity, String(n.points), stateText(n)]), { class: 'board' }),
        sth);
      await showProofs(sth, Object.assign({ tree_head: d.checkpoint, entries: [] }, d), {}, '', null);
    } catch (e) { body.replaceChildren(message('error', e.hint())); }
  }
  load();
}

async function residentPage() {
  /* /r/H/TOKEN (printed before communities: the default community), or
   * /r/COMMUNITY/H/TOKEN */
  const parts = location.pathname.split('/').slice(2).map(decodeURIComponent);
  const [community, h, tok] = parts.length >= 3 ? parts : [''].concat(parts);
  const p = el('input', { id: 'res-period', value: qs('period') || thisMonth(), placeholder: 'YYYY-MM', size: 8 });
  const body = el('div');
  const head = el('form', { class: 'inline noprint' }, el('label', { for: 'res-period', text: t('APP_PERIOD') }), p,
    el('button', { type: 'submit', text: t('APP_SHOW') }),
    el('button', { type: 'button', text: t('APP_PRINT'), onclick: () => window.print() }));
  head.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  page(t('RES_TITLE'), el('p', { class: 'hint', text: t('RES_INTRO') }), head, body);
  /* line: the notice sheet's line the resident typed (proof.js checks
   * the proofs for its tree size against it). */
  async function load(line) {
    body.replaceChildren(el('p', { text: t('APP_LOADING') }));
    const size = line && Proof.parseHead(line) ? '&tree_size=' + Proof.parseHead(line).size : '';
    try {
      const d = await api('GET', '/api/public/statement?h=' + encodeURIComponent(h) + '&t=' + encodeURIComponent(tok) + '&period=' + encodeURIComponent(p.value) +
        (community ? '&community=' + encodeURIComponent(community) : '') + size);
      const cells = {};
      const proofs = el('section', { class: 'card', id: 'proofs' });
      body.replaceChildren(d.community_name ? el('p', { class: 'community-name', text: d.community_name }) : '',
        el('section', { class: 'card' }, balanceCard(d.balance)),
        el('section', { class: 'card' }, el('h2', { text: t('RES_STATEMENT') + ' ' + d.period }), reportTable(d.statement)),
        el('section', { class: 'card' }, el('h2', { text: t('RES_ENTRIES') }),
          table([t('SLIP_ENTRY'), t('SLIP_TIME'), t('SLIP_WHAT'), t('SLIP_AMOUNT'), t('PROOF_COL')],
            d.entries.map((e) => [String(e.entry), e.time, commandName(e.command) + (e.code ? ' ' + e.code : '') + (e.period ? ' ' + e.period : ''), amountOf(e),
              cells[e.entry] = el('span', { class: 'proof', 'data-entry': e.entry, text: t('PROOF_CHECKING') })]), { class: 'entries' })),
        proofs);
      await showProofs(proofs, d, cells, line, load);
    } catch (e) { body.replaceChildren(message('error', e.hint())); }
  }
  load();
}

/* --- start ----------------------------------------------------------------- */

async function route() {
  frame();
  const path = location.pathname;
  if (path === '/board') return boardPage();
  if (path.startsWith('/r/')) return residentPage();
  if (!S.session) return signinPage();
  const home = HOME[S.session.role];
  if (path === '/') { location.replace(homeOf(S.session)); return; }
  if (path === '/desk' && S.session.role === 'terminal') return deskPage();
  if (path === '/slip' && S.session.role === 'terminal') return slipPage();
  if (path === '/committee' && S.session.role === 'committee') return committeePage();
  if (path === '/audit' && S.session.role === 'auditor') return auditPage();
  if (path === '/street' && S.session.role === 'auditor' && S.session.scoped) return streetPage();
  page(t('ERR_FORBIDDEN_ROLE'), el('p', null, el('a', { href: home, text: t('APP_BACK') })));
}

async function start() {
  try { S.msgs = await api('GET', '/api/i18n'); } catch (e) { S.msgs = {}; }
  const path = location.pathname;
  if (path !== '/board' && !path.startsWith('/r/')) {
    try { S.session = await api('GET', '/api/session'); } catch (e) { S.session = null; }
    /* A user with a scope: the communities, and the session's choice. */
    if (S.session && S.session.scoped) {
      try { await loadCommunities(); } catch (e) { S.communities = []; }
    }
  }
  route();
}

document.addEventListener('DOMContentLoaded', start);
