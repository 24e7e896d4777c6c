// Chat playground: a transcript of turns, each with one answer per model, and the controls.
//
// Model text is untrusted: answers arrive as HTML from the project's one renderer
// (claude_magic/display/html.py), through the live area's code (./widget.js); prompts, model names,
// notices, footers and errors are only ever set as text.
//
// Messages from Python:
//   {turn: id, prompt, models}        a new turn: the prompt, and one answer column per model
//   {turn: id, error}                 the turn could not be sent (no API key, budget reached)
//   {answer: [turn, i], add|cut|more} the live area's messages for that answer (see widget.js)
//   {answers: [message, ...]}         several answers' messages at once (models compared)
//   {answer: [turn, i], notice}       a status line under it ("" clears it)
//   {answer: [turn, i], footer, error, done: true}   the answer is over
//   {notice}                          a line under the controls ("" clears it)
//   {reset: true}                     clear the transcript
// To Python: {send: prompt}, {stop: true}.
import { applyLive, createLiveBody, createLiveRecord, replayLive } from "./widget.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One answer column of one view. */
function createAnswerView(model, compare) {
  const root = element("div", "claude-chat-answer");
  if (compare) root.append(element("div", "claude-chat-model", model));
  const body = createLiveBody();
  const notice = element("div", "claude-chat-notice");
  const footer = element("div", "claude-chat-footer");
  const error = element("div", "claude-chat-error");
  root.append(body.element, notice, footer, error);
  return {
    root,
    body,
    show(answer) {
      notice.textContent = answer.notice;
      footer.textContent = answer.footer;
      error.textContent = answer.error ? `⚠ ${answer.error}` : "";
      root.classList.toggle("claude-chat-streaming", !answer.done);
    },
  };
}

/** One view's transcript and controls. */
function createChatView(el, model) {
  const root = element("div", "claude-chat");
  const transcript = element("div", "claude-chat-transcript");
  const turns = new Map(); // turn id -> {error, answers: [answer view]}

  const prompt = element("textarea", "claude-chat-prompt");
  prompt.rows = 3;
  prompt.placeholder = "Ask Claude… (Ctrl+Enter sends)";
  const send = element("button", "claude-chat-send jp-Button", "Send");
  const stop = element("button", "claude-chat-stop jp-Button", "Stop");
  send.type = stop.type = "button";
  stop.title = "Stop the answers (keeps what has arrived)";

  const modelSelect = element("select", "claude-chat-model-select");
  const comparing = element("span", "claude-chat-comparing");
  const system = element("textarea", "claude-chat-system");
  system.rows = 2;
  system.placeholder = "System prompt (optional)";
  const temperature = element("input", "claude-chat-temperature");
  Object.assign(temperature, { type: "number", min: "0", max: "1", step: "0.1", placeholder: "default" });
  const maxTokens = element("input", "claude-chat-max-tokens");
  Object.assign(maxTokens, { type: "number", min: "1", step: "1" });
  const notice = element("div", "claude-chat-line");

  const label = (text, control) => {
    const node = element("label", "claude-chat-setting", text);
    node.append(control);
    return node;
  };
  const settings = element("div", "claude-chat-settings");
  settings.append(label("Model ", modelSelect), comparing, label("Temperature ", temperature),
    label("Max tokens ", maxTokens));
  const systemRow = element("details", "claude-chat-system-row");
  systemRow.append(element("summary", "", "System prompt"), system);
  const buttons = element("div", "claude-chat-buttons");
  buttons.append(send, stop, notice);
  const controls = element("div", "claude-chat-controls");
  controls.append(settings, systemRow, prompt, buttons);
  root.append(transcript, controls);
  el.append(root);

  const submit = () => {
    const text = prompt.value.trim();
    if (!text || model.get("busy")) return;
    model.send({ send: text });
    prompt.value = "";
  };
  send.addEventListener("click", submit);
  stop.addEventListener("click", () => model.send({ stop: true }));
  // Keys typed here are the chat's, not the notebook's shortcuts.
  controls.addEventListener("keydown", (event) => {
    event.stopPropagation();
    if (event.target === prompt && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  });
  const save = (name, value) => {
    model.set(name, value);
    model.save_changes();
  };
  modelSelect.addEventListener("change", () => save("model", modelSelect.value));
  system.addEventListener("change", () => save("system", system.value));
  temperature.addEventListener("change", () => {
    const value = temperature.value === "" ? null : Math.min(1, Math.max(0, Number(temperature.value)));
    save("temperature", value);
  });
  maxTokens.addEventListener("change", () => {
    const value = Math.max(1, Math.round(Number(maxTokens.value) || model.get("max_tokens")));
    save("max_tokens", value);
  });

  return {
    settings() {
      const compare = model.get("compare");
      modelSelect.replaceChildren(...model.get("models").map((name) => element("option", "", name)));
      modelSelect.value = model.get("model");
      modelSelect.parentElement.hidden = compare.length > 0;
      comparing.textContent = compare.length ? `Comparing ${compare.join(" · ")}` : "";
      system.value = model.get("system");
      const t = model.get("temperature");
      temperature.value = t === null ? "" : String(t);
      maxTokens.value = String(model.get("max_tokens"));
      const busy = model.get("busy");
      send.disabled = busy;
      stop.disabled = !busy;
    },
    addTurn(turn) {
      const node = element("div", "claude-chat-turn");
      node.append(element("div", "claude-chat-user", turn.prompt));
      const error = element("div", "claude-chat-error");
      const answers = element("div", "claude-chat-answers");
      answers.style.setProperty("--claude-chat-columns", String(turn.models.length));
      const views = turn.models.map((name) => createAnswerView(name, turn.models.length > 1));
      answers.append(...views.map((view) => view.root));
      node.append(error, answers);
      transcript.append(node);
      turns.set(turn.id, { error, answers: views });
      return views;
    },
    turnError(id, text) {
      turns.get(id).error.textContent = `⚠ ${text}`;
    },
    answer(id, index) {
      return turns.get(id).answers[index];
    },
    notice(text) {
      notice.textContent = text;
    },
    clear() {
      transcript.replaceChildren();
      turns.clear();
    },
  };
}

export default {
  initialize({ model }) {
    // The whole transcript, kept with the model: views added later (a split notebook) replay it.
    const chat = { turns: new Map(), views: new Set(), notice: "" };
    model.set("_chat", chat);
    const handle = (msg) => {
      if (msg.answers) {
        for (const one of msg.answers) handle(one);
      } else if (msg.reset) {
        chat.turns.clear();
        for (const view of chat.views) view.clear();
      } else if (msg.answer) {
        const [id, index] = msg.answer;
        const answer = chat.turns.get(id).answers[index];
        applyLive(answer.record, msg, [...chat.views].map((view) => view.answer(id, index).body));
        for (const key of ["notice", "footer", "error", "done"]) {
          if (msg[key] !== undefined) answer[key] = msg[key];
        }
        for (const view of chat.views) view.answer(id, index).show(answer);
      } else if (msg.turn !== undefined && msg.error !== undefined) {
        chat.turns.get(msg.turn).error = msg.error;
        for (const view of chat.views) view.turnError(msg.turn, msg.error);
      } else if (msg.turn !== undefined) {
        const answers = msg.models.map(() => (
          { record: createLiveRecord(), notice: "", footer: "", error: null, done: false }));
        const turn = { id: msg.turn, prompt: msg.prompt, models: msg.models, error: null, answers };
        chat.turns.set(turn.id, turn);
        for (const view of chat.views) view.addTurn(turn).forEach((v, i) => v.show(answers[i]));
      } else if (msg.notice !== undefined) {
        chat.notice = msg.notice;
        for (const view of chat.views) view.notice(msg.notice);
      }
    };
    model.on("msg:custom", handle);
  },

  render({ model, el }) {
    const chat = model.get("_chat");
    const view = createChatView(el, model);
    for (const turn of chat.turns.values()) {
      view.addTurn(turn).forEach((answerView, i) => {
        replayLive(turn.answers[i].record, answerView.body);
        answerView.show(turn.answers[i]);
      });
      if (turn.error) view.turnError(turn.id, turn.error);
    }
    view.notice(chat.notice);
    view.settings();
    const names = ["model", "models", "compare", "system", "temperature", "max_tokens", "busy"];
    for (const name of names) model.on(`change:${name}`, () => view.settings());
    model.on("change:busy", () => {
      if (model.get("busy")) view.notice("");
    });
    chat.views.add(view);
    return () => chat.views.delete(view);
  },
};
