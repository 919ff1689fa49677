"""Learning rules: ANN→SNN conversion, rate-gradient (approach 2), STDP, approximate BP, e-prop, update schemes."""
