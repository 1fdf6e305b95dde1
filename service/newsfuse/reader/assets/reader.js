/* newsfuse reader: shows a summary beside its sources and highlights, for the sentence or
   [n] marker under the pointer or the keyboard focus, exactly the spans it cites.

   Plain script, no build step, nothing fetched but this server's own /v1 API. Two modes:
   - live (served at /): compose a cluster (pasted text, dropped files), POST /v1/summarize;
   - report (newsfuse summarize --format html): the request and summary are inline, in a
     JSON script element with the id newsfuse-report, and nothing is fetched at all.

   Offsets in the summary JSON are Python str indices, i.e. Unicode code points; JavaScript
   strings index UTF-16 code units, so every offset goes through codePointIndex() first. */
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
    return node;
  }

  /** Maps a code point index of `text` to its UTF-16 index (clamped to the text). */
  function codePointIndex(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) {
      return (cp) => Math.max(0, Math.min(cp, text.length));
    }
    const units = [0];
    let at = 0;
    for (const ch of text) { // iterates by code point
      at += ch.length;
      units.push(at);
    }
    return (cp) => units[Math.max(0, Math.min(cp, units.length - 1))];
  }

  /** `text[start:end]` in code points, as Python slices it. */
  function slice(text, start, end) {
    const at = codePointIndex(text);
    return text.slice(at(start), at(end));
  }

  const state = {
    request: null,
    summary: null,
    docs: new Map(), // document id -> {n, info, text, at, card, body, textEl, citeInfo, marked}
    targets: new WeakMap(), // element -> what it highlights
    shown: null,
    pinned: null,
    articles: [], // live mode: [{id, text}]
    report: false,
    budgetTouched: false,
  };

  // --- rendering a summary -------------------------------------------------------------
  function show(request, summary) {
    state.request = request;
    state.summary = summary;
    state.pinned = null;
    state.shown = null;
    const texts = new Map((request.documents || []).map((d) => [d.id, d.text]));
    renderSources(summary, texts);
    renderSentences(summary);
    renderConflicts(summary);
    renderDuplicates(summary);
    renderStats(summary);
    $('compose').hidden = true;
    $('result').hidden = false;
    $('edit').hidden = state.report;
  }

  function number(documentId) {
    const d = state.docs.get(documentId);
    return d ? d.n : 0;
  }

  function markers(documentIds) {
    const ns = [...new Set(documentIds.map(number))].filter((n) => n).sort((a, b) => a - b);
    return ns.map((n) => `[${n}]`).join('');
  }

  function badge(text, kind, title) {
    return el('span', { class: `badge ${kind}`, title }, text);
  }

  function renderSources(summary, texts) {
    const box = $('sources');
    box.replaceChildren();
    state.docs.clear();
    summary.documents.forEach((info, i) => {
      const n = i + 1;
      const text = texts.get(info.id) ?? '';
      const titleId = `doc-${n}-title`;
      const meta = el('p', { class: 'meta' });
      const parts = [];
      if (info.title) parts.push(info.id);
      if (info.date) parts.push(info.date);
      meta.append(parts.join(' · '));
      if (info.date && info.date_inferred) {
        meta.append(' ', badge('date inferred', 'inferred',
          'No date in the article: inferred from its text and the other reports'));
      }
      if (info.seen) meta.append(' ', badge('seen', 'seen', 'Already read: summarized only for what is new'));
      if (info.duplicate_of) {
        meta.append(' ', badge(`copy of ${markers([info.duplicate_of]) || info.duplicate_of}`, 'copy',
          'Shares most of its facts with an earlier document: counted as one source'));
      }
      const citeInfo = el('p', { class: 'cite-info' });
      const textEl = el('div', { class: 'doc-text' }, text || '(the text of this document is not available)');
      const body = el('div', {
        class: 'doc-body', tabindex: '0', role: 'region', 'aria-label': `Text of source ${n}`,
      }, textEl);
      const card = el('article', { class: 'doc', id: `doc-${n}`, 'aria-labelledby': titleId, 'data-document': info.id },
        el('header', {},
          el('h3', { id: titleId }, el('span', { class: 'num' }, `[${n}] `), info.title || info.id),
          meta, citeInfo),
        body);
      box.append(card);
      state.docs.set(info.id, { n, info, text, at: codePointIndex(text), card, body, textEl, citeInfo, marked: false });
    });
  }

  /** The sentence's text, each resolved date mention followed by its date. */
  function sentenceContent(sentence) {
    const text = sentence.text;
    const at = codePointIndex(text);
    const out = [];
    let pos = 0;
    const dates = [...(sentence.dates || [])].sort((a, b) => a.start - b.start);
    for (const m of dates) {
      const a = at(m.start);
      const b = at(m.end);
      if (a < pos) continue;
      out.push(text.slice(pos, a));
      out.push(el('time', { datetime: m.date, title: `resolved to ${m.date}` }, text.slice(a, b)));
      out.push(el('span', { class: 'date-note' }, ` (${m.date})`));
      pos = b;
    }
    out.push(text.slice(pos));
    return out;
  }

  function renderSentences(summary) {
    const list = $('sentences');
    list.replaceChildren();
    summary.sentences.forEach((s, i) => {
      const li = el('li');
      if (s.generated) {
        li.append(badge('generated', 'gen',
          'Written by the model, not copied from a source: its citations are the passages that support it'));
      }
      const sent = el('span', {
        class: s.generated ? 'sent generated' : 'sent', id: `sentence-${i + 1}`, tabindex: '0',
        role: 'button', 'aria-pressed': 'false',
      }, ...sentenceContent(s));
      state.targets.set(sent, { kind: 'sentence', i, el: sent });
      li.append(sent);
      // One marker per cited document, in source order, as the command line prints them.
      const byDoc = new Map();
      for (const c of s.citations) {
        if (!byDoc.has(c.document)) byDoc.set(c.document, []);
        byDoc.get(c.document).push(c);
      }
      const docs = [...byDoc.keys()].filter((d) => number(d)).sort((a, b) => number(a) - number(b));
      for (const doc of docs) {
        const best = Math.max(...byDoc.get(doc).map((c) => c.score));
        const info = state.docs.get(doc).info;
        const marker = el('button', {
          type: 'button', class: 'marker', 'aria-pressed': 'false',
          'aria-label': `Source ${number(doc)}, ${info.title || info.id}: support ${best.toFixed(2)}`,
          title: `support ${best.toFixed(2)}`,
        }, `[${number(doc)}]`);
        state.targets.set(marker, { kind: 'marker', i, document: doc, el: marker });
        li.append(marker);
      }
      if (s.conflicts && s.conflicts.length) {
        const line = el('p', { class: 'differ' }, 'Sources differ: ');
        s.conflicts.forEach((c, k) => {
          if (k) line.append('; ');
          appendValues(line, c);
        });
        li.append(line);
      }
      list.append(li);
    });
    if (!summary.sentences.length) list.append(el('li', {}, '(the documents contain no text to summarize)'));
  }

  /** Each value of a conflict as a button that highlights the spans stating it. */
  function appendValues(parent, conflict) {
    conflict.values.forEach((v, j) => {
      if (j) parent.append(' vs ');
      const sources = v.sources.map((s) => s.document);
      const button = el('button', {
        type: 'button', class: 'value', 'aria-pressed': 'false',
        'aria-label': `${v.value}, as ${markers(sources)} report it`,
      }, v.value);
      state.targets.set(button, { kind: 'value', value: v, el: button });
      parent.append(button, ` ${markers(sources)}`);
    });
  }

  function renderConflicts(summary) {
    const list = $('conflicts');
    list.replaceChildren();
    for (const c of summary.conflicts || []) {
      const li = el('li', {}, el('span', { class: 'kind' }, `${c.kind}: `));
      appendValues(li, c);
      const claim = c.claim.length > 160 ? `${c.claim.slice(0, 157)}…` : c.claim;
      li.append(el('span', { class: 'claim' }, `on: ${claim}`));
      list.append(li);
    }
    $('conflicts-box').hidden = !list.children.length;
  }

  function renderDuplicates(summary) {
    const list = $('dups');
    list.replaceChildren();
    const groups = summary.duplicates || [];
    const shown = groups.slice(0, 60);
    shown.forEach((group) => {
      const first = group[0];
      const doc = state.docs.get(first.document);
      let excerpt = doc ? slice(doc.text, first.start, first.end).replace(/\s+/g, ' ').trim() : '';
      if ([...excerpt].length > 90) excerpt = `${[...excerpt].slice(0, 87).join('')}…`;
      const button = el('button', {
        type: 'button', class: 'dup', 'aria-pressed': 'false',
        'aria-label': `Repeated passage: ${excerpt}; in ${markers(group.map((m) => m.document))}`,
      }, `“${excerpt}”`);
      state.targets.set(button, { kind: 'dup', group, el: button });
      list.append(el('li', {}, button, ` ${markers(group.map((m) => m.document))} (${group.length} passages)`));
    });
    if (groups.length > shown.length) list.append(el('li', {}, `… and ${groups.length - shown.length} more`));
    $('dups-box').hidden = !groups.length;
  }

  function renderStats(summary) {
    const s = summary.stats || {};
    const seconds = typeof s.seconds === 'number' ? `; ${s.seconds.toFixed(2)} s` : '';
    $('stats').textContent = `${s.documents} documents, ${s.sentences_in} sentences, `
      + `${s.sentences_after_dedup} after dedup; ${s.model}${seconds}`;
  }

  // --- highlighting --------------------------------------------------------------------
  /** The spans a target highlights: {document, start, end, kind, label}. */
  function spansOf(target) {
    const sentences = state.summary.sentences;
    switch (target.kind) {
      case 'sentence':
        return sentences[target.i].citations.map((c) => ({ ...c, kind: 'cite', label: c.score.toFixed(2) }));
      case 'marker':
        return sentences[target.i].citations.filter((c) => c.document === target.document)
          .map((c) => ({ ...c, kind: 'cite', label: c.score.toFixed(2) }));
      case 'value':
        return target.value.sources.map((s) => ({ ...s, kind: 'conflict', label: null }));
      case 'dup':
        return target.group.map((m) => ({ ...m, kind: 'dup', label: null }));
      default:
        return [];
    }
  }

  function describe(target, spans) {
    if (target.kind === 'value') return `States “${target.value.value}”`;
    if (target.kind === 'dup') return `Repeated passage (${target.group.length} in all)`;
    const scores = spans.map((s) => s.score.toFixed(2)).join(', ');
    return `Cited passage${spans.length > 1 ? 's' : ''}: support ${scores}`;
  }

  /** Wrap each span of `spans` (code points) in <mark>; overlapping spans share pieces. */
  function markDocument(d, spans) {
    const text = d.text;
    const units = spans.map((s, k) => ({
      a: d.at(Math.min(s.start, s.end)), b: d.at(Math.max(s.start, s.end)), k, s,
    }));
    const cuts = [...new Set([0, text.length, ...units.flatMap((u) => [u.a, u.b])])].sort((x, y) => x - y);
    const out = [];
    for (let i = 0; i + 1 < cuts.length; i += 1) {
      const a = cuts[i];
      const b = cuts[i + 1];
      const cover = units.filter((u) => u.a <= a && b <= u.b && u.a < u.b);
      const piece = text.slice(a, b);
      if (!cover.length) {
        out.push(piece);
        continue;
      }
      const mark = el('mark', { class: `hl ${cover[0].s.kind}`, 'data-spans': cover.map((u) => u.k).join(' ') }, piece);
      const starting = cover.find((u) => u.a === a && u.s.label);
      if (starting) mark.dataset.label = starting.s.label;
      out.push(mark);
    }
    d.textEl.replaceChildren(...out);
    d.marked = true;
  }

  function clearMarks() {
    for (const d of state.docs.values()) {
      if (d.marked) {
        d.textEl.replaceChildren(d.text);
        d.marked = false;
      }
      d.card.classList.remove('cited');
      d.citeInfo.textContent = '';
    }
    for (const node of document.querySelectorAll('#result .active')) node.classList.remove('active');
  }

  /** Scroll a source's text so its first mark sits in the upper third of the view. */
  function reveal(d) {
    const mark = d.textEl.querySelector('mark');
    if (!mark) return;
    const body = d.body;
    const room = Math.max(16, (body.clientHeight - mark.offsetHeight) / 3);
    body.scrollTop = Math.max(0, mark.offsetTop - room);
  }

  function highlight(target) {
    clearMarks();
    state.shown = target;
    if (!target) return;
    target.el.classList.add('active');
    const spans = spansOf(target);
    const byDoc = new Map();
    for (const s of spans) {
      if (!state.docs.has(s.document)) continue;
      if (!byDoc.has(s.document)) byDoc.set(s.document, []);
      byDoc.get(s.document).push(s);
    }
    const docs = [...byDoc.keys()].map((id) => state.docs.get(id)).sort((a, b) => a.n - b.n);
    for (const d of docs) {
      const list = byDoc.get(d.info.id);
      markDocument(d, list);
      d.card.classList.add('cited');
      d.citeInfo.textContent = describe(target, list);
      reveal(d);
    }
    if (docs.length) docs[0].card.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  function announce(target) {
    const spans = spansOf(target);
    const where = [...new Set(spans.map((s) => number(s.document)))].sort((a, b) => a - b)
      .map((n) => `source ${n}`).join(', ');
    if (target.kind === 'sentence') {
      const total = state.summary.sentences.length;
      status(`Sentence ${target.i + 1} of ${total}: ${spans.length} cited passage${spans.length === 1 ? '' : 's'} in ${where || 'no source'}`);
    } else {
      status(`Highlighted in ${where || 'no source'}`);
    }
  }

  function setPinned(target) {
    if (state.pinned) state.pinned.el.setAttribute('aria-pressed', 'false');
    state.pinned = target;
    if (target) target.el.setAttribute('aria-pressed', 'true');
  }

  function targetOf(node) {
    let at = node instanceof Element ? node : node && node.parentElement;
    while (at && at !== document.body) {
      const target = state.targets.get(at);
      if (target) return target;
      at = at.parentElement;
    }
    return null;
  }

  function setUpHighlighting() {
    const result = $('result');
    result.addEventListener('mouseover', (e) => {
      const target = targetOf(e.target);
      if (target && target !== state.shown) highlight(target);
    });
    result.addEventListener('mouseout', (e) => {
      const from = targetOf(e.target);
      const to = targetOf(e.relatedTarget);
      if (from && from !== to && !to) highlight(focusedTarget() || state.pinned);
    });
    result.addEventListener('focusin', (e) => {
      const target = targetOf(e.target);
      if (!target) return;
      highlight(target);
      announce(target);
    });
    result.addEventListener('focusout', (e) => {
      if (!targetOf(e.relatedTarget)) highlight(state.pinned);
    });
    result.addEventListener('click', (e) => {
      const target = targetOf(e.target);
      if (!target) return;
      setPinned(state.pinned === target ? null : target);
      highlight(target);
    });
    result.addEventListener('keydown', onKey);
  }

  function focusedTarget() {
    return targetOf(document.activeElement);
  }

  /** Arrow keys: ↑/↓ sentence to sentence, ←/→ along a sentence and its markers. */
  function onKey(e) {
    const target = targetOf(e.target);
    if (e.key === 'Escape') {
      setPinned(null);
      highlight(null);
      status('Highlight cleared');
      return;
    }
    if (!target) return;
    if (target.kind === 'sentence' && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      target.el.click();
      return;
    }
    const item = target.el.closest('#sentences > li');
    if (!item) return;
    const sentences = [...document.querySelectorAll('#sentences .sent')];
    const row = [...item.querySelectorAll('.sent, .marker')];
    const here = sentences.indexOf(item.querySelector('.sent'));
    let next = null;
    if (e.key === 'ArrowDown') next = sentences[here + 1];
    else if (e.key === 'ArrowUp') next = sentences[here - 1];
    else if (e.key === 'Home') next = sentences[0];
    else if (e.key === 'End') next = sentences[sentences.length - 1];
    else if (e.key === 'ArrowRight') next = row[row.indexOf(target.el) + 1];
    else if (e.key === 'ArrowLeft') next = row[row.indexOf(target.el) - 1];
    else return;
    e.preventDefault();
    if (next) next.focus();
  }

  // --- composing and calling the server ------------------------------------------------
  function status(text) {
    $('status').textContent = text;
  }

  function showError(text, field) {
    const box = $('error');
    box.textContent = text;
    box.hidden = false;
    if (field) field.focus();
  }

  function hideError() {
    $('error').hidden = true;
    $('error').textContent = '';
  }

  function authHeaders() {
    const token = $('token').value.trim();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  function askForToken() {
    $('token-row').hidden = false;
  }

  function uniqueId(name) {
    const taken = new Set(state.articles.map((a) => a.id));
    let id = name;
    for (let k = 2; taken.has(id); k += 1) id = `${name} (${k})`;
    return id;
  }

  function renderArticles() {
    const list = $('articles');
    list.replaceChildren();
    state.articles.forEach((a, i) => {
      const words = a.text.trim().split(/\s+/).length;
      const remove = el('button', { type: 'button', class: 'secondary', 'aria-label': `Remove ${a.id}` }, 'Remove');
      remove.addEventListener('click', () => {
        state.articles.splice(i, 1);
        renderArticles();
        $('files').focus();
      });
      list.append(el('li', {}, el('span', { class: 'name' }, a.id), el('span', { class: 'words' }, `${words} words`), remove));
    });
    $('count').textContent = String(state.articles.length);
  }

  async function addFiles(fileList) {
    const files = Array.from(fileList);
    const problems = [];
    for (const file of files) {
      try {
        // Like the command line: UTF-8 or an error, and a byte order mark kept as text.
        const bytes = await file.arrayBuffer();
        const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
        if (!text.trim()) problems.push(`${file.name}: empty file`);
        else state.articles.push({ id: uniqueId(file.name), text });
      } catch (err) {
        problems.push(`${file.name}: not UTF-8 text`);
      }
    }
    renderArticles();
    if (problems.length) showError(problems.join('; '));
    else hideError();
    status(`${state.articles.length} article${state.articles.length === 1 ? '' : 's'} ready`);
  }

  function addPasted() {
    const text = $('paste').value;
    if (!text.trim()) return;
    const count = state.articles.filter((a) => a.id.startsWith('pasted-')).length;
    state.articles.push({ id: uniqueId(`pasted-${count + 1}`), text });
    $('paste').value = '';
    renderArticles();
  }

  function explain(status, body, request) {
    if (!body || typeof body.message !== 'string') return `The server answered ${status}.`;
    let where = body.field || '';
    const m = /^documents\[(\d+)\]/.exec(where);
    if (m && request.documents[Number(m[1])]) where = `${request.documents[Number(m[1])].id} (${where})`;
    const message = body.field ? body.message.replace(`${body.field}: `, '') : body.message;
    const again = body.retryable ? ' Try again in a moment.' : '';
    return `${where ? `${where}: ` : ''}${message}${again}`;
  }

  async function summarize() {
    hideError();
    addPasted();
    if (!state.articles.length) {
      showError('Add at least one article: paste its text or drop its file.', $('paste'));
      return;
    }
    const budget = Number($('budget').value);
    if (!Number.isInteger(budget) || budget < 1) {
      showError('Word budget: a whole number, at least 1.', $('budget'));
      return;
    }
    const request = {
      documents: state.articles.map((a) => ({ id: a.id, text: a.text })),
      options: { max_words: budget, mode: $('mode').value },
    };
    const go = $('go');
    go.disabled = true;
    status(`Summarizing ${request.documents.length} articles…`);
    try {
      const reply = await fetch('v1/summarize', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...authHeaders() },
        body: JSON.stringify(request),
      });
      const body = await reply.json().catch(() => null);
      if (reply.status === 401) {
        askForToken();
        showError('This server needs its token: enter it, then summarize again.', $('token'));
        status('');
        return;
      }
      if (!reply.ok) {
        showError(explain(reply.status, body, request));
        status('');
        return;
      }
      show(request, body);
      status(`Summary of ${request.documents.length} articles: ${body.sentences.length} sentences`);
      $('summary').focus();
    } catch (err) {
      showError(`The server cannot be reached (${err.message}).`);
      status('');
    } finally {
      go.disabled = false;
    }
  }

  async function loadInfo() {
    try {
      const reply = await fetch('v1/info', { headers: authHeaders() });
      if (reply.status === 401) {
        askForToken();
        return;
      }
      if (!reply.ok) return;
      const info = await reply.json();
      if (!state.budgetTouched && info.default_max_words) $('budget').value = String(info.default_max_words);
      const mode = $('mode');
      mode.replaceChildren(...info.modes.map((m) => el('option', { value: m }, m)));
      status(`newsfuse ${info.version}: ${info.model || 'extractive'} on ${info.device}`);
    } catch (err) {
      // The page still works: the defaults stand, and summarize reports what is wrong.
    }
  }

  function setUpCompose() {
    $('files').addEventListener('change', (e) => {
      const files = Array.from(e.target.files);
      e.target.value = '';
      addFiles(files);
    });
    const drop = $('drop');
    for (const type of ['dragenter', 'dragover']) {
      drop.addEventListener(type, (e) => {
        e.preventDefault();
        drop.classList.add('over');
      });
    }
    for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      addFiles(e.dataTransfer.files);
    });
    // A file dropped beside the zone must not make the browser leave the page.
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => e.preventDefault());
    $('add-paste').addEventListener('click', addPasted);
    $('budget').addEventListener('input', () => { state.budgetTouched = true; });
    $('compose').addEventListener('submit', (e) => {
      e.preventDefault();
      summarize();
    });
    $('edit').addEventListener('click', () => {
      $('result').hidden = true;
      $('compose').hidden = false;
      $('edit').hidden = true;
      $('go').focus();
    });
  }

  function init() {
    setUpHighlighting();
    const data = $('newsfuse-report');
    if (data) {
      state.report = true;
      const { request, summary } = JSON.parse(data.textContent);
      show(request, summary);
      status(`Report: ${summary.documents.length} sources, ${summary.sentences.length} sentences`);
      return;
    }
    setUpCompose();
    loadInfo();
  }

  // For scripts and tests: what is shown now, and the offset conversion.
  window.newsfuseReader = {
    shown: () => (state.summary ? { request: state.request, summary: state.summary } : null),
    slice,
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
