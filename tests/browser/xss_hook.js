// Installed in every page and frame before any other script (Playwright add_init_script).
// Records into window.__xss (the top window's when reachable):
//   "alert:…", "confirm:…", "prompt:…", "print:…"  script ran and called one of them
//   "dom:…"  live markup appeared inside an output: an on* attribute, srcdoc, a script-capable
//            URL, or (inside an answer) a tag the renderer never writes.
(() => {
  let log;
  try {
    window.top.__xss = window.top.__xss || [];
    log = window.top.__xss;
  } catch (e) {
    window.__xss = window.__xss || [];
    log = window.__xss;
  }
  const record = (line) => {
    try { log.push(line); } catch (e) { /* a frame that cannot reach the top */ }
  };
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = function (...args) { record(`${name}:${args.join(" ")}`); };
  }

  const OUTPUTS = ".jp-OutputArea-output, .claude-live, .claude-chat, .claude-answer";
  const ANSWERS = ".claude-answer, .claude-live-body";
  const ANSWER_TAGS = new Set(["DIV", "P", "H1", "H2", "H3", "H4", "H5", "H6", "UL", "OL", "LI",
    "BLOCKQUOTE", "PRE", "CODE", "SPAN", "EM", "STRONG", "S", "A", "IMG", "TABLE", "THEAD", "TBODY",
    "TR", "TH", "TD", "HR", "BR"]);
  const URL_ATTRS = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "background",
    "poster", "codebase", "cite"]);
  const unsafeUrl = (value) => /^(javascript|vbscript|data|file):/.test(value.replace(/[\x00-\x20]/g, "").toLowerCase());

  function check(el) {
    if (!(el instanceof Element) || !el.closest(OUTPUTS)) return;
    const where = el.outerHTML.slice(0, 160);
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) record(`dom:${name} on ${where}`);
      else if (name === "srcdoc") record(`dom:srcdoc on ${where}`);
      else if (URL_ATTRS.has(name) && unsafeUrl(attr.value)) record(`dom:${name}=${attr.value} on ${where}`);
    }
    // MathJax's own output (mjx-*, and the MathML it keeps for screen readers) is not an answer's.
    if (el.closest(ANSWERS) && !el.closest("mjx-container") && !ANSWER_TAGS.has(el.tagName)
        && !el.tagName.startsWith("MJX-")) {
      record(`dom:tag ${el.tagName} in ${where}`);
    }
  }

  function checkTree(node) {
    if (!(node instanceof Element)) return;
    check(node);
    for (const el of node.querySelectorAll("*")) check(el);
  }

  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === "attributes") check(m.target);
      for (const node of m.addedNodes ?? []) checkTree(node);
    }
  }).observe(document, { subtree: true, childList: true, attributes: true });

  // A full scan on demand (the test calls it at the end).
  window.__xssScan = () => {
    for (const el of document.querySelectorAll(OUTPUTS)) checkTree(el);
    return log;
  };
})();
