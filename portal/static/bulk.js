/* Bulk modes: the scan field, select all / clear all, the checked count, the slips PDF.
   The pages work without this file (plain form posts); it makes scanning fast and safe. */
(function () {
  "use strict";

  var scanForm = document.getElementById("scan-form");
  var scanInput = document.getElementById("scan-input");
  var queue = document.getElementById("scan-queue");

  // -- scanning ------------------------------------------------------------------------
  // A scanner types the ID and Enter, quickly and often. htmx queues the requests
  // (hx-sync="this:queue all") but reads a queued request's values only when it is sent,
  // by which time the field holds the next scan. So each Enter moves the typed ID into a
  // hidden input at once and clears the field; a request carries every ID still waiting.
  if (scanForm && scanInput && queue) {
    scanInput.removeAttribute("name"); // only the queued copies are sent
    document.addEventListener("submit", function (event) {
      if (event.target !== scanForm) return;
      var value = scanInput.value.trim();
      scanInput.value = "";
      scanInput.focus();
      if (!value) { // nothing typed: no request at all
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      var pending = document.createElement("input");
      pending.type = "hidden";
      pending.name = "ill_id";
      pending.value = value;
      queue.appendChild(pending);
    }, true); // capture: before htmx's own submit handler

    document.body.addEventListener("htmx:configRequest", function (event) {
      // The values were gathered just now: the waiting IDs are on their way.
      if (event.detail.elt === scanForm) queue.replaceChildren();
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "scan-state") applyScans();
    });
    document.body.addEventListener("htmx:responseError", function (event) {
      if (event.detail.elt === scanForm) beep("error");
    });

    // After a run, the next scan goes into the scan field, unless a failed row has an input
    // to correct (portal.js focused it).
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id === "bulk-form" && !event.target.querySelector("[aria-invalid=true]")) scanInput.focus();
    });
  }

  function applyScans() {
    var state = document.getElementById("scan-state");
    if (!state) return;
    var messages = state.querySelectorAll(".scan-msg");
    var lastRow = null;
    // Oldest first, so that the latest scan is the one scrolled to.
    for (var i = messages.length - 1; i >= 0; i--) {
      var message = messages[i];
      if (message.dataset.checks !== "1") continue;
      var row = document.getElementById("row-" + message.dataset.illId);
      if (!row) row = insertRow(state, message.dataset.illId);
      if (!row) continue;
      var box = row.querySelector("input[type=checkbox][name=ill_id]");
      if (box) box.checked = true; // scanning checks, never unchecks
      row.classList.remove("bulk-row--flash");
      void row.offsetWidth; // restart the highlight
      row.classList.add("bulk-row--flash");
      lastRow = row;
    }
    keepProblems(messages);
    if (lastRow) lastRow.scrollIntoView({block: "center", behavior: "smooth"});
    if (messages.length) beep(messages[0].dataset.outcome);
    updateCount();
    if (scanInput) scanInput.focus();
  }

  // A scan that checked nothing stays listed (the last few) even after the next scans
  // replace the big message, so a quick scanner does not miss it.
  var MAX_PROBLEMS = 5;
  function keepProblems(messages) {
    var list = document.getElementById("scan-problems");
    if (!list) return;
    for (var i = messages.length - 1; i >= 0; i--) {
      if (messages[i].dataset.checks === "1") continue;
      var item = document.createElement("li");
      item.className = "scan-problem scan-problem--" + messages[i].dataset.outcome;
      item.textContent = messages[i].querySelector(".scan-msg__text").textContent;
      list.insertBefore(item, list.firstChild);
    }
    while (list.children.length > MAX_PROBLEMS) list.removeChild(list.lastChild);
    list.parentElement.hidden = list.children.length === 0;
  }

  function insertRow(state, illId) {
    // A record that was not listed when the page opened: its row came with the answer.
    var template = state.querySelector('template.scan-row[data-ill-id="' + illId + '"]');
    var body = document.getElementById("bulk-rows");
    if (!template || !body) return null;
    var row = template.content.querySelector("tr").cloneNode(true);
    var empty = body.querySelector(".empty-row");
    if (empty) empty.remove();
    body.appendChild(row);
    if (window.htmx) window.htmx.process(row);
    return row;
  }

  // -- a short beep per outcome (WebAudio; silent where audio is not allowed) ----------------
  var audio = null;
  var TONES = {
    ok: [[880, 0.06]], already_scanned: [[660, 0.05], [660, 0.05]],
    unknown_id: [[220, 0.25]], other_library: [[220, 0.25]], wrong_status: [[330, 0.12], [220, 0.18]], error: [[180, 0.3]]
  };

  function beep(outcome) {
    var tones = TONES[outcome];
    if (!tones) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var at = audio.currentTime;
      tones.forEach(function (tone) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        oscillator.frequency.value = tone[0];
        gain.gain.value = 0.08;
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(at);
        oscillator.stop(at + tone[1]);
        at += tone[1] + 0.05;
      });
    } catch (e) { /* no audio: the coloured message says it all */ }
  }

  // -- select all / clear all, and the checked count ------------------------------------------
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#bulk-form [data-check]");
    if (!link) return;
    event.preventDefault();
    var on = link.dataset.check === "all";
    document.querySelectorAll("#bulk-rows input[type=checkbox][name=ill_id]").forEach(function (box) {
      box.checked = on;
    });
    updateCount();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("#bulk-rows input[type=checkbox]")) updateCount();
  });
  document.body.addEventListener("htmx:afterSettle", updateCount);

  function updateCount() {
    var counter = document.getElementById("checked-count");
    if (!counter) return;
    var boxes = document.querySelectorAll("#bulk-rows input[type=checkbox][name=ill_id]");
    var checked = 0;
    boxes.forEach(function (box) { if (box.checked) checked++; });
    counter.textContent = counter.dataset.text.replace("{n}", checked).replace("{total}", boxes.length);
  }

  // -- "… + print": open the one PDF of the run's slips ------------------------------------------
  document.body.addEventListener("bulk-print", function (event) {
    var url = event.detail && event.detail.value;
    if (url) window.open(url, "_blank", "noopener"); // a blocked pop-up still leaves the link on the page
  });
})();
