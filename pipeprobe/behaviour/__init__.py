"""Behaviour beyond one input: variants, perturbations, repeats, rates."""
