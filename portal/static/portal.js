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
  // The event fires on each element the swap put in: for an outerHTML swap,
  // event.detail.target is the element that was replaced, no longer in the page.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (!root || !root.isConnected || typeof root.querySelector !== "function") return;
    var target = root.querySelector("[aria-invalid=true]") || root.querySelector("[data-autofocus]")
      || (root.matches("[data-autofocus]") ? root : null)
      || (root.id === "command-form" ? root.querySelector("form input:not([type=hidden]), form select, form textarea") : null);
    if (target && typeof target.focus === "function") target.focus();
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
