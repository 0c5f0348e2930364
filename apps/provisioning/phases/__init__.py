"""The phases of a run, one module each; each exposes `step(ctx) -> Done | Wait`."""
