// Touchbase service worker, served as /sw.js (scope "/").
// Sections: lifecycle, push notifications. Offline caching joins as its own section later.
"use strict";

// == Lifecycle ==
// A new worker takes over at once: it only adds behaviour, it never changes cached pages.
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// == Push: show reminders, open their deep link, report opens ==
(function () {
  var ICON = "/static/icons/favicon.svg";
  var BADGE = "/static/icons/favicon.svg";

  // Only ever open a page of this app, whatever the payload says.
  function safeUrl(url) {
    try {
      var target = new URL(url || "/", self.location.origin);
      return target.origin === self.location.origin ? target.href : self.location.origin + "/";
    } catch (e) {
      return self.location.origin + "/";
    }
  }

  function readPayload(event) {
    if (!event.data) { return {}; }
    try { return event.data.json() || {}; } catch (e) { return { body: event.data.text() }; }
  }

  self.addEventListener("push", function (event) {
    var data = readPayload(event);
    var options = {
      body: data.body || "",
      icon: ICON,
      badge: BADGE,
      data: { url: safeUrl(data.url), id: data.id, kind: data.kind, sig: data.sig }
    };
    // The topic as tag: a newer digest replaces a stale one instead of piling up.
    if (data.topic) { options.tag = data.topic; options.renotify = true; }
    // Every push must show a notification (iOS revokes the permission otherwise).
    event.waitUntil(self.registration.showNotification(data.title || "Touchbase", options));
  });

  function reportOpen(data) {
    if (typeof data.id !== "number" || !data.sig) { return Promise.resolve(); }
    return fetch("/push/opened", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id: data.id, sig: data.sig })
    }).catch(function () { /* an unreported open only delays the end of the back-off */ });
  }

  function focusOrOpen(url) {
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === url && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow(url);
    });
  }

  self.addEventListener("notificationclick", function (event) {
    var data = event.notification.data || {};
    event.notification.close();
    event.waitUntil(Promise.all([reportOpen(data), focusOrOpen(safeUrl(data.url))]));
  });
})();
