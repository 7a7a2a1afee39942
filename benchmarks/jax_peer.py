"""The JAX + optax peer of `make bench`: the whole epoch compiled as one `lax.scan`.

Same layers, initialisation scheme, optimizer, schedule, dropout and label smoothing as the
preset. The epoch's batches are full ones only (the last partial batch is dropped: 32 of
60,000 images for batch 64, 96 for batch 128), since a scan needs equal shapes.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax


class JaxRun:
    def __init__(self, preset, data, epochs):
        p = preset
        self.batch = p["batch_size"]
        X = data.train.pixels.flatten(1).float().div(255).numpy()
        self.X, self.y = jnp.asarray(X), jnp.asarray(data.train.targets.numpy())
        self.X_val = jnp.asarray(data.val.pixels.flatten(1).float().div(255).numpy())
        self.y_val = np.asarray(data.val.targets.numpy())
        self.steps = len(X) // self.batch
        key = jax.random.PRNGKey(0)
        widths, self.params = [784, *p["hidden_sizes"], 10], []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            key, k_w, k_b = jax.random.split(key, 3)
            bound = 1 / math.sqrt(n_in)  # torch.nn.Linear's default initialisation
            self.params.append((jax.random.uniform(k_w, (n_in, n_out), minval=-bound,
                                                   maxval=bound),
                                jax.random.uniform(k_b, (n_out,), minval=-bound, maxval=bound)))
        lr = p["lr"]
        if p.get("schedule") == "onecycle":
            lr = optax.cosine_onecycle_schedule(epochs * self.steps, p["lr"])
        wd = p.get("weight_decay", 0.0)
        self.optim = (optax.adamw(lr, weight_decay=wd) if p["optimizer"] == "adamw"
                      else optax.adam(lr))
        self.state = self.optim.init(self.params)
        self.key = key
        self._epoch = jax.jit(self._make_epoch(p.get("dropout", 0.0), p.get("input_dropout", 0.0),
                                               p.get("label_smoothing", 0.0)))

    @staticmethod
    def forward(params, X, key=None, dropout=0.0, input_dropout=0.0):
        def drop(h, rate, k):
            if key is None or not rate:
                return h
            return jnp.where(jax.random.bernoulli(k, 1 - rate, h.shape), h / (1 - rate), 0)

        keys = jax.random.split(key, len(params)) if key is not None else [None] * len(params)
        h = drop(X, input_dropout, keys[0])
        for i, (W, b) in enumerate(params[:-1]):
            h = drop(jax.nn.relu(h @ W + b), dropout, keys[i + 1])
        W, b = params[-1]
        return h @ W + b

    def _make_epoch(self, dropout, input_dropout, smoothing):
        optim, batch, steps = self.optim, self.batch, self.steps

        def loss(params, X, y, key):
            logits = self.forward(params, X, key, dropout, input_dropout)
            labels = optax.smooth_labels(jax.nn.one_hot(y, 10), smoothing)
            return optax.softmax_cross_entropy(logits, labels).mean()

        def epoch(params, state, key, X, y):
            def step(carry, index):
                params, state, key = carry
                key, sub = jax.random.split(key)
                grads = jax.grad(loss)(params, X[index], y[index], sub)
                updates, state = optim.update(grads, state, params)
                return (optax.apply_updates(params, updates), state, key), None

            key, sub = jax.random.split(key)
            order = jax.random.permutation(sub, len(y))[:steps * batch]
            (params, state, key), _ = jax.lax.scan(step, (params, state, key),
                                                   order.reshape(steps, batch))
            return params, state, key

        return epoch

    def epoch(self, index):
        self.params, self.state, self.key = self._epoch(self.params, self.state, self.key,
                                                        self.X, self.y)
        jax.block_until_ready(self.params)

    def accuracy(self):
        logits = self.forward(self.params, self.X_val)
        return float((np.asarray(logits.argmax(1)) == self.y_val).mean())
