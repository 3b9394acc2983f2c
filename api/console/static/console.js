// The console's only script: instants in the viewer's zone, and the live countdowns.
//
// Each figure carries its value (data-seconds, as of the tracker the page was built from) and
// its rate (data-rate: -1 counting down, +1 counting up, 0 standing still). Every second it is
// moved by the wall time since the page loaded; nothing else moves it. A section with
// data-refresh-in is fetched again after that many seconds (the server sets it to at most 30 s,
// and to the moment a running countdown reaches zero), so a clock that stops or starts on the
// server (business hours close, a rule pauses the case, a violation) shows within that time.
"use strict";

(function () {
  const local = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "medium",
  });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  function showInstants(root) {
    for (const node of root.querySelectorAll("time.local")) {
      const at = new Date(node.getAttribute("datetime"));
      node.textContent = local.format(at) + " (" + zone + ")";
      node.title = node.getAttribute("datetime");
    }
  }

  function text(seconds) {
    const whole = Math.floor(Math.abs(seconds));
    const days = Math.floor(whole / 86400);
    const pad = (n) => String(n).padStart(2, "0");
    const clock =
      pad(Math.floor((whole % 86400) / 3600)) +
      ":" + pad(Math.floor((whole % 3600) / 60)) +
      ":" + pad(whole % 60);
    return days ? days + " d " + clock : clock;
  }

  let loadedAt = performance.now();

  function tick() {
    const since = (performance.now() - loadedAt) / 1000;
    for (const node of document.querySelectorAll(".figure")) {
      const rate = Number(node.dataset.rate);
      if (!rate) continue;
      const value = Math.max(0, Number(node.dataset.seconds) + rate * since);
      const shown = text(value);
      if (node.textContent !== shown) node.textContent = shown;
    }
  }

  async function refresh(section) {
    try {
      const response = await fetch(window.location.href, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (!response.ok) return schedule(section, 30);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById(section.id);
      if (!fresh) return schedule(section, 30);
      section.replaceWith(fresh);
      loadedAt = performance.now();
      showInstants(fresh);
      schedule(fresh, Number(fresh.dataset.refreshIn) || 30);
    } catch (error) {
      // Offline for a moment: keep the figures we have and try again later.
      schedule(section, 30);
    }
  }

  function schedule(section, seconds) {
    window.setTimeout(() => refresh(section), Math.max(1, seconds) * 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    showInstants(document);
    for (const section of document.querySelectorAll("[data-refresh-in]")) {
      schedule(section, Number(section.dataset.refreshIn) || 30);
    }
    window.setInterval(tick, 1000);
  });
})();
