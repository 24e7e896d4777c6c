"""What a kernel keeps, and the direct call paths, in a real kernel (issue 12's two bugs)."""

from __future__ import annotations

from conftest import use_script
from test_claude_cell import messages_posted


def _last_prompt(emulator) -> str:
    return messages_posted(emulator)[-1].body["messages"][-1]["content"]


def test_reload_ext_keeps_the_history_the_conversation_and_so_the_budget(kernel, emulator):
    assert kernel.run("%%claude\nfirst").status == "ok"
    assert kernel.run("%%claude\nsecond").status == "ok"
    spent = kernel.value("claude_magic.history.total_cost()")
    assert kernel.value("len(claude_magic.history)") == 2 and spent > 0
    kernel.run(f"%config ClaudeMagic.budget_usd = {spent}")
    assert kernel.run("%reload_ext claude_magic").status == "ok"
    assert kernel.value("len(claude_magic.history)") == 2
    assert kernel.value("claude_magic.history.total_cost()") == spent
    before = len(messages_posted(emulator))
    # The reloaded magic has the default budget again; set it as a user would and it holds.
    kernel.run(f"%config ClaudeMagic.budget_usd = {spent}")
    run = kernel.run("%%claude\nthird")
    assert run.status == "error" and "Budget reached" in run.all_text
    assert len(messages_posted(emulator)) == before
    kernel.run("%config ClaudeMagic.budget_usd = None")
    assert kernel.run("%%claude\nthird").status == "ok"
    # The conversation survived the reload: the third request carries both earlier turns.
    sent = messages_posted(emulator)[-1].body["messages"]
    assert [m["content"] for m in sent if m["role"] == "user"][:2] == ["first", "second"]


def test_the_line_is_interpolated_once_by_the_prompt_on_every_path(kernel, emulator):
    kernel.run("x = 'ABC'")
    # Rewritten to await (the usual path) and called directly: the same prompt both times.
    kernel.run("%claude say {x} and $x and {{x}}")
    awaited = _last_prompt(emulator)
    kernel.run("get_ipython().run_line_magic('claude', 'say {x} and $x and {{x}}')")
    direct = _last_prompt(emulator)
    assert awaited == direct == "say ABC and $x and {x}"


def test_two_threads_can_run_the_magic_at_once(kernel, emulator):
    use_script(emulator, [{"match": "", "ttft": 0.3, "blocks": [{"type": "text", "text": "slow answer"}]}])
    run = kernel.run(
        "import threading\n"
        "errors = []\n"
        "def ask(i):\n"
        "    try:\n"
        "        get_ipython().run_cell_magic('claude', '--once', f'thread {i}')\n"
        "    except BaseException as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print('errors', errors)",
        timeout=60,
    )
    assert "errors []" in run.stdout, run.all_text
    prompts = sorted(r.body["messages"][-1]["content"] for r in messages_posted(emulator))
    assert prompts == ["thread 0", "thread 1"]
    assert kernel.value("sorted(r.status for r in claude_magic.history)") == ["ok", "ok"]


def test_run_cell_from_inside_a_cell_runs_the_magic(kernel, emulator):
    run = kernel.run("result = get_ipython().run_cell('%%claude --once\\nnested hello')\nprint(result.success)")
    assert run.status == "ok", run.all_text
    assert "True" in run.stdout
    assert _last_prompt(emulator) == "nested hello"
    assert kernel.value("claude_magic.history[-1].status") == "ok"
