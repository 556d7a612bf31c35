// Touchbase: the small amount of script the server-rendered pages need.
(function () {
  "use strict";

  // Preselect the browser's time zone in forms that ask for one.
  function fillTimezone(root) {
    var fields = root.querySelectorAll("[data-browser-timezone]");
    if (!fields.length) { return; }  // Intl's first use is slow on a phone: only when needed
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    fields.forEach(function (el) {
      if (!el.value && zone) {
        if (el.tagName === "SELECT") {
          var option = el.querySelector('option[value="' + zone.replace(/"/g, "") + '"]');
          if (option) { el.value = zone; }
        } else {
          el.value = zone;
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { fillTimezone(document); });
  document.addEventListener("htmx:load", function (event) { fillTimezone(event.target); });
})();

// == Touches: toasts, one at a time ==
// Every toast (undo, badge, outbox, message) goes into #toasts; only the first is shown, the next
// one after it has left. Each stays for its data-toast-seconds once shown — but an undo toast's
// window runs from the moment the touch was logged (the server refuses a late undo), so one that
// waited shows only its remaining seconds, or not at all when they have run out.
// A toast never covers a field that asks for input: while one is focused, or the on-screen
// keyboard is up (the visual viewport shorter than the layout viewport), toasts show at the top;
// when the field itself sits up there, they wait until it loses focus.
(function () {
  "use strict";

  var LEAVE_MS = 250;
  var MIN_UNDO_MS = 1500;

  function area() { return document.getElementById("toasts"); }

  function toastsIn(box) {
    return Array.prototype.filter.call(box.children, function (el) { return el.classList.contains("toast"); });
  }

  function leave(toast) {
    if (toast.classList.contains("leaving")) { return; }
    toast.classList.add("leaving");
    window.setTimeout(function () { toast.remove(); }, LEAVE_MS);
  }

  function show(toast) {
    toast.classList.remove("queued");
    if (toast.hasAttribute("data-armed")) { return; }
    toast.setAttribute("data-armed", "");
    var ms = (parseFloat(toast.getAttribute("data-toast-seconds")) || 4) * 1000;
    if (toast.querySelector("[data-testid=undo]")) {
      ms -= Date.now() - (toast.tbAddedAt || Date.now());
      if (ms < MIN_UNDO_MS) { toast.remove(); return; }
    }
    window.setTimeout(function () { leave(toast); }, ms);
  }

  function editingField() {
    var el = document.activeElement;
    if (!el || !el.matches) { return null; }
    if (el.matches("textarea, select, [contenteditable=''], [contenteditable=true]") ||
        (el.matches("input") && !el.matches("[type=button], [type=submit], [type=reset], [type=checkbox], [type=radio], [type=hidden]"))) {
      return el;
    }
    return null;
  }

  function keyboardUp() {
    var vv = window.visualViewport;
    return !!vv && vv.height < window.innerHeight - 120;
  }

  function place(box) {
    var field = editingField();
    var top = !!field || keyboardUp();
    box.classList.toggle("toasts-top", top);
    var wait = false;
    if (top && field) {
      var current = toastsIn(box).filter(function (t) { return !t.classList.contains("queued"); })[0];
      if (current) {
        var a = box.getBoundingClientRect();
        var b = field.getBoundingClientRect();
        wait = a.bottom > b.top && a.top < b.bottom;
      }
    }
    box.classList.toggle("toasts-wait", wait);
  }

  function sync() {
    var box = area();
    if (!box) { return; }
    var list = toastsIn(box);
    var now = Date.now();
    list.forEach(function (toast) { if (!toast.tbAddedAt) { toast.tbAddedAt = now; } });
    var shown = false;
    list.forEach(function (toast) {
      if (!toast.isConnected) { return; }
      if (!shown) {
        show(toast);
        shown = toast.isConnected;  // an undo toast past its window is dropped: the next one is first
      } else {
        toast.classList.add("queued");
      }
    });
    place(box);
  }

  function watch() {
    var box = area();
    if (!box || box.tbWatched) { return; }
    box.tbWatched = true;
    new MutationObserver(sync).observe(box, { childList: true });
    sync();
  }

  function replace() { var box = area(); if (box) { place(box); } }

  document.addEventListener("DOMContentLoaded", watch);
  document.addEventListener("htmx:load", watch);
  document.addEventListener("focusin", replace);
  document.addEventListener("focusout", function () { window.setTimeout(replace, 0); });
  window.addEventListener("scroll", function () { if (editingField()) { replace(); } }, { passive: true });
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", replace);
    window.visualViewport.addEventListener("scroll", replace);
  }

  // A plain text toast, e.g. from the offline outbox; it waits its turn like the others.
  window.TouchbaseToast = function (text, seconds, testid) {
    var box = area();
    if (!box || !text) { return null; }
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("data-toast-seconds", String(seconds || 4));
    if (testid) { el.setAttribute("data-testid", testid); }
    var span = document.createElement("span");
    span.textContent = text;
    el.appendChild(span);
    box.appendChild(el);
    return el;
  };
})();

// == Accounts: copy a shown-once secret (invite link, API token) ==
// The secret sits in a read-only input next to a [data-copy] button; focusing the input selects
// it all, so copying by hand works too when the Clipboard API is unavailable (plain http).
(function () {
  "use strict";

  function secretInput(el) {
    var box = el.closest(".secret");
    return box ? box.querySelector("input[readonly]") : null;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = secretInput(button);
    if (!input) { return; }
    var done = function () {
      var label = button.getAttribute("data-copied-label");
      if (label) { button.textContent = label; }
    };
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected for a manual copy */ }
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".secret input[readonly]")) { event.target.select(); }
  });
})();

// == Push: the service worker, and "Reminders on this device" ==
// The worker (/sw.js) is registered on every page so that pushes can be shown. Permission is
// asked only in the tap handler of [data-push-enable] (iOS allows nothing else), and on iOS only
// inside the app added to the Home Screen. The subscription goes to the API with the CSRF token
// that <body hx-headers> carries.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* no push on this page load */ });
    });
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function sameKey(buffer, bytes) {
    if (!buffer) { return true; }
    var have = new Uint8Array(buffer);
    if (have.length !== bytes.length) { return false; }
    for (var i = 0; i < have.length; i++) { if (have[i] !== bytes[i]) { return false; } }
    return true;
  }

  function isIos() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function isStandalone() {
    return window.navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
  }

  function show(box, name) {
    box.querySelectorAll("[data-push-msg]").forEach(function (el) { el.hidden = el.getAttribute("data-push-msg") !== name; });
  }

  function showButtons(box, subscribed) {
    var on = box.querySelector("[data-push-enable]");
    var off = box.querySelector("[data-push-disable]");
    if (on) { on.hidden = subscribed; }
    if (off) { off.hidden = !subscribed; }
  }

  function send(url, method, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok && response.status !== 404) { throw new Error("HTTP " + response.status); }
      return response;
    });
  }

  function devicesChanged() {
    document.body.dispatchEvent(new CustomEvent("push-subscribed", { bubbles: true }));
  }

  function subscribe(registration, key) {
    return registration.pushManager.getSubscription().then(function (existing) {
      if (existing && sameKey(existing.options && existing.options.applicationServerKey, key)) { return existing; }
      var ready = existing ? existing.unsubscribe() : Promise.resolve();
      return ready.then(function () {
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      });
    });
  }

  function enable(box) {
    if (isIos() && !isStandalone()) { show(box, "ios"); return; }
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      show(box, "unsupported");
      return;
    }
    var key = keyBytes(box.getAttribute("data-vapid-key"));
    Promise.resolve(Notification.requestPermission()).then(function (permission) {
      if (permission !== "granted") { show(box, "denied"); return null; }
      return navigator.serviceWorker.register("/sw.js")
        .then(function () { return navigator.serviceWorker.ready; })
        .then(function (registration) { return subscribe(registration, key); })
        .then(function (subscription) {
          var body = typeof subscription.toJSON === "function" ? subscription.toJSON() : subscription;
          return send(box.getAttribute("data-subscribe-url"), "POST", body);
        })
        .then(function () { show(box, "on"); showButtons(box, true); devicesChanged(); });
    }).catch(function () { show(box, "error"); });
  }

  function disable(box) {
    navigator.serviceWorker.getRegistration("/").then(function (registration) {
      return registration ? registration.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      if (!subscription) { return null; }
      return send(box.getAttribute("data-subscribe-url"), "DELETE", { endpoint: subscription.endpoint })
        .then(function () { return subscription.unsubscribe(); });
    }).then(function () { show(box, "off"); showButtons(box, false); devicesChanged(); })
      .catch(function () { show(box, "error"); });
  }

  function init(root) {
    var box = root.querySelector ? root.querySelector("[data-push]") : null;
    if (!box || box.hasAttribute("data-push-ready")) { return; }
    box.setAttribute("data-push-ready", "");
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { return; }
    navigator.serviceWorker.getRegistration("/").then(function (registration) {
      return registration ? registration.pushManager.getSubscription() : null;
    }).then(function (subscription) { showButtons(box, !!subscription); }, function () { /* keep "Turn on" */ });
  }

  document.addEventListener("click", function (event) {
    var on = event.target.closest("[data-push-enable]");
    var off = event.target.closest("[data-push-disable]");
    var box = (on || off) ? (on || off).closest("[data-push]") : null;
    if (!box) { return; }
    if (on) { enable(box); } else { disable(box); }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();

// == Offline: the app shell, and touches logged without a connection ==
// The service worker (/sw.js) keeps the static shell and an offline page; this section tells
// it the page's language and clears its caches on sign-out. A touch logged while offline (or
// whose request never got through) goes into the outbox (static/js/outbox.js, IndexedDB) with
// the form's client_id, shows at once under "Waiting to send", and is sent by Background Sync,
// on the "online" event or at the next page load — whichever comes first; a Web Lock in
// outbox.js lets only one of them send, and the client_id makes any repeat harmless.
(function () {
  "use strict";

  var USER_KEY = "touchbase.user";
  var outbox = function () { return window.TouchbaseOutbox; };

  // A copy of the page the service worker kept for reading offline (sw.js, "Pages read offline").
  function offlineCopy() { return document.documentElement.hasAttribute("data-offline-copy"); }

  function showSavedAt() {
    var banner = document.querySelector("[data-offline-banner][data-saved-at]");
    var saved = banner && parseInt(banner.getAttribute("data-saved-at"), 10);
    if (!saved) { return; }
    document.documentElement.setAttribute("data-offline-copy", "");
    var lang = document.documentElement.lang || undefined;
    var sameDay = new Date(saved).toDateString() === new Date().toDateString();
    var when;
    try {
      when = new Intl.DateTimeFormat(lang, sameDay ? { hour: "2-digit", minute: "2-digit" }
        : { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(new Date(saved));
    } catch (e) { when = new Date(saved).toLocaleString(); }
    banner.textContent = (banner.getAttribute("data-msg") || "%(time)s").replace("%(time)s", when);
    banner.hidden = false;
  }

  // A kept copy holds no CSRF token: once there is a connection, take the session's current one.
  function refreshTokens() {
    return fetch("/pwa/session", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (session) {
        if (!session || !session.csrf_token) { return; }
        document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": session.csrf_token }));
        document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) { input.value = session.csrf_token; });
      }).catch(function () { /* still offline: the outbox takes the touches */ });
  }

  function box() { return document.querySelector("[data-outbox]"); }

  function currentUser() {
    var el = box();
    var id = el && el.getAttribute("data-user-id");
    if (id) { return parseInt(id, 10); }
    try { return parseInt(window.localStorage.getItem(USER_KEY) || "", 10) || null; } catch (e) { return null; }
  }

  function rememberUser() {
    var el = box();
    var id = el && el.getAttribute("data-user-id");
    if (!id) { return; }
    try { window.localStorage.setItem(USER_KEY, id); } catch (e) { /* private mode: the outbox still works on live pages */ }
  }

  function msg(name, fallback) {
    var el = box();
    return (el && el.getAttribute("data-msg-" + name)) || fallback || "";
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function toast(text) {
    if (window.TouchbaseToast) { window.TouchbaseToast(text, 6, "outbox-toast"); }
  }

  function fillClientIds(root) {
    if (!outbox() || !root.querySelectorAll) { return; }
    root.querySelectorAll("input[data-client-id]").forEach(function (input) {
      if (!input.value) { input.value = outbox().newId(); }
    });
  }

  function timeLabel(ms) {
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined,
        { weekday: "short", hour: "2-digit", minute: "2-digit" }).format(new Date(ms));
    } catch (e) { return new Date(ms).toLocaleString(); }
  }

  function reasonOf(item) {
    var error = item.error || {};
    var parts = (error.fields || []).filter(function (text) { return text && text !== error.message; });
    var reason = [error.message].concat(parts).filter(Boolean).join(" ");
    return msg("rejected", "%(reason)s").replace("%(reason)s", reason || msg("unknown"));
  }

  function renderItem(item) {
    var li = document.createElement("li");
    li.className = "outbox-item";
    li.setAttribute("data-testid", "outbox-item");
    li.setAttribute("data-state", item.state);
    var icon = document.createElement("span");
    icon.className = "touch-icon";
    icon.setAttribute("aria-hidden", "true");
    var ref = (item.label && item.label.icon) || "";
    if (ref.indexOf("#") > 0) {
      var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("class", "icon");
      var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
      use.setAttribute("href", ref);
      svg.appendChild(use);
      icon.appendChild(svg);
    } else {
      icon.textContent = ref;  // a touch queued before the icons were drawn from the sprite
    }
    var text = document.createElement("div");
    text.className = "touch-text";
    var strong = document.createElement("strong");
    strong.textContent = (item.label && item.label.kind) || item.body.kind;
    text.appendChild(strong);
    text.appendChild(document.createTextNode(" · " + ((item.label && item.label.customer) || "")));
    var meta = document.createElement("div");
    meta.className = "hint";
    meta.textContent = timeLabel(item.queued_at) + (item.state === "rejected" ? "" : " · " + msg("waiting"));
    text.appendChild(meta);
    li.appendChild(icon);
    li.appendChild(text);
    if (item.state === "rejected") {
      var why = document.createElement("p");
      why.className = "error";
      why.setAttribute("data-testid", "outbox-reason");
      why.textContent = reasonOf(item);
      text.appendChild(why);
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "button small";
      dismiss.setAttribute("data-outbox-dismiss", item.client_id);
      dismiss.textContent = msg("dismiss", "Dismiss");
      var sr = document.createElement("span");
      sr.className = "sr-only";
      sr.textContent = " " + strong.textContent + " · " + ((item.label && item.label.customer) || "");
      dismiss.appendChild(sr);
      li.appendChild(dismiss);
    }
    return li;
  }

  function render() {
    var el = box();
    if (!el || !outbox()) { return Promise.resolve([]); }
    var user = currentUser();
    return outbox().all().then(function (items) {
      var mine = items.filter(function (item) { return user !== null && item.user_id === user; });
      var list = el.querySelector("[data-outbox-list]");
      list.replaceChildren.apply(list, mine.map(renderItem));
      el.hidden = mine.length === 0;
      return mine;
    }).catch(function () { return []; });
  }

  function refreshPage(result) {
    render();
    if (result && result.moments && result.moments.length && window.TouchbaseMoments) {
      window.TouchbaseMoments.celebrate(result.moments);
    }
    if (result && result.sent) {
      toast(msg("sent"));
      if (window.htmx) { window.htmx.trigger(document.body, "touch-logged", { action: "replayed" }); }
    }
  }

  function replay() {
    if (!outbox()) { return Promise.resolve(null); }
    return outbox().replay().then(function (result) { refreshPage(result); return result; },
      function () { render(); return null; });
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.sync ? registration.sync.register("touch-queue") : null;
    }).catch(function () { /* no Background Sync: the "online" event and the next page load send it */ });
  }

  // The kind's words, and its icon: the sprite reference of the button's <svg><use>.
  function kindLabel(button) {
    var use = button.querySelector("svg use");
    return { icon: use ? use.getAttribute("href") : "", kind: button.textContent.trim() };
  }

  // Put the form's touch into the outbox. Returns false when it cannot (then the form goes on).
  function queue(form, kind) {
    var user = currentUser();
    if (!outbox() || !user || !kind) { return false; }
    var note = (form.elements.note && form.elements.note.value || "").trim();
    if (kind === "other" && !note) {
      toast(msg("note"));
      if (form.elements.note) { form.elements.note.closest("details").open = true; form.elements.note.focus(); }
      return true;
    }
    var checked = form.querySelector('input[name="days_back"]:checked');
    var daysBack = checked ? parseInt(checked.value, 10) || 0 : 0;
    var dayInput = form.querySelector("input[data-log-day]");
    if (dayInput && dayInput.value && dayInput.max) {
      // A picked day counts back from the rep's today (the picker's max), as the server counts.
      var picked = Date.parse(dayInput.value + "T00:00:00Z");
      var today = Date.parse(dayInput.max + "T00:00:00Z");
      if (!isNaN(picked) && !isNaN(today)) { daysBack = Math.round((today - picked) / 86400000); }
    }
    var idInput = form.querySelector("input[data-client-id]");
    var clientId = (idInput && idInput.value) || outbox().newId();
    var button = form.querySelector('button[name="kind"][value="' + kind.replace(/"/g, "") + '"]');
    var label = button ? kindLabel(button) : { icon: "", kind: kind };
    var direction = form.elements.direction && form.elements.direction.checked ? "in" : "out";
    var item = {
      client_id: clientId,
      user_id: user,
      csrf_token: csrfToken(),
      queued_at: Date.now(),
      state: "waiting",
      label: { icon: label.icon, kind: label.kind, customer: form.getAttribute("data-customer-name") || "" },
      body: {
        customer_id: parseInt(form.elements.customer_id.value, 10),
        kind: kind,
        note: note || null,
        direction: direction,
        client_id: clientId,
        occurred_at: outbox().isoWithOffset(new Date(Date.now() - daysBack * 86400000))
      }
    };
    outbox().add(item).then(function () {
      if (idInput) { idInput.value = outbox().newId(); }  // the next touch is another touch
      if (form.elements.note) { form.elements.note.value = ""; }
      if (dayInput) { dayInput.value = ""; }
      var panel = form.closest("details.logtouch-panel");
      if (panel) { panel.open = false; }
      return render();
    }).then(function () {
      toast(msg("queued"));
      askForSync();
      if (navigator.onLine) { replay(); }  // the request failed although "online": try once more now
    });
    return true;
  }

  // Offline, or on a copy kept for reading offline: keep the touch instead of sending the form
  // (before htmx sees the submit); the outbox sends it with a fresh token.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(".logtouch-form") || (navigator.onLine !== false && !offlineCopy())) { return; }
    var kind = event.submitter && event.submitter.name === "kind" ? event.submitter.value : "";
    if (queue(form, kind)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // The request never got an answer: queue the same touch (same client_id, so if it did arrive,
  // the replay finds it stored); a boosted page load falls back to a real one (the offline page).
  document.addEventListener("htmx:sendError", function (event) {
    var detail = event.detail || {};
    var elt = detail.elt;
    var form = elt && elt.closest ? elt.closest(".logtouch-form") : null;
    var config = detail.requestConfig || {};
    if (form && config.formData) {
      queue(form, config.formData.get("kind") || "");
    } else if (config.boosted && config.verb === "get" && config.path) {
      window.location.assign(config.path);
    }
  });

  // "When": a picked day of the last 7 and the today / yesterday / 2 days ago buttons exclude
  // each other (the server takes the picked day when both come).
  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.closest && target.closest(".logtouch-form");
    if (!form) { return; }
    if (target.matches("input[data-log-day]") && target.value) {
      form.querySelectorAll('input[name="days_back"]').forEach(function (radio) { radio.checked = false; });
    } else if (target.matches('input[name="days_back"]')) {
      var day = form.querySelector("input[data-log-day]");
      if (day) { day.value = ""; }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-outbox-dismiss]");
    if (!button || !outbox()) { return; }
    outbox().dismiss(button.getAttribute("data-outbox-dismiss")).then(render);
  });

  // Sign-out: no cached file may outlive the session on a shared device.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.getAttribute || !/\/logout$/.test(form.getAttribute("action") || "")) { return; }
    // htmx keeps snapshots of visited pages for the back button: they are this rep's pages.
    try { window.localStorage.removeItem(USER_KEY); window.sessionStorage.removeItem("htmx-history-cache"); } catch (e) { /* nothing kept */ }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "logout" });
    }
    if (window.caches) {
      caches.keys().then(function (names) {
        names.forEach(function (name) { if (name.indexOf("touchbase-") === 0) { caches.delete(name); } });
      });
    }
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") { refreshPage(event.data.result); }
    });
  }

  window.addEventListener("online", function () {
    replay();
    if (offlineCopy()) { refreshTokens(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    showSavedAt();
    if (offlineCopy() && navigator.onLine !== false) { refreshTokens(); }
    rememberUser();
    fillClientIds(document);
    render().then(function (mine) {
      if (mine.some(function (item) { return item.state !== "rejected"; }) && navigator.onLine !== false) { replay(); }
    });
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) { registration.active.postMessage({ type: "shell", lang: document.documentElement.lang }); }
      });
    }
  });
  document.addEventListener("htmx:load", function (event) {
    fillClientIds(event.target);
    if (event.target === document.body || (event.target.querySelector && event.target.querySelector("[data-outbox]"))) { render(); }
  });
})();

// == Team: kudos from the radar ==
// With htmx the confirmation opens inside the rep's radar row; "Cancel" closes it there instead
// of loading the team page again (without JavaScript it is a link back to the radar).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-kudos-cancel]");
    var slot = cancel && cancel.closest(".kudos-slot");
    if (!slot) { return; }
    event.preventDefault();
    var opener = slot.closest(".radar-row") && slot.closest(".radar-row").querySelector("[data-testid=radar-kudos]");
    slot.replaceChildren();
    if (opener) { opener.focus(); }
  });
})();

// == Customers: import ==
// "Pick from your phone" exists only where the Contact Picker API does (Android Chrome): the
// form is rendered hidden and shown here, so no browser shows a button that cannot work. The
// picked contacts go as JSON to the same preview as an uploaded file. In the preview, "All
// duplicates" sets every row's choice at once (without script the server applies it).
(function () {
  "use strict";

  function hasPicker() {
    return "contacts" in navigator && "ContactsManager" in window && typeof navigator.contacts.select === "function";
  }

  function initPicker(root) {
    if (!root.querySelectorAll || !hasPicker()) { return; }
    root.querySelectorAll("form[data-contact-picker]").forEach(function (form) { form.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-contact-picker-open]");
    if (!button || !hasPicker()) { return; }
    var form = button.closest("form");
    navigator.contacts.select(["name", "email", "tel"], { multiple: true }).then(function (contacts) {
      if (!contacts || !contacts.length) { return; }
      form.elements.picked.value = JSON.stringify(contacts.map(function (contact) {
        return { name: contact.name || [], email: contact.email || [], tel: contact.tel || [] };
      }));
      form.requestSubmit();
    }).catch(function () { /* the rep closed the picker */ });
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-import-all]") && target.value) {
      document.querySelectorAll('[data-import-choice] input[type="radio"]').forEach(function (radio) {
        radio.checked = radio.value === target.value || (target.value === "merge" && radio.value === "skip" &&
          !radio.closest("[data-import-choice]").querySelector('input[value="merge"]'));
      });
    } else if (target.matches && target.matches('[data-import-choice] input[type="radio"]')) {
      var all = document.querySelector("select[data-import-all]");
      if (all) { all.value = ""; }
    }
  });

  document.addEventListener("DOMContentLoaded", function () { initPicker(document); });
  document.addEventListener("htmx:load", function (event) { initPicker(event.target); });
})();

// == Trends: print a 1:1 sheet ==
// The Print button is shown only where this script runs (without it, the browser's own print
// command still works). Before printing, the charts' number tables are opened, so the paper
// holds the figures too; afterwards they close again.
(function () {
  "use strict";

  function arm(root) {
    root.querySelectorAll("[data-print][hidden]").forEach(function (button) { button.hidden = false; });
  }

  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.slice.call(document.querySelectorAll("details.chart-data:not([open])"));
    opened.forEach(function (el) { el.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("htmx:load", function (event) { arm(event.target); });
})();

// == Forms: live length counters ==
// A text field with data-max-chars has no maxlength, so the browser never cuts what is typed or
// pasted; its counter (<p id="<field id>-count">, in the field's aria-describedby) shows the
// count, and says how many characters are too many. The server refuses a text that is too long,
// with a message next to the field. Screen readers hear the count only when it matters: a polite
// announcement when few characters are left, and when the text becomes too long.
(function () {
  "use strict";

  function words() { return document.getElementById("counter-texts"); }

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (_match, key) { return values[key]; });
  }

  function number(n) {
    try { return new Intl.NumberFormat(document.documentElement.lang || undefined).format(n); } catch (e) { return String(n); }
  }

  // What the server receives: characters (not UTF-16 units), and a line break in a text area as
  // CR LF, as forms send it.
  function length(field) {
    var value = field.value || "";
    var count = Array.from(value).length;
    if (field.tagName === "TEXTAREA") { count += (value.match(/\n/g) || []).length; }
    return count;
  }

  function update(field, announce) {
    var counter = document.getElementById(field.id + "-count");
    var texts = words();
    var max = parseInt(field.getAttribute("data-max-chars"), 10);
    if (!counter || !texts || !max) { return; }
    var count = length(field);
    var left = max - count;
    var values = { count: number(count), max: number(max), over: number(-left), left: number(left) };
    var state = left < 0 ? "over" : (left <= Math.max(10, Math.floor(max / 10)) ? "near" : "ok");
    counter.textContent = fill(texts.getAttribute(state === "over" ? "data-over" : "data-count"), values);
    counter.classList.toggle("over", state === "over");
    counter.classList.toggle("near", state === "near");
    if (announce && field.getAttribute("data-counter-state") !== state) {
      var live = document.getElementById("counter-live");
      var text = "";
      if (state === "over") { text = counter.textContent; }
      else if (state === "near") { text = fill(texts.getAttribute(left === 1 ? "data-left-one" : "data-left"), values); }
      if (live && text) { live.textContent = text; }
    }
    field.setAttribute("data-counter-state", state);
  }

  function init(root) {
    if (!root.querySelectorAll) { return; }
    root.querySelectorAll("[data-max-chars]").forEach(function (field) { update(field, false); });
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-max-chars]")) { update(field, true); }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();

// == Moments: celebrations ==
// A touch that reaches a streak milestone, the daily goal or a new badge is answered with
// HX-Trigger "celebrate" ({moments: [{kind, title, text, …}]}); the offline outbox's replay hands
// over the same list from the API. Each moment gets a short banner at the top — a growing flame,
// a ring and check, or confetti — in the polite live region #moments: announced, never focused.
// One at a time, each gone after 2.5 s or a tap on it; with prefers-reduced-motion the CSS
// stops every animation and the text alone shows. Text only (textContent), never markup.
(function () {
  "use strict";

  var SHOW_MS = 2500;
  var CONFETTI = 36;
  var RAYS = 8;
  var queue = [];
  var current = null;
  var timer = null;

  function region() { return document.getElementById("moments"); }

  function span(className, text) {
    var el = document.createElement("span");
    el.className = className;
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function art(moment) {
    var box = span("moment-art moment-art-" + moment.kind);
    box.setAttribute("aria-hidden", "true");
    var i;
    if (moment.kind === "streak") {
      box.appendChild(span("moment-flame"));
      box.appendChild(span("moment-days", String(moment.days || "")));
    } else if (moment.kind === "goal") {
      box.appendChild(span("moment-ring"));
      box.appendChild(span("moment-check"));
      for (i = 0; i < RAYS; i++) { box.appendChild(span("moment-ray")); }
    } else {
      box.appendChild(span("moment-medal"));
      var confetti = span("moment-confetti");
      for (i = 0; i < CONFETTI; i++) { confetti.appendChild(span("confetti-bit")); }
      box.appendChild(confetti);
    }
    return box;
  }

  function build(moment) {
    var el = document.createElement("div");
    var kind = ["streak", "goal", "badge"].indexOf(moment.kind) >= 0 ? moment.kind : "badge";
    moment.kind = kind;
    el.className = "moment moment-" + kind;
    el.setAttribute("data-testid", "moment");
    el.setAttribute("data-kind", kind);
    if (moment.code) { el.setAttribute("data-code", String(moment.code)); }
    el.appendChild(art(moment));
    var text = span("moment-text");
    var title = document.createElement("strong");
    title.textContent = moment.title || "";
    text.appendChild(title);
    if (moment.text) { text.appendChild(span("moment-detail", moment.text)); }
    el.appendChild(text);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "moment-close";
    close.setAttribute("data-moment-close", "");
    close.setAttribute("aria-label", (region() && region().getAttribute("data-close-label")) || "Close");
    close.textContent = "×";
    el.appendChild(close);
    return el;
  }

  function next() {
    var box = region();
    if (current || !box || !queue.length) { return; }
    current = build(queue.shift());
    box.appendChild(current);
    timer = window.setTimeout(done, SHOW_MS);
  }

  function done() {
    window.clearTimeout(timer);
    if (current) { current.remove(); }
    current = null;
    next();
  }

  function celebrate(list) {
    (list || []).forEach(function (moment) { if (moment && moment.title) { queue.push(moment); } });
    next();
  }

  window.TouchbaseMoments = { celebrate: celebrate };

  document.addEventListener("celebrate", function (event) { celebrate((event.detail || {}).moments); });
  document.addEventListener("click", function (event) {
    if (current && event.target.closest && event.target.closest(".moment")) { done(); }
  });
  document.addEventListener("keydown", function (event) {
    if (current && event.key === "Escape") { done(); }
  });
  // A page kept for the back button must not bring back a celebration without its timer.
  document.addEventListener("htmx:beforeHistorySave", function () {
    var box = region();
    if (box) { box.replaceChildren(); }
  });
})();

// == Front door: install Touchbase ==
// Where the browser offers installing (beforeinstallprompt: Chromium on Android and desktop),
// its prompt is kept and [data-install] on Today shows an "Install Touchbase" button that opens
// it. On iPhone and iPad (Safari has no such event; iPadOS says "Macintosh" but has touch) the
// box shows how to add it by hand instead. Nothing shows when the app already runs installed,
// after "appinstalled", or once the rep closed the box (remembered in localStorage).
(function () {
  "use strict";

  var KEY = "touchbase.install-dismissed";
  var offered = null;
  var installed = false;
  var closed = false;

  function standalone() {
    return window.navigator.standalone === true ||
      (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  }

  function ios() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent) ||
      (/Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1);
  }

  function dismissed() {
    try { return closed || window.localStorage.getItem(KEY) === "1"; } catch (e) { return closed; }
  }

  function showOfferOrHint() {
    return !(installed || standalone() || dismissed()) && (!!offered || ios());
  }

  function update() {
    var hide = installed || standalone() || dismissed();
    document.querySelectorAll("[data-install]").forEach(function (box) {
      var template = box.querySelector("template[data-install-template]");
      if (template && (showOfferOrHint())) { box.replaceChildren(template.content.cloneNode(true)); }
      var offer = box.querySelector("[data-install-offer]");
      var hint = box.querySelector("[data-install-ios]");
      var showOffer = !hide && !!offered;
      var showHint = !hide && !offered && ios();
      if (offer) { offer.hidden = !showOffer; }
      if (hint) { hint.hidden = !showHint; }
      box.hidden = !(showOffer || showHint);
    });
  }

  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    offered = event;
    update();
  });
  window.addEventListener("appinstalled", function () {
    installed = true;
    offered = null;
    update();
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) { return; }
    if (target.closest("[data-install-button]") && offered) {
      var prompt = offered;
      offered = null;  // a kept prompt can be shown once
      update();
      Promise.resolve(prompt.prompt()).catch(function () { /* the browser refused: nothing to do */ });
    } else if (target.closest("[data-install-dismiss]")) {
      closed = true;
      try { window.localStorage.setItem(KEY, "1"); } catch (e) { /* private mode: closed until the next load */ }
      update();
    }
  });

  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:load", update);
})();
