// OrderGraph browser apps: live updates (server-sent events) and small helpers. No inline
// scripts (the CSP forbids them): pages opt in with data attributes.
//   <body data-live-src="/store/X/live">   opens the event stream
//   <div data-live hx-get="..." hx-trigger="refresh">   re-fetches itself on each event
(function () {
  "use strict";
  function start() {
    var src = document.body.getAttribute("data-live-src");
    if (!src || !window.EventSource) return;
    var stream = new EventSource(src);
    var timer = null;
    stream.addEventListener("order", function () {
      if (timer) return;  // a burst of events: one refresh
      timer = setTimeout(function () {
        timer = null;
        document.querySelectorAll("[data-live]").forEach(function (el) {
          if (window.htmx) window.htmx.trigger(el, "refresh");
        });
      }, 250);
    });
  }
  document.addEventListener("DOMContentLoaded", start);
  // a refused htmx request (403, 409, 422) still shows its reason in #notice
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status >= 400 && status < 500) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
