/*
 * communities.js - many communities in one service (docs/communities.md),
 * for the pages of app.js:
 *
 * - the selector in the page header, for a user whose key has a scope of
 *   several communities (a street office, a property company): the choice
 *   is the session's, kept by jifen-web, and every call of the page names
 *   it (app.js sends it as X-Jifen-Community, so a form drawn for one
 *   community is refused, not sent to another, after a switch in another
 *   window). A user of one community never sees it.
 * - the street office's page, /street: the roll-up of every community of
 *   the user's scope (the service's `report rollup`), as a table with its
 *   TOTAL row, two charts, CSV and Excel, and a click through to one
 *   community's own reports (/audit).
 */
'use strict';

/* The session's communities (scoped users): {current, communities}. */
async function loadCommunities() {
  const d = await api('GET', '/api/communities');
  S.communities = d.communities;
  S.session.community = d.current;
  return d;
}

async function chooseCommunity(code) {
  await api('POST', '/api/session/community', { community: code });
  S.session.community = code;
}

function communityLabel(m) {
  return (m.name ? m.name + ' (' + m.code + ')' : m.code) + (m.closed ? t('COMM_CLOSED') : '');
}

/* The header's selector, into `box`; nothing for a one-community user. */
function communityPicker(box) {
  if (!S.session || !S.session.scoped || !S.communities) return;
  const sel = el('select', { id: 'community', 'aria-label': t('COMM_PICK'), title: t('COMM_PICK_HINT') },
    S.communities.map((m) => el('option', { value: m.code, text: communityLabel(m) })));
  sel.value = S.session.community;
  sel.addEventListener('change', async () => {
    try {
      await chooseCommunity(sel.value);
      route();
    } catch (e) {
      sel.value = S.session.community;
      alert(e.hint());
    }
  });
  box.append(' ', el('label', { for: 'community', text: t('COMM_PICK') + ': ' }), sel);
}

/* --- the street office's roll-up ----------------------------------------- */

function rollupRate(text) {
  /* "93.5%" -> 935 (permille) for the chart's bar; "-" -> 0 */
  const m = /^([0-9]+)\.([0-9])%$/.exec(text || '');
  return m ? Number(m[1]) * 10 + Number(m[2]) : 0;
}

async function streetPage() {
  const period = el('input', { id: 'street-period', value: qs('period') || thisMonth(), placeholder: 'YYYY-MM', size: 8 });
  const head = el('form', { class: 'inline card noprint' }, el('label', { for: 'street-period', text: t('APP_PERIOD') }), period,
    el('button', { type: 'submit', class: 'primary', text: t('APP_SHOW') }),
    el('button', { type: 'button', text: t('APP_PRINT'), onclick: () => window.print() }));
  const charts = el('section', { id: 'street-charts', class: 'charts' });
  const box = el('section', { id: 'rollup', class: 'card report-box' });
  head.addEventListener('submit', (ev) => {
    ev.preventDefault();
    history.replaceState(null, '', '/street?period=' + encodeURIComponent(period.value));
    load();
  });
  page(t('STREET_TITLE'), el('p', { class: 'hint', text: t('STREET_INTRO') }), head, charts, box);

  async function open(code) {
    try {
      await chooseCommunity(code);
      location.href = '/audit?period=' + encodeURIComponent(period.value);
    } catch (e) { box.append(message('error', e.hint())); }
  }

  async function load() {
    const q = '?period=' + encodeURIComponent(period.value);
    box.replaceChildren(el('p', { text: t('APP_LOADING') }));
    charts.replaceChildren();
    let r;
    try { r = await api('GET', '/api/reports/rollup' + q); } catch (e) {
      box.replaceChildren(message('error', e.hint()));
      return;
    }
    const col = (name) => r.columns.indexOf(name);
    const rows = r.display.map((row, i) => row.map((cell, j) => {
      if (j === col('community') && r.rows[i][j] === 'TOTAL') return el('strong', { text: t('ITEM_TOTAL') });
      if (j === col('community')) {
        return el('a', { href: '/audit' + q, class: 'open-community', 'data-community': cell,
          onclick: (ev) => { ev.preventDefault(); open(cell); } }, cell);
      }
      return cell;
    }));
    const tbl = table(r.columns.map((c) => t('COL_' + c)), rows, { class: 'report rollup' });
    const last = tbl.querySelector('tbody tr:last-child');
    if (last) last.classList.add('total');
    box.replaceChildren(el('h2', { text: t('STREET_TITLE') + ' ' + r.period }), el('p', { class: 'hint', text: r.title }), tbl,
      el('p', { class: 'noprint downloads' },
        el('a', { href: '/api/reports/rollup' + q + '&format=csv', download: '', class: 'button', text: t('AUDIT_CSV') }), ' ',
        el('a', { href: '/api/reports/rollup' + q + '&format=xlsx', download: '', class: 'button', text: t('AUDIT_XLSX') })));
    const communities = r.rows.filter((row) => row[col('community')] !== 'TOTAL');
    const label = (row) => row[col('name')] || row[col('community')];
    charts.replaceChildren(
      barChart(t('STREET_RATE_CHART'), communities.map((row) => ({ label: label(row), value: rollupRate(row[col('collection_rate')]), text: row[col('collection_rate')] })), '#b5302a'),
      barChart(t('STREET_OUTSTANDING_CHART'), communities.map((row) => ({ label: label(row), value: Number(row[col('points_outstanding')]), text: row[col('points_outstanding')] })), '#2f6f4f'));
  }
  load();
}
