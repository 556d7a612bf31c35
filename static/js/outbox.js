// Touchbase offline outbox: touches logged without a connection wait in IndexedDB and are sent
// to POST /api/v1/touches later. The pages load this file (<script defer>) and so does the
// service worker (importScripts), so both send the same way:
// - one sender at a time: a Web Lock ("touch-queue") around every replay, so the worker's
//   Background Sync and a page's "online" handler never send the same touch at once; the
//   client_id makes a repeat harmless anyway (the server answers 200 with the stored touch);
// - whose touch: GET /pwa/session names the signed-in user and gives a fresh CSRF token, so a
//   touch queued hours ago never fails on an old token and is only ever sent as its own rep;
// - an answer no retry can change (400/403/404/409/422, say the customer was archived) keeps
//   the touch as "rejected" with the server's reason until the rep dismisses it; a network
//   error, a 5xx or a 429 stops the replay and keeps everything for the next try.
(function (global) {
  "use strict";

  var DB_NAME = "touchbase";
  var STORE = "outbox";
  var LOCK = "touch-queue";
  var SESSION_URL = "/pwa/session";
  var API_URL = "/api/v1/touches";
  var FINAL = [400, 403, 404, 409, 422];

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = global.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "client_id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.queued_at - b.queued_at; });
    });
  }

  function put(item) { return run("readwrite", function (store) { return store.put(item); }); }

  function remove(clientId) { return run("readwrite", function (store) { return store.delete(clientId); }); }

  function newId() {
    if (global.crypto && typeof global.crypto.randomUUID === "function") { return global.crypto.randomUUID(); }
    // Plain http outside localhost has no randomUUID: build a version 4 UUID by hand.
    var bytes = global.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // An ISO 8601 time with the device's offset, e.g. 2026-11-27T09:30:00+01:00: the touch counts
  // for the day it happened, however late it is sent.
  function isoWithOffset(date) {
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    var offset = -date.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    var abs = Math.abs(offset);
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function fetchSession() {
    return global.fetch(SESSION_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { return null; }
        if (!response.ok) { throw new Error("session: HTTP " + response.status); }
        return response.json();
      });
  }

  function post(item, token) {
    return global.fetch(API_URL, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token || "" },
      body: JSON.stringify(item.body)
    });
  }

  function readError(response) {
    return response.json().then(function (data) {
      var error = (data && data.error) || {};
      var fields = error.fields ? Object.keys(error.fields).map(function (k) { return String(error.fields[k]); }) : [];
      return { status: response.status, code: error.code || "", message: error.message || "", fields: fields };
    }, function () {
      return { status: response.status, code: "", message: "", fields: [] };
    });
  }

  // Send every waiting touch of the signed-in user, oldest first. Resolves with counts; rejects
  // when the network or the server failed, so that a Background Sync is tried again later.
  async function sendAll() {
    var items = (await all()).filter(function (item) { return item.state !== "rejected"; });
    var result = { sent: 0, rejected: 0, waiting: items.length, moments: [] };
    if (!items.length) { return result; }
    var session = await fetchSession();
    if (!session) { return result; }  // signed out: everything waits for its rep's next sign-in
    var token = session.csrf_token;
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (item.user_id !== session.user_id) { continue; }  // another rep's touch waits for them
      var response = await post(item, token);
      var error = response.ok ? null : await readError(response);
      if (error && error.status === 400 && error.code === "csrf") {
        // The session's token changed since (a new sign-in): take the current one, once.
        session = await fetchSession();
        if (!session || session.user_id !== item.user_id) { return result; }
        token = session.csrf_token;
        response = await post(item, token);
        error = response.ok ? null : await readError(response);
      }
      if (!error) {
        // What the touch reached (a streak milestone, the daily goal, a badge): the page celebrates it.
        var answer = await response.json().catch(function () { return null; });
        if (answer && Array.isArray(answer.moments)) { result.moments = result.moments.concat(answer.moments); }
        await remove(item.client_id);
        result.sent += 1;
        result.waiting -= 1;
      } else if (error.status === 401) {
        return result;
      } else if (FINAL.indexOf(error.status) >= 0 && error.code !== "csrf") {
        item.state = "rejected";
        item.error = error;
        await put(item);
        result.rejected += 1;
        result.waiting -= 1;
      } else {
        throw new Error("replay: HTTP " + error.status);
      }
    }
    return result;
  }

  function replay() {
    var locks = global.navigator && global.navigator.locks;
    if (locks && typeof locks.request === "function") {
      return locks.request(LOCK, { mode: "exclusive" }, sendAll);
    }
    return sendAll();
  }

  global.TouchbaseOutbox = {
    all: all,
    add: put,
    dismiss: remove,
    newId: newId,
    isoWithOffset: isoWithOffset,
    replay: replay
  };
})(self);
