"use strict";
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  var list = document.getElementById("page-list");
  var filter = document.getElementById("filter");
  var severity = document.getElementById("severity");
  var sort = document.getElementById("sort");
  if (!list || !filter || !severity || !sort) return;
  var pages = Array.prototype.slice.call(list.querySelectorAll("#page-list > details"));
  // What sorting needs, read off each page once.
  pages.forEach(function (page) {
    page.dataset.path = page.querySelector(".path").textContent;
    page.dataset.errors = page.querySelectorAll(".finding.error").length;
    page.dataset.warnings = page.querySelectorAll(".finding.warning").length;
  });
  function idOf(finding) { return finding.querySelector("p > a").textContent; }
  function apply() {
    var words = filter.value.toLowerCase().trim();
    var level = severity.value;
    var shown = 0;
    pages.forEach(function (page) {
      var any = false;
      page.querySelectorAll(".finding").forEach(function (finding) {
        var fits = (level === "all" || finding.classList.contains(level)) &&
          (!words || (page.dataset.path + " " + finding.textContent).toLowerCase().indexOf(words) >= 0);
        finding.classList.toggle("hidden", !fits);
        any = any || fits;
      });
      page.classList.toggle("hidden", !any);
      if (any) shown += 1;
    });
    document.getElementById("shown").textContent = shown + " of " + pages.length + " pages";
  }
  function order() {
    var by = sort.value;
    var key = {
      worst: function (a, b) { return (b.dataset.errors - a.dataset.errors) || (b.dataset.warnings - a.dataset.warnings); },
      most: function (a, b) { return (+b.dataset.errors + +b.dataset.warnings) - (+a.dataset.errors + +a.dataset.warnings); },
      path: function () { return 0; }
    }[by];
    pages.slice().sort(function (a, b) {
      return key(a, b) || (a.dataset.path < b.dataset.path ? -1 : a.dataset.path > b.dataset.path ? 1 : 0);
    }).forEach(function (page) { list.appendChild(page); });
  }
  // A page that opens shows, under its findings, what each of its ids means.
  function explain(page) {
    if (!page.open || page.querySelector(".why")) return;
    var ids = [];
    page.querySelectorAll(".finding").forEach(function (f) {
      if (ids.indexOf(idOf(f)) < 0) ids.push(idOf(f));
    });
    ids.forEach(function (id) {
      var entry = document.getElementById("why-" + id);
      if (!entry) return;
      var why = document.createElement("div");
      why.className = "why";
      var title = document.createElement("strong");
      title.textContent = id;
      why.appendChild(title);
      entry.querySelectorAll("p").forEach(function (p) { why.appendChild(p.cloneNode(true)); });
      page.appendChild(why);
    });
  }
  pages.forEach(function (page) {
    page.addEventListener("toggle", function () { explain(page); });
    // A page open from the start may have toggled before this script ran.
    explain(page);
  });
  filter.addEventListener("input", apply);
  severity.addEventListener("change", apply);
  sort.addEventListener("change", function () { order(); });
  document.getElementById("expand").addEventListener("click", function () {
    pages.forEach(function (page) { if (!page.classList.contains("hidden")) page.open = true; });
  });
  document.getElementById("collapse").addEventListener("click", function () {
    pages.forEach(function (page) { page.open = false; });
  });
  document.querySelectorAll(".finding p > a").forEach(function (link) {
    link.addEventListener("click", function () {
      var entry = document.getElementById(link.getAttribute("href").slice(1));
      if (entry) entry.open = true;
    });
  });
  // Printed, every page is open with what its ids mean, and so is every id; as it was after.
  var before = [];
  var entries = Array.prototype.slice.call(document.querySelectorAll("#ids details"));
  window.addEventListener("beforeprint", function () {
    before = pages.concat(entries).map(function (d) { return d.open; });
    pages.concat(entries).forEach(function (d) { d.open = true; });
    pages.forEach(explain);
  });
  window.addEventListener("afterprint", function () {
    pages.concat(entries).forEach(function (d, i) { d.open = before[i]; });
  });
  // A link to the report may carry a filter: report.html#q=foreign-tag.
  if (location.hash.indexOf("#q=") === 0) {
    try {
      filter.value = decodeURIComponent(location.hash.slice(3));
    } catch (e) {
      filter.value = location.hash.slice(3);
    }
  }
  apply();
})();
