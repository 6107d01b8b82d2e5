// live.js: updates marked parts of a page from /api/v1/live. Pages work
// without it; it only adds what arrives after the page was rendered.
// Texts come from the #live-messages block (the server's catalogs); new
// content goes at the end of its list, never above the reader, and a
// polite live region (#live-announcer) tells screen readers what changed.

const root = document.documentElement;

// A confirmation shown where the person acted (after a vote, comment or
// report) takes focus, so that screen readers announce it and it is in view.
const placed = document.querySelector("[data-flash-here]");
if (placed) placed.focus();
const topics = [...new Set([...document.querySelectorAll("[data-live-topic]")].map((e) => e.dataset.liveTopic))];
const block = document.getElementById("live-messages");
const texts = block ? JSON.parse(block.textContent) : { lang: root.lang, m: {} };
const M = texts.m || {};

// t renders a catalog text; a text with plural forms picks the form the
// server would, by the count.
function t(key, vars = {}) {
  let msg = M[key];
  if (msg && typeof msg === "object") {
    const n = Math.abs(Number(vars.Count) || 0);
    const i = n < 200 ? n : 100 + (n % 100);
    msg = msg.t[msg.i.charCodeAt(i) - 48];
  }
  if (typeof msg !== "string") return key;
  return msg.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

const announcer = document.getElementById("live-announcer");
let lastTallyAnnounce = 0;
function announce(text, isTally) {
  if (!announcer) return;
  const now = Date.now();
  if (isTally) {
    // Votes can change often: at most one announcement in ten seconds.
    if (now - lastTallyAnnounce < 10000) return;
    lastTallyAnnounce = now;
  }
  announcer.textContent = "";
  setTimeout(() => { announcer.textContent = text; }, 50);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function reveal(list) {
  list.hidden = false;
  const empty = list.parentElement && list.parentElement.querySelector("[data-live-empty]");
  if (empty) empty.remove();
}

function tallyText(tally) {
  return [t("tally.for", { Count: tally.for }), t("tally.against", { Count: tally.against }), t("tally.neutral", { Count: tally.neutral })];
}

function onTally(d) {
  const key = `${d.target}:${d.id}`;
  let main = false;
  for (const box of document.querySelectorAll(`[data-tally-item="${key}"]`)) {
    const parts = tallyText(d.tally);
    const spans = ["for", "against", "neutral"].map((k, i) => el("span", { [`data-tally-${k}`]: "" }, parts[i]));
    const children = [];
    spans.forEach((s, i) => { if (i) children.push(" · "); children.push(s); });
    if (box.hasAttribute("data-with-approval") && d.tally.for + d.tally.against > 0) {
      const pct = Math.round((d.tally.for * 100) / (d.tally.for + d.tally.against));
      children.push(" · ", el("span", { "data-tally-approval": "" }, t("tally.approval", { Percent: pct })));
    }
    box.replaceChildren(...children);
    if (box.closest("#vote")) main = true;
  }
  // The bars beside the tallies: for, against, neutral, as the server draws them.
  const total = d.tally.for + d.tally.against + d.tally.neutral;
  for (const bar of document.querySelectorAll(`[data-tally-bar="${key}"]`)) {
    let x = 0;
    for (const k of ["for", "against", "neutral"]) {
      const w = total ? Math.round((d.tally[k] * 10000) / total) / 100 : 0;
      const r = bar.querySelector(`[data-bar="${k}"]`);
      if (r) { r.setAttribute("x", String(x)); r.setAttribute("width", String(w)); }
      x = Math.round((x + w) * 100) / 100;
    }
  }
  if (main) announce(t("live.tally", { Tally: tallyText(d.tally).join(", ") }), true);
}

// onComment inserts a newly published comment as the server renders it
// for this reader (GET {item}/comments/{id}), with its reply and report
// forms: one rendering, the same as after a reload. Fetches are chained,
// so comments keep the order in which they came.
let inserting = Promise.resolve();

function onComment(d) {
  const c = d.comment;
  if (!c) return;
  const shown = document.getElementById(`comment-${c.id}`);
  if (shown) {
    // The author's own comment, shown to them while it waited: now public.
    for (const note of shown.querySelectorAll(":scope > article [data-pending]")) note.remove();
    return;
  }
  const list = document.querySelector(`[data-live-comments="${d.target}:${d.id}"]`);
  if (!list || !list.dataset.commentSrc) return;
  inserting = inserting.then(() => insertComment(list, c)).catch((e) => console.warn("live:", e));
}

// fetchItem fetches a list item as the server renders it for this reader
// (see CommentFragment and IdeaCard); null when it is not there for them
// (removed meanwhile, or not theirs to see).
async function fetchItem(url) {
  const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!res.ok) return null;
  const tpl = document.createElement("template");
  tpl.innerHTML = await res.text();
  const li = tpl.content.querySelector("li");
  if (li) li.setAttribute("data-live-new", "");
  return li;
}

async function insertComment(list, c) {
  const li = await fetchItem(list.dataset.commentSrc + c.id);
  if (!li || document.getElementById(li.id)) return;
  let into = list;
  if (c.parent_id) {
    const parent = document.getElementById(`comment-${c.parent_id}`);
    if (!parent) return; // its thread is on another page of the list
    into = parent.querySelector(":scope > ol.replies");
    if (!into) {
      into = el("ol", { class: "replies" });
      const reply = parent.querySelector(":scope > details.reply");
      parent.insertBefore(into, reply);
    }
  }
  into.append(li);
  reveal(list);
  const heading = document.querySelector("[data-comment-count]");
  if (heading) {
    const n = Number(heading.dataset.commentCount) + 1;
    heading.dataset.commentCount = String(n);
    heading.textContent = t("measure.comment_count", { Count: n });
  }
  announce(t("live.comment_published"));
}

function onCommentRemoved(d) {
  const li = document.getElementById(`comment-${d.comment_id}`);
  // Never pull text away from under the reader's focus.
  if (!li || li.contains(document.activeElement)) return;
  li.remove();
  const heading = document.querySelector("[data-comment-count]");
  if (heading) {
    const n = Math.max(0, Number(heading.dataset.commentCount) - 1);
    heading.dataset.commentCount = String(n);
    heading.textContent = t("measure.comment_count", { Count: n });
  }
}

function onIdea(d) {
  const idea = d.idea;
  if (!idea) return;
  const list = document.querySelector(`[data-live-ideas="${idea.field_id}"]`);
  if (!list || !list.dataset.ideaSrc || list.querySelector(`[data-idea="${idea.id}"]`)) return;
  inserting = inserting.then(() => insertIdea(list, idea)).catch((e) => console.warn("live:", e));
}

async function insertIdea(list, idea) {
  const li = await fetchItem(list.dataset.ideaSrc + idea.id);
  if (!li || list.querySelector(`[data-idea="${idea.id}"]`)) return;
  list.append(li);
  reveal(list);
  announce(t("live.idea_published", { Title: idea.title }));
}

function setCounts(attr, counts) {
  for (const [k, v] of Object.entries(counts || {})) {
    for (const e of document.querySelectorAll(`[${attr}="${k}"]`)) e.textContent = String(v);
  }
}

function newItem(list, item) {
  if (!list || !item || list.querySelector(`[data-live-item="${item.kind}-${item.id}"]`)) return;
  const li = el("li", { class: "card live-new", "data-live-item": `${item.kind}-${item.id}` },
    el("p", { class: "meta" }, el("span", { class: "badge" }, t("live.new_item")), " ", el("span", { class: "badge" }, t(`kind.${item.kind}`))),
    el("p", {}, item.excerpt || ""),
    el("p", {}, el("a", { href: location.pathname + location.search }, t("live.reload"))));
  list.append(li);
  reveal(list);
}

function onQueue(d) {
  setCounts("data-queue-count", d.counts);
  newItem(document.querySelector("[data-queue-list]"), d.item);
  const c = d.counts || {};
  announce(t("live.queue", { Pending: c.pending, Reported: c.reported, Appealed: c.appealed }));
}

function onInbox(d) {
  setCounts("data-inbox-count", d.counts);
  newItem(document.querySelector("[data-inbox-list]"), d.item);
  const c = d.counts || {};
  announce(t("live.inbox", { New: c.new, InReview: c.in_review }));
}

const handlers = {
  "vote.tally": onTally,
  "comment.published": onComment,
  "comment.removed": onCommentRemoved,
  "idea.published": onIdea,
  "moderation.queue": onQueue,
  "expert.inbox": onInbox,
};

// Closes that reconnecting cannot fix.
const final = new Set([4400, 4403, 4429]);
let seq = null;
let delay = 1000;

function connect() {
  const q = new URLSearchParams({ topics: topics.join(",") });
  if (seq !== null) q.set("since", String(seq));
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/v1/live?${q}`);
  root.dataset.liveState = "connecting";
  ws.onmessage = (ev) => {
    let f;
    try { f = JSON.parse(ev.data); } catch (_) { return; }
    if (f.type === "ready" || f.type === "reset") {
      seq = f.seq;
      delay = 1000;
      root.dataset.liveState = "live";
      return;
    }
    if (typeof f.seq === "number" && (seq === null || f.seq > seq)) seq = f.seq;
    const h = handlers[f.type];
    if (h && f.data) {
      try { h(f.data); } catch (e) { console.warn("live:", e); }
    }
  };
  ws.onclose = (ev) => {
    if (final.has(ev.code)) {
      root.dataset.liveState = "off";
      return;
    }
    root.dataset.liveState = "offline";
    const wait = delay + Math.random() * delay;
    delay = Math.min(delay * 2, 30000);
    setTimeout(connect, wait);
  };
}

if (topics.length && "WebSocket" in window) connect();
