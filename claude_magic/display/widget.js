// Live area of a streamed answer: appends finished blocks, replaces the unfinished tail.
//
// Model text is untrusted. The only HTML this file inserts was rendered in Python by the
// project's one renderer (claude_magic/_html.py: raw HTML escaped, unsafe URLs refused, only
// its own tags); raw text (the growing tail of a long block) is only ever added as text nodes.
//
// Messages from Python (custom messages, so each carries only what is new):
//   {add: [[html, join], ...]}  finished blocks, in order; join: items of the previous list
//   {tail: html, join}          the unfinished tail, rendered, replacing the previous tail;
//                               join: it goes on with the list the finished blocks end with
//   {more: text}                raw text appended to the tail (tails too long to resend)
//   {thinking: {add|tail|more}} the same, for the thinking: a collapsible block above the answer
//   {fold: true}                the answer has started: fold the thinking away
// To Python: {rendered: true} once, as soon as this front end has created the area (so the
// kernel knows it shows widgets; sent from initialize, not from a view's render, because a
// cell that ends at once replaces its output before any view renders); {stop: true} when the
// Stop button is pressed.
//
// The Chat (chat.js) imports the named exports below to show each answer the same way.

/** Turn HTML from the Python renderer (never raw model text) into nodes. */
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

/** Finished blocks, then the tail: the DOM of streamed Markdown. */
function createBlocks(className) {
  // JupyterLab's own styles, so the live text looks like the final output; MathJax is told
  // to leave it alone, as in the final output (see ANSWER_CLASS in html.py).
  const element = document.createElement("div");
  element.className = `${className} jp-RenderedHTMLCommon mathjax_ignore tex2jax_ignore`;
  const blocks = document.createElement("div");
  const tail = document.createElement("div");
  tail.className = "claude-live-tail";
  element.append(blocks, tail);
  return {
    element,
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
  };
}

/** One streamed answer: its thinking (hidden until some arrives; folds), then the answer. */
export function createLiveBody() {
  const answer = createBlocks("claude-live-body");
  const thoughts = createBlocks("claude-live-thinking-body");
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  details.className = "claude-live-thinking";
  details.hidden = true;
  details.append(summary, thoughts.element);
  const element = document.createElement("div");
  element.append(details, answer.element);
  const show = (open) => {
    details.hidden = false;
    details.open = open;
    summary.textContent = open ? "Thinking…" : "Thinking";
  };
  const thinking = {};
  for (const name of ["add", "tail", "more"]) {
    // Shown open when it starts, and again when thinking follows a fold (a tool round).
    thinking[name] = (...args) => {
      if (summary.textContent !== "Thinking…") show(true);
      thoughts[name](...args);
    };
  }
  return { ...answer, element, thinking, fold: () => show(false) };
}

/**
 * The whole picture of one answer, kept with the model: messages may arrive before any view
 * exists, and a view may be added later (a split notebook), so each view replays it.
 */
export function createLiveRecord() {
  return { added: [], tail: "", join: false, more: [], thinking: null, folded: false };
}

/** Apply one message from Python to the record and to every body showing it. */
export function applyLive(record, msg, bodies) {
  if (msg.thinking !== undefined) {
    record.thinking ??= createLiveRecord();
    record.folded = false;
    applyLive(record.thinking, msg.thinking, [...bodies].map((body) => body.thinking));
  }
  if (msg.fold) {
    record.folded = true;
    for (const body of bodies) body.fold();
  }
  for (const [html, join] of msg.add ?? []) {
    record.added.push([html, join]);
    for (const body of bodies) body.add(html, join);
  }
  if (msg.tail !== undefined) {
    record.tail = msg.tail;
    record.join = msg.join;
    record.more = [];
    for (const body of bodies) body.tail(msg.tail, msg.join);
  }
  if (msg.more !== undefined) {
    record.more.push(msg.more);
    for (const body of bodies) body.more(msg.more);
  }
}

/** Show everything the record holds in a new body. */
export function replayLive(record, body) {
  if (record.thinking) replayLive(record.thinking, body.thinking);
  if (record.folded) body.fold();
  for (const [html, join] of record.added) body.add(html, join);
  body.tail(record.tail, record.join);
  for (const text of record.more) body.more(text);
}

/** One view's DOM. Several views of one model each get their own. */
function createView(el, model) {
  const root = document.createElement("div");
  root.className = "claude-live";
  const body = createLiveBody();

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
  root.append(body.element, bar);
  el.append(root);

  return {
    body,
    notice(text) {
      notice.textContent = text;
    },
  };
}

export default {
  initialize({ model }) {
    // set() without save_changes() stays in the browser.
    const live = { record: createLiveRecord(), bodies: new Set() };
    model.set("_live", live);
    model.on("msg:custom", (msg) => applyLive(live.record, msg, live.bodies));
    model.send({ rendered: true });
  },

  render({ model, el }) {
    const live = model.get("_live");
    const view = createView(el, model);
    replayLive(live.record, view.body);
    view.notice(model.get("notice"));
    model.on("change:notice", () => view.notice(model.get("notice")));
    live.bodies.add(view.body);
    return () => live.bodies.delete(view.body);
  },
};
