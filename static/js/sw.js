// Touchbase service worker, served as /sw.js (scope "/") by app/views/pwa.py, which sets
// `self.TOUCHBASE` right after "use strict": the cache name (it changes with the content of every
// shell file), the shell's versioned URLs, the offline page and the outbox script.
// Sections: lifecycle and app shell, offline touches, push notifications.
"use strict";

var CONFIG = self.TOUCHBASE || {
  cache: "touchbase-shell-dev", cachePrefix: "touchbase-shell-", shell: [], offline: "/offline",
  outbox: "/static/js/outbox.js"
};
importScripts(CONFIG.outbox);

// == Lifecycle and app shell ==
// Pages are never cached (they are a signed-in rep's own data): a page comes from the network,
// and when there is none the cached offline page stands in. Static files have content-hashed
// URLs, so a cached one is never stale. Signing out deletes every cache.
(function () {
  function precache() {
    return caches.open(CONFIG.cache).then(function (cache) {
      return Promise.all(CONFIG.shell.map(function (url) {
        return cache.match(url, { ignoreVary: true }).then(function (hit) {
          return hit || cache.add(new Request(url, { credentials: "same-origin", cache: "no-cache" }));
        });
      }));
    });
  }

  function dropCaches(keep) {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(CONFIG.cachePrefix) === 0 && name !== keep;
      }).map(function (name) { return caches.delete(name); }));
    });
  }

  // Keep the offline page in the language of the page that asks (a rep may switch language).
  function refreshOffline(lang) {
    if (!lang) { return Promise.resolve(); }
    return caches.open(CONFIG.cache).then(function (cache) {
      return cache.match(CONFIG.offline, { ignoreVary: true }).then(function (hit) {
        if (hit && hit.headers.get("Content-Language") === lang) { return null; }
        return fetch(CONFIG.offline + "?lang=" + encodeURIComponent(lang), { credentials: "same-origin", cache: "no-cache" })
          .then(function (response) { return response.ok ? cache.put(CONFIG.offline, response) : null; });
      });
    }).catch(function () { /* offline: the page in the other language still helps */ });
  }

  function offlinePage() {
    return caches.open(CONFIG.cache).then(function (cache) {
      return cache.match(CONFIG.offline, { ignoreVary: true });
    }).then(function (hit) {
      return hit || new Response("<!doctype html><title>Offline</title><p>Offline.</p>",
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  }

  function fromCacheFirst(request) {
    return caches.open(CONFIG.cache).then(function (cache) {
      return cache.match(request).then(function (hit) {
        if (hit) { return hit; }
        return fetch(request).then(function (response) {
          // Only content-hashed files: the same URL can never mean different bytes.
          if (response.ok && new URL(request.url).searchParams.has("v")) { cache.put(request, response.clone()); }
          return response;
        });
      });
    });
  }

  // A failed precache must not keep the worker from installing: pushes still need it, and the
  // pages ask for the shell again on every load ("shell" message below).
  self.addEventListener("install", function (event) {
    event.waitUntil(precache().catch(function () { return null; }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(dropCaches(CONFIG.cache).then(function () { return self.clients.claim(); }));
  });

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) { return; }
    if (request.method === "POST" && url.pathname === "/logout") {
      event.waitUntil(dropCaches(null));
      return;
    }
    if (request.method !== "GET") { return; }
    if (request.mode === "navigate") {
      event.respondWith(fetch(request).catch(offlinePage));
    } else if (url.pathname.indexOf("/static/") === 0) {
      event.respondWith(fromCacheFirst(request));
    }
  });

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "logout") {
      event.waitUntil(dropCaches(null));
    } else if (data.type === "shell") {
      event.waitUntil(precache().then(function () { return refreshOffline(data.lang); }).catch(function () { return null; }));
    }
  });
})();

// == Offline touches: Background Sync replays the outbox ==
// The pages register the "touch-queue" sync when they queue a touch; the browser fires it once
// there is a connection (and again later if the replay failed). Pages are told what was sent.
(function () {
  function tell(result) {
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      windows.forEach(function (client) { client.postMessage({ type: "outbox-changed", result: result }); });
    });
  }

  self.addEventListener("sync", function (event) {
    if (event.tag !== "touch-queue") { return; }
    event.waitUntil(self.TouchbaseOutbox.replay().then(tell, function (error) {
      return tell(null).then(function () { throw error; });
    }));
  });
})();

// == Push: show reminders, open their deep link, report opens ==
(function () {
  var ICON = "/static/icons/icon-192.png";
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
