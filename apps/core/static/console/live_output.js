/*
 * Live output of a provisioning run or a job, on its admin page.
 *
 * The page's output container ([data-live-output]) names two addresses:
 *  - data-events-url: the API's events cursor; `?after=<seq>` returns the events after that seq,
 *    so the page resumes where it stopped after a network error or a restart of the web process;
 *  - data-status-url: the admin's status answer (status, finished, elapsed, and HTML fragments
 *    the server rendered and escaped, keyed by the id of the element each replaces).
 * It polls both about once a second while the run or job is active, backs off on errors, and
 * stops once it is finished. Why polling: docs/adr/0009-live-output-transport.md.
 *
 * Output text is never parsed as HTML: lines are built with createElement and textContent, and
 * ANSI colour codes become classes (every other escape sequence is dropped).
 */
(function () {
  "use strict";

  var PAGE_LIMIT = 1000; // the largest page the events cursor returns
  var MAX_BACKOFF_MS = 30000;
  var HIDDEN_POLL_MS = 5000; // a tab in the background asks less often
  var TASK_STARTS = ["playbook_on_task_start", "playbook_on_handler_task_start"];
  var PLAY_LEVEL = ["playbook_on_start", "playbook_on_play_start", "playbook_on_stats"];
  var RESULTS = {
    runner_on_ok: "ok",
    runner_on_failed: "failed",
    runner_on_unreachable: "unreachable",
    runner_on_skipped: "skipped",
  };
  var COUNTED = ["ok", "changed", "failed", "unreachable", "skipped", "ignored"];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // text, never markup
    return node;
  }

  // --- ANSI colour codes -----------------------------------------------------------------
  var ESCAPE = /\x1b\[([0-9;?]*)[ -\/]*([@-~])/g;
  var CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g; // what is left of other escapes, bells, carriage returns

  function applySgr(style, params) {
    var codes = params === "" ? [0] : params.split(";").map(Number);
    for (var i = 0; i < codes.length; i++) {
      var code = codes[i];
      if (code === 0) { style.fg = null; style.bg = null; style.bold = false; style.underline = false; }
      else if (code === 1) style.bold = true;
      else if (code === 22) style.bold = false;
      else if (code === 4) style.underline = true;
      else if (code === 24) style.underline = false;
      else if (code >= 30 && code <= 37) style.fg = code - 30;
      else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
      else if (code === 39) style.fg = null;
      else if (code >= 40 && code <= 47) style.bg = code - 40;
      else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
      else if (code === 49) style.bg = null;
      else if (code === 38 || code === 48) {
        // 256 colours (5;n) map onto the 16 when they are among them; true colour (2;r;g;b) is skipped.
        var colour = codes[i + 1] === 5 ? codes[i + 2] : null;
        i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0;
        if (colour !== null && colour < 16) style[code === 38 ? "fg" : "bg"] = colour;
      }
    }
  }

  function styledSpan(text, style) {
    var span = element("span", "", text.replace(CONTROL, ""));
    var classes = [];
    if (style.fg !== null) classes.push("ansi-fg-" + style.fg);
    if (style.bg !== null) classes.push("ansi-bg-" + style.bg);
    if (style.bold) classes.push("ansi-bold");
    if (style.underline) classes.push("ansi-underline");
    if (classes.length) span.className = classes.join(" ");
    return span;
  }

  /* Appends `text` (one line, may hold colour codes) to `parent` as styled spans. */
  function appendAnsi(parent, text, style) {
    var last = 0;
    var match;
    ESCAPE.lastIndex = 0;
    while ((match = ESCAPE.exec(text)) !== null) {
      if (match.index > last) parent.appendChild(styledSpan(text.slice(last, match.index), style));
      if (match[2] === "m") applySgr(style, match[1]);
      last = ESCAPE.lastIndex;
    }
    if (last < text.length) parent.appendChild(styledSpan(text.slice(last), style));
  }

  // --- Times and durations -----------------------------------------------------------------
  var zone = (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || "";
  var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  var fullTime = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short",
  });

  function durationText(milliseconds) {
    var seconds = Math.max(0, Math.round(milliseconds / 1000));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    seconds = seconds % 60;
    if (hours) return hours + " h " + minutes + " min " + seconds + " s";
    if (minutes) return minutes + " min " + seconds + " s";
    return seconds + " s";
  }

  /* The server's times (<time class="console-time" datetime=...>) in the browser's zone. */
  function localizeTimes(root) {
    var times = root.querySelectorAll("time.console-time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var moment = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(moment)) {
        times[i].title = times[i].textContent;
        times[i].textContent = fullTime.format(moment);
      }
    }
  }

  // --- The output, one <details> per task ----------------------------------------------------
  function Console(container) {
    this.container = container;
    this.root = element("div", "console-lines");
    this.task = null; // the task block events go to, or null between tasks
    this.attempt = null;
    this.style = { fg: null, bg: null, bold: false, underline: false };
    this.query = "";
    this.matches = document.getElementById("output-matches");
    this.started = false;
  }

  Console.prototype.start = function () {
    // The first page of events replaces what the server rendered (kept for a page without scripts).
    if (this.started) return;
    this.started = true;
    this.container.textContent = "";
    this.container.appendChild(this.root);
  };

  Console.prototype.closeTask = function (endedAt) {
    if (this.task && endedAt) this.task.end = endedAt;
    if (this.task) this.updateSummary(this.task);
    this.task = null;
  };

  Console.prototype.openTask = function (event, at) {
    var details = element("details", "console-task");
    var summary = element("summary");
    var counts = element("span", "console-task-counts");
    var duration = element("span", "console-task-duration");
    summary.appendChild(element("span", "console-task-name", event.task || "(unnamed task)"));
    summary.appendChild(counts);
    summary.appendChild(duration);
    details.appendChild(summary);
    this.root.appendChild(details);
    this.task = { details: details, counts: counts, duration: duration, start: at, end: at, tally: {}, hosts: {} };
  };

  Console.prototype.updateSummary = function (task) {
    var parts = [];
    for (var i = 0; i < COUNTED.length; i++) {
      var count = task.tally[COUNTED[i]] || 0;
      if (count) parts.push(count + " " + COUNTED[i]);
    }
    var hosts = Object.keys(task.hosts);
    var detail = hosts.slice(0, 5).map(function (host) { return host + ": " + task.hosts[host]; }).join(", ");
    if (hosts.length > 5) detail += ", …";
    task.counts.textContent = parts.length ? parts.join(", ") + (detail ? " (" + detail + ")" : "") : "no host results yet";
    task.duration.textContent = task.start && task.end ? durationText(task.end - task.start) : "";
  };

  Console.prototype.record = function (event, at) {
    var result = RESULTS[event.event];
    if (!this.task || !result) return;
    if (result === "failed" && !event.failed) result = "ignored"; // ignore_errors: Ansible goes on
    this.task.tally[result] = (this.task.tally[result] || 0) + 1;
    if (result === "ok" && event.changed) {
      this.task.tally.changed = (this.task.tally.changed || 0) + 1;
      result = "changed";
    }
    if (event.host) this.task.hosts[event.host] = result;
    if (result === "failed" || result === "unreachable") {
      this.task.details.open = true; // a failed task is what the operator came to read
      this.task.details.classList.add("console-task-failed");
    }
  };

  Console.prototype.addLine = function (parent, text, at, seq) {
    var line = element("div", "console-line");
    line.dataset.seq = seq;
    var stamp = element("span", "console-ts");
    if (at) {
      stamp.textContent = clock.format(at);
      stamp.title = fullTime.format(at);
    }
    var body = element("span", "console-text");
    appendAnsi(body, text, this.style);
    line.appendChild(stamp);
    line.appendChild(body);
    parent.appendChild(line);
    if (this.query) this.filterLine(line);
  };

  Console.prototype.add = function (event) {
    var at = event.created_at ? new Date(event.created_at) : null;
    if (at && isNaN(at)) at = null;
    if (event.attempt !== undefined && this.attempt !== null && event.attempt !== this.attempt) {
      this.closeTask(at);
      this.addLine(this.root, "--- attempt " + event.attempt + " ---", at, event.seq);
    }
    if (event.attempt !== undefined) this.attempt = event.attempt;
    if (TASK_STARTS.indexOf(event.event) >= 0) {
      this.closeTask(at);
      this.openTask(event, at);
    } else if (PLAY_LEVEL.indexOf(event.event) >= 0) {
      this.closeTask(at);
    }
    this.record(event, at);
    var parent = this.task ? this.task.details : this.root;
    var text = (event.stdout || "").replace(/^[\r\n]+|[\r\n]+$/g, "");
    if (text) {
      var lines = text.split(/\r?\n/);
      for (var i = 0; i < lines.length; i++) this.addLine(parent, lines[i], at, event.seq);
    }
    if (this.task) {
      if (at) this.task.end = at;
      this.updateSummary(this.task);
    }
  };

  Console.prototype.addPage = function (events) {
    var box = this.container;
    var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    if (!events.length) return; // "No output yet." stays until there is some
    this.start();
    for (var i = 0; i < events.length; i++) this.add(events[i]);
    if (atBottom) box.scrollTop = box.scrollHeight; // follow the output unless the operator scrolled up
    if (this.query) this.countMatches();
  };

  // --- The search box --------------------------------------------------------------------
  Console.prototype.filterLine = function (line) {
    var found = line.textContent.toLowerCase().indexOf(this.query) >= 0;
    line.hidden = !found;
    return found;
  };

  Console.prototype.countMatches = function () {
    var lines = this.root.querySelectorAll(".console-line");
    var shown = 0;
    for (var i = 0; i < lines.length; i++) if (!lines[i].hidden) shown++;
    var blocks = this.root.querySelectorAll("details.console-task");
    for (var j = 0; j < blocks.length; j++) {
      var any = blocks[j].querySelector(".console-line:not([hidden])") !== null;
      blocks[j].hidden = !any && blocks[j].querySelector("summary").textContent.toLowerCase().indexOf(this.query) < 0;
      if (any) blocks[j].open = true;
    }
    if (this.matches) this.matches.textContent = shown + (shown === 1 ? " line" : " lines");
  };

  Console.prototype.search = function (value) {
    var query = value.trim().toLowerCase();
    var blocks = this.root.querySelectorAll("details.console-task");
    if (query && !this.query) {
      for (var i = 0; i < blocks.length; i++) blocks[i].dataset.wasOpen = blocks[i].open ? "1" : "";
    }
    this.query = query;
    var lines = this.root.querySelectorAll(".console-line");
    if (!query) {
      for (var k = 0; k < lines.length; k++) lines[k].hidden = false;
      for (var b = 0; b < blocks.length; b++) {
        blocks[b].hidden = false;
        if (blocks[b].dataset.wasOpen !== undefined) blocks[b].open = blocks[b].dataset.wasOpen === "1";
      }
      if (this.matches) this.matches.textContent = "";
      return;
    }
    for (var n = 0; n < lines.length; n++) this.filterLine(lines[n]);
    this.countMatches();
  };

  // --- Polling -------------------------------------------------------------------------------
  function Follower(container) {
    this.container = container;
    this.console = new Console(container);
    this.eventsUrl = container.dataset.eventsUrl;
    this.statusUrl = container.dataset.statusUrl;
    this.after = parseInt(container.dataset.after || "0", 10) || 0;
    this.finished = container.dataset.finished === "true";
    this.wasActive = !this.finished;
    this.pollMs = parseInt(container.dataset.pollMs || "1000", 10) || 1000;
    this.statusElement = document.getElementById(container.dataset.statusElement || "");
    this.failures = 0;
    this.notice = element("p", "console-notice");
    this.notice.setAttribute("role", "status");
    this.notice.hidden = true;
    container.parentNode.insertBefore(this.notice, container);
  }

  function StopPolling(message) {
    this.message = message;
  }

  Follower.prototype.getJson = function (url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" }).then(
      function (response) {
        if (response.status === 401 || response.status === 403 || response.redirected) {
          throw new StopPolling("You were signed out or lost access: reload the page to follow it again.");
        }
        if (!response.ok) {
          var error = new Error("HTTP " + response.status);
          error.retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) * 1000;
          throw error;
        }
        return response.json();
      }
    );
  };

  /* Every event after the cursor, a page at a time; the cursor moves after each page is shown. */
  Follower.prototype.drainEvents = function () {
    var self = this;
    var separator = this.eventsUrl.indexOf("?") >= 0 ? "&" : "?";
    return this.getJson(this.eventsUrl + separator + "after=" + this.after + "&limit=" + PAGE_LIMIT).then(function (page) {
      self.console.addPage(page.events || []);
      if (typeof page.next_after === "number") self.after = page.next_after;
      if ((page.events || []).length >= PAGE_LIMIT) return self.drainEvents();
      return page;
    });
  };

  Follower.prototype.applyStatus = function (status) {
    var fragments = status.fragments || {};
    Object.keys(fragments).forEach(function (id) {
      var element = document.getElementById(id);
      if (!element) return;
      element.innerHTML = fragments[id]; // rendered and escaped by the server's templates
      localizeTimes(element);
    });
    if (this.statusElement) this.statusElement.dataset.status = status.status;
    this.container.dataset.finished = status.finished ? "true" : "false";
  };

  Follower.prototype.whenFinished = function () {
    var hidden = document.querySelectorAll("[data-live-active-only]");
    for (var i = 0; i < hidden.length; i++) {
      var item = hidden[i].closest("li") || hidden[i];
      item.hidden = true;
    }
    if (this.wasActive && this.statusElement) {
      // Retry and relaunch depend on how it ended: the page's buttons come with a reload.
      var reload = element("a", "console-reload", "Reload the page for its actions");
      reload.href = window.location.pathname;
      this.statusElement.appendChild(document.createTextNode(" · "));
      this.statusElement.appendChild(reload);
    }
  };

  Follower.prototype.tick = function () {
    var self = this;
    var work = this.drainEvents();
    if (!this.finished) {
      work = work
        .then(function () { return self.getJson(self.statusUrl); })
        .then(function (status) {
          self.applyStatus(status);
          if (!status.finished) return null;
          // Its last events were written before it was marked finished: read them, then stop.
          self.finished = true;
          return self.drainEvents();
        });
    }
    return work.then(
      function () {
        self.failures = 0;
        self.notice.hidden = true;
        if (self.finished) return self.whenFinished();
        self.schedule(document.hidden ? HIDDEN_POLL_MS : self.pollMs);
      },
      function (error) {
        if (error instanceof StopPolling) {
          self.notice.textContent = error.message;
          self.notice.hidden = false;
          return;
        }
        self.failures += 1;
        var wait = Math.min(MAX_BACKOFF_MS, self.pollMs * Math.pow(2, self.failures));
        wait = Math.max(wait, error.retryAfter || 0) * (0.8 + Math.random() * 0.4);
        self.notice.textContent =
          "Lost the connection (" + (error.message || "network error") + "): trying again in " +
          Math.round(wait / 1000) + " s, from where the output stopped.";
        self.notice.hidden = false;
        self.schedule(wait);
      }
    );
  };

  Follower.prototype.schedule = function (milliseconds) {
    var self = this;
    window.setTimeout(function () { self.tick(); }, milliseconds);
  };

  function setUp() {
    var zoneLabel = document.getElementById("output-timezone");
    if (zoneLabel && zone) zoneLabel.textContent = zone + " (your browser)";
    localizeTimes(document);
    var containers = document.querySelectorAll("[data-live-output]");
    for (var i = 0; i < containers.length; i++) {
      var follower = new Follower(containers[i]);
      var search = document.getElementById("output-search");
      if (search) {
        search.addEventListener("input", (function (output) {
          return function (event) { output.search(event.target.value); };
        })(follower.console));
      }
      follower.tick();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
