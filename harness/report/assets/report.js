/* The report's item browser. Reads the JSON blob in #report-data (harness.report.data's JSON
 * form: {models, sections}), draws one page of items at a time and filters on every change.
 * Every text goes in through textContent; nothing is fetched. When the first page is drawn,
 * window.reportReady = {ms: performance.now()} (also body[data-ready-ms]). */
(function () {
  "use strict";
  var OUTCOME_ORDER = ["win", "tie", "loss", "correct", "wrong", "10", "9", "8", "7", "6", "5", "4", "3", "2",
                       "1", "0", "unparsed", "error"];
  var KIND_HELP = {
    pairwise: "Judge preference between the reference answer and the model's (win = the model's is preferred).",
    games: "Two games per question, positions swapped; each game's verdict label is in the judge's A/B terms.",
    rating: "A 1–10 grade per turn from the judge, with its explanation.",
    exact: "The answer parsed from the model's output against the gold answer."
  };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function Browser(root, data) {
    this.root = root;
    this.sections = data.sections || [];
    this.states = [];
    this.current = -1;
    root.textContent = "";
    if (!this.sections.length) {
      root.appendChild(el("p", "empty", "No items in this report."));
      return;
    }
    var tabs = el("div", "tabs");
    tabs.setAttribute("role", "tablist");
    this.tabButtons = [];
    var self = this;
    this.sections.forEach(function (sec, i) {
      var b = el("button", "", (sec.title || sec.benchmark) + " (" + sec.items.length + ")");
      b.type = "button";
      b.setAttribute("data-section", sec.benchmark);
      b.addEventListener("click", function () { self.show(i); });
      tabs.appendChild(b);
      self.tabButtons.push(b);
    });
    root.appendChild(tabs);
    this.body = el("div", "section-body");
    root.appendChild(this.body);
    this.show(0);
  }

  Browser.prototype.show = function (i) {
    if (i === this.current) return;
    this.current = i;
    this.tabButtons.forEach(function (b, j) { b.className = j === i ? "active" : ""; });
    if (!this.states[i]) this.states[i] = new Section(this.sections[i]);
    this.body.textContent = "";
    this.body.appendChild(this.states[i].node);
  };

  function Section(sec) {
    this.sec = sec;
    this.filters = {category: "", model: "", outcome: "", disagree: false, failures: false, query: ""};
    this.page = 0;
    this.pageSize = 20;
    this.haystack = null;
    this.node = el("div", "section");
    this.node.setAttribute("data-benchmark", sec.benchmark);
    this.build();
    this.apply();
  }

  Section.prototype.build = function () {
    var sec = this.sec, self = this;
    var meta = el("div", "section-meta");
    var parts = [KIND_HELP[sec.kind] || ""];
    if (sec.judge) parts.push("Judge: " + sec.judge + ".");
    if (sec.reference_label) parts.push("Reference: " + sec.reference_label + ".");
    meta.textContent = parts.join(" ");
    this.node.appendChild(meta);
    (sec.notes || []).forEach(function (n) { self.node.appendChild(el("p", "warn", n)); });

    var c = el("div", "controls");
    this.catSelect = this.select(c, "Category", "category", uniq(sec.items.map(function (it) { return it.category; })));
    this.modelSelect = this.select(c, "Model", "model", sec.models, "all models");
    var outcomes = {};
    sec.items.forEach(function (it) {
      Object.keys(it.verdicts).forEach(function (m) {
        it.verdicts[m].forEach(function (v) { outcomes[v.outcome] = true; });
      });
    });
    var ordered = Object.keys(outcomes).sort(function (a, b) { return rank(a) - rank(b); });
    this.outcomeSelect = this.select(c, sec.kind === "rating" ? "Grade" : "Verdict", "outcome", ordered);
    this.disagreeBox = this.checkbox(c, "models disagree", "disagree");
    this.failureBox = this.checkbox(c, "parse failures", "failures");
    var search = el("input");
    search.type = "search";
    search.placeholder = "search question, answers, judge text";
    search.className = "search";
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        self.filters.query = search.value.trim().toLowerCase();
        self.page = 0;
        self.apply();
      }, 120);
    });
    var sl = el("label", "", "Search ");
    sl.appendChild(search);
    c.appendChild(sl);
    this.searchInput = search;
    this.node.appendChild(c);

    this.pager = el("div", "pager");
    this.prev = el("button", "prev", "‹ prev");
    this.next = el("button", "next", "next ›");
    this.prev.type = this.next.type = "button";
    this.count = el("span", "count");
    this.prev.addEventListener("click", function () { self.page -= 1; self.draw(); });
    this.next.addEventListener("click", function () { self.page += 1; self.draw(); });
    var size = document.createElement("select");
    size.className = "page-size";
    [10, 20, 50, 100].forEach(function (n) {
      var o = el("option", "", n + " per page");
      o.value = String(n);
      if (n === self.pageSize) o.selected = true;
      size.appendChild(o);
    });
    size.addEventListener("change", function () { self.pageSize = Number(size.value); self.page = 0; self.draw(); });
    [this.prev, this.count, this.next, size].forEach(function (n) { self.pager.appendChild(n); });
    this.node.appendChild(this.pager);
    this.list = el("div", "items");
    this.node.appendChild(this.list);
  };

  Section.prototype.select = function (parent, label, key, values, anyText) {
    var self = this;
    var s = document.createElement("select");
    s.className = "filter-" + key;
    var any = el("option", "", anyText || "any");
    any.value = "";
    s.appendChild(any);
    values.forEach(function (v) {
      if (v === "" || v === null || v === undefined) return;
      var o = el("option", "", v);
      o.value = v;
      s.appendChild(o);
    });
    s.addEventListener("change", function () { self.filters[key] = s.value; self.page = 0; self.apply(); });
    var l = el("label", "", label + " ");
    l.appendChild(s);
    parent.appendChild(l);
    if (values.filter(function (v) { return v; }).length === 0) l.style.display = "none";
    return s;
  };

  Section.prototype.checkbox = function (parent, label, key) {
    var self = this;
    var b = document.createElement("input");
    b.type = "checkbox";
    b.className = "filter-" + key;
    b.addEventListener("change", function () { self.filters[key] = b.checked; self.page = 0; self.apply(); });
    var l = el("label");
    l.appendChild(b);
    l.appendChild(document.createTextNode(" " + label));
    parent.appendChild(l);
    return b;
  };

  Section.prototype.text = function (it) {
    var parts = [it.item_id, it.category || ""].concat(it.turns, it.reference || [], [it.gold || ""]);
    Object.keys(it.answers).forEach(function (m) { parts = parts.concat(it.answers[m]); });
    Object.keys(it.verdicts).forEach(function (m) {
      it.verdicts[m].forEach(function (v) { parts.push(v.label || "", v.text || "", v.parsed || ""); });
    });
    return parts.join("\n").toLowerCase();
  };

  Section.prototype.matches = function (it, i) {
    var f = this.filters;
    if (f.category && it.category !== f.category) return false;
    if (f.disagree && !it.disagree) return false;
    var models = f.model ? [f.model] : Object.keys(it.verdicts);
    if (f.outcome || f.failures) {
      var hit = models.some(function (m) {
        return (it.verdicts[m] || []).some(function (v) {
          return (!f.outcome || v.outcome === f.outcome) && (!f.failures || v.parse_failure);
        });
      });
      if (!hit) return false;
    }
    if (f.query) {
      if (!this.haystack) this.haystack = this.sec.items.map(this.text, this);
      if (this.haystack[i].indexOf(f.query) < 0) return false;
    }
    return true;
  };

  Section.prototype.apply = function () {
    var self = this;
    this.visible = [];
    this.sec.items.forEach(function (it, i) { if (self.matches(it, i)) self.visible.push(it); });
    this.draw();
  };

  Section.prototype.draw = function () {
    var pages = Math.max(1, Math.ceil(this.visible.length / this.pageSize));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    var start = this.page * this.pageSize;
    var shown = this.visible.slice(start, start + this.pageSize);
    this.count.textContent = this.visible.length + " of " + this.sec.items.length + " items" +
      (this.visible.length ? " · page " + (this.page + 1) + " of " + pages : "");
    this.count.setAttribute("data-visible", String(this.visible.length));
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    var frag = document.createDocumentFragment();
    if (!shown.length) frag.appendChild(el("p", "empty", "No item matches these filters."));
    for (var k = 0; k < shown.length; k++) frag.appendChild(this.card(shown[k]));
    this.list.textContent = "";
    this.list.appendChild(frag);
  };

  Section.prototype.card = function (it) {
    var sec = this.sec;
    var card = el("article", "item");
    card.setAttribute("data-item-id", it.item_id);
    var head = el("div", "item-head");
    head.appendChild(el("span", "item-id", "#" + it.item_id));
    if (it.category) head.appendChild(el("span", "pill category", it.category));
    sec.models.forEach(function (m) {
      if (it.summary[m] === undefined) return;
      var s = el("span", "pill summary s-" + it.summary[m], m + ": " + it.summary[m]);
      s.setAttribute("data-model", m);
      head.appendChild(s);
    });
    if (it.disagree) head.appendChild(el("span", "pill disagree warn", "models disagree"));
    card.appendChild(head);
    var nTurns = Math.max(it.turns.length, 1);
    for (var t = 0; t < nTurns; t++) card.appendChild(this.turn(it, t, nTurns));
    if (it.gold !== null && it.gold !== undefined) card.appendChild(el("div", "gold", "Gold answer: " + it.gold));
    return card;
  };

  Section.prototype.turn = function (it, t, nTurns) {
    var sec = this.sec;
    var box = el("div", "turn");
    if (nTurns > 1) box.appendChild(el("h4", "turn-title", "Turn " + (t + 1)));
    var q = it.turns[t];
    box.appendChild(el("pre", "text question", q ? q : "(question not available)"));
    if (it.reference && it.reference[t] !== undefined && it.reference[t] !== null) {
      var d = el("details", "reference");
      d.appendChild(el("summary", "", sec.reference_label || "Reference answer"));
      d.appendChild(el("pre", "text", it.reference[t]));
      box.appendChild(d);
    }
    var grid = el("div", "answers");
    grid.style.gridTemplateColumns = "repeat(" + sec.models.length + ", minmax(260px, 1fr))";
    sec.models.forEach(function (m) {
      var col = el("div", "answer");
      col.setAttribute("data-model", m);
      col.appendChild(el("div", "model-name", m));
      var ans = it.answers[m];
      if (ans && ans[t] !== undefined) col.appendChild(el("pre", "text output", ans[t]));
      else col.appendChild(el("p", "muted", "no answer"));
      (it.verdicts[m] || []).forEach(function (v) {
        if ((v.turn || 1) === t + 1 || nTurns === 1) col.appendChild(verdictNode(v));
      });
      grid.appendChild(col);
    });
    box.appendChild(grid);
    return box;
  };

  function verdictNode(v) {
    var box = el("div", "verdict o-" + v.outcome);
    box.setAttribute("data-outcome", v.outcome);
    var line = el("div");
    if (v.game) line.appendChild(el("span", "muted", "game " + v.game + ": "));
    line.appendChild(el("span", "label", v.label || v.outcome));
    if (v.label && v.label !== v.outcome) line.appendChild(el("span", "muted", " (" + v.outcome + ")"));
    if (v.parse_failure) line.appendChild(el("span", "badge warn", "parse failure"));
    box.appendChild(line);
    if (v.parsed !== null && v.parsed !== undefined) box.appendChild(el("div", "parsed", "Parsed answer: " + v.parsed));
    if (v.note) box.appendChild(el("div", "muted", v.note));
    if (v.text) {
      var d = el("details", "judge-text");
      d.appendChild(el("summary", "", "judge's explanation"));
      d.appendChild(el("pre", "text", v.text));
      box.appendChild(d);
    }
    return box;
  }

  function uniq(values) {
    var seen = {}, out = [];
    values.forEach(function (v) { if (v && !seen[v]) { seen[v] = true; out.push(v); } });
    return out.sort();
  }

  function rank(outcome) {
    var i = OUTCOME_ORDER.indexOf(outcome);
    return i < 0 ? OUTCOME_ORDER.length : i;
  }

  function start() {
    var root = document.getElementById("browser");
    try {
      var data = JSON.parse(document.getElementById("report-data").textContent);
      window.reportBrowser = new Browser(root, data);
    } catch (err) {
      root.textContent = "";
      root.appendChild(el("p", "error-box", "The item browser failed: " + err));
      throw err;
    }
    var ms = performance.now();
    window.reportReady = {ms: ms};
    document.body.setAttribute("data-ready-ms", ms.toFixed(1));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
