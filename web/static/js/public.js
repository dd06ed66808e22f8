// Citizen portal: optional help only; every form works without this file.
// - "Print receipt" opens the print dialog.
// - "Use my location" fills the coordinates from the phone's position, if the person allows it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-locate]").forEach(function (button) {
      var status = document.querySelector("[data-locate-status]");
      if (!("geolocation" in navigator)) { button.disabled = true; return; }
      button.addEventListener("click", function () {
        if (status) { status.textContent = "…"; }
        navigator.geolocation.getCurrentPosition(function (position) {
          document.getElementById("lat").value = position.coords.latitude.toFixed(6);
          document.getElementById("lng").value = position.coords.longitude.toFixed(6);
          if (status) { status.textContent = "✓"; }
        }, function () {
          if (status) { status.textContent = "✗"; }
        }, { enableHighAccuracy: true, timeout: 15000 });
      });
    });
  });
})();
