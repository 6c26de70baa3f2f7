#!/usr/bin/python3
"""Eager PyTorch baseline for bench/torch_wsrl_bench.cc (issue 18, "Performance").

The same Cal-QL and SAC updates as trainers/wsrl/control/agent.cc, written plainly in eager PyTorch for the
benchmark: an ensemble of LayerNorm critics as batched matmuls, a tanh-Gaussian actor, REDQ's min of two
random members in the target, CQL's importance-sampled logsumexp with Cal-QL's MC lower bound, Adam, Polyak.
Run with Debian's python3-torch (/usr/bin/python3). Prints one JSON line per (update, threads):
{"name": "calql", "threads": 1, "ms_per_update": ...}.
"""
import argparse
import json
import math
import time

import torch


class Ensemble(torch.nn.Module):
    def __init__(self, members, inp, hidden, layers, out):
        super().__init__()
        dims = [inp] + [hidden] * layers + [out]
        self.w = torch.nn.ParameterList()
        self.b = torch.nn.ParameterList()
        self.g = torch.nn.ParameterList()
        self.beta = torch.nn.ParameterList()
        for i in range(len(dims) - 1):
            bound = 1.0 / math.sqrt(dims[i])
            self.w.append(torch.nn.Parameter(torch.empty(members, dims[i], dims[i + 1]).uniform_(-bound, bound)))
            self.b.append(torch.nn.Parameter(torch.empty(members, 1, dims[i + 1]).uniform_(-bound, bound)))
            if i < layers:
                self.g.append(torch.nn.Parameter(torch.ones(members, 1, dims[i + 1])))
                self.beta.append(torch.nn.Parameter(torch.zeros(members, 1, dims[i + 1])))
        self.layers = layers

    def forward(self, x):
        h = x
        for i in range(self.layers + 1):
            h = torch.matmul(h, self.w[i]) + self.b[i]
            if i < self.layers:
                h = torch.relu(torch.nn.functional.layer_norm(h, (h.shape[-1],)) * self.g[i] + self.beta[i])
        return h


class Agent:
    def __init__(self, ensemble=4, hidden=64, layers=2):
        self.actor = Ensemble(1, 2, hidden, layers, 4)
        self.critic = Ensemble(ensemble, 4, hidden, layers, 1)
        self.target = Ensemble(ensemble, 4, hidden, layers, 1)
        self.target.load_state_dict(self.critic.state_dict())
        for p in self.target.parameters():
            p.requires_grad_(False)
        self.log_t = torch.zeros((), requires_grad=True)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-4)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=3e-4)
        self.t_opt = torch.optim.Adam([self.log_t], lr=1e-4)
        self.ensemble = ensemble

    def sample(self, obs, n=1):
        if n > 1:
            obs = obs.repeat_interleave(n, 0)
        mean, log_std = self.actor(obs)[0].chunk(2, -1)
        log_std = log_std.clamp(-5, 2)
        u = mean + log_std.exp() * torch.randn_like(mean)
        z = (u - mean) * torch.exp(-log_std)
        logp = (-0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi)
                - 2 * (math.log(2) - u - torch.nn.functional.softplus(-2 * u))).sum(-1)
        return torch.tanh(u), logp

    def q(self, net, obs, act):
        return net(torch.cat([obs, act], -1)).squeeze(-1)


def critic_update(agent, batch, cql, n=4, gamma=0.99, alpha=5.0, tau=5e-3):
    obs, act, rew, nobs, done, mc = batch
    b = obs.shape[0]
    with torch.no_grad():
        na, _ = agent.sample(nobs)
        nq = agent.q(agent.target, nobs, na)
        idx = torch.randperm(agent.ensemble)[:2]
        y = rew + gamma * (1 - done) * nq[idx].min(0).values
    if not cql:
        q = agent.q(agent.critic, obs, act)
        loss = ((q - y) ** 2).mean()
    else:
        with torch.no_grad():
            ca, clp = agent.sample(obs, n)
            xa, xlp = agent.sample(nobs, n)
        ra = torch.rand(b * n, 2) * 2 - 1
        rep = obs.repeat_interleave(n, 0)
        allq = agent.q(agent.critic, torch.cat([obs, rep, rep, rep]), torch.cat([act, ra, ca, xa]))
        q, qr, qc, qn = allq.split([b, b * n, b * n, b * n], 1)
        e = allq.shape[0]
        bound = mc.view(1, -1, 1)
        qc = torch.maximum(qc.view(e, b, n), bound) - clp.view(1, b, n)
        qn = torch.maximum(qn.view(e, b, n), bound) - xlp.view(1, b, n)
        qr = qr.view(e, b, n) - 2 * math.log(0.5)
        penalty = (torch.logsumexp(torch.cat([qr, qc, qn], -1), -1) - q).mean()
        loss = ((q - y) ** 2).mean() + alpha * penalty
    agent.critic_opt.zero_grad()
    loss.backward()
    agent.critic_opt.step()
    with torch.no_grad():
        for t, o in zip(agent.target.parameters(), agent.critic.parameters()):
            t.mul_(1 - tau).add_(o, alpha=tau)


def actor_update(agent, batch):
    obs = batch[0]
    for p in agent.critic.parameters():
        p.requires_grad_(False)
    a, logp = agent.sample(obs)
    q = agent.q(agent.critic, obs, a).mean(0)
    loss = (agent.log_t.exp().detach() * logp - q).mean()
    agent.actor_opt.zero_grad()
    loss.backward()
    agent.actor_opt.step()
    for p in agent.critic.parameters():
        p.requires_grad_(True)
    tloss = agent.log_t.exp() * (-logp.detach() - (-2.0)).mean()
    agent.t_opt.zero_grad()
    tloss.backward()
    agent.t_opt.step()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    torch.manual_seed(1)
    b = 256
    batch = (torch.rand(b, 2) * 2 - 1, torch.rand(b, 2) * 2 - 1, torch.full((b,), -5.0), torch.rand(b, 2) * 2 - 1,
             torch.zeros(b), -100 * (1 + torch.rand(b) * 2 - 1))
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, cql in (("calql", True), ("sac", False)):
            agent = Agent()
            for _ in range(5):
                critic_update(agent, batch, cql)
                actor_update(agent, batch)
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                critic_update(agent, batch, cql)
                actor_update(agent, batch)
                count += 1
            ms = 1000 * (time.perf_counter() - start) / count
            print(json.dumps({"name": name, "threads": threads, "ms_per_update": ms, "updates": count}))


if __name__ == "__main__":
    main()
