// The official TypeScript SDK against a running claude_magic emulator (started with rules.json).
// Usage: EMULATOR_URL=http://127.0.0.1:PORT node checks.mjs
// Prints one JSON line per check ({"name", "ok", "detail"}) and exits 1 if any check failed.

import Anthropic, { toFile } from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';

const baseURL = process.env.EMULATOR_URL;
const MODEL = 'claude-opus-4-8';
const KEY = 'sk-ant-emulator-ts-check';

// A client whose fetch counts attempts, so retries can be checked from this side.
function client(options = {}) {
  const calls = { count: 0 };
  const counting = (url, init) => {
    calls.count += 1;
    return fetch(url, init);
  };
  return [new Anthropic({ apiKey: KEY, baseURL, maxRetries: 0, fetch: counting, ...options }), calls];
}

const ask = (text, extra = {}) => ({ model: MODEL, max_tokens: 200, messages: [{ role: 'user', content: text }], ...extra });

async function rejects(promise, ErrorClass, check = () => {}) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name}, got ${error?.constructor?.name}: ${error}`);
    check(error);
    return;
  }
  assert.fail(`expected ${ErrorClass.name}, but it succeeded`);
}

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const checks = {
  async 'create answers with text and usage'() {
    const [c] = client();
    const message = await c.messages.create(ask('hello'));
    assert.equal(message.type, 'message');
    assert.equal(message.content[0].type, 'text');
    assert.match(message.content[0].text, /You asked: "hello"/);
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
    assert.equal(message.stop_reason, 'end_turn');
  },

  async 'stream helper emits text events that add up to the final message'() {
    const [c] = client();
    let text = '';
    const stream = c.messages.stream(ask('stream me'));
    stream.on('text', (delta) => (text += delta));
    const message = await stream.finalMessage();
    assert.ok(text.length > 20);
    assert.equal(text, message.content[0].text);
  },

  async 'create with stream: true yields the raw events in order'() {
    const [c] = client();
    const kinds = [];
    for await (const event of await c.messages.create(ask('raw events', { stream: true }))) kinds.push(event.type);
    assert.equal(kinds[0], 'message_start');
    assert.equal(kinds.at(-1), 'message_stop');
    assert.ok(kinds.includes('content_block_delta') && kinds.includes('message_delta'));
  },

  async 'max_tokens stops the answer with stop_reason max_tokens'() {
    const [c] = client();
    const message = await c.messages.create(ask('a long answer please', { max_tokens: 3 }));
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 3);
  },

  async 'a tool call streams its input JSON and the tool result gets an answer'() {
    const [c] = client();
    const stream = c.messages.stream(ask('weather please', { tools: [weatherTool] }));
    const message = await stream.finalMessage();
    const call = message.content.find((block) => block.type === 'tool_use');
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(call.input, { city: 'Paris' });
    const answer = await c.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather please' },
        { role: 'assistant', content: message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18 C, clear' }] },
      ],
    });
    assert.equal(answer.content[0].text, 'It is sunny in Paris.');
  },

  async 'thinking streams with a signature before the text'() {
    const [c] = client();
    let thinking = '';
    const stream = c.messages.stream(ask('think please'));
    stream.on('thinking', (delta) => (thinking += delta));
    const message = await stream.finalMessage();
    assert.equal(message.content[0].type, 'thinking');
    assert.equal(thinking, 'Two and two make four.');
    assert.ok(message.content[0].signature.length > 40);
    assert.equal(message.content[1].text, 'Four.');
  },

  async 'a 429 is retried after retry-after-ms and then answered'() {
    const [c, calls] = client({ maxRetries: 2 });
    const message = await c.messages.create(ask('once 429'));
    assert.equal(calls.count, 2);
    assert.equal(message.type, 'message');
  },

  async 'two 529s are retried and the third attempt is answered, streaming too'() {
    const [c, calls] = client({ maxRetries: 2 });
    const message = await c.messages.stream(ask('twice 529')).finalMessage();
    assert.equal(calls.count, 3);
    assert.equal(message.type, 'message');
  },

  async 'three 529s in a row raise OverloadedError'() {
    const [c, calls] = client({ maxRetries: 2 });
    await rejects(c.messages.create(ask('always 529')), Anthropic.OverloadedError, (error) => {
      assert.equal(error.status, 529);
      assert.equal(error.error.error.type, 'overloaded_error');
    });
    assert.equal(calls.count, 3);
  },

  async 'a mid-stream overloaded_error raises an APIError that says so, without retrying'() {
    const [c, calls] = client({ maxRetries: 2 });
    let text = '';
    const stream = c.messages.stream(ask('midstream'));
    stream.on('text', (delta) => (text += delta));
    await rejects(stream.finalMessage(), Anthropic.APIError, (error) => {
      assert.match(String(error.message), /overloaded_error|Overloaded/);
    });
    assert.ok(text.length > 0, 'the text before the error arrived');
    assert.equal(calls.count, 1);
  },

  async 'a dropped connection ends the stream with an error'() {
    const [c] = client();
    const stream = c.messages.stream(ask('drop'));
    await rejects(stream.finalMessage(), Anthropic.AnthropicError, (error) => {
      assert.match(String(error.message), /terminated|socket|closed|aborted/i);
    });
  },

  async 'a stalled answer times out with APIConnectionTimeoutError'() {
    const [c] = client({ timeout: 800 });
    await rejects(c.messages.create(ask('stall')), Anthropic.APIConnectionTimeoutError);
  },

  async 'an unknown model is a NotFoundError naming it'() {
    const [c] = client();
    await rejects(c.messages.create({ ...ask('hi'), model: 'claude-nope-1' }), Anthropic.NotFoundError, (error) => {
      assert.equal(error.status, 404);
      assert.equal(error.error.error.type, 'not_found_error');
      assert.match(error.error.error.message, /claude-nope-1/);
    });
  },

  async 'a malformed image is a BadRequestError in the API words'() {
    const [c] = client();
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'not base64!' } };
    await rejects(
      c.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [image] }] }),
      Anthropic.BadRequestError,
      (error) => {
        assert.equal(error.status, 400);
        assert.equal(error.error.error.message, 'messages.0.content.0.image.source.base64: invalid base64 data');
        assert.match(error.requestID, /^req_/);
      },
    );
  },

  async 'a missing max_tokens is a BadRequestError naming the field'() {
    const [c] = client();
    await rejects(
      c.messages.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      Anthropic.BadRequestError,
      (error) => assert.match(error.error.error.message, /max_tokens/),
    );
  },

  async 'a 401 is an AuthenticationError and is not retried'() {
    const [c, calls] = client({ maxRetries: 2 });
    await rejects(c.messages.create(ask('status 401')), Anthropic.AuthenticationError, (error) => {
      assert.equal(error.status, 401);
    });
    assert.equal(calls.count, 1);
  },

  async 'a request without any key is refused by the server with 401'() {
    const response = await fetch(`${baseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(ask('hi')),
    });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error.type, 'authentication_error');
  },

  async 'count_tokens counts what create bills'() {
    const [c] = client();
    const counted = await c.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'count me' }] });
    const message = await c.messages.create(ask('count me'));
    assert.equal(counted.input_tokens, message.usage.input_tokens);
  },

  async 'models list pages and a model is retrieved'() {
    const [c] = client();
    const ids = [];
    for await (const model of c.models.list({ limit: 5 })) ids.push(model.id);
    assert.ok(ids.length > 5);
    assert.ok(ids.includes(MODEL));
    assert.equal((await c.models.retrieve(MODEL)).id, MODEL);
  },

  async 'the Files API uploads, lists, retrieves and deletes'() {
    const [c] = client();
    const uploaded = await c.beta.files.upload({ file: await toFile(Buffer.from('Notes. More notes.'), 'notes.txt', { type: 'text/plain' }) });
    assert.equal(uploaded.filename, 'notes.txt');
    assert.equal(uploaded.mime_type, 'text/plain');
    const listed = [];
    for await (const file of c.beta.files.list()) listed.push(file.id);
    assert.ok(listed.includes(uploaded.id));
    assert.equal((await c.beta.files.retrieveMetadata(uploaded.id)).size_bytes, 18);
    assert.equal((await c.beta.files.delete(uploaded.id)).type, 'file_deleted');
    await rejects(c.beta.files.retrieveMetadata(uploaded.id), Anthropic.NotFoundError);
  },

  async 'a cited document streams citations that point into it'() {
    const [c] = client();
    const text = 'The tide is high. It comes twice a day.';
    const document = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, citations: { enabled: true } };
    const message = await c.messages
      .stream({ model: MODEL, max_tokens: 300, messages: [{ role: 'user', content: [document, { type: 'text', text: 'Quote it.' }] }] })
      .finalMessage();
    const citations = message.content.flatMap((block) => block.citations ?? []);
    assert.equal(citations.length, 1);
    assert.equal(citations[0].type, 'char_location');
    assert.equal(text.slice(citations[0].start_char_index, citations[0].end_char_index), citations[0].cited_text);
    assert.equal(citations[0].cited_text, 'The tide is high.');
  },
};

let failed = 0;
for (const [name, check] of Object.entries(checks)) {
  try {
    await check();
    console.log(JSON.stringify({ name, ok: true }));
  } catch (error) {
    failed += 1;
    console.log(JSON.stringify({ name, ok: false, detail: String(error?.stack ?? error).slice(0, 800) }));
  }
}
process.exit(failed ? 1 : 0);
