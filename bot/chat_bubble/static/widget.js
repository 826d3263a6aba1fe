/*
 * The association's chat bubble. One tag on any page:
 *
 *   <script src="https://HOST/widget.js" data-server="https://RASA-HOST"></script>
 *
 * data-server: the Rasa server (WebSocket at /webhooks/web/socket); default: the script's origin.
 * data-privacy: address of the privacy notice; default: /confidentialite next to the script.
 *
 * Plain JavaScript, no dependency, no build step. The conversation token (a signed, random
 * conversation id) is kept in localStorage; the history comes back from the server after a
 * reload. The texts come from data/association/widget.yml (inserted by the web app).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.entraideWidget) {
    return;
  }
  var TEXTS = {/*WIDGET_TEXTS*/};
  var scriptUrl = new URL(script.src, document.baseURI);
  var server = (script.getAttribute("data-server") || scriptUrl.origin).replace(/\/+$/, "");
  var socketUrl = server.replace(/^http/, "ws") + "/webhooks/web/socket";
  var privacyUrl = script.getAttribute("data-privacy") || new URL("/confidentialite", scriptUrl).href;
  var storageKey = "entraide-widget:" + server;
  var MAX_DELAY_SECONDS = 30;

  function t(key, values) {
    var text = TEXTS[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function stored(storage, key, value) {
    // storage can be unavailable (private browsing, blocked cookies): the bubble still works
    try {
      if (value === undefined) {
        return window[storage].getItem(key);
      }
      if (value === null) {
        window[storage].removeItem(key);
      } else {
        window[storage].setItem(key, value);
      }
    } catch (error) {
      return null;
    }
    return null;
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // ---------------------------------------------------------------- the interface

  var host = element("div", { id: "entraide-widget" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.appendChild(element("link", { rel: "stylesheet", href: new URL("widget.css", scriptUrl).href }));

  var launcher = element("button", {
    type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "entraide-panel",
    "aria-label": t("open"),
  });
  launcher.innerHTML =
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6' +
    'a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"/>' +
    "</svg>";
  var badge = element("span", { class: "badge", hidden: "" }, "1");
  launcher.appendChild(badge);

  var panel = element("section", {
    id: "entraide-panel", class: "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "entraide-title", hidden: "",
  });
  var header = element("header");
  var heading = element("div");
  heading.appendChild(element("h2", { id: "entraide-title" }, t("title")));
  var subtitle = element("p", { class: "subtitle" }, t("subtitle") + " · ");
  var connection = element("span", { class: "connection" }, t("connecting"));
  subtitle.appendChild(connection);
  heading.appendChild(subtitle);
  var closeButton = element("button", { type: "button", class: "close", "aria-label": t("close") });
  closeButton.innerHTML = '<span aria-hidden="true">×</span>';
  header.appendChild(heading);
  header.appendChild(closeButton);

  var log = element("div", {
    class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": t("log"),
    tabindex: "0",
  });
  var typing = element("div", { class: "typing", hidden: "" });
  typing.appendChild(element("span", { class: "dots", "aria-hidden": "true" }, ""));
  typing.appendChild(element("span", {}, t("typing")));
  var status = element("div", { class: "status", role: "status", "aria-live": "polite" });
  var retryButton = element("button", { type: "button", class: "retry", hidden: "" }, t("retry"));

  var form = element("form", { class: "composer" });
  var input = element("textarea", {
    id: "entraide-input", rows: "1", maxlength: "2000", placeholder: t("placeholder"), autocomplete: "off",
  });
  var label = element("label", { for: "entraide-input", class: "visually-hidden" }, t("input_label"));
  var sendButton = element("button", { type: "submit", class: "send" }, t("send"));
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);

  var footer = element("footer");
  footer.appendChild(element("a", { href: privacyUrl, target: "_blank", rel: "noopener" }, t("privacy")));

  [header, log, typing, status, retryButton, form, footer].forEach(function (part) {
    panel.appendChild(part);
  });
  root.appendChild(panel);
  root.appendChild(launcher);

  // ---------------------------------------------------------------- the conversation

  var token = stored("localStorage", storageKey);
  var socket = null;
  var welcomed = false;
  var attempt = 0;
  var reconnectTimer = null;
  var countdownTimer = null;
  var outbox = []; // messages typed while the connection was down: sent once it is back
  var historyEmpty = true;
  var greeted = false;

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function removeQuickReplies() {
    Array.prototype.forEach.call(log.querySelectorAll(".replies"), function (group) {
      group.parentNode.removeChild(group);
    });
  }

  function addMessage(from, text, buttons, pending) {
    if (from === "user") {
      removeQuickReplies();
    }
    var item = element("div", { class: "message " + from + (pending ? " pending" : "") });
    item.appendChild(element("span", { class: "visually-hidden" }, (from === "user" ? t("you") : t("assistant")) + " : "));
    var body = element("span", { class: "text" });
    if (from === "user") {
      body.textContent = text;
    } else {
      appendLinked(body, text);
    }
    item.appendChild(body);
    if (buttons && buttons.length) {
      var group = element("div", { class: "replies", role: "group", "aria-label": t("quick_replies") });
      buttons.forEach(function (button) {
        var reply = element("button", { type: "button", class: "reply" }, button.title);
        reply.addEventListener("click", function () {
          sendMessage(button.payload, button.title);
          input.focus();
        });
        group.appendChild(reply);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    scrollDown();
    return item;
  }

  // The assistant's links (calendar file, attestation, privacy page) become real links. Built with
  // DOM nodes, never HTML: the text is the assistant's (or a staff member's), and only http(s)
  // addresses become links; a closing punctuation mark is left out of the address.
  var LINK = /https?:\/\/[^\s<>"'«»]+/g;
  var TRAILING = /[.,;:!?)\]]+$/;

  function appendLinked(parent, text) {
    var from = 0;
    String(text).replace(LINK, function (match, offset) {
      var address = match.replace(TRAILING, "");
      var url = null;
      try {
        url = new URL(address);
      } catch (error) {
        url = null;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        return match;
      }
      parent.appendChild(document.createTextNode(text.slice(from, offset)));
      parent.appendChild(element("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" }, address));
      from = offset + address.length;
      return match;
    });
    parent.appendChild(document.createTextNode(String(text).slice(from)));
  }

  function addNotice(text) {
    log.appendChild(element("div", { class: "notice" }, text));
    scrollDown();
  }

  function setTyping(on) {
    typing.hidden = !on;
    if (on) {
      status.textContent = t("typing");
    } else if (status.textContent === t("typing")) {
      status.textContent = "";
    }
    scrollDown();
  }

  function setConnection(state, seconds) {
    // the header shows the state; the live status region announces changes once
    var text = state === "reconnecting" ? t("reconnecting", { seconds: seconds }) : t(state);
    connection.textContent = text;
    panel.setAttribute("data-connection", state);
    retryButton.hidden = state !== "reconnecting";
    if (state !== "connected") {
      status.textContent = text;
    } else if (status.textContent && status.textContent !== t("typing")) {
      status.textContent = t("connected");
      // announced once by the live region; then it gives the conversation its room back
      setTimeout(function () {
        if (status.textContent === t("connected")) {
          status.textContent = "";
          scrollDown();
        }
      }, 3000);
    }
    scrollDown();
  }

  function frame(data) {
    socket.send(JSON.stringify(data));
  }

  function sendMessage(text, shown) {
    var item = addMessage("user", shown || text, null, !welcomed);
    if (welcomed) {
      frame({ type: "message", text: text, label: shown || undefined });
    } else {
      outbox.push({ text: text, label: shown, item: item });
      addNotice(t("offline_queued"));
      if (!socket) {
        connect();
      }
    }
  }

  function showHistory(history) {
    log.textContent = "";
    history.forEach(function (message, index) {
      var later = history.slice(index + 1).some(function (next) { return next.from === "user"; });
      addMessage(message.from, message.text, later ? null : message.buttons);
    });
    historyEmpty = history.length === 0;
  }

  function receive(message) {
    if (message.type === "welcome") {
      welcomed = true;
      attempt = 0;
      token = message.conversation;
      stored("localStorage", storageKey, token);
      setConnection("connected");
      showHistory(message.history || []);
      var waiting = outbox;
      outbox = [];
      waiting.forEach(function (queued) {
        addMessage("user", queued.label || queued.text);
        frame({ type: "message", text: queued.text, label: queued.label || undefined });
      });
      if (waiting.length) {
        historyEmpty = false;
      }
      greetIfNew();
    } else if (message.type === "bot") {
      addMessage("bot", message.text || "", message.buttons);
      historyEmpty = false;
      if (panel.hidden) {
        badge.hidden = false;
        launcher.setAttribute("aria-label", t("open") + " — " + t("unread"));
      }
    } else if (message.type === "user") {
      addMessage("user", message.text || "");
      historyEmpty = false;
    } else if (message.type === "typing") {
      setTyping(Boolean(message.on));
    } else if (message.type === "error") {
      addNotice(message.text || "");
    }
  }

  function greetIfNew() {
    // a new conversation opens with the assistant's greeting, once, when the panel is open
    if (welcomed && historyEmpty && !greeted && !panel.hidden) {
      greeted = true;
      frame({ type: "start" });
    }
  }

  function connect() {
    clearTimeout(reconnectTimer);
    clearInterval(countdownTimer);
    reconnectTimer = null;
    if (socket) {
      return;
    }
    setConnection("connecting");
    try {
      socket = new WebSocket(socketUrl);
    } catch (error) {
      socket = null;
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      frame({ type: "hello", conversation: token || null });
    });
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      receive(message);
    });
    socket.addEventListener("close", function () {
      socket = null;
      welcomed = false;
      setTyping(false);
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    // exponential backoff with jitter, so a restarted server is not hit by every page at once
    var base = Math.min(MAX_DELAY_SECONDS, Math.pow(2, attempt));
    var seconds = Math.max(1, Math.round(base * (0.75 + Math.random() * 0.5)));
    attempt += 1;
    setConnection("reconnecting", seconds);
    clearInterval(countdownTimer);
    countdownTimer = setInterval(function () {
      seconds -= 1;
      if (seconds > 0) {
        connection.textContent = t("reconnecting", { seconds: seconds });
      }
    }, 1000);
    reconnectTimer = setTimeout(connect, seconds * 1000);
  }

  // ---------------------------------------------------------------- opening, closing, keyboard

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", t("open"));
    badge.hidden = true;
    stored("sessionStorage", storageKey + ":open", "1");
    if (!socket) {
      connect();
    }
    greetIfNew();
    scrollDown();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", t("open"));
    stored("sessionStorage", storageKey + ":open", null);
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) {
      open();
    } else {
      close();
    }
  });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  retryButton.addEventListener("click", function () {
    attempt = 0;
    connect();
  });
  window.addEventListener("online", function () {
    if (!socket) {
      attempt = 0;
      connect();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    input.value = "";
    sendMessage(text);
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter starts a new line
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  function start() {
    document.body.appendChild(host);
    window.entraideWidget = { open: open, close: close };
    if (stored("sessionStorage", storageKey + ":open")) {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      launcher.setAttribute("aria-label", t("open"));
    }
    if (token || !panel.hidden) {
      connect(); // a known conversation reconnects at once, to show its history and new messages
    }
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
