// Live area of a streamed answer: appends finished blocks, and the unfinished one as text.
//
// Model text is untrusted. The only HTML this file inserts was rendered in Python by the
// project's one renderer (claude_magic/display/html.py: raw HTML escaped, unsafe URLs refused,
// only its own tags); raw text (the unfinished block) is only ever set as text.
//
// Messages from Python (custom messages, so each carries only what is new; keys in this order):
//   {add: [[html, join], ...]}  finished blocks, in order; join: items of the previous list
//   {cut: n}                    drop the first n characters (UTF-16) of the raw tail: the
//                               blocks just added show them rendered
//   {more: text}                raw text appended to the tail
//   {thinking: {add|cut|more}}  the same, for the thinking: a collapsible block above the answer
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
        // Items of one list arrive one by one: keep them in one list, numbered as one. The
        // last block (sent when the answer ends) may hold more after its list: keep that.
        previous.append(...list.children);
        list.remove();
        if (nodes.childElementCount === 0) return;
      }
      const wrapper = document.createElement("div");
      wrapper.append(nodes);
      blocks.append(wrapper);
    },
    raw(text) {
      tail.textContent = text;
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
  for (const name of ["add", "raw"]) {
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
  return { added: [], raw: "", thinking: null, folded: false };
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
  if (msg.cut !== undefined || msg.more !== undefined) {
    record.raw = record.raw.slice(msg.cut ?? 0) + (msg.more ?? "");
    for (const body of bodies) body.raw(record.raw);
  }
}

/** Show everything the record holds in a new body. */
export function replayLive(record, body) {
  if (record.thinking) replayLive(record.thinking, body.thinking);
  if (record.folded) body.fold();
  for (const [html, join] of record.added) body.add(html, join);
  body.raw(record.raw);
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
