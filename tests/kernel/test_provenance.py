"""Answers from the emulator say so: in the footer, the record, the usage log and the totals."""

from __future__ import annotations


def test_an_offline_answer_is_marked_emulated_and_kept_out_of_real_spend(bare_kernel):
    run = bare_kernel.run("%load_ext claude_magic\n%config ClaudeMagic.display = 'markdown'\n%claude_offline")
    assert run.status == "ok", run.all_text
    run = bare_kernel.run("%%claude\nhello")
    assert run.status == "ok", run.all_text
    footer = run.data("text/plain")[-1]
    assert footer.startswith("claude-sonnet-4-6 · ") and " · emulated" in footer
    record = bare_kernel.value("claude_magic.history[-1].as_dict()")
    assert record["backend"] == "emulator" and record["cost_usd"] > 0
    assert bare_kernel.value("claude_magic.history.total_cost()") == 0  # the budget's count
    logged = bare_kernel.value("[r.backend for r in claude_magic.usage.log.UsageLog("
                               "get_ipython().find_magic('claude').__self__.usage_log).read_all()]")
    assert logged == ["emulator"]
    table = bare_kernel.run("%claude_usage")
    assert "emulated" in table.all_text
    plot = bare_kernel.run("%claude_usage --plot")
    assert plot.status == "ok", plot.all_text
    assert plot.data("image/png") and plot.data("text/plain") == ["Usage plot of 1 runs"]
