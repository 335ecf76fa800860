/* The board works without this file. With it:
   - a warning before the board signs someone out for being idle, with "Stay
     signed in"; if time runs out, what they had typed is kept in this tab
     (sessionStorage) and put back after they sign in again;
   - "Select all" checkboxes for bulk actions.
   No innerHTML and no inline styles: the Content-Security-Policy forbids them. */
(function () {
  "use strict";

  var body = document.body;
  var KEPT = "board-kept:"; // sessionStorage key: KEPT + path + "|" + field name
  var GRACE_MS = 2000; // sign out a little after the board would, never before

  // Text a person typed: textareas and text-like inputs, never passwords.
  function typedFields() {
    return Array.prototype.filter.call(
      document.querySelectorAll("textarea[name], input[name]"),
      function (field) {
        if (field.tagName === "TEXTAREA") return true;
        return ["text", "search", "email", "tel", "url", "number"].indexOf(field.type) >= 0;
      }
    );
  }

  function keptKey(name) {
    return KEPT + window.location.pathname + "|" + name;
  }

  function keepTyping() {
    var byName = {};
    typedFields().forEach(function (field) {
      if (field.value === field.defaultValue || field.value === "") return;
      (byName[field.name] = byName[field.name] || []).push(field.value);
    });
    Object.keys(byName).forEach(function (name) {
      try {
        window.sessionStorage.setItem(keptKey(name), JSON.stringify(byName[name]));
      } catch (error) { /* storage full or off: nothing more we can do */ }
    });
  }

  function restoreTyping() {
    var restored = false;
    var names = {};
    typedFields().forEach(function (field) { names[field.name] = true; });
    Object.keys(names).forEach(function (name) {
      var saved;
      try {
        saved = JSON.parse(window.sessionStorage.getItem(keptKey(name)) || "null");
        window.sessionStorage.removeItem(keptKey(name));
      } catch (error) { return; }
      if (!Array.isArray(saved)) return;
      typedFields().forEach(function (field) {
        if (field.name !== name || field.value !== "" || !saved.length) return;
        field.value = String(saved.shift());
        restored = true;
      });
    });
    if (restored) showKeptNotice();
  }

  function showKeptNotice() {
    var main = document.getElementById("main");
    if (!main) return;
    var banner = document.createElement("div");
    banner.className = "board-banner board-banner--success";
    banner.setAttribute("role", "alert");
    var content = document.createElement("div");
    content.className = "board-banner__content";
    var words = document.createElement("p");
    words.className = "board-banner__heading";
    words.textContent = "We kept what you had typed.";
    content.appendChild(words);
    banner.appendChild(content);
    main.insertBefore(banner, main.firstChild);
  }

  function idleWarning() {
    var idleMs = Number(body.dataset.idleSeconds) * 1000;
    var warnMs = Number(body.dataset.warnSeconds) * 1000;
    var keepAliveUrl = body.dataset.keepAliveUrl;
    if (!(idleMs > 0) || !keepAliveUrl) return;
    warnMs = Math.min(Math.max(warnMs || 0, 0), idleMs);
    var tokenMeta = document.querySelector('meta[name="csrf-token"]');
    var csrfToken = tokenMeta ? tokenMeta.content : "";
    var warnTimer = null;
    var endTimer = null;
    var dialog = null;
    var returnFocus = null;
    var lastPing = Date.now();

    // Timers run from the last time the board heard from this page (sent, so
    // never later than the board's own clock), not from the last key press.
    function keepAlive() {
      lastPing = Date.now();
      start();
      return window.fetch(keepAliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken },
      });
    }

    function start() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      warnTimer = window.setTimeout(showDialog, idleMs - warnMs);
      endTimer = window.setTimeout(timeIsUp, idleMs + GRACE_MS);
    }

    function timeIsUp() {
      keepTyping();
      // A fresh GET (not reload()), so a page that answered a form is not posted again.
      window.location.assign(window.location.href.split("#")[0]);
    }

    function build() {
      var backdrop = document.createElement("div");
      backdrop.className = "board-dialog-backdrop";
      backdrop.hidden = true;
      var box = document.createElement("div");
      box.className = "board-dialog";
      box.setAttribute("role", "alertdialog");
      box.setAttribute("aria-modal", "true");
      box.setAttribute("aria-labelledby", "board-idle-title");
      box.setAttribute("aria-describedby", "board-idle-words");
      var title = document.createElement("h2");
      title.className = "board-dialog__title";
      title.id = "board-idle-title";
      title.textContent = "Are you still there?";
      var words = document.createElement("p");
      words.id = "board-idle-words";
      words.textContent = "You will be signed out soon. Anything you have typed will be kept if you stay.";
      var problem = document.createElement("p");
      problem.className = "board-error-message";
      problem.hidden = true;
      problem.textContent = "That did not work. Try again.";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "board-button";
      button.textContent = "Stay signed in";
      button.addEventListener("click", stay);
      box.addEventListener("keydown", function (event) {
        if (event.key === "Escape") stay();
        if (event.key === "Tab") { event.preventDefault(); button.focus(); } // the one control
      });
      box.appendChild(title);
      box.appendChild(words);
      box.appendChild(problem);
      box.appendChild(button);
      backdrop.appendChild(box);
      body.appendChild(backdrop);
      return { backdrop: backdrop, button: button, problem: problem };
    }

    // Everything but the dialog is out of reach while it shows.
    function setPageInert(inert) {
      Array.prototype.forEach.call(body.children, function (child) {
        if (child !== dialog.backdrop && child.tagName !== "SCRIPT") child.inert = inert;
      });
    }

    function showDialog() {
      dialog = dialog || build();
      returnFocus = document.activeElement;
      dialog.problem.hidden = true;
      dialog.backdrop.hidden = false;
      setPageInert(true);
      dialog.button.focus();
    }

    function hideDialog() {
      dialog.backdrop.hidden = true;
      setPageInert(false);
      if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
    }

    function stay() {
      keepAlive().then(function (response) {
        if (!response.ok) { timeIsUp(); return; } // already signed out
        hideDialog();
      }, function () {
        dialog.problem.hidden = false; // no connection: the button is still there
      });
    }

    // The board only sees requests, so tell it now and then that someone is here
    // (at most once a minute, and always well before the warning is due), or it
    // would sign out a person who is typing a long note.
    var pingEveryMs = Math.max(1000, Math.min(60000, (idleMs - warnMs) / 2));
    function activity() {
      if (dialog && !dialog.backdrop.hidden) return; // only the button answers the warning
      if (Date.now() - lastPing >= pingEveryMs) {
        keepAlive().catch(function () { /* the warning will still come */ });
      }
    }

    ["keydown", "mousedown", "mousemove", "touchstart", "wheel"].forEach(function (name) {
      document.addEventListener(name, activity, { passive: true });
    });
    start();
  }

  // <input type="checkbox" data-select-all="ids"> ticks every checkbox named "ids".
  // It does nothing without this script, so it may start hidden (it or a wrapper).
  function selectAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-select-all]"), function (all) {
      var name = all.getAttribute("data-select-all");
      var scope = all.form || document;
      function boxes() {
        return Array.prototype.filter.call(
          scope.querySelectorAll('input[type="checkbox"]'),
          function (box) { return box.name === name && box !== all; }
        );
      }
      function sync() {
        var ticked = boxes().filter(function (box) { return box.checked; }).length;
        all.checked = ticked > 0 && ticked === boxes().length;
        all.indeterminate = ticked > 0 && ticked < boxes().length;
      }
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { box.checked = all.checked; });
        all.indeterminate = false;
      });
      scope.addEventListener("change", function (event) {
        if (event.target !== all && event.target.name === name) sync();
      });
      var hidden = all.closest("[hidden]");
      if (hidden) hidden.hidden = false;
      sync();
    });
  }

  restoreTyping();
  idleWarning();
  selectAll();
})();
