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
