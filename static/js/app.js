// Touchbase: the small amount of script the server-rendered pages need.
(function () {
  "use strict";

  // Preselect the browser's time zone in forms that ask for one.
  function fillTimezone(root) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    root.querySelectorAll("[data-browser-timezone]").forEach(function (el) {
      if (!el.value && zone) {
        if (el.tagName === "SELECT") {
          var option = el.querySelector('option[value="' + zone.replace(/"/g, "") + '"]');
          if (option) { el.value = zone; }
        } else {
          el.value = zone;
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { fillTimezone(document); });
  document.addEventListener("htmx:load", function (event) { fillTimezone(event.target); });
})();

// == Touches: toasts ==
// A toast (e.g. "Logged … Undo") removes itself after its data-toast-seconds; the server
// refuses a late undo anyway, so this is only about not leaving a dead button on screen.
(function () {
  "use strict";

  function armToasts() {
    document.querySelectorAll(".toast[data-toast-seconds]:not([data-armed])").forEach(function (toast) {
      var seconds = parseFloat(toast.getAttribute("data-toast-seconds")) || 4;
      toast.setAttribute("data-armed", "");
      window.setTimeout(function () {
        toast.classList.add("leaving");
        window.setTimeout(function () { toast.remove(); }, 250);
      }, seconds * 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", armToasts);
  document.addEventListener("htmx:load", armToasts);
})();

// == Accounts: copy a shown-once secret (invite link, API token) ==
// The secret sits in a read-only input next to a [data-copy] button; focusing the input selects
// it all, so copying by hand works too when the Clipboard API is unavailable (plain http).
(function () {
  "use strict";

  function secretInput(el) {
    var box = el.closest(".secret");
    return box ? box.querySelector("input[readonly]") : null;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = secretInput(button);
    if (!input) { return; }
    var done = function () {
      var label = button.getAttribute("data-copied-label");
      if (label) { button.textContent = label; }
    };
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected for a manual copy */ }
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".secret input[readonly]")) { event.target.select(); }
  });
})();
