"""Reference values from the real Optax schedules for test/optax/schedules.test.ts."""
import json

import numpy as np
import optax

steps = list(range(0, 25))
schedules = {
    "constant": optax.constant_schedule(0.3),
    "linear": optax.linear_schedule(1.0, 0.1, transition_steps=10, transition_begin=3),
    "polynomial": optax.polynomial_schedule(1.0, 0.0, power=2, transition_steps=12),
    "exponential": optax.exponential_decay(0.5, transition_steps=4, decay_rate=0.5),
    "exponential_staircase": optax.exponential_decay(0.5, 4, 0.5, transition_begin=2, staircase=True, end_value=0.05),
    "cosine": optax.cosine_decay_schedule(2.0, decay_steps=16, alpha=0.1),
    "warmup_cosine": optax.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=5, decay_steps=20, end_value=0.01),
}
print(json.dumps({name: [float(np.asarray(s(step))) for step in steps] for name, s in schedules.items()}))
