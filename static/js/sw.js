// Touchbase service worker, served as /sw.js (scope "/") by app/views/pwa.py, which sets
// `self.TOUCHBASE` right after "use strict": the cache name (it changes with the content of every
// shell file), the shell's versioned URLs, the offline page, the outbox script, the pages kept.
// Sections: pages read offline, lifecycle and app shell, offline touches, push notifications.
"use strict";

var CONFIG = self.TOUCHBASE || {
  cache: "touchbase-shell-dev", cachePrefix: "touchbase-shell-", shell: [], offline: "/offline",
  outbox: "/static/js/outbox.js", pagesPrefix: "touchbase-pages-", pagesList: "/customers/",
  pagesDetail: "^/customers/[0-9]+$", pagesMax: 50, pagesKeyHeader: "X-Touchbase-Pages-Key"
};
importScripts(CONFIG.outbox);

// == Pages read offline ==
// The customers list and the customer pages a rep opened recently (the last `pagesMax`) are kept
// for reading without a connection — in a cache of that rep's own, named by the key the server
// puts on each of their pages (X-Touchbase-Pages-Key: a MAC of their id and session token that
// nobody else can work out). A page always comes from the network first; only when there is no
// network does the kept copy stand in, marked with the time it was saved. Copies are kept
// without CSRF tokens: a touch logged on one goes through the outbox, which fetches a fresh token.
// A page of another user, or of nobody (signed out), deletes the kept pages of everyone else;
// signing out deletes them all.
self.TouchbasePages = (function () {
  var DETAIL = new RegExp(CONFIG.pagesDetail);
  var SAVED_AT = "X-Touchbase-Saved-At";

  function keptHere(url) {
    return url.search === "" && (url.pathname === CONFIG.pagesList || DETAIL.test(url.pathname));
  }

  function isPage(response) {
    return response.type === "basic" && response.status === 200 &&
      (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
  }

  function ownCaches() {
    return caches.keys().then(function (names) {
      return names.filter(function (name) { return name.indexOf(CONFIG.pagesPrefix) === 0; });
    });
  }

  // Delete every user's kept pages but those of the cache *keep* (none: all).
  function forgetAllBut(keep) {
    return ownCaches().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== keep; })
        .map(function (name) { return caches.delete(name); }));
    });
  }

  function withoutTokens(html) {
    return html.replace(/("X-CSRFToken":\s*")[^"]*"/g, '$1"').replace(/(name="csrf_token" value=")[^"]*"/g, '$1"');
  }

  // Drop the oldest customer pages beyond the limit (the list stays): a put moves a page to the end.
  function trim(cache) {
    return cache.keys().then(function (requests) {
      var pages = requests.filter(function (request) { return new URL(request.url).pathname !== CONFIG.pagesList; });
      var extra = pages.slice(0, Math.max(0, pages.length - CONFIG.pagesMax));
      return Promise.all(extra.map(function (request) { return cache.delete(request); }));
    });
  }

  // After a page came from the network: keep it when it is one to read offline, in its user's cache.
  function remember(url, response) {
    if (!isPage(response)) { return Promise.resolve(); }
    var key = response.headers.get(CONFIG.pagesKeyHeader);
    var name = key ? CONFIG.pagesPrefix + key : null;
    return forgetAllBut(name).then(function () {
      if (!name || !keptHere(url)) { return null; }
      return response.text().then(function (html) {
        var headers = { "Content-Type": "text/html; charset=utf-8" };
        headers[SAVED_AT] = String(Date.now());
        return caches.open(name).then(function (cache) {
          return cache.put(url.pathname, new Response(withoutTokens(html), { headers: headers }))
            .then(function () { return trim(cache); });
        });
      });
    }).catch(function () { /* a page not kept is only not readable offline */ });
  }

  // Without a network: the kept copy of the page, marked with the time it was saved, or null.
  function saved(url) {
    if (!keptHere(url)) { return Promise.resolve(null); }
    return ownCaches().then(function (names) {
      if (names.length !== 1) { return null; }  // nobody's, or not clearly whose: show nothing
      return caches.open(names[0]).then(function (cache) { return cache.match(url.pathname); });
    }).then(function (hit) {
      if (!hit) { return null; }
      var when = hit.headers.get(SAVED_AT) || "";
      return hit.text().then(function (html) {
        return new Response(html.replace("data-offline-banner", 'data-offline-banner data-saved-at="' + when + '"'),
          { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
  }

  return { remember: remember, saved: saved, forgetAll: function () { return forgetAllBut(null); } };
})();

// == Lifecycle and app shell ==
// Pages come from the network (they are a signed-in rep's own data); when there is none, a
// customer page kept for reading offline (above) or the cached offline page stands in. Static
// files have content-hashed URLs, so a cached one is never stale. Signing out deletes every cache.
(function () {
  var pages = self.TouchbasePages;

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

  function signedOut() {
    return Promise.all([dropCaches(null), pages.forgetAll()]);
  }

  // A page load: from the network, and kept when it is one to read offline. Without a network a
  // navigation gets the kept copy or the offline page; a boosted (htmx) load fails, and the page
  // then navigates for real (app.js), which lands here again.
  function loadPage(event, url, boosted) {
    return fetch(event.request).then(function (response) {
      event.waitUntil(pages.remember(url, response.clone()));
      return response;
    }, function (error) {
      if (boosted) { throw error; }
      return pages.saved(url).then(function (copy) { return copy || offlinePage(); });
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
      event.waitUntil(signedOut());
      return;
    }
    if (request.method !== "GET") { return; }
    var boosted = request.headers.get("HX-Boosted") === "true" || request.headers.get("HX-History-Restore-Request") === "true";
    if (request.mode === "navigate" || boosted) {
      event.respondWith(loadPage(event, url, boosted));
    } else if (url.pathname.indexOf("/static/") === 0) {
      event.respondWith(fromCacheFirst(request));
    }
  });

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "logout") {
      event.waitUntil(signedOut());
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
