// The public rating page (民生项目绩效众评): residents read the projects and
// rate one with the one-time code the office gave them. Plain ES2020, no
// build step, nothing loaded from elsewhere, no token. Every text from the
// node reaches the DOM through textContent, never innerHTML.
'use strict';

(() => {
  const DICT = {
    zh: {
      title: '民生项目绩效众评',
      intro: '凭办事窗口、短信或纸质通知上的评价码，为本地民生项目打分。每个评价码只能使用一次，不记录任何个人信息。每个项目满 {k} 条评价后公布结果。',
      foot: '评分为向同类项目平均值收缩的贝叶斯平均（先验权重 {c} 条）；满意率为评 4–5 级的占比，附 95% Wilson 区间。',
      loading: '正在加载…', failed: '无法加载项目：{msg}', none: '暂无项目。',
      unit: '责任单位', place: '实施地点', budget: '预算', category: '类别', period: '期间',
      wan: '{v} 万元', progress: '总体进度 {p}%', milestones: '进度节点',
      planned: '计划 {d}', actual: '完成 {d}', notyet: '未完成',
      score: '评分', outof: '{s} / 5', ratings: '{n} 条评价，原始平均 {m}',
      satisfied: '满意率 {p}%（95% 区间 {lo}%–{hi}%）',
      hidden: '评价不足 {k} 条，暂不公布结果。',
      rate: '我要评价', close: '收起', code: '评价码', codehint: '12 位，见评价通知（不区分大小写，可含短横线）',
      level: '您的评价', comment: '意见或建议（选填，最多 500 字）', submit: '提交评价', sending: '正在提交…',
      ok: '评价已记录，感谢参与！', used: '该评价码已使用过，每个评价码只能评价一次。',
      badcode: '评价码无效：请核对是否为本项目的评价码。', nolevel: '请选择一个评价等级。',
      noproject: '项目不存在。', toomany: '提交过于频繁，请 {s} 秒后再试。', bad: '无法提交：{msg}',
      neterr: '网络错误，请稍后再试：{msg}',
      comments: '查看评论', nocomments: '暂无公开评论。', commentsfail: '无法加载评论：{msg}',
      levels: { 5: '非常满意', 4: '满意', 3: '一般', 2: '不满意', 1: '非常不满意' },
    },
    en: {
      title: 'Public rating of livelihood projects',
      intro: 'Rate local livelihood projects with the rating code from the service counter, a text message or a paper notice. Each code rates once, and nothing about you is kept. A project\'s result is shown once it has {k} ratings.',
      foot: 'The score is a Bayesian average pulled toward the mean of projects of the same category (prior weight {c} ratings); the satisfied share is the share of levels 4–5, with its 95% Wilson interval.',
      loading: 'Loading…', failed: 'Could not load the projects: {msg}', none: 'No projects yet.',
      unit: 'Responsible unit', place: 'Place', budget: 'Budget', category: 'Category', period: 'Period',
      wan: '¥{v}', progress: 'Overall progress {p}%', milestones: 'Milestones',
      planned: 'planned {d}', actual: 'done {d}', notyet: 'not yet done',
      score: 'Score', outof: '{s} / 5', ratings: '{n} ratings, raw mean {m}',
      satisfied: 'Satisfied {p}% (95% interval {lo}%–{hi}%)',
      hidden: 'Fewer than {k} ratings: the result is not shown yet.',
      rate: 'Rate this project', close: 'Close', code: 'Rating code', codehint: '12 characters, on your rating notice (any case, dashes allowed)',
      level: 'Your rating', comment: 'Comment (optional, up to 500 characters)', submit: 'Send rating', sending: 'Sending…',
      ok: 'Your rating is recorded. Thank you!', used: 'This code has been used already: each code rates once.',
      badcode: 'This code is not valid: check that it is this project\'s code.', nolevel: 'Please choose a rating.',
      noproject: 'No such project.', toomany: 'Too many attempts: try again in {s} seconds.', bad: 'Could not send: {msg}',
      neterr: 'Network error, please try again later: {msg}',
      comments: 'Show comments', nocomments: 'No public comments yet.', commentsfail: 'Could not load the comments: {msg}',
      levels: { 5: 'Very satisfied', 4: 'Satisfied', 3: 'Neutral', 2: 'Dissatisfied', 1: 'Very dissatisfied' },
    },
  };

  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  let lang = params.get('lang') || localStorage.getItem('deltabench.public.lang') || 'zh';
  if (!DICT[lang]) lang = 'zh';
  let data = null;
  const open = new Set(params.get('project') ? [params.get('project')] : []);
  const drafts = new Map();
  if (params.get('project') && params.get('code')) {
    drafts.set(params.get('project'), { code: params.get('code') });
  }

  const t = (key, vars) => {
    let s = DICT[lang][key];
    if (s === undefined) s = key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  };
  const pct = (x) => (100 * x).toFixed(0);
  const name = (o) => (lang === 'en' ? o.name_en : o.name_zh);

  function progressOf(p) {
    const ms = p.milestones || [];
    if (!ms.length) return null;
    return ms.reduce((a, m) => a + m.progress, 0) / ms.length;
  }

  function scoreBlock(entry) {
    const s = entry.score;
    if (!s) {
      return el('p', { class: 'hidden-score', 'data-score': 'hidden', text: t('hidden', { k: data.k }) });
    }
    const box = el('div', { class: 'score', 'data-score': s.shrunk.toFixed(2) },
      el('div', { class: 'score-main' },
        el('span', { class: 'score-label', text: t('score') }),
        el('strong', { class: 'score-value', text: t('outof', { s: s.shrunk.toFixed(2) }) })),
      el('div', { class: 'score-n', text: t('ratings', { n: s.n, m: s.raw_mean.toFixed(2) }) }),
      el('div', { class: 'score-sat', text: t('satisfied', {
        p: pct(s.satisfied_share), lo: pct(s.satisfied_interval[0]), hi: pct(s.satisfied_interval[1]) }) }));
    const dist = el('div', { class: 'dist', role: 'list' });
    for (let level = 5; level >= 1; level--) {
      const n = s.distribution[level - 1];
      const share = s.n ? n / s.n : 0;
      const bar = el('span', { class: `bar l${level}` });
      bar.style.width = `${(100 * share).toFixed(1)}%`;
      dist.append(el('div', { class: 'dist-row', role: 'listitem', 'data-level': level },
        el('span', { class: 'dist-label', text: DICT[lang].levels[level] }),
        el('span', { class: 'dist-track' }, bar),
        el('span', { class: 'dist-n', text: String(n) })));
    }
    box.append(dist);
    return box;
  }

  function milestones(p) {
    const ms = p.milestones || [];
    if (!ms.length) return null;
    const list = el('ol', { class: 'milestones', 'aria-label': t('milestones') });
    for (const m of ms) {
      list.append(el('li', { class: m.actual ? 'done' : 'todo' },
        el('span', { class: 'm-name', text: name(m) }),
        el('span', { class: 'm-date', text: `${t('planned', { d: m.planned })} · ${m.actual ? t('actual', { d: m.actual }) : t('notyet')}` }),
        el('span', { class: 'm-progress', text: `${m.progress}%` })));
    }
    return list;
  }

  async function send(id, form, status) {
    const fd = new FormData(form);
    const level = Number(fd.get('level'));
    const draft = drafts.get(id) || {};
    if (!level) {
      status.textContent = t('nolevel');
      status.dataset.result = 'no-level';
      return;
    }
    const body = { project: id, code: String(fd.get('code') || '').trim(), level };
    const comment = String(fd.get('comment') || '').trim();
    if (comment) body.comment = comment;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    status.textContent = t('sending');
    status.dataset.result = 'sending';
    try {
      const r = await fetch('/public/v1/ratings', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const answer = await r.json().catch(() => ({}));
      let key; let result;
      if (r.status === 201) { key = 'ok'; result = 'created'; }
      else if (r.status === 409) { key = 'used'; result = 'used'; }
      else if (r.status === 404) { key = 'noproject'; result = 'no-project'; }
      else if (r.status === 429) { key = 'toomany'; result = 'too-many'; }
      else if (r.status === 400 && answer.field === 'code') { key = 'badcode'; result = 'bad-code'; }
      else { key = 'bad'; result = 'refused'; }
      status.textContent = t(key, { s: r.headers.get('retry-after') || '60', msg: answer.detail || r.status });
      status.dataset.result = result;
      if (r.status === 201) {
        drafts.delete(id);
        form.reset();
        await load();
        return;
      }
      draft.code = body.code;
      drafts.set(id, draft);
    } catch (e) {
      status.textContent = t('neterr', { msg: e.message });
      status.dataset.result = 'network';
    } finally {
      button.disabled = false;
    }
  }

  function rateForm(p) {
    const id = p.id;
    const draft = drafts.get(id) || {};
    const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    const levels = el('fieldset', { class: 'levels' }, el('legend', { text: t('level') }));
    for (let level = 5; level >= 1; level--) {
      const input = el('input', { type: 'radio', name: 'level', value: level, id: `${id}-l${level}`, required: true });
      levels.append(el('label', { class: `level l${level}`, for: `${id}-l${level}` }, input,
        el('span', { text: DICT[lang].levels[level] })));
    }
    const counter = el('span', { class: 'counter', text: '0/500' });
    const comment = el('textarea', { name: 'comment', id: `${id}-comment`, maxlength: 500, rows: 3 });
    comment.addEventListener('input', () => { counter.textContent = `${[...comment.value].length}/500`; });
    const form = el('form', { class: 'rate', 'data-rate': id, novalidate: true },
      el('label', { for: `${id}-code`, text: t('code') }),
      el('input', { name: 'code', id: `${id}-code`, autocomplete: 'off', autocapitalize: 'characters',
        spellcheck: 'false', maxlength: 32, required: true, value: draft.code || '', 'aria-describedby': `${id}-codehint` }),
      el('small', { id: `${id}-codehint`, text: t('codehint') }),
      levels,
      el('label', { for: `${id}-comment`, text: t('comment') }),
      comment, counter,
      el('button', { type: 'submit', class: 'primary', text: t('submit') }),
      status);
    form.addEventListener('submit', (e) => { e.preventDefault(); send(id, form, status); });
    return form;
  }

  async function showComments(id, box) {
    box.replaceChildren(el('p', { text: t('loading') }));
    try {
      const r = await fetch(`/public/v1/projects/${encodeURIComponent(id)}/comments`);
      const answer = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(answer.detail || String(r.status));
      const list = el('ul', { class: 'comments' });
      for (const c of answer.comments || []) {
        list.append(el('li', { 'data-level': c.level },
          el('span', { class: `chip l${c.level}`, text: DICT[lang].levels[c.level] }),
          el('span', { class: 'c-date', text: String(c.at).slice(0, 10) }),
          el('p', { class: 'c-text', text: c.comment })));
      }
      box.replaceChildren(list.children.length ? list : el('p', { text: t('nocomments') }));
      box.dataset.loaded = String(list.children.length);
    } catch (e) {
      box.replaceChildren(el('p', { class: 'error', text: t('commentsfail', { msg: e.message }) }));
    }
  }

  function card(entry) {
    const p = entry.project;
    const prog = progressOf(p);
    const bar = el('span', { class: 'progress-fill' });
    if (prog !== null) bar.style.width = `${prog.toFixed(0)}%`;
    const formBox = el('div', { class: 'form-box' });
    const commentBox = el('div', { class: 'comment-box' });
    const toggle = el('button', { type: 'button', class: 'primary', 'data-open': p.id,
      'aria-expanded': open.has(p.id) ? 'true' : 'false', text: open.has(p.id) ? t('close') : t('rate') });
    toggle.addEventListener('click', () => {
      if (open.has(p.id)) open.delete(p.id); else open.add(p.id);
      render();
    });
    if (open.has(p.id)) formBox.append(rateForm(p));
    const more = el('button', { type: 'button', class: 'link', 'data-comments': p.id, text: t('comments') });
    more.addEventListener('click', () => showComments(p.id, commentBox));
    return el('article', { class: 'project', 'data-project': p.id },
      el('h2', { text: name(p) }),
      el('dl', { class: 'facts' },
        el('dt', { text: t('unit') }), el('dd', { text: lang === 'en' ? entry.unit_name_en : entry.unit_name_zh }),
        el('dt', { text: t('place') }), el('dd', { text: p.place }),
        el('dt', { text: t('budget') }), el('dd', { text: t('wan', { v: lang === 'en'
          ? p.budget.toLocaleString('en', { maximumFractionDigits: 0 })
          : (p.budget / 1e4).toLocaleString('zh-CN', { maximumFractionDigits: 1 }) }) }),
        el('dt', { text: t('period') }), el('dd', { text: p.period })),
      prog === null ? null : el('div', { class: 'progress', 'aria-label': t('progress', { p: prog.toFixed(0) }) },
        el('span', { class: 'progress-track' }, bar),
        el('span', { class: 'progress-text', text: t('progress', { p: prog.toFixed(0) }) })),
      milestones(p),
      scoreBlock(entry),
      el('div', { class: 'actions' }, toggle, more),
      formBox, commentBox);
  }

  function render() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    document.title = t('title');
    document.getElementById('title').textContent = t('title');
    for (const b of document.querySelectorAll('[data-lang]')) {
      b.setAttribute('aria-pressed', b.dataset.lang === lang ? 'true' : 'false');
    }
    const list = document.getElementById('projects');
    if (!data) return;
    document.getElementById('place').textContent = name(data.jurisdiction);
    document.getElementById('intro').textContent = t('intro', { k: data.k });
    document.getElementById('foot').textContent = t('foot', { c: data.prior_weight });
    // Keep what a resident has typed across a re-render.
    for (const f of list.querySelectorAll('form[data-rate]')) {
      const d = drafts.get(f.dataset.rate) || {};
      d.code = f.elements.code.value;
      drafts.set(f.dataset.rate, d);
    }
    list.replaceChildren(...(data.projects.length ? data.projects.map(card) : [el('p', { text: t('none') })]));
    document.getElementById('main').dataset.ready = 'public';
  }

  async function load() {
    try {
      const r = await fetch('/public/v1/projects');
      const answer = await r.json();
      if (!r.ok) throw new Error(answer.detail || String(r.status));
      data = answer;
      render();
    } catch (e) {
      const list = document.getElementById('projects');
      list.replaceChildren(el('p', { class: 'error', text: t('failed', { msg: e.message }) }));
      document.getElementById('main').dataset.error = 'load';
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    for (const b of document.querySelectorAll('[data-lang]')) {
      b.addEventListener('click', () => {
        lang = b.dataset.lang;
        localStorage.setItem('deltabench.public.lang', lang);
        render();
      });
    }
    document.getElementById('projects').textContent = t('loading');
    render();
    load();
  });
})();
