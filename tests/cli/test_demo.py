"""The README's main job, run in-process: a real rollout on a real-time simulated cluster."""

from __future__ import annotations

from bot.demo import run_demo


def test_demo_rolls_the_new_image_out_and_shows_kubectl_progress() -> None:
    lines: list[str] = []
    code = run_demo(out=lines.append, pod_ready_after=0.2, min_ready_seconds=0)
    text = "\n".join(lines)
    assert code == 0, text
    assert 'Waiting for deployment "api" rollout to finish: 1 out of 4 new replicas' in text
    assert '✔ deployment "api" successfully rolled out' in text
    assert "2         releasebot demo: api 1.4.2" in text


def test_demo_with_a_broken_image_fails_on_the_deadline_and_undoes_it() -> None:
    lines: list[str] = []
    code = run_demo(
        fail=True,
        out=lines.append,
        pod_ready_after=0.2,
        min_ready_seconds=0,
        progress_deadline_seconds=2,
    )
    text = "\n".join(lines)
    assert code == 0, text
    assert '✖ deployment "api" exceeded its progress deadline' in text
    assert "Undo to revision 1: rolled back" in text
    assert text.rstrip().endswith("3         <none>")
