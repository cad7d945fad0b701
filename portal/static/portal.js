/* Small enhancements on top of htmx. Every page works without this file. */
(function () {
  "use strict";

  // A refused htmx request (403, 404, 400 CSRF, 500): say so in the message area
  // instead of failing silently.
  document.body.addEventListener("htmx:responseError", function (event) {
    var area = document.getElementById("messages");
    if (!area) return;
    var xhr = event.detail.xhr;
    var text = document.body.dataset.errorText || "The request failed";
    var p = document.createElement("p");
    p.className = "message message--error";
    p.textContent = text + " (" + xhr.status + ")";
    area.replaceChildren(p);
  });

  // After a swap, put the keyboard focus where the user continues: the first invalid field
  // of a form re-shown with its errors, else what the server marked data-autofocus (the first
  // command after a command or a conflict, the first field of a command form, a message).
  // This runs on htmx:afterSwap, in the same task as the swap, never later: on afterSettle
  // (20 ms on) it would take the focus away from a field the user had already clicked into
  // and send what they type there into another field.
  // The event fires on each element the swap put in: for an outerHTML swap,
  // event.detail.target is the element that was replaced, no longer in the page.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var root = event.target;
    if (!root || !root.isConnected || typeof root.querySelector !== "function") return;
    var target = root.querySelector("[aria-invalid=true]") || root.querySelector("[data-autofocus]")
      || (root.matches("[data-autofocus]") ? root : null)
      || (root.id === "command-form" ? root.querySelector("form input:not([type=hidden]), form select, form textarea") : null);
    if (target && typeof target.focus === "function") target.focus();
  });

  // A table wider than the screen scrolls in its box (.table-scroll): when nothing inside can
  // take the focus, the box itself does, so that the keyboard can scroll it too.
  function scrollableBoxes() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      var focusable = box.querySelector("a[href], button, input, select, textarea, [tabindex]");
      if (wide && !focusable) box.setAttribute("tabindex", "0");
      else if (!wide && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    });
  }
  scrollableBoxes();
  window.addEventListener("resize", scrollableBoxes);
  document.body.addEventListener("htmx:afterSettle", scrollableBoxes);

  // Keyboard shortcuts (documented on /help): Alt+Shift+letter focuses the element marked
  // data-shortcut="letter" (never clicks it); "/" outside a text field focuses the search box.
  document.addEventListener("keydown", function (event) {
    var typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    var key = (event.key || "").toLowerCase();
    var target = null;
    if (event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey && /^[a-z]$/.test(key)) {
      target = document.querySelector('[data-shortcut="' + key + '"]');
    } else if (event.key === "/" && !typing && !event.altKey && !event.ctrlKey && !event.metaKey) {
      target = document.getElementById("global-search");
    } else if (event.code && /^Key[A-Z]$/.test(event.code) && event.altKey && event.shiftKey) {
      // keyboards whose Alt+Shift+letter yields another character
      target = document.querySelector('[data-shortcut="' + event.code.slice(3).toLowerCase() + '"]');
    }
    if (!target) return;
    event.preventDefault();
    target.focus();
    if (typeof target.select === "function" && target.tagName === "INPUT") target.select();
  });

  // Comment templates: picking one inserts its text into the comment box
  // (without JavaScript the server puts the chosen template first instead).
  document.body.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-template-for]");
    if (!select || !select.value) return;
    var box = document.getElementById(select.dataset.templateFor);
    if (!box) return;
    var text = select.value;
    box.value = box.value ? box.value.replace(/\s*$/, "\n") + text : text;
    select.value = "";
    box.focus();
  });

  // The command whose form is open is marked in the command bar.
  document.body.addEventListener("click", function (event) {
    var link = event.target.closest(".commands a[hx-get]");
    if (!link) return;
    link.parentNode.querySelectorAll("a[aria-current]").forEach(function (other) {
      other.removeAttribute("aria-current");
    });
    link.setAttribute("aria-current", "true");
  });
})();
