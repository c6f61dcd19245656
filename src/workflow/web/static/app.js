/* The pages' behaviour, as an external file: the Content-Security-Policy allows no inline script.
 *
 * 1. "返回上一页" links (a[data-back]) go back in the browser's history; without script they lead home.
 * 2. A form kept across an expired session, in this browser only (the server stores nothing for a
 *    request without a session).  Before a form marked data-keep is posted, its fields are written to
 *    localStorage under a key bound to the signed-in user's id (body[data-user-id]) and the page's
 *    path; at most KEEP_MAX_CHARS, for at most KEEP_MAX_AGE_MS.  If the post ends on the login page
 *    (the session had expired), that page marks the kept form as interrupted; once the SAME user is
 *    signed in again and back on the page, the fields are put back and the kept copy is dropped.  Any
 *    other visit of the page drops the kept copy unused (the post reached the server, whose answer
 *    shows what was typed); signing out drops the user's kept forms.
 */
(function () {
  "use strict";
  var PREFIX = "wf-keep:";
  var KEEP_MAX_CHARS = 200 * 1024;
  var KEEP_MAX_AGE_MS = 24 * 3600 * 1000;
  var SKIP = { csrf_token: true };

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // disabled or blocked: nothing is kept, the forms work as before
    }
  }

  function userId() {
    var id = document.body.getAttribute("data-user-id");
    return id && /^[0-9]+$/.test(id) ? id : "";
  }

  function keyFor(uid, path) {
    return PREFIX + uid + ":" + path;
  }

  function read(store, key) {
    try {
      var entry = JSON.parse(store.getItem(key) || "null");
      return entry && typeof entry === "object" ? entry : null;
    } catch (e) {
      return null;
    }
  }

  function sweep(store) {
    var now = Date.now();
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        var entry = read(store, key);
        if (!entry || !(now - entry.at < KEEP_MAX_AGE_MS)) store.removeItem(key);
      }
    }
  }

  function keepOnSubmit(store, form, uid) {
    form.addEventListener("submit", function () {
      var fields = [];
      for (var i = 0; i < form.elements.length; i++) {
        var el = form.elements[i];
        if (!el.name || SKIP[el.name] || el.disabled || el.type === "file") continue;
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) continue;
        if (el.tagName === "BUTTON" || el.type === "submit") continue;
        fields.push([el.name, el.value]);
      }
      var entry = {
        uid: uid,
        path: location.pathname,
        form: form.getAttribute("data-keep"),
        at: Date.now(),
        interrupted: false,
        fields: fields,
      };
      var text = JSON.stringify(entry);
      var key = keyFor(uid, location.pathname);
      try {
        if (text.length <= KEEP_MAX_CHARS) store.setItem(key, text);
        else store.removeItem(key); // too big to keep: never a stale smaller copy
      } catch (e) {
        /* quota: the post goes on, nothing is kept */
      }
    });
  }

  function restore(store, uid) {
    var key = keyFor(uid, location.pathname);
    var entry = read(store, key);
    if (!entry) return;
    store.removeItem(key); // used or not, a kept form is offered once
    if (!entry.interrupted || String(entry.uid) !== uid || entry.path !== location.pathname) return;
    if (!(Date.now() - entry.at < KEEP_MAX_AGE_MS)) return;
    var form = null;
    var forms = document.querySelectorAll("form[data-keep]");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].getAttribute("data-keep") === entry.form) form = forms[i];
    }
    if (!form || !Array.isArray(entry.fields)) return;
    for (var j = 0; j < entry.fields.length; j++) {
      var pair = entry.fields[j];
      if (!Array.isArray(pair) || SKIP[pair[0]]) continue;
      var el = form.elements.namedItem(String(pair[0]));
      if (el && !el.disabled && "value" in el && el.type !== "file") el.value = String(pair[1]);
    }
    var note = document.createElement("div");
    note.className = "flash warn";
    note.id = "restored-note";
    note.setAttribute("role", "status");
    note.textContent = "已恢复您在登录超时前填写的内容（尚未保存），请检查后重新保存。";
    form.parentNode.insertBefore(note, form);
    if (form.scrollIntoView) form.scrollIntoView();
  }

  function markInterrupted(store) {
    // The login page: the form kept for the page we are sent back to was cut off by the expiry.
    var next = document.querySelector("form[action='/login'] input[name='next']");
    var path = next ? String(next.value).split("?")[0].split("#")[0] : "";
    if (!path) return;
    var found = false;
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (!key || key.indexOf(PREFIX) !== 0) continue;
      var entry = read(store, key);
      if (entry && entry.path === path) {
        entry.interrupted = true;
        store.setItem(key, JSON.stringify(entry));
        found = true;
      }
    }
    var note = document.getElementById("expired-note");
    if (found && note) note.hidden = false;
  }

  function forgetOnLogout(store, uid) {
    var logout = document.querySelector("form[action='/logout']");
    if (!logout) return;
    logout.addEventListener("submit", function () {
      var prefix = PREFIX + uid + ":";
      for (var i = store.length - 1; i >= 0; i--) {
        var key = store.key(i);
        if (key && key.indexOf(prefix) === 0) store.removeItem(key);
      }
    });
  }

  function backLinks() {
    var links = document.querySelectorAll("a[data-back]");
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener("click", function (e) {
        if (window.history.length > 1) {
          e.preventDefault();
          window.history.back();
        }
      });
    }
  }

  function start() {
    backLinks();
    var store = storage();
    if (!store) return;
    sweep(store);
    var uid = userId();
    if (!uid) {
      markInterrupted(store);
      return;
    }
    restore(store, uid);
    var forms = document.querySelectorAll("form[data-keep]");
    for (var i = 0; i < forms.length; i++) keepOnSubmit(store, forms[i], uid);
    forgetOnLogout(store, uid);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
