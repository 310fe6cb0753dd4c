// The reading room (documents/reading_room.html): selecting text in a part of the frozen revision fills the comment
// form's part and passage, so a reader comments on exactly those words. Without this script the form works as
// typed. Loaded from /static (the CSP allows no inline script).
(function () {
  "use strict";
  function setup() {
    // The reading room's form, or the comment form of the documents partials (documents/_comment_form.html).
    var form = document.getElementById("session-comment-form") || document.getElementById("doc-comment-form");
    if (!form) return;
    var part = form.querySelector("[name=part]");
    var quote = form.querySelector("[name=quote]");
    document.addEventListener("mouseup", function () {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed) return;
      var node = selection.anchorNode;
      var element = node && (node.nodeType === 1 ? node : node.parentElement);
      var section = element && element.closest("[data-part]");
      if (!section) return;
      var text = selection.toString().trim();
      if (!text) return;
      if (part) part.value = section.getAttribute("data-part");
      if (quote) quote.value = text.slice(0, 2000);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
