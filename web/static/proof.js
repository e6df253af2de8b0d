/*
 * proof.js - residents check their own entries in their own browser
 * (docs/proofs.md): the signed tree head's Ed25519 signature, and each
 * entry's RFC 9162 inclusion proof (section 2.1.3.2) against the head's
 * root. Nothing here trusts jifen-web's word: the server sends the line,
 * the entry's stored bytes and the audit path, and the verdict is
 * computed here with the browser's own SubtleCrypto (SHA-256, and
 * Ed25519, which Chromium has had since version 137, Firefox since 129
 * and Safari since 17). No third-party code.
 *
 * The same steps as the CLI's checker (client/cli_proof.c) and
 * tools/verify_export.py --proof; the e2e test checks the three agree.
 */
'use strict';

const Proof = (() => {
  const enc = new TextEncoder();

  function fromB64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function fromHex(s) {
    if (!/^([0-9a-f]{2})*$/.test(s)) return null;
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
    return out;
  }

  function equal(a, b) {
    if (!a || !b || a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  function available() {
    return !!(window.crypto && crypto.subtle);
  }

  async function sha256(...parts) {
    const n = parts.reduce((s, p) => s + p.length, 0);
    const buf = new Uint8Array(n);
    let at = 0;
    for (const p of parts) { buf.set(p, at); at += p.length; }
    return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  }

  const LEAF = Uint8Array.of(0), NODE = Uint8Array.of(1);

  /* jifen-sth1 SIZE TIME ROOT HEAD SIG: six fields, single spaces. */
  function parseHead(line) {
    const text = (line || '').trim();
    const f = text.split(' ');
    if (f.length !== 6 || f[0] !== 'jifen-sth1' || !/^[1-9][0-9]*$/.test(f[1])) return null;
    try {
      const head = {
        text, size: Number(f[1]), time: f[2], root: fromB64(f[3]), chain: fromB64(f[4]), sig: fromB64(f[5]),
        signed: enc.encode(text.slice(0, text.lastIndexOf(' '))),
      };
      if (head.root.length !== 32 || head.chain.length !== 32 || head.sig.length !== 64 || !Number.isSafeInteger(head.size)) return null;
      return head;
    } catch (e) {
      return null;
    }
  }

  /* true / false, or null when it cannot be checked here (no key, or a
   * browser without Ed25519). */
  async function signatureHolds(head, keyHex) {
    const key = fromHex(keyHex || '');
    if (!key || key.length !== 32 || !available()) return null;
    let k;
    try {
      k = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      return null; /* no Ed25519 in this browser */
    }
    try {
      return await crypto.subtle.verify({ name: 'Ed25519' }, k, head.sig, head.signed);
    } catch (e) {
      return false;
    }
  }

  /* RFC 9162 2.1.3.2. Sizes stay below 2^53: halving by division, since
   * JavaScript's bit operators work on 32 bits. */
  async function rootFromPath(index, size, leaf, path) {
    if (index >= size) return null;
    let fn = index, sn = size - 1, r = leaf;
    const odd = (x) => x % 2 === 1;
    const half = (x) => Math.floor(x / 2);
    for (const p of path) {
      if (sn === 0) return null;
      if (odd(fn) || fn === sn) {
        r = await sha256(NODE, p, r);
        if (!odd(fn)) while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      } else {
        r = await sha256(NODE, r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 ? r : null;
  }

  /* Field 1 of a jifen.v1.Entry (its number), read off the stored bytes. */
  function entryNumber(bytes) {
    let i = 0;
    const varint = () => {
      let v = 0, mul = 1;
      for (;;) {
        if (i >= bytes.length) throw new Error('short');
        const b = bytes[i++];
        v += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) return v;
      }
    };
    try {
      while (i < bytes.length) {
        const tag = varint(), field = Math.floor(tag / 8), wire = tag % 8;
        if (field === 1 && wire === 0) return varint();
        if (wire === 0) varint();
        else if (wire === 1) i += 8;
        else if (wire === 2) i += varint();
        else if (wire === 5) i += 4;
        else return null;
      }
    } catch (e) { /* malformed */ }
    return null;
  }

  /* {ok, why} for one entry's proof against a parsed head. */
  async function checkEntry(entry, proof, head) {
    if (!proof) return { ok: false, why: 'no proof' };
    if (proof.tree_size !== head.size || proof.entry !== entry || proof.leaf_index !== entry - 1) {
      return { ok: false, why: 'the proof is for another entry or tree size' };
    }
    const stored = fromB64(proof.stored);
    if (entryNumber(stored) !== entry) return { ok: false, why: 'the stored bytes are not that entry' };
    const path = proof.path.map(fromHex);
    if (path.some((p) => !p || p.length !== 32)) return { ok: false, why: 'a malformed path' };
    const leaf = await sha256(LEAF, stored);
    const root = await rootFromPath(entry - 1, head.size, leaf, path);
    if (!equal(root, head.root)) return { ok: false, why: 'the entry is not in the tree the head signed' };
    return { ok: true };
  }

  return { available, parseHead, signatureHolds, checkEntry, rootFromPath, entryNumber, fromHex, sha256 };
})();

/*
 * The signed tree head on a resident's page or the board, and the verdict
 * of each entry's proof into its cell (cells: entry number -> element).
 * d: the server's answer (tree_head, checkpoint_key, community, entries
 * with proof or not_yet_covered). line: a line the resident typed from the
 * notice sheet (d's proofs were asked for its tree size), else d's own.
 * recheck(line): asks again for another line.
 */
async function showProofs(box, d, cells, line, recheck) {
  const entries = d.entries || [];
  const mark = (e, kind, text, why) => {
    const c = cells[e.entry];
    if (!c) return;
    c.className = 'proof ' + kind;
    c.textContent = text;
    if (why) c.title = why;
  };
  const input = el('input', { id: 'sth-line', class: 'mono', size: 60, autocomplete: 'off', spellcheck: 'false', placeholder: 'jifen-sth1 …' });
  const form = el('form', { id: 'sth-form', class: 'inline noprint' }, el('label', { for: 'sth-line', text: t('PROOF_LINE') }), input,
    el('button', { type: 'submit', text: t('PROOF_LINE_BUTTON') }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); if (input.value.trim()) recheck(input.value.trim()); });
  box.replaceChildren(el('h2', { text: t('PROOF_HEAD') }));
  const text = line || d.tree_head || '';
  if (!text) {
    box.append(message('warn', t('PROOF_NONE')), recheck ? form : '');
    entries.forEach((e) => mark(e, 'later', t('PROOF_NOT_COVERED')));
    return;
  }
  const head = Proof.parseHead(text);
  if (!head) {
    box.append(el('p', { class: 'mono sth', text }), message('error', t('PROOF_LINE_BAD')), recheck ? form : '');
    entries.forEach((e) => mark(e, 'bad', t('PROOF_NOT_VERIFIED')));
    return;
  }
  if (!Proof.available()) {
    box.append(el('p', { class: 'mono sth', id: 'tree-head', text: head.text }), message('error', t('PROOF_UNSUPPORTED')));
    entries.forEach((e) => mark(e, 'bad', t('PROOF_NOT_VERIFIED')));
    return;
  }
  const sig = await Proof.signatureHolds(head, d.checkpoint_key);
  const sigMsg = message(sig === true ? 'ok' : sig === false ? 'error' : 'warn',
    t(sig === true ? 'PROOF_HEAD_OK' : sig === false ? 'PROOF_HEAD_BAD' : 'PROOF_HEAD_UNCHECKED'));
  sigMsg.id = 'head-signature';
  sigMsg.dataset.verdict = sig === true ? 'holds' : sig === false ? 'forged' : 'unchecked';
  const qr = '/api/public/tree-head.svg?size=' + head.size + (d.community ? '&community=' + encodeURIComponent(d.community) : '');
  box.append(el('div', { class: 'sthbox' },
    el('figure', { class: 'qr' }, el('img', { src: qr, alt: t('PROOF_QR'), width: 160, height: 160 }), el('figcaption', { text: t('PROOF_QR') })),
    el('div', null, el('p', { class: 'mono sth', id: 'tree-head', text: head.text }), sigMsg,
      d.checkpoint_key ? el('p', { class: 'hint mono', text: t('PROOF_KEY') + ': ' + d.checkpoint_key }) : '')),
  recheck ? form : '');
  if (!entries.length) return;
  let good = 0, bad = 0;
  for (const e of entries) {
    if (e.not_yet_covered || e.entry > head.size) {
      mark(e, 'later', t('PROOF_NOT_COVERED'));
      continue;
    }
    const v = sig === false ? { ok: false, why: 'the tree head is forged' } : await Proof.checkEntry(e.entry, e.proof, head);
    if (v.ok) good++; else bad++;
    mark(e, v.ok ? 'ok' : 'bad', t(v.ok ? 'PROOF_VERIFIED' : 'PROOF_NOT_VERIFIED'), v.why);
  }
  const summary = bad ? message('error', t('PROOF_SOME_BAD', bad)) : message('ok', t('PROOF_ALL_OK', good));
  summary.id = 'proof-summary';
  box.append(summary, el('p', { class: 'hint', text: t('PROOF_EXPLAIN') }));
}
