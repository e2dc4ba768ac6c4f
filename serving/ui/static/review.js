// Soi review page: keyboard shortcuts on top of plain HTML forms and links (everything works without them).
// Queue: J/K move between listings, Enter opens. Listing: 1/2/3 toggle labels, Enter submits
// (Ctrl+Enter inside the note), N writes a note, J claims and opens the next listing, K the previous one,
// U retracts the review just saved, Q back to the queue. ? = help.
(function () {
  "use strict";
  var page = document.body.getAttribute("data-page");
  var help = document.getElementById("phim-tat");

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && ["checkbox", "radio", "button", "submit"].indexOf(el.type) < 0);
  }

  function toggleHelp() {
    if (!help || typeof help.showModal !== "function") return;
    if (help.open) help.close(); else help.showModal();
  }

  document.querySelectorAll("[data-help-open]").forEach(function (b) { b.addEventListener("click", toggleHelp); });

  var sent = false;
  function submitOnce(id) {  // J or U pressed twice before the page changes sends one request
    var target = document.getElementById(id);
    if (target && !sent) { sent = true; target.requestSubmit(); }
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) window.location.assign(link.href);
  }

  // ---- queue: a current row moved by J/K; Enter on its focused link opens it (native behaviour)
  var links = Array.prototype.slice.call(document.querySelectorAll("[data-queue-link]"));
  function moveInQueue(step) {
    if (!links.length) return;
    var index = links.indexOf(document.activeElement);
    index = index < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, index + step));
    links.forEach(function (l) { l.parentElement.classList.remove("is-current"); });
    links[index].parentElement.classList.add("is-current");
    links[index].focus();
    links[index].scrollIntoView({ block: "nearest" });
  }

  // ---- listing: the review form
  var form = document.getElementById("review-form");
  var note = document.getElementById("note");
  var submitting = false;
  if (form) {
    form.addEventListener("submit", function (event) {
      if (submitting) { event.preventDefault(); return; }  // one review per key press, however fast
      submitting = true;
      var button = document.getElementById("submit-review");
      if (button) { button.setAttribute("aria-disabled", "true"); button.textContent = "Đang lưu…"; }
    });
  }
  // Just saved: a second Enter must not store the same review again; it submits once something has changed.
  var saved = document.getElementById("da-luu");
  var changed = !saved;
  if (saved) {
    var historyHeading = document.getElementById("lich-su");
    if (historyHeading) historyHeading.focus({ preventScroll: true });
  }
  if (form) {
    form.addEventListener("change", function () { changed = true; });
    form.addEventListener("input", function () { changed = true; });
  }

  // While the reviewer stays on a listing they hold, renew the claim at half its lease (the page load took it).
  var renew = document.getElementById("renew-form");
  if (renew && window.fetch) {
    var every = Math.max(30, parseInt(renew.getAttribute("data-renew-s"), 10) || 300) * 1000;
    window.setInterval(function () {
      fetch(renew.action, { method: "POST", body: new URLSearchParams(new FormData(renew)), credentials: "same-origin" });
    }, every);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && form && target === note && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && target === note) { note.blur(); return; }
    if (event.altKey || event.ctrlKey || event.metaKey || typing(target)) return;
    if (help && help.open) { if (event.key === "?") { event.preventDefault(); toggleHelp(); } return; }
    var key = event.key;
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (page === "case") {  // a case review changes many listings: it is saved with its button only
      if (key === "q" || key === "Q") { event.preventDefault(); follow("[data-nav=queue]"); }
      return;
    }
    if (page === "queue" || page === "cases") {
      if (key === "j" || key === "J") { event.preventDefault(); moveInQueue(1); }
      else if (key === "k" || key === "K") { event.preventDefault(); moveInQueue(-1); }
      return;
    }
    if (page !== "listing") return;
    if (key === "j" || key === "J") { event.preventDefault(); submitOnce("next-form"); }
    else if (key === "u" || key === "U") { if (document.getElementById("undo-form")) { event.preventDefault(); submitOnce("undo-form"); } }
    else if (key === "k" || key === "K") { event.preventDefault(); follow("[data-nav=previous]"); }
    else if (key === "q" || key === "Q") { event.preventDefault(); follow("[data-nav=queue]"); }
    else if (key === "n" || key === "N") { if (note) { event.preventDefault(); note.focus(); } }
    else if (/^[1-9]$/.test(key)) {
      var box = document.querySelector("[data-label-key='" + key + "']");
      if (box) { event.preventDefault(); box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
    } else if (key === "Enter" && form) {
      var tag = target && target.tagName;
      if (tag === "A" || tag === "BUTTON" || tag === "SUMMARY") return;  // Enter keeps its usual meaning there
      event.preventDefault();
      if (changed) form.requestSubmit();
      else if (saved) saved.textContent = "Đánh giá này đã được lưu. Đổi nhãn hoặc ghi chú rồi nhấn Enter để sửa, hoặc nhấn J để sang tin tiếp theo.";
    }
  });
})();
