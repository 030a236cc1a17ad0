/* The deal board (part B): drag a card to another column, or pick "Move to…" on a phone.
   Moves are POSTed to the deal's move URL; won and lost ask for the reason first. On an
   error the card goes back where it was and the server's (translated) message is shown.
   Without JavaScript the "Move to…" select and its button post a plain form. */
(function () {
  "use strict";

  var pending = null; // {card, from, next, stage, kind}
  var dragged = null; // the card being dragged (dataTransfer is not readable everywhere)

  function board() { return document.getElementById("board"); }

  function csrf() {
    var b = board();
    return b ? b.getAttribute("data-csrf") : "";
  }

  function status(message, isError) {
    var box = document.getElementById("board-status");
    if (!box) return;
    box.textContent = message || "";
    box.className = "board-status" + (isError ? " is-error" : "");
  }

  function firstError(data) {
    var errors = (data && data.errors) || {};
    for (var key in errors) {
      if (Object.prototype.hasOwnProperty.call(errors, key) && errors[key].length) {
        return errors[key][0];
      }
    }
    return "";
  }

  function revert(move) {
    if (!move || !move.from) return;
    if (move.next && move.next.parentNode === move.from) {
      move.from.insertBefore(move.card, move.next);
    } else {
      move.from.appendChild(move.card);
    }
    var select = move.card.querySelector(".board-move-select");
    if (select) select.value = "";
  }

  function refresh() {
    if (window.htmx) {
      window.htmx.ajax("GET", window.location.href, { target: "#board", select: "#board", swap: "outerHTML" });
    } else {
      window.location.reload();
    }
  }

  function send(move, extra) {
    var body = new FormData();
    body.append("stage", move.stage);
    body.append("version", move.card.getAttribute("data-version") || "");
    extra = extra || {};
    for (var key in extra) {
      if (Object.prototype.hasOwnProperty.call(extra, key)) body.append(key, extra[key]);
    }
    move.card.classList.add("is-moving");
    return fetch(move.card.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; },
        function () { return { ok: false, data: {} }; });
    }).then(function (result) {
      move.card.classList.remove("is-moving");
      if (result.ok) {
        move.card.setAttribute("data-version", result.data.version);
        status("", false);
        refresh();
        return true;
      }
      revert(move);
      status(firstError(result.data) || board().getAttribute("data-error") || "Error", true);
      return false;
    }, function () {
      move.card.classList.remove("is-moving");
      revert(move);
      status(board().getAttribute("data-error") || "Error", true);
      return false;
    });
  }

  function askReason(move) {
    var dialog = document.getElementById("board-reason");
    if (!dialog || typeof dialog.showModal !== "function") {
      // No <dialog> support: let the server's reason page ask.
      window.location.href = move.card.getAttribute("data-move-url") + "?stage=" + encodeURIComponent(move.stage);
      return;
    }
    pending = move;
    var form = dialog.querySelector("form");
    form.reset();
    dialog.querySelector(".board-dialog-error").textContent = "";
    dialog.querySelector(".reason-won").hidden = move.kind !== "won";
    dialog.querySelector(".reason-lost").hidden = move.kind !== "lost";
    dialog.showModal();
    var first = dialog.querySelector(move.kind === "won" ? "#id_won_reason" : "#id_lost_reason");
    if (first) first.focus();
  }

  function start(card, column, targetList) {
    var from = card.parentNode;
    var move = {
      card: card,
      from: from,
      next: card.nextElementSibling,
      stage: column.getAttribute("data-stage"),
      kind: column.getAttribute("data-kind")
    };
    if (targetList && targetList !== from) targetList.insertBefore(card, targetList.firstChild);
    if (move.kind === "won" || move.kind === "lost") {
      askReason(move);
    } else {
      send(move);
    }
  }

  // drag and drop
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    card.classList.add("is-dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (card) card.classList.remove("is-dragging");
    dragged = null;
    document.querySelectorAll(".board-column.is-over").forEach(function (c) { c.classList.remove("is-over"); });
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-over");
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-over");
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("is-over");
    var card = dragged || document.getElementById("deal-card-" + event.dataTransfer.getData("text/plain"));
    dragged = null;
    if (!card) return;
    var source = card.closest(".board-column");
    if (source === column) return;
    start(card, column, column.querySelector(".board-cards"));
  });

  // "Move to…" on each card (phones, keyboards)
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("board-move-select") || !select.value) return;
    var card = select.closest(".board-card");
    var column = document.querySelector('.board-column[data-stage="' + select.value + '"]');
    if (!card || !column) return;
    start(card, column, column.querySelector(".board-cards"));
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("board-move")) {
      // With JavaScript the select's change already moved the card.
      event.preventDefault();
      var select = form.querySelector(".board-move-select");
      if (select && select.value) select.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    if (form.id !== "board-reason-form" || !pending) return;
    event.preventDefault();
    var dialog = document.getElementById("board-reason");
    var submitter = event.submitter;
    var move = pending;
    if (submitter && submitter.value === "cancel") {
      pending = null;
      dialog.close();
      revert(move);
      return;
    }
    var extra = { comment: form.querySelector("[name=comment]").value };
    if (move.kind === "won") extra.won_reason = form.querySelector("[name=won_reason]").value;
    if (move.kind === "lost") extra.lost_reason = form.querySelector("[name=lost_reason]").value;
    send(move, extra).then(function (ok) {
      if (ok) {
        pending = null;
        dialog.close();
      } else {
        // Keep the dialog open with the message next to the reason; the card went back.
        dialog.querySelector(".board-dialog-error").textContent =
          document.getElementById("board-status").textContent;
        if (move.from) {
          var column = document.querySelector('.board-column[data-stage="' + move.stage + '"]');
          if (column) column.querySelector(".board-cards").insertBefore(move.card, column.querySelector(".board-cards").firstChild);
        }
      }
    });
  });
  document.addEventListener("close", function (event) {
    if (event.target.id === "board-reason" && pending) {
      var move = pending;
      pending = null;
      revert(move);
    }
  }, true);

  // Hide the no-JS "Move" buttons: the select acts on change.
  document.documentElement.classList.add("board-js");
})();
