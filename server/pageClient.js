/*
 * The page's script (server/pageHtml.ts inlines it into GET /). It polls GET /v1/overview every 2 s (polling, not
 * server-sent events: EventSource cannot send an Authorization header) and renders streams, incidents, silences and
 * a chart per stream as SVG drawn here (no library, nothing loaded from elsewhere). A token, when the service needs
 * one, is typed into the page, kept in sessionStorage (this tab only, gone when it closes) and sent as
 * `Authorization: Bearer`; it never goes into a URL. Actions call the service's routes: ack, label, silence add/remove.
 */
"use strict";
(function () {
  var POLL_MS = 2000;
  var TOKEN_KEY = "mlbox.token";
  var BY_KEY = "mlbox.by";
  var pinned = [];
  var snapshot = null;
  var timer = null;

  function $(id) { return document.getElementById(id); }
  function esc(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function num(x) { return x === null || x === undefined ? "" : String(Number(Number(x).toPrecision(4))); }
  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
  function operator() { return ($("by").value || "").trim() || "page"; }
  function timeText(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return num(value) + " s";
    return String(value).replace(/\.0+Z$/, "Z").replace(/(\.\d{3})\d*Z$/, "$1Z");
  }
  function secondsText(seconds, isTime) {
    if (!isTime) return num(seconds) + " s";
    var iso = new Date(Math.round(seconds * 1000)).toISOString();
    return iso.replace(/\.000Z$/, "Z");
  }
  function duration(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  function say(text, ok) {
    var el = $("message");
    el.textContent = text;
    el.className = ok ? "ok" : "";
  }

  function api(method, path, body) {
    var headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token() !== "") headers.authorization = "Bearer " + token();
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (response.status === 401) {
          $("token-form").style.display = "flex";
          throw new Error("the service needs a token: enter it above");
        }
        if (!response.ok) throw new Error(json.error || "HTTP " + response.status);
        return json;
      });
    });
  }

  function load() {
    clearTimeout(timer);
    var query = pinned.map(function (s) { return "chart=" + encodeURIComponent(s); }).join("&");
    api("GET", "/v1/overview" + (query ? "?" + query : "")).then(function (data) {
      snapshot = data;
      $("token-form").style.display = "none";
      render(data);
      $("status").textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC, every " + POLL_MS / 1000 + " s";
    }).catch(function (error) {
      $("status").textContent = "not updated: " + error.message;
    }).then(function () {
      timer = setTimeout(load, POLL_MS);
    });
  }

  function render(data) {
    $("served").textContent = "serving " + data.version + " (" + data.alias + ")";
    renderStreams(data);
    renderIncidents(data);
    renderSilences(data);
    renderCharts(data);
  }

  function badge(kind, text) { return '<span class="badge ' + esc(kind) + '">' + esc(text || kind) + "</span>"; }

  function renderStreams(data) {
    var rows = data.streams.map(function (s) {
      return '<tr data-stream="' + esc(s.stream) + '"><td>' + esc(s.stream) + "</td><td>" + badge(s.state) + (s.silenced ? " " + badge("silenced") : "") +
        "</td><td>" + esc(s.model_version) + (s.on_served ? " (" + esc(data.alias) + ")" : ' <span class="muted">moves to ' + esc(data.version) + " at its next request with no run in progress</span>") +
        "</td><td>" + s.open_incidents + "</td><td>" + esc(s.position_text) + '</td><td class="muted">' + esc(timeText(s.updated_at)) +
        '</td><td><button data-chart="' + esc(s.stream) + '">chart</button></td></tr>';
    });
    $("streams").innerHTML = "<tr><th>stream</th><th>state</th><th>version</th><th>open incidents</th><th>last sample</th><th>last scored (clock)</th><th></th></tr>" +
      (rows.join("") || '<tr><td colspan="7" class="muted">no stream scored yet</td></tr>') +
      (data.more_streams > 0 ? '<tr><td colspan="7" class="muted">and ' + data.more_streams + " more streams</td></tr>" : "");
  }

  function renderIncidents(data) {
    var rows = data.incidents.map(function (i) {
      var values = i.peaks.map(function (p) { return esc(p.name) + ": " + num(p.value) + " vs " + num(p.expected) + " (" + esc(p.level) + ")"; }).join("<br>");
      var top = i.contributions.map(function (c) { return esc(c.name) + " " + Math.round(100 * c.share) + "% (" + num(c.value) + ", expected " + num(c.expected) + ")"; }).join("<br>");
      var status = [];
      if (i.acked_at) status.push("acked by " + esc(i.acked_by) + ' <span class="muted">' + esc(timeText(i.acked_at)) + "</span>");
      if (i.label) status.push("label " + esc(i.label) + (i.note ? ": " + esc(i.note) : ""));
      if (i.silenced) status.push(badge("silenced"));
      return '<tr class="' + (i.open ? "open " + esc(i.severity) : "closed") + '" data-incident="' + esc(i.id) + '"><td>' + badge(i.severity) + " " + (i.open ? "open" : badge("closed")) +
        '</td><td>' + esc(i.stream) + '<div class="muted">' + esc(i.id) + "</div></td><td>" + esc(timeText(i.opened_at)) + (i.open ? "" : '<div class="muted">to ' + esc(timeText(i.closed_at)) + "</div>") +
        "</td><td>" + duration(i.age_seconds) + "</td><td>" + i.axes.map(function (a) { return esc(a.name); }).join(", ") + "</td><td>" + values + "</td><td>" + (top || '<span class="muted">–</span>') +
        '</td><td class="status">' + status.join("<br>") + "</td><td>" +
        (i.acked_at ? "" : '<button data-ack="' + esc(i.id) + '">ack</button> ') +
        '<button data-label="' + esc(i.id) + '">label…</button> <button data-silence="' + esc(i.id) + '">silence…</button></td></tr>';
    });
    $("incidents").innerHTML = "<tr><th>severity</th><th>stream / id</th><th>opened</th><th>age</th><th>axes</th><th>value vs expected</th><th>top contributors</th><th>status</th><th></th></tr>" +
      (rows.join("") || '<tr><td colspan="9" class="muted">no incidents</td></tr>');
  }

  function renderSilences(data) {
    var rows = data.silences.map(function (s) {
      return "<tr><td>" + s.id + "</td><td>" + esc(s.stream) + "</td><td>" + esc(s.axis_name || "every axis") + "</td><td>" + esc(s.from_text) + " → " + esc(s.to_text) +
        "</td><td>" + esc(s.reason) + '</td><td class="muted">' + esc(s.created_by) + '</td><td><button data-unsilence="' + s.id + '">remove</button></td></tr>';
    });
    $("silences").innerHTML = "<tr><th>id</th><th>stream</th><th>axis</th><th>window (data time)</th><th>reason</th><th>by</th><th></th></tr>" +
      (rows.join("") || '<tr><td colspan="7" class="muted">no silences</td></tr>');
  }

  var W = 300, H = 96, PAD = 4, BOTTOM = 14;
  function renderCharts(data) {
    $("charts").innerHTML = data.charts.map(function (chart) {
      var isTime = chart.time_type !== "float";
      var span = Math.max(chart.to - chart.from, 1e-9);
      var x = function (t) { return PAD + ((t - chart.from) / span) * (W - 2 * PAD); };
      var panels = chart.channels.map(function (channel) {
        var values = channel.max.concat(channel.min, [channel.alert, channel.error, 0, channel.lower_alert, channel.lower_error]).filter(function (v) { return v !== null && isFinite(v); });
        var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
        if (hi - lo < 1e-12) { hi += 1; lo -= 1; }
        var pad = (hi - lo) * 0.08; hi += pad; lo -= pad;
        var y = function (v) { return PAD + (1 - (v - lo) / (hi - lo)) * (H - BOTTOM - PAD); };
        var shade = chart.incidents.map(function (i) {
          return '<rect class="incident ' + esc(i.severity) + '" data-incident="' + esc(i.id) + '" x="' + x(i.from).toFixed(1) + '" y="0" width="' + Math.max(2, x(i.to) - x(i.from)).toFixed(1) + '" height="' + (H - BOTTOM) +
            '" fill="' + (i.severity === "error" ? "#c62828" : "#d98e04") + '" fill-opacity="0.18"><title>' + esc(i.id) + "</title></rect>";
        }).join("");
        var band = [], line = [], path = "";
        for (var k = 0; k < chart.t.length; k++) {
          var hiV = channel.max[k], loV = channel.min[k];
          if (hiV === null) { if (line.length) path += "M" + line.join("L"); line = []; continue; }
          line.push(x(chart.t[k]).toFixed(1) + "," + y(hiV).toFixed(1));
          band.push([x(chart.t[k]), y(hiV), y(loV)]);
        }
        if (line.length) path += "M" + line.join("L");
        var poly = band.map(function (b) { return b[0].toFixed(1) + "," + b[1].toFixed(1); }).concat(band.slice().reverse().map(function (b) { return b[0].toFixed(1) + "," + b[2].toFixed(1); })).join(" ");
        var limit = function (v, color, label) {
          if (v === null || !isFinite(v)) return "";
          return '<line class="limit" x1="0" x2="' + W + '" y1="' + y(v).toFixed(1) + '" y2="' + y(v).toFixed(1) + '" stroke="' + color + '" stroke-dasharray="4 3"><title>' + label + " " + num(v) + "</title></line>";
        };
        var ticks = '<text x="' + PAD + '" y="' + (H - 2) + '" font-size="10" fill="#666">' + esc(isTime ? secondsText(chart.from, true).slice(11) : secondsText(chart.from, false)) + "</text>" +
          '<text x="' + (W - PAD) + '" y="' + (H - 2) + '" font-size="10" fill="#666" text-anchor="end">' + esc(isTime ? secondsText(chart.to, true).slice(11) : secondsText(chart.to, false)) + "</text>";
        return '<div class="panel"><div class="name">' + esc(channel.name) + ' <span class="muted">alert ' + num(channel.alert) + ", error " + num(channel.error) + "</span></div>" +
          '<svg width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H + '">' + shade +
          (poly ? '<polygon points="' + poly + '" fill="#1e88e5" fill-opacity="0.15"/>' : "") + '<path class="statistic" d="' + path + '" fill="none" stroke="#1e88e5" stroke-width="1.2"/>' +
          limit(channel.alert, "#d98e04", "alert (MinC)") + limit(channel.error, "#c62828", "error (MaxC)") + limit(channel.lower_alert, "#d98e04", "lower alert") + limit(channel.lower_error, "#c62828", "lower error") +
          ticks + "</svg></div>";
      }).join("");
      return '<div class="chart" data-stream="' + esc(chart.stream) + '"><div><b>' + esc(chart.stream) + "</b> " + esc(chart.model_version) +
        ' <span class="muted">' + esc(chart.from_text) + " → " + esc(chart.to_text) + (isTime ? " (UTC)" : "") + "; each point the min–max over " +
        (chart.point_seconds > 0 ? "≤ " + num(chart.point_seconds) + " s" : "one sample") + "; shaded: incidents</span></div><div class=\"panels\">" + panels + "</div></div>";
    }).join("") + (data.uncharted > 0 ? '<p class="muted">' + data.uncharted + " streams not charted (none scored since the service started, or beyond the first 12): press chart in the streams table</p>" : "");
  }

  function find(id) { return snapshot && snapshot.incidents.filter(function (i) { return i.id === id; })[0]; }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement) || target.tagName !== "BUTTON") return;
    var d = target.dataset;
    if (d.ack) {
      api("POST", "/v1/incidents/" + encodeURIComponent(d.ack) + "/ack", { by: operator() }).then(function () { say("acknowledged " + d.ack, true); load(); }, function (e) { say(e.message); });
    } else if (d.label) {
      $("label-form").style.display = "flex";
      $("label-id").value = d.label;
      $("label-what").textContent = d.label;
    } else if (d.silence) {
      var i = find(d.silence);
      if (!i) return;
      $("silence-stream").value = i.stream;
      $("silence-axis").value = "";
      $("silence-from").value = typeof i.opened_at === "number" ? String(i.opened_seconds) : secondsText(i.opened_seconds, true);
      $("silence-to").value = typeof i.opened_at === "number" ? String(i.opened_seconds + 3600) : secondsText(i.opened_seconds + 3600, true);
      $("silence-reason").focus();
    } else if (d.unsilence) {
      api("DELETE", "/v1/silences/" + encodeURIComponent(d.unsilence)).then(function () { say("removed silence " + d.unsilence, true); load(); }, function (e) { say(e.message); });
    } else if (d.chart) {
      if (pinned.indexOf(d.chart) < 0) pinned.push(d.chart);
      load();
    }
  });

  $("label-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("label-id").value;
    var note = $("label-note").value.trim();
    api("POST", "/v1/incidents/" + encodeURIComponent(id) + "/label", { label: $("label-value").value, note: note === "" ? null : note, by: operator() }).then(function () {
      say("labelled " + id, true);
      $("label-form").style.display = "none";
      $("label-note").value = "";
      load();
    }, function (e) { say(e.message); });
  });
  $("label-cancel").addEventListener("click", function () { $("label-form").style.display = "none"; });

  $("silence-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var axis = $("silence-axis").value.trim();
    api("POST", "/v1/silences", { stream: $("silence-stream").value.trim(), axis: axis === "" ? null : axis, from: $("silence-from").value.trim(), to: $("silence-to").value.trim(), reason: $("silence-reason").value, by: operator() }).then(function (s) {
      say("added silence " + s.id, true);
      $("silence-reason").value = "";
      load();
    }, function (e) { say(e.message); });
  });

  $("token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    $("token-form").style.display = "none";
    load();
  });
  $("by").value = sessionStorage.getItem(BY_KEY) || "";
  $("by").addEventListener("change", function () { sessionStorage.setItem(BY_KEY, $("by").value.trim()); });
  load();
})();
