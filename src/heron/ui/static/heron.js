// heron's own progressive enhancement. Every page reads fine without it; this adds
// live updates, in-place span selection, copy buttons, collapsing, chart tooltips
// and keyboard navigation. User content is only ever inserted as text.
"use strict";
(function () {
  document.documentElement.classList.add("js");

  // ---- formatting (mirrors heron/ui/format.py) ----
  const DASH = "\u2014";
  const fmt = {
    ms(v) {
      if (v == null) return DASH;
      if (v < 1) return v.toFixed(2) + " ms";
      if (v < 1000) return Math.round(v) + " ms";
      if (v < 60000) return (v / 1000).toFixed(2) + " s";
      const s = Math.round(v / 1000), m = Math.floor(s / 60);
      if (m < 60) return m + " m " + String(s % 60).padStart(2, "0") + " s";
      return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " m";
    },
    cost(v) {
      if (v == null) return DASH;
      if (v === 0) return "$0";
      if (Math.abs(v) < 0.01) return "$" + v.toFixed(4);
      if (Math.abs(v) < 100) return "$" + v.toFixed(2);
      return "$" + Math.round(v).toLocaleString("en-US");
    },
    tokens(v) {
      if (v == null) return DASH;
      if (Math.abs(v) < 10000) return Math.trunc(v).toLocaleString("en-US");
      if (Math.abs(v) < 1e6) return (v / 1000).toFixed(1) + "k";
      return (v / 1e6).toFixed(1) + "M";
    },
    count(v) { return v == null ? DASH : Math.trunc(v).toLocaleString("en-US"); },
    rate(v) { return v < 10 ? v.toFixed(2) : Math.round(v).toLocaleString("en-US"); },
    pct(v) { return v == null ? DASH : (v * 100).toFixed(1) + "%"; },
    score(v) { return v == null ? DASH : v.toFixed(2); },
    time(iso) {
      const d = new Date(iso);
      return d.toISOString().slice(0, 19).replace("T", " ");
    },
  };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v != null) node.setAttribute(k, v);
    }
    for (const child of children || []) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function typing(event) {
    const t = event.target;
    return t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName));
  }

  // ---- time range selectors: custom fields only for "custom"; presets apply at once ----
  function initRanges(root) {
    for (const select of root.querySelectorAll("select[name=range]")) {
      const form = select.form;
      const sync = () => {
        for (const f of form.querySelectorAll(".custom-range")) {
          f.classList.toggle("is-hidden", select.value !== "custom");
        }
      };
      sync();
      select.addEventListener("change", () => {
        sync();
        if (select.value !== "custom" && select.hasAttribute("data-autosubmit")) {
          for (const name of ["start", "end"]) {
            const input = form.querySelector("input[name=" + name + "]");
            if (input) input.value = "";
          }
          form.requestSubmit();
        }
      });
    }
    // Empty fields would clutter the URL; drop them before a GET form is sent.
    for (const form of root.querySelectorAll("form[method=get]")) {
      form.addEventListener("submit", () => {
        for (const input of form.querySelectorAll("input[name], select[name]")) {
          if (!input.value) input.disabled = true;
        }
      });
    }
  }

  // ---- copy buttons ----
  function initCopy(root) {
    for (const button of root.querySelectorAll("button.copy")) {
      button.hidden = false;
      button.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(button.dataset.copy);
          button.textContent = "Copied";
        } catch (_err) {
          button.textContent = "Select & copy";
        }
        setTimeout(() => { button.textContent = "Copy"; }, 1500);
      });
    }
  }

  // ---- long chat messages collapse, with a toggle ----
  function initBubbles(root) {
    for (const bubble of root.querySelectorAll(".bubble")) {
      const text = bubble.querySelector(".text");
      if (!text || text.scrollHeight < 220 || bubble.querySelector(".more")) continue;
      bubble.classList.add("is-collapsed");
      const toggle = el("button", { type: "button", class: "more secondary", "aria-expanded": "false" }, ["Show more"]);
      toggle.addEventListener("click", () => {
        const collapsed = bubble.classList.toggle("is-collapsed");
        toggle.textContent = collapsed ? "Show more" : "Show less";
        toggle.setAttribute("aria-expanded", String(!collapsed));
      });
      bubble.append(toggle);
    }
  }

  // ---- chart tooltips from the data-chart attribute ----
  function initCharts(root) {
    for (const fig of root.querySelectorAll("figure.chart[data-chart]")) {
      const data = JSON.parse(fig.dataset.chart);
      const svg = fig.querySelector("svg");
      if (!svg || !data.t.length) continue;
      const tip = el("div", { class: "chart-tip", role: "status" });
      tip.hidden = true;
      fig.append(tip);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      line.setAttribute("class", "hover-line");
      line.setAttribute("y1", "0");
      line.setAttribute("y2", svg.viewBox.baseVal.height - 24);
      line.style.display = "none";
      svg.append(line);
      svg.addEventListener("mousemove", (event) => {
        const box = svg.getBoundingClientRect();
        const x = (event.clientX - box.left) / box.width * data.w;
        let best = 0;
        for (let i = 1; i < data.x.length; i++) {
          if (Math.abs(data.x[i] - x) < Math.abs(data.x[best] - x)) best = i;
        }
        line.setAttribute("x1", data.x[best]); line.setAttribute("x2", data.x[best]);
        line.style.display = "";
        tip.replaceChildren(el("b", {}, [fmt.time(data.t[best] * 1000)]));
        data.s.forEach((s, i) => {
          const v = s.v[best];
          tip.append(el("div", {}, [el("span", { class: "swatch s" + (i % 8) }), s.n + ": " + (v == null ? DASH : (fmt[data.u] || fmt.count)(v))]));
        });
        tip.hidden = false;
        const left = event.clientX - fig.getBoundingClientRect().left;
        tip.style.left = Math.min(left + 12, fig.clientWidth - tip.offsetWidth - 4) + "px";
        tip.style.top = "2rem";
      });
      svg.addEventListener("mouseleave", () => { tip.hidden = true; line.style.display = "none"; });
    }
  }
  // ---- trace table: j/k selection and live mode ----
  function initTraceTable() {
    const table = document.getElementById("trace-table");
    if (!table) return;
    const tbody = table.tBodies[0];
    let selected = -1;
    const rows = () => Array.from(tbody.rows);
    function select(i) {
      const all = rows();
      if (!all.length) return;
      selected = Math.max(0, Math.min(all.length - 1, i));
      all.forEach((r, j) => r.classList.toggle("is-selected", j === selected));
      all[selected].scrollIntoView({ block: "nearest" });
      all[selected].querySelector("a").focus({ preventScroll: true });
    }
    document.addEventListener("keydown", (event) => {
      if (typing(event) && !event.target.closest("#trace-table")) return;
      if (event.key === "j") { select(selected + 1); event.preventDefault(); }
      else if (event.key === "k") { select(selected - 1); event.preventDefault(); }
      else if (event.key === "Enter" && selected >= 0 && document.activeElement === document.body) {
        rows()[selected].querySelector("a").click();
      }
    });

    const toggle = document.querySelector("[data-live]");
    if (!toggle || !table.dataset.api) return;
    toggle.closest(".live-toggle").hidden = false;
    const status = document.querySelector(".live-status");
    let timer = null;
    async function poll() {
      try {
        const resp = await fetch(table.dataset.api + "&limit=50", { headers: { Accept: "application/json" } });
        if (!resp.ok) { status.textContent = "paused: server answered " + resp.status; return; }
        const body = await resp.json();
        const known = new Set(rows().map((r) => r.dataset.traceId));
        const newest = rows().length ? rows()[0].dataset.start : "";
        const fresh = body.traces.filter((t) => !known.has(t.trace_id) && t.start_time > newest);
        for (const t of fresh.reverse()) tbody.prepend(traceRow(t));
        status.textContent = "updated " + new Date().toLocaleTimeString() + (fresh.length ? " · " + fresh.length + " new" : "");
      } catch (_err) {
        status.textContent = "paused: server unreachable";
      }
    }
    toggle.addEventListener("change", () => {
      clearInterval(timer);
      if (toggle.checked) { poll(); timer = setInterval(poll, 3000); }
      else status.textContent = "";
    });
  }

  function link(href, text) { return el("a", { href }, [text]); }
  function traceRow(t) {
    const badge = el("span", { class: "badge " + (t.error ? "err" : "ok") }, [t.error ? "error" : "ok"]);
    const name = el("td", { class: "name" }, [link("/traces/" + encodeURIComponent(t.trace_id), t.name)]);
    if (t.input_preview) name.append(el("span", { class: "preview" }, [t.input_preview.slice(0, 90)]));
    const num = (text) => el("td", { class: "num" }, [text]);
    return el("tr", { "data-trace-id": t.trace_id, "data-start": t.start_time, class: "is-new" + (t.error ? " is-error" : "") }, [
      el("td", { class: "nowrap" }, [el("time", { datetime: t.start_time }, [fmt.time(t.start_time)])]),
      name,
      el("td", {}, [t.user_id ? link("/users/" + encodeURIComponent(t.user_id), t.user_id) : DASH]),
      el("td", {}, [t.session_id ? link("/sessions/" + encodeURIComponent(t.session_id), t.session_id) : DASH]),
      el("td", { class: "models" }, [t.models.join(", ") || DASH]),
      num(fmt.ms(t.duration_ms)), num(fmt.tokens(t.total_tokens)), num(fmt.cost(t.cost_usd)),
      el("td", {}, [badge]), num(fmt.score(t.eval_score)),
    ]);
  }

  // ---- trace detail: select spans in place ----
  function initWaterfall() {
    const list = document.getElementById("waterfall");
    const panel = document.getElementById("span-panel");
    if (!list || !panel) return;
    const links = () => Array.from(list.querySelectorAll("a.wf-row"));
    async function show(a, push) {
      const url = new URL(a.href);
      panel.classList.add("is-loading");
      try {
        const resp = await fetch(url.pathname + url.search + "&partial=panel");
        if (!resp.ok) { window.location.href = a.href; return; }
        // The fragment is rendered (and escaped) by the server, like the full page.
        panel.innerHTML = await resp.text();
        for (const other of links()) other.removeAttribute("aria-current");
        a.setAttribute("aria-current", "true");
        if (push) history.pushState({ span: url.searchParams.get("span") }, "", a.href);
        initCopy(panel); initBubbles(panel);
      } catch (_err) {
        window.location.href = a.href;
      } finally {
        panel.classList.remove("is-loading");
      }
    }
    list.addEventListener("click", (event) => {
      const a = event.target.closest("a.wf-row");
      if (!a || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      show(a, true);
    });
    window.addEventListener("popstate", () => {
      const id = new URL(window.location.href).searchParams.get("span");
      const a = links().find((l) => new URL(l.href).searchParams.get("span") === id) || links()[0];
      if (a) show(a, false);
    });
    document.addEventListener("keydown", (event) => {
      if (typing(event) || (event.key !== "j" && event.key !== "k")) return;
      const all = links();
      const i = all.findIndex((l) => l.getAttribute("aria-current") === "true");
      const next = all[Math.max(0, Math.min(all.length - 1, i + (event.key === "j" ? 1 : -1)))];
      if (next) { event.preventDefault(); next.focus(); show(next, true); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    initRanges(document);
    initCopy(document);
    initBubbles(document);
    initCharts(document);
    initTraceTable();
    initWaterfall();
  });
})();
