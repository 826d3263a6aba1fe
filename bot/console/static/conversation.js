// The console's live conversation: new messages every second, and sending without reloading.
// Without JavaScript the page works the same, one reload at a time (bot/console/conversations.py).
(function () {
  "use strict";
  var log = document.getElementById("transcript");
  if (!log) { return; }
  var source = log.getAttribute("data-messages");
  var last = parseInt(log.getAttribute("data-last") || "0", 10);
  var holder = document.getElementById("holder");
  var heldBy = null;
  var busy = false;

  function when(iso) {
    var date = new Date(iso);
    return date.toLocaleDateString("fr-FR") + " " + date.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  }

  function add(turn) {
    var empty = document.getElementById("no-message");
    if (empty) { empty.remove(); }
    var item = document.createElement("div");
    item.className = "turn " + turn.speaker + (turn.staff ? " staff" : "");
    var meta = document.createElement("small");
    var who = turn.speaker === "user" ? "La personne" : (turn.staff ? turn.staff + " (équipe)" : "Assistant");
    meta.textContent = who + " · " + when(turn.at);
    item.appendChild(meta);
    item.appendChild(document.createTextNode(turn.text));
    if (turn.buttons && turn.buttons.length) {
      var buttons = document.createElement("small");
      buttons.textContent = "Boutons : " + turn.buttons.join(" | ");
      item.appendChild(buttons);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function poll() {
    if (busy) { return; }
    busy = true;
    fetch(source + "?after=" + last, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.turns.forEach(function (turn) { add(turn); last = Math.max(last, turn.id); });
        if (heldBy !== null && data.held_by !== heldBy && holder) {
          holder.textContent = data.held_by
            ? data.held_by + " tient cette conversation : l'assistant se tait. Rechargez la page pour agir."
            : "L'assistant a repris cette conversation. Rechargez la page pour la reprendre en main.";
        }
        heldBy = data.held_by;
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { busy = false; });
  }

  var form = document.getElementById("send-form");
  if (form) {
    var field = document.getElementById("staff-message");
    var status = document.getElementById("send-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      status.textContent = "Envoi…";
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString()
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (result.ok) {
            field.value = "";
            status.textContent = "Envoyé.";
            poll();
          } else {
            status.textContent = result.data.error || "Le message n'a pas été envoyé.";
          }
        })
        .catch(function () { status.textContent = "Le message n'a pas été envoyé (connexion perdue) : réessayez."; });
    });
  }
  setInterval(poll, 1000);
})();
