"""The CartPole agents: return arithmetic, the Double-DQN target, seeding, the solved criterion, evaluation on
fresh seeds, the learning-curve figure, and that the policy gradient learns."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from modelhub import registry
from modelhub.models import rl

torch.set_num_threads(1)


def test_discounted_returns_run_backwards_over_the_episode():
    # γ = 0.5, rewards 1, 2, 4: G2 = 4, G1 = 2 + 0.5·4 = 4, G0 = 1 + 0.5·4 = 3.
    assert rl.discounted_returns([1.0, 2.0, 4.0], 0.5) == pytest.approx([3.0, 4.0, 4.0])


def test_moving_mean_averages_what_there_is_then_the_window():
    assert rl.moving_mean([2.0, 4.0, 6.0, 8.0], window=2) == pytest.approx([2.0, 3.0, 5.0, 7.0])


def test_double_dqn_target_lets_the_online_net_choose_and_the_target_net_value():
    online, target = nn.Linear(1, 2, bias=False), nn.Linear(1, 2, bias=False)
    with torch.no_grad():
        online.weight.copy_(torch.tensor([[1.0], [2.0]]))  # prefers action 1 for s′ > 0
        target.weight.copy_(torch.tensor([[10.0], [3.0]]))  # would prefer action 0 (plain DQN's max = 10·s′)
    s2 = torch.tensor([[1.0], [1.0]])
    y = rl.double_dqn_targets(online, target, torch.tensor([1.0, 1.0]), s2, torch.tensor([0.0, 1.0]), 0.9)
    # Not terminated: 1 + 0.9 · Q_target(s′, 1) = 1 + 0.9·3; terminated: the reward alone.
    assert y == pytest.approx(torch.tensor([1.0 + 0.9 * 3.0, 1.0]))


def test_unknown_and_continuous_environments_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown environment 'NoSuchEnv-v0'"):
        registry.create("dqn", "smoke", dataset="NoSuchEnv-v0")
    with pytest.raises(ValueError, match="Discrete actions"):
        registry.create("policy_gradient", "smoke", dataset="Pendulum-v1")


@pytest.mark.parametrize("name", ["dqn", "policy_gradient"])
def test_a_seeded_fit_repeats_exactly_and_counts_its_steps(name):
    recipe = registry.create(name, "smoke")
    first = list(recipe.fit().returns)
    steps = recipe.fit_units()
    assert recipe.fit().returns == first and recipe.fit_units() == steps == sum(first)  # CartPole pays 1 per step
    other = registry.create(name, "smoke", seed=1).fit().returns
    assert other != first


def test_training_stops_once_the_last_100_episodes_average_the_target():
    # Random play averages about 22 per episode, so a target of 15 is met as soon as there are 100 episodes.
    recipe = registry.create("dqn", "smoke", target=15.0, max_episodes=500, max_env_steps=100_000,
                             learning_starts=100_000, eps_decay_steps=100_000)
    metrics = recipe.fit().evaluate()
    assert len(recipe.returns) == 100 and metrics["solved"] == 1.0
    assert metrics["mean_return_100"] == pytest.approx(np.mean(recipe.returns)) and metrics["mean_return_100"] >= 15


def test_greedy_evaluation_uses_fresh_seeds_and_is_deterministic():
    recipe = registry.create("policy_gradient", "smoke").fit()
    returns, seen = recipe.run_greedy(3)
    assert recipe.run_greedy(3)[0] == returns and len(seen) == sum(returns)
    assert recipe.evaluate()["eval_mean_return"] == pytest.approx(np.mean(recipe.run_greedy(2)[0]))


def test_the_policy_predicts_one_action_per_observation():
    recipe = registry.create("dqn", "smoke").fit()
    recipe.evaluate()
    obs = recipe.predict_inputs()
    actions = recipe.predict(obs)
    assert obs.shape[1] == 4 and actions.shape == (len(obs),) and set(actions.tolist()) <= {0, 1}
    h = recipe.config["hidden"]
    assert recipe.parameter_count() == (4 * h + h) + (h * h + h) + (h * 2 + 2)


def test_learning_curve_figure_has_every_episode_and_its_moving_mean():
    recipe = registry.create("policy_gradient", "smoke").fit()
    (figure,) = recipe.figures()
    assert figure["kind"] == "lines" and figure["x"] == list(range(1, len(recipe.returns) + 1))
    assert figure["series"]["return"] == recipe.returns
    assert figure["series"]["mean of last 100"][-1] == pytest.approx(np.mean(recipe.returns))
    json.dumps(figure, allow_nan=False)


def test_policy_gradient_improves_on_random_play():
    recipe = registry.create("policy_gradient", "smoke", max_episodes=200, max_env_steps=50_000)
    recipe.fit()
    first, last = np.mean(recipe.returns[:50]), np.mean(recipe.returns[-50:])
    assert last > 1.3 * first


def test_both_agents_carry_the_solved_bar():
    for name in ("dqn", "policy_gradient"):
        entry = registry.get(name)
        assert (entry.metric, entry.quality_bar, entry.task) == ("mean_return_100", 195.0, "reinforcement-learning")
        assert entry.passes(195.0) and not entry.passes(194.9)
