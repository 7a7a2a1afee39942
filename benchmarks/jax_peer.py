"""The JAX + optax peer of `make bench`: the whole epoch compiled as one `lax.scan`.

Same layers, initialisation scheme, optimizer, schedule, dropout, Gaussian noise, batch
normalisation (batch statistics in training, running averages with torch's momentum for
evaluation) and label smoothing as the preset. The epoch's batches are full ones only (the
last partial batch is dropped: 32 of 60,000 images for batch 64, 96 for batch 128), since a
scan needs equal shapes.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax


class JaxRun:
    """`preset` (a Config) trained on `train` and scored on `val`, each (X, y) as torch tensors:
    float32 images flattened to 784 values and int64 labels (pipelines.flat_split)."""

    def __init__(self, preset, train, val, epochs):
        p = preset.to_dict()  # the keys below are its fields
        self.batch = p["batch_size"]
        X, y = train
        self.X, self.y = jnp.asarray(X.numpy()), jnp.asarray(y.numpy())
        X_val, y_val = val
        self.X_val, self.y_val = jnp.asarray(X_val.numpy()), y_val.numpy()
        self.steps = len(X) // self.batch
        key = jax.random.PRNGKey(0)
        widths, self.params = [784, *p["hidden_sizes"], 10], []
        self.bn = p.get("batch_norm", False)
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            key, k_w, k_b = jax.random.split(key, 3)
            bound = 1 / math.sqrt(n_in)  # torch.nn.Linear's default initialisation
            W = jax.random.uniform(k_w, (n_in, n_out), minval=-bound, maxval=bound)
            if self.bn and i < len(widths) - 2:  # normalised layers: scale and shift, no bias
                self.params.append((W, jnp.ones(n_out), jnp.zeros(n_out)))
            else:
                self.params.append((W, jax.random.uniform(k_b, (n_out,), minval=-bound,
                                                          maxval=bound)))
        # running mean and variance of each normalised layer (unused without batch norm)
        self.stats = [(jnp.zeros(n), jnp.ones(n)) for n in p["hidden_sizes"]]
        lr = p["lr"]
        if p.get("schedule") == "onecycle":
            lr = optax.cosine_onecycle_schedule(epochs * self.steps, p["lr"])
        wd = p.get("weight_decay", 0.0)
        self.optim = (optax.adamw(lr, weight_decay=wd) if p["optimizer"] == "adamw"
                      else optax.adam(lr))
        self.state = self.optim.init(self.params)
        self.key = key
        self._epoch = jax.jit(self._make_epoch(p.get("dropout", 0.0), p.get("input_dropout", 0.0),
                                               p.get("noise", 0.0), p.get("label_smoothing", 0.0)))

    @staticmethod
    def forward(params, stats, X, key=None, dropout=0.0, input_dropout=0.0, noise=0.0):
        """Logits and the updated running statistics; training mode when a key is given."""
        def drop(h, rate, k):
            if key is None or not rate:
                return h
            return jnp.where(jax.random.bernoulli(k, 1 - rate, h.shape), h / (1 - rate), 0)

        def jitter(h, k):
            if key is None or not noise:
                return h
            return h + noise * jax.random.normal(k, h.shape)

        def normalise(z, gamma, beta, running):
            if key is None:
                mean, var = running
            else:  # torch: biased variance to normalise, unbiased one in the running average
                mean, var, n = z.mean(0), z.var(0), z.shape[0]
                unbiased = var * n / (n - 1)
                running = (0.9 * running[0] + 0.1 * mean, 0.9 * running[1] + 0.1 * unbiased)
            return (z - mean) * jax.lax.rsqrt(var + 1e-5) * gamma + beta, running

        n_keys = 2 * len(params)
        keys = jax.random.split(key, n_keys) if key is not None else [None] * n_keys
        h, new_stats = jitter(drop(X, input_dropout, keys[0]), keys[1]), []
        for i, layer in enumerate(params[:-1]):
            if len(layer) == 3:
                z, running = normalise(h @ layer[0], *layer[1:], stats[i])
                new_stats.append(running)
            else:
                z = h @ layer[0] + layer[1]
                new_stats.append(stats[i])
            h = drop(jax.nn.relu(jitter(z, keys[2 * i + 2])), dropout, keys[2 * i + 3])
        W, b = params[-1]
        return h @ W + b, new_stats

    def _make_epoch(self, dropout, input_dropout, noise, smoothing):
        optim, batch, steps = self.optim, self.batch, self.steps

        def loss(params, stats, X, y, key):
            logits, stats = self.forward(params, stats, X, key, dropout, input_dropout, noise)
            labels = optax.smooth_labels(jax.nn.one_hot(y, 10), smoothing)
            return optax.softmax_cross_entropy(logits, labels).mean(), stats

        def epoch(params, state, stats, key, X, y):
            def step(carry, index):
                params, state, stats, key = carry
                key, sub = jax.random.split(key)
                grads, stats = jax.grad(loss, has_aux=True)(params, stats, X[index], y[index],
                                                            sub)
                updates, state = optim.update(grads, state, params)
                return (optax.apply_updates(params, updates), state, stats, key), None

            key, sub = jax.random.split(key)
            order = jax.random.permutation(sub, len(y))[:steps * batch]
            (params, state, stats, key), _ = jax.lax.scan(step, (params, state, stats, key),
                                                          order.reshape(steps, batch))
            return params, state, stats, key

        return epoch

    def epoch(self, index):
        self.params, self.state, self.stats, self.key = self._epoch(
            self.params, self.state, self.stats, self.key, self.X, self.y)
        jax.block_until_ready(self.params)

    def accuracy(self):
        logits, _ = self.forward(self.params, self.stats, self.X_val)
        return float((np.asarray(logits.argmax(1)) == self.y_val).mean())
