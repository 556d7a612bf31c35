// Touchbase: the small amount of script the server-rendered pages need.
(function () {
  "use strict";

  // Preselect the browser's time zone in forms that ask for one.
  function fillTimezone(root) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    root.querySelectorAll("[data-browser-timezone]").forEach(function (el) {
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

// == Touches: toasts ==
// A toast (e.g. "Logged … Undo") removes itself after its data-toast-seconds; the server
// refuses a late undo anyway, so this is only about not leaving a dead button on screen.
(function () {
  "use strict";

  function armToasts() {
    document.querySelectorAll(".toast[data-toast-seconds]:not([data-armed])").forEach(function (toast) {
      var seconds = parseFloat(toast.getAttribute("data-toast-seconds")) || 4;
      toast.setAttribute("data-armed", "");
      window.setTimeout(function () {
        toast.classList.add("leaving");
        window.setTimeout(function () { toast.remove(); }, 250);
      }, seconds * 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", armToasts);
  document.addEventListener("htmx:load", armToasts);
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
