/* The kiosk works without this file, as plain form posts. With it:
   - a tap is kept in the browser until the gateway has it, and resent
     through a Wi-Fi blip ("Saving your answer..."), so nothing is lost;
   - the gateway answers a tap with the next screen, drawn in place: one
     round trip a tap, and the browser's history never holds a resident's
     screens (the address is replaced, not added);
   - a second tap while the first is on its way, or straight after a new
     screen appears, counts for nothing; while a tap is on its way the other
     buttons are disabled, so a screen reader does not offer them either;
   - "Are you still there?" after a while with no tap, then a fresh start;
   - "Read aloud", where the device has a voice;
   - plus and minus on number questions without a round trip;
   - a service worker, where the page is served over HTTPS or from this
     machine, so a reload during a blip still shows the kiosk. */
(function () {
  "use strict";

  var PENDING = "kiosk-pending-tap";
  var SETTLE_MS = 600; // taps this soon after a screen appears are ignored
  var body = document.body;
  var shownAt = 0;
  var busy = false;
  var retryMs = 1000;
  var serverErrors = 0;
  var STUCK_AFTER = 5; // server errors in a row before asking for staff
  var lastButton = null; // for browsers without event.submitter
  var timers = [];

  function later(callback, ms) {
    timers.push(window.setTimeout(callback, ms));
  }

  function show(id) {
    ["main", "still-there", "saving"].forEach(function (name) {
      var element = document.getElementById(name);
      if (element) element.hidden = name !== id;
    });
    var focus = document.querySelector("#" + id + " [data-focus]");
    if (focus) focus.focus();
  }

  function post(url, fields, keepalive) {
    return fetch(url, {
      method: "POST",
      body: fields,
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Kiosk-Tap": "1"
      },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "follow",
      keepalive: Boolean(keepalive)
    });
  }

  // Draw the screen the gateway sent, in place of this one.
  function draw(html, address) {
    var next = new DOMParser().parseFromString(html, "text/html");
    document.title = next.title;
    document.documentElement.lang = next.documentElement.lang;
    Array.prototype.slice.call(body.attributes).forEach(function (attribute) {
      body.removeAttribute(attribute.name);
    });
    Array.prototype.forEach.call(next.body.attributes, function (attribute) {
      body.setAttribute(attribute.name, attribute.value);
    });
    var nodes = Array.prototype.slice.call(next.body.childNodes); // a copy: adopting empties it
    body.replaceChildren.apply(body, nodes.map(function (node) {
      return document.adoptNode(node);
    }));
    window.history.replaceState(null, "", address);
    window.scrollTo(0, 0);
    start();
    // As a new page would be announced: the error, else the help, else the heading.
    var first = ["#main .error", "#main .signpost h2", "#main h1"].map(function (selector) {
      return document.querySelector(selector);
    }).filter(Boolean)[0];
    if (first) {
      if (!first.hasAttribute("tabindex")) first.setAttribute("tabindex", "-1");
      first.focus();
    }
  }

  function go(url) {
    window.location.replace(url);
  }

  // While a tap is on its way the other buttons sleep. The tapped one stays
  // awake so that focus stays on it (a disabled button drops focus).
  function sleepButtons(tapped) {
    Array.prototype.forEach.call(document.querySelectorAll("#main button"), function (other) {
      if (other === tapped || other.disabled) return;
      other.disabled = true;
      other.setAttribute("data-asleep", "");
    });
  }

  function wakeButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-asleep]"), function (other) {
      other.disabled = false;
      other.removeAttribute("data-asleep");
    });
  }

  // The queue: one tap at a time, kept until the gateway says it has it.
  function deliver(tap) {
    busy = true;
    post(tap.url, tap.fields).then(function (response) {
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        serverErrors += 1;
        throw new Error("not saved yet: " + response.status);
      }
      window.localStorage.removeItem(PENDING);
      retryMs = 1000;
      serverErrors = 0;
      var address = response.headers.get("X-Kiosk-Location");
      if (address && (response.ok || response.status === 422)) {
        return response.text().then(function (html) { draw(html, address); });
      }
      // Anything else (a refused tap changed nothing): show the screen as it is.
      go(response.ok ? response.url : body.dataset.here || response.url);
    }).catch(function () {
      wakeButtons(); // behind the saving screen; the tap itself is kept and resent
      show("saving");
      // The gateway keeps failing (not just out of reach): ask for help, keep trying.
      var stuck = document.querySelector("#saving [data-stuck]");
      if (stuck) stuck.hidden = serverErrors < STUCK_AFTER;
      window.setTimeout(function () { deliver(tap); }, retryMs);
      retryMs = Math.min(retryMs * 2, serverErrors >= STUCK_AFTER ? 30000 : 8000);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-queue")) return;
    event.preventDefault();
    if (busy || Date.now() - shownAt < SETTLE_MS) return;
    busy = true;
    var data = new FormData(form); // the tapped button is added by hand: older
    var button = event.submitter || lastButton; // browsers leave it out
    if (button && button.name && button.form === form) data.set(button.name, button.value);
    var fields = new URLSearchParams(data).toString();
    sleepButtons(button);
    // getAttribute: a control named "action" (Back, rather not say) hides form.action
    var tap = { url: new URL(form.getAttribute("action"), document.baseURI).href, fields: fields };
    window.localStorage.setItem(PENDING, JSON.stringify(tap));
    deliver(tap);
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("button, a[data-replace]");
    lastButton = target && target.type === "submit" ? target : null;
    if (target && target.hasAttribute("data-replace")) {
      event.preventDefault(); // leave no resident's screen in the history
      go(target.href);
    }
  }, true);

  var restartIdle = function () {};
  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, function () { restartIdle(); }, { passive: true });
  });

  // A page brought back from the browser's memory is asked for afresh.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  // Everything that belongs to one screen: run for each screen drawn.
  function start() {
    var data = body.dataset;
    timers.forEach(window.clearTimeout);
    timers = [];
    if (window.speechSynthesis) window.speechSynthesis.cancel();
    busy = false;
    shownAt = Date.now();
    restartIdle = function () {};
    delete data.ready;
    // Ready for taps once the second tap of a double tap is past.
    later(function () { body.dataset.ready = "1"; }, SETTLE_MS);

    if (data.page === "offline") later(function () { window.location.reload(); }, 5000);
    if (data.returnAfter) watchReturn(data);
    if (data.idle) watchIdle(data);
    enhanceNumbers();
    offerReadAloud();
  }

  // Thank you: back to welcome after a while, later if someone is still tapping.
  function watchReturn(data) {
    var timer = 0;
    restartIdle = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { go(data.welcome); }, Number(data.returnAfter) * 1000);
      timers.push(timer);
    };
    restartIdle();
  }

  // "Are you still there?", then save what was answered and start again.
  function watchIdle(data) {
    var idleTimer = 0;
    var graceTimer = 0;
    var stillThere = document.getElementById("still-there");
    var before = null;
    var ask = function () {
      if (busy) return;
      before = document.activeElement;
      show("still-there");
      graceTimer = window.setTimeout(function () {
        busy = true;
        post(data.resetUrl, "why=idle", true).catch(function () {}).then(function () {
          go(data.welcome);
        });
      }, Number(data.stillThere) * 1000);
      timers.push(graceTimer);
    };
    restartIdle = function () {
      if (busy || !stillThere.hidden) return;
      window.clearTimeout(idleTimer);
      idleTimer = window.setTimeout(ask, Number(data.idle) * 1000);
      timers.push(idleTimer);
    };
    document.querySelector("[data-carry-on]").addEventListener("click", function () {
      window.clearTimeout(graceTimer);
      show("main");
      if (before && before !== document.body) before.focus();
      post(data.stillHereUrl, "").catch(function () {});
      restartIdle();
    });
    restartIdle();
  }

  // Plus and minus change the number here; without this file they post instead.
  function enhanceNumbers() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-adjust]"), function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var input = document.getElementById("answer");
        var low = input.min === "" ? -Infinity : Number(input.min);
        var high = input.max === "" ? Infinity : Number(input.max);
        var value = input.value === ""
          ? (isFinite(low) ? low : 0)
          : Number(input.value) + Number(button.dataset.adjust);
        input.value = String(Math.min(high, Math.max(low, value)));
      });
    });
  }

  // Read aloud: only where the device has a voice; on-device voices first.
  function offerReadAloud() {
    var speak = document.querySelector("[data-speak]");
    var synth = window.speechSynthesis;
    if (!speak || !synth || !window.SpeechSynthesisUtterance) return;
    var voices = function () { return synth.getVoices() || []; };
    var pickVoice = function () {
      var all = voices();
      var onDevice = all.filter(function (voice) { return voice.localService; });
      var pool = onDevice.length ? onDevice : all;
      var lang = (document.documentElement.lang || "en").toLowerCase();
      return pool.filter(function (voice) {
        return (voice.lang || "").toLowerCase().indexOf(lang) === 0;
      })[0] || pool[0];
    };
    var offer = function () { speak.hidden = voices().length === 0; };
    offer();
    synth.onvoiceschanged = offer;
    speak.addEventListener("click", function () {
      var voice = pickVoice();
      synth.cancel();
      Array.prototype.forEach.call(document.querySelectorAll("#main [data-say]"), function (element) {
        var utterance = new window.SpeechSynthesisUtterance(element.textContent.trim());
        if (voice) {
          utterance.voice = voice;
          utterance.lang = voice.lang;
        }
        utterance.rate = 0.9;
        synth.speak(utterance);
      });
    });
  }

  start();
  var waiting = window.localStorage.getItem(PENDING);
  if (waiting) {
    show("saving");
    deliver(JSON.parse(waiting));
  }

  if ("serviceWorker" in navigator && window.isSecureContext && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope })
      .catch(function () {});
  }
})();
