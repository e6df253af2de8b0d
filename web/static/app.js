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
  const known = ['household_add', 'award', 'deduct', 'bill', 'pay', 'redeem', 'reverse', 'object', 'approve', 'release', 'expire',
    'refund', 'shift_close', 'ontime_award', 'household_set'];
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
      slipFor && ['pay', 'redeem'].includes(e.command)
        ? el('a', { href: '/receipt?entry=' + e.entry, class: 'slip', text: t('DESK_SLIP') }) : '']));
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
  const slipLink = (reply) => el('a', { href: '/receipt?entry=' + reply.entry, class: 'slip', text: t('DESK_SLIP') });
  const channels = ['cash', 'wechat', 'alipay', 'bank', 'card'].map((c) => ({ value: c, label: t('CHANNEL_' + c) }));
  const capBox = el('div', { class: 'cap card', id: 'cap' },
    el('h3', { text: t('DESK_CAP') }),
    cap.most_points > 0
      ? [el('p', { class: 'big' }, el('span', { id: 'cap-points', text: String(cap.usable_points) }), ' ' + t('APP_POINTS') + ' = ¥',
        el('span', { id: 'cap-yuan', text: cap.usable_yuan })),
      el('p', { class: 'hint', text: t('DESK_CAP_DETAIL', cap.percent, cap.point_yuan, cap.rules) })]
      : el('p', { text: t('DESK_CAP_NONE') }));
  const pay = writeForm({
    id: 'pay', title: t('DESK_PAY'), path: '/api/desk/pay', button: t('DESK_PAY_BUTTON'),
    fields: [{ name: 'amount', label: t('DESK_PAY_AMOUNT'), required: true, attrs: { inputmode: 'decimal', placeholder: '128.50' } },
      { name: 'channel', label: t('DESK_CHANNEL'), options: channels },
      { name: 'reference', label: t('DESK_REFERENCE'), attrs: { maxlength: 64, autocapitalize: 'none' } }],
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
  const arrears = el('section', { class: 'card', id: 'arrears' }, el('h3', { text: t('DESK_ARREARS') }), el('p', { text: t('APP_LOADING') }));
  panel.replaceChildren(
    el('section', { class: 'card', id: 'household' }, balanceCard(b)),
    capBox,
    el('div', { class: 'forms' }, pay, cap.most_points > 0 && b.points > 0 ? redeem : null, bill),
    arrears,
    el('section', { class: 'card' }, el('h3', { text: t('HH_HISTORY') }), historyTable(d.history, true)),
    d.link ? el('section', { class: 'card' }, el('h3', { text: t('HH_RESIDENT_LINK') }),
      el('p', { class: 'link' }, el('a', { href: d.link, id: 'resident-link', text: d.link }))) : null);
  try {
    const r = await api('GET', '/api/desk/arrears?h=' + encodeURIComponent(h));
    /* household, item, item_name, period, billed, open, days */
    arrears.replaceChildren(el('h3', { text: t('DESK_ARREARS') }),
      table([t('COL_period'), t('COL_item_name'), t('COL_billed_fen'), t('COL_open_fen'), t('COL_days')],
        r.display.map((row) => [row[3], row[2] || t('RPT_NO_ITEM'), '¥' + row[4], '¥' + row[5], row[6]]), { class: 'arrears' }));
  } catch (e) {
    arrears.replaceChildren(message('error', e.hint()));
  }
}

/* The month's billing run: a dry run, then the run, of the same month and
 * item (the server's client/billing_run.c; jifend bills each once). */
function billingCard() {
  const status = el('div', { class: 'formstatus', 'aria-live': 'polite' });
  const result = el('div', { id: 'billing-result' });
  const period = el('input', { id: 'billing-period', name: 'period', value: thisMonth(), placeholder: 'YYYY-MM', required: true });
  const item = el('input', { id: 'billing-item', name: 'item', autocomplete: 'off', autocapitalize: 'none' });
  const dry = el('button', { type: 'button', id: 'billing-dry', class: 'primary', text: t('DESK_RUN_DRY') });
  const go = el('button', { type: 'button', id: 'billing-go', text: t('DESK_RUN_GO'), disabled: true });
  let checked = '';
  const key = () => period.value.trim() + '/' + item.value.trim();
  period.addEventListener('input', () => { go.disabled = key() !== checked; });
  item.addEventListener('input', () => { go.disabled = key() !== checked; });
  const run = async (dryRun) => {
    dry.disabled = go.disabled = true;
    status.replaceChildren(message('ok', t('APP_SUBMIT_BUSY')));
    try {
      const body = { period: period.value.trim(), dry_run: dryRun ? '1' : '0' };
      if (item.value.trim()) body.item = item.value.trim();
      const r = await api('POST', '/api/desk/billing', body);
      status.replaceChildren(message(r.failed ? 'warn' : 'ok', dryRun
        ? t('DESK_RUN_DONE_DRY', r.bills, r.amount_yuan)
        : t('DESK_RUN_DONE', r.bills, r.amount_yuan, r.already_billed)));
      result.replaceChildren(
        table([t('COL_item_name'), t('DESK_RUN_BILLS'), t('RCPT_AMOUNT'), t('DESK_RUN_BEFORE'), t('DESK_RUN_CANNOT')],
          r.items.map((i) => [i.name || i.item, String(i.bills), '¥' + i.amount_yuan, String(i.already_billed), String(i.cannot_bill)]),
          { class: 'billing-items' }),
        r.cannot_bill.length ? table([t('HH_CODE'), t('COL_item'), t('DESK_RUN_CANNOT')],
          r.cannot_bill.map((c) => [c.household, c.item, t('DESK_RUN_PROBLEM_' + c.problem)]), { class: 'billing-cannot' }) : null);
      checked = dryRun ? key() : '';
    } catch (e) {
      status.replaceChildren(message('error', e.hint()));
      checked = '';
    } finally {
      dry.disabled = false;
      go.disabled = key() !== checked;
    }
  };
  dry.onclick = () => run(true);
  go.onclick = () => run(false);
  return el('section', { class: 'card', id: 'billing' }, el('h3', { text: t('DESK_RUN') }),
    el('p', { class: 'hint', text: t('DESK_RUN_INTRO') }),
    el('div', { class: 'field' }, el('label', { for: 'billing-period', text: t('APP_PERIOD') }), period),
    el('div', { class: 'field' }, el('label', { for: 'billing-item', text: t('DESK_RUN_ITEM') }), item),
    el('p', null, dry, ' ', go), status, result);
}

/* The day's closes and what is open (the shift report), as a table. */
function shiftsTable(r) {
  const cols = ['state', 'entry', 'time', 'clerk', 'channel', 'payments', 'paid_fen', 'refunds', 'refunded_fen', 'net_fen'];
  const at = cols.map((c) => r.columns.indexOf(c));
  return table(cols.map((c) => t('COL_' + c)), r.display.map((row) => at.map((j, k) => {
    const v = row[j];
    if (cols[k] === 'state') return t('SHIFT_STATE_' + v);
    if (cols[k] === 'channel') return t('CHANNEL_' + v);
    return cols[k].endsWith('_fen') ? '¥' + v : v;
  })), { class: 'shifts' });
}

function shiftCard() {
  const report = el('div', { id: 'shifts' });
  const load = async () => {
    try {
      report.replaceChildren(el('h4', { text: t('DESK_SHIFTS_TODAY') }), shiftsTable(await api('GET', '/api/desk/shifts')));
    } catch (e) { report.replaceChildren(message('error', e.hint())); }
  };
  const form = writeForm({
    id: 'shift', title: t('DESK_SHIFT'), path: '/api/desk/shift', button: t('DESK_SHIFT_BUTTON'),
    intro: el('p', { class: 'hint', text: t('DESK_SHIFT_INTRO') }),
    fields: [{ name: 'note', label: t('COMM_NOTE') }],
    done: 'DESK_DONE',
    after: (reply) => el('div', { id: 'shift-totals' },
      message('ok', t('DESK_SHIFT_DONE', reply.entry, reply.cash_expected_yuan)),
      table([t('COL_channel'), t('COL_payments'), t('COL_paid_fen'), t('COL_refunds'), t('COL_refunded_fen'), t('COL_reversed_fen'), t('COL_net_fen')],
        reply.totals.map((x) => [t(x.channel_key), String(x.payments), '¥' + x.paid_yuan, String(x.refunds), '¥' + x.refunded_yuan,
          '¥' + x.reversed_yuan, '¥' + x.net_yuan]), { class: 'shift-totals' })),
    onDone: load,
  });
  load();
  return el('section', { class: 'card' }, form, report);
}

function deskPage() {
  const panel = el('div', { id: 'panel' });
  page(t('DESK_TITLE'), searchBox((h) => deskHousehold(panel, h)), panel,
    el('div', { class: 'forms' }, billingCard(), shiftCard()));
  if (qs('h')) deskHousehold(panel, qs('h'));
}

/* The receipt (收据) of a payment, to print at receipt width: what it
 * paid by month and item, the amount in figures and in capitals
 * (人民币大写, made by the server's common/rmb_capitals.c), points, the
 * balance after it, the clerk, and the entry with its hash to check. */
async function receiptPage() {
  const main = page(t('RCPT_TITLE').replace(/\s+/g, ''));
  main.classList.add('receipt-page');
  let r;
  try {
    r = await api('GET', '/api/desk/receipt?entry=' + encodeURIComponent(qs('entry')));
  } catch (e) {
    main.append(message('error', e.hint()));
    return;
  }
  const rows = r.lines.map((l) => [l.item_name || l.item || t('RCPT_OTHER_BILL'), l.period, '¥' + l.yuan]);
  if (r.ahead_fen) rows.push([t('RCPT_AHEAD'), '', '¥' + r.ahead_yuan]);
  const due = r.fee_due_after_fen < 0 ? [t('RCPT_PREPAID_AFTER'), '¥' + r.fee_due_after_yuan.replace('-', '')]
    : [t('RCPT_DUE_AFTER'), '¥' + r.fee_due_after_yuan];
  main.append(el('div', { class: 'receipt card', id: 'receipt' },
    el('h2', { text: r.payee || t('APP_NAME') }),
    el('p', { class: 'receipt-no', text: r.receipt ? t('RCPT_NO') + ' No.' + String(r.receipt).padStart(8, '0') : t('RCPT_NO_NONE') }),
    r.reversed_by ? message('error', t('RCPT_REVERSED', r.reversed_by)) : null,
    el('dl', null,
      el('dt', { text: t('RCPT_HOUSEHOLD') }), el('dd', { text: r.household }),
      el('dt', { text: t('RCPT_NAME') }), el('dd', { text: r.name }),
      el('dt', { text: t('RCPT_AREA') }), el('dd', { text: r.area_m2 + ' ㎡' })),
    table([t('RCPT_ITEM'), t('RCPT_PERIOD'), t('RCPT_AMOUNT')], rows, { class: 'receipt-lines' }),
    el('dl', null,
      el('dt', { text: t('RCPT_SUM') }), el('dd', { class: 'big', id: 'receipt-total', text: '¥' + r.total_yuan }),
      el('dt', { text: t('RCPT_CAPITALS') }), el('dd', { class: 'big', id: 'receipt-capitals', text: r.capitals }),
      r.paid_fen ? [el('dt', { text: t('RCPT_CHANNEL') }), el('dd', { id: 'receipt-channel', text: t(r.channel_key) })] : null,
      r.reference ? [el('dt', { text: t('RCPT_REFERENCE') }), el('dd', { class: 'mono', text: r.reference })] : null,
      r.points ? [el('dt', { text: t('RCPT_POINTS') }), el('dd', { text: t('RCPT_POINTS_DETAIL', r.points, r.offset_yuan) })] : null,
      el('dt', { text: due[0] }), el('dd', { text: due[1] }),
      el('dt', { text: t('RCPT_POINTS_AFTER') }), el('dd', { text: String(r.points_after) }),
      el('dt', { text: t('RCPT_CLERK') }), el('dd', { text: r.author }),
      el('dt', { text: t('RCPT_TIME') }), el('dd', { text: r.time + ' (UTC+8)' }),
      el('dt', { text: t('RCPT_ENTRY') }), el('dd', { text: String(r.entry) }),
      el('dt', { text: t('RCPT_HASH') }), el('dd', { class: 'mono', text: r.hash })),
    el('p', { class: 'hint', text: t('SLIP_NOTE') })),
  el('p', { class: 'noprint' }, el('button', { type: 'button', class: 'primary', text: t('APP_PRINT'), onclick: () => window.print() }), ' ',
    el('a', { href: '/desk?h=' + encodeURIComponent(r.household), text: t('APP_BACK') })));
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
  /* Issue 15: the month's work - the sign-in sheet, members and proxies,
   * the points supermarket, the honour board. */
  const membersBox = el('section', { class: 'card', id: 'members' },
    el('h2', { text: t('WEB_MEMBERS') }), el('p', { class: 'hint', text: t('WEB_MEMBERS_PICK') }));
  const shopBox = el('section', { class: 'card', id: 'shop' });
  const honourBox = el('section', { class: 'card', id: 'honour' });
  page(t('COMM_TITLE'),
    searchBox(async (h) => {
      award.inputs.household.value = h;
      deduct.inputs.household.value = h;
      loadMembers(membersBox, h);
      const redeem = document.getElementById('shop-redeem-household');
      if (redeem) redeem.value = h;
      try {
        const d = await api('GET', '/api/household?h=' + encodeURIComponent(h));
        lookup.replaceChildren(el('section', { class: 'card' }, balanceCard(d.balance),
          d.link ? el('p', { class: 'link' }, t('HH_RESIDENT_LINK') + ': ', el('a', { href: d.link, text: d.link })) : null));
      } catch (e) { lookup.replaceChildren(message('error', e.hint())); }
    }), lookup,
    el('div', { class: 'forms' }, award, deduct, register), notices,
    rosterSection(acts), membersBox, shopBox, honourBox);
  loadNotices(notices);
  loadShop(shopBox);
  loadHonour(honourBox, '/api/committee/honour');
}

/* --- issue 15: the committee's month ----------------------------------------- */

/* A report's column heading: COL_<kind>_<column>, else COL_<column>. */
function heading(kind, col) {
  const table = (S.msgs && S.msgs[S.lang]) || {};
  return table['COL_' + kind + '_' + col] || t('COL_' + col);
}

/* A report's cell as a person reads it: codes in words (display holds fen
 * as yuan already). */
function cellText(col, value) {
  const table = (S.msgs && S.msgs[S.lang]) || {};
  const code = String(value).replace(/-/g, '_');
  if (col === 'relation') return table['REL_' + code] || value;
  if (col === 'state') return table['STATE_' + code] || value;
  if (col === 'funder_kind') return table['FUNDER_' + code] || value;
  return value;
}

function reportRows(r, skip) {
  const keep = r.columns.map((c, j) => !(skip || []).includes(c) ? j : -1).filter((j) => j >= 0);
  return {
    headers: keep.map((j) => heading(r.kind, r.columns[j])),
    rows: r.display.map((row) => keep.map((j) => cellText(r.columns[j], row[j]))),
  };
}

function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
}

function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const rd = new FileReader();
    rd.onload = () => {
      const u = new Uint8Array(rd.result);
      let s = '';
      for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
      resolve(btoa(s));
    };
    rd.onerror = () => reject(rd.error);
    rd.readAsArrayBuffer(file);
  });
}

/* The sign-in sheet: tried as a dry run (the ledger decides every row and
 * keeps nothing), then recorded with the same request id. */
function rosterSection(acts) {
  const status = el('div', { id: 'roster-status', 'aria-live': 'polite' });
  const results = el('div', { id: 'roster-results' });
  const field = (id, label, input) => el('div', { class: 'field' }, el('label', { for: id, text: label }), input);
  const file = el('input', { id: 'roster-file', type: 'file', accept: '.csv,text/csv' });
  const activity = el('select', { id: 'roster-activity' }, acts.map((o) => el('option', { value: o.value, text: o.label })));
  const event = el('input', { id: 'roster-event', maxlength: 64, autocomplete: 'off' });
  const date = el('input', { id: 'roster-date', value: today(), placeholder: 'YYYY-MM-DD' });
  const encoding = el('select', { id: 'roster-encoding' },
    [['', t('WEB_ROSTER_AUTO')], ['utf-8', 'UTF-8'], ['gb18030', 'GB18030']].map(([v, l]) => el('option', { value: v, text: l })));
  const dry = el('button', { type: 'button', class: 'primary', id: 'roster-dry', text: t('WEB_ROSTER_DRY') });
  const confirm = el('button', { type: 'button', id: 'roster-confirm', text: t('WEB_ROSTER_CONFIRM'), disabled: true });
  let rid = '', tried = '';
  const what = () => [file.files[0] ? file.files[0].name + ':' + file.files[0].size + ':' + file.files[0].lastModified : '',
    activity.value, event.value, date.value, encoding.value].join('|');
  const fresh = async () => { try { rid = (await api('GET', '/api/request-id')).request_id; } catch (e) { status.replaceChildren(message('error', e.hint())); } };
  for (const input of [file, activity, event, date, encoding]) input.addEventListener('change', () => { confirm.disabled = true; });
  async function send(dryRun) {
    if (!file.files[0]) { status.replaceChildren(message('error', t('WEB_ROSTER_NEED_FILE'))); return; }
    if (!dryRun && what() !== tried) { confirm.disabled = true; status.replaceChildren(message('warn', t('WEB_ROSTER_AGAIN'))); return; }
    dry.disabled = confirm.disabled = true;
    status.replaceChildren(message('status', t('APP_SUBMIT_BUSY')));
    try {
      const r = await api('POST', '/api/committee/roster', {
        file: await fileBase64(file.files[0]), filename: file.files[0].name, encoding: encoding.value || undefined,
        activity: activity.value, event: event.value, date: date.value, dry_run: dryRun ? '1' : '0',
        lang: S.lang === 'en' ? 'en' : 'zh', request_id: rid,
      });
      const rows = r.rows.map((w) => {
        let result;
        if (w.status === 'ok' || w.status === 'exists') {
          result = r.dry_run ? t('ROSTER_WOULD', w.points) : t('ROSTER_AWARDED', w.points, w.entry) + (w.notice_ends ? t('ROSTER_PENDING', w.notice_ends) : '');
        } else {
          result = t('ROSTER_REFUSED', w.reason);
        }
        return [t('ROSTER_LINE', w.line), w.household, w.member, el('span', { class: 'row-' + w.status, text: result })];
      });
      results.replaceChildren(el('p', { class: 'hint', text: t('ROSTER_ENCODING', r.encoding) }),
        table([t('ROSTER_LINE', '').trim() || '#', t('HH_CODE'), t('COL_member'), t('WEB_ROSTER_RESULT')], rows, { class: 'roster' }));
      const summary = t(r.dry_run ? 'WEB_ROSTER_SUMMARY_DRY' : 'ROSTER_SUMMARY', r.rows.length, r.households, r.points, r.refused);
      status.replaceChildren(message(r.dry_run ? 'warn' : 'ok', summary));
      if (r.dry_run) {
        tried = what();
        confirm.disabled = r.households === 0;
      } else {
        tried = '';
        await fresh();
        loadHonour(document.getElementById('honour'), '/api/committee/honour');
      }
    } catch (e) {
      status.replaceChildren(message('error', e.body && e.body.detail ? e.body.detail : e.hint()));
      if (![0, 502, 503].includes(e.status)) await fresh();
    } finally {
      dry.disabled = false;
    }
  }
  dry.onclick = () => send(true);
  confirm.onclick = () => send(false);
  fresh();
  return el('section', { class: 'card', id: 'roster' }, el('h2', { text: t('WEB_ROSTER') }),
    el('p', { class: 'hint', text: t('WEB_ROSTER_INTRO') }),
    el('div', { class: 'forms' },
      field('roster-file', t('WEB_ROSTER_FILE'), file), field('roster-activity', t('COMM_ACTIVITY'), activity),
      field('roster-event', t('WEB_ROSTER_EVENT'), event), field('roster-date', t('WEB_ROSTER_DATE'), date),
      field('roster-encoding', t('WEB_ROSTER_ENCODING'), encoding)),
    el('p', null, dry, ' ', confirm), status, results);
}

const RELATIONS = ['head', 'spouse', 'child', 'parent', 'grandchild', 'sibling', 'tenant', 'other'];

async function loadMembers(box, h) {
  box.replaceChildren(el('h2', { text: t('WEB_MEMBERS') + ' ' + h }), el('p', { text: t('APP_LOADING') }));
  let r;
  try { r = await api('GET', '/api/committee/members?h=' + encodeURIComponent(h)); } catch (e) {
    box.replaceChildren(el('h2', { text: t('WEB_MEMBERS') }), message('error', e.hint()));
    return;
  }
  const { headers, rows } = reportRows(r, ['added']);
  const reload = () => loadMembers(box, h);
  const add = writeForm({
    id: 'member-add', title: t('WEB_MEMBER_ADD'), path: '/api/committee/member', button: t('WEB_MEMBER_BUTTON'), done: 'COMM_DONE',
    keep: ['relation'],
    fields: [{ name: 'name', label: t('COL_member'), required: true, attrs: { maxlength: 32 } },
      { name: 'relation', label: t('COL_relation'), required: true, options: RELATIONS.map((c) => ({ value: c, label: t('REL_' + c) })) },
      { name: 'phone', label: t('COL_phone'), attrs: { inputmode: 'tel', maxlength: 20 } }],
    extra: () => ({ household: h }), onDone: () => setTimeout(reload, 800),
  });
  const grant = writeForm({
    id: 'proxy-grant', title: t('WEB_PROXY'), path: '/api/committee/proxy', button: t('WEB_PROXY_BUTTON'), done: 'COMM_DONE',
    fields: [{ name: 'member', label: t('WEB_PROXY_MEMBER'), required: true, attrs: { maxlength: 32 } },
      { name: 'proxy', label: t('WEB_PROXY_PROXY'), required: true, attrs: { maxlength: 32 } },
      { name: 'consent', label: t('WEB_PROXY_CONSENT'), required: true }],
    extra: () => ({ household: h }), onDone: () => setTimeout(reload, 800),
  });
  box.replaceChildren(el('h2', { text: t('WEB_MEMBERS') + ' ' + h }), table(headers, rows, { class: 'members' }),
    el('div', { class: 'forms' }, add, grant));
}

async function loadShop(box) {
  box.replaceChildren(el('h2', { text: t('WEB_SHOP') }), el('p', { text: t('APP_LOADING') }));
  let d;
  try { d = await api('GET', '/api/committee/shop'); } catch (e) {
    box.replaceChildren(el('h2', { text: t('WEB_SHOP') }), message('error', e.hint()));
    return;
  }
  const reload = () => loadShop(box);
  const stock = reportRows(d.stock, ['value_fen']);
  const items = d.stock.rows.filter((row) => row[7] === 'on-sale').map((row) => ({ value: row[0], label: row[1] + ' (' + row[2] + ' ' + t('APP_POINTS') + ')' }));
  const redeem = writeForm({
    id: 'shop-redeem', title: t('WEB_SHOP_REDEEM'), path: '/api/committee/shop/redeem', button: t('WEB_SHOP_BUTTON'),
    keep: ['item'],
    fields: [{ name: 'household', label: t('HH_CODE'), required: true, attrs: { placeholder: '3-2-501', autocapitalize: 'none' } },
      { name: 'item', label: t('COL_stock_item'), required: true, options: items },
      { name: 'quantity', label: t('COL_quantity'), value: '1', attrs: { type: 'number', min: 1, max: 1000, inputmode: 'numeric' } },
      { name: 'member', label: t('COL_member'), attrs: { maxlength: 32 } }],
    after: (r) => message('ok', t('WEB_SHOP_DONE', r.entry, r.stock_left)),
    onDone: () => setTimeout(reload, 1500),
  });
  const waiting = d.waiting.display.map((row, i) => {
    const entry = d.waiting.rows[i][0];
    const pick = writeForm({
      id: 'pickup-' + entry, path: '/api/committee/shop/pickup', button: t('WEB_SHOP_PICKUP'), done: 'COMM_DONE',
      fields: [], extra: () => ({ entry: String(entry) }), onDone: () => setTimeout(reload, 800),
    });
    return [entry, row[1], row[2], row[4], row[5], row[6], row[7], el('div', { class: 'actions' }, pick)];
  });
  box.replaceChildren(el('h2', { text: t('WEB_SHOP') }),
    table(stock.headers, stock.rows, { class: 'stock' }),
    el('div', { class: 'forms' }, redeem),
    el('h3', { text: t('WEB_SHOP_WAITING') }),
    table([t('COL_entry'), t('COL_time_ms'), t('HH_CODE'), t('COL_name'), t('COL_quantity'), t('COL_member'), t('COL_proxy'), ''],
      waiting, { class: 'waiting' }));
}

async function loadHonour(box, path, period, where) {
  if (!box) return;
  const p = el('input', { id: 'honour-period', value: period || qs('period') || thisMonth(), placeholder: 'YYYY-MM', size: 8 });
  const head = el('form', { class: 'inline noprint' }, el('label', { for: 'honour-period', text: t('APP_PERIOD') }), p,
    el('button', { type: 'submit', text: t('APP_SHOW') }));
  head.addEventListener('submit', (ev) => { ev.preventDefault(); loadHonour(box, path, p.value, where); });
  box.replaceChildren(el('h2', { text: t('WEB_HONOUR') }), head, el('p', { text: t('APP_LOADING') }));
  let r;
  try { r = await api('GET', path + '?period=' + encodeURIComponent(p.value) + (where || '')); } catch (e) {
    box.replaceChildren(el('h2', { text: t('WEB_HONOUR') }), head, message('error', e.hint()));
    return;
  }
  const boards = ['month-household', 'month-member', 'year-household', 'year-member'];
  const parts = boards.map((b) => {
    const rows = r.display.filter((row) => row[0] === b);
    const byMember = b.endsWith('member');
    return [el('h3', { text: t('HON_' + b.replace('-', '_')) }),
      table([t('COL_rank'), t('HH_CODE'), byMember ? t('COL_member') : t('COL_honour_name'), t('COL_points')],
        rows.map((row) => [row[1], row[2], byMember ? row[4] : row[3], row[5]]), { class: 'honour ' + b })];
  });
  box.replaceChildren(el('h2', { text: t('WEB_HONOUR') + ' ' + p.value }), head, el('p', { class: 'hint', text: t('HON_NOTE') }), ...parts.flat());
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
        sth,
        /* Issue 15: the honour board, masked like the notices. */
        honour);
      loadHonour(honour, '/api/public/honour', p.value, where);
      await showProofs(sth, Object.assign({ tree_head: d.checkpoint, entries: [] }, d), {}, '', null);
    } catch (e) { body.replaceChildren(message('error', e.hint())); }
  }
  const honour = el('section', { class: 'card', id: 'honour' });
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
  if (path === '/receipt' && S.session.role === 'terminal') return receiptPage();
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
