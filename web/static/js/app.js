// Aduflow: small enhancements only; every page works without this file.
// - Text size and contrast apply at once (and are kept in localStorage and the cookie the server reads).
// - Forms marked data-confirm ask once more before an irreversible step (the server checks the
//   confirmation checkbox anyway).
// - "Select all" checkboxes for bulk actions.
(function () {
  "use strict";
  var root = document.documentElement;
  var SIZES = ["normal", "large", "larger"];
  var YEAR = 365 * 24 * 3600;

  function remember(name, value) {
    try { window.localStorage.setItem("aduflow." + name, value); } catch (e) { /* private mode */ }
    document.cookie = name + "=" + encodeURIComponent(value) + "; path=/; max-age=" + YEAR + "; samesite=lax";
  }

  function stored(name) {
    try { return window.localStorage.getItem("aduflow." + name); } catch (e) { return null; }
  }

  function applySize(size) {
    SIZES.forEach(function (s) { root.classList.remove("text-" + s); });
    root.classList.add("text-" + size);
    document.querySelectorAll("[data-text-size]").forEach(function (link) {
      if (link.getAttribute("data-text-size") === size) { link.setAttribute("aria-current", "true"); }
      else { link.removeAttribute("aria-current"); }
    });
  }

  function applyContrast(mode) {
    root.classList.toggle("high-contrast", mode === "high");
    document.querySelectorAll("[data-contrast]").forEach(function (link) {
      if (link.getAttribute("data-contrast") === mode) { link.setAttribute("aria-current", "true"); }
      else { link.removeAttribute("aria-current"); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A choice made on this device wins over a cookie another tab or device may have left.
    var size = stored("text_size");
    if (size && SIZES.indexOf(size) >= 0) { applySize(size); remember("text_size", size); }
    var contrast = stored("contrast");
    if (contrast === "high" || contrast === "normal") { applyContrast(contrast); remember("contrast", contrast); }

    document.querySelectorAll("[data-text-size]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var chosen = link.getAttribute("data-text-size");
        applySize(chosen);
        remember("text_size", chosen);
      });
    });

    document.querySelectorAll("[data-contrast]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var chosen = link.getAttribute("data-contrast");
        applyContrast(chosen);
        remember("contrast", chosen);
      });
    });

    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });

    document.querySelectorAll("input[data-select-all]").forEach(function (toggle) {
      toggle.addEventListener("change", function () {
        var name = toggle.getAttribute("data-select-all");
        document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) {
          box.checked = toggle.checked;
        });
      });
    });
  });
})();
