// Live area of a streamed answer: appends finished blocks, replaces the unfinished tail.
//
// Model text is untrusted. The only HTML this file inserts was rendered in Python by
// markdown-it with html=False (raw HTML escaped, script URLs refused); raw text is only ever
// added as text nodes.
//
// Messages from Python (custom messages, so each carries only what is new):
//   {add: [[html, join], ...]}  finished blocks, in order; join: items of the previous list
//   {tail: html, join}          the unfinished tail, rendered, replacing the previous tail;
//                               join: it goes on with the list the finished blocks end with
//   {more: text}                raw text appended to the tail (tails too long to resend)
// To Python: {stop: true} when the Stop button is pressed.

/** Turn a string of trusted, already-escaped HTML into nodes. */
function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

/** Where appended raw text goes: inside the innermost last block of the tail. */
const BLOCK_TAGS = new Set(["P", "LI", "UL", "OL", "BLOCKQUOTE", "PRE", "CODE", "TABLE",
  "TBODY", "THEAD", "TR", "TD", "TH", "H1", "H2", "H3", "H4", "H5", "H6"]);
function rawTarget(tail) {
  let node = tail;
  while (node.lastElementChild && BLOCK_TAGS.has(node.lastElementChild.tagName)) {
    node = node.lastElementChild;
  }
  return node;
}

/** One view's DOM. Several views of one model (a split notebook) each get their own. */
function createView(el, model) {
  const root = document.createElement("div");
  root.className = "claude-live";
  // JupyterLab's own Markdown styles, so the live text looks like the final output.
  const body = document.createElement("div");
  body.className = "claude-live-body jp-RenderedHTMLCommon";
  const blocks = document.createElement("div");
  const tail = document.createElement("div");
  tail.className = "claude-live-tail";
  body.append(blocks, tail);

  const bar = document.createElement("div");
  bar.className = "claude-live-bar";
  const notice = document.createElement("span");
  notice.className = "claude-live-notice";
  const stop = document.createElement("button");
  stop.className = "claude-live-stop jp-Button";
  stop.type = "button";
  stop.textContent = "Stop";
  stop.title = "Stop this answer (keeps what has arrived)";
  stop.addEventListener("click", () => {
    model.send({ stop: true });
    stop.disabled = true;
    stop.textContent = "Stopping…";
  });
  bar.append(notice, stop);
  root.append(body, bar);
  el.append(root);

  return {
    add(html, join) {
      const nodes = fragment(html);
      const list = nodes.firstElementChild;
      const previous = blocks.lastElementChild?.lastElementChild;
      if (join && list && previous && previous.tagName === list.tagName) {
        // Items of one list arrive one by one: keep them in one list, numbered as one.
        previous.append(...list.children);
        return;
      }
      const wrapper = document.createElement("div");
      wrapper.append(nodes);
      blocks.append(wrapper);
    },
    tail(html, join) {
      tail.replaceChildren(fragment(html));
      // Kept apart (it is replaced often) but drawn as part of the list above it.
      tail.classList.toggle("claude-live-join", Boolean(join));
    },
    more(text) {
      rawTarget(tail).append(document.createTextNode(text));
    },
    notice(text) {
      notice.textContent = text;
    },
  };
}

export default {
  initialize({ model }) {
    // Messages may arrive before any view exists, and a view may be added later: the model
    // keeps the whole picture. set() without save_changes() stays in the browser.
    const live = { added: [], tail: "", join: false, more: [], views: new Set() };
    model.set("_live", live);
    model.on("msg:custom", (msg) => {
      for (const [html, join] of msg.add ?? []) {
        live.added.push([html, join]);
        for (const view of live.views) view.add(html, join);
      }
      if (msg.tail !== undefined) {
        live.tail = msg.tail;
        live.join = msg.join;
        live.more = [];
        for (const view of live.views) view.tail(msg.tail, msg.join);
      }
      if (msg.more !== undefined) {
        live.more.push(msg.more);
        for (const view of live.views) view.more(msg.more);
      }
    });
  },

  render({ model, el }) {
    const live = model.get("_live");
    const view = createView(el, model);
    for (const [html, join] of live.added) view.add(html, join);
    view.tail(live.tail, live.join);
    for (const text of live.more) view.more(text);
    view.notice(model.get("notice"));
    model.on("change:notice", () => view.notice(model.get("notice")));
    live.views.add(view);
    return () => live.views.delete(view);
  },
};
